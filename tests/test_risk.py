"""Risk measures against closed forms: lognormal percentiles, expected shortfall, joint confidence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from probmodel.analysis.risk import (
    describe_draws,
    expected_shortfall,
    joint_confidence_budget,
    plan_risk,
    risk_measures,
)
from probmodel.errors import InvalidArgumentError

MU, SIGMA, N = np.log(1e9), 0.8, 400_000


@pytest.fixture(scope="module")
def cost():
    return np.random.default_rng(3).lognormal(MU, SIGMA, N)


def test_percentiles_match_the_lognormal_quantiles(cost):
    row = describe_draws(cost, point=1e9)
    for p in (10, 50, 70, 80, 90):
        exact = np.exp(MU + SIGMA * stats.norm.ppf(p / 100))
        assert row[f"p{p}"] == pytest.approx(exact, rel=0.01), p


def test_contingency_is_the_chosen_percentile_minus_the_point(cost):
    row = describe_draws(cost, point=1e9, confidence=0.7)
    assert row["contingency"] == pytest.approx(row["p70"] - 1e9, rel=1e-12)
    assert row["contingency_p80"] == pytest.approx(row["p80"] - 1e9, rel=1e-12)
    with pytest.raises(InvalidArgumentError, match="confidence = 1.5"):
        describe_draws(cost, point=1e9, confidence=1.5)


def test_expected_shortfall_beyond_p90_matches_the_lognormal_cvar(cost):
    z = stats.norm.ppf(0.9)
    exact = np.exp(MU + SIGMA**2 / 2) * stats.norm.cdf(SIGMA - z) / 0.1
    assert expected_shortfall(cost, 0.9) == pytest.approx(exact, rel=0.02)
    assert describe_draws(cost, None)["mean_worst_10pct"] == expected_shortfall(cost, 0.9)


def test_the_worst_10_percent_of_a_higher_is_better_outcome_is_its_lower_tail():
    """For success the bad tail is the low one: the mean of the lowest 10% of the draws, which
    for a Beta(8, 2) is its lower-tail CVaR (exact by numerical integration), below the P10."""
    from scipy import integrate

    success = stats.beta(8, 2)
    draws = success.rvs(N, random_state=np.random.default_rng(7))
    q10 = success.ppf(0.1)
    exact = integrate.quad(lambda x: x * success.pdf(x), 0, q10)[0] / 0.1
    row = describe_draws(draws, None, higher_better=True)
    assert row["mean_worst_10pct"] == pytest.approx(exact, rel=0.01)
    assert row["mean_worst_10pct"] < row["p10"] < row["p90"]
    assert describe_draws(draws, None)["mean_worst_10pct"] > row["p90"]  # the other tail


def test_summary_tail_and_contingency_follow_each_outcome_direction(prior_run):
    """The summary's success row averages the lowest 10% of its draws and has no contingency;
    cost and years rows average the highest 10% and keep contingency = P80 - point."""
    import xarray as xr

    from probmodel.analysis.risk import summarize_tree

    post = prior_run.tree["posterior"].to_dataset()
    point = post.isel(chain=0, draw=0, drop=True)  # any one draw serves as the point estimate
    tree = xr.DataTree.from_dict({"posterior": post, "point": point})
    rows = summarize_tree(tree, prior_run.plan)["outcomes"]
    success = np.sort(post["success_rate"].values.ravel())
    assert rows["success_rate"]["mean_worst_10pct"] == pytest.approx(
        success[: int(np.ceil(0.1 * success.size))].mean(), rel=1e-9
    )
    assert "contingency" not in rows["success_rate"]
    for name in ("cost_total_usd", "years"):
        assert rows[name]["mean_worst_10pct"] > rows[name]["p90"]
        assert rows[name]["contingency_p80"] == pytest.approx(rows[name]["p80"] - rows[name]["point"])


def test_joint_probability_of_independent_outcomes_is_the_product(cost):
    years = np.random.default_rng(4).uniform(0, 10, N)  # P(years <= 6) = 0.6
    budget = np.exp(MU + SIGMA * stats.norm.ppf(0.75))
    p = risk_measures(cost, years, budget=budget, deadline=6.0)["p_cost_and_years_within"]
    assert p == pytest.approx(0.75 * 0.6, abs=0.005)


def test_jcl_budget_matches_the_closed_form_and_is_none_when_unreachable(cost):
    years = np.random.default_rng(5).uniform(0, 10, N)  # on time by 9 years: q = 0.9
    q, level = 0.9, 0.7
    exact = np.exp(MU + SIGMA * stats.norm.ppf(level / q))  # P(cost <= B) * q = level
    assert joint_confidence_budget(cost, years, 9.0, level) == pytest.approx(exact, rel=0.01)
    assert joint_confidence_budget(cost, years, 5.0, 0.8) is None  # only 50% on time at all
    b = joint_confidence_budget(cost, years, 9.0, 0.8)
    assert risk_measures(cost, years, budget=b, deadline=9.0)["p_cost_and_years_within"] >= 0.8


def test_plan_risk_reports_every_joint_measure():
    rng = np.random.default_rng(6)
    cost, years, success = (
        rng.lognormal(MU, SIGMA, 5000),
        rng.uniform(0, 10, 5000),
        rng.uniform(size=5000),
    )
    plan = {"budget_usd": 1e9, "deadline_years": 5.0, "performance_target": 0.8, "fleet_size": 10}
    risk = plan_risk(plan, cost, years, success)
    assert risk["p_cost_within_budget"] == pytest.approx(np.mean(cost <= 1e9))
    assert risk["p_on_time"] == pytest.approx(np.mean(years <= 5))
    assert risk["p_cost_and_years_within"] == pytest.approx(np.mean((cost <= 1e9) & (years <= 5)))
    assert risk["p_cost_within_and_success_at_least_target"] == pytest.approx(
        np.mean((cost <= 1e9) & (success >= 0.8))
    )
    assert risk["jcl80_budget_usd"] is None and risk["jcl70_budget_usd"] is None  # 50% on time
    none = plan_risk({"fleet_size": 10}, cost, years, success)
    assert none["p_cost_within_budget"] is None and none["jcl70_budget_usd"] is None


def test_one_definition_of_each_risk_measure_for_one_plan_or_many():
    """The sweep's plans-x-draws measures are the single plan's, row by row, and the summary's
    probabilities are the same numbers (one vocabulary: within budget, on time, on target)."""
    rng = np.random.default_rng(8)
    cost = rng.lognormal(MU, SIGMA, (3, 2000))
    years, success = rng.uniform(0, 10, (3, 2000)), rng.uniform(size=(3, 2000))
    budgets, deadline = np.array([5e8, 1e9, 2e9]), 6.0
    many = risk_measures(cost, years, success, budgets, deadline, 0.5)
    for i, budget in enumerate(budgets):
        one = risk_measures(cost[i], years[i], success[i], budget, deadline, 0.5)
        plan = {"budget_usd": budget, "deadline_years": deadline, "performance_target": 0.5}
        risk = plan_risk(plan, cost[i], years[i], success[i])
        for name, value in one.items():
            assert many[name][i] == pytest.approx(float(value))
            if name in risk:
                assert risk[name] == pytest.approx(float(value))
    assert np.isnan(risk_measures(cost, years, success)["p_on_time"]).all()  # no deadline set
