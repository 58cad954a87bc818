"""Set-up: without a Python >= 3.12 the bootstrap stops and says what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("bash", "cat", "sha256sum", "cut", "ls", "sort", "dirname", "env")


def test_bootstrap_without_a_suitable_python_explains_what_to_install(tmp_path):
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, project / name)
    shutil.copy(ROOT / "scripts" / "bootstrap", project / "scripts" / "bootstrap")

    bin_dir = tmp_path / "bin"  # only the basic tools, and a python3 that is too old
    bin_dir.mkdir()
    for tool in TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    old_python = bin_dir / "python3"
    old_python.write_text("#!/bin/sh\nexit 1\n")  # fails the >= 3.12 check, like Python 3.11
    old_python.chmod(0o755)

    env = {
        "PATH": str(bin_dir),
        "HOME": str(tmp_path / "home"),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
    }
    result = subprocess.run(
        [str(bin_dir / "bash"), "scripts/bootstrap"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "needs Python 3.12 or newer" in result.stderr
    assert "pyenv install 3.12" in result.stderr and "PYTHON=" in result.stderr
    assert not (project / ".venv").exists()
