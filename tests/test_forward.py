"""probmodel.forward: log densities and predictive draws of all draws at once, against PyMC's
per-draw functions on the same draws (seed-cotrain with the shipped evidence; no MCMC: prior
draws stand in for the posterior)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import xarray as xr
from conftest import SHIPPED, as_chains

from probmodel import forward

Z = 5.0
"""Tolerance of the distribution checks in standard errors of a two-sample difference. Below,
210 such checks (136 posterior-predictive means, 74 prior moments), each failing a correct
implementation with probability 5.7e-7 at 5 SE (normal approximation, 2,000-4,000 draws a side):
together at most 1.2e-4 per run (Bonferroni), and the seeds are fixed, so a run repeats
exactly."""
GROUP = 2000
"""Rows per parameter point in the posterior-predictive check (two points, interleaved)."""


@pytest.fixture(scope="module")
def cotrain():
    import probmodel.api as api
    from probmodel.evidence import for_fleet
    from probmodel.model import build_model

    scenario = api.load_scenario("seed-cotrain", priors_dir=SHIPPED)
    evidence = for_fleet(api.load_evidence(scenario, SHIPPED), scenario.plan.robot_class)
    return scenario, evidence, build_model(scenario, evidence)


@pytest.fixture(scope="module")
def draws(cotrain):
    """1,000 joint prior draws of the model's free variables, laid out as 2 chains x 500."""
    import pymc as pm

    from probmodel.sampling import FORWARD_COMPILE

    model = cotrain[2]
    free = [rv.name for rv in model.free_RVs]
    prior = pm.sample_prior_predictive(
        draws=1000, model=model, var_names=free, random_seed=11, compile_kwargs=FORWARD_COMPILE
    )["prior"].to_dataset()
    return as_chains(prior[free], 2)


def _pymc_tree(ds):
    return xr.DataTree.from_dict({"posterior": ds})


def _same_layout(ours: xr.Dataset, theirs: xr.Dataset) -> None:
    """Same variables, dims, coordinates and dtypes."""
    assert set(ours.data_vars) == set(theirs.data_vars)
    for name, da in theirs.data_vars.items():
        assert ours[name].dims == da.dims, name
        assert ours[name].dtype == da.dtype, name
    assert set(ours.coords) == set(theirs.coords)
    for name, c in theirs.coords.items():
        np.testing.assert_array_equal(ours[name].values, c.values)


@pytest.mark.parametrize("kind", ["log_prior", "log_likelihood"])
def test_log_densities_equal_pymc_on_the_same_draws(cotrain, draws, kind):
    """Elementwise, to rtol 1e-9, with PyMC's function compiled in the same PyTensor mode (PyMC's
    default numba backend computes the beta-binomial's special functions differently: up to 5e-9
    relative apart, measured)."""
    import pymc as pm

    model = cotrain[2]
    pymc_fn = pm.stats.compute_log_prior if kind == "log_prior" else pm.compute_log_likelihood
    theirs = pymc_fn(
        _pymc_tree(draws), model=model, extend_inferencedata=False, progressbar=False,
        compile_kwargs={"mode": forward.FORWARD_MODE},
    )  # fmt: skip
    ours = getattr(forward, kind)(model, draws)
    _same_layout(ours, theirs)
    for name in theirs.data_vars:
        assert np.isfinite(theirs[name].values).all(), name
        np.testing.assert_allclose(ours[name].values, theirs[name].values, rtol=1e-9, err_msg=name)


def test_deterministics_equal_pymc(cotrain, draws):
    import pymc as pm

    model = cotrain[2]
    names = ["study_exponent", "study_transfer", "study_level", "sim_transfer_new"]
    theirs = pm.compute_deterministics(draws, var_names=names, model=model, progressbar=False)
    ours = forward.deterministics(model, draws, names)
    for name in names:
        assert ours[name].dims == theirs[name].dims
        np.testing.assert_allclose(ours[name].values, theirs[name].values, rtol=1e-12)
    with pytest.raises(ValueError, match="lack"):
        forward.deterministics(model, draws.drop_vars("study_exponent_z"), ["study_exponent"])


