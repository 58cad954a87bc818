"""The warm sampler worker: a fit through it is the fit the command would make itself, it keeps
the compiled model between requests, and it is only ever a speed-up (refusals and failures fall
back to fitting in the command's process)."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time

import numpy as np
import pytest

from probmodel import io, worker
from probmodel.run import SamplerSettings
from tests.conftest import TEST_TMP

SMALL = SamplerSettings(draws=200, tune=300, chains=2, prior_draws=500)
"""The settings of the session's ``small_run`` fixture, so a worker fit can be compared with it."""


@pytest.fixture
def worker_cache(monkeypatch):
    """A private cache folder (short enough for a socket path) with the worker turned on; any
    worker started in it is stopped afterwards."""
    folder = TEST_TMP / f"w{time.time_ns() % 10**9}"
    folder.mkdir()
    monkeypatch.setenv(io.CACHE_ENV, str(folder))
    monkeypatch.setenv(worker.WORKER_ENV, "on")
    monkeypatch.setenv(worker.IDLE_ENV, "120")
    yield folder
    pid = worker.worker_pid()
    if pid and pid != os.getpid():
        os.kill(pid, signal.SIGTERM)


def _inputs(library):
    scenario = library.scenario("seed-cotrain")
    from probmodel.specs.library import evidence_for

    return scenario, evidence_for(scenario, library.evidence())


@pytest.mark.fit
def test_a_fit_through_the_worker_is_the_fit_made_in_process_and_reuses_its_compile(
    library, small_run, worker_cache
):
    scenario, evidence = _inputs(library)
    notices, steps = [], []
    run = worker.fit(scenario, evidence, SMALL, lambda *c: steps.append(c), notices.append)
    assert any("started a sampler worker" in n for n in notices), notices
    assert worker.worker_pid() is not None
    assert run.config_hash == small_run.config_hash
    for group in ("posterior", "sample_stats", "log_likelihood", "log_prior", "prior",
                  "posterior_predictive", "prior_predictive"):  # fmt: skip
        ours, theirs = run.tree[group].to_dataset(), small_run.tree[group].to_dataset()
        for name in theirs.data_vars:
            if theirs[name].dtype == object:  # text (saved as str): compared as text
                assert ours[name].astype(str).equals(theirs[name].astype(str)), name
                continue
            np.testing.assert_array_equal(ours[name].values, theirs[name].values, err_msg=name)
    assert not list(worker.folder().glob("run-*.nc"))  # the temporary file is gone

    notices.clear(), steps.clear()
    target = worker_cache / "kept.nc"
    again = worker.fit(
        scenario, evidence, SMALL, lambda *c: steps.append(c), notices.append, save_to=target
    )
    assert again.path == target and target.is_file()  # moved, not written twice
    from probmodel.run import Run

    assert Run.load(target).config_hash == run.config_hash
    from probmodel.sampling import COMPILED_REUSED, COMPILING

    names = {s[0] for s in steps}
    assert COMPILED_REUSED in names and COMPILING not in names  # the worker kept it
    assert notices == []
    np.testing.assert_array_equal(
        again.tree["posterior"]["sim_transfer"].values, run.tree["posterior"]["sim_transfer"].values
    )


def test_turned_off_or_out_of_reach_the_command_fits_in_its_own_process(
    library, monkeypatch, worker_cache
):
    import probmodel.sampling

    calls = []
    monkeypatch.setattr(probmodel.sampling, "fit", lambda *a, **k: calls.append(a) or "here")
    scenario, evidence = _inputs(library)
    monkeypatch.setenv(worker.WORKER_ENV, "off")
    notices = []
    assert worker.fit(scenario, evidence, SMALL, on_notice=notices.append) == "here"
    assert notices == [] and not list(worker.folder().glob("*.sock"))

    monkeypatch.setenv(worker.WORKER_ENV, "on")
    long = TEST_TMP / ("x" * 120)
    long.mkdir()
    monkeypatch.setenv(io.CACHE_ENV, str(long))
    assert worker.fit(scenario, evidence, SMALL, on_notice=notices.append) == "here"
    assert len(calls) == 2
    assert "fitting in this process" in notices[0] and "too long" in notices[0]


def _ask(meta: dict, out: str) -> dict:
    """One request answered by the worker's handler over a socket pair (no fit is reached)."""
    ours, theirs = socket.socketpair()
    ours.sendall((json.dumps({"meta": meta, "out": out}) + "\n").encode())

    def never_fit(*args, **kwargs):
        raise AssertionError("the worker must refuse before fitting")

    worker._serve_one(theirs, never_fit)
    theirs.close()
    return json.loads(ours.makefile().readline())


def test_the_worker_refuses_other_code_and_paths_outside_its_folder(library, worker_cache):
    from probmodel.run import run_meta

    scenario, evidence = _inputs(library)
    meta = run_meta(scenario, evidence, SMALL)
    inside = str(worker.folder() / "run-x.nc")
    answer = _ask({**meta, "code": "0" * 16}, inside)
    assert "other code" in answer["error"]
    answer = _ask(meta, str(TEST_TMP / "elsewhere.nc"))
    assert "writes runs only into" in answer["error"]
    meta["scenario"] = {**meta["scenario"], "title": "edited after hashing"}
    meta["settings"] = {**meta["settings"], "draws": -1}
    assert "error" in _ask(meta, inside)  # rebuilt settings refuse the value


def test_a_worker_exits_when_idle_and_a_second_one_for_the_same_socket_steps_aside(worker_cache):
    path = worker.socket_path()
    first = threading.Thread(target=worker.serve, args=(path, 1.0))
    first.start()
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists() and worker.worker_pid(path) == os.getpid()
    started = time.monotonic()
    worker.serve(path, 30.0)  # the first holds the lock: this returns at once
    assert time.monotonic() - started < 5
    first.join(timeout=10)
    assert not first.is_alive() and not path.exists()  # idle for 1 s: gone, socket removed
    assert worker.worker_pid(path) is None


def test_the_command_imports_what_it_needs_after_the_fit_while_the_worker_fits():
    """What loading, summarising and reporting the run import is imported meanwhile, in a
    thread; a module that cannot be imported is left for the real import to report."""
    import importlib
    import sys

    assert {"xarray", "arviz", "matplotlib.figure"} <= set(worker.IMPORTED_MEANWHILE)
    sys.modules.pop("colorsys", None)
    thread = worker._import_meanwhile(("colorsys", "probmodel_no_such_module"))
    thread.join(timeout=60)
    assert not thread.is_alive() and "colorsys" in sys.modules
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("probmodel_no_such_module")
