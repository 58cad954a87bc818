"""Sweeps and optimisation: the vectorised grid equals per-plan evaluation; the optimiser picks
the feasible plan with the lowest objective."""

from __future__ import annotations

import numpy as np
import pytest

from probmodel.analysis.optimize import optimize, parse_constraint
from probmodel.analysis.sweep import parse_axis, sweep
from probmodel.cli import main
from probmodel.errors import InvalidArgumentError
from probmodel.evaluate import draws_outcomes

AXES = {"fleet_size": "1000,5000", "real_share": "0.2:1:3", "sites": "10:1000:3:log"}


@pytest.fixture(scope="module")
def grid(prior_run, library):
    return sweep(prior_run, library.scenario("seed-cotrain"), AXES, keep_draws=True)


def test_sweep_equals_evaluating_each_plan_on_its_own(grid, prior_run, library):
    scenario = library.scenario("seed-cotrain")
    post = prior_run.tree["posterior"].to_dataset()
    assert grid.sizes == {"fleet_size": 2, "real_share": 3, "sites": 3, "sample": 1000}
    for fleet, share, sites in [(1000, 0.2, 10), (5000, 1.0, 1000), (5000, 0.6, 100)]:
        plan = scenario.with_plan(fleet_size=fleet, real_share=share, sites=sites).plan
        alone = draws_outcomes(post, plan)
        cell = grid.sel(fleet_size=fleet, real_share=share, sites=sites, method="nearest")
        cost = alone["cost_net_usd"].values.ravel()
        np.testing.assert_allclose(cell["cost_net_usd_draws"].values, cost, rtol=1e-12)
        np.testing.assert_allclose(
            cell["success_rate_draws"].values, alone["success_rate"].values.ravel(), rtol=1e-12
        )
        assert float(cell["cost_p80"]) == pytest.approx(np.quantile(cost, 0.8), rel=1e-12)
        on_time = np.mean(alone["years"].values <= plan.deadline_years)
        assert float(cell["p_on_time"]) == pytest.approx(on_time)


def test_a_sweep_over_the_plans_limits_scores_each_plan_against_its_own(prior_run, library):
    """Deadline, budget and target as axes: each plan's probabilities use its own limits (the
    README's sweep varies deadline_years; a per-plan limit column once broadcast to plans x plans)."""
    scenario = library.scenario("seed-cotrain")
    axes = {"deadline_years": "3,5", "budget_usd": "1e9,4e9", "performance_target": "0.5,0.8"}
    ds = sweep(prior_run, scenario, axes, chunk_size=3)  # chunks that split the grid unevenly
    post = prior_run.tree["posterior"].to_dataset()
    alone = draws_outcomes(post, scenario.plan)
    cost, years = alone["cost_net_usd"].values.ravel(), alone["years"].values.ravel()
    success = alone["success_rate"].values.ravel()
    for deadline in (3.0, 5.0):
        for budget in (1e9, 4e9):
            for target in (0.5, 0.8):
                cell = ds.sel(deadline_years=deadline, budget_usd=budget, performance_target=target)
                assert cell["p_on_time"].shape == ()
                assert float(cell["p_on_time"]) == pytest.approx(np.mean(years <= deadline))
                assert float(cell["p_cost_and_years_within"]) == pytest.approx(
                    np.mean((cost <= budget) & (years <= deadline))
                )
                assert float(cell["p_success_at_least_target"]) == pytest.approx(
                    np.mean(success >= target)
                )


def test_more_sites_cost_more_and_help_performance(grid):
    cost = grid["cost_p50"].sel(fleet_size=1000, real_share=1.0)
    success = grid["success_p50"].sel(fleet_size=1000, real_share=1.0)
    assert np.all(np.diff(cost.values) > 0) and np.all(np.diff(success.values) > 0)


