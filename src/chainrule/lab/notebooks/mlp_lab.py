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
# # Week 3 lab: MLPs and backpropagation
#
# Three parts, as every week:
#
# - **Part A · Build** (an AI assistant is welcome): an MLP trained with autograd, one
#   linear layer's backward pass by hand, and softmax cross-entropy by hand.
# - **Part B · Predict & probe** (your own reasoning): predict first, then run.
# - **Part C · Explain & defend** (in plain language): check your hand gradients against
#   autograd and say what each gradient tells its weight to do.
#
# Deliverables: this notebook with the training results, your hand-derived gradient and
# the autograd check. The `check_...` cells test your code and tell you *what* is wrong
# (which element, which likely mistake), so run them as often as you like.
#
# Everything runs offline on a laptop CPU in a few seconds.

# %%
import numpy as np
import matplotlib.pyplot as plt

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import Tensor, manual, nn, optim
from chainrule.data import make_circles, make_moons
from chainrule.lab import (TOY, check_classifier, check_cross_entropy, check_gradient_prediction,
                           check_linear_backward, check_value, engine_gradients, reveal_prediction,
                           toy_gradients)

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part A · Build
#
# ### A1. An MLP with `nn.Module`, trained with autograd
# <!-- question A1 points=3 -->
#
# The task: two interleaving half-moons, 300 points to train on and 100 to validate on.
# Write `MLP`: `Linear → activation → Linear → activation → Linear`, with the last layer
# bare (it returns logits; `F.cross_entropy` applies the softmax itself). Then write
# the body of the training loop: forward, loss, zero the gradients, backward, step.

# %%
X, y = make_moons(400, noise=0.1, seed=0)
X_train, y_train, X_val, y_val = X[:300], y[:300], X[300:], y[300:]
print("train", X_train.shape, y_train.shape, "| validation", X_val.shape, y_val.shape)


# %%
class MLP(nn.Module):
    """d_in → d_hidden → d_hidden → d_out, with `activation` after each hidden layer."""

    def __init__(self, d_in=2, d_hidden=16, d_out=2, activation=nn.ReLU):
        super().__init__()
        # BEGIN SOLUTION
        self.net = nn.Sequential(
            nn.Linear(d_in, d_hidden), activation(),
            nn.Linear(d_hidden, d_hidden), activation(),
            nn.Linear(d_hidden, d_out),  # raw logits: no softmax here
        )
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return self.net(x)
        # END SOLUTION


def train(model, X, y, steps=500, lr=0.5):
    """Full-batch gradient descent on the cross-entropy; returns the loss of every step."""
    opt = optim.SGD(model.parameters(), lr=lr)
    X, y = cr.tensor(X), cr.tensor(y)
    losses = []
    for _ in range(steps):
        # BEGIN SOLUTION
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad()  # gradients accumulate: clear last step's
        loss.backward()
        opt.step()
        # END SOLUTION
        losses.append(loss.item())
    return losses


def accuracy(model, X, y):
    with cr.no_grad():
        return float((model(cr.tensor(X)).argmax(dim=1).numpy() == y).mean())


# %%
cr.manual_seed(0)
model = MLP()
losses = train(model, X_train, y_train)
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
print(f"train accuracy {accuracy(model, X_train, y_train):.1%}, "
      f"validation accuracy {accuracy(model, X_val, y_val):.1%}")
plt.plot(losses)
plt.xlabel("step")
plt.ylabel("cross-entropy")
plt.title("training loss")
plt.show()

# %%
# TESTS A1
check_classifier(model, X_train, y_train, at_least=0.9)
# BEGIN HIDDEN TESTS
check_classifier(model, X_val, y_val, at_least=0.9)
# END HIDDEN TESTS

# %% [markdown]
# ### A2. One linear layer's backward pass, by hand
# <!-- question A2 points=4 -->
#
# The slides' batched layer in PyTorch's layout: `Z = X @ W.T + b` with `X` of shape
# (B, d_in), `W` of shape (d_out, d_in) (like `nn.Linear.weight`) and `b` of shape
# (d_out,). Given `delta` = g = dL/dZ, of shape (B, d_out), return `(dW, db, dX)`.
# NumPy only; check every shape against the parameter it belongs to: a gradient has its
# weight's shape.

