"""chainrule.nn layers and losses: values and gradients against torch in float64, containers, init."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pytest

from chainrule import nn, tensor
from chainrule._tensor import Tensor

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12  # float64 on both sides: only summation order may differ


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _t(a: np.ndarray, requires_grad: bool = True) -> Tensor:
    return tensor(a, requires_grad=requires_grad, dtype=np.float64)


def _check(
    ours: Callable[..., Tensor],
    theirs: Callable[..., torch.Tensor],
    *arrays: np.ndarray,
    ours_params: list[Tensor] = (),
    theirs_params: list[torch.Tensor] = (),
) -> None:
    """Compare outputs, then gradients of ``Σ out · G`` (G random) w.r.t. inputs and params."""
    xs = [_t(a) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=RTOL, atol=ATOL)
    upstream = _rng(99).standard_normal(tuple(out.shape))
    (out * tensor(upstream, dtype=np.float64)).sum().backward()
    (tout * torch.from_numpy(upstream)).sum().backward()
    for ours_t, theirs_t in zip([*xs, *ours_params], [*ts, *theirs_params]):
        np.testing.assert_allclose(ours_t.grad.numpy(), theirs_t.grad.numpy(), rtol=RTOL, atol=ATOL)


def _copy_linear(layer: nn.Linear) -> torch.nn.Linear:
    t = torch.nn.Linear(
        layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=torch.float64
    )
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(layer.weight.numpy()))
        if layer.bias is not None:
            t.bias.copy_(torch.from_numpy(layer.bias.numpy()))
    return t


# ---- Linear -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)])
def test_linear_value_and_gradients_match_torch(bias: bool, x_shape: tuple[int, ...]) -> None:
    layer = nn.Linear(4, 3, bias=bias, dtype=np.float64)
    tlayer = _copy_linear(layer)
    ours_params = [layer.weight] + ([layer.bias] if bias else [])
    theirs_params = [tlayer.weight] + ([tlayer.bias] if bias else [])
    _check(
        layer,
        tlayer,
        _rng().standard_normal(x_shape),
        ours_params=ours_params,
        theirs_params=theirs_params,
    )


def test_linear_shapes_dtype_and_repr() -> None:
    layer = nn.Linear(784, 256)
    assert layer.weight.shape == (256, 784) and layer.bias.shape == (256,)
    assert (
        layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    )  # the default, as in torch
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64
    assert (
        repr(layer)
        == repr(torch.nn.Linear(784, 256))
        == "Linear(in_features=784, out_features=256, bias=True)"
    )
    assert repr(nn.Linear(3, 1, bias=False)) == "Linear(in_features=3, out_features=1, bias=False)"
    assert nn.Linear(3, 1, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 1, bias=False).named_parameters()] == ["weight"]


def test_linear_default_init_is_uniform_one_over_sqrt_fan_in() -> None:
    # kaiming_uniform_(a=√5) gives bound √3 · √(2/(1+5)) / √fan_in = 1/√fan_in, for W and b.
    layer = nn.Linear(400, 500)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.999 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(w.mean()) < 0.01 * bound
    assert b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)  # only 500 draws
    assert not np.array_equal(layer.weight.numpy(), nn.Linear(400, 500).weight.numpy())


# ---- activations and shape layers ----------------------------------------------------------------

ACTIVATIONS = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
    (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
    (nn.Identity(), torch.nn.Identity()),
    (nn.Flatten(), torch.nn.Flatten()),
    (nn.Flatten(0), torch.nn.Flatten(0)),
    (nn.Flatten(1, 2), torch.nn.Flatten(1, 2)),
    (nn.Flatten(-2, -1), torch.nn.Flatten(-2, -1)),
]


@pytest.mark.parametrize("ours, theirs", ACTIVATIONS, ids=lambda m: repr(m))
def test_layer_value_gradient_and_repr_match_torch(
    ours: nn.Module, theirs: torch.nn.Module
) -> None:
    x = _rng().standard_normal((3, 4, 5)) * 2
    x[0, 0, :2] = 0.0  # ReLU's kink: torch's gradient there is 0, and so must ours be
    _check(ours, theirs, x)
    assert repr(ours) == repr(theirs)


def test_softmax_default_dim_is_last() -> None:
    out = nn.Softmax()(tensor(_rng().standard_normal((4, 3)))).numpy()
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)


def test_flatten_rejects_bad_dims() -> None:
    with pytest.raises((ValueError, IndexError), match="flatten"):
        nn.Flatten(2, 1)(tensor(np.zeros((2, 3, 4))))


def test_gelu_rejects_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU(approximate="fast")


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5"])
def test_dropout_validates_p(p) -> None:
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)


def test_dropout_gradient_follows_the_mask() -> None:
    drop = nn.Dropout(0.3)
    x = tensor(np.ones((50, 40)), requires_grad=True, dtype=np.float64)
    y = drop(x)
    y.sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), y.numpy()
    )  # d(mask·x/(1−p))/dx = mask/(1−p) = y at x=1
    assert repr(drop) == "Dropout(p=0.3)"


# ---- containers ---------------------------------------------------------------------------------


def test_sequential_forward_composes_layers() -> None:
    model = nn.Sequential(
        nn.Linear(4, 8, dtype=np.float64), nn.Tanh(), nn.Linear(8, 2, dtype=np.float64)
    )
    tmodel = torch.nn.Sequential(_copy_linear(model[0]), torch.nn.Tanh(), _copy_linear(model[2]))
    ours_params = list(model.parameters())
    _check(
        model,
        tmodel,
        _rng().standard_normal((6, 4)),
        ours_params=ours_params,
        theirs_params=list(tmodel.parameters()),
    )


def test_sequential_indexing_slicing_and_mutation_match_torch() -> None:
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1), torch.nn.Sigmoid()
    )
    assert len(ours) == 4
    assert ours[-1] is list(ours)[3] and isinstance(ours[1], nn.ReLU)
    sliced = ours[1:3]
    assert isinstance(sliced, nn.Sequential) and sliced[0] is ours[1]
    assert list(sliced._modules) == list(theirs[1:3]._modules) == ["1", "2"]  # names kept
    assert repr(ours[::2]) == repr(theirs[::2])
    with pytest.raises(IndexError, match="index 4 is out of range"):
        ours[4]

    ours.append(nn.Identity())
    assert len(ours) == 5 and list(ours._modules)[-1] == "4"
    ours[0] = nn.Linear(2, 3, bias=False)
    assert ours[0].bias is None and list(ours._modules)[0] == "0"
    del ours[1]
    assert list(ours._modules) == ["0", "1", "2", "3"] and isinstance(ours[1], nn.Linear)


def test_sequential_from_ordered_dict_uses_its_names() -> None:
    model = nn.Sequential(
        OrderedDict([("hidden", nn.Linear(2, 4)), ("act", nn.ReLU()), ("out", nn.Linear(4, 1))])
    )
    assert [n for n, _ in model.named_parameters()] == [
        "hidden.weight",
        "hidden.bias",
        "out.weight",
        "out.bias",
    ]
    assert model.hidden is model[0]
    assert "(hidden): Linear" in repr(model)


def test_module_list_registers_its_modules() -> None:
    blocks = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)])
    assert len(blocks) == 3 and len(list(blocks.parameters())) == 6
    assert [n for n, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]
    blocks.append(nn.ReLU()).extend([nn.Tanh()])
    assert len(blocks) == 5 and isinstance(blocks[-1], nn.Tanh)
    assert isinstance(blocks[1:3], nn.ModuleList) and len(blocks[1:3]) == 2
    with pytest.raises(NotImplementedError):
        blocks(tensor(np.zeros(3)))


# ---- losses ------------------------------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]


def _regression_pair() -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(1)
    return rng.standard_normal((6, 3)), rng.standard_normal((6, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "ours_cls, theirs_cls", [(nn.MSELoss, torch.nn.MSELoss), (nn.L1Loss, torch.nn.L1Loss)]
)
def test_regression_losses_match_torch(ours_cls, theirs_cls, reduction: str) -> None:
    x, y = _regression_pair()
    ours, theirs = ours_cls(reduction=reduction), theirs_cls(reduction=reduction)
    _check(lambda a: ours(a, _t(y, False)), lambda a: theirs(a, torch.from_numpy(y)), x)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_losses_match_torch(reduction: str) -> None:
    rng = _rng(2)
    logits = rng.standard_normal((8, 2)) * 3
    target = rng.uniform(0, 1, (8, 2))
    probs = 1 / (1 + np.exp(-logits))
    bce, tbce = nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction)
    _check(lambda p: bce(p, _t(target, False)), lambda p: tbce(p, torch.from_numpy(target)), probs)
    bcel, tbcel = (
        nn.BCEWithLogitsLoss(reduction=reduction),
        torch.nn.BCEWithLogitsLoss(reduction=reduction),
    )
    _check(
        lambda z: bcel(z, _t(target, False)), lambda z: tbcel(z, torch.from_numpy(target)), logits
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_nll_match_torch(reduction: str) -> None:
    rng = _rng(3)
    logits = rng.standard_normal((7, 5)) * 2
    target = rng.integers(0, 5, size=7)
    ce, tce = (
        nn.CrossEntropyLoss(reduction=reduction),
        torch.nn.CrossEntropyLoss(reduction=reduction),
    )
    _check(lambda z: ce(z, tensor(target)), lambda z: tce(z, torch.from_numpy(target)), logits)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    nll, tnll = nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction)
    _check(
        lambda lp: nll(lp, tensor(target)), lambda lp: tnll(lp, torch.from_numpy(target)), log_probs
    )


def test_weighted_losses_and_options_match_torch() -> None:
    rng = _rng(4)
    logits = rng.standard_normal((9, 4)) * 2
    target = rng.integers(0, 4, size=9)
    target[2] = -100
    w = rng.uniform(0.5, 2.0, 4)
    ce, tce = nn.CrossEntropyLoss(tensor(w)), torch.nn.CrossEntropyLoss(torch.from_numpy(w))
    _check(lambda z: ce(z, tensor(target)), lambda z: tce(z, torch.from_numpy(target)), logits)
    smooth, tsmooth = (
        nn.CrossEntropyLoss(label_smoothing=0.1),
        torch.nn.CrossEntropyLoss(label_smoothing=0.1),
    )
    _check(
        lambda z: smooth(z, tensor(target)), lambda z: tsmooth(z, torch.from_numpy(target)), logits
    )
    nll = nn.NLLLoss(tensor(w), ignore_index=1, reduction="sum")
    tnll = torch.nn.NLLLoss(torch.from_numpy(w), ignore_index=1, reduction="sum")
    target[2] = 1
    _check(lambda z: nll(z, tensor(target)), lambda z: tnll(z, torch.from_numpy(target)), logits)

    y = rng.uniform(0, 1, (9, 4))
    bcel, tbcel = nn.BCEWithLogitsLoss(tensor(w)), torch.nn.BCEWithLogitsLoss(torch.from_numpy(w))
    _check(lambda z: bcel(z, _t(y, False)), lambda z: tbcel(z, torch.from_numpy(y)), logits)
    bce, tbce = (
        nn.BCELoss(tensor(w), reduction="sum"),
        torch.nn.BCELoss(torch.from_numpy(w), reduction="sum"),
    )
    _check(
        lambda p: bce(p, _t(y, False)),
        lambda p: tbce(p, torch.from_numpy(y)),
        1 / (1 + np.exp(-logits)),
    )
    assert list(ce.state_dict()) == list(tce.state_dict()) == ["weight"]
    assert (
        list(nn.CrossEntropyLoss().state_dict())
        == list(torch.nn.CrossEntropyLoss().state_dict())
        == []
    )


def test_cross_entropy_course_example_p4() -> None:
    # P4: logits [3, 1, −1], true class 0 → loss −log softmax(z)₀ and gradient ŷ − y.
    z = tensor(np.array([[3.0, 1.0, -1.0]]), requires_grad=True, dtype=np.float64)
    loss = nn.CrossEntropyLoss()(z, tensor(np.array([0])))
    loss.backward()
    probs = np.exp([3.0, 1.0, -1.0]) / np.exp([3.0, 1.0, -1.0]).sum()
    assert loss.item() == pytest.approx(-math.log(probs[0]))
    np.testing.assert_allclose(z.grad.numpy()[0], probs - np.array([1.0, 0.0, 0.0]))


@pytest.mark.parametrize(
    "cls",
    [nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, nn.NLLLoss],
)
def test_losses_validate_reduction(cls) -> None:
    with pytest.raises(
        ValueError, match=f"{cls.__name__}: reduction must be 'mean', 'sum' or 'none', got 'avg'"
    ):
        cls(reduction="avg")
