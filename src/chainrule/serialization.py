"""``chainrule.save`` / ``chainrule.load``: ``torch.save(model.state_dict(), path)`` without pickle.

A saved file is a zip archive holding ``manifest.json`` (the structure: dicts, lists, tuples,
numbers, strings, None; and the SHA-256 of each array) and one ``.npy`` per tensor. Loading
runs no code from the file: nothing is unpickled, each array must match its hash, every array
header is parsed by our own bounded reader (:mod:`chainrule._npy_format`) and checked against
the bytes that follow it, and the archive's size, member count, nesting depth and total
uncompressed bytes are bounded first, so a small hostile file cannot make ``load`` allocate
gigabytes. Version 1 files (before hashes) are still read, with every check but the hash.

What can be saved: tensors (and Parameters, which come back as tensors that require grad, as a
state_dict's would), NumPy arrays, and dicts/lists/tuples of those and of plain values: what
``state_dict()`` and ``optimizer.state_dict()`` hold. A whole ``nn.Module`` cannot be saved
(PyTorch pickles it); save its ``state_dict()`` and rebuild the model in code.

>>> import io
>>> buf = io.BytesIO()
>>> save({"w": chainrule.tensor([1.0, 2.0]), "step": 3}, buf)
>>> _ = buf.seek(0)
>>> load(buf)
{'w': tensor([1., 2.]), 'step': 3}
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from typing import IO, Any, Union

import numpy as np

from chainrule._npy_format import NpyFormatError, read_npy
from chainrule._tensor import Tensor, as_tensor
from chainrule._tensor.dtypes import BY_NUMPY

__all__ = ["save", "load", "SerializationError", "MAX_LOAD_BYTES"]

PathOrFile = Union[str, os.PathLike, IO[bytes]]

FORMAT = "chainrule.save"
VERSION = 2  # 2 adds the SHA-256 of each .npy member; version 1 files still read, unhashed
_VERSIONS = (1, 2)
#: The most uncompressed bytes ``load`` reads unless told otherwise (``max_bytes=``).
MAX_LOAD_BYTES = 4 * 2**30
_MAX_MEMBERS = 100_000
_MAX_MANIFEST_BYTES = 64 * 2**20
_MAX_DEPTH = 64


class SerializationError(ValueError):
    """A file ``chainrule.load`` refuses: the message names the file and what is wrong."""


# ---- save ----------------------------------------------------------------------------------
def save(obj: Any, f: PathOrFile) -> None:
    """Write ``obj`` (tensors, arrays, and dicts/lists/tuples of them and plain values) to ``f``.

    A path is written atomically: a crash midway leaves any earlier file of that name intact.
    """
    arrays: list[np.ndarray] = []
    tree = _encode(obj, arrays, depth=0)
    members = [_npy_bytes(a) for a in arrays]
    hashes = [hashlib.sha256(m).hexdigest() for m in members]
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "object": tree, "sha256": hashes})
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        tmp = f"{path}.tmp-{os.getpid()}"
        try:
            with open(tmp, "wb") as out:
                _write_zip(out, manifest, members)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    else:
        _write_zip(f, manifest, members)


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr if arr.flags.c_contiguous else arr.copy(), allow_pickle=False)
    return buf.getvalue()


def _write_zip(out: IO[bytes], manifest: str, members: list[bytes]) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("manifest.json", manifest)
        for i, data in enumerate(members):
            zf.writestr(f"tensors/{i}.npy", data)


def _encode(obj: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise ValueError(f"save: the object is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(obj, Tensor):
        arrays.append(obj.numpy())
        return {"__tensor__": len(arrays) - 1, "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        if obj.dtype not in BY_NUMPY:
            raise TypeError(f"save: cannot save an array of dtype {obj.dtype}")
        arrays.append(obj)
        return {"__ndarray__": len(arrays) - 1}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}  # nan, inf survive JSON
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, depth)
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__}")
        items = [[k, _encode(v, arrays, depth + 1)] for k, v in obj.items()]
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        kind = "__list__" if isinstance(obj, list) else "__tuple__"
        return {kind: [_encode(v, arrays, depth + 1) for v in obj]}
    hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"save: cannot save a {type(obj).__name__}{hint}")


# ---- load ----------------------------------------------------------------------------------
def load(
    f: PathOrFile,
    map_location: Any = None,
    weights_only: bool | None = None,
    *,
    mmap: bool | None = None,
    max_bytes: int = MAX_LOAD_BYTES,
) -> Any:
    """Read what :func:`save` wrote. ``map_location`` and ``weights_only`` are accepted for
    PyTorch's code (there is only the CPU, and loading never runs code from the file)."""
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as fh:
                return _load(fh, str(name), max_bytes)
        return _load(f, str(name), max_bytes)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: {name}: no such file") from None


