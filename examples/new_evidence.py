"""Job 3: update the priors when a new result arrives, with no code change.

Copies the shipped spec folder, adds one evidence file (here an illustrative in-house
sim-transfer pilot, NOT a published result), re-fits and shows what moved.

    python examples/new_evidence.py
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np

import probmodel as pmod

SHIPPED = Path(__file__).resolve().parents[1] / "priors"
NEW_RECORD = """
title = "Illustrative in-house pilot: one simulated token worth ~0.3 real tokens"
kind = "measurement"
quantity = "sim_transfer"
value = 0.3
sd = 0.08
scale = "linear"
confidence = "primary"
notes = "Made up for this example: what a team's own sim-to-real pilot might report."

[citation]
authors = "Example Robotics pilot team"
title = "Sim-to-real transfer pilot (illustrative)"
year = 2026
venue = "internal report"
"""

priors = Path(tempfile.mkdtemp()) / "priors"
shutil.copytree(SHIPPED, priors)
before = pmod.fit("seed-cotrain", priors_dir=priors)

(priors / "evidence" / "pilot-sim-transfer.toml").write_text(NEW_RECORD)
after = pmod.fit("seed-cotrain", priors_dir=priors)
print(f"evidence now: {', '.join(after.meta['evidence_ids'])}")


def interval(run, name, scale=1.0):
    x = run.tree["posterior"][name].values.ravel() / scale
    return np.quantile(x, [0.1, 0.5, 0.9])


for name, scale, unit in (
    ("sim_transfer", 1, ""),
    ("cost_total_usd", 1e9, "$B"),
    ("years", 1, "y"),
):
    b, a = interval(before, name, scale), interval(after, name, scale)
    print(f"{name:>15}: P10/P50/P90 before {b.round(2)} {unit} -> after {a.round(2)} {unit}")
