"""All disk I/O: reading spec files, saving and loading results, writing reports.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a failed or killed
run never leaves a half-written result and never clobbers an earlier one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from probmodel.errors import MISSING, InvalidArgumentError, Problem, ResultFileError, SpecError

RESULT_FORMAT = "probmodel-run/1"
META_PREFIX = "probmodel_"


MAX_SPEC_BYTES = 1 << 20
"""Largest spec file read (1 MiB): the shipped ones are a few kB."""
MAX_INT_DIGITS = 30
"""Integers in spec files with more digits than this are refused (no quantity here needs them)."""


def read_spec_bytes(path: str | Path) -> bytes:
    """The bytes of a spec file, refusing (never reading) a FIFO, device, directory or a file
    larger than :data:`MAX_SPEC_BYTES`: a :class:`SpecError` naming the file."""
    path = Path(path)

    def refuse(message: str):
        return SpecError([Problem(str(path), "", MISSING, message)])

    try:
        st = os.stat(path)  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        raise refuse("file not found.") from None
    except OSError as err:
        raise refuse(f"cannot be read: {err.strerror or err}.") from None
    _check_spec_stat(st, refuse)
    try:
        # O_NONBLOCK: a FIFO swapped in after the stat cannot block the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise refuse(f"cannot be read: {err.strerror or err}.") from None
    with os.fdopen(fd, "rb") as fh:
        _check_spec_stat(os.fstat(fd), refuse)
        data = fh.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise refuse(f"larger than {MAX_SPEC_BYTES:,} bytes; not a spec file.")
    return data


def _check_spec_stat(st: os.stat_result, refuse) -> None:
    import stat

    if stat.S_ISDIR(st.st_mode):
        raise refuse("is a folder, not a spec file.")
    if not stat.S_ISREG(st.st_mode):
        raise refuse("is not a regular file (a FIFO, device or socket); refused unread.")
    if st.st_size > MAX_SPEC_BYTES:
        raise refuse(f"is {st.st_size:,} bytes, larger than {MAX_SPEC_BYTES:,}; not a spec file.")


def read_spec_text(path: str | Path) -> str:
    """The text of a spec file (checked as :func:`read_spec_bytes` does), decoded as UTF-8."""
    try:
        return read_spec_bytes(path).decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecError([Problem(str(path), "", MISSING, f"cannot be read: {err}.")]) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML spec file; a missing, special, oversized or malformed file, or one holding an
    integer of more than :data:`MAX_INT_DIGITS` digits, is a :class:`SpecError` naming it."""
    path = Path(path)
    text = read_spec_text(path)
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError([Problem(str(path), "", MISSING, f"not valid TOML: {err}.")]) from None
    except ValueError as err:  # e.g. an integer beyond Python's 4,300-digit conversion limit
        raise SpecError([Problem(str(path), "", MISSING, f"not valid TOML: {err}.")]) from None
    problems = [
        Problem(str(path), key, MISSING, f"an integer of {digits} digits; at most "
                f"{MAX_INT_DIGITS} are allowed.")  # fmt: skip
        for key, digits in _huge_integers(table, "")
    ]
    if problems:
        raise SpecError(problems)
    return table


def toml_text(table: dict[str, Any]) -> str:
    """``table`` written as TOML: scalars (str, bool, int, finite float), lists of them, and
    nested tables (``[a.b]`` headers; a table inside a list or beside scalars in a list is not
    supported: every dict is a table with its own header). The text is read back with :mod:`tomllib` and must give ``table`` again, so a
    file this writes is one :func:`read_toml` reads as written (files users may edit: scenarios
    saved by ``probmodel explore``)."""

    def value(v, key):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError(f"{key} = {v!r}: TOML files here hold finite numbers only.")
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x, key) for x in v) + "]"
        raise ValueError(f"{key} = {v!r}: cannot be written to TOML ({type(v).__name__}).")

    lines: list[str] = []

    def emit(tbl: dict[str, Any], path: list[str]) -> None:
        scalars = {k: v for k, v in tbl.items() if not isinstance(v, dict)}
        if path and (scalars or not any(isinstance(v, dict) for v in tbl.values())):
            lines.append("")
            lines.append("[" + ".".join(_toml_key(p) for p in path) + "]")
        for k, v in scalars.items():
            lines.append(f"{_toml_key(k)} = {value(v, '.'.join([*path, k]))}")
        for k, v in tbl.items():
            if isinstance(v, dict):
                emit(v, [*path, k])

    emit(table, [])
    text = "\n".join(lines).lstrip("\n") + "\n"
    if tomllib.loads(text) != _plain(table):
        raise ValueError("toml_text: the written TOML does not read back as the table given.")
    return text


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _plain(v):
    """``v`` as tomllib would read it back (tuples become lists)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _huge_integers(value, key: str):
    """(key, digits) of every integer in a parsed TOML value with too many digits."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _huge_integers(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _huge_integers(v, f"{key}[{i}]")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**MAX_INT_DIGITS:
            yield key, len(str(abs(value)))


