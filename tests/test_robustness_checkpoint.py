"""Hostile and damaged checkpoints, by family: each case is refused in one line naming the file and
what is wrong, or (where an edit cannot change anything) loads exactly what was saved.

Families, all on one tiny real checkpoint (moons, 2-3-2 MLP, SGD with momentum, 10.7 KB):

* every byte of every ``.npy`` header, flipped (the file as it is: zip's CRC and SHA-256 stand guard);
* every byte of a header set to each of its 255 other values in a *legacy* file (no hashes, CRC
  fixed up), so only our own header parser and the schema stand guard;
* every metadata field replaced by each wrong type;
* truncation at every byte (every member boundary among them);
* bombs: a deflated member, a directory claiming 2 GiB, a header claiming 10¹³ elements, hidden
  widths of 30000, nesting 10⁵ deep, each run under ``RLIMIT_AS`` = 1 GiB in a subprocess;
* foreign files (a lone .npy, a pickle, text, a directory), bad dtypes and values;
* ``chainrule predict/eval/train --resume`` on bad checkpoints: exit 1, one stderr line, no
  traceback, the file named, and every file on disk unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import resource
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule import nn
from chainrule.cli import main
from chainrule.training import checkpoint_schema
from chainrule.training.checkpoint import (
    FORMAT,
    LEGACY_FORMAT,
    CheckpointError,
    load_checkpoint,
    read_checkpoint,
)
from chainrule.training.loop import OPTIMIZERS, TrainConfig, train
from chainrule.training.models import load_model

NAME = "ckpt.npz"
COUNTS: dict[str, int] = {}  # cases per family, printed at the end (-s) and checked to be many


# ---- the tiny checkpoint and ways to change it ---------------------------------------------------
@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = TrainConfig(dataset="moons", hidden=(3,), epochs=1, batch_size=256, lr=0.1)
    train(config, out, log=lambda line: None, progress=False)
    return out


@pytest.fixture(scope="module")
def good(run_dir):
    return (run_dir / "checkpoint.npz").read_bytes()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename[:-4]: zf.read(i) for i in zf.infolist()}


def build(parts: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in parts.items():
            zf.writestr(name + ".npy", data)
    return buf.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def meta_of(data: bytes) -> dict:
    return json.loads(str(np.load(io.BytesIO(members(data)["meta"]))))


def with_meta(data: bytes, meta: dict) -> bytes:
    parts = members(data)
    parts["meta"] = npy(np.array(json.dumps(meta)))
    return build(parts)


def legacy(data: bytes) -> bytes:
    """The same checkpoint as a chainrule-checkpoint-1 file: no hashes in its metadata."""
    meta = meta_of(data)
    del meta["sha256"]
    meta["format"] = LEGACY_FORMAT
    return with_meta(data, meta)


def rehashed(parts: dict[str, bytes]) -> bytes:
    meta = json.loads(str(np.load(io.BytesIO(parts["meta"]))))
    meta["sha256"] = {k: hashlib.sha256(v).hexdigest() for k, v in parts.items() if k != "meta"}
    return build(dict(parts, meta=npy(np.array(json.dumps(meta)))))


def refused(data: bytes) -> str:
    """The one-line message ``read_checkpoint`` refuses ``data`` with (it must refuse)."""
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(data, NAME)
    message = str(info.value)
    assert message.startswith(NAME + ": ") and "\n" not in message and len(message) < 400
    return message


def same_content(a, b) -> bool:
    """Two loaded checkpoints hold the same arrays (dtype, shape, values) and metadata."""
    if sorted(a.model_state) != sorted(b.model_state) or a.meta != b.meta:
        return False
    pairs = [(a.model_state[k], b.model_state[k]) for k in a.model_state]
    for i, entries in a.optimizer_state["state"].items():
        pairs += [(v, b.optimizer_state["state"][i][k]) for k, v in entries.items()]
    return all(
        np.asarray(x).dtype == np.asarray(y).dtype and np.array_equal(x, y) for x, y in pairs
    )


def header_spans(data: bytes) -> list[tuple[str, int, int]]:
    """``(member, start, end)`` of each member's ``.npy`` header inside the zip file."""
    spans = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            local = data[info.header_offset : info.header_offset + 30]
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_len + extra_len
            length = int.from_bytes(data[start + 8 : start + 10], "little")
            spans.append((info.filename, start, start + 10 + length))
    return spans


