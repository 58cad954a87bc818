"""probmodel.densities: a fit's log prior, log likelihood and evidence draws in NumPy, against
PyMC's own on the same draws (no MCMC: joint prior draws stand in for the posterior), for the
shipped evidence plus constructed records that reach every observed variable, family and option
(counts with and without widening, scores with trials and with a latent precision, bounds both
ways, two-variable curves, effects as counts, as scores and as a relative change)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import SHIPPED, record

from probmodel import densities, forward, log_densities
from probmodel.evidence import EVIDENCE_VARS, Score, for_fleet
from probmodel.specs.priors import PriorSpec

CONSTRUCTED = {
    "curve-counts": """kind = "curve"
axis = "data"
x = [10, 40, 160]
successes = [3, 9, 15]
trials = 20
confidence = "derived"
""",
    "curve-two-axes": """kind = "curve"
axis = "diversity"
x = [2, 4, 8, 16]
data = [100, 50, 25, 100]
score = [0.2, 0.35, 0.4, 0.7]
trials = 30
confidence = "primary"
""",
    "effect-scores": """kind = "effect"
unit = "hours"
base = { real = 50 }
treatment = { real = 50, video = 400 }
base_successes = 12
base_trials = 40
treatment_successes = 18
treatment_trials = 40
confidence = "secondary"
""",
    "bound-above": """kind = "measurement"
