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
# # Live demo: predict, then run
#
# The lecture's 30-minute demo (2:05–2:35). Each **Predict** cell is a question for the
# class: read it out, collect answers, and only then run the cell below it.
#
# 1. The course example: three gradients by the chain rule.
# 2. A second `backward()` without `zero_grad()`.
# 3. `zero_grad()`, then the same backward again.
# 4. An MLP with `nn.Module`: `.grad` before a backward, after it, after `zero_grad()`.
# 5. A hand-derived gradient against autograd (and against finite differences).
# 6. The course example's graph and its backprop trace: the chain rule, node by node.
# 7. Two of the lecture's demos, with their figures inline.
#
# `chainrule` has PyTorch's names: read `Tensor` as `torch.tensor`, `nn` as `torch.nn`.

# %%
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import Value, draw_graph, explain, nn, optim
from chainrule.data import make_moons

# %% [markdown]
# ## 1. The course example
#
# z = w·x, a = z + b, L = (a − 5)², with x = 2, w = 3, b = 1.
#
# **Predict:** dL/dw, dL/dx and dL/db.

# %%
x = cr.tensor([2.0], requires_grad=True)
w = cr.tensor([3.0], requires_grad=True)
b = cr.tensor([1.0], requires_grad=True)
L = (w * x + b - 5.0) ** 2  # the forward pass records the graph
L.backward(retain_graph=True)  # keep the graph: we backpropagate through it again below
print(f"L = {L.item():g}")
print(f"dL/dw = {w.grad.item():g}   (2(a − 5)·x)")
print(f"dL/dx = {x.grad.item():g}  (2(a − 5)·w)")
print(f"dL/db = {b.grad.item():g}   (2(a − 5)·1)")

# %% [markdown]
# ## 2. A second backward, no `zero_grad()`
#
# **Predict:** we call `L.backward()` once more on the same graph without clearing
# anything. What is `w.grad` now: 8, 16, 0, or an error?

# %%
first = w.grad.item()
L.backward(retain_graph=True)
print(f"w.grad after the second backward: {w.grad.item():g} (= 2 x {first:g})")

# %% [markdown]
# Gradients **accumulate**: `backward()` adds into `.grad` and never overwrites it. That
# is what lets a weight used twice receive the sum of both paths, and it is why a training
# loop calls `zero_grad()` every step: forget it and step k uses k times the gradient.
# (As in PyTorch, a second backward needs `retain_graph=True` on the first; without it
# the graph's saved values are freed and the second call raises an error.)
#
# ## 3. `zero_grad()`, then backward again
#
# **Predict:** we clear the gradients, then backpropagate once more. `w.grad` = ?

# %%
for t in (w, x, b):
    t.grad = None  # what optimizer.zero_grad() does to every parameter
L.backward()
print(f"w.grad after zeroing and one more backward: {w.grad.item():g}")

# %% [markdown]
# ## 4. An MLP with `nn.Module`
#
# The slides' pattern: layers in `__init__`, the computation in `forward`, and calling
# the module runs `forward`. A small one for the two-moons data.


# %%
class MLP(nn.Module):
    def __init__(self, d_in=2, d_hidden=16, d_out=2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, d_hidden),
            nn.ReLU(),
            nn.Linear(d_hidden, d_out),  # raw logits: cross_entropy applies the softmax
        )

    def forward(self, x):
        return self.net(x)


cr.manual_seed(0)
model = MLP()
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()), "= (2·16 + 16) + (16·2 + 2)")

# %% [markdown]
# **Predict:** before any backward pass, what is `model.net[0].weight.grad`?

# %%
print("before backward:", model.net[0].weight.grad)

# %% [markdown]
# One forward and backward pass on a batch of 64 points:

# %%
X, y = make_moons(64, noise=0.1, seed=0)
loss = F.cross_entropy(model(cr.tensor(X)), cr.tensor(y))
loss.backward()
g = model.net[0].weight.grad
print(f"loss {loss.item():.4f}")
print(
    f"after backward: grad shape {tuple(g.shape)} (= weight shape {tuple(model.net[0].weight.shape)}), "
    f"norm {np.linalg.norm(g.numpy()):.4f}"
)

# %% [markdown]
# **Predict:** after `optimizer.zero_grad()`, what is in `.grad`: zeros, or something else?

# %%
opt = optim.SGD(model.parameters(), lr=0.1)
opt.zero_grad()
print("after zero_grad:", model.net[0].weight.grad)

# %% [markdown]
# `None`, as in PyTorch 2: `zero_grad(set_to_none=True)` is the default, which frees the
# memory and makes the next backward *assign* instead of add. `set_to_none=False` fills
# zeros instead. Either way, the next step starts clean.
#
# ## 5. A hand-derived gradient against autograd
#
# The slides' linear-layer example: z = W x, upstream gradient δ = dL/dz. By hand,
# dL/dW = δ xᵀ (an outer product).
#
# **Predict:** with x = [2, 3] and δ = [0.5, −0.1], what is dL/dW?

# %%
x_in = np.array([2.0, 3.0])
W = cr.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=cr.float64, requires_grad=True)
delta = np.array([0.5, -0.1])
z = W @ cr.tensor(x_in)
(z * cr.tensor(delta)).sum().backward()  # a loss whose dL/dz is exactly δ
hand = np.outer(delta, x_in)  # δ xᵀ
print("hand:\n", hand)
print("autograd:\n", W.grad.numpy())
print(f"max |hand - autograd| = {np.abs(hand - W.grad.numpy()).max():.1e}")

# %% [markdown]
# The lecture's other sanity check: finite differences. `gradcheck` nudges every entry
# of W by ±1e-6 and compares (W·x)'s change with autograd's Jacobian, in float64.

# %%
print(
    "gradcheck passes:",
    cr.gradcheck(lambda W: (W @ cr.tensor(x_in) * cr.tensor(delta)).sum(), (W,)),
)

# %% [markdown]
# ## 6. The graph, and backprop as the chain rule on it
#
# The course example again, with scalar `Value`s so every node is drawn.
#
# **Predict:** walking back from L, what does each node pass to its inputs?

# %%
xs, ws, bs = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
zs = ws * xs
zs.label = "z"
a_s = zs + bs
a_s.label = "a"
r = a_s - 5
r.label = "a - 5"
Ls = r**2
Ls.label = "L"
Ls.backward()
trace = explain(Ls)  # reads the graph: the step table of that backward pass
draw_graph(Ls)  # shows itself as SVG (no file, no magic)

# %%
print(trace)

# %% [markdown]
# Every row is the same rule, **downstream = upstream × local**: backpropagation is not a
# separate algorithm, it is the chain rule applied node by node from the loss back to the
# leaves. Autograd only records the graph during the forward pass so it can do this for us.
#
# Projected in a lecture hall, the same graph reads better top to bottom:

# %%
draw_graph(Ls, rankdir="TB")

# %% [markdown]
# ## 7. The lecture's demos, run in the notebook
#
# Each demo states a claim from the lecture, measures it and gives a verdict; as the last
# line of a cell it shows itself: claim, verdict, the key numbers and its figure.
#
# **Predict:** after two `backward()` calls with no `zero_grad()` between them, by what
# factor has every entry of `.grad` changed?

# %%
from chainrule.demos import grad_accumulation, softmax_ce_gradient

grad_accumulation()

# %% [markdown]
# **Predict:** for softmax followed by cross-entropy, which logit's gradient is negative
# (pushed up by gradient descent), and which are positive?

# %%
softmax_ce_gradient().figure()