def patcher(data: bytes):
    """A function ``(position, value) -> bytes``: ``data`` with one byte changed and that member's
    CRC-32 fixed in both zip headers (so only the .npy reader and the schema can object)."""
    spans = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    central = data.index(b"PK\x01\x02")
    for info in infos:
        local = info.header_offset
        name_len, extra_len = struct.unpack("<HH", data[local + 26 : local + 30])
        start = local + 30 + name_len + extra_len
        entry = _central_entry(data, central, info.filename)
        spans.append((start, start + info.compress_size, local + 14, entry + 16))

    def patch(position: int, value: int) -> bytes:
        out = bytearray(data)
        out[position] = value
        for start, end, local_crc, central_crc in spans:
            if start <= position < end:
                crc = struct.pack("<I", zlib.crc32(out[start:end]))
                out[local_crc : local_crc + 4] = crc
                out[central_crc : central_crc + 4] = crc
                return bytes(out)
        raise AssertionError(f"byte {position} is in no member")

    return patch


def _central_entry(data: bytes, central: int, filename: str) -> int:
    at = central
    while data[at : at + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[at + 28 : at + 34])
        if data[at + 46 : at + 46 + name_len].decode() == filename:
            return at
        at += 46 + name_len + extra_len + comment_len
    raise AssertionError(filename)


# ---- the checkpoint written is the one read --------------------------------------------------------
def test_a_good_checkpoint_and_its_legacy_form_load(good):
    new, old = read_checkpoint(good, NAME), read_checkpoint(legacy(good), NAME)
    assert new.meta["format"] == FORMAT and old.meta["format"] == LEGACY_FORMAT
    assert sorted(new.model_state) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert all(np.array_equal(new.model_state[k], old.model_state[k]) for k in new.model_state)


def test_the_schema_lists_what_the_trainer_writes():
    # Written apart (loop imports the checkpoint module), kept equal here.
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(checkpoint_schema.CONFIG_FIELDS) == fields
    assert set(checkpoint_schema._OPTIMIZERS) == set(OPTIMIZERS)
    for name, cls in OPTIMIZERS.items():
        assert checkpoint_schema._optimizer_class(name) is cls


# ---- every byte of every header ------------------------------------------------------------------
def test_every_npy_header_byte_flipped_is_refused(good):
    """The file as written: any flipped bit in a header is caught (zip's CRC-32, then SHA-256)."""
    cases = 0
    for _, start, end in header_spans(good):
        for position in range(start, end):
            for bit in (0, 5):  # one more or less; upper case for lower
                bad = bytearray(good)
                bad[position] ^= 1 << bit
                refused(bytes(bad))
                cases += 1
    COUNTS["header bytes changed (v2 file)"] = cases
    assert cases > 2000


def _refused_or_same(bad: bytes, original) -> bool:
    """True if refused in one line; otherwise the content must be exactly the original's."""
    try:
        loaded = read_checkpoint(bad, NAME)
    except CheckpointError as e:
        message = str(e)
        assert message.startswith(NAME + ": ") and "\n" not in message
        return True
    assert same_content(loaded, original)
    return False


@pytest.mark.parametrize("member", ["model.0.weight.npy", "meta.npy"])
def test_every_value_of_every_header_byte_in_a_legacy_file(good, member):
    """No hash and a valid CRC: our header parser and the schema alone must refuse, or the edit
    must leave the content as it was (never garbage, never a traceback)."""
    old = legacy(good)
    original, patch = read_checkpoint(old, NAME), patcher(old)
    start, end = next((s, e) for m, s, e in header_spans(old) if m == member)
    cases = 0
    for position in range(start, end):
        for value in range(256):
            if value != old[position]:
                _refused_or_same(patch(position, value), original)
                cases += 1
    COUNTS[f"header byte values ({member}, legacy file)"] = cases
    assert cases == (end - start) * 255


