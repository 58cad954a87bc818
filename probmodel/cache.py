"""Caches that can never run code: one module, one off switch.

Every cache entry is a NumPy ``.npz`` file read with ``allow_pickle=False``: a JSON document (the
structure: dicts, lists, numbers, strings, and xarray objects described by their dims, coords and
attrs) plus the arrays it points to. Nothing in an entry is executable, so a file planted in a cache
folder (a shared results folder, a home directory) can at worst be ignored. Each entry stores the
hash of the key it was computed for and of its own payload; an entry whose key or payload does not
match, or that cannot be read for any reason, is ignored and recomputed.

``PROBMODEL_NO_CACHE=1`` turns every cache off (each result is recomputed and nothing is written).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from probmodel import io

OFF_SWITCH = "PROBMODEL_NO_CACHE"
SUFFIX = ".npz"
KEEP = 32
"""Memoised results kept per cache folder (the least recently written go first)."""
_FORMAT = "probmodel-cache-1"


def enabled() -> bool:
    """False when the user turned caching off (``PROBMODEL_NO_CACHE`` set to anything but 0)."""
    return os.environ.get(OFF_SWITCH, "0").strip() in ("", "0")


class _Encoder:
    """Turns a value into JSON with array placeholders, collecting the arrays."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, values) -> dict[str, str]:
        values = np.asarray(values)
        if values.dtype.kind not in "biufcUSMm":  # object arrays would need pickle
            raise TypeError(f"cannot cache an array of dtype {values.dtype}")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = values
        return {"__ndarray__": name}

    def __call__(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return self.array(obj)
        if isinstance(obj, dict):
            if not all(isinstance(k, str) for k in obj):
                raise TypeError("cannot cache a dict with non-string keys")
            return {"__dict__": {k: self(v) for k, v in obj.items()}}
        if isinstance(obj, list | tuple):
            return {"__list__" if isinstance(obj, list) else "__tuple__": [self(v) for v in obj]}
        xr = sys.modules.get("xarray")  # not imported: obj cannot be an xarray object
        if xr is not None and isinstance(obj, xr.DataArray):
            return {"__dataarray__": self._variable(obj) | {"name": self(obj.name),
                                                         "coords": self._coords(obj)}}  # fmt: skip
        if xr is not None and isinstance(obj, xr.Dataset):
            return {
                "__dataset__": {
                    "data_vars": {str(k): self._variable(v) for k, v in obj.data_vars.items()},
                    "coords": self._coords(obj),
                    "attrs": self(dict(obj.attrs)),
                }
            }
        raise TypeError(f"cannot cache a {type(obj).__name__}")

    def _variable(self, var) -> dict[str, Any]:
        return {"dims": list(map(str, var.dims)), "data": self.array(var.values),
                "attrs": self(dict(var.attrs))}  # fmt: skip

    def _coords(self, obj) -> dict[str, Any]:
        return {str(k): self._variable(v) for k, v in obj.coords.items()}


def _decode(obj: Any, arrays) -> Any:
    if not isinstance(obj, dict):
        return obj
    (tag, body), *_ = obj.items()
    if tag == "__ndarray__":
        return arrays[body]
    if tag == "__dict__":
        return {k: _decode(v, arrays) for k, v in body.items()}
    if tag in ("__list__", "__tuple__"):
        items = [_decode(v, arrays) for v in body]
        return items if tag == "__list__" else tuple(items)
    import xarray as xr  # only xarray objects need it (~1 s to import)

    def variable(spec):
        return xr.Variable(spec["dims"], arrays[spec["data"]["__ndarray__"]],
                           _decode(spec["attrs"], arrays))  # fmt: skip

    coords = {k: variable(v) for k, v in body["coords"].items()}
    if tag == "__dataarray__":
        return xr.DataArray(variable(body), coords=coords, name=_decode(body["name"], arrays))
    if tag == "__dataset__":
        data = {k: variable(v) for k, v in body["data_vars"].items()}
        return xr.Dataset(data, coords=coords, attrs=_decode(body["attrs"], arrays))
    raise ValueError(f"unknown cache tag {tag!r}")


def _digest(document: str, arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(document.encode())
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(str(arrays[name].dtype).encode())
        h.update(str(arrays[name].shape).encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


def store(path: str | Path, key: str, obj: Any) -> bool:
    """Write ``obj`` to ``path`` (atomically) as the entry for ``key``; False when it cannot be
    cached (a type the format does not hold, a read-only or full disk): the caller has its result
    either way."""
    if not enabled():
        return False
    try:
        encode = _Encoder()
        document = json.dumps(encode(obj), allow_nan=True)
        digest = _digest(document, encode.arrays)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with io.atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, __format__=np.array(_FORMAT), __key__=np.array(key),
                     __digest__=np.array(digest), __json__=np.array(document),
                     **encode.arrays)  # fmt: skip
        return True
    except (TypeError, ValueError, OSError):
        return False


def load(path: str | Path, key: str) -> Any | None:
    """The entry at ``path`` if it was stored for ``key`` and is intact, else ``None``.

    Never unpickles: the file is read with ``allow_pickle=False``; a foreign, damaged or
    mismatched file is ignored."""
    if not enabled():
        return None
    try:
        with np.load(Path(path), allow_pickle=False) as npz:
            if str(npz["__format__"]) != _FORMAT or str(npz["__key__"]) != key:
                return None
            document = str(npz["__json__"])
            arrays = {n: npz[n] for n in npz.files if not n.startswith("__")}
            if _digest(document, arrays) != str(npz["__digest__"]):
                return None
            return _decode(json.loads(document), arrays)
    except Exception:  # noqa: BLE001 - any unreadable entry is recomputed, never fatal
        return None


def memoised(
    folder: str | Path, key: dict[str, Any], compute: Callable[[], Any], keep: int = KEEP
) -> Any:
    """``compute()``'s result, stored in ``folder`` under a hash of ``key`` and reused while
    ``key`` (which must name everything the result depends on) is unchanged.

    Why: the report's decision analysis takes seconds and depends only on the posterior draws,
    the candidate plans and the code; re-rendering a report of the same run should not repeat it.
    ``keep`` entries stay in ``folder`` (the most recently written).
    """
    folder = Path(folder)
    name = io.sha256(io.canonical_json(key))
    path = folder / f"{name[:24]}{SUFFIX}"
    result = load(path, name) if path.is_file() else None
    if result is None:
        result = compute()
        if store(path, name, result):
            _prune(folder, keep)
    return result


def _prune(folder: Path, keep: int = KEEP) -> None:
    try:
        entries = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            old.unlink(missing_ok=True)
    except OSError:  # another process pruned first
        pass
