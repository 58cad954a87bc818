"""Risk summary in the vocabulary of cost-risk practice.

Per outcome: mean, sd, P10/P50/P80/P90, a credible interval whose kind and mass are stated, the
point estimate (every assumption at its point value) and contingency = P80 - point estimate.
For the scenario's budget and deadline: P(cost > budget) and P(years > deadline).
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
    "cost_total_usd", "years", "robot_years", "robots_needed", "fleet_size", "tokens_needed",
    "tokens_real", "tokens_sim", "tokens_per_robot_year", "opex_usd_per_year", "capex_saved_usd",
)  # fmt: skip


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


def _outcome_draws(group: xr.Dataset) -> dict[str, np.ndarray]:
    draws = {n: group[n].values for n in SUMMARY_OUTCOMES if n in group}
    if "cost" in group:
        for c in COST_COMPONENTS:
            draws[f"cost_{c}"] = group["cost"].sel(cost_component=c).values
    return draws


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
    point_values = _outcome_draws(point) if point is not None else {}
    rows = {}
    for name, values in _outcome_draws(ds).items():
        p = point_values.get(name)
        rows[name] = {
            "description": OUTCOMES.get(name, f"cost component {name[5:]} [USD]"),
            **describe_draws(values, None if p is None else float(np.asarray(p)), ci_prob),
        }
    cost = ds["cost_total_usd"].values.ravel()
    years = ds["years"].values.ravel()
    risk: dict[str, Any] = {
        "budget_usd": plan.get("budget_usd"),
        "deadline_years": plan.get("deadline_years"),
        "p_cost_over_budget": None,
        "p_years_over_deadline": None,
    }
    if plan.get("budget_usd"):
        risk["p_cost_over_budget"] = float(np.mean(cost > plan["budget_usd"]))
    if plan.get("deadline_years") and plan.get("fleet_size") is not None:
        risk["p_years_over_deadline"] = float(np.mean(years > plan["deadline_years"]))
    if plan.get("fleet_size") is None and plan.get("deadline_years"):
        risk["note"] = (
            "fleet is solved for the deadline, so years always equal it; see robots_needed."
        )
    return {
        "group": group,
        "n_draws": int(cost.size),
        "credible_interval": {"kind": CI_KIND, "mass": ci_prob},
        "percentiles": list(PERCENTILES),
        "outcomes": rows,
        "risk": risk,
    }
