"""Job 1: sample posteriors from a script.

Load a scenario, check the seed's arithmetic in point mode, fit (prior + posterior, conditioned on
the shipped evidence), work with the DataTree, save and load the run.

    python examples/sample_posteriors.py [OUT_DIR]
"""

import sys
import tempfile
from pathlib import Path

import probmodel as pmod

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())

scenario = pmod.load_scenario("seed-cotrain")
print(scenario.title)
print(f"point mode: {pmod.point(scenario)['robot_years']:,.0f} robot-years (seed: ~6,000)")

run = pmod.fit(scenario)  # 4 chains x 1,000 draws with nutpie, seeded
tree = run.tree  # xarray.DataTree: prior, posterior, sample_stats, observed_data, point, ...
cost = tree["posterior"]["cost"]  # dims (chain, draw, cost_component)
print("posterior median cost by component ($M):")
print((cost.median(("chain", "draw")) / 1e6).round(1).to_series().to_string())

path = run.save(out_dir / "seed-cotrain.nc")
again = pmod.load_run(path)  # checks the stored config and data hashes
assert again.config_hash == run.config_hash
print(f"saved and re-loaded {path} (config {run.config_hash[:12]})")
