"""Benchmark: peak memory of the README's 1,000-plan sweep, as the command runs it.

    .venv/bin/python bench/sweep_memory.py [RUN.nc]   # default run: results/seed-cotrain.nc

Runs ``probmodel sweep RUN`` with the README's grid (10 fleet sizes x 10 real shares x 5 site
counts x 2 deadlines = 1,000 plans over the run's posterior draws) in a fresh process and prints
its peak resident memory (``ru_maxrss`` of the child: interpreter, imports, the loaded run and
the sweep together) and wall time, with the machine's load. Target (issue 16): < 350 MiB.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
run = Path(sys.argv[1] if len(sys.argv) > 1 else HERE / "results" / "seed-cotrain.nc").resolve()
GRID = ["fleet_size=500:20000:10:log", "real_share=0.1:1:10", "sites=10:10000:5:log",
        "deadline_years=3,5"]  # fmt: skip
load = " ".join(open("/proc/loadavg").read().split()[:3])
with tempfile.TemporaryDirectory() as tmp:
    argv = [sys.executable, "-m", "probmodel", "sweep", str(run), "--quiet",
            "--out", str(Path(tmp) / "sweep.nc")]  # fmt: skip
    for axis in GRID:
        argv += ["--grid", axis]
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=tmp,
                   env={**os.environ, "PYTHONPATH": str(HERE)})  # fmt: skip
    seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
print(f"load average {load}")
print(f"probmodel sweep, 1,000 plans: peak resident memory {peak:.0f} MiB, {seconds:.1f} s wall")
print(f"SUMMARY sweep memory: {peak:.0f} MiB peak (target < 350 MiB: "
      f"{'met' if peak < 350 else 'NOT met'})")
