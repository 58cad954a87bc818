"""The budget committee's four answers and the decision figures, on draws (no MCMC)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from probmodel.analysis.decisions import answer, same_goal
from probmodel.analysis.plans import score_plans
from probmodel.analysis.risk import joint_confidence_budget
from probmodel.report import decision_plots as dp


@pytest.fixture(scope="module")
def answers(prior_run, library):
    scenarios = [library.scenario(n) for n in library.scenario_names()]
    return answer(prior_run, scenarios, fast=True)


def test_the_budget_answer_is_the_jcl_budget_of_the_runs_own_draws(answers, prior_run):
    post = prior_run.tree["posterior"]
    expected = joint_confidence_budget(
        post["cost_net_usd"].values, post["years"].values, prior_run.plan["deadline_years"], 0.8
    )
    assert answers["budget_for_confidence"]["jcl_budget_usd"] == pytest.approx(expected)


def test_the_cheapest_plan_has_the_lowest_reachable_budget_among_same_goal_plans(answers, library):
    own = library.scenario("seed-cotrain").plan
    names = {r["scenario"] for r in answers["plans"]}
    assert "model-size-1b" not in names and "paxton-2t" not in names  # another model
    assert all(same_goal(library.scenario(n).plan, own) for n in names)
    # the same plan under two names is one candidate
    assert not {"seed-cotrain-4.2y", "pathway-generative-sim"} <= names
    reachable = [r["jcl_budget_usd"] for r in answers["plans"] if r["jcl_budget_usd"] is not None]
    if answers["cheapest"] is not None:
        assert answers["cheapest"]["jcl_budget_usd"] == min(reachable)


def test_the_most_important_assumption_heads_the_ranking_and_has_a_value(answers):
    top = answers["most_important"]
    rows = answers["sensitivity"]["rows"]
    assert top == rows[0] and top["S1"] == max(r["S1"] for r in rows)
    voi = answers["voi"]
    assert voi["evpi"]["value"] >= 0
    assert all(r["evppi"] >= 0 for r in voi["evppi"])
    assert answers["decision_set"][0] == "seed-cotrain" and len(answers["decision_set"]) >= 2


def test_decision_figures_draw(prior_run, library):
    post = prior_run.tree["posterior"]
    names = ["seed-cotrain", "seed-real-only"]
    scores = score_plans(prior_run, [library.scenario(n) for n in names])
    outcomes = {
        n: {k: scores[k].sel(plan=n).values for k in ("cost_net_usd", "years", "success_rate")}
        for n in names
    }
    figs = [
        dp.jcl_scatter(post["cost_net_usd"].values, post["years"].values, 2e9, 5.0),
        dp.plan_comparison(outcomes, {n: vars(library.scenario(n).plan) for n in names}),
        dp.tornado(
            [{"parameter": "a", "outcome_at_low": 1.0, "outcome_at_high": 3.0, "base": 2.0}],
            "cost_net_usd",
        ),  # fmt: skip
        dp.variance_ranking([{"parameter": "a", "S1": 0.4, "S1_conf": 0.05}], "cost_net_usd"),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    text = " ".join(t.get_text() for t in figs[0].axes[0].texts)
    jcl = np.mean((post["cost_net_usd"].values <= 2e9) & (post["years"].values <= 5.0))
    assert f"{100 * jcl:.0f}%" in text


def test_with_plan_keeps_a_solved_fleet(library):
    scenario = library.scenario("seed-cotrain-4.2y")
    assert scenario.plan.fleet_size is None
    assert scenario.with_plan(sites=500).plan.fleet_size is None


def test_a_plan_with_no_alternative_for_its_model_gets_no_value_of_information(library):
    import pymc as pm
    import xarray as xr

    from probmodel.model import build_model
    from probmodel.sampling import Run, SamplerSettings, run_meta

    scenario = library.scenario("paxton-2t")  # the only plan with a 2T-token target
    prior = pm.sample_prior_predictive(draws=300, model=build_model(scenario), random_seed=2)
    run = Run(
        tree=xr.DataTree.from_dict({"posterior": prior["prior"].to_dataset()}),
        meta=run_meta(scenario, [], SamplerSettings()),
    )
    result = answer(run, [library.scenario(n) for n in library.scenario_names()], fast=True)
    assert result["decision_set"] == ["paxton-2t"] and result["voi"] is None


def test_a_report_scores_each_plan_once(prior_run, library, monkeypatch):
    """The pipeline scores every candidate plan once and hands the scores to the plan table, the
    budget answers, the value of information and the decision figures (issue 12)."""
    import probmodel.analysis.plans as plans
    from probmodel.pipeline import plan_inputs

    scored = []
    real = plans.draws_outcomes

    def counting(post, plan, constants):
        scored.append(plan)
        return real(post, plan, constants)

    monkeypatch.setattr(plans, "draws_outcomes", counting)
    scenarios = [library.scenario(n) for n in library.scenario_names()]
    rows, decisions = plan_inputs(prior_run, scenarios)
    assert len(rows) == len(scenarios) and decisions["answers"]["voi"] is not None
    assert len(scored) == len(scenarios)
