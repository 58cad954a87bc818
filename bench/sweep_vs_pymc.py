"""Benchmark: a 1,000-plan sweep over the posterior draws (`probmodel sweep`) against re-evaluating
each plan through PyMC (rebuild the model for the plan, then `pm.sample_posterior_predictive` of
its outcome Deterministics on the same draws), measured in one process.

    .venv/bin/python bench/sweep_vs_pymc.py [RUN.nc] [--pymc-plans 3]

The PyMC path takes seconds per plan, so it is timed on a few plans of the grid and its per-plan
time is multiplied by the grid size; the script prints both the measured and the extrapolated
figures and says which is which. Both paths are checked to give the same numbers.
"""

import argparse
import time

import numpy as np
import pymc as pm

import probmodel as pmod
from probmodel.analysis.sweep import DEFAULT_GRID, parse_axis, sweep
from probmodel.model import build_model

OUTCOMES = ["cost_net_usd", "years", "success_rate"]

parser = argparse.ArgumentParser()
parser.add_argument("run", nargs="?", default="results/seed-cotrain.nc")
parser.add_argument("--pymc-plans", type=int, default=3)
args = parser.parse_args()

run = pmod.load_run(args.run)
scenario = pmod.api.Library.open().scenario(run.name)
post = run.tree["posterior"].to_dataset()
n_draws = post.sizes["chain"] * post.sizes["draw"]

started = time.perf_counter()
grid = sweep(run, scenario, DEFAULT_GRID, keep_draws=True)
sweep_s = time.perf_counter() - started
n_plans = grid.attrs["n_plans"]

axes = {name: parse_axis(name, spec) for name, spec in DEFAULT_GRID.items()}
rng = np.random.default_rng(0)
pymc_s, worst = [], 0.0
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
    ours = grid.sel(point)
    for name in OUTCOMES:
        theirs = pp.posterior_predictive[name].values.ravel()
        mine = ours[f"{name}_draws"].values.ravel()
        worst = max(worst, float(np.max(np.abs(theirs - mine) / np.maximum(np.abs(mine), 1e-300))))

per_plan = float(np.mean(pymc_s))
print(f"run: {args.run} ({n_draws:,} posterior draws)")
print(f"sweep, {n_plans:,} plans x {n_draws:,} draws (NumPy, vectorised): {sweep_s:.2f} s measured")
print(
    f"PyMC per plan (build + sample_posterior_predictive of {', '.join(OUTCOMES)}): "
    f"{per_plan:.2f} s measured (mean of {len(pymc_s)} plans: "
    f"{', '.join(f'{s:.2f}' for s in pymc_s)} s)"
)
print(f"PyMC for all {n_plans:,} plans: {per_plan * n_plans / 60:.1f} min extrapolated")
print(f"ratio (PyMC / sweep, same plans and draws): {per_plan * n_plans / sweep_s:,.0f}x")
print(f"largest relative difference between the two paths: {worst:.1e}")
