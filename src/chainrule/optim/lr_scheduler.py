"""Learning-rate schedules that rewrite ``group["lr"]`` once per epoch, as torch's do.

A scheduler is stepped *after* ``optimizer.step()``. Like torch, the schedules here are
recursive (each lr is computed from the previous one), so they compose with other code that
changes ``group["lr"]`` and produce bit-identical sequences to PyTorch's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from chainrule.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: keeps ``base_lrs``, ``last_epoch``, and writes ``get_lr()`` into the groups.

    Construction performs the initial step (``last_epoch`` -1 → 0), which leaves the lrs as
    they are and records each group's ``initial_lr``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        "a scheduler with last_epoch >= 0"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """Return the lr of every group for the current ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def step(self) -> None:
        """Advance one epoch and write the new lrs into the optimizer's groups."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """Return the lrs this scheduler set most recently, one per group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Return every attribute except the optimizer (save that with its own state_dict)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict``."""
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs.

        lrₑ = base_lr · γ^⌊e / step_size⌋

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # Recursive, like torch: only multiply on an epoch that starts a new block.
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal the lr from its base value to ``eta_min`` along half a cosine over ``T_max`` epochs.

        lrₑ = η_min + ½ (base_lr − η_min)(1 + cos(π e / T_max))

    computed recursively from the previous lr, as torch does, so past ``T_max`` it rises
    again (a period of ``2·T_max``) rather than staying at ``eta_min``.

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); opt.step(); sched.step()
    >>> lrs
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (e - 1 - T) % (2 * T) == 0:
            # Leaving the minimum: the ratio below would divide by 1 + cos(π) = 0.
            return [
                group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base_lr, group in zip(self.base_lrs, groups)
            ]
        # lrₑ − η_min = (lrₑ₋₁ − η_min) · (1 + cos(πe/T)) / (1 + cos(π(e−1)/T))
        return [
            (1 + math.cos(math.pi * e / T))
            / (1 + math.cos(math.pi * (e - 1) / T))
            * (group["lr"] - eta_min)
            + eta_min
            for group in groups
        ]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lrₑ = base_lr · γᵉ``.

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch listed in ``milestones``.

        lrₑ = base_lr · γ^(number of milestones ≤ e)

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> [round(lr, 4) for lr in lrs]
    [1.0, 0.1, 0.1, 0.01]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)  # a milestone listed twice multiplies twice
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        hits = self.milestones.get(self.last_epoch, 0)
        return [group["lr"] * self.gamma**hits for group in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """Set the lr to ``base_lr · lr_lambda(epoch)``: one function, or one per param group.

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> sched = LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, without the functions (they are code, not state; torch does the same)."""
        return {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}


class OneCycleLR(LRScheduler):
    """Warm the lr up to ``max_lr`` and anneal it far below the start, once, stepped per batch.

    Smith & Topin's 1cycle policy, with torch's phases (``T = total_steps``):

        step 0 → pct_start·T − 1:    lr  max_lr/div_factor → max_lr     momentum max → base
        … → T − 1:                   lr  max_lr → initial_lr/final_div_factor   momentum base → max

    (``three_phase=True`` first comes back down to the initial lr, then anneals to the minimum.)
    Each phase interpolates along half a cosine (``anneal_strategy='cos'``) or a line. The
    momentum (SGD's ``momentum``, Adam's β₁) moves against the lr when ``cycle_momentum``.
    Unlike the epoch schedules, call ``step()`` after every batch, ``total_steps`` times at most.

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> lrs = []
    >>> for _ in range(10):
    ...     lrs.append(round(sched.get_last_lr()[0], 3)); opt.step(); sched.step()
    >>> lrs  # up for 30% of the steps (0.3 · 10 − 1 = step 2 is the peak), then down
    [0.04, 0.52, 1.0, 0.95, 0.812, 0.611, 0.389, 0.188, 0.05, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.total_steps = _one_cycle_total_steps(total_steps, epochs, steps_per_epoch)
        if not 0 <= pct_start <= 1 or isinstance(pct_start, bool):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal = _cosine_between if anneal_strategy == "cos" else _line_between
        T = self.total_steps
        if three_phase:
            ends = [float(pct_start * T) - 1, float(2 * pct_start * T) - 2, T - 1]
            lr_keys = [("initial_lr", "max_lr"), ("max_lr", "initial_lr"), ("initial_lr", "min_lr")]
            momentum_keys = [
                ("max_momentum", "base_momentum"),
                ("base_momentum", "max_momentum"),
                ("max_momentum", "max_momentum"),
            ]
        else:
            ends = [float(pct_start * T) - 1, T - 1]
            lr_keys = [("initial_lr", "max_lr"), ("max_lr", "min_lr")]
            momentum_keys = [("max_momentum", "base_momentum"), ("base_momentum", "max_momentum")]
        # Each phase: (last step of the phase, (lr from, lr to), (momentum from, momentum to)).
        self._phases = list(zip(ends, lr_keys, momentum_keys))

        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, top in zip(groups, _per_group(max_lr, groups, "max_lr")):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            defaults = optimizer.defaults
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self._use_beta1 = "betas" in defaults
            if last_epoch == -1:
                bases = _per_group(base_momentum, groups, "base_momentum")
                tops = _per_group(max_momentum, groups, "max_momentum")
                for group, low, high in zip(groups, bases, tops):
                    self._set_momentum(group, high)
                    group["base_momentum"] = low
                    group["max_momentum"] = high
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self._use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, (lr_from, lr_to), (m_from, m_to)) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_from], group[m_to], pct))
                    break
                start = end
        return lrs


def _one_cycle_total_steps(
    total_steps: int | None, epochs: int | None, steps_per_epoch: int | None
) -> int:
    # Either the total is given, or it is epochs × steps_per_epoch (torch's two spellings).
    if total_steps is not None:
        if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"Expected positive integer {name}, but got {value}")
    return epochs * steps_per_epoch


def _per_group(value: float | list[float], groups: list[dict[str, Any]], name: str) -> list[float]:
    # One number for every group, or a list with exactly one per group (torch's rule).
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"expected {len(groups)} values for {name}, got {len(value)}")
        return list(value)
    return [value] * len(groups)


def _cosine_between(start: float, end: float, pct: float) -> float:
    # Half a cosine from start (pct 0) to end (pct 1): flat at both ends, steepest midway.
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _line_between(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    Call ``scheduler.step(val_loss)`` once per epoch. "Improving" means beating the best value
    so far by ``threshold`` (relative, ``'rel'``, or absolute, ``'abs'``); after a reduction,
    ``cooldown`` epochs pass before counting again, and the lr never goes below ``min_lr``.

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1)
    >>> for loss in [1.0, 1.0, 1.0]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()
    [0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if mode not in ("min", "max"):
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _is_better(self, current: float) -> bool:
        if self.mode == "min":
            bar = (
                self.best * (1 - self.threshold)
                if self.threshold_mode == "rel"
                else (self.best - self.threshold)
            )
            return current < bar
        bar = (
            self.best * (1 + self.threshold)
            if self.threshold_mode == "rel"
            else (self.best + self.threshold)
        )
        return current > bar

    def step(self, metrics: Any) -> None:
        """Record this epoch's metric and reduce the lrs if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:  # skip changes too small to matter
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """Return the lrs after the most recent step, one per group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Return every attribute except the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict``."""
        self.__dict__.update(state_dict)