# %%
def linear_backward(X, W, delta):
    """Return (dW, db, dX) for Z = X @ W.T + b, given delta = dL/dZ."""
    # BEGIN SOLUTION
    dW = delta.T @ X  # (d_out, B) @ (B, d_in): every example's outer product δᵢ xᵢᵀ, summed
    db = delta.sum(axis=0)  # b is added to every row, so its gradient sums the rows
    dX = delta @ W  # (B, d_out) @ (d_out, d_in)
    # END SOLUTION
    return dW, db, dX


# %%
# TESTS A2
check_linear_backward(linear_backward)
# BEGIN HIDDEN TESTS
check_linear_backward(linear_backward, seed=1)
check_linear_backward(MyLinear, seed=2)
# END HIDDEN TESTS


# %% [markdown]
# The same backward pass inside a layer object, so the whole network can be checked in
# Part C (nothing to write here):

# %%
class MyLinear(manual.Linear):
    """chainrule.lab.manual.Linear with your backward pass."""

    def backward(self, grad_out):
        dW, db, dX = linear_backward(self.x, self.params["W"], grad_out)
        self.grads["W"], self.grads["b"] = dW, db
        return dX


# %% [markdown]
# ### A3. Softmax cross-entropy, by hand
# <!-- question A3 points=3 -->
#
# For logits of shape (B, C) and integer labels of shape (B,), return the loss (the
# mean over the batch of −log softmax(logits)[i, labels[i]]) and its gradient with
# respect to the logits. Make it survive logits like 1000 (the checker tries them).

# %%
def cross_entropy(logits, labels):
    """Return (loss, dlogits) for the mean softmax cross-entropy."""
    # BEGIN SOLUTION
    B = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)  # log-sum-exp trick: exp never overflows
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(B), labels].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(B), labels] -= 1  # prediction minus target
    dlogits /= B  # the loss is a mean
    # END SOLUTION
    return loss, dlogits


# %%
# TESTS A3
check_cross_entropy(cross_entropy)

# %% [markdown]
# ## Part B · Predict & probe
#
# ### B1. One weight's gradient on a toy network
# <!-- question B1 points=2 -->
#
# The toy network has one input, one sigmoid hidden unit and one sigmoid output,
# trained with binary cross-entropy:
#
# z₁ = w₁·x + b₁, h = σ(z₁), z₂ = w₂·h + b₂, ŷ = σ(z₂), L = −[y log ŷ + (1 − y) log(1 − ŷ)]
#
# with **x = 3, y = 0, w₁ = 0.5, b₁ = 0, w₂ = −1, b₂ = 0**.
#
# **Predict, before running anything:** after the first forward and backward pass,
# is dL/dw₁ positive or negative, and roughly how big (0.001? 0.01? 0.1? 1?)?
# Reason from the chain rule; a calculator for σ is fine. Your reasoning:
#
# BEGIN SOLUTION
# Backwards from the loss: δ₂ = dL/dz₂ = ŷ − y, and ŷ = σ(−σ(1.5)) ≈ σ(−0.82) ≈ 0.31, so
# δ₂ ≈ +0.31 (the output is above its target 0). It reaches h through w₂ = −1, which flips
# the sign: dL/dh ≈ −0.31. The sigmoid's slope σ'(1.5) = h(1 − h) ≈ 0.82 · 0.18 ≈ 0.15 is
# positive, and so is x = 3. So dL/dw₁ ≈ 0.31 · (−1) · 0.15 · 3 ≈ −0.14: **negative, about 0.1**.
# END SOLUTION

# %%
# BEGIN SOLUTION: my_sign, my_magnitude = ..., ...  # e.g. "+", 0.5
my_sign, my_magnitude = "-", 0.14
# END SOLUTION
check_gradient_prediction("w1", my_sign, my_magnitude)  # stores your guess; shows no answer

