"""Sweeps: a grid of plans scored on one posterior, without re-sampling.

Every plan of the grid is evaluated on every posterior draw with the shared outcome equations,
vectorised: plan variables become arrays along a ``plan`` axis that broadcast against the draws.
The result is an ``xarray.Dataset`` with one dimension per swept plan variable and risk measures
as variables (P50/P80 net cost, P(on time), P(success >= target), joint confidence...), ready to
save and to plot as heat maps. Draws of cost, years and success can be kept for the optimiser.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from probmodel.analysis.risk import RISK_MEASURES, risk_measures
from probmodel.equations import NEW_DEPLOYMENT, PLAN_VARIABLES, WORLD_PARAMETERS, Plan, outcomes
from probmodel.errors import InvalidArgumentError
from probmodel.progress import Progress, counter
from probmodel.specs.scenario import Scenario

SWEEPABLE = {
    name: f"{v.label} [{v.unit}]" for name, v in PLAN_VARIABLES.items() if v.sweepable
}
"""Plan variables a sweep may vary, with units."""

DEFAULT_GRID = {
    "fleet_size": "500:20000:10:log",
    "real_share": "0.1:1:10",
    "sites": "10:10000:5:log",
    "deadline_years": "3,5",
}
"""1,000 plans: fleet size x real share x sites x deadline."""

KEPT = ("cost_net_usd", "years", "success_rate")
"""Outcomes whose draws a sweep can keep (for the optimiser's robustness check)."""


def parse_axis(name: str, spec: str | list | Mapping) -> np.ndarray:
    """Values of one sweep axis.

    ``spec`` is ``"a,b,c"``, ``"start:stop:num"`` (evenly spaced, both ends included),
    ``"start:stop:num:log"`` (log-spaced), a list of numbers, or a table with ``start``, ``stop``,
    ``num`` and optional ``log`` (as in a grid file). A variable that counts whole things
    (:attr:`probmodel.equations.PlanVariable.integer`: fleet size, sites, embodiments) takes
    whole numbers: a spaced grid is rounded to them (duplicates dropped, so it may hold fewer
    than ``num`` values); listed values must be whole.
    """
    where = f"sweep axis {name} = {spec!r}"
    if name not in SWEEPABLE:
        from probmodel.errors import did_you_mean

        raise InvalidArgumentError(
            f"{where}: not a plan variable a sweep can vary. Allowed: {', '.join(SWEEPABLE)}."
            f"{did_you_mean(name, list(SWEEPABLE))}"
        )
    try:
        if isinstance(spec, Mapping):
            values = _spaced(spec["start"], spec["stop"], spec["num"], spec.get("log", False))
        elif isinstance(spec, list | tuple):
            values = np.array([float(v) for v in spec])
        elif ":" in str(spec):
            parts = str(spec).split(":")
            if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "log"):
                raise ValueError
            values = _spaced(float(parts[0]), float(parts[1]), int(parts[2]), len(parts) == 4)
        else:
            values = np.array([float(v) for v in str(spec).split(",")])
    except InvalidArgumentError as err:
        raise InvalidArgumentError(f"{where}: {err}") from None
    except (KeyError, ValueError, TypeError, OverflowError):
        raise InvalidArgumentError(
            f"{where}: give 'a,b,c', 'start:stop:num', 'start:stop:num:log' or a list of numbers."
        ) from None
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise InvalidArgumentError(f"{where}: needs at least one finite value.")
    if PLAN_VARIABLES[name].integer:
        spaced = isinstance(spec, Mapping) or (
            not isinstance(spec, list | tuple) and ":" in str(spec)
        )
        if spaced:  # a spaced grid over a count: the nearest whole numbers, each once
            values = np.unique(np.round(values))
        elif not np.all(values == np.round(values)):
            raise InvalidArgumentError(
                f"{where}: {name} counts {PLAN_VARIABLES[name].unit}, so its values must be whole "
                "numbers (a spaced grid 'start:stop:num[:log]' is rounded to whole numbers)."
            )
    return values


MAX_PLANS = 1_000_000
"""Largest grid a sweep scores (plans, the product of the axis lengths): a million plans by
4,000 draws is already ~10 minutes of work."""


def _spaced(start, stop, num, log) -> np.ndarray:
    if isinstance(num, float) and not num.is_integer():
        raise ValueError
    num = int(num)
    if num < 1:
        raise ValueError
    if num > MAX_PLANS:
        raise InvalidArgumentError(f"an axis of {num:,} values; at most {MAX_PLANS:,} plans in all.")
    if log:
        if start <= 0 or stop <= 0:
            raise ValueError
        return np.geomspace(float(start), float(stop), num)
    return np.linspace(float(start), float(stop), num)


def read_grid_file(path: str | Path) -> dict[str, Any]:
    """The ``[grid]`` table of a TOML grid file (axis name -> spec)."""
    from probmodel.io import read_toml

    table = read_toml(Path(path))
    grid = table.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise InvalidArgumentError(
            f'{path}: needs a [grid] table, e.g. [grid] fleet_size = "500:20000:10:log".'
        )
    return grid


