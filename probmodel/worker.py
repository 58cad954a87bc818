"""A warm sampler: a background process that keeps compiled models between commands.

Compiling the model (PyTensor's rewrites of the log density and its gradient, then numba) is
most of a fit's time; its numba part is cached on disk (:mod:`probmodel.compiling`), its
rewrites cannot be. ``probmodel run`` and
``probmodel sample`` therefore hand the fit to a worker process of the same code that keeps the
models it compiled (:func:`probmodel.sampling.compiled_model`) and exits after
:data:`IDLE_SECONDS` without a request. A re-sample of a configuration it has compiled skips the
compile; a first fit costs what it costs in the command's own process.

The worker draws exactly what the command would (same code, same configuration, same seed: a
test checks it bit for bit) and is only ever a speed-up: whenever it cannot be reached, started
or trusted, the command fits in its own process and says why. ``PROBMODEL_WORKER=off`` turns it
off.

Protocol: one request per connection on a Unix socket in the user's cache folder (a folder only
the user can enter). The request is one JSON line ``{"meta": <run configuration>, "out":
<path>}``; the worker rebuilds the scenario and records from the configuration (refusing one
whose hash it cannot reproduce), fits, saves the run to ``out`` and answers with JSON lines:
``{"progress": [step, done, total]}`` while it works, then ``{"saved": out}`` or ``{"error":
text}``. Nothing is unpickled: the run comes back as a hash-checked netCDF file.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from probmodel import io
from probmodel.errors import ProbmodelError
from probmodel.evidence import Record
from probmodel.progress import Progress, callback
from probmodel.run import Run, RunConfig, SamplerSettings, run_meta
from probmodel.specs.scenario import Scenario

WORKER_ENV = "PROBMODEL_WORKER"
"""``off``: fit in the command's own process (no worker is started or asked)."""
IDLE_ENV = "PROBMODEL_WORKER_IDLE"
IDLE_SECONDS = 900.0
"""A worker exits this long after its last request (``$PROBMODEL_WORKER_IDLE`` seconds)."""
START_SECONDS = 60.0
"""How long a command waits for a worker it started to accept requests (imports ~3-6 s)."""
_SOCKET_PATH_MAX = 100
"""Unix socket paths are limited to 107 bytes on Linux; longer cache folders fall back."""


class WorkerUnavailable(ProbmodelError):
    """The worker could not be reached, started or trusted; the caller fits in-process."""


def enabled() -> bool:
    """Whether commands should use the worker (``$PROBMODEL_WORKER`` is not ``off``)."""
    return os.environ.get(WORKER_ENV, "on").strip().lower() not in ("off", "0", "no", "false")


def folder() -> Path:
    """The workers' folder in the cache (mode 0700: its sockets are the user's alone)."""
    path = io.cache_dir() / "worker"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def socket_path() -> Path:
    """The socket of the worker for this code (a code change gets a new worker)."""
    return folder() / f"{io.code_fingerprint()[:12]}.sock"


def fit(
    scenario: Scenario,
    evidence: list[Record],
    settings: SamplerSettings,
    progress: Progress | None = None,
    on_notice: Callable[[str], None] | None = None,
    save_to: Path | None = None,
) -> Run:
    """Fit through the warm worker (started if none runs); in this process if that fails.

    Parameters
    ----------
    scenario, evidence, settings
        As for :func:`probmodel.sampling.fit`; the result is the same, draw for draw.
    progress : callable, optional
        ``progress(step, done, total)``, forwarded from the worker.
    on_notice : callable, optional
        Called with one line when a worker is started or cannot be used.
    save_to : path, optional
        Where the caller will save the run: the worker's file is moved there when it can be
        (same file system), saving a second write; ``run.path`` then names it. Otherwise the
        run is returned unsaved (``run.path`` is ``None``).
    """
    notice = on_notice or (lambda text: None)
    if enabled():
        try:
            return _fit_remote(scenario, evidence, settings, callback(progress), notice, save_to)
        except WorkerUnavailable as err:
            notice(f"fitting in this process: {err}")
    from probmodel.sampling import fit as fit_here

    return fit_here(scenario, evidence, settings, progress=progress)


