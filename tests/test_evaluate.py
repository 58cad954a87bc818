"""Forward Monte Carlo in NumPy (``prior_draws``, ``prior_outcomes``): the PyMC model's prior,
without compiling a graph."""

from __future__ import annotations

import numpy as np
import pytest

from probmodel.equations import NEW_DEPLOYMENT, WORLD_PARAMETERS, outcomes
from probmodel.evaluate import prior_draws, prior_outcomes

N_PYMC = 4000
N_OURS = 200_000
Z = 4.0
"""Tolerance in Monte Carlo standard errors. About 30 checks below, each failing by chance with
probability 6e-5 at 4 SE: a correct implementation fails the test about 0.2% of the time."""
PARAMETERS = ["operating_days_per_year", "sim_transfer", "data_exponent_sd", "unit_cost_usd"]
"""One parameter of each family the shipped priors use: TruncatedNormal, Beta, HalfNormal,
LogNormal."""
OUTCOMES = ["data_exponent_new", "cost_total_usd", "years", "success_rate"]


@pytest.fixture(scope="module")
def cotrain(library):
    return library.scenario("seed-cotrain")


@pytest.fixture(scope="module")
def pymc_prior(cotrain):
    import pymc as pm

    from probmodel.model import build_model
    from probmodel.sampling import FORWARD_COMPILE

    prior = pm.sample_prior_predictive(
        draws=N_PYMC, model=build_model(cotrain), random_seed=5, compile_kwargs=FORWARD_COMPILE
    )["prior"]
    return {name: prior[name].values.ravel() for name in PARAMETERS + OUTCOMES}


@pytest.fixture(scope="module")
def ours(cotrain):
    return {**prior_draws(cotrain, N_OURS, seed=6), **prior_outcomes(cotrain, N_OURS, seed=6)}


@pytest.mark.parametrize("name", PARAMETERS + OUTCOMES)
def test_quantiles_agree_with_pymc_prior_predictive(name, ours, pymc_prior):
    """At our P10, P50 and P90, PyMC's empirical CDF is 0.1, 0.5 and 0.9 within Monte Carlo error.

    On the probability scale the standard error needs no density estimate: the CDF at a fixed
    point has variance p(1-p)/n in each sample, and the two samples are independent."""
    for p in (0.1, 0.5, 0.9):
        q = np.quantile(ours[name], p)
        got = np.mean(pymc_prior[name] <= q)
        se = np.sqrt(p * (1 - p) * (1 / N_PYMC + 1 / N_OURS))
        assert abs(got - p) < Z * se, f"{name}: PyMC CDF at our P{100 * p:.0f} is {got:.3f}"


@pytest.mark.parametrize("name", ["operating_days_per_year", "sim_transfer", "data_exponent_sd"])
def test_means_agree_with_pymc_prior_predictive(name, ours, pymc_prior):
    """Means of light-tailed parameters agree within Monte Carlo error of the difference."""
    a, b = ours[name], pymc_prior[name]
    se = np.sqrt(a.var() / a.size + b.var() / b.size)
    assert abs(a.mean() - b.mean()) < Z * se


def test_prior_draws_are_reproducible_under_a_seed_and_fixed_values_stay_fixed(library):
    levine = library.scenario("levine-mcdonalds")  # operating_days_per_year is Fixed here
    first, again, other = (prior_draws(levine, 1000, seed=s) for s in (1, 1, 2))
    assert set(first) == set(WORLD_PARAMETERS) | set(NEW_DEPLOYMENT)
    for name in first:
        assert first[name].shape == (1000,)
        np.testing.assert_array_equal(first[name], again[name])
    assert not np.allclose(first["unit_cost_usd"], other["unit_cost_usd"])
    fixed = levine.priors["operating_days_per_year"].point
    assert np.all(first["operating_days_per_year"] == fixed)
    out = prior_outcomes(levine, 1000, seed=1)
    expected = outcomes(first, levine.plan)
    for name in ("cost_total_usd", "years", "success_rate", "fleet_size"):
        np.testing.assert_array_equal(out[name], np.broadcast_to(expected[name], (1000,)))


def test_draws_do_not_depend_on_the_thread_count(library, monkeypatch):
    """Every chunk has its own generator spawned from the seed, so one thread and two give the
    same arrays (six chunks here, the last one short)."""
    import probmodel.evaluate as evaluate

    monkeypatch.setattr(evaluate, "PRIOR_CHUNK", 1000)
    cotrain = library.scenario("seed-cotrain")
    for make in (prior_draws, prior_outcomes):
        one, two = (make(cotrain, 5500, seed=4, threads=t) for t in (1, 2))
        assert set(one) == set(two)
        for name in one:
            assert one[name].shape == (5500,)
            np.testing.assert_array_equal(one[name], two[name], err_msg=name)
    with pytest.raises(Exception, match="threads = 0"):
        prior_draws(cotrain, 10, threads=0)
