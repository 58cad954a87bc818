"""Benchmark: the main job (`probmodel run`, the default scenario sampled, summarised and
reported) end to end, as a user starts it: a fresh process each time, timed from outside.

    .venv/bin/python bench/main_job.py [REPEATS]

In this order, into one results folder, with PyTensor's, Numba's and probmodel's caches (and so
the sampler worker's socket) in an empty temporary folder:
1. first run, cold: every cache empty, no worker (what a fresh clone on a fresh machine does
   after set-up); it starts the sampler worker;
2. ``--resample`` with the worker warm, REPEATS times (default 5): the model is built and
   sampled again, its compile reused by the worker; the report is rebuilt only if the draws
   changed (they do not: same seed);
3. ``--resample`` with ``PROBMODEL_WORKER=off``, REPEATS times, interleaved with 2.: the same
   re-sample compiling in the command's own process (warm disk caches), the baseline;
4. nothing changed, REPEATS times: the saved fit and report are reused.
Prints each time, the medians, the re-sampled run's diagnostics (max R-hat, min bulk and tail ESS,
divergences) and the machine's load before and after; stops the worker at the end.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

root = Path(__file__).resolve().parents[1]
probmodel = root / ".venv" / "bin" / "probmodel"
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
caches = Path(tempfile.mkdtemp(prefix="pm-bench-", dir=Path.home() / ".cache"))
out_dir = Path(tempfile.mkdtemp(prefix="probmodel-bench-results-"))
env = {
    **os.environ,
    "PYTENSOR_FLAGS": f"base_compiledir={caches / 'pytensor'}",
    "NUMBA_CACHE_DIR": str(caches / "numba"),
    "PROBMODEL_CACHE_DIR": str(caches / "p"),  # short: the worker's socket lives here
    "PROBMODEL_WORKER": "on",
    "PROBMODEL_WORKER_IDLE": "600",
}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(label: str, *extra: str, worker: str = "on") -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(probmodel), "run", "--out-dir", str(out_dir), *extra],
        env={**env, "PROBMODEL_WORKER": worker}, cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{label} run failed:\n{done.stderr}")
    said = [line.strip() for line in done.stderr.splitlines()
            if line.startswith(("sampl", "reus", "started"))]  # fmt: skip
    print(f"{label}: {elapsed:.1f} s wall")
    for line in said:
        print(f"    {line[:110]}")
    return elapsed


def diagnostics() -> dict:
    script = ("import json, sys, probmodel as p; d = p.load_run(sys.argv[1]).diagnostics; "
              "print(json.dumps({k: d[k] for k in ('ok', 'max_r_hat', 'min_ess_bulk', "
              "'min_ess_tail', 'divergences') if k in d}))")  # fmt: skip
    done = subprocess.run([str(root / ".venv/bin/python"), "-c", script,
                           str(out_dir / "seed-cotrain.nc")], env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


print(f"load before: {load()}; {repeats} repeats; caches in {caches}")
cold = timed("1. first run, cold caches, no worker yet")
warm, own = [], []
for i in range(repeats):
    warm.append(timed(f"2. --resample, worker warm ({i + 1})", "--resample"))
    own.append(timed(f"3. --resample, no worker ({i + 1})", "--resample", worker="off"))
unchanged = [timed(f"4. nothing changed ({i + 1})") for i in range(repeats)]
diag = diagnostics()
pid_file = next((caches / "p" / "worker").glob("*.alive"), None)
pid = int(pid_file.read_text() or 0) if pid_file else 0
if pid:
    os.kill(pid, signal.SIGTERM)
m_warm, m_own, m_same = (statistics.median(x) for x in (warm, own, unchanged))
print(f"diagnostics of the re-sampled run: {diag}")
print(f"load after: {load()}")
print(
    f"SUMMARY cold first run {cold:.1f} s; warm re-sample (worker) median {m_warm:.1f} s "
    f"[{min(warm):.1f}-{max(warm):.1f}]; re-sample compiling in-process median {m_own:.1f} s "
    f"(worker {m_own / m_warm:.2f}x faster); nothing changed median {m_same:.1f} s"
)
