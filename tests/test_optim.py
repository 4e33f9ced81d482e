"""chainrule.optim: update formulas, checkpoints and schedules against PyTorch.

Two kinds of parity:
- *formula* parity feeds both optimizers the same gradient at every step (torch computes
  it at each framework's current weights), so any gap is the update rule itself: tight tolerance;
- *training* parity runs chainrule's own forward and backward against torch's, end to end.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from chainrule import nn, optim, tensor
from chainrule.nn import functional as F
from chainrule.optim.lr_scheduler import CosineAnnealingLR, StepLR

torch = pytest.importorskip("torch")

STEPS = 30
SIZES = (6, 16, 16, 3)  # a small MLP: 6 → 16 → 16 → 3, cross-entropy on a fixed batch


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=32)
    return x, y


def _mlp() -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers += [nn.Linear(a, b)] + ([nn.Tanh()] if i < len(SIZES) - 2 else [])
    return nn.Sequential(*layers)


def _torch_mlp(model: nn.Sequential) -> torch.nn.Sequential:
    """A torch copy of a chainrule MLP, with the same weights."""
    layers = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            t = torch.nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(layer.weight.numpy()))
                t.bias.copy_(torch.from_numpy(layer.bias.numpy()))
            layers.append(t)
        else:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def _torch_grads(arrays: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Gradients of the MLP's loss at weights ``arrays`` (W1, b1, W2, b2, ...), by torch."""
    ws = [torch.tensor(a, requires_grad=True) for a in arrays]
    h = torch.from_numpy(x)
    for i in range(0, len(ws), 2):
        h = h @ ws[i].T + ws[i + 1]
        if i + 2 < len(ws):
            h = torch.tanh(h)
    torch.nn.functional.cross_entropy(h, torch.from_numpy(y)).backward()
    return [w.grad.numpy() for w in ws]


CONFIGS = {
    "sgd": (optim.SGD, torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd_dampening": (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "sgd_nesterov": (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd_weight_decay": (optim.SGD, torch.optim.SGD, dict(lr=0.1, weight_decay=0.01)),
    "sgd_maximize": (optim.SGD, torch.optim.SGD, dict(lr=0.01, maximize=True)),
    "sgd_all": (
        optim.SGD,
        torch.optim.SGD,
        dict(lr=0.02, momentum=0.8, weight_decay=0.1, nesterov=True, maximize=True),
    ),
    "adam": (optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    "adam_amsgrad": (optim.Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True, betas=(0.8, 0.99))),
    "adam_weight_decay": (optim.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    "adam_maximize": (optim.Adam, torch.optim.Adam, dict(lr=0.001, maximize=True, eps=1e-6)),
    "adamw": (optim.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    "adamw_amsgrad": (
        optim.AdamW,
        torch.optim.AdamW,
        dict(lr=0.01, weight_decay=0.3, amsgrad=True),
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_update_formula_matches_torch_for_30_steps(name: str) -> None:
    ours_cls, theirs_cls, kwargs = CONFIGS[name]
    x, y = _data()
    model = _mlp()
    ours = list(model.parameters())
    theirs = [
        p.detach().clone().requires_grad_() for p in (torch.from_numpy(p.numpy()) for p in ours)
    ]
    opt, topt = ours_cls(ours, **kwargs), theirs_cls(theirs, **kwargs)
    for _ in range(STEPS):
        for p, g in zip(ours, _torch_grads([p.numpy() for p in ours], x, y)):
            p.grad = tensor(g)
        for p, g in zip(theirs, _torch_grads([p.detach().numpy() for p in theirs], x, y)):
            p.grad = torch.from_numpy(g)
        opt.step()
        topt.step()
    for p, t in zip(ours, theirs):
        assert p.numpy().dtype == np.float32
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sgd_momentum", "sgd_nesterov", "adam", "adam_amsgrad", "adamw"])
def test_training_with_own_backward_matches_torch(name: str) -> None:
    ours_cls, theirs_cls, kwargs = CONFIGS[name]
    x, y = _data(1)
    model = _mlp()
    tmodel = _torch_mlp(model)
    opt, topt = ours_cls(model.parameters(), **kwargs), theirs_cls(tmodel.parameters(), **kwargs)
    xs, ys, txs, tys = tensor(x), tensor(y), torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs), ys)
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(txs), tys)
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-4, abs=1e-5)
    for p, t in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-5)


def _run(
    model: nn.Sequential, opt: optim.Optimizer, x: np.ndarray, y: np.ndarray, steps: int
) -> None:
    for _ in range(steps):
        for p, g in zip(
            model.parameters(), _torch_grads([p.numpy() for p in model.parameters()], x, y)
        ):
            p.grad = tensor(g)
        opt.step()


