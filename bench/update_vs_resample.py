"""Benchmark: adding one evidence record by PSIS reweighting (`probmodel update`) against a full
re-sample, measured in one process on the same machine.

    .venv/bin/python bench/update_vs_resample.py [--repeats 5] [--draws 1000 --tune 1000 --chains 4]

The update (PSIS reweighting of the saved fit, ``update_run``) and two full re-samples are timed
in ``--repeats`` interleaved repeats (medians; a shared machine's load hits all alike), with the
load average before and after:

- the re-sample a user pays (``fit``: build, compile, NUTS, forward draws): a new record is a new
  log density, so even the warm sampler worker compiles it; the process's compiled models are
  dropped before each (:func:`probmodel.sampling.forget_compiled`);
- the re-sample with that compile already paid (the same fit again in the process: what a warm
  worker that had compiled exactly this configuration would do), the harder baseline.

Prints the wall times, the ratios, the Pareto k and importance ESS of the update, and a one-line
summary to paste into ``bench/RESULTS.md``. The fit settings default to ``fit``'s; smaller ones are
for trying the script out.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import probmodel as pmod
from probmodel.analysis.update import update_run
from probmodel.sampling import forget_compiled

RECORD = """
title = "Benchmark fixture: a $25k data-collection humanoid (illustrative, not published)"
kind = "measurement"
quantity = "unit_cost_usd"
robot_class = "humanoid"
value = 25000.0
sd = 0.7
scale = "log"
confidence = "secondary"
[citation]
authors = "benchmark fixture"
title = "Not a published result"
year = 2026
venue = "bench/update_vs_resample.py"
"""

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--draws", type=int, default=None, help="default: fit's")
parser.add_argument("--tune", type=int, default=None, help="default: fit's")
parser.add_argument("--chains", type=int, default=None, help="default: fit's")
args = parser.parse_args()
settings = {k: getattr(args, k) for k in ("draws", "tune", "chains") if getattr(args, k)}

load_before = os.getloadavg()
print(f"load average before (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_before)} "
      f"on {os.cpu_count()} cores")  # fmt: skip
priors = Path(tempfile.mkdtemp()) / "priors"
shutil.copytree(Path(__file__).resolve().parents[1] / "priors", priors)
base = pmod.fit("seed-cotrain", priors_dir=priors, **settings)  # the saved fit, not timed
record = priors / "evidence" / "bench-unit-cost.toml"
record.write_text(RECORD)

update_s, refit_s, warm_s = [], [], []
for _ in range(args.repeats):  # interleaved
    started = time.perf_counter()
    result = update_run(base, record, priors_dir=priors)
    update_s.append(time.perf_counter() - started)
    forget_compiled()
    started = time.perf_counter()
    pmod.fit("seed-cotrain", priors_dir=priors, **settings)
    refit_s.append(time.perf_counter() - started)
    started = time.perf_counter()
    pmod.fit("seed-cotrain", priors_dir=priors, **settings)
    warm_s.append(time.perf_counter() - started)
update_med, refit_med = statistics.median(update_s), statistics.median(refit_s)
warm_med = statistics.median(warm_s)
ratio = refit_med / update_med


def fmt(values):
    return ", ".join(f"{v:.1f}" for v in values)


n_draws = base.tree["posterior"].sizes["chain"] * base.tree["posterior"].sizes["draw"]
print(f"fit settings: {settings or 'fit defaults'} ({n_draws:,} posterior draws)")
print(f"measured, medians of {args.repeats} interleaved repeats (wall s):")
print(f"  update ({result.method}, Pareto k {result.pareto_k:.2f}, importance ESS {result.ess:.0f}): "
      f"{update_med:.1f} s ({fmt(update_s)})")  # fmt: skip
print(f"  full re-sample (build + compile + NUTS + forward draws): {refit_med:.1f} s ({fmt(refit_s)})")
print(f"  full re-sample with the compile already paid (NUTS + forward draws): {warm_med:.1f} s "
      f"({fmt(warm_s)})")  # fmt: skip
print(f"ratio (re-sample / update, medians): {ratio:.1f}x; of the fastest repeats: "
      f"{min(refit_s) / min(update_s):.1f}x; against the re-sample with the compile paid: "
      f"{warm_med / update_med:.1f}x")  # fmt: skip
load_after = os.getloadavg()
print(f"load average after (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_after)}")
print(f"SUMMARY PSIS update vs full re-sample incl. compile, medians of {args.repeats} interleaved "
      f"(measured): {ratio:.1f}x ({update_med:.1f} s vs {refit_med:.1f} s; {result.method}, Pareto k "
      f"{result.pareto_k:.2f}); {warm_med / update_med:.1f}x against a re-sample with the compile "
      f"paid ({warm_med:.1f} s); load {load_before[0]:.1f} -> {load_after[0]:.1f}")  # fmt: skip
