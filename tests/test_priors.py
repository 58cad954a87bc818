"""Priors as data: intervals become distributions by the method the file records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from probmodel.equations import WORLD_PARAMETERS
from probmodel.errors import ProblemCollector
from probmodel.specs.priors import merge_override, parse_prior

BASE = {"unit": "Hz", "point": 8.0, "source": "s", "reason": "r"}


def _parse(table, name="x"):
    from probmodel.equations import WORLD_UNITS

    problems = ProblemCollector("test.toml")
    base = {**BASE, "unit": WORLD_UNITS[name]} if name in WORLD_UNITS else BASE
    spec = parse_prior(name, {**base, **table}, problems)
    return spec, problems.problems


def test_every_world_parameter_has_a_documented_prior(library):
    priors = library.world_priors()
    assert set(priors) == set(WORLD_PARAMETERS)
    for spec in priors.values():
        assert spec.unit and spec.source and spec.reason
        assert spec.method in ("exact", "preliz-maxent", "params")


def test_exact_lognormal_interval_is_the_p5_p95_range():
    spec, problems = _parse(
        {"distribution": "LogNormal", "interval": [5.0, 20.0], "method": "exact"}
    )
    assert not problems
    lo, hi = spec.quantiles([0.05, 0.95])
    assert lo == pytest.approx(5.0, rel=1e-9) and hi == pytest.approx(20.0, rel=1e-9)
    assert spec.params["mu"] == pytest.approx(math.log(10.0))


def test_exact_normal_interval_with_other_mass():
    spec, _ = _parse({"distribution": "Normal", "interval": [0.0, 10.0], "mass": 0.5, "point": 5.0})
    lo, hi = spec.quantiles([0.25, 0.75])
    assert (lo, hi) == pytest.approx((0.0, 10.0), abs=1e-9)


def test_maxent_interval_holds_the_stated_mass():
    spec, problems = _parse(
        {"distribution": "Beta", "interval": [0.05, 0.8], "method": "preliz-maxent", "point": 0.5}
    )
    assert not problems and spec.method == "preliz-maxent"
    dist = spec.to_preliz()
    assert float(dist.cdf(0.8) - dist.cdf(0.05)) == pytest.approx(0.9, abs=0.01)


def test_truncated_normal_keeps_its_bounds():
    spec, problems = _parse(
        {"distribution": "TruncatedNormal", "lower": 0.0, "upper": 365.0, "interval": [240.0, 350.0],
         "method": "preliz-maxent", "point": 300.0}
    )  # fmt: skip
    assert not problems
    assert spec.params["lower"] == 0.0 and spec.params["upper"] == 365.0


def test_explicit_params_are_used_as_given():
    spec, problems = _parse({"distribution": "Gamma", "params": {"alpha": 2.0, "beta": 0.5}})
    assert not problems and spec.params == {"alpha": 2.0, "beta": 0.5} and spec.method == "params"


def test_override_of_distribution_drops_the_old_parameters():
    base = {**BASE, "distribution": "LogNormal", "interval": [5.0, 20.0], "method": "exact"}
    merged = merge_override(base, {"distribution": "Fixed", "point": 10.0})
    assert "interval" not in merged and merged["point"] == 10.0 and merged["unit"] == "Hz"
    point_only = merge_override(base, {"point": 9.0})
    assert point_only["interval"] == [5.0, 20.0] and point_only["point"] == 9.0


def test_an_interval_only_override_keeps_the_family_and_fits_it(spec_dir, library):
    """A scenario that gives a world prior just a 90% interval keeps the family of the world
    file (LogNormal for operators_per_robot) and fits it to the new interval, as a prior file
    does: the new prior's 5% and 95% quantiles are the interval."""
    from probmodel.specs.library import Library

    base = library.world_priors()["operators_per_robot"]
    root = spec_dir(scenario="""
title = "Interval-only override"
[plan]
model_params = 55e9
fleet_size = 1000.0
[priors.operators_per_robot]
interval = [0.05, 0.2]
""")  # fmt: skip
    spec = Library.open(root).scenario("broken").priors["operators_per_robot"]
    assert spec.distribution == base.distribution == "LogNormal"
    assert spec.interval == (0.05, 0.2) and spec.mass == 0.9 and spec.point == base.point
    assert spec.quantiles([0.05, 0.95]) == pytest.approx([0.05, 0.2], rel=1e-6)
    with_mass = merge_override(
        {**BASE, "distribution": "Beta", "interval": [0.1, 0.5], "mass": 0.8,
         "method": "preliz-maxent"}, {"interval": [0.2, 0.4]},
    )  # fmt: skip
    assert with_mass["distribution"] == "Beta" and "mass" not in with_mass
    assert with_mass["method"] == "preliz-maxent" and with_mass["interval"] == [0.2, 0.4]


