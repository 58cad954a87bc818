"""Risk summary in the vocabulary of cost-risk practice (NASA/GAO joint confidence, @RISK).

Per outcome: mean, sd, P10/P50/P70/P80/P90, a credible interval whose kind and mass are stated,
the point estimate (every assumption at its point value), contingency at a chosen confidence
(that percentile minus the point estimate, P80 by default; for costs and years only, the reserve a
budget or schedule holds above its point estimate) and the mean of the worst 10% of draws (expected
shortfall, CVaR): the top 10% for outcomes where less is better (cost, years), the bottom 10% where
more is better (success; :func:`probmodel.equations.higher_is_better`). For the scenario's budget, deadline and performance
target: P(cost <= budget), P(years <= deadline), P(success rate >= target), the joint confidence
level P(cost <= budget and years <= deadline), P(cost <= budget and success >= target), and the
budget that gives 70% and 80% joint confidence of finishing by the deadline.

Each risk measure is defined once, in :func:`risk_events` and :func:`risk_measures`, and used by
the summary, the plan tables, sweeps, the optimiser, the decision analysis and the report; every
probability is of the good event (within budget, on time, target reached), so one vocabulary
reads the same in every output. Cost against the
budget is the net cost: the total less the value of a deployed fleet's paid work (the same as the
total for a collection-only plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from probmodel.equations import COST_COMPONENTS, OUTCOMES, higher_is_better, unit
from probmodel.errors import InvalidArgumentError

if TYPE_CHECKING:  # the risk measures are NumPy; xarray only types the summaries' inputs
    import xarray as xr

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


TAIL = 0.1
"""Share of draws in the bad tail that ``mean_worst_10pct`` averages."""
RESERVE_UNITS = ("USD", "years")
"""Outcomes in these units (costs and schedules) get a contingency: the reserve on top of the
point estimate that a budget or schedule needs to reach a confidence level."""


def describe_draws(
    values: np.ndarray,
    point: float | None,
    ci_prob: float = CI_PROB,
    confidence: float = 0.8,
    higher_better: bool = False,
    contingency: bool = True,
) -> dict[str, float]:
    """Summary statistics of one outcome's draws (any shape; all draws pooled).

    ``mean_worst_10pct`` is the expected shortfall (CVaR): the mean of the worst 10% of draws,
    the highest when less is better, the lowest when ``higher_better``. With ``contingency`` and
    a point, ``contingency`` is the ``confidence`` percentile minus the point estimate (also
    given as ``contingency_p80`` at 80%): negative when the point estimate already lies above
    that percentile, so that no reserve is needed.
    """
    if not 0 < confidence < 1:
        raise InvalidArgumentError(f"confidence = {confidence!r}: must be between 0 and 1.")
    x = np.asarray(values, dtype=float).ravel()
    lo, hi = np.quantile(x, [(1 - ci_prob) / 2, (1 + ci_prob) / 2])
    row = {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0}
    row.update({f"p{p}": float(np.quantile(x, p / 100)) for p in PERCENTILES})
    row["mean_worst_10pct"] = expected_shortfall(x, 1 - TAIL, higher_better)
    row.update({"ci_low": float(lo), "ci_high": float(hi)})
    if point is not None:
        row["point"] = float(point)
    if point is not None and contingency:
        row["contingency_p80"] = row["p80"] - float(point)
        row["confidence"] = confidence
        row["contingency"] = float(np.quantile(x, confidence)) - float(point)
    return row


RISK_MEASURES: dict[str, str] = {
    "cost_p50": "median net cost [USD]",
    "cost_p80": "P80 net cost [USD]",
    "cost_p90": "P90 net cost [USD]",
    "years_p50": "median years until all the data is in [years]",
    "years_p80": "P80 years [years]",
    "success_p10": "P10 success rate on unseen tasks [fraction]",
    "success_p50": "median success rate on unseen tasks [fraction]",
    "success_p90": "P90 success rate on unseen tasks [fraction]",
    "p_cost_within_budget": "P(net cost <= budget) [probability]",
    "p_on_time": "P(years <= deadline) [probability]",
    "p_success_at_least_target": "P(success >= target) [probability]",
    "p_cost_and_years_within": "joint confidence P(cost <= budget and years <= deadline) [probability]",
    "p_cost_within_and_success_at_least_target": "P(cost <= budget and success >= target) [probability]",
}  # fmt: skip
"""Every risk measure of a plan's draws, with its meaning and unit."""
QUANTILES = {"cost": (0.5, 0.8, 0.9), "years": (0.5, 0.8), "success": (0.1, 0.5, 0.9)}