@pytest.mark.parametrize("name", ["sgd_momentum", "adam_amsgrad", "adamw"])
def test_state_dict_round_trip_mid_trajectory_continues_identically(name: str) -> None:
    ours_cls, _, kwargs = CONFIGS[name]
    x, y = _data()
    model = _mlp()
    opt = ours_cls(model.parameters(), **kwargs)
    _run(model, opt, x, y, 10)

    saved_model = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    saved_opt = copy.deepcopy(opt.state_dict())
    restored = _mlp()
    restored.load_state_dict(saved_model)
    restored_opt = ours_cls(
        restored.parameters(), lr=123.0
    )  # hyperparameters come from the checkpoint
    restored_opt.load_state_dict(saved_opt)
    assert restored_opt.param_groups[0]["lr"] == kwargs["lr"]

    _run(model, opt, x, y, 10)
    _run(restored, restored_opt, x, y, 10)
    for p, q in zip(model.parameters(), restored.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_state_dict_layout_matches_torch() -> None:
    x, y = _data()
    model = _mlp()
    opt = optim.Adam(
        [
            {"params": [model[0].weight, model[0].bias]},
            {"params": list(model[2:].parameters()), "lr": 0.1},
        ]
    )
    tmodel = _torch_mlp(model)
    tparams = list(tmodel.parameters())
    topt = torch.optim.Adam([{"params": tparams[:2]}, {"params": tparams[2:], "lr": 0.1}])
    _run(model, opt, x, y, 2)
    torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    topt.step()

    ours, theirs = opt.state_dict(), topt.state_dict()
    assert set(ours) == set(theirs) == {"state", "param_groups"}
    assert (
        [g["params"] for g in ours["param_groups"]]
        == [g["params"] for g in theirs["param_groups"]]
        == [[0, 1], [2, 3, 4, 5]]
    )
    assert ours["param_groups"][1]["lr"] == theirs["param_groups"][1]["lr"] == 0.1
    assert set(ours["state"]) == set(theirs["state"])
    assert set(ours["state"][0]) == set(theirs["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert ours["state"][0]["step"] == 2
    # The saved arrays are copies: training on must not change a checkpoint.
    before = ours["state"][0]["exp_avg"].copy()
    _run(model, opt, x, y, 1)
    np.testing.assert_array_equal(ours["state"][0]["exp_avg"], before)


def test_loading_torch_optimizer_state_continues_like_torch() -> None:
    x, y = _data()
    model = _mlp()
    tmodel = _torch_mlp(model)
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.01, amsgrad=True)
    for _ in range(5):
        topt.zero_grad()
        torch.nn.functional.cross_entropy(
            tmodel(torch.from_numpy(x)), torch.from_numpy(y)
        ).backward()
        topt.step()
    sd = topt.state_dict()
    converted = {
        "state": {
            i: {k: (int(v.item()) if k == "step" else v.numpy()) for k, v in s.items()}
            for i, s in sd["state"].items()
        },
        "param_groups": sd["param_groups"],
    }
    model.load_state_dict({k: v.detach().numpy() for k, v in tmodel.state_dict().items()})
    opt = optim.Adam(model.parameters())
    opt.load_state_dict(converted)
    assert opt.param_groups[0]["amsgrad"] is True
    _run(model, opt, x, y, 5)
    for _ in range(5):
        topt.zero_grad()
        torch.nn.functional.cross_entropy(
            tmodel(torch.from_numpy(x)), torch.from_numpy(y)
        ).backward()
        topt.step()
    for p, t in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_rejects_mismatched_groups() -> None:
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    other = optim.SGD([model[0].weight], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(other.state_dict())
    two_groups = optim.SGD([{"params": [model[0].weight]}, {"params": [model[0].bias]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(two_groups.state_dict())


def test_param_groups_with_their_own_lr_match_torch() -> None:
    x, y = _data()
    model = _mlp()
    tmodel = _torch_mlp(model)
    params, tparams = list(model.parameters()), list(tmodel.parameters())
    opt = optim.SGD(
        [{"params": params[:2], "lr": 0.5}, {"params": params[2:]}], lr=0.05, momentum=0.9
    )
    topt = torch.optim.SGD(
        [{"params": tparams[:2], "lr": 0.5}, {"params": tparams[2:]}], lr=0.05, momentum=0.9
    )
    for _ in range(10):
        _run(model, opt, x, y, 1)
        topt.zero_grad()
        torch.nn.functional.cross_entropy(
            tmodel(torch.from_numpy(x)), torch.from_numpy(y)
        ).backward()
        topt.step()
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


# ---- step mechanics ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, amsgrad=True)],
)
def test_step_is_in_place_skips_missing_grads_and_keeps_float32(make) -> None:
    used, unused = nn.Parameter(np.ones((3, 2), np.float32)), nn.Parameter(np.ones(4, np.float32))
    opt = make([used, unused])
    arrays = (used.numpy(), unused.numpy())
    for _ in range(3):
        used.grad = tensor(np.full((3, 2), 0.5, np.float32))
        opt.step()
    assert (
        used.numpy() is arrays[0] and unused.numpy() is arrays[1]
    )  # updated in place, never rebound
    assert used.numpy().dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[used].values() if isinstance(v, np.ndarray))
    assert not (used.numpy() == 1).any()
    np.testing.assert_array_equal(unused.numpy(), 1)  # grad None: untouched, and no state created
    assert unused not in opt.state


def test_step_returns_closure_loss() -> None:
    w = nn.Parameter(np.zeros(2, np.float32))
    assert optim.SGD([w]).step(lambda: 3.5) == 3.5
    assert optim.SGD([w]).step() is None


def test_zero_grad_set_to_none_semantics() -> None:
    a, b = nn.Parameter(np.ones(2, np.float32)), nn.Parameter(np.ones(3, np.float32))
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = tensor(np.ones(2, np.float32))
    opt.zero_grad()
    assert a.grad is None and b.grad is None

    a.grad = tensor(np.ones(2, np.float32))
    grad_array = a.grad.numpy()
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and a.grad.numpy() is grad_array  # zeroed in place
    np.testing.assert_array_equal(a.grad.numpy(), 0)
    assert b.grad is None  # a missing gradient stays missing


# ---- validation ---------------------------------------------------------------------------


def _p() -> list[nn.Parameter]:
    return [nn.Parameter(np.zeros(2, np.float32))]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: optim.SGD(_p(), lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda: optim.SGD(_p(), momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda: optim.SGD(_p(), weight_decay=-1), "Invalid weight_decay value: -1"),
        (
            lambda: optim.SGD(_p(), nesterov=True),
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (
            lambda: optim.SGD(_p(), momentum=0.9, dampening=0.1, nesterov=True),
            "Nesterov momentum requires",
        ),
        (lambda: optim.Adam(_p(), lr=-1), "Invalid learning rate: -1"),
        (lambda: optim.Adam(_p(), eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda: optim.Adam(_p(), betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (lambda: optim.Adam(_p(), betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (lambda: optim.AdamW(_p(), weight_decay=-0.01), "Invalid weight_decay value: -0.01"),
        (lambda: optim.SGD([]), "optimizer got an empty parameter list"),
    ],
)
def test_invalid_hyperparameters_raise_clear_errors(make, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_invalid_params_raise_clear_errors() -> None:
    w = nn.Parameter(np.zeros(2, np.float32))
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(w)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({w})
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}])
    opt = optim.SGD([w])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": w})


def test_base_optimizer_requires_declared_hyperparameters() -> None:
    from chainrule.optim.optimizer import Optimizer, required

    with pytest.raises(
        ValueError, match="didn't specify a value of required optimization parameter lr"
    ):
        Optimizer(_p(), dict(lr=required))
    with pytest.raises(NotImplementedError, match="does not implement _update"):
        p = _p()
        p[0].grad = tensor(np.zeros(2, np.float32))
        Optimizer(p, dict(lr=0.1)).step()


# ---- schedules ---------------------------------------------------------------------------


def _lr_sequences(
    make_ours, make_theirs, epochs: int = 25
) -> tuple[list[list[float]], list[list[float]]]:
    ps = [nn.Parameter(np.zeros(2, np.float32)) for _ in range(2)]
    tps = [torch.zeros(2, requires_grad=True) for _ in range(2)]
    opt = optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.3}], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(
        [{"params": [tps[0]]}, {"params": [tps[1]], "lr": 0.3}], lr=0.1, momentum=0.9
    )
    sched, tsched = make_ours(opt), make_theirs(topt)
    ours, theirs = [], []
    for _ in range(epochs):
        ours.append(sched.get_last_lr())
        theirs.append(tsched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == ours[-1]
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    return ours, theirs


@pytest.mark.parametrize("step_size, gamma", [(1, 0.9), (3, 0.5), (7, 0.1)])
def test_step_lr_sequence_matches_torch_exactly(step_size: int, gamma: float) -> None:
    ours, theirs = _lr_sequences(
        lambda o: StepLR(o, step_size, gamma),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma),
    )
    assert ours == theirs


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (7, 0.01), (1, 0.001)])
def test_cosine_annealing_sequence_matches_torch_exactly(T_max: int, eta_min: float) -> None:
    # 25 epochs runs past T_max, into torch's rising half-period.
    ours, theirs = _lr_sequences(
        lambda o: CosineAnnealingLR(o, T_max, eta_min),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min),
    )
    assert ours == theirs


def test_scheduler_state_dict_round_trip() -> None:
    opt = optim.SGD(_p(), lr=1.0)
    sched = CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        sched.step()
    saved = copy.deepcopy(sched.state_dict())
    assert "optimizer" not in saved and saved["last_epoch"] == 4

    opt2 = optim.SGD(_p(), lr=1.0)
    opt2.load_state_dict(opt.state_dict())
    sched2 = CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(saved)
    for _ in range(5):
        opt.step(), sched.step()
        opt2.step(), sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_scheduler_rejects_non_optimizer_and_missing_initial_lr() -> None:
    with pytest.raises(TypeError, match="is not an Optimizer"):
        StepLR(object(), step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(optim.SGD(_p()), step_size=1, last_epoch=3)
