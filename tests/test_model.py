"""Model structure, checked without MCMC: variables, dims, prior draws, gradient, one set of equations."""

from __future__ import annotations

import numpy as np
import pytest

from probmodel.equations import COST_COMPONENTS, OUTCOMES, WORLD_PARAMETERS
from probmodel.evaluate import draws_outcomes, point_table
from probmodel.model import build_model


@pytest.fixture(scope="module")
def cotrain(library):
    return library.scenario("seed-cotrain")


@pytest.fixture(scope="module")
def model(cotrain, library):
    from probmodel.specs.library import evidence_for

    return build_model(cotrain, evidence_for(cotrain, library.evidence()))


def test_free_variables_are_world_parameters_and_study_latents(model):
    free = {v.name for v in model.free_RVs}
    assert set(WORLD_PARAMETERS) <= free
    latents = free - set(WORLD_PARAMETERS)
    assert {"data_exponent_new_z", "diversity_exponent_new_z"} <= latents
    assert {"study_exponent_z", "study_transfer_z", "curve_log_hazard", "curve_log_precision"} <= latents
    assert {"effect_base_success"} <= latents


def test_study_latents_are_shared_by_the_records_of_one_study(model, library):
    """One study exponent per (study, axis), one transfer per (study, pathway): Lin et al.'s
    Pour Water environment table and demonstration curve share the study's data exponent."""
    records = library.evidence()
    labels = list(model.coords["study_axis"])
    assert len(labels) == len(set(labels))
    expected = {f"{r.study_key}:{a}" for r in records if r.kind == "curve" for a in r.axes}
    expected |= {f"{r.study_key}:data" for r in records if r.kind == "effect"}
    assert set(labels) == expected
    assert "lin-pour-water:data" in labels and "lin-pour-water:diversity" in labels
    assert model.named_vars_to_dims["study_exponent"] == ("study_axis",)
    pathways = {f"{r.study_key}:{p}" for r in records if r.kind == "effect" for p in r.pathways}
    assert set(model.coords["study_pathway"]) == pathways


def test_outcomes_are_deterministics_with_cost_breakdown_dims(model):
    names = {v.name for v in model.deterministics}
    for outcome in ("cost_total_usd", "years", "robot_years", "robots_needed", "tokens_needed",
                    "tokens_per_robot_year", "cost"):  # fmt: skip
        assert outcome in names
    assert model.named_vars_to_dims["cost"] == ("cost_component",)
    assert list(model.coords["cost_component"]) == list(COST_COMPONENTS)


def test_every_evidence_record_has_entries_in_an_observed_variable(model, library):
    from probmodel.model import EVIDENCE_VARS, record_of

    owners = set()
    for name, dim in EVIDENCE_VARS.items():
        if name in model.named_vars:
            assert model.named_vars_to_dims[name] == (dim,)
            owners |= {record_of(label) for label in model.coords[dim]}
    scenario = library.scenario("seed-cotrain")
    from probmodel.model import records_for_plan

    assert owners == {r.id for r in records_for_plan(scenario, library.evidence())}


def test_fixed_parameter_becomes_data_not_a_random_variable(library):
    levine = build_model(library.scenario("levine-mcdonalds"))
    assert "operating_days_per_year" not in {v.name for v in levine.free_RVs}
    assert "operating_days_per_year" in levine.named_vars


def test_logp_and_gradient_are_finite_at_the_initial_point(model):
    # As NUTS evaluates them: one numba compile of both, as fits compile (and cache) it (the
    # tests' default mode, Python thunks, cannot evaluate the gradient's 32+-operand sums).
    from probmodel.compiling import compile_nuts

    point = model.initial_point()
    x = np.concatenate([np.ravel(point[model.rvs_to_values[rv].name]) for rv in model.free_RVs])
    logp, grad = compile_nuts(model).logp_func(x)
    assert np.isfinite(logp)
    assert np.all(np.isfinite(grad)) and grad.size == x.size > len(WORLD_PARAMETERS)


def test_prior_draws_are_finite_and_positive(model):
    import pymc as pm

    prior = pm.sample_prior_predictive(draws=300, model=model, random_seed=1)["prior"]
    for name in ("cost_total_usd", "years", "robot_years", "tokens_needed"):
        values = prior[name].values
        assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert prior["cost"].dims == ("chain", "draw", "cost_component")


def test_model_deterministics_equal_numpy_equations_on_the_same_draws(model, cotrain):
    """The PyMC model and the NumPy path are the same equations: compare on prior draws."""
    import pymc as pm

    prior = pm.sample_prior_predictive(draws=200, model=model, random_seed=2)["prior"].to_dataset()
    again = draws_outcomes(prior, cotrain.plan)
    names = [n for n in OUTCOMES if n in prior]
    assert {"success_rate", "effective_hours", "coverage", "cost_net_usd"} <= set(names)
    for name in names:
        np.testing.assert_allclose(again[name].values, prior[name].values, rtol=1e-10)
    np.testing.assert_allclose(again["cost"].values, prior["cost"].values, rtol=1e-10)


def test_model_at_point_values_reproduces_point_mode(cotrain):
    """Evaluate the PyMC graph with every parameter at its point value: the seed table again."""
    model = build_model(cotrain)
    names = ["cost_total_usd", "years", "robot_years"]
    fn = model.compile_fn(
        [model[n] for n in names], inputs=model.free_RVs, on_unused_input="ignore"
    )
    point = {
        v.name: cotrain.priors[v.name].point for v in model.free_RVs if v.name in WORLD_PARAMETERS
    }
    values = fn({v.name: point.get(v.name, 0.0) for v in model.free_RVs})  # latents: 0
    expected = point_table(cotrain)
    for name, value in zip(names, values, strict=True):
        assert float(value) == pytest.approx(expected[name], rel=1e-12)
