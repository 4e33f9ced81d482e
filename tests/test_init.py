"""chainrule.nn.init: gains and fans equal torch's; draws follow the formulas' bounds and stds."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule
from chainrule import tensor
from chainrule._tensor import Tensor
from chainrule.nn import init

torch = pytest.importorskip("torch")

NONLINEARITIES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5)),
    ("leaky_relu", 0),
    ("selu", None),
]


@pytest.mark.parametrize("nonlinearity, param", NONLINEARITIES)
def test_calculate_gain_equals_torch(nonlinearity: str, param: float | None) -> None:
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param
    )


def test_calculate_gain_errors() -> None:
    with pytest.raises(ValueError, match="Unsupported nonlinearity softplus"):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (16, 3, 5, 5), (4, 2, 3), (7, 1, 2, 2, 2)])
def test_fan_in_and_fan_out_equal_torch(shape: tuple[int, ...]) -> None:
    ours = init._calculate_fan_in_and_fan_out(tensor(np.zeros(shape, np.float32)))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_fan_needs_two_dimensions() -> None:
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tensor(np.zeros(5, np.float32)))


# ---- distributions ---------------------------------------------------------------------------
# A (200, 300) weight has 60,000 draws: the sample std is within ~0.6% of the true one and the
# extremes of a uniform land within 0.1% of its bound, so 2-3% tolerances never flake.

SHAPE = (200, 300)
FAN_IN, FAN_OUT = 300, 200


def _w() -> Tensor:
    return tensor(np.zeros(SHAPE, np.float32))


def _check_uniform(w: Tensor, bound: float) -> None:
    a = w.numpy()
    assert np.abs(a).max() <= bound * (1 + 1e-6)
    assert np.abs(a).max() > 0.99 * bound
    assert abs(a.mean()) < 0.02 * bound
    assert a.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def _check_normal(w: Tensor, std: float) -> None:
    assert abs(w.numpy().mean()) < 0.02 * std
    assert w.numpy().std() == pytest.approx(std, rel=0.02)


def test_uniform_and_normal() -> None:
    w = init.uniform_(_w(), -2.0, 4.0)
    assert w.numpy().min() >= -2 and w.numpy().max() < 4
    assert w.numpy().mean() == pytest.approx(1.0, abs=0.05)
    w = init.normal_(_w(), mean=3.0, std=0.5)
    assert w.numpy().mean() == pytest.approx(3.0, abs=0.01)
    assert w.numpy().std() == pytest.approx(0.5, rel=0.02)


@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("tanh")])
def test_xavier(gain: float) -> None:
    std = gain * math.sqrt(2 / (FAN_IN + FAN_OUT))
    _check_uniform(init.xavier_uniform_(_w(), gain=gain), math.sqrt(3) * std)
    _check_normal(init.xavier_normal_(_w(), gain=gain), std)


@pytest.mark.parametrize(
    "a, mode, nonlinearity",
    [
        (0, "fan_in", "leaky_relu"),
        (0, "fan_in", "relu"),
        (0, "fan_out", "relu"),
        (math.sqrt(5), "fan_in", "leaky_relu"),
        (0, "fan_in", "tanh"),
    ],
)
def test_kaiming(a: float, mode: str, nonlinearity: str) -> None:
    fan = FAN_IN if mode == "fan_in" else FAN_OUT
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    _check_uniform(
        init.kaiming_uniform_(_w(), a=a, mode=mode, nonlinearity=nonlinearity), math.sqrt(3) * std
    )
    _check_normal(init.kaiming_normal_(_w(), a=a, mode=mode, nonlinearity=nonlinearity), std)


def test_linear_default_bound_is_one_over_sqrt_fan_in() -> None:
    w = init.kaiming_uniform_(_w(), a=math.sqrt(5))
    _check_uniform(w, 1 / math.sqrt(FAN_IN))


def test_kaiming_rejects_unknown_mode_and_skips_empty_tensors() -> None:
    with pytest.raises(
        ValueError, match="Mode fan_avg not supported, please use one of fan_in, fan_out"
    ):
        init.kaiming_uniform_(_w(), mode="fan_avg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        empty = init.kaiming_normal_(tensor(np.zeros((0, 3), np.float32)))
    assert empty.shape == (0, 3) and "zero-element" in str(caught[0].message)


def test_constant_zeros_ones() -> None:
    assert (init.constant_(_w(), 0.25).numpy() == 0.25).all()
    assert (init.zeros_(tensor(np.ones(4, np.float32))).numpy() == 0).all()
    assert (init.ones_(_w()).numpy() == 1).all()


@pytest.mark.parametrize(
    "fill",
    [
        lambda t: init.uniform_(t),
        lambda t: init.normal_(t),
        lambda t: init.constant_(t, 2.0),
        lambda t: init.xavier_uniform_(t),
        lambda t: init.xavier_normal_(t),
        lambda t: init.kaiming_uniform_(t),
        lambda t: init.kaiming_normal_(t),
    ],
)
def test_fills_in_place_keep_dtype_and_return_the_tensor(fill) -> None:
    for dtype in (np.float32, np.float64):
        t = tensor(np.zeros((4, 6), dtype))
        array = t.numpy()
        assert fill(t) is t
        assert t.numpy() is array and t.numpy().dtype == dtype


def test_draws_are_reproducible_under_manual_seed() -> None:
    chainrule.manual_seed(7)
    a = init.kaiming_uniform_(_w()).numpy().copy()
    chainrule.manual_seed(7)
    b = init.kaiming_uniform_(_w()).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init.kaiming_uniform_(_w()).numpy())


# ---- trunc_normal_, eye_, orthogonal_ --------------------------------------------------------


def _truncated_normal_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """The exact mean and std of N(mean, std²) restricted to [a, b] (textbook formulas)."""
    alpha, beta = (a - mean) / std, (b - mean) / std

    def pdf(x: float) -> float:
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)

    def cdf(x: float) -> float:
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    z = cdf(beta) - cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / z
    var = std**2 * (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2
    )
    return m, math.sqrt(var)


@pytest.mark.parametrize(
    "mean, std, a, b", [(0, 1, -2, 2), (0.5, 2.0, -1.0, 1.5), (0, 0.02, -0.04, 0.04)]
)
def test_trunc_normal_matches_the_truncated_distribution_and_torch(mean, std, a, b) -> None:
    w = init.trunc_normal_(_w(), mean=mean, std=std, a=a, b=b).numpy()
    assert w.min() >= a and w.max() <= b
    want_mean, want_std = _truncated_normal_moments(mean, std, a, b)
    assert w.mean() == pytest.approx(want_mean, abs=0.01 * std)
    assert w.std() == pytest.approx(want_std, rel=0.02)
    theirs = torch.nn.init.trunc_normal_(torch.zeros(SHAPE), mean, std, a, b).numpy()
    assert theirs.std() == pytest.approx(w.std(), rel=0.03)


def test_trunc_normal_refuses_an_empty_or_hopeless_interval() -> None:
    with pytest.raises(ValueError, match="a must be less than b"):
        init.trunc_normal_(_w(), a=1.0, b=-1.0)
    with pytest.raises(ValueError, match="less than 0.01%"):
        init.trunc_normal_(_w(), a=8.0, b=9.0)


def test_eye_matches_torch_and_refuses_other_ranks() -> None:
    for shape in [(3, 3), (2, 4), (4, 2)]:
        ours = init.eye_(tensor(np.full(shape, 7.0, np.float32))).numpy()
        np.testing.assert_array_equal(ours, torch.nn.init.eye_(torch.full(shape, 7.0)).numpy())
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(tensor(np.zeros((2, 2, 2))))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (4, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, gain) -> None:
    w = init.orthogonal_(tensor(np.zeros(shape)), gain=gain)
    assert w.shape == shape and w.dtype == chainrule.float64
    flat = w.numpy().reshape(shape[0], -1)
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, gain**2 * np.eye(small.shape[0]), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(tensor(np.zeros(3)))
