"""Checkpoints as plain ``.npz`` files: a model, its optimizer and JSON metadata, with no pickle.

One array per state_dict entry, named by where it lives::

    model.0.weight                    (256, 784) float32   the model's state_dict keys
    optim.state.0.momentum_buffer     (256, 784) float32   optimizer state, torch's layout
    optim.state.0.step                ()         int64     (Adam: exp_avg, exp_avg_sq, step)
    meta                              ()         <U...     JSON: config, epoch, RNG states,
                                                           optimizer param_groups, history,
                                                           and the SHA-256 of every array member

Everything is a number array or a 0-d unicode string, so ``np.load(path, allow_pickle=False)``
reads it: loading a checkpoint never runs code (``torch.load`` unpickles, which can). A write
goes to a temporary file that is renamed into place, so a crash mid-write leaves the previous
checkpoint intact.

Loading trusts nothing in the file, and checks it in the order that keeps a small hostile file
cheap (docs/training.md lists every check and its message):

1. the signature: a zip archive (a lone ``.npy`` or a pickle is named as such);
2. the zip directory, before any member is read: a bounded number of uniquely named members,
   all *stored* (not compressed), so no member unpacks to more bytes than the file has;
3. ``meta``: read in full (zip's CRC-32 checked), bounded in size and nesting, valid JSON;
4. each array: read in full (CRC-32), its SHA-256 compared with the one in the metadata, its
   header parsed by :mod:`chainrule._npy_format`, its dtype a real number, its values finite;
5. the metadata's fields, one schema (:mod:`chainrule.training.checkpoint_schema`) when the
   file comes from ``chainrule train``: types, ranges, and array shapes agreeing with the model
   the metadata describes, all before any model is built.

>>> import tempfile, os
>>> from chainrule import nn, optim
>>> model = nn.Linear(2, 1)
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> save_checkpoint(path, model, optim.SGD(model.parameters(), lr=0.1), {"epoch": 3})
>>> ckpt = load_checkpoint(path)
>>> sorted(ckpt.model_state), ckpt.meta["epoch"]
(['bias', 'weight'], 3)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from chainrule._io import atomic_path
from chainrule._npy_format import NpyFormatError, parse_npy_header, read_npy
from chainrule.nn.module import Module
from chainrule.optim.optimizer import Optimizer
from chainrule.training.checkpoint_schema import MetadataError, check_training_meta, json_depth

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "save_checkpoint",
    "load_checkpoint",
    "read_checkpoint",
    "FORMAT",
    "MAX_CHECKPOINT_BYTES",
]

#: Written into every checkpoint's metadata; a file without it is not ours.
FORMAT = "chainrule-checkpoint-2"
#: Read too, through the same checks, except that it carries no hashes to compare.
LEGACY_FORMAT = "chainrule-checkpoint-1"
#: The largest checkpoint file read (the course's 784-256-256-10 MLP with SGD is 1.9 MB).
MAX_CHECKPOINT_BYTES = 2 * 2**30
MAX_MEMBERS = 10_000
#: The metadata member's size in bytes (4 bytes a character: NumPy's text is UTF-32).
MAX_META_BYTES = 16 * 2**20
MAX_META_DEPTH = 32
_MODEL, _OPTIM = "model.", "optim.state."
# Member names, in ASCII only: '²'.isdigit() is True, and int('²') fails.
_NAME = re.compile(
    r"meta|model\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*|optim\.state\.(?:0|[1-9][0-9]{0,8})\.[A-Za-z_][A-Za-z0-9_]*",
    re.ASCII,
)
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or does not fit: a one-line reason naming the file."""


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` returns: the model's state_dict (arrays), the optimizer's (torch
    layout, or None if none was saved) and the metadata dict."""

    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, Any] | None
    meta: dict[str, Any]


# ---- save ----------------------------------------------------------------------------------------
def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array if array.flags.c_contiguous else array.copy(), allow_pickle=False)
    return buf.getvalue()


def _write_npz(file: IO[bytes], members: dict[str, bytes]) -> None:
    """Write the members (name -> .npy bytes) as an uncompressed .npz (its own function so tests can make it fail)."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name + ".npy", data)


def save_checkpoint(
    path: str | os.PathLike[str], model: Module, optimizer: Optimizer | None, meta: dict[str, Any]
) -> None:
    """Write ``model``'s state_dict, ``optimizer``'s state and ``meta`` (JSON-able) to ``path``, atomically.

    The optimizer's ``param_groups`` (hyperparameters) go into the metadata under
    ``"optimizer_param_groups"``; its per-parameter state becomes ``optim.state.<i>.<name>`` arrays.
    The SHA-256 of each array member goes into the metadata under ``"sha256"``.
    """
    arrays: dict[str, np.ndarray] = {_MODEL + k: v.numpy() for k, v in model.state_dict().items()}
    meta = dict(meta, format=FORMAT)
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, entries in state["state"].items():
            for name, value in entries.items():
                arrays[f"{_OPTIM}{index}.{name}"] = np.asarray(value)  # a step count: 0-d int64
        meta["optimizer_param_groups"] = state["param_groups"]
    members = {name: _npy_bytes(a) for name, a in arrays.items()}
    meta["sha256"] = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
    members["meta"] = _npy_bytes(np.array(json.dumps(meta)))  # 0-d unicode: loads without pickle
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            _write_npz(f, members)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it the checkpoint


# ---- load ----------------------------------------------------------------------------------------
def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; raise ``CheckpointError`` if it is not one.

    Every check of the module docstring runs, and any failure is one line naming ``path`` and
    the member or metadata field at fault. A file from ``chainrule train`` (its metadata has a
    ``config``) is checked against the training schema, including that its arrays fit the model
    its metadata describes.
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a directory, not a checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"{path}: {size} bytes, more than a checkpoint may hold ({MAX_CHECKPOINT_BYTES})"
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"{path}: cannot be read ({e.strerror or e})") from None
    return read_checkpoint(data, str(path))


def read_checkpoint(data: bytes, name: str) -> Checkpoint:
    """:func:`load_checkpoint` on the file's bytes, ``name`` being what messages call the file."""
    try:
        return _read(data)
    except (_Refused, MetadataError, NpyFormatError) as e:
        raise CheckpointError(f"{name}: {e}") from None


class _Refused(Exception):
    """One reason, without the file name (``read_checkpoint`` adds it)."""


def _signature(data: bytes) -> None:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return
    if data.startswith(b"\x93NUMPY"):
        raise _Refused("is a single .npy array, not a checkpoint (a .npz zip archive of arrays)")
    if data[:1] == b"\x80":
        raise _Refused("is a pickle (torch.save?), not a chainrule checkpoint; it was not opened")
    raise _Refused(f"not a checkpoint: a .npz file is a zip archive, this starts {data[:8]!r}")


# What a damaged zip can raise from zipfile: its own BadZipFile, and the plain errors of a
# parser that trusts its offsets (struct, index, decode, overflow); "encrypted" is RuntimeError.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    IndexError,
    KeyError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
)


def _read(data: bytes) -> Checkpoint:
    _signature(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except _ZIP_ERRORS as e:
        raise _Refused(f"not a readable zip archive (truncated or damaged: {_short(e)})") from None
    with zf:
        members = _directory(infos, len(data))
        meta_bytes = _member(zf, members, "meta", MAX_META_BYTES)
        meta = _meta(meta_bytes)
        hashes = _hashes(meta, members)
        arrays = {
            name: _array(name, _member(zf, members, name), hashes)
            for name in members
            if name != "meta"
        }
    model_state: dict[str, np.ndarray] = {}
    optim_state: dict[int, dict[str, Any]] = {}
    for name, value in arrays.items():
        if name.startswith(_MODEL):
            model_state[name[len(_MODEL) :]] = value
        else:
            index, _, field = name[len(_OPTIM) :].partition(".")
            # A step count comes back as a Python int, as the optimizer made it.
            optim_state.setdefault(int(index), {})[field] = (
                value.item() if field == "step" else value
            )
    if not model_state:
        raise _Refused("holds no model weights (no model.* member)")
    groups = meta.pop("optimizer_param_groups", None)
    _check_groups(groups, optim_state)
    if "config" in meta:  # written by chainrule train: the whole schema applies
        check_training_meta(meta, groups, model_state, optim_state)
    optimizer_state = None
    if groups is not None:
        optimizer_state = {
            "state": optim_state,
            "param_groups": [_group_from_json(g) for g in groups],
        }
    return Checkpoint(model_state, optimizer_state, meta)


def _directory(infos: list[zipfile.ZipInfo], size: int) -> dict[str, zipfile.ZipInfo]:
    """The members by array name, after checking what the zip directory claims against the file."""
    if len(infos) > MAX_MEMBERS:
        raise _Refused(f"has {len(infos)} members (at most {MAX_MEMBERS})")
    members: dict[str, zipfile.ZipInfo] = {}
    if any(i.filename.endswith(".pkl") for i in infos):
        raise _Refused("was written by torch.save (a pickle inside); chainrule never unpickles")
    for info in infos:
        stem = info.filename[:-4] if info.filename.endswith(".npy") else None
        if stem is None or not _NAME.fullmatch(stem):
            raise _Refused(f"unexpected entry {_short(info.filename)}")
        if stem in members:
            raise _Refused(f"holds {_short(info.filename)} twice")
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Refused(
                f"{info.filename} is compressed; checkpoint members are stored, so none can "
                "unpack to more bytes than the file has"
            )
        if info.flag_bits & 0x1:
            raise _Refused(f"{info.filename} is encrypted")
        if info.file_size != info.compress_size or info.file_size > size:
            raise _Refused(
                f"{info.filename} claims {info.file_size} bytes, but the file has {size}"
            )
        members[stem] = info
    total = sum(i.file_size for i in members.values())
    if total > size:
        raise _Refused(f"its members claim {total} bytes in all, but the file has {size}")
    if "meta" not in members:
        raise _Refused("no 'meta' entry, so not a chainrule checkpoint")
    return members


def _member(
    zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], name: str, limit: int | None = None
) -> bytes:
    info = members[name]
    if limit is not None and info.file_size > limit:
        raise _Refused(f"{info.filename} is {info.file_size} bytes (at most {limit})")
    try:
        return zf.read(info)  # to the end, so zipfile compares the CRC-32
    except _ZIP_ERRORS as e:
        raise _Refused(f"{info.filename} cannot be read ({_short(e)})") from None


def _meta(data: bytes) -> dict[str, Any]:
    header = parse_npy_header(data, "meta.npy")
    if header.dtype.kind != "U" or header.shape != ():
        raise _Refused(f"meta.npy holds {header.dtype} {header.shape}, not a 0-d string")
    if len(data) - header.data_offset != header.nbytes:
        raise _Refused(
            f"meta.npy: header says {header.nbytes} bytes but {len(data) - header.data_offset} follow"
        )
    try:
        text = data[header.data_offset :].decode("utf-32-le").rstrip("\x00")
    except UnicodeDecodeError:
        raise _Refused("meta.npy: its text is not valid Unicode") from None
    depth = json_depth(text)
    if depth > MAX_META_DEPTH:
        raise _Refused(f"its metadata is nested {depth} deep (at most {MAX_META_DEPTH})")
    try:
        meta = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, RecursionError) as e:
        raise _Refused(f"its metadata is not valid JSON ({_short(e)})") from None
    if not isinstance(meta, dict) or meta.get("format") not in (FORMAT, LEGACY_FORMAT):
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise _Refused(f"not a {FORMAT} file (metadata format {_short(found)})")
    return meta


def _no_constant(name: str) -> Any:
    raise _Refused(f"its metadata holds {name}, which no field may be (JSON has no such number)")


def _hashes(meta: dict[str, Any], members: dict[str, zipfile.ZipInfo]) -> dict[str, str] | None:
    """The SHA-256 per array member (None for a legacy file), after checking they list the same names."""
    if meta["format"] == LEGACY_FORMAT:
        if "sha256" in meta:
            raise MetadataError("sha256", f"present in a {LEGACY_FORMAT} file, which has none")
        return None
    hashes = meta.pop("sha256", None)
    if not isinstance(hashes, dict) or not all(
        isinstance(v, str) and _SHA256.fullmatch(v) for v in hashes.values()
    ):
        raise MetadataError("sha256", "must map each array member to 64 hex digits")
    arrays = set(members) - {"meta"}
    missing = sorted(set(hashes) - arrays)
    if missing:
        raise _Refused(f"{_short(missing[0] + '.npy')} is missing (the metadata has its hash)")
    unlisted = sorted(arrays - set(hashes))
    if unlisted:
        raise _Refused(f"unexpected entry {_short(unlisted[0] + '.npy')} (no hash in the metadata)")
    return hashes


def _array(name: str, data: bytes, hashes: dict[str, str] | None) -> np.ndarray:
    member = f"{name}.npy"
    if hashes is not None and hashlib.sha256(data).hexdigest() != hashes[name]:
        raise _Refused(
            f"{member} does not match its SHA-256 in the metadata (the file was changed)"
        )
    array = read_npy(data, member)
    is_step = name.startswith(_OPTIM) and name.endswith(".step")
    if is_step:
        if array.dtype.kind not in "iu" or array.shape != () or int(array) < 0:
            raise _Refused(f"{member} must be a 0-d count >= 0, got {array.dtype} {array.shape}")
    elif array.dtype.kind != "f":
        raise _Refused(f"{member} holds {array.dtype}; weights and optimizer state are real floats")
    elif not np.isfinite(array).all():
        raise _Refused(f"{member} holds NaN or inf ({int((~np.isfinite(array)).sum())} values)")
    return array


def _check_groups(groups: Any, state: dict[int, dict[str, Any]]) -> None:
    """``optimizer_param_groups``: a list of dicts of plain hyperparameters over distinct indices."""
    if groups is None:
        if state:
            raise _Refused("has optimizer state but no optimizer_param_groups in its metadata")
        return
    field = "optimizer_param_groups"
    if not isinstance(groups, list) or not groups or len(groups) > MAX_MEMBERS:
        raise MetadataError(field, "must be a non-empty list of parameter groups")
    seen: set[int] = set()
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            raise MetadataError(f"{field}[{i}]", f"must be a dict, got {type(group).__name__}")
        params = group.get("params")
        if not isinstance(params, list) or not all(_is_count(p) for p in params):
            raise MetadataError(f"{field}[{i}].params", "must be a list of parameter indices")
        if seen & set(params) or len(set(params)) != len(params):
            raise MetadataError(f"{field}[{i}].params", "lists a parameter twice")
        seen |= set(params)
        for key, value in group.items():
            if key != "params" and not _is_hyperparameter(value):
                raise MetadataError(
                    f"{field}[{i}].{key[:40]}",
                    f"must be a number, bool or None, got {_short(value)}",
                )
    strays = sorted(set(state) - seen)
    if strays:
        raise _Refused(f"optim.state.{strays[0]} belongs to no parameter group")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hyperparameter(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, float):
        return np.isfinite(value)
    if isinstance(value, list):  # Adam's betas
        return len(value) <= 4 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
            for v in value
        )
    return False


def _group_from_json(group: dict[str, Any]) -> dict[str, Any]:
    # JSON turns tuples (Adam's betas) into lists; give them back as torch keeps them.
    return {k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in group.items()}


def _short(value: Any, limit: int = 80) -> str:
    """``repr`` (or ``str`` of an exception), cut to ``limit`` characters: an error stays one short line."""
    text = " ".join(str(value).split()) if isinstance(value, BaseException) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
