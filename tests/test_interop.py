"""chainrule <-> PyTorch: modules with their weights, tensors without copies."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule  # noqa: E402
from chainrule import nn, tensor  # noqa: E402
from chainrule.interop import from_torch, tensor_from_torch, tensor_to_torch, to_torch  # noqa: E402


def every_layer() -> nn.Sequential:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(12, 8),
        nn.ReLU(),
        nn.Linear(8, 8),
        nn.LeakyReLU(0.2),
        nn.Linear(8, 8),
        nn.Tanh(),
        nn.Linear(8, 8, bias=False),
        nn.Sigmoid(),
        nn.Linear(8, 6),
        nn.GELU(),
        nn.Dropout(0.3),
        nn.Identity(),
        nn.Linear(6, 4),
        nn.Softmax(dim=1),
    )


def test_to_torch_round_trip_gives_the_same_outputs():
    chainrule.manual_seed(0)
    model = every_layer().eval()
    x = np.random.default_rng(0).normal(size=(5, 3, 4)).astype(np.float32)
    ours = model(tensor(x)).numpy()
    theirs = to_torch(model)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    back = from_torch(to_torch(model))
    np.testing.assert_allclose(back(tensor(x)).numpy(), ours, atol=1e-6)
    assert repr(back) == repr(model)


def test_from_torch_copies_weights_and_mode():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)).double()
    model = from_torch(tm)
    assert model.training
    assert model[0].weight.dtype == np.float64
    np.testing.assert_array_equal(model[0].weight.numpy(), tm[0].weight.detach().numpy())
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(
        model(tensor(x)).numpy(), tm(torch.from_numpy(x)).detach().numpy(), atol=1e-12
    )
    # independent copies
    model[0].weight.numpy()[...] = 0
    assert tm[0].weight.abs().sum().item() > 0


def test_gradients_agree_after_conversion():
    chainrule.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    tm = to_torch(model)
    x = np.random.default_rng(2).normal(size=(7, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    nn.functional.cross_entropy(model(tensor(x)), tensor(y)).backward()
    torch.nn.functional.cross_entropy(tm(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    for p, tp in zip(model.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-6)


def test_unsupported_layers_are_named():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Conv2d(1, 1, 3))
    with pytest.raises(TypeError, match=r"chainrule has no Conv2d \(at 'model.1'\)"):
        from_torch(tm)

    class MyLinear(nn.Linear):
        pass

    with pytest.raises(TypeError, match=r"MyLinear \(at 'model.1'\) subclasses Linear"):
        to_torch(nn.Sequential(nn.ReLU(), MyLinear(2, 2)))
    with pytest.raises(TypeError, match="expects a chainrule nn.Module"):
        to_torch(torch.nn.ReLU())
    with pytest.raises(TypeError, match="expects a torch.nn.Module"):
        from_torch(nn.ReLU())


def test_tensors_share_memory_both_ways():
    t = tensor(np.arange(6, dtype=np.float32))
    pt = tensor_to_torch(t)
    pt[0] = 42.0
    assert t.numpy()[0] == 42.0
    back = tensor_from_torch(pt)
    back.numpy()[1] = -1.0
    assert pt[1].item() == -1.0
    arr = np.ones(3)
    assert chainrule.as_tensor(arr).numpy() is arr or np.shares_memory(
        chainrule.as_tensor(arr).numpy(), arr
    )


# ---- every layer both libraries have --------------------------------------------------------
LAYERS = [
    (lambda: nn.Linear(4, 3), (5, 4)),
    (lambda: nn.Linear(4, 3, bias=False, dtype=chainrule.float64), (5, 4)),
    (lambda: nn.Bilinear(4, 2, 3), None),
    (lambda: nn.BatchNorm1d(4, momentum=0.3), (6, 4)),
    (lambda: nn.BatchNorm1d(4, affine=False, track_running_stats=False), (6, 4)),
    (lambda: nn.LayerNorm(4, eps=1e-3), (5, 4)),
    (lambda: nn.LayerNorm((2, 4), elementwise_affine=False), (3, 2, 4)),
    (lambda: nn.Embedding(7, 3, padding_idx=1), None),
    (lambda: nn.PReLU(num_parameters=4, init=0.1), (5, 4)),
    (lambda: nn.ELU(alpha=0.5), (5, 4)),
    (lambda: nn.Softplus(beta=2.0, threshold=5.0), (5, 4)),
    (lambda: nn.Hardtanh(-0.5, 2.0), (5, 4)),
    (lambda: nn.Threshold(0.1, -1.0), (5, 4)),
    (lambda: nn.GLU(dim=-1), (5, 4)),
    (lambda: nn.LogSoftmax(dim=1), (5, 4)),
    (lambda: nn.Softmin(dim=0), (5, 4)),
    (lambda: nn.Unflatten(1, (2, 2)), (5, 4)),
    (lambda: nn.Flatten(0, -1), (5, 4)),
    (lambda: nn.MSELoss(reduction="sum"), None),
    (lambda: nn.CrossEntropyLoss(label_smoothing=0.1), None),
] + [
    (lambda name=name: getattr(nn, name)(), (5, 4))
    for name in [
        "ReLU", "SELU", "SiLU", "Mish", "ReLU6", "Hardsigmoid", "Hardswish", "LogSigmoid",
        "Softsign", "Tanhshrink", "Sigmoid", "Tanh", "GELU", "Identity",
    ]
]  # fmt: skip


@pytest.mark.parametrize("make, input_shape", LAYERS, ids=[str(i) for i in range(len(LAYERS))])
def test_every_shared_layer_crosses_both_ways_with_its_settings_and_state(make, input_shape):
    chainrule.manual_seed(3)
    ours = make()
    theirs = to_torch(ours)
    assert type(theirs) is getattr(torch.nn, type(ours).__name__)
    assert repr(theirs) == repr(ours)
    for (key, a), (key_t, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert key == key_t
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    back = from_torch(theirs)
    assert type(back) is type(ours) and repr(back) == repr(ours)
    if input_shape is not None:
        x = np.random.default_rng(4).normal(size=input_shape).astype(ours_dtype(ours))
        np.testing.assert_allclose(
            ours(tensor(x)).detach().numpy(),
            theirs(torch.from_numpy(x)).detach().numpy(),
            rtol=1e-5,
            atol=1e-6,
        )


def ours_dtype(module):
    params = list(module.parameters())
    return params[0].numpy().dtype if params else np.float32


# ---- the user's own Module subclasses --------------------------------------------------------
# Written exactly as course code is: `import chainrule as torch`, nn, F and a helper function.
LECTURE_MODULE = """
import chainrule as torch
from chainrule import nn
import chainrule.nn.functional as F


