"""Value of information: EVPI and EVPPI against closed forms, net benefit arithmetic, the table."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from scipy.stats import norm

from probmodel.analysis.voi import (
    default_penalty,
    evpi,
    evppi,
    net_benefit,
    voi_table,
)
from probmodel.cli.sensitivity import cmd_voi
from probmodel.equations import Plan
from probmodel.errors import InvalidArgumentError, UnknownNameError
from probmodel.sampling import Run, SamplerSettings, run_meta


def expected_positive_part(mu: float, sigma: float) -> float:
    """E[max(X, 0)] - max(mu, 0) for X ~ Normal(mu, sigma): the EVPI of a 0-vs-X choice."""
    z = mu / sigma
    return sigma * norm.pdf(z) + mu * norm.cdf(z) - max(mu, 0.0)


def test_evpi_of_a_choice_against_a_normal_net_benefit_matches_the_closed_form():
    rng = np.random.default_rng(3)
    mu, sigma = 0.5, 2.0
    x = rng.normal(mu, sigma, size=20_000)
    nb = np.column_stack([np.zeros_like(x), x])
    result = evpi(nb, ["do nothing", "act"], n_boot=200, seed=1)
    truth = expected_positive_part(mu, sigma)
    assert result["se"] > 0
    assert abs(result["value"] - truth) < 4 * result["se"]
    assert result["chosen"] == "act"  # mu > 0
    shares = result["best_share"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["act"] == pytest.approx(np.mean(x > 0))
    assert result["expected_net_benefit"]["act"] == pytest.approx(x.mean())


def test_evppi_of_the_deciding_parameter_is_the_evpi_and_of_noise_is_nothing():
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(-0.3, 1.0, size=n)
    noise = rng.normal(size=n)
    nb = np.column_stack([np.zeros(n), x])
    total = evpi(nb, n_boot=0)["value"]
    deciding = evppi(nb, x, n_boot=10, seed=2)
    assert deciding["value"] == pytest.approx(total, rel=0.02)
    assert deciding["se"] is not None and deciding["se"] > 0
    irrelevant = evppi(nb, noise, n_boot=10, seed=2)
    assert irrelevant["value"] < 0.05 * total
    assert irrelevant["value"] <= 3 * irrelevant["se"] + 1e-12
    assert "Strong, Oakley & Brennan" in deciding["method"]


def test_evppi_of_one_of_two_additive_parameters_matches_its_closed_form():
    rng = np.random.default_rng(11)
    n, mu, s1, s2 = 4000, 0.2, 1.0, 1.5
    x1 = rng.normal(mu, s1, size=n)
    x2 = rng.normal(0.0, s2, size=n)
    nb = np.column_stack([np.zeros(n), x1 + x2, 0.5 * (x1 + x2) - 0.4])
    partial = evppi(nb, x1, n_boot=20, seed=0)
    total = evpi(nb, n_boot=0)["value"]
    # E[NB | x1] = (0, x1, x1/2 - 0.4): the third plan is never best, so EVPPI = E[max(x1, 0)] -
    # max(mean, 0), up to the sample's mean of x1 + x2
    sample = np.mean(np.maximum(x1, 0.0)) - max(np.mean(x1 + x2), 0.0)
    assert abs(partial["value"] - sample) < max(3 * partial["se"], 0.01)
    assert abs(partial["value"] - expected_positive_part(mu, s1)) < 0.05
    assert partial["value"] < total


def test_evppi_handles_ties_and_a_parameter_with_few_values():
    rng = np.random.default_rng(2)
    n = 3000
    switch = rng.choice([-1.0, 1.0], size=n)  # two values: group means are the regression
    nb = np.column_stack([np.zeros(n), switch + rng.normal(0.0, 0.5, size=n)])
    result = evppi(nb, switch, n_boot=5)
    # E[NB_2 | switch] = switch: learn it, act only when +1 -> E[max(switch, 0)] = 1/2
    expected = np.mean(np.maximum(np.where(switch > 0, 1.0, -1.0), 0)) - max(nb[:, 1].mean(), 0)
    assert result["value"] == pytest.approx(expected, abs=0.05)
    rounded = np.round(rng.normal(size=n), 1)  # ~60 distinct values, many ties
    nb2 = np.column_stack([np.zeros(n), rounded])
    tied = evppi(nb2, rounded, n_boot=5)
    assert tied["value"] == pytest.approx(evpi(nb2, n_boot=0)["value"], rel=0.05)
    assert math.isfinite(tied["se"])


def test_evpi_is_never_negative_by_rounding():
    big = np.full((1000, 2), -4.1e9) + np.array([0.0, 1.0])  # plan 2 always $1 better
    assert evpi(big, n_boot=0)["value"] == 0.0


def test_evpi_and_evppi_refuse_bad_inputs():
    nb = np.zeros((100, 2))
    with pytest.raises(InvalidArgumentError, match=r"shape \(100,\)"):
        evpi(np.zeros(100))
    with pytest.raises(InvalidArgumentError, match="at least two plans"):
        evpi(np.zeros((100, 1)))
    with pytest.raises(InvalidArgumentError, match="not finite in 1 draws"):
        evpi(np.vstack([nb, [[np.nan, 0.0]]]))
    with pytest.raises(InvalidArgumentError, match="3 names for 2 plans"):
        evpi(nb, ["a", "b", "c"])
    with pytest.raises(InvalidArgumentError, match="99 draws, net benefit 100"):
        evppi(nb, np.zeros(99))
    with pytest.raises(InvalidArgumentError, match="n_groups = 3"):
        evppi(nb, np.arange(100.0), n_groups=3)


def _scored(cost, years, success):
    dims = ("chain", "draw")
    shape = (1, len(cost))
    return xr.Dataset(
        {
            "cost_net_usd": (dims, np.reshape(cost, shape)),
            "years": (dims, np.reshape(years, shape)),
            "success_rate": (dims, np.reshape(success, shape)),
        }
    )


def test_net_benefit_charges_the_penalty_when_a_deadline_or_target_is_missed():
    scores = {
        "strict": _scored([100.0, 100.0, 100.0], [4.0, 6.0, 4.0], [0.9, 0.9, 0.5]),
        "loose": _scored([50.0, 60.0, 70.0], [9.0, 9.0, 9.0], [0.1, 0.1, 0.1]),
    }
    plans = {
        "strict": Plan(deadline_years=5.0, performance_target=0.8),
        "loose": Plan(),  # neither deadline nor target: never misses
    }
    nb = net_benefit(scores, plans, penalty_usd=1000.0)
    np.testing.assert_allclose(nb[:, 0], [-100.0, -1100.0, -1100.0])
    np.testing.assert_allclose(nb[:, 1], [-50.0, -60.0, -70.0])
    assert net_benefit(scores, dict(reversed(plans.items())), 0.0)[0, 0] == -50.0
    with pytest.raises(InvalidArgumentError, match="penalty_usd = -1.0"):
        net_benefit(scores, plans, -1.0)
    with pytest.raises(InvalidArgumentError, match="must match"):
        net_benefit({"strict": scores["strict"]}, plans, 0.0)
    short = {**scores, "loose": _scored([1.0], [1.0], [1.0])}
    with pytest.raises(InvalidArgumentError, match="same draws"):
        net_benefit(short, plans, 0.0)


def test_default_penalty_is_the_largest_budget():
    assert default_penalty([Plan(budget_usd=1e9), Plan(budget_usd=3e9), Plan()])[0] == 3e9
    penalty, why = default_penalty([Plan(), Plan()])
    assert penalty == 1e9 and "no plan has a budget" in why


@pytest.fixture(scope="module")
def synthetic_run(library):
    """A Run whose draws move only simulation compute cost and unit cost; at ~$1e-3 per simulated
    token co-training stops being cheaper than real data only, so the first decides the choice."""
    point = library.scenario("seed-real-only").point_values()
    rng = np.random.default_rng(0)
    shape = (2, 500)
    data = {n: (("chain", "draw"), np.full(shape, v)) for n, v in point.items()}
    data["sim_compute_usd_per_token"] = (("chain", "draw"), rng.lognormal(np.log(1e-3), 1, shape))
    data["unit_cost_usd"] = (("chain", "draw"), rng.lognormal(np.log(1e5), 0.3, shape))
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset(data)})
    return Run(tree=tree, meta=run_meta(library.scenario("seed-real-only"), [], SamplerSettings()))


def test_voi_table_on_synthetic_draws(library, synthetic_run):
    scenarios = [library.scenario(n) for n in ("seed-real-only", "seed-cotrain")]
    result = voi_table(synthetic_run, scenarios, penalty_usd=0.0, se_top=1, n_boot=10)
    perfect = result["evpi"]
    assert 0.2 < min(perfect["best_share"].values())  # the choice is open
    assert perfect["value"] > 1e7 and perfect["se"] > 0
    rows = result["evppi"]
    assert [r["parameter"] for r in rows] == ["sim_compute_usd_per_token", "unit_cost_usd"]
    deciding, other = rows
    assert 0.8 * perfect["value"] < deciding["evppi"] <= perfect["value"] + 3 * perfect["se"]
    assert other["evppi"] < 0.2 * perfect["value"]
    assert deciding["share_of_evpi"] == pytest.approx(deciding["evppi"] / perfect["value"])
    assert deciding["se"] > 0 and other["se"] is None
    assert result["se_for"] == ["sim_compute_usd_per_token"]
    assert deciding["explanation"].startswith(
        "Knowing sim_compute_usd_per_token before choosing between seed-real-only and "
        "seed-cotrain is worth up to $"
    )
    assert "±" in deciding["explanation"] and "±" not in other["explanation"]
    json.dumps(result)
    with pytest.raises(InvalidArgumentError, match="at least two plans"):
        voi_table(synthetic_run, scenarios[:1], 0.0)
    with pytest.raises(InvalidArgumentError, match="given twice"):
        voi_table(synthetic_run, [scenarios[0], scenarios[0]], 0.0)
    with pytest.raises(UnknownNameError, match="Did you mean 'unit_cost_usd'"):
        voi_table(synthetic_run, scenarios, 0.0, parameters=["unit_cost_usdd"])


@pytest.mark.fit
def test_voi_on_a_real_fit(library, small_run, tmp_path, capsys):
    names = ["seed-real-only", "seed-cotrain", "pathway-generative-sim"]
    result = voi_table(
        small_run, [library.scenario(n) for n in names], 2e9, se_top=2, n_boot=5, seed=1
    )
    perfect = result["evpi"]
    assert math.isfinite(perfect["value"]) and perfect["value"] >= 0
    assert perfect["chosen"] in names
    rows = result["evppi"]
    assert len(rows) > 30
    values = [r["evppi"] for r in rows]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert values == sorted(values, reverse=True)
    assert all(v <= perfect["value"] + 3 * perfect["se"] + 1e-6 for v in values)
    assert [r["se"] is not None for r in rows[:3]] == [True, True, False]

    path = small_run.save(tmp_path / "run.nc")
    args = SimpleNamespace(
        run=path, scenarios=names[:2], penalty=None, json=False, top=2, priors=None
    )
    assert cmd_voi(args) == 0
    text = capsys.readouterr().out
    assert "EVPI" in text and "the largest budget among the plans" in text
    args.json, args.penalty = True, 0.0
    assert cmd_voi(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["penalty_usd"] == 0.0 and len(out["evppi"]) == 2
