"""All disk I/O: reading spec files, saving and loading results, writing reports.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a failed or killed
run never leaves a half-written result and never clobbers an earlier one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from probmodel.errors import MISSING, Problem, ResultFileError, SpecError

RESULT_FORMAT = "probmodel-run/1"
META_PREFIX = "probmodel_"


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML spec file; a missing or malformed file is a :class:`SpecError` naming it."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SpecError([Problem(str(path), "", MISSING, "file not found.")]) from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError([Problem(str(path), "", MISSING, f"not valid TOML: {err}.")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError([Problem(str(path), "", MISSING, f"cannot be read: {err}.")]) from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    The temporary file is named ``.NAME.PID.*.partial``. A writer killed outright (SIGKILL, power
    loss) cannot remove its own, so each new write first removes the partial files of ``path``
    whose writing process no longer exists.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphaned_partials(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".partial", dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def remove_orphaned_partials(path: Path) -> list[Path]:
    """Delete ``.NAME.PID.*.partial`` files beside ``path`` left by processes that are gone."""
    removed = []
    for partial in path.parent.glob(f".{path.name}.*.partial"):
        pid = partial.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            partial.unlink(missing_ok=True)
            removed.append(partial)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_dataset(ds, path: str | Path) -> Path:
    """Write an ``xarray.Dataset`` (a sweep, say) to netCDF atomically: an earlier file with the
    same name survives a failure."""
    path = Path(path)
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return path


def write_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    """Save a Matplotlib figure (format from the suffix: .png, .svg, .pdf) atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return path


def load_dataset(path: str | Path):
    """Read a netCDF Dataset written by :func:`write_dataset`, with a clear error if it is not
    one."""
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"{path}: no such file.")
    try:
        return xr.load_dataset(path, engine="h5netcdf")
    except Exception as exc:  # noqa: BLE001 - any reader failure means the file is unusable
        raise ResultFileError(
            f"{path}: not a readable netCDF file ({type(exc).__name__}: {exc})."
        ) from None


SAMPLING_STACK = ("pymc", "pytensor", "nutpie", "numpy", "preliz", "arviz-base", "xarray")
"""Packages whose version can change a posterior drawn with the same seed."""


CACHE_ENV = "PROBMODEL_CACHE_DIR"