def scaled_tanh(x):
    return 2 * torch.tanh(x)


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return x + F.relu(self.fc(x))


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.inp = nn.Linear(sizes[0], sizes[1])
        self.blocks = nn.ModuleList([Block(sizes[1]) for _ in range(2)])
        self.out = nn.Linear(sizes[1], sizes[2])
        self.gain = nn.Parameter(torch.ones(1))
        self.register_buffer("shift", torch.zeros(sizes[2]))
        self.depth = len(sizes)

    @property
    def width(self):
        return self.inp.out_features

    @staticmethod
    def squash(x):
        return scaled_tanh(x)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        for block in self.blocks:
            h = block(h)
        return self.squash(self.out(h)) * self.gain + self.shift


class Residual(MLP):
    def forward(self, x):
        return super().forward(x) + 1.0
"""


@pytest.fixture
def lecture_classes(tmp_path):
    namespace: dict = {}
    exec(compile(LECTURE_MODULE, str(tmp_path / "lecture.py"), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name", ["MLP", "Residual"])
def test_a_users_module_written_with_chainrule_names_runs_in_torch(lecture_classes, name):
    chainrule.manual_seed(5)
    model = lecture_classes[name]([3, 6, 2])
    with chainrule.no_grad():
        model.shift.add_(0.25)
    tm = to_torch(model)
    assert type(tm).__name__ == name and isinstance(tm, torch.nn.Module)
    assert list(tm.state_dict()) == list(model.state_dict())
    assert tm.depth == 3 and tm.width == 6
    assert [n for n, _ in tm.named_parameters()] == [n for n, _ in model.named_parameters()]
    x = np.random.default_rng(6).normal(size=(4, 3)).astype(np.float32)
    ours, theirs = model(tensor(x)), tm(torch.from_numpy(x))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    for (key, p), (_, tp) in zip(model.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-5, err_msg=key)
    # and back again: a chainrule module with the same code and numbers
    back = from_torch(tm)
    assert isinstance(back, nn.Module) and type(back).__name__ == name
    np.testing.assert_allclose(back(tensor(x)).detach().numpy(), ours.detach().numpy(), atol=1e-6)


def test_a_torch_users_module_runs_on_chainrule(tmp_path):
    namespace: dict = {}
    source = LECTURE_MODULE.replace("import chainrule as torch", "import torch")
    source = source.replace("from chainrule import nn", "from torch import nn")
    source = source.replace(
        "import chainrule.nn.functional as F", "import torch.nn.functional as F"
    )
    exec(compile(source, str(tmp_path / "torch_lecture.py"), "exec"), namespace)
    torch.manual_seed(0)
    tm = namespace["MLP"]([3, 5, 2]).double()
    model = from_torch(tm)
    assert isinstance(model, nn.Module) and model.out.weight.dtype == chainrule.float64
    x = np.random.default_rng(7).normal(size=(4, 3))
    np.testing.assert_allclose(
        model(tensor(x)).detach().numpy(), tm(torch.from_numpy(x)).detach().numpy(), atol=1e-12
    )


def test_submodule_modes_are_kept(lecture_classes):
    model = lecture_classes["MLP"]([3, 4, 2])
    model.blocks[1].eval()
    tm = to_torch(model)
    assert [m.training for m in tm.modules()] == [m.training for m in model.modules()]


def test_a_saved_state_dict_loads_into_the_torch_model_in_one_call(lecture_classes, tmp_path):
    from chainrule.interop import state_dict_to_torch  # noqa: PLC0415

    model = lecture_classes["MLP"]([3, 4, 2])
    chainrule.save(model.state_dict(), tmp_path / "mlp.pt")
    tm = to_torch(lecture_classes["MLP"]([3, 4, 2]))  # fresh weights, then the saved ones
    tm.load_state_dict(state_dict_to_torch(tmp_path / "mlp.pt"))
    x = np.random.default_rng(8).normal(size=(2, 3)).astype(np.float32)
    np.testing.assert_allclose(
        tm(torch.from_numpy(x)).detach().numpy(), model(tensor(x)).detach().numpy(), atol=1e-6
    )
    with pytest.raises(TypeError, match="entry 'x' is a int"):
        state_dict_to_torch({"x": 3})