@pytest.mark.parametrize(
    "family, params",
    [
        ("Normal", {"mu": -1.0, "sigma": 2.0}),
        ("LogNormal", {"mu": 0.5, "sigma": 0.7}),
        ("Beta", {"alpha": 2.0, "beta": 5.0}),
        ("Gamma", {"alpha": 3.0, "beta": 0.5}),
        ("HalfNormal", {"sigma": 1.5}),
        ("Uniform", {"lower": 2.0, "upper": 9.0}),
        ("TruncatedNormal", {"mu": 0.3, "sigma": 0.4, "lower": 0.0, "upper": 1.0}),
        ("TruncatedNormal", {"mu": 294.5, "sigma": 35.5, "lower": 0.0, "upper": 365.0}),
        # a tail: under half the mass inside, so PreliZ draws it, not rejection
        ("TruncatedNormal", {"mu": 0.0, "sigma": 1.0, "lower": 1.5, "upper": 4.0}),
    ],
)
def test_numpy_draws_match_the_preliz_distribution(family, params):
    """PriorSpec.sample (NumPy's samplers where exact) draws PreliZ's distribution: mean within
    5 Monte Carlo standard errors, sd within 2%, and the same seed gives the same draws."""
    import numpy as np

    from probmodel.specs.priors import PriorSpec

    spec = PriorSpec(name="x", distribution=family, params=params, point=1.0, method="params",
                     unit="u", source="s", reason="r")  # fmt: skip
    reference = spec.to_preliz()
    n = 200_000
    draws = spec.sample(n, np.random.default_rng(7))
    mean, sd = float(reference.mean()), float(reference.std())
    assert abs(draws.mean() - mean) < 5 * sd / math.sqrt(n)
    assert draws.std() == pytest.approx(sd, rel=0.02)
    lo, hi = (float(b) for b in reference.support)
    assert draws.min() >= lo and draws.max() <= hi
    np.testing.assert_array_equal(draws[:100], spec.sample(n, np.random.default_rng(7))[:100])


def test_units_have_one_source_the_model():
    """A prior file may repeat a parameter's unit but cannot contradict the model's (issue 12):
    the shipped world file agrees everywhere, and a wrong unit is refused with file, key, value."""
    import tomllib

    from conftest import SHIPPED

    from probmodel.equations import WORLD_UNITS
    from probmodel.formatting import unit_of

    world = tomllib.loads((SHIPPED / "world.toml").read_text())
    for name, table in world.items():
        assert table.get("unit", WORLD_UNITS[name]) == WORLD_UNITS[name] == unit_of(name)
    spec, problems = _parse({**world["control_rate_hz"], "unit": "kHz"}, name="control_rate_hz")
    assert spec is None and problems[0].key == "control_rate_hz.unit"
    assert "'Hz'" in problems[0].message and problems[0].value == "kHz"
    spec, problems = _parse({k: v for k, v in world["control_rate_hz"].items() if k != "unit"},
                            name="control_rate_hz")  # fmt: skip
    assert not problems and spec.unit == "Hz"


def test_the_plan_vocabulary_comes_from_the_plan_fields():
    """Scenario keys, sweep axes and the report's plan table all read Plan's own fields."""
    from dataclasses import fields

    from probmodel.analysis.sweep import SWEEPABLE
    from probmodel.equations import Plan
    from probmodel.report.overview import plan_rows
    from probmodel.specs.scenario import PLAN_KEYS

    names = [f.name for f in fields(Plan)]
    assert PLAN_KEYS == set(names)
    assert set(SWEEPABLE) < set(names) and "sim_generation" not in SWEEPABLE
    rows = plan_rows(vars(Plan(fleet_size=None, real_share=0.2, deadline_years=5)))
    assert [r[0] for r in rows][:3] == ["model size", "token target", "active fleet"]
    assert rows[2][2] == "solved for the deadline" and rows[3][2] == "20%"


