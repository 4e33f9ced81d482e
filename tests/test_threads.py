"""``chainrule.set_num_threads`` / ``get_num_threads`` and the BLAS threads ``chainrule train`` picks."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.threads import SMALL_PRODUCT, threads_for_training, training_threads


@pytest.fixture
def restore_threads():
    before = chainrule.get_num_threads()
    yield
    chainrule.set_num_threads(before)
    chainrule.threads._chosen = None


@pytest.mark.parametrize("n", [1, 2])
def test_set_then_get(restore_threads, n):
    chainrule.set_num_threads(n)
    assert chainrule.get_num_threads() == n
    a = np.ones((300, 300), np.float32)
    assert (a @ a)[0, 0] == 300  # products still work under the limit


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_bad_counts_are_refused(bad):
    with pytest.raises(ValueError, match="set_num_threads: expects a positive int"):
        chainrule.set_num_threads(bad)


def test_small_models_train_on_one_thread_large_ones_on_every_core():
    assert threads_for_training(64, [784, 256, 256, 10]) == 1
    assert threads_for_training(64, [2, 16, 16, 2]) == 1
    wide = int((SMALL_PRODUCT / 64) ** 0.5) + 1
    assert threads_for_training(64, [784, wide, wide, 10]) >= 1


def test_training_threads_applies_and_restores(restore_threads):
    chainrule.set_num_threads(2)
    chainrule.threads._chosen = None  # as if nobody had chosen
    with training_threads(64, [784, 256, 256, 10]) as n:
        assert n == 1 and chainrule.get_num_threads() == 1
    assert chainrule.get_num_threads() == 2
    with training_threads(64, [784, 256, 256, 10], threads=2) as n:
        assert n == 2 and chainrule.get_num_threads() == 2


def test_a_users_choice_wins_over_the_default(restore_threads):
    chainrule.set_num_threads(2)
    with training_threads(64, [784, 256, 256, 10]) as n:
        assert n == 2


def test_train_runs_under_the_chosen_count(restore_threads, tmp_path, monkeypatch):
    from chainrule.training import loop

    seen = []
    real = loop._train_into

    def spy(*args, **kwargs):
        seen.append(chainrule.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "_train_into", spy)
    config = loop.TrainConfig(dataset="moons", hidden=(8,), epochs=1)
    loop.train(config, tmp_path / "run", log=lambda line: None)
    assert seen == [1]