def test_every_other_header_byte_changed_in_a_legacy_file(good):
    old = legacy(good)
    original, patch = read_checkpoint(old, NAME), patcher(old)
    cases = 0
    for member, start, end in header_spans(old):
        if member in ("model.0.weight.npy", "meta.npy"):
            continue  # every value of those, above
        for position in range(start, end):
            for bit in (0, 3, 5):
                _refused_or_same(patch(position, old[position] ^ (1 << bit)), original)
                cases += 1
    COUNTS["other headers' bytes changed (legacy file)"] = cases
    assert cases > 2500


def test_a_changed_member_with_its_crc_fixed_fails_its_hash(good):
    start = header_spans(good)[0][1]
    bad = patcher(good)(start + 60, ord("9"))  # a digit of the shape
    assert "model.0.weight.npy does not match its SHA-256" in refused(bad)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4)
)
def test_random_byte_edits_anywhere_are_refused_or_change_nothing(good, edits):
    bad = bytearray(good)
    for position, value in edits:
        bad[position % len(bad)] = value
    if bytes(bad) == good:
        return
    try:
        loaded = read_checkpoint(bytes(bad), NAME)
    except CheckpointError as e:
        assert "\n" not in str(e) and str(e).startswith(NAME)
        return
    # Only bytes zip ignores (timestamps, ...) may change without being noticed.
    assert same_content(loaded, read_checkpoint(good, NAME))


# ---- every metadata field, each wrong type -------------------------------------------------------
WRONG = [None, True, 0, -1, 2.5, 1e300, "x", "", [], [1], {}, {"a": 1}]
# Fields that may hold a second kind of value besides the one saved (None or a number/str/dict).
OPTIONAL = {
    "config.data_dir": {str, type(None)},
    "config.momentum": {(int, float), type(None)},
    "partial_epoch": {dict, type(None)},
    "history[0].val_loss": {(int, float), type(None)},
    "history[0].val_acc": {(int, float), type(None)},
}


def _kinds(path, original):
    return OPTIONAL.get(path, set()) | {_kind(original)}


def _paths(node, path="", keys=()):
    """``(dotted name as the schema writes it, the keys that reach it, its value)`` for every node."""
    yield path, keys, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, f"{path}.{k}" if path else k, (*keys, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, f"{path}[{i}]", (*keys, i))


def _set(meta, path, value):
    """``meta`` with the field at ``path`` (a dotted name, or the keys from ``_paths``) replaced."""
    out = json.loads(json.dumps(meta))
    if isinstance(path, str):
        path = [
            int(p[1:-1]) if p.startswith("[") else p
            for p in path.replace("[", ".[").split(".")
            if p
        ]
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _kind(value):
    if isinstance(value, bool) or value is None:
        return type(value)
    return (int, float) if isinstance(value, (int, float)) else type(value)


def _named(path):
    """The field a message must name when ``path`` holds a value of the wrong type."""
    if path.startswith("sha256"):
        return "sha256"
    if ".params[" in path:
        return path[: path.index(".params[")] + ".params"
    return path


def test_every_metadata_field_replaced_by_each_wrong_type(good):
    meta = meta_of(good)
    cases = 0
    for path, keys, original in list(_paths(meta)):
        if not keys:
            continue
        for value in WRONG:
            if _kind(value) == _kind(original) and value == original:
                continue
            data = with_meta(good, _set(meta, keys, value))
            cases += 1
            try:
                read_checkpoint(data, NAME)
            except CheckpointError as e:
                message = str(e)
                assert message.startswith(NAME + ": ") and "\n" not in message
                if _kind(value) not in _kinds(path, original):  # the wrong type: named
                    assert _named(path) in message, (path, value, message)
                continue
            # Accepted: only a value of a kind the field may hold (a different name, a path...).
            assert _kind(value) in _kinds(path, original), (path, value)
    COUNTS["metadata fields x wrong types"] = cases
    assert cases > 900


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(choice=st.integers(0, 10**6), value=JSON)
def test_any_json_value_in_any_field_is_refused_or_of_the_fields_kind(good, choice, value):
    meta = meta_of(good)
    paths = [p for p in _paths(meta) if p[1]]
    path, keys, original = paths[choice % len(paths)]
    data = with_meta(good, _set(meta, keys, value))
    try:
        read_checkpoint(data, NAME)
    except CheckpointError as e:
        assert str(e).startswith(NAME + ": ") and "\n" not in str(e) and len(str(e)) < 400
        if _kind(value) not in _kinds(path, original):
            assert _named(path) in str(e), (path, value, str(e))
        return
    assert _kind(value) in _kinds(path, original), (path, value)


