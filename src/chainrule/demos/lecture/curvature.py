"""Curvature: Hessian-vector products, the top eigenvalue λ_max, and the step size 2/λ_max.

Gradient descent on a quadratic with curvature λ multiplies the error along that direction by
(1 − ηλ) each step: it converges iff η < 2/λ. So the Hessian's largest eigenvalue sets the
largest stable learning rate. The Hessian never needs to be built: a Hessian-vector product
H u costs about two gradients (the gradient, recorded with create_graph, then one more
backward pass), and power iteration on H u finds λ_max.

Measured on the course's 2-1-1 sigmoid network (4 parameters), on a small MLP (compared with
the full Hessian's eigenvalues), and a gradient-descent run on a least-squares problem (where
the Hessian is constant) just below and just above 2/λ_max.
"""

from __future__ import annotations

import numpy as np

from chainrule._tensor import as_tensor
from chainrule.autograd import functional as AF
from chainrule.demos._plot import figure
from chainrule.demos._result import DemoResult, Verdict
from chainrule.demos.lecture.backprop_by_hand import START, X, Y
from chainrule.nn import functional as F

CLAIM = (
    "Hessian-vector products (two backward passes each) find λ_max by power iteration, "
    "and gradient descent is stable just below η = 2/λ_max and diverges just above it."
)


def power_iteration(f, theta: np.ndarray, steps: int = 100, seed: int = 0) -> tuple[float, int]:
    """λ_max of f's Hessian at theta from H u products alone: (eigenvalue, products used)."""
    u = np.random.default_rng(seed).standard_normal(theta.size)
    u /= np.linalg.norm(u)
    lam = 0.0
    for k in range(steps):
        _, hu = AF.hvp(f, as_tensor(theta), as_tensor(u))
        hu = hu.numpy()
        new = float(u @ hu)  # the Rayleigh quotient uᵀHu
        u = hu / np.linalg.norm(hu)
        if k > 5 and abs(new - lam) <= 1e-12 * abs(new):
            return new, k + 1
        lam = new
    return lam, steps


def course_network_loss(theta):
    """The slides' 2-1-1 network (x = 0.5, y = 1) as a function of (w1, b1, w2, b2)."""
    w1, b1, w2, b2 = theta[0], theta[1], theta[2], theta[3]
    y_hat = ((w1 * X + b1).sigmoid() * w2 + b2).sigmoid()
    return F.binary_cross_entropy(y_hat, as_tensor(np.float64(Y)))


