"""The course's worked numbers, recomputed with the tensor engine.

Sources: the MLP lecture slides (Part 3: losses and backprop, Part 5: the training loop, and the
practice problems) and the "autograd from scratch" notes.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import maximum, tensor
from chainrule.nn import functional as F


def t(values, requires_grad=False):
    return tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ---- Part 2: forward passes ------------------------------------------------------------------


def test_one_neuron_forward_pass():
    # x = [0.5, -1.0], w = [0.8, 0.2], b = 0.1: z = 0.3, σ(0.3) ≈ 0.574
    x, w, b = t([0.5, -1.0]), t([0.8, 0.2]), t(0.1)
    z = x @ w + b
    assert z.item() == pytest.approx(0.3)
    assert z.sigmoid().item() == pytest.approx(0.574, abs=5e-4)


def test_two_linear_layers_collapse_to_one():
    x = t([2.0, 3.0])
    w1, b1 = t([[1.0, 0.0], [0.0, 1.0]]), t([1.0, 0.0])
    w2, b2 = t([[2.0, 1.0], [1.0, 2.0]]), t([0.0, 1.0])
    h = F.linear(x, w1, b1)
    assert h.tolist() == [3.0, 3.0]
    y = F.linear(h, w2, b2)
    assert y.tolist() == [9.0, 10.0]
    w_eff, b_eff = w2 @ w1, w2 @ b1 + b2
    assert b_eff.tolist() == [2.0, 2.0]
    assert (w_eff @ x + b_eff).tolist() == [9.0, 10.0]


def test_xor_by_hand_with_two_relu_units():
    w1, b1 = t([[1.0, 1.0], [1.0, 1.0]]), t([0.0, -1.0])
    w2, b2 = t([1.0, -2.0]), t(0.0)
    x = t([[0, 0], [0, 1], [1, 0], [1, 1]])
    h = F.relu(F.linear(x, w1, b1))
    assert h.tolist() == [[0, 0], [1, 0], [1, 0], [2, 1]]
    assert (h @ w2 + b2).tolist() == [0.0, 1.0, 1.0, 0.0]


# ---- Part 3: softmax and cross-entropy ---------------------------------------------------------


def test_softmax_of_2_1_01():
    p = t([2.0, 1.0, 0.1]).softmax(dim=0)
    np.testing.assert_allclose(p.numpy(), [0.66, 0.24, 0.10], atol=0.005)
    assert p.sum().item() == pytest.approx(1.0)


def test_cross_entropy_gradient_is_prediction_minus_target():
    # z = [2.0, 1.0, 0.1], true class 0: dL/dz = ŷ − y ≈ [−0.34, 0.24, 0.10]
    z = t([[2.0, 1.0, 0.1]], requires_grad=True)
    F.cross_entropy(z, tensor([0])).backward()
    np.testing.assert_allclose(z.grad.numpy()[0], [-0.34, 0.24, 0.10], atol=0.005)
    assert np.all(np.abs(z.grad.numpy()) <= 1)  # bounded per logit


def test_cross_entropy_scores_from_the_slide():
    # true class 0: −log 0.70 = 0.36, −log 0.99 = 0.01; class 1: −log 0.20 = 1.61, −log 0.005 = 5.30
    for probs, label, expected in [
        ([0.70, 0.20, 0.10], 0, 0.36),
        ([0.99, 0.005, 0.005], 0, 0.01),
        ([0.70, 0.20, 0.10], 1, 1.61),
        ([0.99, 0.005, 0.005], 1, 5.30),
    ]:
        loss = F.nll_loss(t([probs]).log(), tensor([label]))
        assert loss.item() == pytest.approx(expected, abs=0.005)


def test_practice_problem_p4_logits_3_1_minus1():
    z = t([[3.0, 1.0, -1.0]], requires_grad=True)
    p = z.softmax(dim=1)
    np.testing.assert_allclose(p.numpy()[0], [0.8668, 0.1173, 0.0159], atol=5e-5)  # (a)
    loss = F.cross_entropy(z, tensor([0]))
    assert loss.item() == pytest.approx(0.1429, abs=5e-5)  # (b) −log 0.8668
    loss.backward()
    np.testing.assert_allclose(z.grad.numpy()[0], [-0.1332, 0.1173, 0.0159], atol=5e-5)  # (c)


# ---- Part 3: the linear-layer backward pass ----------------------------------------------------


def test_linear_layer_backward_worked_example():
    # x = [2, 3], W = [[0.1, 0.2], [0.3, 0.4]], upstream δ = [0.5, −0.1]
    x = t([2.0, 3.0], requires_grad=True)
    w = t([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    b = t([0.0, 0.0], requires_grad=True)
    z = F.linear(x, w, b)  # z = W x + b
    z.backward(gradient=t([0.5, -0.1]))
    np.testing.assert_allclose(w.grad.numpy(), [[1.0, 1.5], [-0.2, -0.3]])  # δ xᵀ
    np.testing.assert_allclose(b.grad.numpy(), [0.5, -0.1])  # δ
    np.testing.assert_allclose(x.grad.numpy(), [0.02, 0.06])  # Wᵀ δ


def test_linear_layer_backward_worked_example_with_matmul():
    x = t([2.0, 3.0], requires_grad=True)
    w = t([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    (w @ x).backward(gradient=t([0.5, -0.1]))
    np.testing.assert_allclose(w.grad.numpy(), [[1.0, 1.5], [-0.2, -0.3]])
    np.testing.assert_allclose(x.grad.numpy(), [0.02, 0.06])


def test_batched_linear_backward_rules():
    # dL/dW = gᵀ X (torch layout: W is (out, in)), dL/db = Σ_batch g, dL/dX = g W
    rng = np.random.default_rng(0)
    x = tensor(rng.standard_normal((64, 5)), requires_grad=True)
    w = tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b = tensor(rng.standard_normal(3), requires_grad=True)
    delta = rng.standard_normal((64, 3))
    F.linear(x, w, b).backward(gradient=tensor(delta))
    np.testing.assert_allclose(w.grad.numpy(), delta.T @ x.numpy())
    np.testing.assert_allclose(b.grad.numpy(), delta.sum(axis=0))
    np.testing.assert_allclose(x.grad.numpy(), delta @ w.numpy())


# ---- End-to-end 2-1-1 sigmoid network, one SGD step ------------------------------------------


def test_two_layer_sigmoid_network_one_step():
    # Slide: x = 0.5, y = 1, w1 = 0.4, b1 = 0, w2 = 0.6, b2 = 0, η = 0.5, and the update touches
    # the weights only. Erratum: the slide prints L ≈ 0.5414, but −log 0.5817 = 0.5417; and after
    # the step it prints ŷ ≈ 0.5959, L ≈ 0.5176, where w1 = 0.4156, w2 = 0.7150 give
    # ŷ = 0.5974, L = 0.5152. Every intermediate (h, ŷ, δs, gradients, new weights) matches.
    x, y, lr = t(0.5), t(1.0), 0.5
    w1, b1 = t(0.4, True), t(0.0, True)
    w2, b2 = t(0.6, True), t(0.0, True)

    def forward():
        h = (w1 * x + b1).sigmoid()
        return h, (w2 * h + b2).sigmoid()

    h, y_hat = forward()
    assert h.item() == pytest.approx(0.5498, abs=5e-5)
    assert y_hat.item() == pytest.approx(0.5817, abs=5e-5)
    loss = F.binary_cross_entropy(y_hat, y)
    assert loss.item() == pytest.approx(-np.log(0.581735142), abs=1e-9)  # 0.5417 (slide: 0.5414)
    loss.backward()
    assert w2.grad.item() == pytest.approx(-0.2300, abs=5e-5)
    assert w1.grad.item() == pytest.approx(-0.0311, abs=5e-5)
    for p in (w1, w2):
        p.data -= lr * p.grad.data
    assert w1.item() == pytest.approx(0.4156, abs=1e-4)  # 0.41553; the slide rounds δ first
    assert w2.item() == pytest.approx(0.7150, abs=5e-5)
    _, y_hat_1 = forward()
    loss_1 = F.binary_cross_entropy(y_hat_1, y)
    assert y_hat_1.item() == pytest.approx(0.5974, abs=5e-5)  # slide: 0.5959
    assert loss_1.item() == pytest.approx(0.5152, abs=5e-5)  # slide: 0.5176
    assert loss_1.item() < loss.item()  # "loss dropped", as the slide says


def test_bce_with_logits_gives_the_same_step():
    # The BCE + sigmoid identity: dL/dz₂ = ŷ − y, without ever forming ŷ.
    z2 = t(0.6 * 0.549833997312478, True)
    F.binary_cross_entropy_with_logits(z2, t(1.0)).backward()
    assert z2.grad.item() == pytest.approx(0.5817 - 1, abs=5e-5)


def test_sigmoid_derivative_peaks_at_a_quarter():
    z = t([0.0, 3.0, -3.0], requires_grad=True)
    z.sigmoid().sum().backward()
    assert z.grad.numpy()[0] == pytest.approx(0.25)
    assert np.all(z.grad.numpy()[1:] <= 0.046)


# ---- Part 5 and the lesson plan: gradients accumulate -----------------------------------------


def test_second_backward_without_zero_grad_doubles_grad():
    w = t([0.8, 0.2], True)
    loss = ((t([0.5, -1.0]) * w).sum() + 0.1).sigmoid()
    loss.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)
    w.grad.zero_()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), first)


# ---- The autograd notes -----------------------------------------------------------------------


def test_pytorch_style_example_from_the_notes():
    # z = w x, a = z + b, L = (a − 5)²: dL/dw = 8, dL/dx = 12, dL/db = 4
    x, w, b = t([2.0], True), t([3.0], True), t([1.0], True)
    loss = (w * x + b - 5.0) ** 2
    loss.backward()
    assert (w.grad.item(), x.grad.item(), b.grad.item()) == (8.0, 12.0, 4.0)


def test_hand_backprop_exercise_from_the_notes():
    # x = 2, w1 = 3, w2 = −1, b = 0.5: L = (w2 · relu(w1 x + b))² = 42.25
    x, w1, w2, b = t(2.0), t(3.0, True), t(-1.0, True), t(0.5, True)
    loss = (w2 * (w1 * x + b).relu()) ** 2
    assert loss.item() == 42.25
    loss.backward()
    assert (w1.grad.item(), w2.grad.item(), b.grad.item()) == (26.0, -84.5, 13.0)


def test_micrograd_comparison_example_from_the_notes():
    x, w, b = t([2.0, 3.0], True), t([0.5, -1.0], True), t([0.1], True)
    a = ((x * w).sum() + b).relu()  # z = 1 − 3 + 0.1 = −1.9, so relu is off
    loss = (a - 1.0) ** 2
    loss.backward()
    assert loss.item() == 1.0
    assert w.grad.tolist() == [0.0, 0.0]


def test_relu_is_max_with_zero():
    z = t([-1.0, 0.5, 2.0], True)
    np.testing.assert_array_equal(maximum(z, 0.0).numpy(), z.relu().numpy())