def check_grid(scenario: Scenario, axes: Mapping[str, np.ndarray]) -> None:
    """Check that every value along every axis gives a valid plan (one axis at a time, by the
    scenario's own plan validation) and that share axes never add up to more than 1."""
    for name, values in axes.items():
        for v in np.unique(values):
            scenario.with_plan(**{name: float(v)})
    share_axes = [a for a in ("real_share", "video_share", "world_model_share") if a in axes]
    if len(share_axes) > 1:
        fixed = sum(
            getattr(scenario.plan, a)
            for a in ("real_share", "video_share", "world_model_share")
            if a not in axes
        )
        worst = fixed + sum(float(np.max(axes[a])) for a in share_axes)
        if worst > 1 + 1e-9:
            raise InvalidArgumentError(
                f"sweep axes {', '.join(share_axes)}: their largest values add up to {worst:g}; "
                "shares of raw tokens must add up to at most 1."
            )


def sweep(
    run,
    scenario: Scenario,
    axes: Mapping[str, Any],
    keep_draws: bool = False,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Score a grid of variations of ``scenario``'s plan on ``run``'s posterior draws.

    Parameters
    ----------
    run : probmodel.sampling.Run
        Its posterior draws are the world the plans are scored in.
    scenario : Scenario
        The base plan; the axes replace some of its variables.
    axes : mapping of plan variable -> values or spec (see :func:`parse_axis`)
    keep_draws : bool
        Also return the draws of net cost, years and success per plan (``*_draws`` variables
        with a ``sample`` dimension), as the optimiser's robustness check needs.
    chunk_size : int, optional
        Plans evaluated at once (bounds memory: each chunk holds ~40 arrays of
        ``chunk_size x draws`` floats). Default: about 8M floats per chunk, 50 plans of 4,000
        draws. Measured on a 1,000-plan sweep of a 4,000-draw run: 250-plan chunks peaked at 719 MiB
        in 1.8-2.2 s, 50-plan chunks at 310 MiB in 1.0-1.1 s (the process holds 207 MiB before).
    progress : callable, optional
        ``progress(step, done, total)`` after each chunk, counting plans scored
        (:mod:`probmodel.progress`).

    Returns
    -------
    xarray.Dataset
        Dimensions are the axes; variables are risk measures of each plan (net cost P50/P80/P90,
        P(cost <= budget), P(years <= deadline), P(success >= target), joint confidence, success
        P10/P50/P90, years P50/P80) with units in their ``description`` attributes.
    """

    if not axes:
        raise InvalidArgumentError("a sweep needs at least one axis.")
    values = {name: parse_axis(name, spec) for name, spec in axes.items()}
    n_plans = math.prod(v.size for v in values.values())
    if n_plans > MAX_PLANS:
        sizes = " x ".join(f"{n} {v.size:,}" for n, v in values.items())
        raise InvalidArgumentError(
            f"a grid of {n_plans:,} plans ({sizes}); at most {MAX_PLANS:,} are scored. Use fewer "
            "values per axis, or several sweeps."
        )
    check_grid(scenario, values)
    post = run.tree["posterior"].to_dataset()
    names = [n for n in (*WORLD_PARAMETERS, *NEW_DEPLOYMENT) if n in post]
    world = {n: post[n].values.reshape(1, -1) for n in names}
    world.update({k: v for k, v in run.constants.items() if k not in world})
    n_draws = next(iter(world.values())).size if names else 1

    shape = tuple(v.size for v in values.values())
    points = list(itertools.product(*values.values()))
    n_plans = len(points)
    chunk = chunk_size or max(1, int(8e6 // (40 * max(n_draws, 1))))
    base = scenario.plan
    stats: dict[str, np.ndarray] = {}
    kept = {name: np.empty((n_plans, n_draws)) for name in KEPT} if keep_draws else {}
    advance = counter(progress, f"scoring {n_plans:,} plans on {n_draws:,} draws", n_plans)
    for start in range(0, n_plans, chunk):
        block = points[start : start + chunk]
        columns = {
            name: np.array([p[i] for p in block], dtype=float).reshape(-1, 1)
            for i, name in enumerate(values)
        }
        plan = dataclasses.replace(base, **columns)
        out = outcomes(world, plan)
        cost = np.broadcast_to(out["cost_net_usd"], (len(block), n_draws))
        years = np.broadcast_to(out["years"], (len(block), n_draws))
        success = np.broadcast_to(out["success_rate"], (len(block), n_draws))
        for key, value in _plan_stats(plan, cost, years, success).items():
            stats.setdefault(key, np.empty(n_plans))[start : start + len(block)] = value
        for name, array in zip(KEPT, (cost, years, success), strict=True):
            if keep_draws:
                kept[name][start : start + len(block)] = array
        advance(len(block))

    dims = tuple(values)
    coords = {name: (name, v, {"description": SWEEPABLE[name]}) for name, v in values.items()}
    data = {
        key: (dims, array.reshape(shape), {"description": STAT_DESCRIPTIONS[key]})
        for key, array in stats.items()
    }
    for name, array in kept.items():
        data[f"{name}_draws"] = ((*dims, "sample"), array.reshape(*shape, n_draws))
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        {
            "probmodel_sweep_of": scenario.name,
            "probmodel_run_config_hash": run.config_hash,
            "n_draws": n_draws,
            "n_plans": n_plans,
            "cost_measure": "net cost (total less the value of a deployed fleet's paid work)",
        }
    )
    return ds


STAT_DESCRIPTIONS = RISK_MEASURES
"""Per-plan statistics a sweep stores (the risk measures of :mod:`probmodel.analysis.risk`)."""


def _plan_stats(plan: Plan, cost, years, success) -> dict[str, np.ndarray]:
    """Risk measures per plan (rows) over draws (columns); NaN where the plan sets no limit."""
    return risk_measures(
        cost, years, success, plan.budget_usd, plan.deadline_years, plan.performance_target
    )