# %% [markdown]
# **Reveal:** build the toy network from `Tensor`s (`requires_grad=True` on the four
# parameters; the numbers are in `TOY`), run forward and backward, and print `w1.grad`.
# Then take one SGD step (η = 0.5) on all four parameters and print `w1.grad` after the
# next backward pass. Before you run it: will |dL/dw₁| be larger or smaller after the step?

# %%
# BEGIN SOLUTION: # your code here
params = {k: cr.tensor(getattr(TOY, k), dtype=cr.float64, requires_grad=True) for k in ("w1", "b1", "w2", "b2")}
toy_opt = optim.SGD(params.values(), lr=TOY.lr)


def toy_loss():
    h = (params["w1"] * TOY.x + params["b1"]).sigmoid()
    y_hat = (params["w2"] * h + params["b2"]).sigmoid()
    return F.binary_cross_entropy(y_hat, cr.tensor(TOY.y, dtype=cr.float64))


toy_loss().backward()
print(f"first backward:          dL/dw1 = {params['w1'].grad.item():+.4f}")
toy_opt.step()
toy_opt.zero_grad()  # without this the next backward would add to the old gradient
toy_loss().backward()
print(f"after one step (η = 0.5): dL/dw1 = {params['w1'].grad.item():+.4f}")
# END SOLUTION

# %% [markdown]
# Now compare: your stored prediction against what the engine computes.

# %%
# TESTS B1
reveal_prediction("w1", net=TOY)

# %% [markdown]
# ### B2. What if the nonlinearity is removed?
# <!-- question B2 points=2 manual -->
#
# **Predict:** replace every ReLU of your MLP by the identity (`activation=nn.Identity`).
# How will training and validation accuracy change on the moons? On two concentric
# circles (`make_circles`)? Why? Your prediction:
#
# BEGIN SOLUTION
# Without an activation the three linear layers compose into one linear map,
# W₃(W₂(W₁x + b₁) + b₂) + b₃ = W_eff x + b_eff, so the model is logistic regression and its
# decision boundary is a straight line. The moons are almost separable by a line, so it
# still gets roughly 85–90% but no more, and its loss stalls well above the ReLU model's. On
# the circles no line helps: about 50%, chance level. Depth adds nothing without the
# nonlinearity.
# END SOLUTION

# %% [markdown]
# **Probe:** train both versions on both data sets and compare (reuse `MLP`, `train` and
# `accuracy`). Then show the collapse: multiply out the linear model's three layers into
# one `W_eff`, `b_eff` and check that it gives the same logits.

# %%
# BEGIN SOLUTION: # your code here
X_c, y_c = make_circles(400, noise=0.1, seed=0)
tasks = {"moons": (X_train, y_train, X_val, y_val), "circles": (X_c[:300], y_c[:300], X_c[300:], y_c[300:])}
for task, (Xt, yt, Xv, yv) in tasks.items():
    for name, activation in (("ReLU", nn.ReLU), ("no nonlinearity", nn.Identity)):
        cr.manual_seed(0)
        m = MLP(activation=activation)
        task_losses = train(m, Xt, yt)
        print(f"{task:8s} {name:16s} final loss {task_losses[-1]:.3f}, "
              f"validation accuracy {accuracy(m, Xv, yv):.1%}")

linear_model = m  # the last one trained: circles, no nonlinearity
W_eff, b_eff = np.eye(2), np.zeros(2)
for layer in linear_model.net:
    if isinstance(layer, nn.Linear):  # PyTorch layout: y = x Wᵀ + b
        W = layer.weight.numpy()
        W_eff, b_eff = W @ W_eff, W @ b_eff + layer.bias.numpy()
with cr.no_grad():
    logits = linear_model(cr.tensor(X_val)).numpy()
print("one linear layer gives the same logits:", np.allclose(logits, X_val @ W_eff.T + b_eff, atol=1e-4))
# END SOLUTION

