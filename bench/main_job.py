"""Benchmark: the main job (`probmodel run`, the default scenario sampled, summarised and reported)
end to end, first with cold compile caches and then again with them warm.

    .venv/bin/python bench/main_job.py

Each run is a fresh process (as a user would start it), timed from outside; the caches are
PyTensor's compile directory and Numba's cache, pointed at an empty folder for the first run.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

root = Path(__file__).resolve().parents[1]
probmodel = root / ".venv" / "bin" / "probmodel"
caches = Path(tempfile.mkdtemp(prefix="probmodel-bench-cache-"))
out_dir = Path(tempfile.mkdtemp(prefix="probmodel-bench-results-"))
env = {
    **os.environ,
    "PYTENSOR_FLAGS": f"compiledir={caches / 'pytensor'}",
    "NUMBA_CACHE_DIR": str(caches / "numba"),
}


def timed(label: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(probmodel), "run", "--out-dir", str(out_dir), "--quiet"],
        env=env, cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{label} run failed:\n{done.stderr}")
    inner = [line for line in done.stdout.splitlines() if "main job took" in line]
    print(f"{label}: {elapsed:.1f} s wall ({inner[-1].strip() if inner else 'no timing line'})")
    return elapsed


cold = timed("first run, cold compile caches")
warm = timed("second run, warm caches")
print(f"warm / cold: {warm / cold:.2f}")
