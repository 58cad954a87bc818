"""Risk summary in the vocabulary of cost-risk practice (NASA/GAO joint confidence, @RISK).

Per outcome: mean, sd, P10/P50/P70/P80/P90, a credible interval whose kind and mass are stated,
the point estimate (every assumption at its point value), contingency at a chosen confidence
(that percentile minus the point estimate; P80 by default) and the expected shortfall beyond P90
(the mean of the worst 10% of draws, CVaR). For the scenario's budget, deadline and performance
target: P(cost > budget), P(years > deadline), P(success rate >= target), the joint confidence
level P(cost <= budget and years <= deadline), P(cost <= budget and success >= target), and the
budget that gives 70% and 80% joint confidence of finishing by the deadline. Cost against the
budget is the net cost: the total less the value of a deployed fleet's paid work (the same as the
total for a collection-only plan).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from probmodel.equations import COST_COMPONENTS, OUTCOMES
from probmodel.errors import InvalidArgumentError

PERCENTILES = (10, 50, 70, 80, 90)
JCL_LEVELS = (0.7, 0.8)
"""Joint confidence levels reported (NASA baselines programs at 70%)."""
CI_PROB = 0.9
CI_KIND = "equal-tailed"
SUMMARY_OUTCOMES = (
    "cost_total_usd", "cost_net_usd", "deployment_value_usd", "years", "success_rate",
    "effective_hours", "coverage", "effective_environments", "hardware_retention",
    "data_absorption", "robot_years", "robots_needed", "fleet_size", "tokens_needed",
    "tokens_real", "tokens_sim", "tokens_video", "tokens_world_model", "tokens_per_robot_year",
    "opex_usd_per_year", "capex_saved_usd",
)  # fmt: skip
DEPLOYMENT_ONLY = ("cost_net_usd", "deployment_value_usd")
"""Rows shown only for a deployed fleet (otherwise net cost is total cost and the value is 0)."""


def describe_draws(
    values: np.ndarray, point: float | None, ci_prob: float = CI_PROB, confidence: float = 0.8
) -> dict[str, float]:
    """Summary statistics of one outcome's draws (any shape; all draws pooled).

    ``contingency`` is the ``confidence`` percentile minus the point estimate (also given as
    ``contingency_p80`` at 80%); ``es_p90`` is the expected shortfall (CVaR) beyond P90, the mean
    of the draws at or above it.
    """
    if not 0 < confidence < 1:
        raise InvalidArgumentError(f"confidence = {confidence!r}: must be between 0 and 1.")
    x = np.asarray(values, dtype=float).ravel()
    lo, hi = np.quantile(x, [(1 - ci_prob) / 2, (1 + ci_prob) / 2])
    row = {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0}
    row.update({f"p{p}": float(np.quantile(x, p / 100)) for p in PERCENTILES})
    row["es_p90"] = expected_shortfall(x, 0.9)
    row.update({"ci_low": float(lo), "ci_high": float(hi)})
    if point is not None:
        row["point"] = float(point)
        row["contingency_p80"] = row["p80"] - float(point)
        row["confidence"] = confidence
        row["contingency"] = float(np.quantile(x, confidence)) - float(point)
    return row


def expected_shortfall(values: np.ndarray, level: float = 0.9) -> float:
    """Mean of the draws at or above the ``level`` quantile (CVaR; the upper tail for costs)."""
    x = np.sort(np.asarray(values, dtype=float).ravel())
    if x.size == 0:
        raise InvalidArgumentError("expected_shortfall needs at least one draw.")
    return float(x[int(np.floor(level * x.size)) :].mean()) if level < 1 else float(x[-1])


def joint_probability(cost, budget, years=None, deadline=None, success=None, target=None) -> float:
    """P(cost <= budget [and years <= deadline] [and success >= target]) over paired draws."""
    ok = np.asarray(cost, dtype=float).ravel() <= budget
    if deadline is not None:
        ok &= np.asarray(years, dtype=float).ravel() <= deadline
    if target is not None:
        ok &= np.asarray(success, dtype=float).ravel() >= target
    return float(ok.mean())


def joint_confidence_budget(
    cost, years, deadline: float, level: float = 0.8, success=None, target: float | None = None
) -> float | None:
    """Smallest budget B with P(cost <= B and years <= deadline) >= ``level`` (JCL budget); with
    ``success`` and ``target``, also requiring success >= target in the same draws.

    ``None`` when even an unlimited budget cannot reach the level, because the plan finishes by
    the deadline (and reaches the target) in fewer than ``level`` of the draws.
    """
    if not 0 < level < 1:
        raise InvalidArgumentError(f"level = {level!r}: must be between 0 and 1.")
    cost = np.asarray(cost, dtype=float).ravel()
    on_time = np.asarray(years, dtype=float).ravel() <= deadline
    if target is not None:
        on_time &= np.asarray(success, dtype=float).ravel() >= target
    order = np.argsort(cost)
    reached = np.cumsum(on_time[order]) / cost.size
    hit = np.flatnonzero(reached >= level - 1e-12)
    return float(cost[order][hit[0]]) if hit.size else None


def _outcome_draws(
    group: xr.Dataset, plan: dict[str, Any], drop_zero: bool = True
) -> dict[str, np.ndarray]:
    """Draws of the summary outcomes and cost components; rows that are zero in every draw
    (an unused pathway's tokens and cost) and deployment rows of a collection-only plan are
    left out."""
    names = [n for n in SUMMARY_OUTCOMES if n in group]
    if not plan.get("deployed"):
        names = [n for n in names if n not in DEPLOYMENT_ONLY]
    draws = {n: group[n].values for n in names}
    if "cost" in group:
        for c in COST_COMPONENTS:
            if c in group["cost"].cost_component:
                draws[f"cost_{c}"] = group["cost"].sel(cost_component=c).values
    keep = ("cost_total_usd", "years", "success_rate")
    if not drop_zero:
        return draws
    return {n: v for n, v in draws.items() if n in keep or np.any(np.asarray(v) != 0)}


def summarize_tree(
    tree: xr.DataTree,
    plan: dict[str, Any],
    group: str = "posterior",
    ci_prob: float = CI_PROB,
    confidence: float = 0.8,
) -> dict[str, Any]:
    """Risk summary of one group (``posterior`` or ``prior``) of a fitted DataTree.

    Returns a JSON-able dict: ``outcomes`` (one row per outcome and cost component, contingency
    at ``confidence``), ``risk`` (exceedance and joint probabilities for the plan's budget,
    deadline and target, JCL budgets) and the interval convention.
    """
    if not 0 < ci_prob < 1:
        raise InvalidArgumentError(f"ci_prob = {ci_prob!r}: must be between 0 and 1.")
    ds = tree[group].to_dataset()
    point = tree["point"].to_dataset() if "point" in tree.children else None
    point_values = _outcome_draws(point, plan, drop_zero=False) if point is not None else {}
    rows = {}
    for name, values in _outcome_draws(ds, plan).items():
        p = point_values.get(name)
        rows[name] = {
            "description": OUTCOMES.get(name, f"cost component {name[5:]} [USD]"),
            **describe_draws(
                values, None if p is None else float(np.asarray(p)), ci_prob, confidence
            ),
        }
    cost_name = "cost_net_usd" if "cost_net_usd" in ds else "cost_total_usd"
    cost = ds[cost_name].values.ravel()
    years = ds["years"].values.ravel()
    success = ds["success_rate"].values.ravel() if "success_rate" in ds else None
    return {
        "group": group,
        "n_draws": int(cost.size),
        "credible_interval": {"kind": CI_KIND, "mass": ci_prob},
        "percentiles": list(PERCENTILES),
        "contingency_confidence": confidence,
        "outcomes": rows,
        "risk": plan_risk(plan, cost, years, success),
    }


def plan_risk(plan: dict[str, Any], cost, years, success=None) -> dict[str, Any]:
    """Exceedance and joint probabilities of one plan's paired draws of net cost, years and
    success, against its budget, deadline and performance target (``None`` where not set)."""
    budget, deadline = plan.get("budget_usd"), plan.get("deadline_years")
    target = plan.get("performance_target")
    risk: dict[str, Any] = {
        "budget_usd": budget,
        "deadline_years": deadline,
        "performance_target": target,
        "p_cost_over_budget": None,
        "p_years_over_deadline": None,
        "p_success_at_least_target": None,
        "p_cost_and_years_within": None,
        "p_cost_within_and_success_at_least_target": None,
        **{f"jcl{round(100 * level)}_budget_usd": None for level in JCL_LEVELS},
    }
    if target and success is not None:
        risk["p_success_at_least_target"] = float(np.mean(success >= target))
    if budget:
        risk["p_cost_over_budget"] = float(np.mean(cost > budget))
    if deadline:
        risk["p_years_over_deadline"] = float(np.mean(years > deadline))
        for level in JCL_LEVELS:
            risk[f"jcl{round(100 * level)}_budget_usd"] = joint_confidence_budget(
                cost, years, deadline, level
            )
    if budget and deadline:
        risk["p_cost_and_years_within"] = joint_probability(cost, budget, years, deadline)
    if budget and target and success is not None:
        risk["p_cost_within_and_success_at_least_target"] = joint_probability(
            cost, budget, success=success, target=target
        )
    if plan.get("fleet_size") is None and deadline:
        risk["note"] = (
            "fleet is solved for the deadline, so the fleet's collection ends on it; years exceed "
            "it only when another pathway delivers late. See robots_needed."
        )
    return risk
