"""Benchmark: forward Monte Carlo, 1,000,000 prior draws through the outcome equations, with
`probmodel.evaluate.prior_outcomes` against squigglepy on the same priors and equations, measured
in one process.

    .venv/bin/python bench/forward_mc_vs_squigglepy.py [--scenario seed-cotrain]
        [--draws 1000000] [--per-draw 20000] [--repeats 5]

Three timings, interleaved in every repeat so that load on a shared machine hits them alike, each
with wall time and CPU time (``time.process_time``: all threads of the process):

* ours on every core (``prior_outcomes(..., threads=None)``), the default;
* ours on one thread (``threads=1``): the same draws;
* squigglepy vectorised, which is single-threaded (NumPy's samplers and ufuncs do not thread).

Ratios printed (squigglepy / ours, medians): at equal threads (one each, wall), per CPU second
(ours on every core), and wall on every core against squigglepy's one thread. The last line is a
one-line summary to paste into ``bench/RESULTS.md``.

Every prior family maps to the squigglepy distribution with the same parameters, or to an exact
transformation where squigglepy has no such family (``bench/_squiggle.py``).

Squigglepy variants, all evaluating :func:`probmodel.equations.outcomes` on what they sample:

* vectorised: each distribution sampled with ``sq.sample(dist, n)``, then the equations on the
  arrays (the fastest way to use squigglepy here); like ours it draws the new-deployment exponents
  and transfer values from their populations (standard normals, ``bench/_squiggle.py``);
* model function (the README's way for a model with many inputs): a function that draws one value
  of every input with ``~dist`` and returns the outcomes, sampled with ``sq.sample(fn, n)``. It
  runs the equations once per draw, so it is timed on ``--per-draw`` draws and extrapolated
  linearly to ``--draws``; the output says which figures are extrapolated;
* the same with ``cores=2`` (pathos processes).

The two paths are checked to agree: at our P50 and P90 of total cost, years and success rate, the
other path's empirical CDF must be within 4 Monte Carlo standard errors of 0.5 and 0.9.
"""

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import squigglepy as sq
from _squiggle import squiggle_world, with_exponents

from probmodel.equations import NEW_DEPLOYMENT, WORLD_PARAMETERS, outcomes
from probmodel.evaluate import prior_outcomes
from probmodel.specs.library import Library

CHECKED = ["cost_total_usd", "years", "success_rate"]


def squiggle_vectorised(dists: dict, plan, n: int) -> dict:
    values = {k: sq.sample(d, n=n, verbose=False) if sq.is_dist(d) else d for k, d in dists.items()}
    return outcomes(with_exponents(values), plan)


def squiggle_model_function(dists: dict, plan):
    """A squigglepy model function: one draw of every input, the outcomes checked here."""

    def model():
        values = {k: ~d if sq.is_dist(d) else d for k, d in dists.items()}
        out = outcomes(with_exponents(values), plan)
        return tuple(float(out[name]) for name in CHECKED)

    return model


