"""Score several plans on one run's posterior draws: cost, time and performance side by side.

Every plan is evaluated on the same draws with the shared outcome equations (NumPy, no
re-sampling), so the plans are compared under the same world: a draw where simulation transfers
badly is a bad draw for every simulation-heavy plan at once. Only a scenario's plan is used;
its prior overrides are not (they would need their own run), and the table says which had any.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from probmodel.analysis.risk import plan_risk, risk_measures
from probmodel.evaluate import draws_outcomes
from probmodel.specs.scenario import Scenario


def score_plans(
    run, scenarios: list[Scenario], scores: xr.Dataset | None = None
) -> xr.Dataset:
    """Outcomes of each scenario's plan on ``run``'s posterior draws, stacked along ``plan``.

    ``scores``, when given, is an earlier result of this function on the same run: the plans it
    already holds are selected from it rather than scored again (a report scores each plan once).
    """
    if not scenarios:
        raise ValueError("score_plans needs at least one scenario.")
    names = [s.name for s in scenarios]
    if scores is not None and set(names) <= set(scores["plan"].values.tolist()):
        return scores.sel(plan=names)
    post = run.tree["posterior"].to_dataset()
    scored = [draws_outcomes(post, s.plan, run.constants) for s in scenarios]
    return xr.concat(scored, dim=pd.Index([s.name for s in scenarios], name="plan"))


def plan_rows(
    run, scenarios: list[Scenario], scores: xr.Dataset | None = None
) -> list[dict[str, Any]]:
    """One row per plan: cost, years and success percentiles and the plan's own risks."""
    scores = score_plans(run, scenarios, scores)
    return [
        outcome_row(s.name, s.title, vars(s.plan), scores.sel(plan=s.name), sorted(s.overrides))
        for s in scenarios
    ]


def outcome_row(
    name: str, title: str, plan: Mapping[str, Any], draws, prior_overrides=()
) -> dict[str, Any]:
    """A plan's row in a side-by-side table, from its draws of net cost, years and success."""
    cost = np.asarray(draws["cost_net_usd"], dtype=float).ravel()
    years = np.asarray(draws["years"], dtype=float).ravel()
    success = np.asarray(draws["success_rate"], dtype=float).ravel()
    measures = risk_measures(cost, years, success)
    risk = plan_risk(dict(plan), cost, years, success)
    return {
        "scenario": name,
        "title": title,
        **{k: float(v) for k, v in measures.items() if not k.startswith("p_")},
        "performance_target": plan.get("performance_target"),
        "budget_usd": plan.get("budget_usd"),
        "deadline_years": plan.get("deadline_years"),
        **{k: v for k, v in risk.items() if k.startswith("p_")},
        "prior_overrides": list(prior_overrides),
    }


PAIRWISE = {
    "cost_net_usd": ("cheaper", np.less),
    "years": ("faster", np.less),
    "success_rate": ("better on unseen tasks", np.greater),
}
"""Outcome -> (what "row beats column" means, the comparison), for pairwise probabilities."""


def pairwise_probabilities(outcomes: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, Any]:
    """P(plan A beats plan B) for every ordered pair, computed on paired draws.

    ``outcomes`` maps plan name -> {outcome name -> draws}; the draws of different plans must
    come from the same posterior draws (same world), so each comparison is made draw by draw
    rather than from marginal intervals. Ties count as half.
    """
    names = list(outcomes)
    result = {}
    for outcome, (meaning, beats) in PAIRWISE.items():
        if not all(outcome in outcomes[n] for n in names):
            continue
        draws = {n: np.asarray(outcomes[n][outcome], dtype=float).ravel() for n in names}
        matrix = {
            a: {
                b: float(np.mean(beats(draws[a], draws[b])) + 0.5 * np.mean(draws[a] == draws[b]))
                for b in names
                if b != a
            }
            for a in names
        }
        result[outcome] = {"meaning": meaning, "p_row_beats_column": matrix}
    return result


def compare_plans(run, scenarios: list[Scenario]) -> dict[str, Any]:
    """Side-by-side summary of several plans on one posterior, with paired probabilities."""
    scores = score_plans(run, scenarios)
    per_plan = {s.name: {k: scores[k].sel(plan=s.name).values for k in PAIRWISE} for s in scenarios}
    return {
        "run": run.name,
        "paired": True,
        "plans": plan_rows(run, scenarios, scores),
        "pairwise": pairwise_probabilities(per_plan),
        "draws": per_plan,
        "limits": {s.name: vars(s.plan) for s in scenarios},
    }
