"""Benchmark: the fixed cost of everyday commands, this checkout against another one.

    git worktree add /tmp/old <commit>
    .venv/bin/python bench/fixed_costs.py /tmp/old [RUN.nc]   # default run: results/seed-cotrain.nc

Runs ``probmodel --help``, ``point seed-cotrain`` and ``summary RUN`` as fresh processes with this
virtual environment, one untimed warm-up round (what a user's second call finds: caches filled),
then five interleaved repeats per checkout, and prints the medians, their ratios and the machine's
load.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPEATS = 5
HERE = Path(__file__).resolve().parents[1]
old = Path(sys.argv[1]).resolve()
run = Path(sys.argv[2] if len(sys.argv) > 2 else HERE / "results" / "seed-cotrain.nc").resolve()
commands = {"--help": ["--help"], "point": ["point", "seed-cotrain"], "summary": ["summary", str(run)]}
times = {(name, which): [] for name in commands for which in ("old", "new")}
for repeat in range(REPEATS + 1):  # the first round warms caches (a memo, the OS file cache): untimed
    for name, argv in commands.items():
        for which, checkout in (("old", old), ("new", HERE)):
            env = {**os.environ, "PYTHONPATH": str(checkout)}  # that checkout's probmodel
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "probmodel", *argv], env=env, cwd=checkout,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
            )  # fmt: skip
            if repeat:
                times[(name, which)].append(time.perf_counter() - started)
print(f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}; {REPEATS} repeats")
for name in commands:
    before = statistics.median(times[(name, "old")])
    now = statistics.median(times[(name, "new")])
    print(f"{name}: {old.name} {before:.2f} s, this checkout {now:.2f} s, ratio {before / now:.1f}x")
