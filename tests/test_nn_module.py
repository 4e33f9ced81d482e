"""chainrule.nn.Module and Parameter: registration, names, state_dict, modes, repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from chainrule import nn, tensor
from chainrule._tensor import Tensor

torch = pytest.importorskip("torch")


class Block(nn.Module):
    """A nested model: ``layers`` is a Sequential, ``head`` a Linear, plus a buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
        self.head = nn.Linear(8, 2, bias=False)
        self.register_buffer("steps", tensor(np.zeros(1, np.float32)))
        self.register_buffer("scratch", tensor(np.zeros(1, np.float32)), persistent=False)
        self.note = "plain attributes are not registered"

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.layers(x))


class TorchBlock(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8)
        )
        self.head = torch.nn.Linear(8, 2, bias=False)
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(1), persistent=False)


def _mlp(*sizes: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _torch_mlp(*sizes: int) -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def _count(model: nn.Module) -> int:
    return sum(p.numpy().size for p in model.parameters())


# ---- Parameter ---------------------------------------------------------------------------------


def test_parameter_is_a_leaf_that_requires_grad_and_shares_tensor_data() -> None:
    t = tensor(np.arange(3, dtype=np.float32))
    p = nn.Parameter(t)
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert p.numpy() is t.numpy()
    assert not nn.Parameter(np.zeros(2, np.float32), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_repr_has_torch_prefix() -> None:
    p = nn.Parameter(np.zeros(2, np.float32))
    assert repr(p) == "Parameter containing:\n" + Tensor.__repr__(p)


# ---- registration ------------------------------------------------------------------------------


def test_assignment_registers_parameters_modules_and_buffers() -> None:
    m = Block()
    assert list(m._modules) == ["layers", "head"]
    assert list(m._parameters) == []
    assert list(m.layers[0]._parameters) == ["weight", "bias"]
    assert list(m._buffers) == ["steps", "scratch"]
    assert m.note == "plain attributes are not registered" and "note" not in m._parameters
    assert m.head.bias is None and "bias" in m.head._parameters
    assert "layers" in dir(m) and "steps" in dir(m)

    m.extra = nn.Parameter(np.ones(3, np.float32))
    assert "extra" in m._parameters and m.extra is m._parameters["extra"]
    m.plain = tensor(np.ones(3, np.float32))  # a plain Tensor is data, not a parameter
    assert "plain" not in m._parameters
    del m.extra
    assert "extra" not in m._parameters


def test_registration_errors_name_the_problem() -> None:
    m = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = tensor(np.zeros((3, 2), np.float32))
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'wieght'"):
        m.wieght  # noqa: B018

    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(np.zeros(1, np.float32))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_named_parameters_use_torch_dotted_names() -> None:
    assert [n for n, _ in Block().named_parameters()] == [
        n for n, _ in TorchBlock().named_parameters()
    ]
    assert [n for n, _ in Block().named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.weight",
        "layers.2.bias",
        "head.weight",
    ]
    assert [n for n, _ in _mlp(3, 4, 2).named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]
    assert [n for n, _ in Block().named_parameters(prefix="model")][0] == "model.layers.0.weight"
    assert list(Block().parameters(recurse=False)) == []


def test_module_walks_match_torch() -> None:
    ours, theirs = Block(), TorchBlock()
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()][1:] == [
        type(m).__name__ for m in theirs.modules()
    ][1:]
    assert [type(m).__name__ for m in ours.children()] == ["Sequential", "Linear"]
    assert (
        [n for n, _ in ours.named_buffers()]
        == [n for n, _ in theirs.named_buffers()]
        == ["steps", "scratch"]
    )


def test_shared_modules_and_parameters_are_listed_once() -> None:
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]  # torch keeps both names


# ---- parameter counts (Lecture 1) --------------------------------------------------------------