def worker_pid(path: Path | None = None) -> int | None:
    """The pid of the live worker serving ``path`` (this code's socket by default), if any."""
    alive = (path or socket_path()).with_suffix(".alive")
    try:
        pid = int(alive.read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid and io._alive(pid) else None


IMPORTED_MEANWHILE = (
    "xarray",
    "arviz",
    "pymc",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
)
"""Libraries this process imports in a thread while the worker fits: what loading the run, its
summary and its report need here (~2.5 s, measured in a fresh process), paid while the command
would only wait (the worker's compile uses one core of two)."""


def _import_meanwhile(names: tuple[str, ...]) -> threading.Thread:
    """Start importing ``names`` in a daemon thread; a failure is left for the real import."""

    def work() -> None:
        for name in names:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    thread = threading.Thread(target=work, name="probmodel-imports", daemon=True)
    thread.start()
    return thread


def _fit_remote(scenario, evidence, settings, report: Progress, notice, save_to) -> Run:
    """Ask the worker to fit; the run comes back as a netCDF file beside the cache."""
    from probmodel.evidence import for_fleet

    evidence = for_fleet(evidence, scenario.plan.robot_class)
    meta = run_meta(scenario, evidence, settings)
    out = folder() / f"run-{os.getpid()}-{threading.get_ident()}-{time.time_ns()}.nc"
    try:
        with _connection(notice) as conn:
            conn.sendall((io.canonical_json({"meta": meta, "out": str(out)}) + "\n").encode())
            imports = _import_meanwhile(IMPORTED_MEANWHILE)
            answer = _answer(conn, report)
        imports.join()  # before this thread imports anything itself (no import lock crossing)
        if "saved" not in answer:
            raise WorkerUnavailable(f"the worker could not fit ({answer.get('error', answer)})")
        run = Run.load(out)
        if io.config_hash({k: run.meta.get(k) for k in meta}) != io.config_hash(meta):
            raise WorkerUnavailable("the worker's run has another configuration")
        run.path = None  # a temporary file: the caller saves the run where it belongs
        if save_to is not None:
            with contextlib.suppress(OSError):  # another file system, a folder: saved normally
                os.replace(out, save_to)
                run.path = Path(save_to)
        return run
    finally:
        out.unlink(missing_ok=True)


def _answer(conn: socket.socket, report: Progress) -> dict:
    """Read the worker's JSON lines, forwarding progress, until its final answer."""
    reader = conn.makefile("r", encoding="utf-8")
    for line in reader:
        message = json.loads(line)
        if "progress" in message:
            step, done, total = message["progress"]
            report(str(step), int(done), int(total))
        else:
            return message
    raise WorkerUnavailable("the worker closed the connection before answering")


@contextlib.contextmanager
def _connection(notice):
    """A connection to this code's worker, starting one if none answers."""
    path = socket_path()
    if len(str(path)) > _SOCKET_PATH_MAX:
        raise WorkerUnavailable(f"the cache folder's path is too long for a socket ({path})")
    conn = _connect(path)
    if conn is None:
        with _locked(path.with_suffix(".start")):  # one command starts it, others wait
            conn = _connect(path)
            if conn is None:
                proc = _start(path)
                notice(
                    f"started a sampler worker (pid {proc.pid}) that keeps compiled models for "
                    f"{_idle_seconds() / 60:g} min after its last fit, so a re-sample skips "
                    f"the compile; {WORKER_ENV}=off fits in the command's own process"
                )
                conn = _await(path, proc)
    try:
        yield conn
    finally:
        conn.close()


def _connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def _start(path: Path) -> subprocess.Popen:
    """Start a detached worker process for ``path``."""
    log = path.with_suffix(".log")
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "probmodel.worker", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # not killed with the command's terminal; exits when idle
            close_fds=True,
        )
    return proc


def _await(path: Path, proc: subprocess.Popen) -> socket.socket:
    """Wait for the worker ``proc`` to accept connections."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        conn = _connect(path)
        if conn is not None:
            return conn
        if proc.poll() is not None:  # it exited (or another worker took the socket)
            conn = _connect(path)
            if conn is not None:
                return conn
            break
        time.sleep(0.05)
    raise WorkerUnavailable(
        f"the sampler worker did not start (its log: {path.with_suffix('.log')})"
    )


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _idle_seconds() -> float:
    try:
        return max(float(os.environ.get(IDLE_ENV, IDLE_SECONDS)), 0.1)
    except ValueError:
        return IDLE_SECONDS


# ------------------------------------------------------------------------------ the worker


def serve(path: Path, idle: float | None = None) -> None:
    """Serve fits on the socket ``path`` one at a time until ``idle`` seconds pass without one.

    Holds an exclusive lock on ``<path>.alive`` while it lives, so a second worker for the same
    socket exits at once and a socket file left by a worker that died is replaced.
    """
    from probmodel.sampling import fit as fit_here

    idle = _idle_seconds() if idle is None else idle
    alive = open(path.with_suffix(".alive"), "a")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(alive, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another worker serves this socket
    alive.truncate(0)
    alive.write(str(os.getpid()))
    alive.flush()
    path.unlink(missing_ok=True)  # left by a worker that died
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o600)
    server.listen(8)
    server.settimeout(idle)
    try:
        while True:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                return
            with conn:
                conn.settimeout(None)
                _serve_one(conn, fit_here)
    finally:
        server.close()
        path.unlink(missing_ok=True)
        alive.truncate(0)  # no pid: nobody serves this socket any more
        alive.close()


def _serve_one(conn: socket.socket, fit_here) -> None:
    lock = threading.Lock()

    def send(message: dict) -> None:
        with lock:
            conn.sendall((json.dumps(message) + "\n").encode())

    try:
        request = json.loads(conn.makefile("r", encoding="utf-8").readline())
        out = Path(request["out"])
        if out.parent != folder():
            raise WorkerUnavailable(f"it writes runs only into {folder()}, not {out}")
        config = RunConfig(meta=request["meta"])
        if config.meta.get("code") != io.code_fingerprint():
            raise WorkerUnavailable("it runs other code")
        scenario, records = config.scenario_spec, config.records
        settings = config.settings
        if io.config_hash(run_meta(scenario, records, settings)) != config.config_hash:
            raise WorkerUnavailable("it could not rebuild this configuration exactly")
        run = fit_here(scenario, records, settings, progress=lambda *c: send({"progress": c}))
        run.save(out)
        try:
            send({"saved": str(out)})
        except OSError:  # the command is gone: nobody will read the run
            out.unlink(missing_ok=True)
    except Exception as err:  # noqa: BLE001 - any failure is answered; the caller fits itself
        with contextlib.suppress(OSError):
            send({"error": f"{type(err).__name__}: {err}"})


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