@pytest.mark.parametrize(
    "path, value, named",
    [
        ("epoch", -1, "epoch"),
        ("data.std[0]", 0.0, "data.std[0]"),
        ("data.classes", [], "data.classes"),
        ("optimizer_param_groups[0].lr", 0.5, "optimizer_param_groups[0].lr"),
        ("optimizer_param_groups[0].momentum", 0.5, "optimizer_param_groups[0].momentum"),
        ("config.hidden", [30000], "model.hidden"),
        ("history", {}, "history"),
        ("rng.loader.bit_generator", "MT19937", "rng.loader.bit_generator"),
    ],
)
def test_values_of_the_right_type_that_disagree_are_refused(good, path, value, named):
    assert f"metadata field {named}" in refused(with_meta(good, _set(meta_of(good), path, value)))


def test_unicode_digits_in_member_names_are_refused(good):
    parts = members(good)
    parts["optim.state.².momentum_buffer"] = parts.pop("optim.state.0.momentum_buffer")
    assert "unexpected entry 'optim.state.².momentum_buffer.npy'" in refused(rehashed(parts))


# ---- truncation ------------------------------------------------------------------------------
def test_truncation_at_every_byte_is_refused(good):
    boundaries = set()
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        for info in zf.infolist():
            boundaries |= {info.header_offset, info.header_offset + 30}
    for cut in range(len(good)):
        message = refused(good[:cut])
        if cut in boundaries:
            assert "zip" in message or "checkpoint" in message
    COUNTS["truncations"] = len(good)
    assert boundaries <= set(range(len(good)))


# ---- foreign files, dtypes, values -------------------------------------------------------------
def _replace(good, name, array, rehash=True):
    parts = dict(members(good), **{name: npy(array)})
    return rehashed(parts) if rehash else build(parts)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda g: npy(np.zeros(3)), "is a single .npy array, not a checkpoint"),
        (lambda g: b"\x80\x04\x95junk", "is a pickle"),
        (lambda g: b"hello world", "not a checkpoint: a .npz file is a zip archive"),
        (lambda g: b"", "not a checkpoint"),
        (lambda g: _zip({"archive/data.pkl": b"x"}), "torch.save"),
        (lambda g: build(members(g), zipfile.ZIP_DEFLATED), "is compressed"),
        (lambda g: _replace(g, "model.0.bias", np.full(3, np.nan, np.float32)), "NaN or inf"),
        (lambda g: with_meta(g, _set(meta_of(g), "config.lr", float("nan"))), "holds NaN"),
        (lambda g: with_meta(g, _set(meta_of(g), "data.std", [float("inf")])), "holds Infinity"),
        (lambda g: _replace(g, "model.0.bias", np.full(3, np.inf, np.float32)), "NaN or inf"),
        (lambda g: _replace(g, "model.0.bias", np.zeros(3, np.complex64)), "holds complex64"),
        (lambda g: _replace(g, "model.0.bias", np.zeros(3, "M8[s]")), "'<M8[s]' is not read"),
        (lambda g: _replace(g, "model.0.bias", np.array(["a", "b", "c"])), "holds <U1"),
        (lambda g: _replace(g, "model.0.bias", np.array([{}], object)), "'|O' is not read"),
        (lambda g: _replace(g, "model.0.bias", np.zeros(3, ">f4")), "'>f4' is not read"),
        (lambda g: _replace(g, "model.0.bias", np.zeros(3, np.float64)), "float32"),
        (lambda g: _replace(g, "model.0.bias", np.zeros(3, np.int64)), "real floats"),
        (lambda g: _replace(g, "optim.state.0.momentum_buffer", np.float32(0)), "has shape ()"),
        (lambda g: _replace(g, "model.0.bias", np.zeros(4, np.float32)), "has shape (4,)"),
        (lambda g: _replace(g, "model.0.bias", np.ones(3, np.float32), False), "SHA-256"),
    ],
)
def test_foreign_files_dtypes_and_values(good, make, message):
    assert message in refused(make(good))


