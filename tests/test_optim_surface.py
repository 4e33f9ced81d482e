"""RMSprop, Adagrad and the added lr schedulers against torch: 20-step trajectories."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import nn, optim

torch = pytest.importorskip("torch")

TARGET = np.linspace(-1, 1, 6).reshape(2, 3)


def trajectories(ours_cls, theirs_cls, steps=20, **kwargs):
    """Minimise Σ (w − T)⁴ from the same start with both optimizers; return both histories."""
    start = np.random.default_rng(0).standard_normal((2, 3))
    ours = nn.Parameter(chainrule.tensor(start.copy()))
    theirs = torch.nn.Parameter(torch.tensor(start))
    opt_ours, opt_theirs = ours_cls([ours], **kwargs), theirs_cls([theirs], **kwargs)
    history = []
    for _ in range(steps):
        for w, opt, lib in ((ours, opt_ours, chainrule), (theirs, opt_theirs, torch)):
            opt.zero_grad()
            ((w - lib.tensor(TARGET)) ** 4).sum().backward()
            opt.step()
        history.append((ours.detach().numpy().copy(), theirs.detach().numpy().copy()))
    return history, opt_ours, opt_theirs


RMSPROP = [
    dict(),
    dict(lr=0.05, alpha=0.9),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1),
    dict(lr=0.01, maximize=True, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", RMSPROP, ids=str)
def test_rmsprop_follows_torch(kwargs):
    history, ours, theirs = trajectories(optim.RMSprop, torch.optim.RMSprop, **kwargs)
    for a, b in history:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert set(ours.state_dict()["state"][0]) == set(theirs.state_dict()["state"][0])


ADAGRAD = [
    dict(),
    dict(lr=0.1, lr_decay=0.01),
    dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5),
    dict(lr=0.05, eps=1e-3, maximize=True),
]


@pytest.mark.parametrize("kwargs", ADAGRAD, ids=str)
def test_adagrad_follows_torch(kwargs):
    history, ours, theirs = trajectories(optim.Adagrad, torch.optim.Adagrad, **kwargs)
    for a, b in history:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert set(ours.state_dict()["state"][0]) == set(theirs.state_dict()["state"][0])


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        ("RMSprop", dict(lr=-1), "Invalid learning rate: -1"),
        ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
        ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"),
        ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
        ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    ],
)
def test_bad_hyperparameters_are_refused_with_torchs_messages(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(torch.optim, cls)([torch.nn.Parameter(torch.zeros(1))], **kwargs)
    with pytest.raises(ValueError, match=message):
        getattr(optim, cls)([nn.Parameter(chainrule.zeros(1))], **kwargs)


def lr_history(make, lib, steps=20, metrics=None):
    params = [lib.nn.Parameter(lib.zeros(1)), lib.nn.Parameter(lib.zeros(1))]
    opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=1.0)
    sched = make(lib.optim.lr_scheduler, opt)
    lrs = []
    for epoch in range(steps):
        lrs.append([group["lr"] for group in opt.param_groups])
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
    return lrs


SCHEDULES = {
    "exponential": lambda m, opt: m.ExponentialLR(opt, gamma=0.8),
    "multistep": lambda m, opt: m.MultiStepLR(opt, milestones=[3, 7, 7, 15], gamma=0.5),
    "lambda": lambda m, opt: m.LambdaLR(opt, lambda e: 0.95**e + 0.01 * e),
    "lambda_list": lambda m, opt: m.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_follow_torch(name):
    ours = lr_history(SCHEDULES[name], chainrule)
    theirs = lr_history(SCHEDULES[name], torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(patience=2),
        dict(mode="max", factor=0.5, patience=1, cooldown=2),
        dict(patience=0, threshold=0.1, threshold_mode="abs", min_lr=0.05),
        dict(patience=1, min_lr=[0.2, 0.01]),
    ],
    ids=str,
)
def test_reduce_lr_on_plateau_follows_torch(kwargs):
    rng = np.random.default_rng(3)
    metrics = list(1.0 / (1 + np.arange(30)) + rng.uniform(0, 0.3, 30))
    make = lambda m, opt: m.ReduceLROnPlateau(opt, **kwargs)  # noqa: E731
    ours = lr_history(make, chainrule, 30, metrics)
    theirs = lr_history(make, torch, 30, metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)


def test_lambda_lr_needs_one_function_per_group():
    opt = optim.SGD([{"params": [nn.Parameter(chainrule.zeros(1))]}], lr=1.0)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0])


def one_cycle_history(module, optimizer: str, n_steps: int, **kwargs):
    """(lr, momentum) after each of n_steps batches of a OneCycleLR on ``module``'s optimizer."""
    p = module.nn.Parameter(module.zeros(2))
    if optimizer == "SGD":
        opt = module.optim.SGD([p], lr=0.1, momentum=0.9)
    else:
        opt = module.optim.Adam([p], lr=0.1)
    sched = module.optim.lr_scheduler.OneCycleLR(opt, **kwargs)
    history = []
    for _ in range(n_steps):
        group = opt.param_groups[0]
        momentum = group["momentum"] if optimizer == "SGD" else group["betas"][0]
        history.append((sched.get_last_lr()[0], momentum))
        opt.step()
        sched.step()
    return history


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize(
    "kwargs, n_steps",
    [
        (dict(max_lr=1.0, total_steps=10), 10),
        (dict(max_lr=0.5, epochs=3, steps_per_epoch=7, three_phase=True), 21),
        (dict(max_lr=0.5, total_steps=13, anneal_strategy="linear", pct_start=0.25), 13),
        (dict(max_lr=2.0, total_steps=9, cycle_momentum=False, div_factor=4), 9),
    ],
    ids=str,
)
def test_one_cycle_follows_torch(optimizer, kwargs, n_steps):
    ours = one_cycle_history(chainrule, optimizer, n_steps, **kwargs)
    theirs = one_cycle_history(torch, optimizer, n_steps, **kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)


def test_one_cycle_refuses_a_step_past_the_end_and_bad_settings():
    opt = optim.SGD([nn.Parameter(chainrule.zeros(1))], lr=0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, max_lr=1.0, total_steps=2)
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        sched.step()
    with pytest.raises(ValueError, match="total_steps OR"):
        optim.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        optim.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="step")
    plain = optim.SGD([nn.Parameter(chainrule.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="momentum or beta1"):
        optim.OneCycleLR(optim.Adagrad([nn.Parameter(chainrule.zeros(1))]), 1.0, total_steps=5)
    optim.OneCycleLR(plain, max_lr=1.0, total_steps=5)  # SGD has a momentum setting (0)
