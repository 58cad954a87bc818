"""Shared fixtures: the shipped library, a small real fit, and a spec folder to break."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "priors"
BROKEN = Path(__file__).resolve().parent / "broken"


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
def small_run():
    """A small but real fit of seed-cotrain with the shipped evidence (seconds, not minutes)."""
    import probmodel as pmod

    return pmod.fit(
        "seed-cotrain", draws=200, tune=300, chains=2, prior_draws=500, priors_dir=SHIPPED
    )


@pytest.fixture(scope="session")
def prior_run(library):
    """A Run whose "posterior" is 1,000 prior draws of seed-cotrain (no MCMC): enough to test
    what is computed from draws (sweeps, sensitivity, decisions) in seconds."""
    import pymc as pm
    import xarray as xr

    from probmodel.fit import Run, SamplerSettings, run_meta
    from probmodel.model import build_model

    scenario = library.scenario("seed-cotrain")
    model = build_model(scenario)
    prior = pm.sample_prior_predictive(draws=1000, model=model, random_seed=11)["prior"]
    tree = xr.DataTree.from_dict({"posterior": prior.to_dataset()})
    return Run(tree=tree, meta=run_meta(scenario, [], SamplerSettings()))
