"""Commands that score plans on a run's posterior: ``plans``, ``sweep`` and ``optimize``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from probmodel.cli.common import (
    PLAN_OPTIONAL,
    SEED,
    Parents,
    echo,
    flag_diagnostics,
    progress_shown,
    strict_exit,
    table,
)
from probmodel.errors import InvalidArgumentError
from probmodel.progress import stage


def register(sub, p: Parents) -> None:
    """Add this module's commands to the ``probmodel`` parser."""
    s = sub.add_parser(
        "plans", parents=[p.priors, p.strict, p.json, p.wide],
        help="score scenarios' plans on one saved run's posterior: cost, years, success side by side",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("scenarios", nargs="*", help="scenario names (default: every scenario)")
    s.set_defaults(handler=cmd_plans)

    grid_help = (
        "a sweep axis NAME=SPEC: 'a,b,c', 'start:stop:num' or 'start:stop:num:log' over a plan "
        "variable (fleet_size, real_share, sites, deadline_years, ...); repeatable"
    )
    s = sub.add_parser(
        "sweep", parents=[p.priors, p.strict, p.wide],
        help="score a grid of plans on a saved run's posterior (no re-sampling) and save it",
        description="Score a grid of plans on a saved run's posterior draws (no re-sampling) and "
        "save the risk measures of each plan. Takes ~6-15 s for the default 1,000-plan grid on a "
        "4,000-draw run (2 shared cores), most of it loading; progress on stderr.",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("--grid", action="append", metavar="NAME=SPEC", help=grid_help)
    s.add_argument("--grid-file", type=Path, help="a TOML file with a [grid] table of axes")
    s.add_argument("--scenario", help="vary this scenario's plan (default: the run's)")
    s.add_argument("--out", type=Path, help="results file (default: RUN-sweep.nc beside RUN)")
    s.add_argument(
        "--figures", type=Path,
        help="folder for heat maps of P80 cost, P(on time) and P(success >= target) over the "
        "first two axes (the others at their middle values)",
    )  # fmt: skip
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    s.set_defaults(handler=cmd_sweep)

    s = sub.add_parser(
        "optimize", parents=[p.priors, p.strict, p.json, p.wide],
        help="the plan of a grid that minimises a risk measure subject to chance constraints",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("--grid", action="append", metavar="NAME=SPEC", help=grid_help)
    s.add_argument("--grid-file", type=Path, help="a TOML file with a [grid] table of axes")
    s.add_argument("--scenario", help="vary this scenario's plan (default: the run's)")
    s.add_argument(
        "--minimize", default="cost_p80",
        help="risk measure: cost_p50, cost_p80, cost_p90, years_p50, years_p80 (cost_p80)",
    )  # fmt: skip
    s.add_argument(
        "--require", action="append", metavar="NAME>=LEVEL",
        help="chance constraint, e.g. on_time>=0.8, success>=0.7, within_budget>=0.8, "
        "joint>=0.7 (repeatable; default: on_time>=0.8 and success>=0.8, for the scenario's "
        "deadline and performance target, where it sets them)",
    )  # fmt: skip
    s.add_argument("--seed", type=SEED, default=0, help="bootstrap seed (0)")
    s.set_defaults(handler=cmd_optimize)

def cmd_plans(args) -> int:
    """``probmodel plans RUN [SCENARIO ...]``: score plans on a saved run's posterior."""
    import json

    import probmodel as pmod
    from probmodel import formatting as fmt
    from probmodel.analysis.plans import plan_rows

    run = pmod.load_run(args.run)
    diagnostics = flag_diagnostics(run)
    lib = pmod.api.Library.open(args.priors)
    names = args.scenarios or lib.scenario_names()
    rows = plan_rows(run, [lib.scenario(n) for n in names])
    if args.json:
        print(json.dumps({"run": run.name, "plans": rows, "diagnostics": diagnostics}, indent=2))
        return strict_exit(args, diagnostics)

    def pct(p):
        return fmt.fmt_pct(p) if p is not None else "—"

    table(
        f"Plans scored on the posterior of {run.name} ({run.tree['posterior'].sizes['draw']} draws "
        "per chain; same draws for every plan)",
        ["scenario", "cost P50", "cost P80", "P(<=budget)", "years P50", "years P80",
         "success P10-P90", "P(>=target)"],
        [
            (
                r["scenario"] + (" *" if r["prior_overrides"] else ""),
                fmt.fmt_usd(r["cost_p50"]), fmt.fmt_usd(r["cost_p80"]),
                pct(r["p_cost_within_budget"]),
                fmt.fmt_number(r["years_p50"]), fmt.fmt_number(r["years_p80"]),
                f"{fmt.fmt_pct(r['success_p10'])}-{fmt.fmt_pct(r['success_p90'])}",
                pct(r["p_success_at_least_target"]),
            )
            for r in rows
        ],
        keep_first=True,
        optional=PLAN_OPTIONAL,
    )  # fmt: skip
    if any(r["prior_overrides"] for r in rows):
        echo(
            "* the scenario overrides priors; only its plan is scored here (its own run applies both)."
        )
    echo("Cost is net of a deployed fleet's paid work; success is on unseen tasks.")
    return strict_exit(args, diagnostics)


def grid_from_args(args, default: Mapping[str, Any]):
    """The run, the scenario whose plan is varied and the sweep axes of a ``sweep`` or
    ``optimize`` command line (``--grid NAME=SPEC`` over ``--grid-file``, else ``default``)."""
    import probmodel as pmod
    from probmodel.analysis.sweep import read_grid_file

    run = pmod.load_run(args.run)
    scenario = pmod.api.Library.open(args.priors).scenario(args.scenario or run.name)
    axes: dict[str, Any] = dict(read_grid_file(args.grid_file)) if args.grid_file else {}
    for item in args.grid or []:
        if "=" not in item:
            raise InvalidArgumentError(
                f"--grid {item!r}: write NAME=SPEC, e.g. --grid fleet_size=500:20000:10:log."
            )
        name, spec = item.split("=", 1)
        axes[name.strip()] = spec.strip()
    return run, scenario, axes or dict(default)


def cmd_sweep(args) -> int:
    """``probmodel sweep RUN [--grid NAME=SPEC ...] [--grid-file F] [--scenario S] --out F``."""
    import time

    from probmodel.analysis.sweep import DEFAULT_GRID, sweep
    from probmodel.io import check_output, write_dataset

    run, scenario, axes = grid_from_args(args, DEFAULT_GRID)
    out = args.out or args.run.with_name(f"{run.name}-sweep.nc")
    check_output(out, "--out", [args.run, args.grid_file, scenario.file])  # before any work
    diagnostics = flag_diagnostics(run)
    started = time.perf_counter()
    with progress_shown(args) as progress:
        ds = sweep(run, scenario, axes, progress=progress)
    elapsed = time.perf_counter() - started
    # The saved sweep carries the verdict of the posterior it was scored on.
    ds.attrs["run_diagnostics"] = json.dumps(diagnostics)
    write_dataset(ds, out)
    echo(
        f"scored {ds.attrs['n_plans']:,} plans x {ds.attrs['n_draws']:,} posterior draws in "
        f"{elapsed:.2f} s; saved {out}"
    )
    _print_best(ds, _swept_target(ds, scenario))
    if args.figures and len(ds.dims) >= 2:
        from probmodel.io import write_figure
        from probmodel.report.decision_plots import sweep_heatmap

        x, y = list(ds.dims)[:2]
        for variable in ("cost_p80", "p_on_time", "p_success_at_least_target"):
            path = write_figure(sweep_heatmap(ds, variable, x, y), args.figures / f"{variable}.png")
            echo(f"wrote {path}")
    return strict_exit(args, diagnostics)


CONFIDENCE = 0.8
"""The confidence at which a recommended plan must finish by its deadline and reach its
performance target (the default chance constraints of ``optimize`` and sweep's shortlist)."""


def _print_best(ds, target: float | None) -> None:
    """The plans with the lowest P80 cost among those on time and reaching the performance
    target with 80% confidence; when none reaches the target, those on time, each marked."""
    import numpy as np
    import xarray as xr

    from probmodel import formatting as fmt

    flat = ds[[v for v in ds.data_vars if not v.endswith("_draws")]].stack(plan=list(ds.dims))
    on_time = flat["p_on_time"] >= CONFIDENCE if "p_on_time" in flat else xr.ones_like(flat["cost_p80"])
    on_time = on_time.fillna(True).astype(bool)
    reach = flat["p_success_at_least_target"] >= CONFIDENCE
    reach = reach if target is not None else xr.ones_like(reach, dtype=bool)
    conf = fmt.fmt_pct(CONFIDENCE)
    goal = f"success >= target {fmt.fmt_share(target)}" if target is not None else None
    candidates = flat.where(on_time & reach, drop=True)
    if candidates.sizes.get("plan", 0):
        need = f"on time and {goal}" if goal else "on time"
        echo(f"lowest P80 cost among plans {need} with >= {conf} confidence:")
    else:
        candidates = flat.where(on_time, drop=True)
        if candidates.sizes.get("plan", 0) == 0:
            echo(f"no plan of the grid finishes by its deadline with {conf} confidence.")
            return
        echo(f"no plan of the grid is on time and reaches {goal} with {conf} confidence; "
             f"lowest P80 cost among plans on time with >= {conf} confidence:")  # fmt: skip
    order = np.argsort(candidates["cost_p80"].values)[:5]
    for i in order:
        row = candidates.isel(plan=i)
        plan_text = ", ".join(f"{d}={plan_value(d, float(row[d]))}" for d in ds.dims)
        p_target = float(row["p_success_at_least_target"])
        miss = "" if target is None or p_target >= CONFIDENCE else "  MISSES THE TARGET"
        echo(
            f"  {plan_text}: P80 cost {fmt.fmt_usd(float(row['cost_p80']))}, "
            f"P(on time) {fmt.fmt_pct(float(row['p_on_time']))}, P(success >= target) "
            f"{fmt.fmt_pct(p_target)}{miss}"
        )


def _swept_target(ds, scenario) -> float | None:
    """The performance target of a sweep's plans (``None`` if unset; swept targets count as set)."""
    if "performance_target" in ds.dims:
        return float(ds["performance_target"].min())
    return scenario.plan.performance_target


def plan_value(name: str, value: float) -> str:
    """A plan variable's value as a grid holds it: whole numbers in full for counts (fleet
    size, sites: ``13,275``, not ``13.3k``), others rounded to three significant figures."""
    from probmodel import formatting as fmt
    from probmodel.equations import PLAN_VARIABLES

    variable = PLAN_VARIABLES.get(name)
    if variable is not None and variable.integer and float(value).is_integer():
        return f"{value:,.0f}"
    return fmt.fmt_number(value)


def default_constraints(plan) -> dict[str, float]:
    """``optimize``'s chance constraints when none are given: finish by the plan's deadline and
    reach its performance target, each with 80% confidence (only the limits the plan sets)."""
    out = {}
    if plan.deadline_years:
        out["p_on_time"] = CONFIDENCE
    if plan.performance_target:
        out["p_success_at_least_target"] = CONFIDENCE
    return out


def cmd_optimize(args) -> int:
    """``probmodel optimize RUN [--grid ...] [--minimize cost_p80] [--require on_time>=0.8]``."""
    from probmodel import formatting as fmt
    from probmodel.analysis.optimize import optimize, parse_constraint
    from probmodel.analysis.sweep import DEFAULT_GRID

    # The deadline is a requirement, not a decision: the default grid leaves it out.
    default = {k: v for k, v in DEFAULT_GRID.items() if k != "deadline_years"}
    run, scenario, axes = grid_from_args(args, default)
    diagnostics = flag_diagnostics(run)
    if args.require:
        constraints = dict(parse_constraint(c) for c in args.require)
    else:
        constraints = default_constraints(scenario.plan)
    with progress_shown(args) as progress, stage(progress, "scoring the grid, then choosing"):
        result = optimize(run, scenario, axes, args.minimize, constraints, seed=args.seed)
    if args.json:
        print(json.dumps({**result, "diagnostics": diagnostics}, indent=2, default=float))
        return strict_exit(args, diagnostics)
    need = " and ".join(f"{n} >= {v:g}" for n, v in constraints.items()) or "no constraint"
    if not args.require:
        plan = scenario.plan
        limits = [f"deadline {plan.deadline_years:g} years" if plan.deadline_years else None,
                  f"performance target {fmt.fmt_share(plan.performance_target)}"
                  if plan.performance_target else None]  # fmt: skip
        said = " and ".join(x for x in limits if x) or "no deadline or target"
        echo(f"constraints (default, from {scenario.name}'s {said}, at "
             f"{fmt.fmt_pct(CONFIDENCE)} confidence; --require replaces them): {need}")  # fmt: skip
    echo(
        f"{result['n_feasible']:,} of {result['n_plans']:,} plans meet {need} "
        f"({result['n_draws']:,} posterior draws)."
    )
    if result["best"] is None:
        echo("No plan of the grid meets every constraint; the closest:")
        for row in result["closest"]:
            echo("  " + _describe(row, axes, fmt))
        return strict_exit(args, diagnostics, code=1)
    echo(f"Best by {args.minimize}: " + _describe(result["best"], axes, fmt))
    r = result["robustness"]
    echo(
        f"Robustness: the same plan is chosen in {fmt.fmt_pct(r['bootstrap_same_choice'])} of "
        f"{r['n_bootstrap']} bootstrap resamples of the posterior draws; it is the cheapest of the "
        f"top {r['k']} feasible plans in {fmt.fmt_pct(r['cheapest_of_top_k_draws'])} of draws."
    )
    for row in result["runners_up"]:
        echo("  runner-up: " + _describe(row, axes, fmt))
    return strict_exit(args, diagnostics)


def _describe(row: dict[str, Any], axes, fmt) -> str:
    plan = ", ".join(f"{d} = {plan_value(d, row[d])}" for d in axes)
    return (
        f"{plan}: P80 cost {fmt.fmt_usd(row['cost_p80'])}, P(on time) "
        f"{fmt.fmt_pct(row['p_on_time'])}, P(success >= target) "
        f"{fmt.fmt_pct(row['p_success_at_least_target'])}"
    )

