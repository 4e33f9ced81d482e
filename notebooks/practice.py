# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Practice: MLPs and backpropagation
#
# The instructor's notebook for the 2-hour practice lesson:
#
# 1. Build an MLP with `nn.Module` and train it on real MNIST digits (the 5,000-image
#    sample that ships with chainrule, so nothing is downloaded).
# 2. Inspect `.grad` after a backward pass, and see what `zero_grad()` does.
# 3. Compare a hand-computed gradient with autograd on a tiny example.
#
# Pitfalls to pre-empt along the way: a softmax before `cross_entropy`, a forgotten
# `zero_grad()`, shape bugs in the batch dimension.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import manual, nn, optim
from chainrule.data import DataLoader, TensorDataset, load_mnist_sample, normalize, to_float

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. An MLP on MNIST
#
# Each 28×28 image is flattened to 784 numbers in [0, 1], then normalised with MNIST's
# mean and standard deviation.

# %%
x_train, y_train, x_test, y_test = load_mnist_sample()
x_train, x_test = normalize(to_float(x_train)), normalize(to_float(x_test))
print("train", x_train.shape, x_train.dtype, y_train.shape, "| test", x_test.shape)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, seed=0)
xb, yb = next(iter(loader))
print("one batch:", xb.shape, yb.shape)


# %% [markdown]
# The slides' MLP, narrower (64 hidden units) so that it trains in seconds. The last
# layer is bare: it returns logits, and `F.cross_entropy` applies `log_softmax` itself.


# %%
class MLP(nn.Module):
    def __init__(self, d_in=784, d_hidden=64, d_out=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, d_hidden),
            nn.ReLU(),
            nn.Linear(d_hidden, d_out),  # no softmax here
        )

    def forward(self, x):
        return self.net(x)


cr.manual_seed(0)
model = MLP()
n_params = sum(p.numel() for p in model.parameters())
print(model)
print(f"parameters: {n_params} = 784·64 + 64 + 64·10 + 10 = {784 * 64 + 64 + 64 * 10 + 10}")
print("logits of one batch:", model(xb).shape)

# %% [markdown]
# The five-line loop from the slides: forward, loss, zero_grad, backward, step. One
# epoch is 63 batches of 64.


# %%
def evaluate(model, x, y):
    with cr.no_grad():  # no graph needed to measure
        return float((model(cr.tensor(x)).argmax(dim=1).numpy() == y).mean())


opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
losses = []
for epoch in range(2):
    for xb, yb in loader:
        logits = model(xb)  # 1. forward
        loss = F.cross_entropy(logits, yb)  # 2. loss
        opt.zero_grad()  # 3. zero grads
        loss.backward()  # 4. backward
        opt.step()  # 5. update
        losses.append(loss.item())
    print(
        f"epoch {epoch + 1}: last batch loss {losses[-1]:.3f}, test accuracy {evaluate(model, x_test, y_test):.1%}"
    )

plt.plot(losses)
plt.xlabel("step")
plt.ylabel("cross-entropy")
plt.title("MLP on the MNIST sample")
plt.show()

# %% [markdown]
# Pitfall: a softmax before `cross_entropy` applies the softmax twice. The scores it
# passes on are probabilities, squeezed into [0, 1], so their softmax is nearly uniform:
# the loss starts at log 10 ≈ 2.30 and falls far more slowly than the correct model's.
# One epoch of each, same seed:

# %%
cr.manual_seed(0)
bad = MLP()
bad_opt = optim.SGD(bad.parameters(), lr=0.1, momentum=0.9)
bad_losses = []
for xb, yb in loader:
    loss = F.cross_entropy(F.softmax(bad(xb), dim=1), yb)  # the bug: softmax, then cross_entropy
    bad_opt.zero_grad()
    loss.backward()
    bad_opt.step()
    bad_losses.append(loss.item())
print(
    f"double softmax: loss {bad_losses[0]:.3f} -> {bad_losses[-1]:.3f} after one epoch "
    f"(log 10 = {np.log(10):.3f}); correct model: {losses[0]:.3f} -> {losses[62]:.3f}"
)

# %% [markdown]
# ## 2. Inside `.grad`
#
# After one backward pass, every parameter's `.grad` has the parameter's own shape: it
# says, entry by entry, how the loss changes when that entry grows.

# %%
xb, yb = next(iter(loader))
opt.zero_grad()
F.cross_entropy(model(xb), yb).backward()
for name, p in model.named_parameters():
    shapes = f"weight {str(tuple(p.shape)):10s} grad {str(tuple(p.grad.shape)):10s}"
    print(f"{name:14s} {shapes} |grad| {p.grad.norm():.4f}")

# %% [markdown]
# What `zero_grad()` is for: a second backward without it *adds* the same gradient again.

# %%
g1 = model.net[2].bias.grad.numpy().copy()
F.cross_entropy(model(xb), yb).backward()  # no zero_grad in between
g2 = model.net[2].bias.grad.numpy()
print("ratio after a second backward:", np.round(g2 / g1, 6))
opt.zero_grad()
print("after zero_grad:", model.net[2].bias.grad)

# %% [markdown]
# ## 3. A hand-computed gradient against autograd
#
# The slides' 2-1-1 network: x = 0.5, target y = 1, w₁ = 0.4, w₂ = 0.6, biases 0,
# sigmoid hidden and output units, binary cross-entropy. By hand, with the BCE + sigmoid
# identity dL/dz₂ = ŷ − y:
#
# δ₂ = ŷ − y, dL/dw₂ = δ₂·h, δ₁ = w₂·δ₂·h(1 − h), dL/dw₁ = δ₁·x


# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


x, target, w1, w2 = 0.5, 1.0, 0.4, 0.6
h = sigmoid(w1 * x)
y_hat = sigmoid(w2 * h)
delta2 = y_hat - target
delta1 = w2 * delta2 * h * (1 - h)
hand = {"w1": delta1 * x, "w2": delta2 * h}

tw1 = cr.tensor(w1, dtype=cr.float64, requires_grad=True)
tw2 = cr.tensor(w2, dtype=cr.float64, requires_grad=True)
out = (tw2 * (tw1 * x).sigmoid()).sigmoid()
F.binary_cross_entropy(out, cr.tensor(target, dtype=cr.float64)).backward()
auto = {"w1": tw1.grad.item(), "w2": tw2.grad.item()}
for k in hand:
    print(
        f"dL/d{k}: hand {hand[k]:+.6f}  autograd {auto[k]:+.6f}  |difference| {abs(hand[k] - auto[k]):.1e}"
    )

# %% [markdown]
# The same check for a whole layer, four ways at once: `compare_gradients` takes a network
# of hand-written layers (`chainrule.lab.manual`, the lab's reference) and compares their
# backward passes with autograd, finite differences and (when installed) PyTorch.

# %%
rng = np.random.default_rng(0)
tiny = manual.Sequential(
    manual.Linear(rng.normal(size=(4, 3)), np.zeros(3)),
    manual.ReLU(),
    manual.Linear(rng.normal(size=(3, 2)), np.zeros(2)),
)
report = cr.compare_gradients(
    tiny, manual.SoftmaxCrossEntropy(), rng.normal(size=(5, 4)), np.array([0, 1, 1, 0, 1])
)
print("\n".join(str(report).splitlines()[:7]))