NAME_MAX = 255
"""Longest file name (bytes) assumed when the file system does not say (ext4, APFS, NTFS...)."""
PATH_MAX = 4096


def _host() -> str:
    """This machine's name as used in temporary file names: letters, digits and '-' only."""
    import re
    import socket

    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


def _partial_stem(path: Path) -> str:
    """The part of ``path``'s name its temporary files start with: the name itself, or when that
    would make the temporary name too long, its first characters and a hash of the rest."""
    name = path.name
    room = NAME_MAX - len(f"..{_host()}.{'9' * 10}.{'x' * 8}.partial")
    if len(os.fsencode(name)) <= room:
        return name
    digest = sha256(name)[:12]
    head = os.fsencode(name)[: room - 13].decode("utf-8", "ignore")
    return f"{head}~{digest}"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    The temporary file is named ``.NAME.HOST.PID.XXXXXXXX.partial`` (unique per host and process,
    so writers sharing a folder, even from other machines, never collide). A writer killed
    outright (SIGKILL, power loss) cannot remove its own, so each new write first removes the
    partial files of ``path`` written on this host by processes that no longer exist; files of
    other hosts are never touched (their process ids mean nothing here).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphaned_partials(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{_partial_stem(path)}.{_host()}.{os.getpid()}.", suffix=".partial",
        dir=path.parent,
    )  # fmt: skip
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
    """Delete ``.NAME.HOST.PID.*.partial`` files beside ``path`` written on this host by
    processes that are gone. Another host's files, and files of an unknown layout, are kept."""
    import glob

    removed = []
    stem, host = _partial_stem(path), _host()
    for partial in path.parent.glob(f".{glob.escape(stem)}.*.partial"):
        middle = partial.name[len(stem) + 2 : -len(".partial")].split(".")
        if len(middle) != 3 or middle[0] != host or not middle[1].isdigit():
            continue
        if not _alive(int(middle[1])):
            partial.unlink(missing_ok=True)
            removed.append(partial)
    return removed


def check_output(path: str | Path, option: str, inputs=()) -> Path:
    """Check, before any work, that ``path`` can be written, and that it is none of ``inputs``.

    Refused with an :class:`InvalidArgumentError` (exit code 2) naming ``option`` and the path:
    a name longer than the file system allows, a folder in its place, a parent that is a file or
    cannot be written (a missing parent is fine when it can be created), or the same file as one
    of ``inputs`` (writing would destroy it).
    """
    path = Path(path)
    where = f"{option} {path}"
    if not path.name or path.name in (".", ".."):
        raise InvalidArgumentError(f"{where}: give a file name, not a folder.")
    full = os.fsencode(os.path.abspath(path))
    limit_name, limit_path = _limits(path)
    if len(full) > limit_path:
        raise InvalidArgumentError(
            f"{where}: the path is {len(full)} bytes long; the file system allows {limit_path}."
        )
    for part in path.parts:
        if len(os.fsencode(part)) > limit_name:
            raise InvalidArgumentError(
                f"{where}: the name {part[:40]!r}... is {len(os.fsencode(part))} bytes long; "
                f"the file system allows {limit_name}."
            )
    if path.is_dir():
        raise InvalidArgumentError(f"{where}: is a folder; give a file name.")
    for other in inputs:
        if other is not None and _same_file(path, Path(other)):
            raise InvalidArgumentError(
                f"{where}: is the input {other}; writing there would destroy it. Choose "
                "another output file."
            )
    _check_folder(path.absolute().parent, where)
    return path


def check_output_folder(folder: str | Path, option: str) -> Path:
    """Check, before any work, that files can be written in ``folder`` (created if missing)."""
    folder = Path(folder)
    where = f"{option} {folder}"
    full = os.fsencode(os.path.abspath(folder))
    limit_name, limit_path = _limits(folder / "x")
    if len(full) > limit_path - limit_name or any(
        len(os.fsencode(p)) > limit_name for p in folder.parts
    ):
        raise InvalidArgumentError(f"{where}: the path is too long for the file system.")
    if _exists(folder) and not folder.is_dir():
        raise InvalidArgumentError(f"{where}: is a file, not a folder.")
    _check_folder(folder.absolute(), where)
    return folder


def _check_folder(folder: Path, where: str) -> None:
    """The folder exists and is writable, or its first existing ancestor lets it be created."""
    while not _exists(folder):
        if folder.is_symlink() or folder == folder.parent:
            break
        folder = folder.parent
    if not folder.is_dir():
        raise InvalidArgumentError(f"{where}: {folder} is not a folder.")
    try:  # the one honest test is to write (permissions, read-only mounts, root, ACLs...)
        fd, probe = tempfile.mkstemp(prefix=".probmodel-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise InvalidArgumentError(
            f"{where}: the folder {folder} is not writable ({err.strerror or err}); choose "
            "another output path."
        ) from None


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except (OSError, ValueError):  # missing, too long, not a folder on the way, NUL byte...
        return False
    return True


