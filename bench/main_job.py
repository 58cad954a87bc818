"""Benchmark: the main job (`probmodel run`, the default scenario sampled, summarised and
reported) end to end, as a user starts it: a fresh process each time, timed from outside.

    .venv/bin/python bench/main_job.py

Three runs, in this order, into one results folder:
1. first run, cold: PyTensor's, Numba's and probmodel's caches point at an empty folder;
2. second run, warm compile caches, ``--resample``: the model is built, compiled and sampled again;
3. third run, warm, nothing changed: the saved posterior is reused (a fit of the same scenario,
   priors, evidence, settings and seed by the same code would be identical), and so is the
   report's memoised decision analysis; the summary and the report are computed and written anew.
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
    "PYTENSOR_FLAGS": f"base_compiledir={caches / 'pytensor'}",
    "NUMBA_CACHE_DIR": str(caches / "numba"),
    "PROBMODEL_CACHE_DIR": str(caches / "probmodel"),  # validated priors
}


def timed(label: str, *extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(probmodel), "run", "--out-dir", str(out_dir), *extra],
        env=env, cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{label} run failed:\n{done.stderr}")
    said = [line.strip() for line in done.stderr.splitlines() if line.startswith(("sampl", "reus"))]
    print(f"{label}: {elapsed:.1f} s wall")
    for line in said:
        print(f"    {line[:110]}")
    return elapsed


cold = timed("1. first run, cold compile caches")
warm = timed("2. second run, warm compile caches, --resample", "--resample")
reuse = timed("3. third run, nothing changed (posterior and decision analysis reused)")
print(f"warm re-sample / cold: {warm / cold:.2f}; unchanged re-run / cold: {reuse / cold:.2f}")
