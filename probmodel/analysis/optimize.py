"""Choose a plan under uncertainty: minimise a risk measure subject to chance constraints.

The candidates are the plans of a sweep grid, each scored on the same posterior draws. The chosen
plan minimises the objective (say P80 net cost) among plans that meet every chance constraint
(say P(years <= deadline) >= 0.8 and P(success >= target) >= 0.7). How robust the choice is
gets two numbers: how often the same plan is chosen when the posterior draws are resampled
(bootstrap: is the choice an artefact of Monte Carlo noise?), and how often it is the cheapest of
the best few feasible plans draw by draw (would it still be best in the world that comes true?).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from probmodel.analysis.risk import risk_events
from probmodel.analysis.sweep import STAT_DESCRIPTIONS, sweep
from probmodel.errors import InvalidArgumentError
from probmodel.specs.scenario import Scenario

OBJECTIVES = {
    "cost_p50": ("cost_net_usd", 0.5),
    "cost_p80": ("cost_net_usd", 0.8),
    "cost_p90": ("cost_net_usd", 0.9),
    "years_p50": ("years", 0.5),
    "years_p80": ("years", 0.8),
}
"""Risk measures the optimiser can minimise: (outcome, quantile)."""
ALIASES = {
    "on_time": "p_on_time",
    "success": "p_success_at_least_target",
    "within_budget": "p_cost_within_budget",
    "joint": "p_cost_and_years_within",
}
CONSTRAINT = re.compile(r"^\s*([a-z_]+)\s*>=\s*([0-9.]+)\s*$")
N_BOOTSTRAP = 200
TOP_K = 5


def parse_constraint(text: str) -> tuple[str, float]:
    """``"p_on_time>=0.8"`` (or an alias: on_time, success, within_budget, joint) -> (name, level)."""
    match = CONSTRAINT.match(text)
    allowed = sorted({*ALIASES, *(k for k in STAT_DESCRIPTIONS if k.startswith("p_"))})
    if not match:
        raise InvalidArgumentError(
            f"constraint {text!r}: write NAME>=LEVEL, e.g. on_time>=0.8. Names: {', '.join(allowed)}."
        )
    name, level = ALIASES.get(match.group(1), match.group(1)), float(match.group(2))
    if name not in STAT_DESCRIPTIONS or not name.startswith("p_"):
        raise InvalidArgumentError(
            f"constraint {text!r}: {match.group(1)!r} is not a probability the sweep gives. "
            f"Names: {', '.join(allowed)}."
        )
    if not 0 <= level <= 1:
        raise InvalidArgumentError(f"constraint {text!r}: the level must be in [0, 1].")
    return name, level


def optimize(
    run,
    scenario: Scenario,
    axes: Mapping[str, Any],
    objective: str = "cost_p80",
    constraints: Mapping[str, float] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The plan of the grid that minimises ``objective`` subject to ``constraints``.

    Parameters
    ----------
    run : probmodel.sampling.Run
    scenario : Scenario
        The base plan the grid varies.
    axes : mapping
        Sweep axes (see :func:`probmodel.analysis.sweep.parse_axis`).
    objective : str
        One of :data:`OBJECTIVES`.
    constraints : mapping of probability name -> minimum level
        E.g. ``{"p_on_time": 0.8, "p_success_at_least_target": 0.7}``; a constraint whose
        limit the plan does not set (no deadline, say) is an error.
    seed : int
        Seeds the bootstrap.

    Returns
    -------
    dict
        ``best`` (plan variables and measures), ``runners_up``, ``n_feasible``, ``robustness``
        (``bootstrap_same_choice``, ``cheapest_of_top_k_draws``, ``k``), or ``best = None`` with
        the closest plans when none is feasible.
    """
    if objective not in OBJECTIVES:
        raise InvalidArgumentError(f"objective = {objective!r}: allowed {', '.join(OBJECTIVES)}.")
    constraints = dict(constraints or {})
    ds = sweep(run, scenario, axes, keep_draws=True)
    dims = [d for d in ds.dims if d != "sample"]
    flat = ds.stack(plan=dims).transpose("plan", "sample")
    for name in constraints:
        if np.all(np.isnan(flat[name].values)):
            raise InvalidArgumentError(
                f"constraint on {name}: the plan sets no limit for it (budget, deadline or "
                "performance target); add it to the scenario or sweep it."
            )
    ok = np.ones(flat.sizes["plan"], dtype=bool)
    for name, level in constraints.items():
        ok &= flat[name].values >= level
    value = flat[objective].values
    result: dict[str, Any] = {
        "scenario": scenario.name,
        "objective": objective,
        "constraints": constraints,
        "n_plans": int(ok.size),
        "n_feasible": int(ok.sum()),
        "n_draws": int(flat.sizes["sample"]),
    }
    if not ok.any():
        slack = sum(
            np.clip(level - np.nan_to_num(flat[n].values), 0, None)
            for n, level in constraints.items()
        )
        result["best"] = None
        result["closest"] = [_row(flat, i, dims) for i in np.argsort(slack)[:TOP_K]]
        return result
    feasible = np.flatnonzero(ok)
    order = feasible[np.argsort(value[feasible])]
    best = int(order[0])
    result["best"] = _row(flat, best, dims)
    result["runners_up"] = [_row(flat, int(i), dims) for i in order[1:TOP_K]]
    result["robustness"] = _robustness(flat, scenario, order, objective, constraints, seed)
    return result