def timed(fn):
    """(result, wall time in seconds)."""
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def timed_cpu(fn):
    """(result, wall seconds, CPU seconds of the process: every thread)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def cdf_gap(ours: np.ndarray, theirs: np.ndarray, p: float) -> tuple[float, float]:
    """Their empirical CDF at our ``p`` quantile, and its distance from ``p`` in standard errors."""
    got = float(np.mean(theirs <= np.quantile(ours, p)))
    se = np.sqrt(p * (1 - p) * (1 / ours.size + 1 / theirs.size))
    return got, abs(got - p) / se


def agreement(label: str, ours: dict, theirs: dict) -> bool:
    ok = True
    for name in CHECKED:
        a, b = np.asarray(ours[name]), np.asarray(theirs[name])
        parts = []
        for p in (0.5, 0.9):
            got, z = cdf_gap(a, b, p)
            ok &= z < 4.0
            parts.append(
                f"P{p * 100:.0f} {np.quantile(a, p):.4g} vs {np.quantile(b, p):.4g} "
                f"(their CDF at ours {got:.4f}, {z:.1f} SE)"
            )
        print(f"  {label}, {name}: {'; '.join(parts)}")
    return ok


parser = argparse.ArgumentParser()
parser.add_argument("--scenario", default="seed-cotrain")
parser.add_argument("--draws", type=int, default=1_000_000)
parser.add_argument("--per-draw", type=int, default=20_000, help="0 skips the model function")
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

load_before = os.getloadavg()
print(f"load average before (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_before)} "
      f"on {os.cpu_count()} cores")  # fmt: skip
scenario = Library.open().scenario(args.scenario)
families = sorted({s.distribution for s in scenario.priors.values()})
print(f"scenario {scenario.name}: {len(WORLD_PARAMETERS)} world parameters ({', '.join(families)})"
      f" + {len(NEW_DEPLOYMENT)} new-deployment values; {args.draws:,} draws")  # fmt: skip
dists = squiggle_world(scenario)
plan, n = scenario.plan, args.draws
sq.set_seed(1)

# Warm-up (first-call costs of both paths: imports, PreliZ for the truncated normal), not timed.
prior_outcomes(scenario, 1000, seed=0)
squiggle_vectorised(dists, plan, 1000)

runs = {
    "ours, every core": lambda: prior_outcomes(scenario, n, seed=2),
    "ours, 1 thread": lambda: prior_outcomes(scenario, n, seed=2, threads=1),
    "squigglepy vectorised (1 thread)": lambda: squiggle_vectorised(dists, plan, n),
}
wall = {k: [] for k in runs}
cpu = {k: [] for k in runs}
results = {}
for _ in range(args.repeats):  # interleaved, so that load on the shared machine hits all alike
    for label, fn in runs.items():
        results[label], w, c = timed_cpu(fn)
        wall[label].append(w)
        cpu[label].append(c)
ours, vec = results["ours, every core"], results["squigglepy vectorised (1 thread)"]
med_wall = {k: statistics.median(v) for k, v in wall.items()}
med_cpu = {k: statistics.median(v) for k, v in cpu.items()}


def fmt(times):
    return ", ".join(f"{t:.2f}" for t in times)


print(f"measured, medians of {args.repeats} interleaved repeats (wall s | CPU s, all threads):")
for label in runs:
    print(f"  {label}: wall {med_wall[label]:.2f} s ({fmt(wall[label])}) | "
          f"CPU {med_cpu[label]:.2f} s ({fmt(cpu[label])})")  # fmt: skip

if args.per_draw:
    model = squiggle_model_function(dists, plan)
    per_draw, one_s = timed(lambda: sq.sample(model, n=args.per_draw, verbose=False))
    workdir = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:  # squigglepy's cores= writes test-core-*.npy to cwd
        os.chdir(tmp)
        two, two_s = timed(lambda: sq.sample(model, n=args.per_draw, cores=2, verbose=False))
        os.chdir(workdir)
    per_draw = {name: per_draw[:, i] for i, name in enumerate(CHECKED)}
    two = np.asarray(two, dtype=float).reshape(-1, len(CHECKED))
    repeated = 1.0 - np.unique(two[:, 0]).size / two.shape[0]
    scale = n / args.per_draw
    print(f"squigglepy model function, sq.sample(fn, n), 1 core: {one_s:.2f} s measured on "
          f"{args.per_draw:,} draws (one run) -> {one_s * scale:.0f} s ({one_s * scale / 60:.1f} min) "
          f"extrapolated to {n:,}")  # fmt: skip
    print(f"squigglepy model function, cores=2: {two_s:.2f} s measured on {args.per_draw:,} draws "
          f"-> {two_s * scale:.0f} s extrapolated; {repeated:.1%} of its draws repeat another draw "
          "(each worker process starts from the same global squigglepy RNG state)")  # fmt: skip

print("agreement (their empirical CDF at our quantile; within 4 Monte Carlo SE passes):")
ok_vec = agreement("vectorised", ours, vec)
ok_one = agreement(f"model function ({args.per_draw:,} draws)", ours, per_draw) if args.per_draw else None
print(f"  vectorised agrees: {ok_vec}; model function agrees: {ok_one}")

sq_label = "squigglepy vectorised (1 thread)"
equal = med_wall[sq_label] / med_wall["ours, 1 thread"]
per_cpu = med_cpu[sq_label] / med_cpu["ours, every core"]
per_cpu_one = med_cpu[sq_label] / med_cpu["ours, 1 thread"]
all_cores = med_wall[sq_label] / med_wall["ours, every core"]
print("ratios, squigglepy vectorised / ours (medians; > 1 means ours is faster):")
print(f"  equal threads (1 vs 1, wall): {equal:.2f}x")
print(f"  per CPU second (ours on every core): {per_cpu:.2f}x; (ours on 1 thread): {per_cpu_one:.2f}x")
print(f"  wall, ours on {os.cpu_count()} cores vs squigglepy's 1 thread: {all_cores:.2f}x")
if args.per_draw:
    print(f"  model function, 1 core, extrapolated / ours every core: {one_s * scale / med_wall['ours, every core']:,.0f}x")
load_after = os.getloadavg()
print(f"load average after (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_after)}")
print(f"SUMMARY forward MC {n:,} draws vs squigglepy vectorised, medians of {args.repeats} interleaved "
      f"(measured): equal threads {equal:.2f}x, per CPU second {per_cpu:.2f}x, "
      f"all {os.cpu_count()} cores wall {all_cores:.2f}x; ok={ok_vec}; "
      f"load {load_before[0]:.1f} -> {load_after[0]:.1f}")  # fmt: skip
