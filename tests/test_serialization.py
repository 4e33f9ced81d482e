"""chainrule.save / chainrule.load: state_dicts round-trip, and hostile files are refused by name."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule
from chainrule import nn
from chainrule.serialization import SerializationError

torch = pytest.importorskip("torch")


def roundtrip(obj):
    buf = io.BytesIO()
    chainrule.save(obj, buf)
    buf.seek(0)
    return chainrule.load(buf)


def test_model_and_optimizer_state_dicts_round_trip_through_a_file(tmp_path):
    chainrule.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = chainrule.optim.Adam(model.parameters(), lr=0.01)
    model(chainrule.randn(5, 3)).sum().backward()
    opt.step()
    path = tmp_path / "model.pt"
    chainrule.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}, path)
    saved = chainrule.load(path)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(saved["model"])
    for a, b in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    opt2 = chainrule.optim.Adam(fresh.parameters(), lr=0.01)
    opt2.load_state_dict(saved["opt"])
    assert (
        saved["epoch"] == 3
        and opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    )


ARRAYS = hnp.arrays(
    st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
PLAIN = st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.floats() | st.text(max_size=8)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    tree=st.recursive(
        PLAIN | ARRAYS.map(chainrule.as_tensor),
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.tuples(kids, kids)
            | st.dictionaries(st.text(max_size=5) | st.integers(0, 9), kids, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_any_nesting_of_tensors_and_plain_values_round_trips_exactly(tree):
    def same(a, b):
        if isinstance(a, chainrule.Tensor):
            assert isinstance(b, chainrule.Tensor) and a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        elif isinstance(a, (list, tuple)):
            assert type(a) is type(b) and len(a) == len(b)
            for x, y in zip(a, b):
                same(x, y)
        elif isinstance(a, dict):
            assert list(a) == list(b)
            for k in a:
                same(a[k], b[k])
        elif isinstance(a, float) and a != a:
            assert b != b
        else:
            assert a == b and type(a) is type(b)

    same(tree, roundtrip(tree))


def test_parameters_come_back_requiring_grad_and_modules_are_refused():
    out = roundtrip({"p": nn.Parameter(chainrule.zeros(2))})
    assert out["p"].requires_grad
    with pytest.raises(TypeError, match="state_dict"):
        chainrule.save(nn.Linear(2, 2), io.BytesIO())


def _archive(manifest, members=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            "manifest.json", manifest if isinstance(manifest, str) else json.dumps(manifest)
        )
        for name, data in members:
            zf.writestr(name, data)
    buf.seek(0)
    return buf


def _npy(arr):
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


GOOD = {
    "format": "chainrule.save",
    "version": 1,
    "object": {"__tensor__": 0, "requires_grad": False},
}


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: io.BytesIO(b"\x80\x04junk"), "pickle"),
        (lambda: io.BytesIO(b"hello"), "not a file written"),
        (lambda: _archive("{not json"), "not valid JSON"),
        (lambda: _archive({"format": "other"}), "not a file written"),
        (lambda: _archive({**GOOD, "version": 9}), "version"),
        (lambda: _archive(GOOD), "missing"),
        (lambda: _archive(GOOD, [("tensors/0.npy", b"\x93NUMPY\x01\x00garbage")]), "header"),
        (lambda: _archive(GOOD, [("tensors/0.npy", _npy(np.array(["a"])))]), "dtype"),
        (lambda: _archive(GOOD, [("tensors/0.npy", _npy(np.zeros(3))[:-8])]), "header says shape"),
        (lambda: _archive(GOOD, [("data.pkl", b"x")]), "torch.save"),
        (lambda: _archive({**GOOD, "object": [1]}), "bare list"),
        (lambda: _archive({**GOOD, "object": {"__tensor__": "0"}}), "not an int"),
    ],
)
def test_hostile_or_foreign_files_are_refused_with_one_line_naming_the_problem(make, match):
    with pytest.raises(SerializationError, match=match):
        chainrule.load(make())


def test_every_single_byte_change_to_a_header_is_refused_or_loads_the_same_shape():
    buf = io.BytesIO()
    chainrule.save({"w": chainrule.arange(6.0).reshape(2, 3)}, buf)
    raw = bytearray(buf.getvalue())
    start = raw.index(b"\x93NUMPY")
    refused = accepted = 0
    for i in range(start, start + 64):
        for delta in (1, 0x20):
            bad = bytearray(raw)
            bad[i] = (bad[i] + delta) % 256
            try:
                out = chainrule.load(io.BytesIO(bytes(bad)))
            except (SerializationError, zipfile.BadZipFile):
                refused += 1
                continue
            accepted += 1
            assert out["w"].numel() == 6  # never garbage of another size
    assert refused > 0


@pytest.mark.parametrize("version", [1, 2])
def test_every_value_of_every_header_byte_with_a_valid_crc(version):
    """Rebuilt archives (valid CRC-32). Version 2: the hash refuses every edit. Version 1 (no
    hash): the shared .npy parser refuses, or the array keeps its shape and bytes (a dtype of the
    same size, '<f4' to '<i4', is the one edit only a hash can see); never a tokenize or
    SyntaxError traceback."""
    original = np.arange(6, dtype=np.float32).reshape(2, 3)
    member = _npy(original)
    manifest = {"format": "chainrule.save", "version": version, "object": {"__ndarray__": 0}}
    if version == 2:
        manifest["sha256"] = [hashlib.sha256(member).hexdigest()]
    end = 10 + int.from_bytes(member[8:10], "little")
    cases = refused = 0
    for position in range(end):
        for value in range(256):
            if value == member[position]:
                continue
            edited = bytearray(member)
            edited[position] = value
            cases += 1
            try:
                out = chainrule.load(_archive(manifest, [("tensors/0.npy", bytes(edited))]))
            except SerializationError as e:
                assert "\n" not in str(e) and "tensors/0.npy" in str(e)
                refused += 1
                continue
            assert out.shape == original.shape and out.tobytes() == original.tobytes()
    assert cases == end * 255 and (refused == cases if version == 2 else refused > 0.99 * cases)


def test_a_tiny_file_cannot_ask_for_a_huge_allocation():
    huge = (
        b"\x93NUMPY\x01\x00"
        + b"v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"
    )
    huge = huge + b" " * (128 - len(huge) - 1) + b"\n"
    with pytest.raises(SerializationError, match="header says shape"):
        chainrule.load(_archive(GOOD, [("tensors/0.npy", huge)]))
    buf = io.BytesIO()
    chainrule.save({"w": chainrule.zeros(1000)}, buf)
    buf.seek(0)
    with pytest.raises(SerializationError, match="max_bytes"):
        chainrule.load(buf, max_bytes=100)


def test_a_missing_file_is_one_line():
    with pytest.raises(FileNotFoundError, match="no such file"):
        chainrule.load("/nonexistent/model.pt")


def test_saving_over_a_path_is_atomic(tmp_path):
    path = tmp_path / "m.pt"
    chainrule.save({"a": 1}, path)
    with pytest.raises(TypeError):
        chainrule.save({"a": object()}, path)
    assert chainrule.load(path) == {"a": 1} and list(tmp_path.iterdir()) == [path]