def test_a_directory_and_a_missing_file_are_named(tmp_path):
    for path, message in ((tmp_path, "is a directory"), (tmp_path / "no.npz", "no such")):
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(path)


# ---- bombs, under a memory limit -------------------------------------------------------------
def _deflate_bomb(size: int) -> bytes:
    """A zip whose one deflated member unpacks to ``size`` zero bytes, built without ``size`` of work."""
    block, comp = b"\0" * (1 << 22), zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    body = piece * (size // len(block)) + comp.flush()
    name = b"model.0.weight.npy"
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(body), size, len(name), 0
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(body), size, len(name),
        0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name),
                      len(local) + len(name) + len(body), 0)  # fmt: skip
    return local + name + body + central + name + end


def _claimed_size(good: bytes, size: int) -> bytes:
    """The good file, its directory claiming ``size`` bytes for the first member."""
    out = bytearray(good)
    at = good.index(b"PK\x01\x02")
    out[at + 20 : at + 28] = struct.pack("<II", size, size)
    return bytes(out)


def _huge_npy_claim(good: bytes) -> bytes:
    parts = members(legacy(good))
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (10000000000000,), }"
    header += b" " * (117 - len(header)) + b"\n"
    parts["model.0.bias"] = (
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 12
    )
    return build(parts)


def _hidden_30000(good: bytes) -> bytes:
    meta = _set(
        _set(meta_of(good), "config.hidden", [30000, 30000]), "model.hidden", [30000, 30000]
    )
    return with_meta(good, meta)


def _no_config_hidden_30000(good: bytes) -> bytes:
    """Without a config the training schema does not apply: load_model must not build from it."""
    meta = _set(meta_of(good), "model.hidden", [30000, 30000])
    del meta["config"]
    return with_meta(good, meta)


def _deep(good: bytes) -> bytes:
    parts = members(good)
    parts["meta"] = npy(np.array("[" * 100_000 + "]" * 100_000))
    return build(parts)


BOMBS = {
    "deflated member unpacking to 2 GiB": (lambda g: _deflate_bomb(2**31), "is compressed"),
    "directory claiming 2 GiB": (lambda g: _claimed_size(g, 2**31), "claims 2147483648 bytes"),
    "npy header claiming 1e13 elements": (_huge_npy_claim, "(10000000000000,)"),
    "hidden [30000, 30000]": (_hidden_30000, "model.0.bias: has shape (3,)"),
    "metadata nested 1e5 deep": (_deep, "nested 100000 deep"),
    "no config, hidden [30000, 30000]": (_no_config_hidden_30000, "not from chainrule train"),
}
LIMIT = 2**30  # RLIMIT_AS for the bomb runs: 1 GiB of address space


