"""Benchmark: a 1,000-plan sweep over the posterior draws (`probmodel sweep`) against the fairest
baseline a PyMC/PyTensor user would write, measured in one process.

    .venv/bin/python bench/sweep_vs_pymc.py [RUN.nc] [--repeats 5] [--pymc-plans 3]

* **Fair baseline: one PyTensor graph compiled once.** The outcome equations
  (:func:`probmodel.equations.outcomes`, the functions the model itself uses) built once on
  symbolic inputs: the posterior draws of the world parameters (vectors over draws) and the swept
  plan variables (vectors over plans, broadcast against the draws), compiled with
  ``pytensor.function`` (default C backend), then called on the grid in chunks of the same size as
  the sweep's, and the same risk measures (:func:`probmodel.analysis.risk.risk_measures`) taken
  on its draws. Compile time is reported apart from evaluation.
* **Worst case, not the fair comparison:** re-evaluating each plan through PyMC (rebuild the model
  for the plan, then ``pm.sample_posterior_predictive`` of its outcome Deterministics, which loops
  over draws in Python). It takes seconds per plan, so it is timed on ``--pymc-plans`` plans and
  extrapolated to the grid; the output says which figures are extrapolated.

Ours and the fair baseline are timed in ``--repeats`` interleaved repeats (medians; a shared
machine's load hits both alike); the load average is printed before and after. Three ratios,
baseline / ours: including the baseline's compile, evaluation alone (graph calls + risk measures
against the whole sweep), and the equations alone (graph calls against the sweep's own calls of
``outcomes`` in NumPy, timed inside it). All paths are checked to agree (largest relative difference). The last line
is a one-line summary to paste into ``bench/RESULTS.md``.
"""

import argparse
import dataclasses
import itertools
import os
import statistics
import time

import numpy as np

import probmodel as pmod
import probmodel.analysis.sweep as sweep_module
from probmodel.analysis.risk import risk_measures
from probmodel.analysis.sweep import DEFAULT_GRID, parse_axis, sweep
from probmodel.equations import NEW_DEPLOYMENT, WORLD_PARAMETERS, outcomes

OUTCOMES = ["cost_net_usd", "years", "success_rate"]

parser = argparse.ArgumentParser()
parser.add_argument("run", nargs="?", default="results/seed-cotrain.nc")
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--pymc-plans", type=int, default=3, help="0 skips the PyMC worst case")
args = parser.parse_args()

load_before = os.getloadavg()
print(f"load average before (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_before)} "
      f"on {os.cpu_count()} cores")  # fmt: skip