def _z(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-sample z of the difference of means along axis 0; 0 where neither sample varies and
    the means agree, inf where they do not."""
    diff = a.mean(0) - b.mean(0)
    se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, diff / se, np.where(diff == 0, 0.0, np.inf))


def _z_var(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-sample z of the difference of variances (delta method: var(s2) ~ (m4 - s4) / n)."""

    def moments(x):
        c = x - x.mean(0)
        s2 = (c**2).mean(0)
        return s2, ((c**4).mean(0) - s2**2) / len(x)

    (sa, va), (sb, vb) = moments(a), moments(b)
    return (sa - sb) / np.sqrt(va + vb)


def test_posterior_predictive_follows_each_draws_likelihood(cotrain, draws):
    """Rows alternate between two parameter draws A and B: per observed element, the mean of
    our A rows (B rows) matches PyMC's posterior predictive at the same rows within Z standard
    errors, so each row is drawn from its own row's likelihood."""
    import pymc as pm

    model = cotrain[2]
    flat = draws.stack(sample=("chain", "draw")).transpose("sample", ...)
    point = flat.isel(sample=np.tile([0, 1], GROUP))
    rows = point.drop_vars(["sample", "chain", "draw"]).rename(sample="draw").expand_dims("chain")
    rows = rows.assign_coords(chain=[0], draw=np.arange(2 * GROUP))
    ours = forward.predictive(model, rows, seed=1)
    theirs = pm.sample_posterior_predictive(
        _pymc_tree(rows), model=model, random_seed=2, progressbar=False,
        compile_kwargs={"mode": "FAST_COMPILE"},
    )["posterior_predictive"].to_dataset()  # fmt: skip
    _same_layout(ours, theirs)
    checked = 0
    for name in theirs.data_vars:
        a, b = ours[name].values[0], theirs[name].values[0]
        for start in (0, 1):  # the A rows, then the B rows
            z = _z(a[start::2].astype(float), b[start::2].astype(float))
            assert np.all(np.abs(z) < Z), f"{name}: |z| up to {np.max(np.abs(z)):.1f}"
            checked += z.size
        continuous = a.dtype.kind == "f"
        if continuous:  # independent draws per row, not one draw repeated
            assert np.all(np.ptp(a[0::2], axis=0) > 0), name
    assert checked == 136  # the Bonferroni count in Z's docstring


def test_predictive_draws_are_seeded(cotrain, draws):
    model = cotrain[2]
    one, again = (forward.predictive(model, draws, seed=5) for _ in range(2))
    other = forward.predictive(model, draws, seed=6)
    for name in one.data_vars:
        np.testing.assert_array_equal(one[name].values, again[name].values)
        assert not np.array_equal(one[name].values, other[name].values), name


def test_prior_predictive_draws_the_free_variables_not_given(cotrain):
    """Given NumPy prior draws of the world parameters, the study latents, curve and effect
    latents and new-deployment draws are drawn from their priors: they vary by row, and their
    means and variances match PyMC's prior draws within Z standard errors."""
    import pymc as pm

    from probmodel.evaluate import prior_draws
    from probmodel.sampling import FORWARD_COMPILE

    scenario, _, model = cotrain
    free = [rv.name for rv in model.free_RVs]
    world = {k: v for k, v in prior_draws(scenario, 4000, seed=3).items() if k in free}
    drawn = [n for n in free if n not in world]
    assert {"study_exponent_z", "curve_log_hazard", "effect_base_success"} <= set(drawn)
    observed = [rv.name for rv in model.observed_RVs]
    ours = forward.predictive_arrays(model, world, seed=4, var_names=drawn + observed)
    again = forward.predictive_arrays(model, world, seed=4, var_names=drawn + observed)
    theirs = pm.sample_prior_predictive(
        draws=4000, model=model, var_names=drawn, random_seed=5, compile_kwargs=FORWARD_COMPILE
    )["prior"]
    checked = 0
    for name in drawn:
        a = ours[name].reshape(4000, -1)
        b = theirs[name].values.reshape(4000, -1)
        np.testing.assert_array_equal(ours[name], again[name])
        assert np.all(np.ptp(a, axis=0) > 0), f"{name} is the same in every draw"
        for z in (_z(a, b), _z_var(a, b)):
            assert np.all(np.abs(z) < Z), f"{name}: |z| up to {np.max(np.abs(z)):.1f}"
            checked += z.size
    assert checked == 74  # the Bonferroni count in Z's docstring
    for name in observed:
        assert ours[name].shape[0] == 4000 and np.isfinite(ours[name]).all(), name


def test_a_second_call_on_the_same_model_compiles_nothing(cotrain, draws):
    from probmodel.model import build_model

    scenario, evidence, model = cotrain
    calls = [
        lambda m: forward.log_prior(m, draws),
        lambda m: forward.log_likelihood(m, draws),
        lambda m: forward.predictive(m, draws, seed=1),
        lambda m: forward.predictive(m, draws[["sim_transfer"]], seed=1),
    ]
    for call in calls:
        call(model)
    before = forward.compiled_count()
    for call in calls:
        call(model)
    assert forward.compiled_count() == before
    fresh = build_model(scenario, evidence)  # another model object: its own functions
    forward.log_prior(fresh, draws)
    assert forward.compiled_count() == before + 1
    gone = weakref.ref(fresh)
    del fresh
    gc.collect()
    assert gone() is None  # the cache does not keep a model alive; its entry went with it
    assert model in forward._CACHE


def test_bad_draws_are_refused_naming_the_variable(cotrain, draws):
    model = cotrain[2]
    values = {n: draws[n].values.reshape(1000, *draws[n].shape[2:]) for n in draws.data_vars}
    with pytest.raises(ValueError, match="sim_transfer"):
        forward.log_prior_arrays(model, {k: v for k, v in values.items() if k != "sim_transfer"})
    with pytest.raises(ValueError, match="disagree"):
        forward.log_prior_arrays(model, {**values, "sim_transfer": values["sim_transfer"][:10]})
    with pytest.raises(ValueError, match="not observed random variables.*sim_transfer"):
        forward.log_likelihood_arrays(model, values, var_names=["sim_transfer"])
    with pytest.raises(ValueError, match="given: sim_transfer"):
        forward.predictive_arrays(model, values, seed=1, var_names=["sim_transfer"])
    with pytest.raises(ValueError, match="number of draws"):
        forward.predictive_arrays(model, {}, seed=1)
