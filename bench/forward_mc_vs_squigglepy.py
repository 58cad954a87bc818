"""Benchmark: forward Monte Carlo, 1,000,000 prior draws through the outcome equations, with
`probmodel.evaluate.prior_outcomes` against squigglepy on the same priors and equations, measured
in one process.

    .venv/bin/python bench/forward_mc_vs_squigglepy.py [--scenario seed-cotrain]
        [--draws 1000000] [--per-draw 20000] [--repeats 5]

Every prior family maps to the squigglepy distribution with the same parameters, or to an exact
transformation where squigglepy has no such family (``bench/_squiggle.py``).

Squigglepy variants, all evaluating :func:`probmodel.equations.outcomes` on what they sample:

* vectorised: each distribution sampled with ``sq.sample(dist, n)``, then the equations on the
  arrays (the fastest way to use squigglepy here);
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

from probmodel.equations import WORLD_PARAMETERS, outcomes
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
parser.add_argument("--per-draw", type=int, default=20_000)
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

scenario = Library.open().scenario(args.scenario)
families = sorted({s.distribution for s in scenario.priors.values()})
print(f"scenario {scenario.name}: {len(WORLD_PARAMETERS)} world parameters ({', '.join(families)})"
      f" + 2 new-deployment exponents; {args.draws:,} draws")  # fmt: skip
dists = squiggle_world(scenario)
plan, n = scenario.plan, args.draws
sq.set_seed(1)

# Warm-up (first-call costs of both paths: imports, PreliZ for the truncated normal), not timed.
prior_outcomes(scenario, 1000, seed=0)
squiggle_vectorised(dists, plan, 1000)

ours_all, vec_all = [], []
for _ in range(args.repeats):  # interleaved, so that load on the shared machine hits both alike
    ours, ours_t = timed(lambda: prior_outcomes(scenario, n, seed=2))
    vec, vec_t = timed(lambda: squiggle_vectorised(dists, plan, n))
    ours_all.append(ours_t)
    vec_all.append(vec_t)
ours_s, vec_s = statistics.median(ours_all), statistics.median(vec_all)
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


def fmt(times):
    return ", ".join(f"{t:.2f}" for t in times)


scale = n / args.per_draw
print(f"ours, prior_outcomes (PriorSpec.sample: NumPy samplers, PreliZ for the truncated normal; equations on arrays; chunks on threads): {ours_s:.2f} s measured "
      f"(median of {fmt(ours_all)} s)")  # fmt: skip
print(f"squigglepy vectorised (sq.sample(dist, n) per input + the equations): {vec_s:.2f} s "
      f"measured (median of {fmt(vec_all)} s)")  # fmt: skip
print(f"squigglepy model function, sq.sample(fn, n), 1 core: {one_s:.2f} s measured on "
      f"{args.per_draw:,} draws -> {one_s * scale:.0f} s ({one_s * scale / 60:.1f} min) "
      f"extrapolated to {n:,}")  # fmt: skip
print(f"squigglepy model function, cores=2: {two_s:.2f} s measured on {args.per_draw:,} draws -> "
      f"{two_s * scale:.0f} s extrapolated; {repeated:.1%} of its draws repeat another draw "
      "(each worker process starts from the same global squigglepy RNG state)")  # fmt: skip

print("agreement (their empirical CDF at our quantile; within 4 Monte Carlo SE passes):")
ok_vec = agreement("vectorised", ours, vec)
ok_one = agreement(f"model function ({args.per_draw:,} draws)", ours, per_draw)
print(f"  vectorised agrees: {ok_vec}; model function agrees: {ok_one}")

candidates = {"vectorised": vec_s} if ok_vec else {}
candidates["model function, 1 core (extrapolated)"] = one_s * scale
if repeated < 0.01:
    candidates["model function, cores=2 (extrapolated)"] = two_s * scale
best = min(candidates, key=candidates.get)
print(f"ratio (squigglepy's fastest correct path, {best}, / ours, medians): "
      f"{candidates[best] / ours_s:.2f}x")  # fmt: skip
print(f"ratio of the fastest repeats (vectorised / ours): {min(vec_all) / min(ours_all):.2f}x")
print(
    f"ratio (squigglepy model function, 1 core, extrapolated / ours): {one_s * scale / ours_s:,.0f}x"
)