run = pmod.load_run(args.run)
scenario = pmod.api.Library.open().scenario(run.name)
post = run.tree["posterior"].to_dataset()
names = [n for n in (*WORLD_PARAMETERS, *NEW_DEPLOYMENT) if n in post]
draws = {n: np.ascontiguousarray(post[n].values.reshape(-1), dtype=float) for n in names}
constants = {k: float(v) for k, v in run.constants.items() if k not in draws}
n_draws = next(iter(draws.values())).size
axes = {name: parse_axis(name, spec) for name, spec in DEFAULT_GRID.items()}
points = np.array(list(itertools.product(*axes.values())))  # the sweep's order of plans
n_plans = len(points)
chunk = max(1, int(8e6 // (40 * n_draws)))  # the sweep's default chunk of plans


def compile_baseline():
    """The outcome equations as one PyTensor graph of (world draws, plan columns), compiled."""
    import pytensor
    import pytensor.tensor as pt

    world_in = {n: pt.vector(n) for n in names}
    plan_in = {a: pt.vector(a) for a in axes}
    w = {n: v[None, :] for n, v in world_in.items()}
    w.update(constants)
    plan = dataclasses.replace(scenario.plan, **{a: v[:, None] for a, v in plan_in.items()})
    out = outcomes(w, plan)
    shape = (plan_in[next(iter(axes))].shape[0], world_in[names[0]].shape[0])
    outs = [pt.broadcast_to(out[k], shape) for k in OUTCOMES]
    inputs = [*world_in.values(), *plan_in.values()]  # some draws the three outcomes never use
    return pytensor.function(inputs, outs, on_unused_input="ignore")


def baseline(fn, keep=False):
    """Risk measures of every plan through the compiled graph; (stats, wall seconds and CPU
    seconds in graph calls, or the graph's draws per chunk when ``keep``)."""
    stats, kept, in_graph, in_graph_cpu = {}, [], 0.0, 0.0
    world = [draws[n] for n in names]
    deadline_axis = list(axes).index("deadline_years") if "deadline_years" in axes else None
    for start in range(0, n_plans, chunk):
        block = points[start : start + chunk]
        t, c = time.perf_counter(), time.process_time()
        cost, years, success = fn(*world, *(block[:, i] for i in range(block.shape[1])))
        in_graph += time.perf_counter() - t
        in_graph_cpu += time.process_time() - c
        base = scenario.plan
        deadline = block[:, deadline_axis] if deadline_axis is not None else base.deadline_years
        measures = risk_measures(
            cost, years, success, base.budget_usd, deadline, base.performance_target
        )
        for key, value in measures.items():
            stats.setdefault(key, np.empty(n_plans))[start : start + len(block)] = value
        if keep:
            kept.append((cost, years, success))
    return stats, in_graph, kept if keep else in_graph_cpu


in_sweep = [0.0, 0.0]  # wall and CPU seconds the sweep spends in outcomes(), summed over chunks


def timed_outcomes(w, plan):
    """The sweep's own ``outcomes`` call, timed where it happens (a call outside the sweep,
    on freshly freed memory, measured ~30% slower than the same call inside it)."""
    t, c = time.perf_counter(), time.process_time()
    out = outcomes(w, plan)
    in_sweep[0] += time.perf_counter() - t
    in_sweep[1] += time.process_time() - c
    return out


sweep_module.outcomes = timed_outcomes


# Warm-up, not timed: first calls of both paths (imports; PyTensor's first compile in a process,
# which fills its disk cache, so the compiles timed below are those of a warm cache).
sweep(run, scenario, {a: "1,2" if a != "real_share" else "0.5,1" for a in axes})
t = time.perf_counter()
baseline(compile_baseline())
first_compile = time.perf_counter() - t  # includes one evaluation
times = {k: [] for k in ("ours", "compile", "evaluate", "graph", "ours_equations")}
cpu = {k: [] for k in times}


def clock():
    return time.perf_counter(), time.process_time()


def record(key, since):
    times[key].append(time.perf_counter() - since[0])
    cpu[key].append(time.process_time() - since[1])


for _ in range(args.repeats):  # interleaved
    in_sweep[:] = [0.0, 0.0]
    t = clock()
    grid = sweep(run, scenario, DEFAULT_GRID)
    record("ours", t)
    times["ours_equations"].append(in_sweep[0])
    cpu["ours_equations"].append(in_sweep[1])
    t = clock()
    fn = compile_baseline()
    record("compile", t)
    t = clock()
    stats, in_graph, in_graph_cpu = baseline(fn)
    record("evaluate", t)
    times["graph"].append(in_graph)
    cpu["graph"].append(in_graph_cpu)
med = {k: statistics.median(v) for k, v in times.items()}
med_cpu = {k: statistics.median(v) for k, v in cpu.items()}

def fmt(values):
    return ", ".join(f"{v:.2f}" for v in values)


# Agreement: every risk measure of every plan, and the draws themselves on a few plans.
worst_stats = 0.0
for key, theirs in stats.items():
    mine = grid[key].values.ravel()
    both = np.isfinite(mine) & np.isfinite(theirs)
    assert np.array_equal(np.isfinite(mine), np.isfinite(theirs)), key
    if both.any():
        rel = np.abs(theirs[both] - mine[both]) / np.maximum(np.abs(mine[both]), 1e-300)
        worst_stats = max(worst_stats, float(rel.max()))
kept_grid = sweep(run, scenario, DEFAULT_GRID, keep_draws=True)
_, _, kept = baseline(fn, keep=True)
worst_draws = 0.0
flat = {k: kept_grid[f"{k}_draws"].values.reshape(n_plans, n_draws) for k in OUTCOMES}
for c, (cost, years, success) in enumerate(kept):
    rows = slice(c * chunk, c * chunk + cost.shape[0])
    for k, theirs in zip(OUTCOMES, (cost, years, success), strict=True):
        mine = flat[k][rows]
        rel = np.abs(theirs - mine) / np.maximum(np.abs(mine), 1e-300)
        worst_draws = max(worst_draws, float(rel.max()))


print(f"run: {args.run} ({n_draws:,} posterior draws); grid {n_plans:,} plans "
      f"({' x '.join(f'{a} {v.size}' for a, v in axes.items())}); chunks of {chunk} plans")  # fmt: skip
print(f"measured, medians of {args.repeats} interleaved repeats (wall s | CPU s; both paths are "
      "single-threaded, so on a loaded machine the CPU seconds are the steadier figure):")  # fmt: skip
rows = [
    ("ours", "ours, probmodel sweep (NumPy, whole call)"),
    ("ours_equations", "  of which in outcomes() (timed inside the sweep)"),
    ("compile", "baseline, one PyTensor graph: build + compile (warm disk cache)"),
    ("evaluate", "baseline evaluation (graph calls + the same risk measures)"),
    ("graph", "  of which graph calls alone"),
]
for key, label in rows:
    print(f"  {label}: wall {med[key]:.2f} s ({fmt(times[key])}) | CPU {med_cpu[key]:.2f} s "
          f"({fmt(cpu[key])})")  # fmt: skip
print(f"  the first build + compile in this process, with one evaluation: {first_compile:.2f} s wall")
print(f"agreement with the baseline: largest relative difference {worst_stats:.1e} over every "
      f"risk measure of every plan, {worst_draws:.1e} over every draw of every plan")  # fmt: skip


def ratios(m):
    return (
        (m["compile"] + m["evaluate"]) / m["ours"],
        m["evaluate"] / m["ours"],
        m["graph"] / m["ours_equations"],
    )


incl, evaluation, equations = ratios(med)
incl_cpu, evaluation_cpu, equations_cpu = ratios(med_cpu)
print("ratios, baseline / ours (medians; > 1 means ours is faster), wall | CPU:")
print(f"  including the baseline's compile: {incl:.2f}x | {incl_cpu:.2f}x")
print(f"  evaluation alone (baseline without compile vs the whole sweep): {evaluation:.2f}x | "
      f"{evaluation_cpu:.2f}x")  # fmt: skip
print(f"  equations alone (graph calls vs the sweep's outcomes() calls): {equations:.2f}x | "
      f"{equations_cpu:.2f}x")  # fmt: skip

pymc_ratio = None
if args.pymc_plans:
    import pymc as pm

    from probmodel.model import build_model

    rng = np.random.default_rng(0)
    pymc_s, worst_pymc = [], 0.0
    for _ in range(args.pymc_plans):
        point = {name: float(rng.choice(values)) for name, values in axes.items()}
        plan_scenario = scenario.with_plan(**point)
        started = time.perf_counter()
        model = build_model(plan_scenario, pmod.load_evidence(plan_scenario))
        free = [v.name for v in model.free_RVs]
        trace = post[free]  # free variables only, so the Deterministics are recomputed for this plan
        pp = pm.sample_posterior_predictive(
            trace, model=model, var_names=OUTCOMES, progressbar=False, random_seed=1
        )
        pymc_s.append(time.perf_counter() - started)
        mine_plan = kept_grid.sel(point)
        for name in OUTCOMES:
            theirs = pp.posterior_predictive[name].values.ravel()
            mine = mine_plan[f"{name}_draws"].values.ravel()
            rel = np.abs(theirs - mine) / np.maximum(np.abs(mine), 1e-300)
            worst_pymc = max(worst_pymc, float(rel.max()))
    per_plan = float(np.mean(pymc_s))
    pymc_ratio = per_plan * n_plans / med["ours"]
    print(
        "worst case, NOT the fair comparison: PyMC per plan (rebuild the model + "
        f"sample_posterior_predictive, a Python loop over draws): {per_plan:.2f} s/plan measured "
        f"(mean of {len(pymc_s)} plans: {fmt(pymc_s)} s) -> {per_plan * n_plans / 60:.1f} min for "
        f"{n_plans:,} plans extrapolated; ratio {pymc_ratio:,.0f}x (extrapolated); largest "
        f"relative difference from the sweep {worst_pymc:.1e}"
    )

load_after = os.getloadavg()
print(f"load average after (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_after)}")
print(f"SUMMARY sweep {n_plans:,} plans x {n_draws:,} draws vs one PyTensor graph compiled once, "
      f"medians of {args.repeats} interleaved (measured), wall | CPU: incl. compile {incl:.2f}x | "
      f"{incl_cpu:.2f}x, evaluation alone {evaluation:.2f}x | {evaluation_cpu:.2f}x, equations "
      f"alone {equations:.2f}x | {equations_cpu:.2f}x; max rel diff "
      f"{max(worst_stats, worst_draws):.1e}"
      + (f"; worst case PyMC per plan {pymc_ratio:,.0f}x (extrapolated)" if pymc_ratio else "")
      + f"; load {load_before[0]:.1f} -> {load_after[0]:.1f}")  # fmt: skip
