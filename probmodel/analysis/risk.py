"""Risk summary in the vocabulary of cost-risk practice.

Per outcome: mean, sd, P10/P50/P80/P90, a credible interval whose kind and mass are stated, the
point estimate (every assumption at its point value) and contingency = P80 - point estimate.
For the scenario's budget, deadline and performance target: P(cost > budget), P(years > deadline)
and P(success rate >= target). Cost against the budget is the net cost: the total less the value
of a deployed fleet's paid work (the same as the total for a collection-only plan).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from probmodel.equations import COST_COMPONENTS, OUTCOMES
from probmodel.errors import InvalidArgumentError

PERCENTILES = (10, 50, 80, 90)
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
    values: np.ndarray, point: float | None, ci_prob: float = CI_PROB
) -> dict[str, float]:
    """Summary statistics of one outcome's draws (any shape; all draws pooled)."""
    x = np.asarray(values, dtype=float).ravel()
    lo, hi = np.quantile(x, [(1 - ci_prob) / 2, (1 + ci_prob) / 2])
    row = {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0}
    row.update({f"p{p}": float(np.quantile(x, p / 100)) for p in PERCENTILES})
    row.update({"ci_low": float(lo), "ci_high": float(hi)})
    if point is not None:
        row["point"] = float(point)
        row["contingency_p80"] = row["p80"] - float(point)
    return row


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
) -> dict[str, Any]:
    """Risk summary of one group (``posterior`` or ``prior``) of a fitted DataTree.

    Returns a JSON-able dict: ``outcomes`` (one row per outcome and cost component), ``risk``
    (exceedance probabilities for the plan's budget and deadline) and the interval convention.
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
            **describe_draws(values, None if p is None else float(np.asarray(p)), ci_prob),
        }
    cost_name = "cost_net_usd" if "cost_net_usd" in ds else "cost_total_usd"
    cost = ds[cost_name].values.ravel()
    years = ds["years"].values.ravel()
    risk: dict[str, Any] = {
        "budget_usd": plan.get("budget_usd"),
        "deadline_years": plan.get("deadline_years"),
        "performance_target": plan.get("performance_target"),
        "p_cost_over_budget": None,
        "p_years_over_deadline": None,
        "p_success_at_least_target": None,
    }
    if plan.get("performance_target") and "success_rate" in ds:
        success = ds["success_rate"].values.ravel()
        risk["p_success_at_least_target"] = float(np.mean(success >= plan["performance_target"]))
    if plan.get("budget_usd"):
        risk["p_cost_over_budget"] = float(np.mean(cost > plan["budget_usd"]))
    if plan.get("deadline_years"):
        risk["p_years_over_deadline"] = float(np.mean(years > plan["deadline_years"]))
    if plan.get("fleet_size") is None and plan.get("deadline_years"):
        risk["note"] = (
            "fleet is solved for the deadline, so the fleet's collection ends on it; years exceed "
            "it only when another pathway delivers late. See robots_needed."
        )
    return {
        "group": group,
        "n_draws": int(cost.size),
        "credible_interval": {"kind": CI_KIND, "mass": ci_prob},
        "percentiles": list(PERCENTILES),
        "outcomes": rows,
        "risk": risk,
    }