# %% [markdown]
# ## Part C · Explain & defend
#
# ### C1. Your hand gradient against autograd
# <!-- question C1 points=2 -->
#
# First the toy network: write dL/dw₁ as arithmetic on the toy's numbers (your Part B
# derivation), and compare it with autograd.

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# BEGIN SOLUTION: hand_dw1 = ...  # arithmetic on TOY.x, TOY.w1, ... following the chain rule
h = sigmoid(TOY.w1 * TOY.x + TOY.b1)
delta2 = sigmoid(TOY.w2 * h + TOY.b2) - TOY.y  # BCE + sigmoid: dL/dz2 = y_hat - y
hand_dw1 = delta2 * TOY.w2 * h * (1 - h) * TOY.x
# END SOLUTION
autograd_dw1 = toy_gradients()["w1"]
if hand_dw1 is ...:
    print("write hand_dw1 first")
else:
    print(f"hand {hand_dw1:+.12f}\nautograd {autograd_dw1:+.12f}\n|difference| {abs(hand_dw1 - autograd_dw1):.1e}")

# %%
# TESTS C1
check_value("hand_dw1", hand_dw1, engine_gradients(net=TOY)["w1"])

# %% [markdown]
# Now your `linear_backward` inside a whole network: `compare_gradients` computes every
# parameter's gradient with your backward pass, with autograd, with finite differences
# and (when installed) with PyTorch, in float64 and then in float32.

# %%
def small_net(dtype, seed=0):
    rng = np.random.default_rng(seed)
    # W is (d_out, d_in), as in nn.Linear
    return manual.Sequential(MyLinear(rng.normal(size=(8, 2)).astype(dtype), np.zeros(8, dtype)), manual.ReLU(),
                             MyLinear(rng.normal(size=(2, 8)).astype(dtype), np.zeros(2, dtype)))


for dtype in (np.float64, np.float32):
    report = cr.compare_gradients(small_net(dtype), manual.SoftmaxCrossEntropy(), X_train[:16], y_train[:16])
    print("\n".join(str(report).splitlines()[:7]), "\n")

# %% [markdown]
# <!-- question C2 points=2 manual -->
# **Explain:** do your gradients agree with autograd within tolerance, in float64 and in
# float32? Where the numbers differ, why, and why is that not a bug?
#
# BEGIN SOLUTION
# Yes. In float64 the hand, autograd and PyTorch gradients agree to about 1e-16 relative
# (a few rounding errors: the same sums done in a different order), and finite differences
# to about 1e-9 (their own truncation and rounding error). In float32 the differences grow to
# about 1e-7 because float32 keeps only ~7 significant digits; that is why a float32
# comparison is judged at 1e-3 and a float64 one at 1e-6. A real bug (a transpose, a missing
# sum) shows up as a difference of order 1, not 1e-7.
# END SOLUTION

# %% [markdown]
# ### C3. What each gradient tells its weight to do
#
# SGD updates every parameter by θ ← θ − η · dL/dθ. For the toy network:

# %%
grads = toy_gradients()
for k in ("w1", "b1", "w2", "b2"):
    print(f"dL/d{k} = {grads[k]:+.4f}  ->  SGD changes {k} by {-TOY.lr * grads[k]:+.4f}")

# %% [markdown]
# <!-- question C3 points=3 manual -->
# **Explain in plain words** what each of these four gradients tells its weight to do,
# and why w₁'s gradient is smaller than w₂'s.
#
# BEGIN SOLUTION
# The output ŷ ≈ 0.31 is too high for the target 0, so every gradient asks for a lower ŷ.
# dL/db₂ > 0 and dL/dw₂ > 0: lower the output bias, and make w₂ more negative, since h is
# positive and more of it, times a negative w₂, lowers ŷ. dL/dw₁ < 0 and dL/db₁ < 0: *raise*
# w₁ and b₁, because a larger h passes through the negative w₂ and lowers ŷ. The size says
# how much the loss changes per unit change of the weight. w₁'s gradient is smaller because
# its signal passes the hidden sigmoid, whose slope here is only 0.15 (at most 0.25), although
# the input x = 3 makes up for part of it.
# END SOLUTION