def _limit(value):
    """A plan limit (scalar, or one per plan as a vector or a column) shaped to broadcast
    against ``plans x draws``."""
    if value is None:
        return None
    v = np.asarray(value, dtype=float)
    return v if v.ndim == 0 else v.reshape(-1, 1)


def risk_events(cost, years, success=None, budget=None, deadline=None, target=None):
    """Per draw, whether each good event happened: ``p_*`` name -> boolean array (plans x
    draws, or draws). Only the events whose limits are set (and whose draws are given)."""
    cost, years = np.asarray(cost, dtype=float), np.asarray(years, dtype=float)
    budget, deadline, target = (_limit(v) for v in (budget, deadline, target))
    events = {}
    if budget is not None:
        events["p_cost_within_budget"] = cost <= budget
    if deadline is not None:
        events["p_on_time"] = years <= deadline
    if target is not None and success is not None:
        events["p_success_at_least_target"] = np.asarray(success, dtype=float) >= target
    if budget is not None and deadline is not None:
        events["p_cost_and_years_within"] = events["p_cost_within_budget"] & events["p_on_time"]
    if budget is not None and "p_success_at_least_target" in events:
        events["p_cost_within_and_success_at_least_target"] = (
            events["p_cost_within_budget"] & events["p_success_at_least_target"]
        )
    return events


def risk_measures(cost, years, success=None, budget=None, deadline=None, target=None):
    """Every :data:`RISK_MEASURES` entry of paired draws, over the last axis (draws).

    ``cost``, ``years`` and ``success`` have shape ``(draws,)`` or ``(plans, draws)``; each limit
    is ``None`` (not set: the measure is NaN), a scalar, or one value per plan. Returns name ->
    array of the leading shape (a 0-d array for one plan).
    """
    cost, years = np.asarray(cost, dtype=float), np.asarray(years, dtype=float)
    out = {}
    for name, draws in (("cost", cost), ("years", years), ("success", success)):
        if draws is None:
            continue
        q = np.quantile(np.asarray(draws, dtype=float), QUANTILES[name], axis=-1)
        out.update({f"{name}_p{round(100 * level)}": q[i] for i, level in enumerate(QUANTILES[name])})
    nan = np.full(cost.shape[:-1], np.nan)
    events = risk_events(cost, years, success, budget, deadline, target)
    for name in RISK_MEASURES:
        if name.startswith("p_"):
            out[name] = events[name].mean(axis=-1) if name in events else nan
    return out


def expected_shortfall(
    values: np.ndarray, level: float = 0.9, higher_better: bool = False
) -> float:
    """Mean of the worst ``1 - level`` of the draws (CVaR): those at or above the ``level``
    quantile (the upper tail, for costs and years), or with ``higher_better`` those at or below
    the ``1 - level`` quantile (the lower tail, for success)."""
    x = np.sort(np.asarray(values, dtype=float).ravel())
    if x.size == 0:
        raise InvalidArgumentError("expected_shortfall needs at least one draw.")
    if higher_better:
        x = -x[::-1]
    worst = float(x[int(np.floor(level * x.size)) :].mean()) if level < 1 else float(x[-1])
    return -worst if higher_better else worst


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
    at ``confidence``), ``risk`` (probabilities of each limit and jointly for the plan's budget,
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
                values,
                None if p is None else float(np.asarray(p)),
                ci_prob,
                confidence,
                higher_better=higher_is_better(name),
                contingency=unit(name) in RESERVE_UNITS and not higher_is_better(name),
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
    """One plan's probabilities (:func:`risk_measures`) against its budget, deadline and
    performance target (``None`` where not set), and its joint-confidence budgets."""
    budget, deadline = plan.get("budget_usd"), plan.get("deadline_years")
    target = plan.get("performance_target")
    cost, years = np.ravel(cost), np.ravel(years)
    success = None if success is None else np.ravel(success)
    measures = risk_measures(cost, years, success, budget or None, deadline or None, target or None)
    risk: dict[str, Any] = {"budget_usd": budget, "deadline_years": deadline, "performance_target": target}
    for name in RISK_MEASURES:
        if name.startswith("p_"):
            value = float(measures[name])
            risk[name] = None if np.isnan(value) else value
    for level in JCL_LEVELS:
        risk[f"jcl{round(100 * level)}_budget_usd"] = (
            joint_confidence_budget(cost, years, deadline, level) if deadline else None
        )
    if plan.get("fleet_size") is None and deadline:
        risk["note"] = (
            "fleet is solved for the deadline, so the fleet's collection ends on it; years exceed "
            "it only when another pathway delivers late. See robots_needed."
        )
    return risk
