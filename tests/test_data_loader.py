"""chainrule.data: Dataset, TensorDataset, Subset, random_split and DataLoader (torch.utils.data semantics)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import chainrule
import chainrule.data as data_package
import chainrule.data.collate as collate_module
import chainrule.data.dataloader as loader_module
import chainrule.data.dataset as dataset_module
from chainrule import as_tensor
from chainrule._tensor import Tensor
from chainrule.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from chainrule.random import manual_seed


@pytest.mark.parametrize(
    "module",
    [data_package, dataset_module, collate_module, loader_module],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_torch_import_path_gives_the_same_objects():
    import chainrule.utils.data as utils_data

    assert doctest.testmod(utils_data).failed == 0
    assert all(
        getattr(utils_data, name) is getattr(data_package, name) for name in utils_data.__all__
    )


def _dataset(n: int = 10) -> TensorDataset:
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)  # row i is [3i, 3i+1, 3i+2]
    return TensorDataset(x, np.arange(n))


def _labels(loader: DataLoader) -> list[list[int]]:
    """One epoch, as the list of each batch's labels (which are the item indices)."""
    return [y.numpy().tolist() for _, y in loader]


# ---- TensorDataset / Subset ---------------------------------------------------------------------


def test_tensor_dataset_items_and_batches():
    ds = _dataset(5)
    x, y = ds[2]
    assert isinstance(x, Tensor) and x.numpy().tolist() == [6.0, 7.0, 8.0] and int(y.numpy()) == 2
    xb, yb = ds.get_batch(np.array([4, 0]))
    assert xb.shape == (2, 3) and xb.numpy().dtype == np.float32 and yb.numpy().tolist() == [4, 0]
    assert len(ds) == 5


def test_tensor_dataset_accepts_tensors_without_copying():
    x = np.zeros((4, 2), np.float32)
    t = as_tensor(x)  # shares x's memory (torch.tensor would copy)
    ds = TensorDataset(t, np.arange(4))
    assert ds.tensors[0] is t and ds.arrays[0] is x


def test_tensor_dataset_names_the_shapes_that_disagree():
    with pytest.raises(
        ValueError, match=r"size mismatch in the first dimension: shapes \(5, 2\), \(4,\)"
    ):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match=r"first \(sample\) dimension"):
        TensorDataset(np.float32(1.0))


def test_subset_maps_indices_and_keeps_the_fast_path():
    sub = Subset(_dataset(10), [9, 3, 5])
    assert len(sub) == 3 and int(sub[0][1].numpy()) == 9
    assert sub.get_batch(np.array([2, 0]))[1].numpy().tolist() == [5, 9]
    nested = Subset(sub, [2, 1])  # a subset of a subset composes both index maps
    assert nested.get_batch(np.array([0, 1]))[1].numpy().tolist() == [5, 3]


def test_dataset_base_class_demands_the_protocol():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


# ---- DataLoader: sizes and order ------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, batch, drop_last, sizes",
    [
        (10, 3, False, [3, 3, 3, 1]),
        (10, 3, True, [3, 3, 3]),
        (9, 3, False, [3, 3, 3]),
        (9, 3, True, [3, 3, 3]),
        (2, 5, False, [2]),
        (2, 5, True, []),
        (0, 4, False, []),
    ],
)
def test_len_and_batch_sizes(n, batch, drop_last, sizes):
    loader = DataLoader(_dataset(n), batch_size=batch, drop_last=drop_last)
    assert len(loader) == len(sizes)
    assert [len(b) for b in _labels(loader)] == sizes


def test_without_shuffle_order_is_the_dataset_order():
    batches = _labels(DataLoader(_dataset(10), batch_size=4))
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_batches_are_tuples_of_tensors_with_the_arrays_dtypes():
    xb, yb = next(iter(DataLoader(_dataset(10), batch_size=4)))
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.shape == (4, 3) and xb.numpy().dtype == np.float32 and yb.numpy().dtype == np.int64
    np.testing.assert_array_equal(xb.numpy()[:, 0], 3 * yb.numpy())  # rows stay with their labels


def test_batch_size_must_be_a_positive_int():
    for bad in (0, -1, 2.0, True):  # None is valid: unbatched, as in torch
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            DataLoader(_dataset(), batch_size=bad)


# ---- DataLoader: randomness ---------------------------------------------------------------------