def test_parameter_count_of_the_lecture_mlp() -> None:
    assert _count(_mlp(784, 256, 256, 10)) == 269_322
    assert _count(_mlp(784, 256, 256, 10)) == sum(
        p.numel() for p in _torch_mlp(784, 256, 256, 10).parameters()
    )


def test_practice_problem_p1_parameter_count() -> None:
    # P1: 784 → 512 → 10 has 784·512 + 512 weights and biases in, 512·10 + 10 out.
    assert _count(_mlp(784, 512, 10)) == 784 * 512 + 512 + 512 * 10 + 10 == 407_050


# ---- state_dict ------------------------------------------------------------------------------


def test_state_dict_keys_match_torch_and_values_share_data() -> None:
    m = Block()
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == list(
        TorchBlock().state_dict()
    )  # params and persistent buffers, torch's order
    assert "scratch" not in sd
    w = sd["layers.0.weight"]
    assert not w.requires_grad and w.numpy() is m.layers[0].weight.numpy()  # detached, same array
    assert list(m.state_dict(prefix="net.")) == ["net." + k for k in sd]
    assert m.state_dict(keep_vars=True)["head.weight"] is m.head.weight


def test_state_dict_round_trip_reproduces_the_model() -> None:
    src, dst = Block(), Block()
    snapshot = {k: v.numpy().copy() for k, v in src.state_dict().items()}
    arrays = [p.numpy() for p in dst.parameters()]
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), snapshot[k])
    assert all(p.numpy() is a for p, a in zip(dst.parameters(), arrays))  # copied in place
    x = tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())


def test_load_state_dict_accepts_numpy_and_casts_dtype() -> None:
    tmodel = _torch_mlp(3, 4, 2).double()
    sd = {k: v.detach().numpy() for k, v in tmodel.state_dict().items()}  # float64 arrays
    model = _mlp(3, 4, 2)
    model.load_state_dict(sd)
    assert model[0].weight.dtype == np.float32
    np.testing.assert_allclose(model[0].weight.numpy(), sd["0.weight"], rtol=1e-6)


