"""Benchmark: the time to build a run's HTML report, this checkout against another one.

    git archive <commit> | tar -x -C /tmp/old     # or: git worktree add /tmp/old <commit>
    .venv/bin/python bench/report_build.py /tmp/old [RUN.nc] [REPEATS]

Each build is a fresh process with this virtual environment and that checkout's probmodel
(``PYTHONPATH``) calling ``probmodel.write_report(run, path)`` with the shipped spec folder:
**cold** in an empty folder (the decision analysis and the rankings computed), then **warm** in the
same folder with the HTML deleted (the memoised analyses reused, everything rendered again).
Repeats alternate between the checkouts; prints the medians, the ratio and the machine's load
before and after (a shared 2-core machine: compare the two checkouts within one run).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
old = Path(sys.argv[1]).resolve()
run = Path(sys.argv[2] if len(sys.argv) > 2 else HERE / "results" / "seed-cotrain.nc").resolve()
REPEATS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
BUILD = (
    "import sys, time, probmodel as p; r = p.load_run(sys.argv[1]); t = time.perf_counter(); "
    "p.write_report(r, sys.argv[2], priors_dir=sys.argv[3]); print(time.perf_counter() - t)"
)


def build(checkout: Path, out: Path) -> float:
    """Seconds inside ``write_report`` (loading the run and importing excluded)."""
    env = {k: v for k, v in os.environ.items() if k != "PROBMODEL_NO_CACHE"}
    env["PYTHONPATH"] = str(checkout)
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(run), str(out), str(checkout / "priors")],
        env=env, cwd=checkout, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


load_before = os.getloadavg()
times = {(kind, which): [] for kind in ("cold", "warm") for which in ("old", "new")}
started = time.perf_counter()
for _ in range(REPEATS):
    for which, checkout in (("old", old), ("new", HERE)):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "report.html"
            times[("cold", which)].append(build(checkout, out))
            out.unlink()
            times[("warm", which)].append(build(checkout, out))
load_after = os.getloadavg()
print(f"run {run.name}; {REPEATS} repeats per checkout, alternating; "
      f"{time.perf_counter() - started:.0f} s in all")  # fmt: skip
print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
      f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} (2 cores)")  # fmt: skip
for kind in ("cold", "warm"):
    before = statistics.median(times[(kind, "old")])
    now = statistics.median(times[(kind, "new")])
    print(f"{kind}: {old.name} median {before:.1f} s {[round(t, 1) for t in times[(kind, 'old')]]}, "
          f"this checkout median {now:.1f} s {[round(t, 1) for t in times[(kind, 'new')]]}, "
          f"new/old {now / before:.2f}")  # fmt: skip
