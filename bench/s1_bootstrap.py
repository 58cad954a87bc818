"""Benchmark: the bootstrap half-widths of S1, SALib's loop against
:func:`probmodel.analysis.sensitivity.s1_bootstrap_half_widths`, in one process.

    .venv/bin/python bench/s1_bootstrap.py [RUN.nc] [--repeats 5]

On the posterior draws of a saved run (default ``results/seed-cotrain.nc``, 4,000 draws) and each
sampled world parameter as ``X`` (plus the report's made-up no-effect column), three outcomes as
``Y`` (what the report's variance ranking asks), 100 resamples: SALib 1.6's ``delta.analyze(...,
method="sobol")`` one column at a time (what :func:`~probmodel.analysis.sensitivity.variance_shares`
called before) against the vectorised half-widths, from the same seed of NumPy's global generator.
Repeats are interleaved; prints the medians, their ratio, the largest relative difference of the
half-widths and the machine's load before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

import probmodel as pmod
from probmodel.analysis.sensitivity import s1_bootstrap_half_widths, sampled_parameters

HERE = Path(__file__).resolve().parents[1]
OUTCOMES = ("cost_total_usd", "years", "success_rate")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", nargs="?", default=str(HERE / "results" / "seed-cotrain.nc"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from SALib.analyze import delta as salib_delta

    posterior = pmod.load_run(args.run).tree["posterior"].to_dataset()
    names = [n for n in sampled_parameters(posterior) if np.ptp(posterior[n].values) > 0]
    X = np.column_stack([posterior[n].values.ravel() for n in names])
    X = np.column_stack([X, np.random.default_rng(0).uniform(size=X.shape[0])])
    cases = [(X, posterior[o].values.ravel()) for o in OUTCOMES if o in posterior]

    def salib():
        out = []
        for x, y in cases:
            np.random.seed(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out += [salib_delta.analyze({"num_vars": 1, "names": ["x0"]}, x[:, [k]], y,
                                            num_resamples=100, method="sobol")["S1_conf"][0]
                        for k in range(x.shape[1])]  # fmt: skip
        return np.array(out)

    def ours():
        out = []
        for x, y in cases:
            np.random.seed(0)
            out += s1_bootstrap_half_widths(x, y, 100, 0.95)
        return np.array(out)

    load_before = os.getloadavg()[0]
    times = {"salib": [], "ours": []}
    results = {}
    for _ in range(args.repeats):
        for name, fn in (("salib", salib), ("ours", ours)):
            started = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - started)
    load_after = os.getloadavg()[0]
    med = {k: statistics.median(v) for k, v in times.items()}
    diff = float(np.max(np.abs(results["ours"] - results["salib"]) / np.abs(results["salib"])))
    print(f"{len(cases)} outcomes x {X.shape[1]} columns x {X.shape[0]:,} draws, 100 resamples")
    for k, v in times.items():
        print(f"  {k:6s} median {med[k]:.3f} s  ({', '.join(f'{t:.3f}' for t in v)})")
    print(f"  ratio SALib / ours: {med['salib'] / med['ours']:.1f}x; largest relative difference "
          f"of the half-widths {diff:.1e}; load {load_before:.2f} -> {load_after:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
