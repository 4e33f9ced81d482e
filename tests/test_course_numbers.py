"""Every worked number in the course files, recomputed by chainrule: one test per number.

Names say where the number appears:

- ``lesson_plan``: 000, the instructor's lesson plan;
- ``slides_part1`` … ``slides_practice``: 002, the lecture slides ("Why Deep Learning?"), by part;
- ``fastai_notes``: 003, the fast.ai lesson notes;
- ``day1_notes``: 004, the "build your own autograd" day.

Where the course and the computation disagree beyond rounding, the test asserts the computed
value and cites the course's; each such case has an entry in ``docs/errata.md``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule import Tensor, Value, manual_seed, nn, tensor
from chainrule.nn import functional as F


def t(values, requires_grad: bool = False) -> Tensor:
    return tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# ---- 000: lesson plan --------------------------------------------------------------------------


def test_lesson_plan_two_backwards_without_zero_grad_give_twice_the_gradient():
    manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    loss = model(tensor(np.ones((2, 3), dtype=np.float32))).sum()
    loss.backward(retain_graph=True)
    once = model[0].weight.grad.numpy().copy()
    loss.backward()
    np.testing.assert_array_equal(model[0].weight.grad.numpy(), 2 * once)


# ---- 002, Part 1: the big picture --------------------------------------------------------------


def test_slides_part1_raw_photo_has_150528_features():
    assert 224 * 224 * 3 == 150_528


def test_slides_part1_alexnet_cut_error_by_about_10_points():
    assert 25.8 - 16.4 == pytest.approx(9.4)  # 2011 winner minus AlexNet: "~10 points"


def test_slides_part1_growth_factors():
    assert 1e15 / 1e8 == pytest.approx(1e7)  # FLOPs per dollar, 1990 -> 2024
    assert round(math.log10(5e12 / 60_000)) == 8  # 60k MNIST digits -> 5T tokens: 8.3e7, "10^8x"


# ---- 002, Part 2: MLP recap ----------------------------------------------------------------------


def test_slides_part2_one_neuron_pre_activation_is_0_3():
    z = t([0.8, 0.2]) @ t([0.5, -1.0]) + 0.1
    assert z.item() == pytest.approx(0.3)


def test_slides_part2_one_neuron_sigmoid_of_0_3_is_0_574():
    assert t(0.3).sigmoid().item() == pytest.approx(0.574, abs=5e-4)  # 0.57444


SLIDE_COLLAPSE = dict(
    x=[2.0, 3.0],
    W1=[[1.0, 0.0], [0.0, 1.0]],
    b1=[1.0, 0.0],
    W2=[[2.0, 1.0], [1.0, 2.0]],
    b2=[0.0, 1.0],
)


def test_slides_part2_collapse_hidden_is_3_3():
    c = {k: t(v) for k, v in SLIDE_COLLAPSE.items()}
    assert (c["W1"] @ c["x"] + c["b1"]).tolist() == [3.0, 3.0]


def test_slides_part2_collapse_two_layers_give_9_10():
    c = {k: t(v) for k, v in SLIDE_COLLAPSE.items()}
    h = c["W1"] @ c["x"] + c["b1"]
    assert (c["W2"] @ h).tolist() == [9.0, 9.0]
    assert (c["W2"] @ h + c["b2"]).tolist() == [9.0, 10.0]


def test_slides_part2_collapse_effective_weight_and_bias():
    c = {k: t(v) for k, v in SLIDE_COLLAPSE.items()}
    assert (c["W2"] @ c["W1"]).tolist() == [[2.0, 1.0], [1.0, 2.0]]
    assert (c["W2"] @ c["b1"]).tolist() == [2.0, 1.0]
    assert (c["W2"] @ c["b1"] + c["b2"]).tolist() == [2.0, 2.0]


def test_slides_part2_collapse_single_layer_gives_the_same_9_10():
    c = {k: t(v) for k, v in SLIDE_COLLAPSE.items()}
    W_eff, b_eff = c["W2"] @ c["W1"], c["W2"] @ c["b1"] + c["b2"]
    assert (W_eff @ c["x"]).tolist() == [7.0, 8.0]
    assert (W_eff @ c["x"] + b_eff).tolist() == [9.0, 10.0]


def test_slides_part2_xor_hand_weights_table():
    W1, b1, w2 = t([[1.0, 1.0], [1.0, 1.0]]), t([0.0, -1.0]), t([1.0, -2.0])
    x = t([[0, 0], [0, 1], [1, 0], [1, 1]])
    pre = F.linear(x, W1, b1)
    assert pre.tolist() == [[0, -1], [1, 0], [1, 0], [2, 1]]
    h = pre.relu()
    assert h.tolist() == [[0, 0], [1, 0], [1, 0], [2, 1]]
    assert (h @ w2 + 0.0).tolist() == [0.0, 1.0, 1.0, 0.0]  # "2 - 2 = 0" in the last row


def test_slides_part2_mnist_mlp_has_269322_parameters():
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    assert n_params(model) == 256 * 784 + 256 + 256 * 256 + 256 + 10 * 256 + 10 == 269_322


def test_slides_part2_gpt3_is_about_6e5_times_larger():
    assert 175e9 / 269_322 == pytest.approx(6.5e5, rel=0.01)  # the slide's "6 × 10^5" truncates 6.5


def test_slides_part2_batch_shapes():
    manual_seed(0)
    X = tensor(np.zeros((64, 784), dtype=np.float32))
    layer1 = nn.Linear(784, 256)
    assert layer1.weight.T.shape == (784, 256)  # the slide's W1 (d_in x d_out) is torch's weight.T
    H1 = layer1(X)
    assert H1.shape == (64, 256)
    assert nn.Linear(256, 10)(H1).shape == (64, 10)


def test_slides_part2_double_softmax_symptom_log_10_is_2_30():
    assert math.log(10) == pytest.approx(2.30, abs=0.005)
    # What the loss starts at with near-zero logits, with or without the bug:
    logits = tensor(np.zeros((4, 10)))
    assert F.cross_entropy(logits, tensor([0, 1, 2, 3])).item() == pytest.approx(math.log(10))
    assert F.cross_entropy(F.softmax(logits, dim=1), tensor([0, 1, 2, 3])).item() == pytest.approx(
        math.log(10)
    )
    # ... but the bug's floor is log(1 + 9/e) = 1.46, not 2.30 (docs/errata.md).
    one_hot = tensor(np.eye(10)[[0]])
    assert F.cross_entropy(F.softmax(one_hot * 1e4, dim=1), tensor([0])).item() == pytest.approx(
        1.4612, abs=1e-4
    )


# ---- 002, Part 3: losses and backprop ------------------------------------------------------------


def test_slides_part3_softmax_exponentials_7_39_2_72_1_11():
    e = t([2.0, 1.0, 0.1]).exp().numpy()
    np.testing.assert_allclose(e, [7.39, 2.72, 1.11], atol=0.005)


def test_slides_part3_softmax_sum_11_22():
    e = t([2.0, 1.0, 0.1]).exp()
    # The exact sum is 11.2125 (11.21); the slide's 11.22 adds the rounded 7.39 + 2.72 + 1.11.
    assert e.sum().item() == pytest.approx(11.2125, abs=1e-4)
    assert 7.39 + 2.72 + 1.11 == pytest.approx(11.22)


def test_slides_part3_softmax_0_66_0_24_0_10():
    p = t([2.0, 1.0, 0.1]).softmax(dim=0).numpy()
    np.testing.assert_allclose(p, [0.66, 0.24, 0.10], atol=0.005)  # exact: 0.6590, 0.2424, 0.0986


@pytest.mark.parametrize(
    "probs, label, course",
    [
        ([0.70, 0.20, 0.10], 0, 0.36),
        ([0.99, 0.005, 0.005], 0, 0.01),
        ([0.70, 0.20, 0.10], 1, 1.61),
        ([0.99, 0.005, 0.005], 1, 5.30),
    ],
    ids=["-log0.70=0.36", "-log0.99=0.01", "-log0.20=1.61", "-log0.005=5.30"],
)
def test_slides_part3_cross_entropy_table(probs, label, course):
    loss = F.nll_loss(t([probs]).log(), tensor([label]))
    assert loss.item() == pytest.approx(course, abs=0.005)


def test_slides_part3_softmax_jacobian_entries_from_the_derivation():
    # ∂ŷ_k/∂z_k = ŷ_k(1 − ŷ_k) and ∂ŷ_j/∂z_k = −ŷ_j ŷ_k, read off autograd one row at a time.
    z0 = np.array([2.0, 1.0, 0.1])
    p = np.exp(z0) / np.exp(z0).sum()
    for j in range(3):
        z = t(z0, requires_grad=True)
        z.softmax(dim=0)[j].backward()
        expected = [p[j] * (1 - p[j]) if k == j else -p[j] * p[k] for k in range(3)]
        np.testing.assert_allclose(z.grad.numpy(), expected, atol=1e-15)


def test_slides_part3_gradient_is_minus_0_34_0_24_0_10():
    z = t([[2.0, 1.0, 0.1]], requires_grad=True)
    F.cross_entropy(z, tensor([0])).backward()
    g = z.grad.numpy()[0]
    np.testing.assert_allclose(g, [-0.34, 0.24, 0.10], atol=0.005)  # exact: −0.3410, 0.2424, 0.0986
    assert np.all(np.abs(g) <= 1)  # "bounded between −1 and 1 per logit"


LINEAR = dict(x=[2.0, 3.0], W=[[0.1, 0.2], [0.3, 0.4]], delta=[0.5, -0.1])


def _linear_backward():
    x, W = t(LINEAR["x"], True), t(LINEAR["W"], True)
    b = t([0.0, 0.0], True)
    (W @ x + b).backward(gradient=t(LINEAR["delta"]))
    return x, W, b


def test_slides_part3_linear_backward_weight_gradient():
    _, W, _ = _linear_backward()
    np.testing.assert_allclose(W.grad.numpy(), [[1.0, 1.5], [-0.2, -0.3]])


def test_slides_part3_linear_backward_bias_gradient():
    _, _, b = _linear_backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.5, -0.1])


def test_slides_part3_linear_backward_input_gradient_0_02_0_06():
    x, _, _ = _linear_backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.02, 0.06], atol=1e-15)


# The 2-1-1 network: x = 0.5, y = 1, w1 = 0.4, b1 = 0, w2 = 0.6, b2 = 0, η = 0.5.
X211, W1, W2, LR = 0.5, 0.4, 0.6, 0.5


def _net211(w1: float, w2: float, b1: float = 0.0, b2: float = 0.0) -> dict[str, Value]:
    v = {"w1": Value(w1), "b1": Value(b1), "w2": Value(w2), "b2": Value(b2)}
    v["z1"] = v["w1"] * X211 + v["b1"]
    v["h"] = v["z1"].sigmoid()
    v["z2"] = v["w2"] * v["h"] + v["b2"]
    v["y_hat"] = v["z2"].sigmoid()
    v["L"] = -v["y_hat"].log()  # BCE with y = 1
    v["L"].backward()
    return v


def test_slides_part3_211_forward_h_z2_yhat():
    v = _net211(W1, W2)
    assert v["z1"].data == pytest.approx(0.2)
    assert v["h"].data == pytest.approx(0.5498, abs=5e-5)
    assert v["z2"].data == pytest.approx(0.3299, abs=5e-5)
    assert v["y_hat"].data == pytest.approx(0.5817, abs=5e-5)


def test_slides_part3_211_loss_is_0_5417_not_0_5414():
    # Erratum: the slide prints L ≈ 0.5414; −log 0.581735 = 0.541740.
    v = _net211(W1, W2)
    assert v["L"].data == pytest.approx(0.541740, abs=1e-6)
    assert abs(v["L"].data - 0.5414) > 3e-4


def test_slides_part3_211_backward_deltas_and_gradients():
    v = _net211(W1, W2)
    assert v["z2"].grad == pytest.approx(-0.4183, abs=5e-5)  # δ2 = ŷ − y
    assert v["w2"].grad == pytest.approx(-0.2300, abs=5e-5)
    assert v["h"].grad == pytest.approx(-0.2510, abs=5e-5)
    assert v["z1"].grad == pytest.approx(-0.0621, abs=5e-5)  # δ1
    assert v["w1"].grad == pytest.approx(-0.0311, abs=5e-5)


def test_slides_part3_211_update_w1_0_4156_w2_0_7150():
    v = _net211(W1, W2)
    assert W1 - LR * v["w1"].grad == pytest.approx(
        0.4156, abs=1e-4
    )  # 0.415529 (slide rounds δ1 first)
    assert W2 - LR * v["w2"].grad == pytest.approx(0.7150, abs=5e-5)


def test_slides_part3_211_after_the_step_yhat_0_5974_L_0_5152_not_0_5959_0_5176():
    # Erratum: with the slide's own update (w1, w2 only) the next forward gives ŷ = 0.597365,
    # L = 0.515227; the slide prints ŷ ≈ 0.5959, L ≈ 0.5176. The rounded weights give the same.
    v = _net211(W1, W2)
    after = _net211(W1 - LR * v["w1"].grad, W2 - LR * v["w2"].grad)
    assert after["y_hat"].data == pytest.approx(0.597365, abs=1e-6)
    assert after["L"].data == pytest.approx(0.515227, abs=1e-6)
    rounded = _net211(0.4156, 0.7150)
    assert rounded["y_hat"].data == pytest.approx(0.5974, abs=5e-5)
    assert after["L"].data < v["L"].data  # "loss dropped" holds


def test_slides_part3_211_step_on_all_four_parameters():
    v = _net211(W1, W2)
    g = {k: v[k].grad for k in ("w1", "b1", "w2", "b2")}
    after = _net211(W1 - LR * g["w1"], W2 - LR * g["w2"], -LR * g["b1"], -LR * g["b2"])
    assert after["L"].data == pytest.approx(0.434268, abs=1e-6)


def test_slides_part3_211_bce_sigmoid_identity_dL_dz2_is_yhat_minus_y():
    z2 = t(0.6 * sigmoid(0.2), True)
    F.binary_cross_entropy_with_logits(z2, t(1.0)).backward()
    assert z2.grad.item() == pytest.approx(sigmoid(0.6 * sigmoid(0.2)) - 1, abs=1e-15)


def test_slides_part3_batched_linear_rules():
    rng = np.random.default_rng(0)
    X, W, b = (t(rng.normal(size=s), True) for s in [(8, 5), (5, 3), (3,)])
    Delta = rng.normal(size=(8, 3))
    (X @ W + b).backward(gradient=t(Delta))
    np.testing.assert_allclose(W.grad.numpy(), X.numpy().T @ Delta)  # Xᵀ g
    np.testing.assert_allclose(b.grad.numpy(), Delta.sum(axis=0))  # Σᵢ gᵢ
    np.testing.assert_allclose(X.grad.numpy(), Delta @ W.numpy().T)  # g Wᵀ


# ---- 002, Part 4: why go deep ------------------------------------------------------------------


def test_slides_part4_sigmoid_derivative_peaks_at_0_25():
    z = t(0.0, True)
    z.sigmoid().backward()
    assert z.grad.item() == 0.25


def test_slides_part4_sigmoid_derivative_at_3_is_0_045():
    # "For |z| ≥ 3, σ'(z) ≤ 0.045": σ'(3) = 0.045177, so "≤ 0.045" holds only after rounding.
    z = t([3.0, -3.0, 5.0], True)
    z.sigmoid().sum().backward()
    g = z.grad.numpy()
    assert g[0] == pytest.approx(0.045177, abs=1e-6) and g[0] == pytest.approx(g[1], abs=1e-15)
    assert round(g[0], 3) == 0.045 and g[2] < g[0]


@pytest.mark.parametrize("depth, course", [(5, 1e-3), (10, 1e-6), (20, 1e-12)])
def test_slides_part4_sigmoid_bound_table(depth, course):
    assert 0.25**depth == pytest.approx(course, rel=0.1)  # 9.8e-4, 9.5e-7, 9.1e-13


def test_slides_part4_five_layer_saturated_chain():
    # Weights 1, σ' ≈ 0.1: the signal after each layer back from the output.
    signal = [1.0]
    for _ in range(4):
        signal.append(signal[-1] * 1 * 0.1)
    assert signal == pytest.approx([1.0, 0.1, 0.01, 0.001, 0.0001])


# ---- 002: practice problems ----------------------------------------------------------------------


def test_slides_practice_p1_784_512_10_parameters_and_flops():
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    assert n_params(model) == 407_050
    multiply_adds = 784 * 512 + 512 * 10
    assert 2 * multiply_adds == 813_056  # ≈ 0.8 MFLOPs per image (plus biases and ReLUs)


def test_slides_practice_p2_sigmoid_derivative_formula_and_maximum():
    z = t(np.linspace(-6, 6, 121), True)
    s = z.sigmoid()
    s.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), s.numpy() * (1 - s.numpy()), atol=1e-15)
    assert z.grad.numpy().max() == 0.25 and np.linspace(-6, 6, 121)[z.grad.numpy().argmax()] == 0.0


def test_slides_practice_p3_and_with_two_hidden_relu_units():
    # h1 = ReLU(x1 + x2 − 1), h2 = ReLU(x1 − x2) (unused), y = h1: outputs 0, 0, 0, 1.
    W1, b1, w2 = t([[1.0, 1.0], [1.0, -1.0]]), t([-1.0, 0.0]), t([1.0, 0.0])
    x = t([[0, 0], [0, 1], [1, 0], [1, 1]])
    assert (F.linear(x, W1, b1).relu() @ w2).tolist() == [0.0, 0.0, 0.0, 1.0]


def test_slides_practice_p4_softmax_loss_and_gradient():
    z = t([[3.0, 1.0, -1.0]], True)
    p = z.softmax(dim=1).numpy()[0]
    np.testing.assert_allclose(p, [0.8668, 0.1173, 0.0159], atol=5e-5)  # (a)
    loss = F.cross_entropy(z, tensor([0]))
    assert loss.item() == pytest.approx(0.1429, abs=5e-5)  # (b)
    loss.backward()
    np.testing.assert_allclose(z.grad.numpy()[0], [-0.1332, 0.1173, 0.0159], atol=5e-5)  # (c)


def test_slides_practice_p5_logits_are_stable_where_probabilities_are_not():
    # Numerical reason: log of a softmax that underflowed is −inf; log_softmax stays finite.
    z = t([[0.0, -800.0]], True)
    with np.errstate(divide="ignore", under="ignore"):
        naive = np.log(np.exp(z.numpy()) / np.exp(z.numpy()).sum())
    assert np.isneginf(naive[0, 1])
    loss = F.cross_entropy(z, tensor([1]))
    assert loss.item() == pytest.approx(800.0)
    loss.backward()  # gradient-related reason: ŷ − y stays bounded
    np.testing.assert_allclose(z.grad.numpy(), [[1.0, -1.0]])


def test_slides_practice_p6_ten_sigmoid_layers_bound():
    # With |σ'| ≤ 1/4 and unit-scale weights: at most 0.25^10 ≈ 1e-6 of the upstream gradient.
    assert 0.25**10 == pytest.approx(9.54e-7, rel=1e-3)


# ---- 003: fast.ai notes ----------------------------------------------------------------------------


def test_fastai_notes_log_sum_exp_trick():
    # Subtracting the max keeps exp() finite: log Σ exp(x) for x = [1000, 1001, 1002].
    x = t([[1000.0, 1001.0, 1002.0]])
    expected = 1002 + math.log(math.exp(-2) + math.exp(-1) + 1)
    lse = (x - x.log_softmax(dim=1))[0, 0].item()  # log_softmax = x − logsumexp(x)
    assert lse == pytest.approx(expected)


# ---- 004: the Day-1 notes ---------------------------------------------------------------------------


def test_day1_notes_pytorch_example_gradients_8_12_4():
    x, w, b = Value(2.0), Value(3.0), Value(1.0)
    L = (w * x + b - 5.0) ** 2
    L.backward()
    assert (w.grad, x.grad, b.grad) == (8.0, 12.0, 4.0)


def test_day1_notes_hand_exercise_forward_values():
    x, w1, w2, b = 2.0, Value(3.0), Value(-1.0), Value(0.5)
    z1 = w1 * x
    z2 = z1 + b
    z3 = z2.relu()
    z4 = w2 * z3
    L = z4**2
    assert [z1.data, z2.data, z3.data, z4.data, L.data] == [6.0, 6.5, 6.5, -6.5, 42.25]


def test_day1_notes_hand_exercise_gradients():
    # Not printed in the notes ("compute by hand"): 2·z4·w2·x = 26, 2·z4·z3 = −84.5, 2·z4·w2 = 13.
    w1, w2, b = Value(3.0), Value(-1.0), Value(0.5)
    L = (w2 * (w1 * 2.0 + b).relu()) ** 2
    L.backward()
    assert (w1.grad, w2.grad, b.grad) == (26.0, -84.5, 13.0)


def test_day1_notes_three_layer_mlp_has_20_parameters():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    assert n_params(model) == 3 * 2 + 3 + 2 * 3 + 2 + 1 * 2 + 1 == 20


def test_day1_notes_local_gradient_table():
    a, b = t(1.5, True), t(-2.0, True)
    (a + b).backward()
    assert (a.grad.item(), b.grad.item()) == (1.0, 1.0)
    a, b = t(1.5, True), t(-2.0, True)
    (a * b).backward()
    assert (a.grad.item(), b.grad.item()) == (-2.0, 1.5)
    a = t([-1.0, 2.0], True)
    a.relu().sum().backward()
    assert a.grad.tolist() == [0.0, 1.0]
    a = t(0.7, True)
    a.sigmoid().backward()
    assert a.grad.item() == pytest.approx(sigmoid(0.7) * (1 - sigmoid(0.7)))
    A, B = t(np.arange(6.0).reshape(2, 3), True), t(np.arange(12.0).reshape(3, 4), True)
    G = np.ones((2, 4))
    (A @ B).backward(gradient=t(G))
    np.testing.assert_allclose(A.grad.numpy(), G @ B.numpy().T)  # ∂L/∂A = ∂L/∂C · Bᵀ
    np.testing.assert_allclose(B.grad.numpy(), A.numpy().T @ G)  # ∂L/∂B = Aᵀ · ∂L/∂C


def test_day1_notes_micrograd_vs_pytorch_gradients_are_all_zero():
    # Erratum (recorded by the lead): z = 1 − 3 + 0.1 = −1.9, the ReLU is off, every gradient is 0.
    x0, x1, w0, w1, b = Value(2.0), Value(3.0), Value(0.5), Value(-1.0), Value(0.1)
    L = ((x0 * w0 + x1 * w1 + b).relu() - 1.0) ** 2
    L.backward()
    assert L.data == 1.0 and (w0.grad, w1.grad) == (0.0, 0.0)


def test_day1_notes_vanishing_gradient_exercise_code_shows_no_sigmoid_vanishing():
    # Erratum: the exercise's model is ten nn.Linear(64, 64) with no activation. Its weight-gradient
    # norms differ by about one order of magnitude between layer 1 and layer 10 (default init's
    # scale), nothing like the 0.25^10 ≈ 1e-6 of a sigmoid stack; with sigmoids added they span ~8.
    from chainrule.demos.lecture.vanishing_gradients import layer_gradient_norms

    for seed in range(3):
        linear = layer_gradient_norms("none", he_init=False, seed=seed)
        assert 1e-2 < linear[0] / linear[-1] < 0.2
        sig = layer_gradient_norms("sigmoid", he_init=False, seed=seed)
        assert sig[0] / sig[-1] < 1e-6
