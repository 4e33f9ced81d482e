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
# **In Colab, run the first cell first**: it installs chainrule when the runtime lacks it.

# %%
# Install chainrule where it is missing (a fresh Colab runtime); a no-op where it is installed.
import importlib.util

if importlib.util.find_spec("chainrule") is None:
    print("chainrule is not installed in this runtime: installing it from PyPI ...")
    # %pip install --quiet chainrule
else:
    import chainrule

    print(f"chainrule {chainrule.__version__} is already installed: nothing to install.")

# %% [markdown]
# The instructor's notebook for the 2-hour practice lesson:
#
# 1. Build the lecture's MLP with `nn.Module` and train it on real MNIST digits (the
#    5,000-image sample that ships with chainrule, so nothing is downloaded), with the
#    lecture's hyper-parameters and a validation split.
# 2. Inspect `.grad` after a backward pass, and see what `zero_grad()` does.
# 3. Compare a hand-computed gradient with autograd on a tiny example.
#
# Pitfalls to pre-empt along the way: a softmax before `cross_entropy`, a forgotten
# `zero_grad()`, shape bugs in the batch dimension, peeking at the test set.

# %%
import numpy as np

import chainrule as torch
import chainrule.nn.functional as F
from chainrule import manual, nn, optim
from chainrule.data import (
    DataLoader,
    TensorDataset,
    load_mnist_sample,
    normalize,
    random_split,
    to_float,
)
from chainrule.viz.plots import plot_curves

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. An MLP on MNIST
#
# Each 28×28 image is flattened to 784 numbers in [0, 1], then normalised with MNIST's
# mean and standard deviation. The slides' three splits: **train** updates the weights,
# **validation** is the practice exam we look at every epoch (to pick hyper-parameters and
# to stop early), **test** is the final, taken once at the end.

# %%
x_train, y_train, x_test, y_test = load_mnist_sample()
x_train, x_test = normalize(to_float(x_train)), normalize(to_float(x_test))
train_set, val_set = random_split(TensorDataset(x_train, y_train), [0.9, 0.1], seed=0)
print(f"train {len(train_set)} | validation {len(val_set)} | test {len(x_test)} images")
loader = DataLoader(train_set, batch_size=64, shuffle=True, seed=0)
xb, yb = next(iter(loader))
print("one batch:", xb.shape, yb.shape)


# %% [markdown]
# The lecture's MLP, 784-256-256-10 with ReLU. The last layer is bare: it returns logits,
# and `F.cross_entropy` applies `log_softmax` itself.


# %%
class MLP(nn.Module):
    def __init__(self, d_in=784, d_hidden=256, d_out=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, d_hidden),
            nn.ReLU(),
            nn.Linear(d_hidden, d_hidden),
            nn.ReLU(),
            nn.Linear(d_hidden, d_out),  # no softmax here
        )

    def forward(self, x):
        return self.net(x)


torch.manual_seed(0)
model = MLP()
n_params = sum(p.numel() for p in model.parameters())
formula = 256 * 784 + 256 + 256 * 256 + 256 + 10 * 256 + 10
print(model)
print(f"parameters: {n_params} = 256·784 + 256 + 256·256 + 256 + 10·256 + 10 = {formula}")
print("logits of one batch:", model(xb).shape)

# %% [markdown]
# The five-line loop from the slides, with the lecture's hyper-parameters: SGD with
# lr = 0.01 and momentum 0.9, batches of 64, 10 epochs. After every epoch the model is
# measured on the validation split, under `model.eval()` and `torch.no_grad()`.


# %%
def evaluate(model, dataset):
    """Mean cross-entropy and accuracy on a dataset, without building a graph."""
    model.eval()
    with torch.no_grad():
        x, y = next(iter(DataLoader(dataset, batch_size=len(dataset))))  # one batch: all
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        accuracy = float((logits.argmax(dim=1) == y).float().mean().item())
    model.train()
    return loss, accuracy


opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
losses, history = [], []
for epoch in range(10):
    epoch_losses = []
    for xb, yb in loader:
        logits = model(xb)  # 1. forward
        loss = F.cross_entropy(logits, yb)  # 2. loss
        opt.zero_grad()  # 3. zero grads
        loss.backward()  # 4. backward
        opt.step()  # 5. update
        epoch_losses.append(loss.item())
    losses.extend(epoch_losses)
    train_loss, train_acc = evaluate(model, train_set)
    val_loss, val_acc = evaluate(model, val_set)
    history.append(
        dict(epoch=epoch + 1, train_loss=train_loss, train_acc=train_acc, val_loss=val_loss, val_acc=val_acc)
    )
    print(
        f"epoch {epoch + 1:2d}: train loss {train_loss:.3f} acc {train_acc:.1%} | "
        f"validation loss {val_loss:.3f} acc {val_acc:.1%}"
    )

plot_curves(history, title="784-256-256-10 MLP on the MNIST sample")

# %% [markdown]
# The test set, once, now that training is over:

# %%
test_loss, test_acc = evaluate(model, TensorDataset(x_test, y_test))
print(f"test loss {test_loss:.3f}, test accuracy {test_acc:.1%} (measured once)")

# %% [markdown]
# Pitfall: a softmax before `cross_entropy` applies the softmax twice. The scores it
# passes on are probabilities, squeezed into [0, 1], so their softmax is nearly uniform:
# the loss starts at log 10 ≈ 2.30 and falls far more slowly than the correct model's.
# One epoch of each, same seed, same hyper-parameters:

# %%
torch.manual_seed(0)
bad = MLP()
bad_opt = optim.SGD(bad.parameters(), lr=0.01, momentum=0.9)
bad_losses = []
for xb, yb in loader:
    loss = F.cross_entropy(F.softmax(bad(xb), dim=1), yb)  # the bug: softmax, then cross_entropy
    bad_opt.zero_grad()
    loss.backward()
    bad_opt.step()
    bad_losses.append(loss.item())
steps = len(bad_losses)
print(
    f"double softmax: loss {bad_losses[0]:.3f} -> {bad_losses[-1]:.3f} after one epoch "
    f"(log 10 = {np.log(10):.3f}); correct model: {losses[0]:.3f} -> {losses[steps - 1]:.3f}"
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
g1 = model.net[4].bias.grad.numpy().copy()
F.cross_entropy(model(xb), yb).backward()  # no zero_grad in between
g2 = model.net[4].bias.grad.numpy()
print("ratio after a second backward:", np.round(g2 / g1, 6))
opt.zero_grad()
print("after zero_grad:", model.net[4].bias.grad)

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

tw1 = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
tw2 = torch.tensor(w2, dtype=torch.float64, requires_grad=True)
out = (tw2 * (tw1 * x).sigmoid()).sigmoid()
F.binary_cross_entropy(out, torch.tensor(target, dtype=torch.float64)).backward()
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
tiny = manual.Sequential(  # 3 inputs, 3 hidden ReLU units, 3 classes
    manual.Linear(rng.normal(size=(3, 3)), np.zeros(3)),
    manual.ReLU(),
    manual.Linear(rng.normal(size=(3, 3)), np.zeros(3)),
)
report = torch.compare_gradients(
    tiny, manual.SoftmaxCrossEntropy(), rng.normal(size=(5, 3)), np.array([0, 1, 2, 0, 1])
)
print("\n".join(str(report).splitlines()[:7]))