quantity = "sim_transfer"
value = 0.9
sd = 0.05
bound = "upper"
confidence = "primary"
""",
}
Z = 5.0
"""Tolerance of the draw checks in standard errors of a two-sample difference: the checks below
(246: the evidence's mean per observed entry given the same parameter draws, 78, and from a
fit's prior predictive, 78; the latents' prior mean and variance per element, 90) each fail a
correct implementation with probability at most 5.7e-7 at 5 SE (normal approximation, 4,000
draws a side; conservative where both sides share the parameter draws): at most 1.4e-4 per run
(Bonferroni), and the seeds are fixed, so a run repeats exactly."""


def _record(record_id: str, text: str):
    rec = record(text, record_id)
    if record_id == "effect-scores":  # arms as scores with trials: no file key gives them yet
        rec = replace(rec, arms=tuple(Score(s.value, s.trials) for s in rec.arms))
    return rec


@pytest.fixture(scope="module")
def model_and_draws():
    """seed-cotrain with the shipped and constructed evidence, and 4,000 joint prior draws of
    its free variables."""
    import pymc as pm

    import probmodel.api as api
    from probmodel.model import build_model
    from probmodel.sampling import FORWARD_COMPILE

    scenario = api.load_scenario("seed-cotrain", priors_dir=SHIPPED)
    records = api.load_evidence(scenario, SHIPPED) + [
        _record(k, v) for k, v in CONSTRUCTED.items()
    ]
    records = for_fleet(records, scenario.plan.robot_class)
    model = build_model(scenario, records)
    free = [rv.name for rv in model.free_RVs]
    prior = pm.sample_prior_predictive(
        draws=4000, model=model, var_names=free, random_seed=21, compile_kwargs=FORWARD_COMPILE
    )["prior"]
    values = {name: prior[name].values[0] for name in free}
    return scenario, records, model, values


def test_the_records_reach_every_observed_variable_and_family(model_and_draws):
    scenario, records, model, values = model_and_draws
    terms = densities.evidence(scenario, records, values)
    assert {o.name for o in terms} == set(EVIDENCE_VARS)
    assert {o.family for o in terms} == {"normal", "censored_normal", "beta", "beta_binomial"}
    assert [o.name for o in terms] == [rv.name for rv in model.observed_RVs]
    for o in terms:  # the same entries, in the same order, as the model's coordinates
        assert list(o.labels) == list(model.coords[model.named_vars_to_dims[o.name][0]])


@pytest.mark.parametrize("kind", ["log_prior", "log_likelihood"])
def test_log_densities_equal_pymcs_on_the_same_draws(model_and_draws, kind):
    """Every element to 1e-7 relative (PyMC's graph rewrites reorder a few operations: the
    largest difference measured is 1.4e-8 relative, in a Normal's log density)."""
    scenario, records, model, values = model_and_draws
    if kind == "log_prior":
        ours = densities.log_prior(scenario, records, values)
        theirs = forward.log_prior_arrays(model, values)
    else:
        ours = densities.log_likelihood(densities.evidence(scenario, records, values))
        theirs = forward.log_likelihood_arrays(model, values)
    assert list(ours) == list(theirs)
    for name, expected in theirs.items():
        assert ours[name].shape == expected.shape, name
        assert np.isfinite(expected).all(), name
        np.testing.assert_allclose(ours[name], expected, rtol=1e-7, atol=1e-9, err_msg=name)


def test_evidence_draws_match_pymcs_in_distribution(model_and_draws):
    """Draws given the same 4,000 parameter draws: every entry's mean within Z standard errors
    of PyMC's; integer counts stay integers within their trials; a fit's prior predictive
    (:func:`probmodel.sampling.prior_tree`) matches PyMC's prior predictive too."""
    scenario, records, model, values = model_and_draws
    terms = densities.evidence(scenario, records, values)
    ours = densities.predictive(terms, seed=5)
    theirs = forward.predictive_arrays(model, values, seed=6)
    checked = 0
    for o in terms:
        a, b = ours[o.name], theirs[o.name]
        assert a.shape == b.shape and a.dtype == b.dtype, o.name
        se = np.sqrt((a.var(0) + b.var(0)) / len(a))
        z = (a.mean(0) - b.mean(0)) / np.where(se > 0, se, 1.0)
        assert np.all(np.abs(z) < Z), f"{o.name}: |z| up to {np.max(np.abs(z)):.1f}"
        checked += z.size
        if o.family == "beta_binomial":
            assert (a >= 0).all() and (a <= o.params["n"]).all()
    assert checked == 78  # the Bonferroni count in Z's docstring
    again = densities.predictive(densities.evidence(scenario, records, values), seed=5)
    for name, a in ours.items():
        np.testing.assert_array_equal(again[name], a)
    # A fit's prior predictive (NumPy world draws, then the latents and the evidence) against
    # PyMC's: the evidence drawn above from PyMC's joint prior draws.
    from probmodel.sampling import prior_tree

    tree = prior_tree(model, scenario, records, 4000, seed=7)["prior_predictive"].to_dataset()
    for o in terms:
        a, b = tree[o.name].values.reshape(4000, -1), theirs[o.name]
        z = (a.mean(0) - b.mean(0)) / np.sqrt((a.var(0) + b.var(0)) / 4000)
        assert np.all(np.abs(z) < Z), f"prior predictive {o.name}: |z| up to {np.max(np.abs(z)):.1f}"
        checked += z.size
    assert checked == 2 * 78  # the Bonferroni count in Z's docstring


def test_prior_draws_of_the_latents_match_pymcs(model_and_draws):
    """:func:`densities.prior_draws` given the world's draws (as a fit's prior predictive
    draws): every other free variable's mean and variance within Z standard errors of PyMC's
    joint prior draws; the given draws are not drawn again."""
    scenario, records, model, values = model_and_draws
    world = {k: v for k, v in values.items() if k in scenario.priors}
    ours = densities.prior_draws(scenario, records, 4000, seed=8, given=world)
    assert set(ours) == {rv.name for rv in model.free_RVs} - set(world)
    checked = 0
    for name, a in ours.items():
        a, b = a.reshape(4000, -1), values[name].reshape(4000, -1)
        mean_z = (a.mean(0) - b.mean(0)) / np.sqrt((a.var(0) + b.var(0)) / 4000)
        # The variance's standard error from the fourth central moment of each side.
        m4 = [((x - x.mean(0)) ** 4).mean(0) for x in (a, b)]
        var_se = np.sqrt(sum((m - x.var(0) ** 2) / 4000 for m, x in zip(m4, (a, b), strict=True)))
        var_z = (a.var(0) - b.var(0)) / var_se
        for z in (mean_z, var_z):
            assert np.all(np.abs(z) < Z), f"{name}: |z| up to {np.max(np.abs(z)):.1f}"
            checked += z.size
    assert checked == 90  # in the Bonferroni count of Z's docstring


@pytest.mark.parametrize(
    "family, params",
    [
        ("Normal", {"mu": 1.0, "sigma": 2.0}),
        ("LogNormal", {"mu": -1.0, "sigma": 0.7}),
        ("HalfNormal", {"sigma": 0.3}),
        ("Beta", {"alpha": 2.5, "beta": 0.8}),
        ("Gamma", {"alpha": 3.0, "beta": 0.5}),
        ("Uniform", {"lower": -1.0, "upper": 4.0}),
        ("TruncatedNormal", {"mu": 0.0, "sigma": 1.0, "lower": 0.5, "upper": 3.0}),
        ("TruncatedNormal", {"mu": 0.0, "sigma": 1.0, "lower": 6.0, "upper": 9.0}),
        ("TruncatedNormal", {"mu": 2.0, "sigma": 0.5, "lower": 0.0, "upper": np.inf}),
    ],
)
def test_prior_log_densities_equal_prelizs(family, params):
    """:meth:`PriorSpec.log_density` (:mod:`probmodel.log_densities`) against PreliZ's
    ``logpdf``, inside the support and out (a truncation 6 sd into a tail included)."""
    import preliz as pz

    spec = PriorSpec(name="x", distribution=family, params=params, point=0.0, method="params",
                     unit="", source="", reason="")
    lo, hi = spec.support
    inside = np.array(spec.quantiles([0.001, 0.1, 0.5, 0.9, 0.999]))
    expected = np.asarray(getattr(pz, family)(**params).logpdf(inside), dtype=float)
    np.testing.assert_allclose(spec.log_density(inside), expected, rtol=1e-9)
    if np.isfinite(lo):
        assert spec.log_density(lo - 1.0) == -np.inf


def test_censored_values_at_a_bound_carry_the_mass_beyond_it():
    from scipy import stats

    x = np.array([2.0, 2.0, 1.0])
    out = log_densities.censored_normal(
        x, mu=1.5, sigma=0.5, lower=np.array([2.0, -np.inf, 0.0]),
        upper=np.array([np.inf, 2.0, 3.0]),
    )  # fmt: skip
    np.testing.assert_allclose(out, [stats.norm.logcdf(1.0), stats.norm.logsf(1.0),
                                     stats.norm.logpdf(1.0, 1.5, 0.5)], rtol=1e-12)  # fmt: skip
