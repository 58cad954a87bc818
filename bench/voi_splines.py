"""Benchmark: the value-of-information regressions (EVPPI of every sampled parameter, bootstrap
errors for the top three) with the batched GCV smoothing spline against the same estimator calling
SciPy's ``make_smoothing_spline`` once per plan (what the code did before), on one saved run.

    .venv/bin/python bench/voi_splines.py [RUN.nc]      # default: results/seed-cotrain.nc

Five interleaved repeats of each; prints the medians, their ratio, the machine's load, and the
largest difference between the two EVPPI tables (they are the same estimator, so it should be
well inside the Monte Carlo error).
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

import probmodel as pmod
from probmodel.analysis import voi
from probmodel.specs.library import Library

REPEATS = 5
PLANS = ("seed-real-only", "seed-cotrain", "pathway-generative-sim")


def scipy_smooth(x, y, w, lam=None):
    """The baseline: one SciPy GCV spline per column, as the code did before."""
    from scipy.interpolate import make_smoothing_spline

    columns = y.reshape(y.shape[0], -1)
    out = np.column_stack([make_smoothing_spline(x, c, w=w)(x) for c in columns.T])
    return out.reshape(y.shape)


path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/seed-cotrain.nc")
run = pmod.load_run(path)
library = Library.open()
scenarios = [library.scenario(n) for n in PLANS]
batched = voi.smooth
times = {"batched": [], "scipy": []}
tables = {}
for _ in range(REPEATS):
    for label, smoother in (("batched", batched), ("scipy", scipy_smooth)):
        voi.smooth = smoother
        started = time.perf_counter()
        tables[label] = voi.voi_table(run, scenarios, 0.0, se_top=3)
        times[label].append(time.perf_counter() - started)
voi.smooth = batched
load = open("/proc/loadavg").read().split()[:3]
fast, slow = statistics.median(times["batched"]), statistics.median(times["scipy"])
by_name = {r["parameter"]: r["evppi"] for r in tables["scipy"]["evppi"]}
diff = max(abs(r["evppi"] - by_name[r["parameter"]]) for r in tables["batched"]["evppi"])
print(f"run {path}: {len(tables['batched']['evppi'])} parameters, plans {', '.join(PLANS)}")
print(f"load average {' '.join(load)}; {REPEATS} interleaved repeats")
print(f"voi_table, batched spline: median {fast:.2f} s ({', '.join(f'{t:.2f}' for t in times['batched'])})")
print(f"voi_table, SciPy per plan: median {slow:.2f} s ({', '.join(f'{t:.2f}' for t in times['scipy'])})")
print(f"ratio {slow / fast:.1f}x; largest EVPPI difference ${diff:,.0f} "
      f"(EVPI ${tables['batched']['evpi']['value']:,.0f} +- {tables['batched']['evpi']['se']:,.0f})")