def mlp_loss(x: np.ndarray, y: np.ndarray, sizes: tuple[int, ...]):
    """A tanh MLP's mean squared error as a function of one flat parameter vector."""
    shapes = [((n_out, n_in), (n_out,)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    xs, ys = as_tensor(x), as_tensor(y)

    def loss(theta):
        h, start = xs, 0
        for i, (ws, bs) in enumerate(shapes):
            w = theta[start : start + ws[0] * ws[1]].reshape(ws)
            start += ws[0] * ws[1]
            b = theta[start : start + bs[0]]
            start += bs[0]
            h = F.linear(h, w, b)
            if i < len(shapes) - 1:
                h = h.tanh()
        return F.mse_loss(h, ys)

    n = sum(a * b + a for (a, b), _ in shapes)
    return loss, n


def gradient_descent(a: np.ndarray, b: np.ndarray, lr: float, steps: int) -> list[float]:
    """Full-batch gradient descent on L(w) = ‖Aw − b‖²/n from w = 0: the loss at each step."""
    w = np.zeros(a.shape[1])
    losses = []
    for _ in range(steps):
        wt = as_tensor(w).requires_grad_()
        loss = ((as_tensor(a) @ wt - as_tensor(b)) ** 2).mean()
        loss.backward()
        losses.append(float(loss))
        w = w - lr * wt.grad.numpy()
    return losses


def curvature(seed: int = 0, quick: bool = False) -> DemoResult:
    """λ_max by power iteration on two networks, then GD at 0.9·2/λ_max and 1.1·2/λ_max."""
    rng = np.random.default_rng(seed)
    theta_course = np.array([START["w1"], START["b1"], START["w2"], START["b2"]])
    lam_course, used_course = power_iteration(course_network_loss, theta_course)
    exact_course = np.linalg.eigvalsh(
        AF.hessian(course_network_loss, as_tensor(theta_course)).numpy()
    )

    sizes = (2, 6, 1) if quick else (2, 16, 1)
    x = rng.standard_normal((32, 2))
    y = np.sin(x[:, :1]) + 0.1 * rng.standard_normal((32, 1))
    loss, n = mlp_loss(x, y, sizes)
    theta = rng.standard_normal(n) * 0.5
    lam_mlp, used_mlp = power_iteration(loss, theta)
    exact_mlp = np.linalg.eigvalsh(AF.hessian(loss, as_tensor(theta)).numpy())

    a = rng.standard_normal((64, 5)) * np.array([2.0, 1.5, 1.2, 1.0, 0.8])
    b = a @ rng.standard_normal(5)
    quadratic = lambda w: ((as_tensor(a) @ w - as_tensor(b)) ** 2).mean()  # noqa: E731
    lam_q, _ = power_iteration(quadratic, np.zeros(5))
    steps = 60 if quick else 200
    below = gradient_descent(a, b, 0.9 * 2 / lam_q, steps)
    above = gradient_descent(a, b, 1.1 * 2 / lam_q, steps)

    def rel(lam, exact):
        return abs(lam - exact[-1]) / abs(exact[-1])

    measured = {
        "course_lambda_max": lam_course,
        "course_hessian_eigenvalues": exact_course,
        "course_hvp_products": used_course,
        "course_max_stable_lr": 2 / lam_course,
        "mlp_parameters": n,
        "mlp_lambda_max": lam_mlp,
        "mlp_lambda_max_exact": float(exact_mlp[-1]),
        "mlp_hvp_products": used_mlp,
        "mlp_max_stable_lr": 2 / lam_mlp,
        "quadratic_lambda_max": lam_q,
        "loss_below": below,
        "loss_above": above,
    }
    # (power iteration finds the eigenvalue of largest |λ|; a non-convex point's could be < 0)
    holds = (
        rel(lam_course, exact_course) < 1e-6
        and rel(lam_mlp, exact_mlp) < 1e-4
        and below[-1] < 1e-3 * below[0]
        and above[-1] > above[0]
    )

    def draw():
        fig, axes = figure(ncols=2, width=4.2)
        axes[0].semilogy(below, label="η = 0.9 · 2/λ_max")
        axes[0].semilogy(above, label="η = 1.1 · 2/λ_max")
        axes[0].set_xlabel("step")
        axes[0].set_ylabel("loss")
        axes[0].set_title("least squares: the 2/λ_max threshold")
        axes[0].legend()
        axes[1].plot(exact_mlp, "o", label="eigenvalues of H (full Hessian)")
        axes[1].axhline(lam_mlp, color="C3", label=f"power iteration: {lam_mlp:.3g}")
        axes[1].set_xlabel("index")
        axes[1].set_title(f"MLP {sizes}: {n} parameters")
        # Head-room above the λ_max line, so the legend sits over it instead of on it.
        low, high = axes[1].get_ylim()
        axes[1].set_ylim(low, high + 0.6 * (high - low))
        axes[1].legend(loc="upper left")
        return fig

    return DemoResult(
        "curvature",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"power iteration gives λ_max = {lam_course:.4g} on the course network "
            f"({used_course} H·u products; full Hessian {exact_course[-1]:.4g}) and "
            f"{lam_mlp:.4g} on the MLP (full Hessian {exact_mlp[-1]:.4g}); on least squares GD "
            f"at 0.9·2/λ_max goes from {below[0]:.3g} to {below[-1]:.1e} and at 1.1·2/λ_max "
            f"grows to {above[-1]:.3g}.",
        ),
        headline=[
            "course_lambda_max",
            "mlp_lambda_max",
            "mlp_lambda_max_exact",
            "quadratic_lambda_max",
        ],
        figures={"curvature": draw},
    )