def _load(fh: IO[bytes], name: str, max_bytes: int) -> Any:
    head = fh.read(4)
    fh.seek(0)
    if head[:1] == b"\x80":
        raise SerializationError(f"load: {name} is a pickle; chainrule never unpickles files")
    if head != b"PK\x03\x04":
        raise SerializationError(f"load: {name} is not a file written by chainrule.save")
    try:
        zf = zipfile.ZipFile(fh)
    except zipfile.BadZipFile as e:
        raise SerializationError(f"load: {name} is not a valid archive ({e})") from None
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        if any(n.endswith(".pkl") for n in infos):
            raise SerializationError(
                f"load: {name} was saved by torch.save (pickle inside); chainrule never unpickles. "
                f"Save it again with chainrule.save, or export the tensors with safetensors"
            )
        if len(infos) > _MAX_MEMBERS:
            raise SerializationError(
                f"load: {name} has {len(infos)} members (at most {_MAX_MEMBERS})"
            )
        packed = [n for n, i in infos.items() if i.compress_type != zipfile.ZIP_STORED]
        if packed:  # save() stores; a compressed member could unpack to far more than the file
            raise SerializationError(f"load: {name}: {packed[0]} is compressed (save() stores)")
        total = sum(i.file_size for i in infos.values())
        if total > max_bytes:
            raise SerializationError(
                f"load: {name} would unpack to {total} bytes, more than max_bytes={max_bytes}"
            )
        man = infos.get("manifest.json")
        if man is None or man.file_size > _MAX_MANIFEST_BYTES:
            raise SerializationError(f"load: {name} has no readable manifest.json")
        try:
            manifest = json.loads(zf.read(man).decode("utf-8"))
        except (ValueError, RecursionError, UnicodeDecodeError) as e:
            raise SerializationError(
                f"load: {name}: manifest.json is not valid JSON ({e})"
            ) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SerializationError(f"load: {name} is not a file written by chainrule.save")
        if manifest.get("version") not in _VERSIONS:
            raise SerializationError(
                f"load: {name} has format version {manifest.get('version')!r}; this chainrule "
                f"reads versions {', '.join(map(str, _VERSIONS))}"
            )
        hashes = manifest.get("sha256") if manifest["version"] >= 2 else None
        if manifest["version"] >= 2 and not (
            isinstance(hashes, list) and all(isinstance(h, str) for h in hashes)
        ):
            raise SerializationError(f"load: {name}: manifest.json has no list of sha256 hashes")
        reader = _Reader(zf, infos, name, hashes)
        return reader.decode(manifest.get("object"), depth=0)


class _Reader:
    def __init__(
        self, zf: zipfile.ZipFile, infos: dict, name: str, hashes: list[str] | None
    ) -> None:
        self.zf, self.infos, self.name, self.hashes = zf, infos, name, hashes

    def fail(self, what: str) -> SerializationError:
        return SerializationError(f"load: {self.name}: {what}")

    def decode(self, node: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise self.fail(f"the object is nested more than {_MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            raise self.fail("a bare list in the manifest (lists are tagged)")
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise self.fail("an unreadable entry in the manifest")
        if "__tensor__" in node:
            t = as_tensor(self.array(node["__tensor__"]))
            return t.requires_grad_() if node.get("requires_grad") is True else t
        if "__ndarray__" in node:
            return self.array(node["__ndarray__"])
        if "__float__" in node and node["__float__"] in ("nan", "inf", "-inf"):
            return float(node["__float__"])
        if "__dict__" in node and isinstance(node["__dict__"], list):
            out: dict = {}
            for pair in node["__dict__"]:
                if not (
                    isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
                ):
                    raise self.fail("a dict entry that is not a [key, value] pair")
                out[pair[0]] = self.decode(pair[1], depth + 1)
            return dict(out)
        for kind, make in (("__list__", list), ("__tuple__", tuple)):
            if kind in node and isinstance(node[kind], list):
                return make(self.decode(v, depth + 1) for v in node[kind])
        raise self.fail("an unreadable entry in the manifest")

    def array(self, index: Any) -> np.ndarray:
        if not isinstance(index, int) or isinstance(index, bool):
            raise self.fail(f"a tensor index {index!r} that is not an int")
        member = f"tensors/{index}.npy"
        info = self.infos.get(member)
        if info is None:
            raise self.fail(f"{member} is missing")
        try:
            data = self.zf.read(info)  # in full, so zipfile checks the CRC-32 (sizes bounded above)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise self.fail(f"{member} cannot be read ({e})") from None
        if self.hashes is not None and (
            index >= len(self.hashes) or hashlib.sha256(data).hexdigest() != self.hashes[index]
        ):
            raise self.fail(f"{member} does not match its SHA-256 in manifest.json")
        try:
            arr = read_npy(data, member)
        except NpyFormatError as e:
            raise self.fail(str(e)) from None
        if arr.dtype not in BY_NUMPY:
            raise self.fail(f"{member} has dtype {arr.dtype}, which a tensor cannot hold")
        return arr