def _limits(path: Path) -> tuple[int, int]:
    """(NAME_MAX, PATH_MAX) of the file system ``path`` would be written to."""
    folder = path.absolute().parent
    while not _exists(folder) and folder != folder.parent:
        folder = folder.parent
    try:
        return os.pathconf(folder, "PC_NAME_MAX"), max(os.pathconf(folder, "PC_PATH_MAX"), 1024)
    except (OSError, ValueError, AttributeError):
        return NAME_MAX, PATH_MAX


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def fallback_path(name: str, suffix: str = ".nc") -> Path:
    """Where a result that could not be saved where asked goes instead: the ``unsaved`` folder of
    the user's cache (:func:`cache_dir`), else the current folder, under a fresh name."""
    import time

    stamp = time.strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:80] or "run"
    for folder in (cache_dir() / "unsaved", Path.cwd()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK | os.X_OK):
            return folder / f"{safe}-{stamp}-{os.getpid()}{suffix}"
    return Path.cwd() / f"{safe}-{stamp}-{os.getpid()}{suffix}"


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


NETCDF_ENGINE = "netcdf4"
"""xarray's engine for results files (netCDF-4/HDF5 either way): the netCDF C library opens a run
of ~380 variables in ~0.5 s where h5netcdf takes ~5 s (its dimension lookups grow with the
variables), measured on the 2-core machine under load; files written by either read with either."""


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
        ds.to_netcdf(tmp, engine=NETCDF_ENGINE)
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
        return xr.load_dataset(path, engine=NETCDF_ENGINE)
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


GENERATED_SRC = "generated-src"
"""Folder of the cache where PyTensor writes the Python source it generates for numba."""


def route_generated_files() -> Path:
    """Send the sampling stack's generated source files to the cache, not the system's /tmp.

    PyTensor writes the source of every function it compiles for numba to a file it never
    removes, by default one new file in the temporary folder per function (thousands per test
    run). Its ``generated_src_dir`` setting makes the files content-addressed in one folder and
    prunes old ones; this points it at ``cache_dir()/generated-src`` unless the user set it.
    Called when probmodel is imported, before PyTensor is.
    """
    import sys

    folder = cache_dir() / GENERATED_SRC
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "generated_src_dir" in flags:
        return folder
    if "pytensor" in sys.modules:
        import pytensor

        if not pytensor.config.generated_src_dir:
            pytensor.config.generated_src_dir = str(folder)
    elif not any(c in str(folder) for c in ",="):  # PYTENSOR_FLAGS is "key=value,key=value"
        os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"generated_src_dir={folder}"]))
    return folder


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
        tree.to_netcdf(tmp, engine=NETCDF_ENGINE)
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
        with xr.open_datatree(path, engine=NETCDF_ENGINE) as opened:
            tree = opened.load()
    except Exception as err:  # h5py/netCDF raise many types for a damaged file
        raise ResultFileError(
            f"{path}: not a readable netCDF/HDF5 results file ({type(err).__name__}: {err}). "
            "It may be truncated or not a probmodel result; re-create it with `probmodel sample`."
        ) from None
    attrs = dict(tree.attrs)
    meta, stored_data = _checked_meta(path, attrs)
    if stored_data != data_hash(tree):
        raise ResultFileError(
            f"{path}: data_hash does not match the stored draws: the arrays were changed after "
            "saving. Re-create the file with `probmodel sample`."
        )
    tree.attrs = {k: v for k, v in tree.attrs.items() if not k.startswith(META_PREFIX)}
    return tree, meta


def file_identity(path: str | Path) -> dict[str, Any]:
    """What identifies one version of a file without reading it: its resolved path, device,
    inode, size and modification and change times (in ns). Any write, copy, rename onto it or
    ``touch`` changes it (the change time cannot be set back by a user), as with Git's index."""
    path = Path(path).resolve()
    st = path.stat()
    return {"path": str(path), "device": st.st_dev, "inode": st.st_ino, "size": st.st_size,
            "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}  # fmt: skip


def load_meta(path: str | Path) -> dict[str, Any]:
    """The configuration stored with a saved run (what :func:`save_tree` was given as ``meta``),
    read from the file's root attributes only: no draws are read and xarray is not imported.

    The configuration hash is checked as by :func:`load_tree`; the draws' hash is not (that needs
    every array), so a caller that relies on the draws must load them with :func:`load_tree`.
    """
    import netCDF4  # the C library behind NETCDF_ENGINE; reads attributes in milliseconds

    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"{path}: no such results file (make one with `probmodel sample`).")
    try:
        with netCDF4.Dataset(path, "r") as opened:
            attrs = {key: opened.getncattr(key) for key in opened.ncattrs()}
    except Exception as err:  # noqa: BLE001 - the netCDF library raises many types
        raise ResultFileError(
            f"{path}: not a readable netCDF/HDF5 results file ({type(err).__name__}: {err}). "
            "It may be truncated or not a probmodel result; re-create it with `probmodel sample`."
        ) from None
    return _checked_meta(path, attrs)[0]


def _checked_meta(path: Path, attrs: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The metadata in a results file's root attributes, after checking its format and config
    hash, and the stored hash of its draws (checked by the caller that reads them)."""
    attrs = dict(attrs)
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
    return meta, stored_data


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
