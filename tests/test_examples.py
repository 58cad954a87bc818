"""The examples/ scripts (the three user jobs) run as a user would run them: each as ``__main__``
from an empty working folder, with nothing but its own code, and must finish without an error.

All scripts run one after another in one fresh Python process (:data:`RUNNER`), as a user running
them in one session would: the second fit of seed-cotrain reuses the process's compiled model
instead of compiling it again (~17 s of imports, compile and forward functions per script saved,
measured; the fits themselves are full size). Each script still gets its own ``sys.argv``, its
own working folder and its own captured output, and one failing does not stop the others.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))

pytestmark = pytest.mark.fit

RUNNER = """
import contextlib, json, os, runpy, sys, traceback
results = {}
for script, folder in json.loads(sys.argv[1]):
    os.chdir(folder)
    out = open(os.path.join(folder, "stdout.txt"), "w")
    err = open(os.path.join(folder, "stderr.txt"), "w")
    sys.argv = [script]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if code:
            err.write(str(stop.code))
    except BaseException:
        err.write(traceback.format_exc())
        code = 1
    out.close()
    err.close()
    results[script] = code
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def example_results(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """``script name -> (exit code, its stderr)`` for every example, run in one process."""
    jobs = [(str(s), str(tmp_path_factory.mktemp(s.stem))) for s in EXAMPLES]
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(jobs)],
        cwd=jobs[0][1], capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        Path(script).name: (codes[script], (Path(folder) / "stderr.txt").read_text())
        for script, folder in jobs
    }


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, example_results):
    code, stderr = example_results[script.name]
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr


def test_there_is_an_example_per_user_job():
    assert {p.stem for p in EXAMPLES} >= {
        "sample_posteriors",
        "budget_intervals",
        "new_result_arrived",
    }