@pytest.mark.parametrize(
    "name, spec, message",
    [
        ("fleet", "1,2", "not a plan variable"),
        ("fleet_size", "1:2", "start:stop:num"),
        ("sites", "0:10:3:log", "start:stop:num"),
        ("fleet_size", "", "start:stop:num"),
    ],
)
def test_bad_axes_are_refused_with_the_axis_named(name, spec, message):
    with pytest.raises(InvalidArgumentError, match=message) as info:
        parse_axis(name, spec)
    assert name in str(info.value)


def test_shares_that_can_exceed_one_are_refused(prior_run, library):
    with pytest.raises(InvalidArgumentError, match="at most 1"):
        sweep(prior_run, library.scenario("seed-cotrain"),
              {"real_share": "0.5,0.9", "video_share": "0.2,0.3"})  # fmt: skip


def test_optimizer_picks_the_cheapest_feasible_plan(prior_run, library, grid):
    constraints = {"p_on_time": 0.8}
    result = optimize(prior_run, library.scenario("seed-cotrain"), AXES, "cost_p80", constraints)
    feasible = grid["p_on_time"] >= 0.8
    assert result["n_feasible"] == int(feasible.sum())
    best_cost = float(grid["cost_p80"].where(feasible).min())
    assert result["best"]["cost_p80"] == pytest.approx(best_cost)
    assert result["best"]["p_on_time"] >= 0.8
    r = result["robustness"]
    assert 0 <= r["bootstrap_same_choice"] <= 1 and 0 <= r["cheapest_of_top_k_draws"] <= 1


def test_an_impossible_constraint_returns_the_closest_plans(prior_run, library):
    result = optimize(prior_run, library.scenario("seed-cotrain"), {"fleet_size": "10,20"},
                      "cost_p80", {"p_on_time": 0.99})  # fmt: skip
    assert result["best"] is None and result["closest"]


def test_constraints_parse_with_aliases_and_refuse_unknown_names():
    assert parse_constraint("on_time>=0.8") == ("p_on_time", 0.8)
    assert parse_constraint("success >= 0.7") == ("p_success_at_least_target", 0.7)
    with pytest.raises(InvalidArgumentError, match="not a probability"):
        parse_constraint("cost>=0.5")
    with pytest.raises(InvalidArgumentError, match="NAME>=LEVEL"):
        parse_constraint("on_time > 0.5")


def test_sweep_and_optimize_commands(prior_run, tmp_path, capsys):
    run_path = prior_run.save(tmp_path / "seed-cotrain.nc")
    out = tmp_path / "grid.nc"
    argv = ["sweep", str(run_path), "--grid", "fleet_size=1000:5000:3", "--grid", "sites=10,100",
            "--out", str(out), "--figures", str(tmp_path / "maps")]  # fmt: skip
    assert main(argv) == 0
    assert "scored 6 plans x 1,000 posterior draws" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "maps").glob("*.png")} == {
        "cost_p80.png",
        "p_on_time.png",
        "p_success_at_least_target.png",
    }
    from probmodel.io import load_dataset

    assert load_dataset(out).sizes == {"fleet_size": 3, "sites": 2}
    code = main(["optimize", str(run_path), "--grid", "fleet_size=1000:20000:5",
                 "--require", "on_time>=0.5"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0 and "Best by cost_p80" in text and "bootstrap" in text


def test_compare_scenarios_prints_paired_probabilities_and_saves_a_figure(
    prior_run, tmp_path, capsys
):
    run_path = prior_run.save(tmp_path / "seed-cotrain.nc")
    figure = tmp_path / "side-by-side.png"
    assert main(["compare", str(run_path), "seed-real-only", "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "P(row is cheaper than column)" in out and "seed-real-only" in out
    assert figure.stat().st_size > 1000
    assert main(["compare", str(run_path), "seed-real-only", "--json"]) == 0
    import json

    result = json.loads(capsys.readouterr().out)
    p = result["pairwise"]["cost_net_usd"]["p_row_beats_column"]
    assert p["seed-cotrain"]["seed-real-only"] + p["seed-real-only"][
        "seed-cotrain"
    ] == pytest.approx(1)
