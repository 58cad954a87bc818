"""Shared fixtures: the shipped library, a small real fit, and a spec folder to break."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from probmodel import io as _io

ROOT = Path(__file__).resolve().parents[1]


def _private_tmp() -> Path:
    """A temporary folder for this test session under the probmodel cache, removed at exit (and
    folders of earlier sessions on this host whose process is gone): nothing the tests or the
    libraries they drive write with ``tempfile`` (pytest's ``tmp_path`` included) lands in /tmp."""
    base = _io.cache_dir() / "test-tmp"
    base.mkdir(parents=True, exist_ok=True)
    host = _io._host()
    for old in base.glob(f"{host}-*"):
        pid = old.name[len(host) + 1 :]
        if pid.isdigit() and not _io._alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = base / f"{host}-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    atexit.register(shutil.rmtree, folder, True)
    return folder


from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("probmodel", derandomize=True, database=None)
_hypothesis_settings.load_profile("probmodel")
"""Hypothesis draws the same examples on every machine and run (derandomized, no example
database): a property test fails on a bug, never on the luck of one CI run."""

import pytensor as _pytensor  # noqa: E402

from probmodel.forward import FORWARD_MODE as _FORWARD_MODE  # noqa: E402

_pytensor.config.mode = _FORWARD_MODE
"""The tests' own reference computations (``pm.sample_prior_predictive``,
``pm.compute_log_likelihood``, ``model.compile_logp``, ``pm.draw``) compile in PyTensor's default
mode, which is NUMBA: ~10 s of numba compile for each function of the whole model (~185 of the
suite's ~1,700 test-seconds). The product never compiles in the default mode (nutpie's NUMBA and
:data:`probmodel.forward.FORWARD_MODE` are explicit), so the references use the mode the product's
forward functions use: the same graphs, compiled in ~1 s."""

TEST_TMP = _private_tmp()
os.environ["TMPDIR"] = str(TEST_TMP)
os.environ.setdefault("PROBMODEL_WORKER", "off")
"""Commands fit in their own process: a test never leaves a sampler worker running
(tests/test_worker.py starts its own and stops it)."""
tempfile.tempdir = str(TEST_TMP)
SHIPPED = ROOT / "priors"
BROKEN = Path(__file__).resolve().parent / "broken"


CONSTRUCTED_CITATION = """
[citation]
authors = "Constructed"
title = "A record built for a test"
year = 2026
venue = "tests/"
"""


def record(text: str, record_id: str = "constructed", **changes):
    """An evidence record parsed from TOML ``text`` (plus ``key = "value"`` lines for
    ``changes`` and a citation), as a file would give it; fails the test if it is invalid."""
    import tomllib

    from probmodel.errors import ProblemCollector
    from probmodel.evidence import parse_evidence
    from probmodel.specs.library import MEASURABLE

    body = text + "".join(f'{k} = "{v}"\n' for k, v in changes.items()) + CONSTRUCTED_CITATION
    problems = ProblemCollector(record_id)
    rec = parse_evidence(tomllib.loads(body), record_id, MEASURABLE, problems)
    assert rec is not None, problems.problems
    return rec


@pytest.fixture(scope="session")
def library():
    from probmodel.specs.library import Library

    return Library.open(SHIPPED)


def replace_world_tables(world_text: str, fragment: str) -> str:
    """Replace the ``[name]`` tables of ``world_text`` that ``fragment`` defines, append the rest."""
    names = set(re.findall(r"^\[([A-Za-z0-9_]+)\]", fragment, flags=re.M))
    kept, skipping = [], False
    for line in world_text.splitlines(keepends=True):
        header = re.match(r"^\[([A-Za-z0-9_]+)\]", line)
        if header:
            skipping = header.group(1) in names
        if not skipping:
            kept.append(line)
    return "".join(kept) + "\n" + fragment


@pytest.fixture
def spec_dir(tmp_path):
    """A copy of the shipped spec folder that a test may break; returns a function to break it."""
    root = tmp_path / "priors"
    shutil.copytree(SHIPPED, root)

    def build(
        world_fragment: str | None = None, scenario: str | None = None, evidence: str | None = None
    ):
        if world_fragment is not None:
            world = root / "world.toml"
            world.write_text(replace_world_tables(world.read_text(), world_fragment))
        for sub, text in (("scenarios", scenario), ("evidence", evidence)):
            if text is not None:
                (root / sub / "broken.toml").write_text(text)
        return root

    return build


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, worker_id):
    """A small but real fit of seed-cotrain with the shipped evidence (seconds, not minutes).

    Under pytest-xdist the first worker process to ask fits it and saves it where both workers
    can read it; the other loads that file (~1 s instead of ~16 s of compiling and sampling):
    the same draws and configuration either way (a saved run loads bit for bit). Each worker
    gets a run not bound to any file, as a fresh fit is."""
    import fcntl

    import probmodel as pmod

    def fit():
        return pmod.fit(
            "seed-cotrain", draws=200, tune=300, chains=2, prior_draws=500, priors_dir=SHIPPED
        )

    if worker_id == "master":
        return fit()
    shared = tmp_path_factory.getbasetemp().parent / "small-run.nc"
    with open(f"{shared}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if shared.is_file():
            run = pmod.load_run(shared)
        else:
            run = fit()
            from probmodel import io

            io.save_tree(run.tree, run.meta, shared)
    run.path = None
    return run


@pytest.fixture(scope="session")
def prior_run(library):
    """A Run whose "posterior" is 1,000 prior draws of seed-cotrain (no MCMC): enough to test
    what is computed from draws (sweeps, sensitivity, decisions) in seconds."""
    import pymc as pm
    import xarray as xr

    from probmodel.model import build_model
    from probmodel.sampling import Run, SamplerSettings, run_meta

    scenario = library.scenario("seed-cotrain")
    model = build_model(scenario)
    prior = pm.sample_prior_predictive(draws=1000, model=model, random_seed=11)["prior"]
    tree = xr.DataTree.from_dict({"posterior": prior.to_dataset()})
    return Run(tree=tree, meta=run_meta(scenario, [], SamplerSettings()))


def prior_draws(scenario, draws: int, seed: int):
    """Prior draws (one chain) of a scenario's world parameters and outcomes, without evidence."""
    import pymc as pm

    from probmodel.model import build_model
    from probmodel.sampling import FORWARD_COMPILE

    model = build_model(scenario)
    prior = pm.sample_prior_predictive(
        draws=draws, model=model, random_seed=seed, compile_kwargs=FORWARD_COMPILE
    )
    return prior["prior"].to_dataset()


def as_chains(ds, chains: int):
    """One chain of draws split into ``chains`` chains, laid out as MCMC output is."""
    one = ds.isel(chain=0, drop=True).drop_vars("draw")
    size = one.sizes["draw"] // chains
    one = one.isel(draw=slice(0, size * chains))
    return one.coarsen(draw=size).construct(draw=("chain", "draw")).transpose("chain", "draw", ...)


@pytest.fixture(scope="session")
def gating_runs(library):
    """Two runs of seed-cotrain built from prior draws, no MCMC: ``good`` (4 chains of 400 iid
    draws: passes R-hat, ESS and divergences) and ``bad`` (the same draws with 7 divergent
    transitions and one chain of unit cost tripled, so R-hat fails). Both have ``prior``,
    ``point`` and ``sample_stats`` groups, so every command can read them."""
    import numpy as np
    import xarray as xr

    from probmodel.evaluate import point_outcomes
    from probmodel.sampling import Run, SamplerSettings, run_meta

    scenario = library.scenario("seed-cotrain")
    prior = prior_draws(scenario, 1600, seed=5)
    post = as_chains(prior, 4)
    diverging = np.zeros((4, post.sizes["draw"]), dtype=bool)
    runs = {}
    for kind in ("good", "bad"):
        stats = diverging.copy()
        posterior = post.copy()
        if kind == "bad":
            stats[1, :7] = True
            stuck = posterior["unit_cost_usd"].values.copy()
            stuck[2] *= 3.0
            posterior["unit_cost_usd"] = (("chain", "draw"), stuck)
        tree = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "prior": prior,
                "sample_stats": xr.Dataset({"diverging": (("chain", "draw"), stats)}),
                "point": point_outcomes(scenario),
            }
        )
        runs[kind] = Run(tree=tree, meta=run_meta(scenario, [], SamplerSettings()))
    return runs


CHROMIUM = os.environ.get("PROBMODEL_CHROMIUM", "/usr/bin/chromium")
"""Debian's chromium (``scripts/ensure-browser`` installs it; ``make test`` runs that first)."""
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
"""Headless on a machine with no network: without the background-networking flags Chromium's
connections are refused, many at a time."""


@pytest.fixture(scope="module")
def chromium():
    """A Chromium browser driven by Playwright, one per test module; a missing browser fails the
    test with what to do (not a skip: CI installs it)."""
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need it. Run "
            "scripts/ensure-browser (make test does; it installs Debian's chromium), or set "
            "PROBMODEL_CHROMIUM to a chromium binary.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