def test_each_shuffled_epoch_is_a_permutation():
    loader = DataLoader(_dataset(50), batch_size=8, shuffle=True, seed=1)
    for _ in range(3):
        assert sorted(sum(_labels(loader), [])) == list(range(50))


def test_seeded_loaders_repeat_and_epochs_differ():
    a = DataLoader(_dataset(50), batch_size=8, shuffle=True, seed=7)
    b = DataLoader(_dataset(50), batch_size=8, shuffle=True, generator=np.random.default_rng(7))
    epochs_a = [_labels(a) for _ in range(3)]
    epochs_b = [_labels(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epochs_a[0] != _labels(DataLoader(_dataset(50), batch_size=8, shuffle=True, seed=8))


def test_global_seed_makes_unseeded_loaders_repeat():
    manual_seed(123)
    first = _labels(DataLoader(_dataset(30), batch_size=5, shuffle=True))
    manual_seed(123)
    assert _labels(DataLoader(_dataset(30), batch_size=5, shuffle=True)) == first


def test_generator_and_seed_are_exclusive_and_typed():
    with pytest.raises(ValueError, match="either generator= or seed="):
        DataLoader(_dataset(), generator=np.random.default_rng(0), seed=0)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(_dataset(), generator=np.random.RandomState(0))


def test_permutation_is_drawn_when_iter_is_called():
    loader = DataLoader(_dataset(20), batch_size=4, shuffle=True, seed=0)
    before = loader.generator.bit_generator.state
    it = iter(loader)
    assert loader.generator.bit_generator.state != before  # drawn at iter(), before any next()
    next(it)
    after_iter = loader.generator.bit_generator.state
    list(it)
    assert (
        loader.generator.bit_generator.state == after_iter
    )  # consuming the epoch draws nothing more


def test_checkpointing_the_generator_state_resumes_bit_identically():
    loader = DataLoader(_dataset(40), batch_size=6, shuffle=True, seed=3)
    _labels(loader)  # epoch 1
    state = loader.generator.bit_generator.state  # checkpoint after epoch 1
    later = [_labels(loader) for _ in range(2)]  # epochs 2 and 3

    # Resume in the same loader ...
    loader.generator.bit_generator.state = state
    assert [_labels(loader) for _ in range(2)] == later
    # ... and in a new loader, as a restarted process would (whatever its own seed).
    resumed = DataLoader(_dataset(40), batch_size=6, shuffle=True, seed=999)
    resumed.generator.bit_generator.state = state
    assert [_labels(resumed) for _ in range(2)] == later


def test_mid_epoch_resume_from_the_state_before_iter_plus_a_batch_count():
    loader = DataLoader(_dataset(40), batch_size=6, shuffle=True, seed=3)
    state = loader.generator.bit_generator.state  # saved before this epoch's iter()
    epoch = _labels(loader)
    resumed = DataLoader(_dataset(40), batch_size=6, shuffle=True, seed=0)
    resumed.generator.bit_generator.state = state
    it = iter(resumed)
    for _ in range(3):  # three batches were done before the "crash"
        next(it)
    assert [y.numpy().tolist() for _, y in it] == epoch[3:]


def test_unshuffled_loader_draws_no_random_numbers():
    loader = DataLoader(_dataset(20), batch_size=4, seed=0)
    before = loader.generator.bit_generator.state
    _labels(loader)
    assert loader.generator.bit_generator.state == before


# ---- DataLoader: the fast path and the generic path ---------------------------------------------


def test_tensor_dataset_batches_never_call_getitem(monkeypatch):
    def forbidden(self, index):
        raise AssertionError("per-sample __getitem__ used on the fast path")

    monkeypatch.setattr(TensorDataset, "__getitem__", forbidden)
    ds = _dataset(20)
    assert len(_labels(DataLoader(ds, batch_size=6, shuffle=True, seed=0))) == 4
    train, _ = random_split(ds, [15, 5], seed=0)
    assert sorted(
        sum(_labels(DataLoader(train, batch_size=4, shuffle=True, seed=0)), [])
    ) == sorted(train.indices.tolist())


class Pairs(Dataset):
    """A dataset without get_batch: items are (array, int) pairs computed on demand."""

    def __len__(self) -> int:
        return 7

    def __getitem__(self, i: int):
        return np.full(2, i, np.float32), i


class Numbers(Dataset):
    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int) -> float:
        return float(i) / 2


def test_generic_datasets_are_collated_by_stacking():
    batches = list(DataLoader(Pairs(), batch_size=3))
    assert [len(y.numpy()) for _, y in batches] == [3, 3, 1]
    x, y = batches[0]
    assert x.shape == (3, 2) and x.numpy().dtype == np.float32 and y.numpy().tolist() == [0, 1, 2]
    singles = list(DataLoader(Numbers(), batch_size=2))
    assert [b.numpy().tolist() for b in singles] == [[0.0, 0.5], [1.0, 1.5], [2.0]]
    # A Subset of a generic dataset collates too.
    ((x, y),) = DataLoader(Subset(Pairs(), [6, 1]), batch_size=2)
    assert y.numpy().tolist() == [6, 1]


def test_same_seed_same_batches_on_both_paths():
    fast = _labels(
        DataLoader(
            TensorDataset(np.zeros((7, 2), np.float32), np.arange(7)),
            batch_size=3,
            shuffle=True,
            seed=5,
        )
    )
    slow = [y.numpy().tolist() for _, y in DataLoader(Pairs(), batch_size=3, shuffle=True, seed=5)]
    assert fast == slow


def test_default_collate_errors():
    with pytest.raises(ValueError, match="no samples"):
        default_collate([])
    with pytest.raises(ValueError, match="different numbers of fields"):
        default_collate([(1, 2), (3,)])


# ---- random_split ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, lengths, sizes",
    [
        (10, [7, 3], [7, 3]),
        (10, [0.33, 0.33, 0.34], [4, 3, 3]),  # torch: floors 3,3,3, then the leftover 1 to split 0
        (7, [0.5, 0.5], [4, 3]),
        (5, [0.1, 0.9], [1, 4]),
        (60000, [55 / 60, 5 / 60], [55000, 5000]),
    ],
)
def test_random_split_sizes(n, lengths, sizes):
    parts = random_split(_dataset(n), lengths, seed=0)
    assert [len(p) for p in parts] == sizes
    everything = np.concatenate([p.indices for p in parts])
    assert sorted(everything.tolist()) == list(range(n))  # disjoint and complete


