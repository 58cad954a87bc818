"""Benchmark: how sampling time grows with the number of curve-evidence points.

    .venv/bin/python bench/curve_scaling.py [--sizes 10,100,1000,10000]

For each size N, a synthetic curve record with N points (scores drawn from the model's own curve
law with a 0.3 exponent, illustrative only) joins the shipped evidence, and seed-cotrain is fitted
at default settings in this process. Prints compile+sampling time and NUTS time per size, and
the growth exponent of the NUTS time between the smallest and largest size (1 = linear).
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import probmodel as pmod

parser = argparse.ArgumentParser()
parser.add_argument("--sizes", default="10,100,1000,10000")
args = parser.parse_args()
sizes = [int(s) for s in args.sizes.split(",")]

root = Path(__file__).resolve().parents[1]
rng = np.random.default_rng(0)
rows = []
for n in sizes:
    priors = Path(tempfile.mkdtemp()) / "priors"
    shutil.copytree(root / "priors", priors)
    x = np.geomspace(1, 1000, n)
    hazard = np.exp(-0.5 - 0.3 * (np.log(x) - np.log(x).mean()))
    score = np.clip(rng.beta(np.exp(-hazard) * 30, (1 - np.exp(-hazard)) * 30), 0.01, 0.99)
    (priors / "evidence" / "bench-curve.toml").write_text(
        f"""title = "Benchmark fixture: a synthetic {n}-point curve (not published)"
kind = "curve"
axis = "data"
x_unit = "demonstrations"
score_max = 1.0
x = [{", ".join(f"{v:.6g}" for v in x)}]
score = [{", ".join(f"{v:.6g}" for v in score)}]
confidence = "secondary"
[citation]
authors = "benchmark fixture"
title = "Not a published result"
year = 2026
venue = "bench/curve_scaling.py"
"""
    )
    started = time.perf_counter()
    run = pmod.fit("seed-cotrain", priors_dir=priors)
    total = time.perf_counter() - started
    sampling = float(run.tree["posterior"].attrs.get("sampling_time", float("nan")))
    rows.append((n, total, sampling))
    print(f"{n:>6} curve points: fit {total:6.1f} s (NUTS {sampling:6.2f} s)", flush=True)

(n0, _, s0), (n1, _, s1) = rows[0], rows[-1]
print(f"NUTS time growth exponent from {n0} to {n1} points: {np.log(s1 / s0) / np.log(n1 / n0):.2f}"
      " (1 = linear)")  # fmt: skip
