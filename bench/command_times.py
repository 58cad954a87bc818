"""Wall time of the long commands whose ``--help`` states an expected time (issue 13, item 3).

Runs each command on a saved run (default ``results/seed-cotrain.nc``, 4 chains x 1,000 draws)
``--repeats`` times as a user would (a fresh process each time, so imports count) and prints the
median, the range and the machine's load average (``os.getloadavg``) before each command: on a
shared 2-core machine the load moves the numbers by 2x or more.

    .venv/bin/python bench/command_times.py [RUN] [--repeats 3] [--only sensitivity voi]

``report`` runs with ``PROBMODEL_NO_CACHE=1`` (a new report with its decision analysis computed);
``sensitivity --delta`` and ``sample`` are left out unless named with ``--only`` (minutes each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBMODEL = str(Path(sys.executable).with_name("probmodel"))


def commands(run: Path, out: Path) -> dict[str, list[str]]:
    return {
        "sensitivity": ["sensitivity", str(run), "--quiet"],
        "sensitivity-delta": ["sensitivity", str(run), "--delta", "--quiet"],
        "voi": ["voi", str(run), "seed-cotrain", "seed-real-only", "seed-cotrain-4.2y", "--quiet"],
        "sweep": ["sweep", str(run), "--out", str(out / "sweep.nc"), "--quiet"],
        "optimize": ["optimize", str(run)],
        "report": ["report", str(run), "--out", str(out / "report.html"), "--quiet"],
        "sample": ["sample", "seed-cotrain", "--out", str(out / "sampled.nc"), "--quiet"],
    }


SLOW = {"sensitivity-delta", "sample"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path, default=ROOT / "results" / "seed-cotrain.nc")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    if not args.run.is_file():
        raise SystemExit(f"{args.run}: no such run; `make run` writes it.")
    out = Path(tempfile.mkdtemp(prefix="command-times-"))
    table = commands(args.run, out)
    names = args.only or [n for n in table if n not in SLOW]
    env = {**os.environ, "PROBMODEL_NO_CACHE": "1"}
    print(f"{'command':<20} {'median s':>9} {'min-max s':>13} {'load (1 min) before each':>26}")
    for name in names:
        seconds, loads = [], []
        for _ in range(args.repeats):
            loads.append(os.getloadavg()[0])
            started = time.perf_counter()
            done = subprocess.run([PROBMODEL, *table[name]], capture_output=True, env=env)
            seconds.append(time.perf_counter() - started)
            if done.returncode not in (0, 1):
                raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
        print(
            f"{name:<20} {statistics.median(seconds):>9.1f} "
            f"{min(seconds):>6.1f}-{max(seconds):<6.1f} "
            f"{', '.join(f'{x:.1f}' for x in loads):>26}",
            flush=True,
        )


if __name__ == "__main__":
    main()
