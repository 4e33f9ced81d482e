"""The four-source gradient comparison, on correct and deliberately broken backward passes."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.lab import manual
from chainrule.lab.compare import TOLERANCE_NOTE, compare_gradients, diagnose


def net(rng, layer_cls=manual.Linear, act=manual.ReLU, sizes=(3, 5, 4), dtype=np.float64):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(
            layer_cls(
                rng.normal(size=(b, a)).astype(dtype), (rng.normal(size=b) * 0.1).astype(dtype)
            )
        )
        if i < len(sizes) - 2:
            layers.append(act())
    return manual.Sequential(*layers)


class TransposedLinear(manual.Linear):
    """A planted bug: dW computed as Xᵀ g (the (in, out) layout) instead of gᵀ X."""

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.grads["W"] = self.x.T @ grad_out
        return dx


class SummedCrossEntropy(manual.SoftmaxCrossEntropy):
    """A planted bug: the mean's 1/B forgotten in the backward pass."""

    def backward(self):
        return super().backward() * len(self.labels)


class SignFlippedLinear(manual.Linear):
    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.grads["b"] = -self.grads["b"]
        return dx


@pytest.fixture
def batch():
    rng = np.random.default_rng(4)
    return rng, rng.normal(size=(6, 3)), rng.integers(0, 4, size=6)


def test_correct_model_agrees_on_all_four_sources(batch):
    rng, x, y = batch
    report = compare_gradients(net(rng), manual.SoftmaxCrossEntropy(), x, y)
    assert report.ok, str(report)
    assert report.sources == ["hand", "autograd", "numeric", "torch"]
    for p in report.params:
        assert p.rel_err[("hand", "autograd")] < 1e-12
        assert p.rel_err[("hand", "torch")] < 1e-12
        assert p.rel_err[("hand", "numeric")] < 1e-6
    assert "VERDICT: all sources agree." in str(report)
    assert "float32" in str(report) and report.rows()[0]["pair"] == "hand vs autograd"


def test_transposed_weight_gradient_is_flagged_and_named(batch):
    rng, x, y = batch
    report = compare_gradients(
        net(rng, layer_cls=TransposedLinear), manual.SoftmaxCrossEntropy(), x, y
    )
    assert not report.ok
    bad = {p.name: p.verdict for p in report.bad()}
    assert set(bad) == {"0.W", "2.W"}
    assert all("transposed" in v for v in bad.values())
    assert "wrong for 0.W, 2.W" in str(report)


def test_missing_one_over_batch_is_flagged(batch):
    rng, x, y = batch
    report = compare_gradients(net(rng), SummedCrossEntropy(), x, y)
    assert {p.name for p in report.bad()} == {"0.W", "0.b", "2.W", "2.b"}
    assert all("missing 1/B" in p.verdict and "6x" in p.verdict for p in report.bad())


def test_sign_error_is_flagged(batch):
    rng, x, y = batch
    report = compare_gradients(
        net(rng, layer_cls=SignFlippedLinear), manual.SoftmaxCrossEntropy(), x, y
    )
    assert {p.name for p in report.bad()} == {"0.b", "2.b"}
    assert all("sign" in p.verdict for p in report.bad())


def test_float32_model_agrees_within_the_float32_tolerance(batch):
    rng, x, y = batch
    report = compare_gradients(
        net(rng, act=manual.Sigmoid, dtype=np.float32), manual.SoftmaxCrossEntropy(), x, y
    )
    assert report.ok and report.tolerance == 1e-3
    assert np.dtype(report.dtype) == np.float32


def test_mse_loss_is_supported(batch):
    rng, x, _ = batch
    target = rng.normal(size=(6, 4))
    assert compare_gradients(net(rng, act=manual.Sigmoid), manual.MSE(), x, target).ok


def test_unsupported_layer_is_named(batch):
    rng, x, y = batch

    class Swish(manual.Layer):
        def forward(self, x):
            return x

        def backward(self, g):
            return g

    model = manual.Sequential(manual.Linear(rng.normal(size=(4, 3)), np.zeros(4)), Swish())
    with pytest.raises(TypeError, match="layer 1 \\(Swish\\)"):
        compare_gradients(model, manual.SoftmaxCrossEntropy(), x, y)


def test_finite_differences_leave_the_model_untouched(batch):
    rng, x, y = batch
    model = net(rng, dtype=np.float32)
    before = {k: v.copy() for k, v in model.named_params().items()}
    compare_gradients(model, manual.SoftmaxCrossEntropy(), x, y)
    for k, v in model.named_params().items():
        assert v.dtype == np.float32 and np.array_equal(v, before[k])


@pytest.mark.parametrize(
    "got, expected, batch_size, words",
    [
        (np.ones((2, 3)) * 4, np.ones((2, 3)), 4, "missing 1/B"),
        (np.ones((2, 3)), np.ones((2, 3)) * 4, 4, "extra 1/B"),
        (np.zeros((2, 2)), np.eye(2), None, "all zeros"),
        (np.array([1.0, 2.0]) * 3, np.array([1.0, 2.0]), None, "scaled"),
        (np.array([1.0, 2.5]), np.array([1.0, 2.0]), None, "index (1,)"),
        (np.ones((3, 2)), np.ones((2, 3)), None, "transposed"),
        (np.ones(4), np.ones((2, 3)), None, "wrong shape"),
    ],
)
def test_diagnose_names_the_mistake(got, expected, batch_size, words):
    assert words in diagnose(got, expected, batch_size=batch_size)


def test_diagnose_accepts_a_correct_gradient():
    assert diagnose(np.eye(3), np.eye(3) + 1e-12) is None


def test_tolerance_note_explains_float32_vs_float64():
    assert "float32" in TOLERANCE_NOTE and "1e-6" in TOLERANCE_NOTE


def test_an_nn_module_is_compared_by_its_named_parameters(batch):
    from chainrule import nn

    rng, x, y = batch
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4)).double()
    report = compare_gradients(model, nn.CrossEntropyLoss(), x, y)
    assert report.ok, str(report)
    assert report.sources == ["autograd", "numeric", "torch"] and report.judged == "autograd"
    assert [p.name for p in report.params] == [k for k, _ in model.named_parameters()]
    assert all(p.grad is None for p in model.parameters())  # the caller's .grad is left alone
    assert compare_gradients(model.float(), manual.SoftmaxCrossEntropy(), x, y).ok


def test_a_module_with_a_broken_rule_is_named(batch):
    from chainrule import nn
    from chainrule.autograd_function import Function

    class DoubledGrad(Function):  # forward is the identity, backward doubles: a planted bug
        @staticmethod
        def forward(ctx, t):
            return t

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)

        def forward(self, t):
            return DoubledGrad.apply(self.fc(t))

    rng, x, y = batch
    report = compare_gradients(Net().double(), manual.SoftmaxCrossEntropy(), x, y)
    assert {p.name for p in report.bad()} == {"fc.weight", "fc.bias"}
    assert all("scaled" in p.verdict and "2 times" in p.verdict for p in report.bad())
    assert "autograd is wrong for fc.weight, fc.bias" in str(report)
