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
# The lecture's 30-minute demo (2:05–2:35), run through `chainrule.demos`. Each **Predict**
# cell is a question for the class: read it out, collect answers, and only then run the
# cell below it, which reveals the answer. A demo shows itself as a card: the lecture's
# claim, what was measured, the verdict, and its figure.
#
# 1. The course example: three gradients by the chain rule.
# 2. A second `backward()` without `zero_grad()`, then the `grad-accumulation` demo.
# 3. A training loop that forgets `zero_grad()`: the `zero-grad-bug` demo.
# 4. An MLP with `nn.Module`: `.grad` before a backward, after it, after `zero_grad()`.
# 5. A hand-derived gradient against autograd: the `backprop-by-hand` and
#    `gradient-check` demos, and the slide's linear layer.
# 6. The course example's graph and its backprop trace: the chain rule, node by node.
# 7. Two more of the lecture's claims: the `xor` and `softmax-ce-gradient` demos.
#
# chainrule has PyTorch's names: `import chainrule as torch` and the course's code runs.

# %%
import numpy as np

import chainrule as torch
import chainrule.nn.functional as F
from chainrule import Value, draw_graph, explain, nn, optim
from chainrule.data import make_moons
from chainrule.demos import (
    backprop_by_hand,
    grad_accumulation,
    gradient_check,
    softmax_ce_gradient,
    xor,
    zero_grad_bug,
)

# %% [markdown]
# ## 1. The course example
#
# z = w·x, a = z + b, L = (a − 5)², with x = 2, w = 3, b = 1.
#
# **Predict:** dL/dw, dL/dx and dL/db.

# %%
x = torch.tensor([2.0], requires_grad=True)
w = torch.tensor([3.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)
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
# is what lets a weight used twice receive the sum of both paths. (As in PyTorch, a second
# backward needs `retain_graph=True` on the first; without it the graph's saved values are
# freed and the second call raises an error.)
#
# **Predict:** we clear the gradients, then backpropagate once more. `w.grad` = ?

# %%
for t in (w, x, b):
    t.grad = None  # what optimizer.zero_grad() does to every parameter
L.backward()
print(f"w.grad after zeroing and one more backward: {w.grad.item():g}")

# %% [markdown]
# **Predict:** the same experiment on a whole MLP. After two `backward()` calls with no
# `zero_grad()` between them, by what factor has *every* entry of `.grad` changed? And
# after `zero_grad()`, what is in `.grad`?

# %%
grad_accumulation()

# %% [markdown]
# ## 3. A training loop that forgets `zero_grad()`
#
# **Predict:** two identical training runs, one of which never calls `zero_grad()`. Does
# the forgetful one train slower, the same, or go wrong? How large is its `.grad` at the
# end, compared with the correct run's?

# %%
zero_grad_bug()

# %% [markdown]
# After k steps the forgetful run steps with the sum of all k gradients so far: the
# updates grow silently. That is why every training loop calls `zero_grad()` each step.
#
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


torch.manual_seed(0)
model = MLP()
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()), "= (2·16 + 16) + (16·2 + 2)")

# %% [markdown]
# **Predict:** before any backward pass, what is `model.net[0].weight.grad`?

# %%
print("before backward:", model.net[0].weight.grad)

# %% [markdown]
# **Predict:** after one forward and backward pass on a batch of 64 points, what shape
# does `model.net[0].weight.grad` have?

# %%
X, y = make_moons(64, noise=0.1, seed=0)
loss = F.cross_entropy(model(torch.tensor(X)), torch.tensor(y))
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
# The slides' 2-1-1 network: x = 0.5, target 1, w₁ = 0.4, w₂ = 0.6, biases 0, sigmoid
# hidden and output units, binary cross-entropy, one SGD step with η = 0.5.
#
# **Predict:** the signs of dL/dw₁ and dL/dw₂, and which one is larger in magnitude.
# After one step, does the loss go down?

# %%
backprop_by_hand()

# %% [markdown]
# The slides' linear-layer example: z = W x, upstream gradient δ = dL/dz. By hand,
# dL/dW = δ xᵀ (an outer product).
#
# **Predict:** with x = [2, 3] and δ = [0.5, −0.1], what is dL/dW?

# %%
x_in = np.array([2.0, 3.0])
W = torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float64, requires_grad=True)
delta = np.array([0.5, -0.1])
z = W @ torch.tensor(x_in)
(z * torch.tensor(delta)).sum().backward()  # a loss whose dL/dz is exactly δ
hand = np.outer(delta, x_in)  # δ xᵀ
print("hand:\n", hand)
print("autograd:\n", W.grad.numpy())
print(f"max |hand - autograd| = {np.abs(hand - W.grad.numpy()).max():.1e}")

# %% [markdown]
# The lecture's other sanity check: finite differences. `gradcheck` nudges every entry
# of W by ±1e-6 and compares the loss's change with autograd's gradient, in float64.

# %%
print(
    "gradcheck passes:",
    torch.gradcheck(lambda W: (W @ torch.tensor(x_in) * torch.tensor(delta)).sum(), (W,)),
)

# %% [markdown]
# **Predict:** a whole MLP's hand-written backward pass, checked four ways (by hand,
# autograd, finite differences, PyTorch) in float64 and in float32. How close should
# they agree in each precision? And will the check catch a bias gradient divided by the
# batch size twice?

# %%
gradient_check()

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
draw_graph(Ls)  # shows itself as SVG (no file, no magic)

# %% [markdown]
# The same backward pass as a table, one row per step, beside its graph:

# %%
explain(Ls)  # reads the graph; changes no .grad

# %%
print(explain(Ls))

# %% [markdown]
# Every row is the same rule, **downstream = upstream × local**: backpropagation is not a
# separate algorithm, it is the chain rule applied node by node from the loss back to the
# leaves. Autograd only records the graph during the forward pass so it can do this for us.
#
# Projected in a lecture hall, the same graph reads better top to bottom:

# %%
draw_graph(Ls, rankdir="TB")

# %% [markdown]
# ## 7. Two more of the lecture's claims
#
# Why the nonlinearity matters. **Predict:** can a straight line separate XOR's four points? How many hidden ReLU units
# does an MLP need to fit them?

# %%
xor()

# %% [markdown]
# The output layer's gradient. **Predict:** for softmax followed by cross-entropy, which logit's gradient is negative
# (pushed up by gradient descent), and which are positive?

# %%
softmax_ce_gradient()

# %% [markdown]
# Any demo's other figures, or the main one alone, come from `result.figure()`; it too
# shows itself inline:

# %%
softmax_ce_gradient().figure()