def test_load_state_dict_takes_a_torch_state_dict_directly() -> None:
    tmodel = _torch_mlp(3, 4, 2)
    model = _mlp(3, 4, 2)
    model.load_state_dict(tmodel.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        model(tensor(x)).numpy(), tmodel(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_load_state_dict_lists_missing_and_unexpected_keys_together() -> None:
    model = _mlp(2, 3, 1)
    sd = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    del sd["0.bias"], sd["2.weight"]
    sd["3.weight"] = np.zeros((1, 3), np.float32)
    before = model[0].weight.numpy().copy()
    sd["0.weight"] = before + 1
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(sd)
    message = str(err.value)
    assert message.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "0.bias", "2.weight".' in message
    assert 'Unexpected key(s) in state_dict: "3.weight".' in message
    np.testing.assert_array_equal(model[0].weight.numpy(), before)  # nothing copied on failure

    result = model.load_state_dict(sd, strict=False)
    assert result == (["0.bias", "2.weight"], ["3.weight"])
    assert result.missing_keys == ["0.bias", "2.weight"] and result.unexpected_keys == ["3.weight"]
    np.testing.assert_array_equal(model[0].weight.numpy(), before + 1)


def test_load_state_dict_reports_shape_mismatch_like_torch() -> None:
    model = nn.Sequential(nn.Linear(2, 4))
    sd = {"0.weight": np.zeros((3, 2), np.float32), "0.bias": np.zeros(4, np.float32)}
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(sd)
    assert (
        "size mismatch for 0.weight: copying a param with shape (3, 2) from checkpoint, "
        "the shape in current model is (4, 2)."
    ) in str(err.value)
    with pytest.raises(
        RuntimeError, match="size mismatch"
    ):  # shapes are checked even when not strict
        model.load_state_dict(sd, strict=False)


def test_load_state_dict_rejects_non_arrays() -> None:
    model = nn.Linear(2, 1)
    with pytest.raises(
        RuntimeError,
        match=r'parameter named "weight", expected a Tensor or numpy.ndarray .* received list',
    ):
        model.load_state_dict({"weight": [[1.0, 2.0]], "bias": np.zeros(1, np.float32)})
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got list"):
        model.load_state_dict([("weight", np.zeros((1, 2)))])


# ---- modes, gradients, dtype ----------------------------------------------------------------


def test_train_and_eval_propagate_to_every_descendant() -> None:
    m = Block()
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.layers.train(False)
    assert m.training and not m.layers[0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_dropout_masks_in_training_and_is_identity_in_eval() -> None:
    drop = nn.Dropout(p=0.5)
    x = tensor(np.ones((200, 50), np.float32))
    y = drop(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}  # survivors scaled by 1/(1 − p)
    assert 0.4 < (y == 0).mean() < 0.6
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    # Inside a model, eval() reaches it.
    model = nn.Sequential(nn.Identity(), nn.Dropout(0.9)).eval()
    np.testing.assert_array_equal(model(x).numpy(), x.numpy())


def test_module_zero_grad() -> None:
    m = _mlp(2, 3, 1)
    for p in m.parameters():
        p.grad = tensor(np.ones(p.shape, np.float32))
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_apply_visits_children_first_then_self() -> None:
    visited: list[str] = []
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_to_double_float_cast_in_place_and_keep_parameter_identity() -> None:
    m = Block()
    params = list(m.parameters())
    m.layers[0].weight.grad = tensor(np.ones((8, 4), np.float32))
    assert m.double() is m
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m.layers[0].weight.grad.dtype == np.float64 and m.steps.dtype == np.float64
    assert all(a is b for a, b in zip(params, m.parameters()))
    m.float()
    assert all(p.dtype == np.float32 for p in m.parameters())
    with pytest.raises(TypeError, match="floating point"):
        m.to(np.int32)


def test_requires_grad_freezes_parameters() -> None:
    m = _mlp(2, 2)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


# ---- repr ------------------------------------------------------------------------------------


def test_repr_matches_torch_for_an_mlp() -> None:
    assert repr(_mlp(784, 256, 256, 10)) == repr(_torch_mlp(784, 256, 256, 10))
    assert repr(_mlp(784, 256, 256, 10)).startswith(
        "Sequential(\n  (0): Linear(in_features=784, out_features=256, bias=True)\n  (1): ReLU()\n"
    )


def test_repr_of_nested_custom_module_matches_torch() -> None:
    assert repr(Block()).replace("Block", "TorchBlock") == repr(TorchBlock())


def test_extra_repr_of_a_custom_module() -> None:
    class Scale(nn.Module):
        def __init__(self, factor: float) -> None:
            super().__init__()
            self.factor = factor

        def extra_repr(self) -> str:
            return f"factor={self.factor}"

    assert repr(Scale(2.0)) == "Scale(factor=2.0)"
    assert repr(nn.Sequential(Scale(2.0))) == "Sequential(\n  (0): Scale(factor=2.0)\n)"


def test_deepcopy_gives_an_independent_model() -> None:
    import copy

    model = _mlp(3, 4, 1)
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    assert clone[0].weight.numpy() is not model[0].weight.numpy()
    np.testing.assert_array_equal(clone[0].weight.numpy(), model[0].weight.numpy())
    clone[0].weight.data += 1
    assert not np.array_equal(clone[0].weight.numpy(), model[0].weight.numpy())


def test_a_module_shows_its_parameters_in_a_notebook():
    from chainrule import nn  # noqa: PLC0415

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
    shown = model._repr_html_()
    assert "<pre>Sequential(" in shown  # the repr, as printed
    for name, shape in [("0.weight", "(4, 3)"), ("0.bias", "(4,)"), ("2.weight", "(2, 4)")]:
        assert f"<code>{name}</code></td><td>{shape}" in shown
    assert "<b>24</b>" in shown  # 12 + 4 + 8 parameters in all
    assert "no parameters" in nn.ReLU()._repr_html_()