@pytest.mark.parametrize(
    "name, table, key, fragment",
    [
        ("unit_cost_usd", {"distribution": "Fixed", "point": -50_000.0}, "unit_cost_usd.point", "[0, inf)"),
        ("backup_share", {"distribution": "Fixed", "point": 1.5}, "backup_share.point", "[0, 1]"),
        ("control_rate_hz", {"distribution": "Normal", "params": {"mu": 8.0, "sigma": 5.0}, "point": 8.0},
         "control_rate_hz.distribution", "LogNormal, Gamma, HalfNormal"),
        ("success_ceiling", {"distribution": "LogNormal", "interval": [0.6, 0.99], "point": 0.9},
         "success_ceiling.distribution", "Beta"),
    ],
)  # fmt: skip
def test_values_outside_a_parameters_domain_are_refused(name, table, key, fragment):
    """Fixed values and distributions are checked against the parameter's domain (issue 14): a
    negative price or a Normal control rate would give negative costs and years."""
    spec, problems = _parse(table, name=name)
    assert spec is None and [p.key for p in problems] == [key]
    assert fragment in problems[0].message


def test_values_inside_the_domain_pass():
    for name, table in [
        ("unit_cost_usd", {"distribution": "Fixed", "point": 0.0}),
        ("backup_share", {"distribution": "Beta", "interval": [0.05, 0.25], "point": 0.1}),
        ("operating_days_per_year", {"distribution": "TruncatedNormal", "interval": [240.0, 350.0],
                                     "lower": 0.0, "upper": 365.0, "point": 300.0}),
    ]:  # fmt: skip
        spec, problems = _parse(table, name=name)
        assert not problems and spec is not None


@pytest.mark.parametrize(
    "table",
    [
        {"distribution": "LogNormal", "interval": [1e-300, 1e300], "point": 1e5},
        {"distribution": "LogNormal", "interval": [25_000.0, 200_000.0], "mass": 1e-9, "point": 1e5},
    ],
)
def test_a_prior_whose_draws_would_overflow_is_refused(table):
    """Priors so wide that some draws are infinite or overflow the outcome arithmetic are refused
    at parse time, naming the key (issue 14), not discovered as NaN outcomes after sampling."""
    spec, problems = _parse(table, name="unit_cost_usd")
    assert spec is None and [p.key for p in problems] == ["unit_cost_usd.interval"]
    assert "overflow" in problems[0].message


FAMILY_EXAMPLES = {
    "Normal": {"mu": 1.5, "sigma": 0.7},
    "LogNormal": {"mu": 11.5, "sigma": 0.4},
    "Beta": {"alpha": 2.0, "beta": 5.0},
    "Gamma": {"alpha": 3.0, "beta": 0.5},
    "HalfNormal": {"sigma": 2.0},
    "TruncatedNormal": {"mu": 300.0, "sigma": 40.0, "lower": 0.0, "upper": 365.0},
    "Uniform": {"lower": -1.0, "upper": 4.0},
}


@pytest.mark.parametrize("family", sorted(FAMILY_EXAMPLES))
def test_quantiles_and_support_are_prelizs(family):
    """Quantiles and support come from scipy.special (no PreliZ import on every command); they must be
    the distribution PreliZ and PyMC build from the same parameters."""
    import pymc as pm

    from probmodel.specs.priors import PriorSpec

    spec = PriorSpec(
        name="x", distribution=family, params=FAMILY_EXAMPLES[family], point=0.5, method="params",
        unit="1", source="test", reason="test",
    )  # fmt: skip
    qs = [1e-4, 0.05, 0.25, 0.5, 0.75, 0.95, 1 - 1e-4]
    np.testing.assert_allclose(spec.quantiles(qs), spec.to_preliz().ppf(qs), rtol=1e-6)
    assert spec.support == tuple(float(v) for v in spec.to_preliz().support)
    with pm.Model():
        rv = spec.to_pymc()
        draws = pm.draw(rv, draws=20_000, random_seed=1)
    # PyMC's variable is the same distribution: its sample median sits at the quantile's
    # (20,000 draws: the median's standard error is ~1% of the interquartile range; 10% margin)
    q25, q50, q75 = spec.quantiles([0.25, 0.5, 0.75])
    assert abs(np.median(draws) - q50) < 0.1 * (q75 - q25)