def cache_dir() -> Path:
    """The user's probmodel cache folder: ``$PROBMODEL_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/probmodel``, else ``~/.cache/probmodel``. Safe to delete at any time."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "probmodel"


def read_pickle(path: str | Path):
    """The object pickled at ``path``, or ``None`` when it is missing or unreadable: the caches
    that use it are never trusted over recomputing."""
    import pickle

    try:
        with Path(path).open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a damaged cache entry is recomputed, never fatal
        return None


def write_pickle(path: str | Path, obj) -> None:
    """Pickle ``obj`` to ``path`` atomically; a cache that cannot be written is skipped (a
    read-only or full disk costs the next reader the time, not this one its result)."""
    import pickle

    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass


_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """Hash of probmodel's own source and of the sampling stack's versions.

    Stored with every run: a saved posterior is reused only by the code that would have drawn
    exactly the same one (see :func:`probmodel.api.reusable_run`)."""
    global _FINGERPRINT
    if _FINGERPRINT is not None:
        return _FINGERPRINT
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    for name in SAMPLING_STACK:
        try:
            digest.update(f"{name}=={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    _FINGERPRINT = digest.hexdigest()[:16]
    return _FINGERPRINT


CACHE_KEEP = 32
"""Memoised results kept per cache folder (the least recently written go first)."""


def memoised(folder: str | Path, key: dict[str, Any], compute):
    """``compute()``'s result, stored in ``folder`` under a hash of ``key`` and reused while
    ``key`` (which must name everything the result depends on) is unchanged.

    Why: the report's decision analysis takes ~10 s and depends only on the posterior draws, the
    candidate plans and the code; re-rendering a report of the same run should not repeat it.
    Entries are pickles written atomically; one that cannot be read is recomputed.
    """
    folder = Path(folder)
    path = folder / f"{sha256(canonical_json(key))[:24]}.pkl"
    result = read_pickle(path) if path.is_file() else None
    if result is None:
        result = compute()
        write_pickle(path, result)
        try:
            entries = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in entries[CACHE_KEEP:]:
                old.unlink(missing_ok=True)
        except OSError:  # another process pruned first
            pass
    return result


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal content gives equal hashes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(obj):
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def data_hash(tree) -> str:
    """Hash of every array (name, dtype, shape, values) in every group of a DataTree."""
    h = hashlib.sha256()
    for node in sorted(tree.subtree, key=lambda n: n.path):
        for name in sorted(map(str, node.dataset.variables)):
            values = np.asarray(node.dataset.variables[name].values)
            kind = "str" if values.dtype.kind in "OUS" else values.dtype.str  # str round-trips as O
            h.update(f"{node.path}/{name}:{kind}:{values.shape}".encode())
            if values.dtype.kind in "OUS":
                h.update("\x1f".join(map(str, values.ravel())).encode())
            else:
                h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def save_tree(tree, meta: dict[str, Any], path: str | Path) -> Path:
    """Save a DataTree and its probmodel metadata to one netCDF file, atomically.

    ``meta`` is stored as JSON attributes on the root group, with a hash of the configuration
    (``config_hash``) and of the arrays (``data_hash``) so that :func:`load_tree` can refuse a
    file whose contents no longer match.
    """
    tree = tree.copy()
    for node in tree.subtree:
        node.attrs = _netcdf_safe_attrs(node.attrs)
        ds = node.to_dataset()
        objects = [n for n, v in ds.variables.items() if v.dtype == object]
        if objects:
            node.dataset = ds.assign({n: ds[n].astype(str) for n in objects if n in ds.data_vars})
            node.dataset = node.to_dataset().assign_coords(
                {n: ds[n].astype(str) for n in objects if n in ds.coords}
            )
    attrs = {f"{META_PREFIX}{k}": canonical_json(v) for k, v in meta.items()}
    attrs[f"{META_PREFIX}format"] = RESULT_FORMAT
    attrs[f"{META_PREFIX}config_hash"] = config_hash(meta)
    attrs[f"{META_PREFIX}data_hash"] = data_hash(tree)
    tree.attrs = {**tree.attrs, **attrs}
    with atomic_path(path) as tmp:
        tree.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def config_hash(meta: dict[str, Any]) -> str:
    """Hash of the configuration part of ``meta`` (scenario, priors, evidence, settings, version)."""
    return sha256(canonical_json(meta))


def load_tree(path: str | Path):
    """Load a saved run; refuse files that are missing, foreign, corrupted or tampered with.

    Returns
    -------
    tree : xarray.DataTree
    meta : dict
        The metadata given to :func:`save_tree`.
    """
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"{path}: no such results file (make one with `probmodel sample`).")
    try:
        with xr.open_datatree(path, engine="h5netcdf") as opened:
            tree = opened.load()
    except Exception as err:  # h5py/netCDF raise many types for a damaged file
        raise ResultFileError(
            f"{path}: not a readable netCDF/HDF5 results file ({type(err).__name__}: {err}). "
            "It may be truncated or not a probmodel result; re-create it with `probmodel sample`."
        ) from None
    attrs = dict(tree.attrs)
    if attrs.get(f"{META_PREFIX}format") != RESULT_FORMAT:
        raise ResultFileError(
            f"{path}: not a probmodel result (attribute {META_PREFIX}format is "
            f"{attrs.get(f'{META_PREFIX}format', 'missing')!r}, expected {RESULT_FORMAT!r})."
        )
    stored_config = attrs.pop(f"{META_PREFIX}config_hash", None)
    stored_data = attrs.pop(f"{META_PREFIX}data_hash", None)
    meta: dict[str, Any] = {}
    for key, value in attrs.items():
        if key.startswith(META_PREFIX) and key != f"{META_PREFIX}format":
            try:
                meta[key[len(META_PREFIX) :]] = json.loads(value)
            except (TypeError, json.JSONDecodeError):
                raise ResultFileError(
                    f"{path}: attribute {key} is not valid JSON; the file was edited."
                ) from None
    if stored_config != config_hash(meta):
        raise ResultFileError(
            f"{path}: config_hash does not match the stored scenario/priors/evidence "
            f"(stored {str(stored_config)[:12]}, computed {config_hash(meta)[:12]}): the file was "
            "edited after saving. Re-create it with `probmodel sample`."
        )
    if stored_data != data_hash(tree):
        raise ResultFileError(
            f"{path}: data_hash does not match the stored draws: the arrays were changed after "
            "saving. Re-create the file with `probmodel sample`."
        )
    tree.attrs = {k: v for k, v in tree.attrs.items() if not k.startswith(META_PREFIX)}
    return tree, meta


def _netcdf_safe_attrs(attrs: dict) -> dict:
    """netCDF attributes must be numbers, strings or non-empty lists of one of them (ArviZ's
    ``sample_dims`` is a list of str and must stay one); anything else is stored as JSON text."""
    safe = {}
    for key, value in attrs.items():
        if isinstance(value, bool):
            safe[key] = int(value)
        elif isinstance(value, (str, int, float, np.number)):
            safe[key] = value
        elif (
            isinstance(value, (list, tuple))
            and value
            and (all(isinstance(v, str) for v in value) or all(_is_plain_number(v) for v in value))
        ):
            safe[key] = list(value)
        else:
            safe[key] = canonical_json(value)
    return safe


def _is_plain_number(v) -> bool:
    return isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