def _row(flat: xr.Dataset, i: int, dims: list[str]) -> dict[str, Any]:
    point = flat.isel(plan=i)
    row = {d: float(point[d]) for d in dims}
    row.update({k: float(point[k]) for k in STAT_DESCRIPTIONS})
    return row


def _robustness(flat, scenario, order, objective, constraints, seed) -> dict[str, Any]:
    """Bootstrap stability of the choice and its draw-by-draw standing among the top plans."""
    outcome, q = OBJECTIVES[objective]
    draws = flat[f"{outcome}_draws"].values
    candidates = order[: max(TOP_K * 5, 25)]  # the best feasible plans contest each resample
    rng = np.random.default_rng(seed)
    n = draws.shape[1]
    same = 0
    best = order[0]
    limits = _constraint_draws(flat, scenario, constraints)
    for _ in range(N_BOOTSTRAP):
        idx = rng.integers(0, n, n)
        score = np.quantile(draws[candidates][:, idx], q, axis=1)
        feasible = np.ones(candidates.size, dtype=bool)
        for indicator, level in limits:
            feasible &= indicator[candidates][:, idx].mean(axis=1) >= level
        if feasible.any() and candidates[feasible][np.argmin(score[feasible])] == best:
            same += 1
    top = order[:TOP_K]
    wins = np.argmin(flat["cost_net_usd_draws"].values[top], axis=0) == 0
    return {
        "bootstrap_same_choice": same / N_BOOTSTRAP,
        "n_bootstrap": N_BOOTSTRAP,
        "cheapest_of_top_k_draws": float(wins.mean()),
        "k": int(top.size),
    }


def _constraint_draws(flat, scenario, constraints) -> list[tuple[np.ndarray, float]]:
    """Per-draw indicators behind each chance constraint (plans x draws), for resampling: the
    events of :func:`probmodel.analysis.risk.risk_events`, so a constraint means what the
    sweep's probability means."""

    def limit(name):
        if name in flat.coords:
            return flat[name].values
        return getattr(scenario.plan, name)

    events = risk_events(
        flat["cost_net_usd_draws"].values,
        flat["years_draws"].values,
        flat["success_rate_draws"].values,
        limit("budget_usd"),
        limit("deadline_years"),
        limit("performance_target"),
    )
    return [(events[name], level) for name, level in constraints.items()]


