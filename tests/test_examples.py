"""The examples/ scripts (the three user jobs) run as a user would run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))

pytestmark = pytest.mark.fit


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


def test_there_is_an_example_per_user_job():
    assert {p.stem for p in EXAMPLES} >= {
        "sample_posteriors",
        "budget_intervals",
        "new_result_arrived",
    }
