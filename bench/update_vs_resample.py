"""Benchmark: adding one evidence record by PSIS reweighting (`probmodel update`) against a full
re-sample, measured in one process on the same machine.

    .venv/bin/python bench/update_vs_resample.py

Prints both wall times and their ratio, with the Pareto k and importance ESS of the update.
"""

import shutil
import tempfile
import time
from pathlib import Path

import probmodel as pmod
from probmodel.analysis.update import update_run

RECORD = """
title = "Benchmark fixture: a $25k data-collection arm (illustrative, not published)"
kind = "measurement"
quantity = "unit_cost_usd"
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

priors = Path(tempfile.mkdtemp()) / "priors"
shutil.copytree(Path(__file__).resolve().parents[1] / "priors", priors)
base = pmod.fit("seed-cotrain", priors_dir=priors)
record = priors / "evidence" / "bench-unit-cost.toml"
record.write_text(RECORD)

started = time.perf_counter()
result = update_run(base, record, priors_dir=priors)
update_s = time.perf_counter() - started

started = time.perf_counter()
pmod.fit("seed-cotrain", priors_dir=priors)
refit_s = time.perf_counter() - started

print(f"update ({result.method}, Pareto k {result.pareto_k:.2f}, importance ESS {result.ess:.0f}): "
      f"{update_s:.1f} s")  # fmt: skip
print(f"full re-sample (compile + NUTS + forward draws): {refit_s:.1f} s")
print(f"ratio: {refit_s / update_s:.1f}x faster")
