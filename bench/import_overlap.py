"""Benchmark: a first `probmodel run` with and without importing, while the worker fits, what the
command needs afterwards (:data:`probmodel.worker.IMPORTED_MEANWHILE`).

    .venv/bin/python bench/import_overlap.py [PAIRS]

Each pair (default 5) runs the main job twice in fresh processes, interleaved: ``on`` as shipped,
``off`` with ``IMPORTED_MEANWHILE`` emptied. Before each run the sampler worker is stopped, so the
run starts one and waits for its imports and compile (a first run); PyTensor's disk cache is the
user's (warm), probmodel's cache and the worker's socket live in a fresh temporary folder, and
each run writes into a new results folder (no memoised report analyses). The
time is the one ``run`` prints ("main job took"), from inside the command. Prints each run, the
medians and the machine's load before and after.
"""

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

root = Path(__file__).resolve().parents[1]
pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
caches = Path(tempfile.mkdtemp(prefix="pm-overlap-", dir=Path.home() / ".cache"))
out_dir = Path(tempfile.mkdtemp(prefix="probmodel-overlap-"))
env = {**os.environ, "PROBMODEL_CACHE_DIR": str(caches), "PROBMODEL_WORKER": "on",
       "PROBMODEL_WORKER_IDLE": "120"}  # fmt: skip

CHILD = """
import sys
import probmodel.worker as worker
if sys.argv[1] == "off":
    worker.IMPORTED_MEANWHILE = ()
from probmodel.cli import main
sys.exit(main(["run", "--out-dir", sys.argv[2]]))
"""


def stop_workers() -> None:
    for alive in caches.rglob("*.alive"):
        text = alive.read_text().strip()
        if text.isdigit():
            try:
                os.kill(int(text), signal.SIGTERM)
            except ProcessLookupError:
                pass
    time.sleep(2)


def first_run(kind: str, i: int) -> float:
    stop_workers()
    done = subprocess.run(
        [str(root / ".venv/bin/python"), "-c", CHILD, kind, str(out_dir / f"{kind}-{i}")],
        cwd=root, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.search(r"main job took ([\d.]+) s", done.stdout).group(1))


print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {pairs} pairs")
times = {"on": [], "off": []}
try:
    for i in range(pairs):
        for kind in ("on", "off") if i % 2 == 0 else ("off", "on"):
            times[kind].append(first_run(kind, i))
            print(f"{kind:3s} ({i + 1}): {times[kind][-1]:.1f} s")
finally:
    stop_workers()
print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
on, off = statistics.median(times["on"]), statistics.median(times["off"])
print(f"SUMMARY first run, medians of {pairs}: importing meanwhile {on:.1f} s, without {off:.1f} s "
      f"({off - on:+.1f} s, {off / on:.2f}x)")  # fmt: skip
