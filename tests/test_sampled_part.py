"""NUTS samples only what the evidence reaches (:func:`probmodel.sampling.sampled_model`); the
other free variables are drawn from their priors given those draws
(:func:`probmodel.sampling.join_unsampled`).

The structural checks need no MCMC. One real comparison fits a small evidence set both ways (the
split, as every fit runs, and NUTS on the whole model) and checks that every free variable has
the same posterior mean and standard deviation within Monte Carlo error.

False failures: both fits are seeded (bitwise the same draws every run on a machine). On a
machine that draws other chains the bands are ``Z`` Monte Carlo standard errors (ArviZ's MCSE of
the mean and of the sd, both fits' combined), Bonferroni over every check for a 0.1% chance per
run that any fails by Monte Carlo error alone.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from probmodel import api
from probmodel.evidence import for_fleet
from probmodel.forward import log_likelihood_arrays, log_prior_arrays, predictive_arrays
from probmodel.model import build_model
from probmodel.sampling import SamplerSettings, fit, join_unsampled, sampled_model

SCENARIO = "seed-cotrain"
RECORDS = ("humanoid-list-prices", "gr00t-synthetic-cotraining-effect")
"""A list-price measurement (unit cost) and a co-training effect (simulation transfer with its
study latents): enough structure to split, small enough to compile in seconds."""


def _model(records=None):
    scenario = api.load_scenario(SCENARIO)
    evidence = api.load_evidence(scenario)
    if records is not None:
        evidence = [r for r in evidence if r.id in records]
        assert {r.id for r in evidence} == set(records)
    evidence = for_fleet(evidence, scenario.plan.robot_class)
    return scenario, evidence, build_model(scenario, evidence)


def test_the_sampled_part_is_what_the_evidence_reaches_with_the_same_log_density():
    from pytensor.graph.traversal import ancestors

    _, _, model = _model(RECORDS)
    sampled = sampled_model(model)
    reached = set(ancestors(model.observed_RVs))
    expected = [rv.name for rv in model.free_RVs if rv in reached]
    assert sorted(rv.name for rv in sampled.free_RVs) == sorted(expected)
    left = {rv.name for rv in model.free_RVs} - set(expected)
    assert {"maintenance_share", "site_usd", "sim_transfer_new_z"} <= left  # no record reaches
    assert "unit_cost_usd" in expected and "sim_transfer" in expected  # records measure these
    assert sorted(rv.name for rv in sampled.observed_RVs) == sorted(rv.name for rv in model.observed_RVs)

    # The sampled model's log density is the whole model's, less the left-out priors: the same
    # term for every sampled variable and every observation, at two prior draws.
    free = [rv.name for rv in model.free_RVs]
    values = predictive_arrays(model, {}, 3, var_names=free, draws=2)
    kept = {n: values[n] for n in expected}
    for whole, part in (
        (log_prior_arrays(model, values, expected), log_prior_arrays(sampled, kept)),
        (log_likelihood_arrays(model, values), log_likelihood_arrays(sampled, kept)),
    ):
        assert sorted(whole) == sorted(part)
        for name in whole:
            np.testing.assert_allclose(part[name], whole[name], rtol=1e-12, err_msg=name)


def test_a_model_without_evidence_is_sampled_whole():
    scenario = api.load_scenario(SCENARIO)
    model = build_model(scenario, [])
    assert sampled_model(model) is model


def test_joining_draws_every_left_out_variable_from_its_prior_given_the_draws():
    import xarray as xr

    scenario, evidence, model = _model(RECORDS)
    sampled = sampled_model(model)
    names = [rv.name for rv in sampled.free_RVs]
    # One prior draw of the sampled variables, held fixed over 2 x 3,000 draws.
    one = predictive_arrays(model, {}, 1, var_names=names, draws=1)
    draws = xr.Dataset(
        {
            n: (
                ("chain", "draw", *model.named_vars_to_dims.get(n, ())),
                np.broadcast_to(v[0], (2, 3000, *v.shape[1:])),
            )
            for n, v in one.items()
        }
    )
    joined = join_unsampled(draws, model, scenario, evidence, 5)
    assert list(joined.data_vars) == [rv.name for rv in model.free_RVs]
    again = join_unsampled(draws, model, scenario, evidence, 5)
    xr.testing.assert_identical(joined, again)  # seeded
    # maintenance_share is left out; its draws follow its prior (a Beta with this mean).
    share = joined["maintenance_share"].values.ravel()
    assert share.std() > 0
    z = NormalDist().inv_cdf(1 - 0.0005)
    prior = api.load_scenario(SCENARIO).priors["maintenance_share"]
    mean = float(prior.to_preliz().mean())
    assert abs(share.mean() - mean) < z * share.std() / np.sqrt(share.size)


@pytest.mark.fit
def test_the_joined_posterior_is_the_posterior_of_nuts_on_the_whole_model():
    import arviz as az
    import nutpie

    scenario, evidence, model = _model(RECORDS)
    settings = SamplerSettings(draws=1000, tune=1000, chains=4, prior_draws=100, seed=11)
    split = fit(scenario, evidence, settings).tree["posterior"].to_dataset()
    names = [rv.name for rv in model.free_RVs]
    compiled = nutpie.compile_pymc_model(model, var_names=names)
    whole = nutpie.sample(
        compiled, draws=1000, tune=1000, chains=4, seed=12, target_accept=0.98,
        progress_bar=False,
    )["posterior"].to_dataset()  # fmt: skip
    checks = sum(int(np.prod(split[n].shape[2:])) for n in names) * 2
    z = NormalDist().inv_cdf(1 - 0.001 / (2 * checks))
    failures = []
    for stat, method in ((np.mean, "mean"), (np.std, "sd")):
        se = np.sqrt(
            az.mcse(split[names], method=method) ** 2 + az.mcse(whole[names], method=method) ** 2
        )
        for n in names:
            a = stat(split[n].values, axis=(0, 1))
            b = stat(whole[n].values, axis=(0, 1))
            bad = np.abs(a - b) > z * se[n].values
            if np.any(bad):
                failures.append((n, method, a, b, se[n].values))
    assert not failures, failures
    # and the left-out variables did leave NUTS: fewer dimensions than the whole model
    assert len(sampled_model(model).free_RVs) < len(names)


DRAWS_OF_A_FIT = """
import hashlib, sys
import numpy as np
from probmodel import api
from probmodel.sampling import SamplerSettings, fit
scenario = api.load_scenario("seed-cotrain")
records = [r for r in api.load_evidence(scenario) if r.id in sys.argv[1:]]
run = fit(scenario, records, SamplerSettings(draws=50, tune=50, chains=2, prior_draws=10, seed=4))
post = run.tree["posterior"].to_dataset()
print(hashlib.sha256(b"".join(np.ascontiguousarray(post[n].values).tobytes()
                              for n in sorted(post.data_vars))).hexdigest())
"""


@pytest.mark.fit
def test_a_seed_draws_the_same_chains_whether_the_compile_caches_are_cold_or_warm(tmp_path):
    """With numba's ``fastmath`` (PyTensor's default) a fit compiled with empty caches drew
    other chains than one compiled with warm caches; :data:`probmodel.compiling.NUMBA_FASTMATH`
    turns it off. Two processes with the same fresh cache folders: the first compiles everything
    (cold), the second loads numba's and PyTensor's caches (warm). Deterministic: no band."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}",
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
    }
    hashes = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", DRAWS_OF_A_FIT, *RECORDS],
            env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        hashes.append(done.stdout.strip().splitlines()[-1])
    assert any((tmp_path / "pytensor").rglob("*.nbc"))  # numba pieces cached: the second was warm
    assert any((tmp_path / "pytensor").rglob("*logp_numba*.nbc"))  # nutpie's C wrapper too
    assert hashes[0] == hashes[1]