def _limited(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python whose address space is capped at ``LIMIT``."""
    prelude = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({LIMIT}, {LIMIT}))\n"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, env=env, timeout=120
    )


def test_bombs_are_refused_in_bounded_memory(good, tmp_path):
    paths = {}
    for i, (name, (make, _)) in enumerate(BOMBS.items()):
        paths[name] = tmp_path / f"bomb{i}.npz"
        paths[name].write_bytes(make(good))
    good_path = tmp_path / "good.npz"
    good_path.write_bytes(good)
    code = (
        "import sys, numpy as np\n"
        "from chainrule.training.models import load_model\n"
        "from chainrule.training.checkpoint import CheckpointError\n"
        "try:\n"
        "    np.ones(30000 * 30000, np.float32)\n"  # the limit bites: what an unchecked load does
        "    print('unbounded')\n"
        "except MemoryError:\n"
        "    print('limit holds')\n"
        f"load_model({str(good_path)!r})\n"
        "print('good loads')\n"
        f"for path in {[str(p) for p in paths.values()]!r}:\n"
        "    try:\n"
        "        load_model(path)\n"
        "        print('ACCEPTED', path)\n"
        "    except CheckpointError as e:\n"
        "        print(e)\n"
    )
    result = _limited(code)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[:2] == ["limit holds", "good loads"]
    for line, (name, (_, message)) in zip(lines[2:], BOMBS.items()):
        assert message in line and str(paths[name]) in line, (name, line)
    assert len(lines) == 2 + len(BOMBS)
    assert all(p.stat().st_size < 3_000_000 for p in paths.values())  # each a small file


def test_peak_memory_of_refusing_a_bomb_is_small(good, tmp_path):
    path = tmp_path / "bomb.npz"
    path.write_bytes(_hidden_30000(good))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CheckpointError):
        load_model(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB


# ---- load_state_dict is all or nothing --------------------------------------------------------
BAD_VALUES = {
    "string": lambda shape: np.full(shape, "a"),
    "complex": lambda shape: np.zeros(shape, np.complex128),
    "object": lambda shape: np.full(shape, None, object),
    "datetime": lambda shape: np.zeros(shape, "M8[s]"),
    "shape": lambda shape: np.zeros((*shape, 1), np.float32),
    "a str": lambda shape: "weights",
}


@settings(max_examples=120, deadline=None)
@given(
    bad=st.dictionaries(
        st.sampled_from(["0.weight", "0.bias", "2.weight", "2.bias"]),
        st.sampled_from(sorted(BAD_VALUES)),
        min_size=1,
    )
)
def test_load_state_dict_refuses_bad_values_naming_each_key_and_changes_nothing(bad):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = {k: np.ones(v.shape, np.float64) for k, v in before.items()}
    for key, kind in bad.items():
        state[key] = BAD_VALUES[kind](before[key].shape)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    for key in bad:
        assert key in str(info.value)
    after = model.state_dict()
    assert all(np.array_equal(after[k].numpy(), v) for k, v in before.items())


# ---- the CLI on bad checkpoints -------------------------------------------------------------
CLI_DAMAGE = {
    "header byte": lambda g: bytes(
        b ^ 1 if i == header_spans(g)[0][1] + 20 else b for i, b in enumerate(g)
    ),
    "truncated": lambda g: g[: len(g) // 2],
    "npy renamed": lambda g: npy(np.zeros(3)),
    "nan weight": lambda g: _replace(g, "model.0.bias", np.full(3, np.nan, np.float32)),
    "negative epoch": lambda g: with_meta(g, _set(meta_of(g), "epoch", -1)),
    "history not a list": lambda g: with_meta(g, _set(meta_of(g), "history", "x")),
    "lr of another config": lambda g: with_meta(
        g, _set(meta_of(g), "optimizer_param_groups[0].lr", 9.0)
    ),
    "hidden 30000": _hidden_30000,
    "deep": _deep,
}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("damage", list(CLI_DAMAGE))
def test_the_cli_on_a_bad_checkpoint_is_one_line_exit_1_and_touches_nothing(
    capsys, good, run_dir, tmp_path, damage
):
    run = tmp_path / "run"
    run.mkdir()
    for p in run_dir.iterdir():
        if p.is_file():
            (run / p.name).write_bytes(p.read_bytes())
    path = run / "checkpoint.npz"
    path.write_bytes(CLI_DAMAGE[damage](good))
    image = tmp_path / "digit.png"
    image.write_bytes(b"\x89PNG")  # never opened: the checkpoint fails first
    before = _snapshot(run)
    for argv in (
        ["predict", "--checkpoint", path, image],
        ["eval", "--checkpoint", path],
        ["train", "--out", run, "--resume", "--epochs", "2"],
    ):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        assert code == 1, (argv, err)
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert str(path) in err
        assert _snapshot(run) == before
    COUNTS["CLI runs on bad checkpoints"] = COUNTS.get("CLI runs on bad checkpoints", 0) + 3


def test_case_counts(capsys):
    """Reported with ``-s``: the cases each family above generated (when they ran in this session)."""
    with capsys.disabled():
        for family, n in COUNTS.items():
            print(f"\n  {family}: {n}", end="")
