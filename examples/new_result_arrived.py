"""A new result arrived: check the record, add it to a fitted run without re-sampling, see what moved.

Copies the shipped spec folder, fits seed-cotrain, then writes one new evidence file: an
ILLUSTRATIVE in-house sim-to-real co-training pilot, NOT a published result. The update reweights
the existing posterior draws by the record's likelihood (Pareto-smoothed importance sampling) and
falls back to re-sampling when the Pareto k says the weights cannot be trusted.

    python examples/new_result_arrived.py

The same from the command line, once the run is saved:
``probmodel update results/seed-cotrain.nc priors/evidence/pilot-sim-cotraining.toml``, then
``probmodel compare results/seed-cotrain.nc results/seed-cotrain-updated.nc``.
"""

import shutil
import tempfile
import time
from pathlib import Path

import probmodel as pmod

SHIPPED = Path(__file__).resolve().parents[1] / "priors"
NEW_RESULT = """
title = "ILLUSTRATIVE pilot: 500 h of simulated demonstrations added to 50 h of real ones, +15% success"
kind = "effect"
unit = "hours of demonstration"
base = { real = 50.0 }
treatment = { real = 50.0, sim = 500.0 }
base_success = [0.3, 0.6]        # success with the real data alone (90% interval)
relative_change = 0.15           # +15% relative success
interval = [0.05, 0.25]          # 90% interval of the relative change
confidence = "primary"
notes = "Made up for this example: what a team's own co-training pilot might report. Not a real result."

[citation]
authors = "Example Robotics pilot team (illustrative)"
title = "Sim-to-real co-training pilot (illustrative, not published)"
year = 2026
venue = "internal report (fictional)"
"""

priors = Path(tempfile.mkdtemp()) / "priors"
shutil.copytree(SHIPPED, priors)

started = time.perf_counter()
before = pmod.fit("seed-cotrain", priors_dir=priors)
fit_seconds = time.perf_counter() - started
print(f"fitted seed-cotrain in {fit_seconds:.0f} s ({len(before.meta['evidence_ids'])} records)")

# 1. The new result, as a file in the spec folder's evidence/ (where it will live from now on).
path = priors / "evidence" / "pilot-sim-cotraining.toml"
path.write_text(NEW_RESULT)

# 2. Check it before using it: every problem of the file at once, and what it informs.
pmod.list_scenarios(priors)  # the folder itself is readable
record, problems = pmod.read_evidence_file(path)
for problem in problems:
    print(f"problem: {problem}")
if record is None:
    raise SystemExit("fix the record file first")
print(
    f"record {record.id!r} ({record.kind}, {record.confidence}) constrains: {record.constrains()}"
)

# 3. Add it to the fitted run: reweighting when Pareto k <= 0.7, re-sampling otherwise.
result = pmod.update_run(before, path, priors_dir=priors)
print(
    f"\nmethod: {result.method}, Pareto k = {result.pareto_k:.2f}, "
    f"ESS {result.ess:.0f}, took {result.seconds:.1f} s (the fit took {fit_seconds:.0f} s)"
)
print(result.message)

# 4. What moved.
moved = pmod.compare_runs(before, result.run)
print("what the pilot moved (A: before, B: after), largest shifts first:")
for row in moved["rows"][:8]:
    shift = "moved (A constant)" if row["shift_sd"] is None else f"{row['shift_sd']:+.2f} sd"
    print(f"  {row['name']:<32} median {row['median_a']:.4g} -> {row['median_b']:.4g} ({shift})")
for note in moved["notes"]:
    print(f"note: {note}")