def test_random_split_sizes_match_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import random_split as torch_split

    for n, fractions in [
        (10, [0.33, 0.33, 0.34]),
        (7, [0.5, 0.5]),
        (101, [0.8, 0.1, 0.1]),
        (13, [0.25] * 4),
    ]:
        expected = [
            len(s)
            for s in torch_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
        ]
        assert [len(p) for p in random_split(_dataset(n), fractions, seed=0)] == expected


def test_random_split_is_deterministic_with_a_seed():
    a = [p.indices.tolist() for p in random_split(_dataset(30), [20, 10], seed=4)]
    b = [
        p.indices.tolist()
        for p in random_split(_dataset(30), [20, 10], generator=np.random.default_rng(4))
    ]
    c = [p.indices.tolist() for p in random_split(_dataset(30), [20, 10], seed=5)]
    assert a == b and a != c


def test_random_split_rejects_bad_lengths():
    with pytest.raises(
        ValueError, match=r"lengths \[3, 3\] sum to 6, but the dataset has 10 items"
    ):
        random_split(_dataset(10), [3, 3])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(_dataset(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(_dataset(10), [12, -2])


def test_random_split_warns_about_an_empty_split():
    with pytest.warns(UserWarning, match="split 1 is empty"):
        parts = random_split(_dataset(3), [0.1, 0.1, 0.8], seed=0)
    assert [len(p) for p in parts] == [1, 0, 2]


def test_default_collate_stacks_like_torch_and_names_mixed_shapes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    rows = rng.random((5, 3))
    samples = [(chainrule.tensor(r), int(i), float(i) / 2, True) for i, r in enumerate(rows)]
    theirs = torch.utils.data.default_collate(
        [(torch.tensor(r), int(i), float(i) / 2, True) for i, r in enumerate(rows)]
    )
    for ours_field, their_field in zip(default_collate(samples), theirs):
        assert str(ours_field.dtype).split(".")[1] == str(their_field.dtype).split(".")[1]
        np.testing.assert_array_equal(ours_field.numpy(), their_field.numpy())
    mixed = [np.zeros(3, np.float32), np.zeros(3, np.float64)]  # promotes, as np.stack does
    assert default_collate(mixed).dtype == chainrule.float64
    with pytest.raises(ValueError, match="same shape"):
        default_collate([np.zeros(3), np.zeros(4)])
