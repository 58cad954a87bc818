"""Benchmark: NUTS on the part of the model the evidence reaches vs on the whole model, and
what compiling without numba's fastmath and without PyTensor's inplace rewrite costs or saves.

    .venv/bin/python bench/sampled_part.py [REPEATS] [KIND,KIND,...]

seed-cotrain with the shipped evidence at the default sampler settings (4 chains x 1,000 draws
after 1,500 tuning steps, target acceptance 0.98). Each repeat runs one fresh process per kind,
interleaved: ``part`` compiles as fits do (:func:`probmodel.compiling.compile_nuts`, no fastmath)
and samples :func:`probmodel.sampling.sampled_model` (what a fit does now); ``whole`` the same
on the whole model (what a fit did before); ``part+fastmath`` the part with numba's fastmath
(PyTensor's default, which fits no longer use); ``part+inplace`` the part with PyTensor's
``inplace_elemwise`` rewrite (its default, which fits leave out:
:data:`probmodel.compiling.NUTS_EXCLUDED_REWRITES`); ``part+nutpie-wrappers`` the part with
nutpie's own C wrappers, which numba cannot cache (fits use cacheable ones:
:data:`probmodel.compiling.CACHED_WRAPPERS`). With warm disk caches (PyTensor's numba cache is
filled by the first process) ``part`` vs ``part+nutpie-wrappers`` is what a new process pays
for a model compiled before. KINDS picks some, ``part`` among them
(default: all). Prints, per process, nutpie's compile time, NUTS time, the number of free variables, the mean leapfrog steps per draw, divergences and the
smallest bulk ESS of the sampled variables; then medians (default 5 repeats) and the ratios.
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
KINDS = ("part", "whole", "part+fastmath", "part+inplace", "part+nutpie-wrappers")
kinds = sys.argv[2].split(",") if len(sys.argv) > 2 else KINDS
assert set(kinds) <= set(KINDS) and "part" in kinds, f"kinds: some of {KINDS}, with part"

CHILD = """
import json, sys, time
import arviz as az
import nutpie
import probmodel.api as api
from probmodel.evidence import for_fleet
from probmodel.model import build_model
from probmodel.compiling import compile_nuts
from probmodel.sampling import SamplerSettings, sampled_model

s = SamplerSettings()
scenario = api.load_scenario("seed-cotrain")
records = for_fleet(api.load_evidence(scenario), scenario.plan.robot_class)
model = build_model(scenario, records)
if sys.argv[1].startswith("part"):
    model = sampled_model(model)
import probmodel.compiling
if sys.argv[1] == "part+fastmath":
    probmodel.compiling.NUMBA_FASTMATH = True
if sys.argv[1] == "part+inplace":
    probmodel.compiling.NUTS_EXCLUDED_REWRITES = ()
if sys.argv[1] == "part+nutpie-wrappers":
    probmodel.compiling.CACHED_WRAPPERS = False
names = [rv.name for rv in model.free_RVs]
t = time.perf_counter()
compiled = compile_nuts(model)  # as fits compile (numba, no fastmath, no inplace rewrite, cached wrappers)
compile_s = time.perf_counter() - t
t = time.perf_counter()
tree = nutpie.sample(compiled, draws=s.draws, tune=s.tune, chains=s.chains, cores=2, seed=s.seed,
                     target_accept=s.target_accept, progress_bar=False)
nuts_s = time.perf_counter() - t
ess = az.ess(tree, method="bulk")
print(json.dumps({
    "compile": compile_s, "nuts": nuts_s, "free": len(names),
    "steps": float(tree.sample_stats.n_steps.mean()),
    "divergences": int(tree.sample_stats.diverging.sum()),
    "min_ess_bulk": float(min(float(ess[n].min()) for n in names)),
}))
"""


def child(kind: str) -> dict:
    done = subprocess.run(
        [str(root / ".venv/bin/python"), "-c", CHILD, kind],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {repeats} repeats")
results = {kind: [] for kind in kinds}
for i in range(repeats):
    for kind in results:
        r = child(kind)
        results[kind].append(r)
        print(f"{kind:20s} ({i + 1}): compile {r['compile']:.1f} s, NUTS {r['nuts']:.2f} s, "
              f"{r['free']} free variables, {r['steps']:.1f} steps/draw, "
              f"{r['divergences']} divergences, min bulk ESS {r['min_ess_bulk']:.0f}")  # fmt: skip
print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
med = {k: {m: statistics.median(r[m] for r in v) for m in ("compile", "nuts")}
       for k, v in results.items()}  # fmt: skip
base = med["part"]
print(f"SUMMARY medians of {repeats}: part (as fits) compile {base['compile']:.1f} s, "
      f"NUTS {base['nuts']:.2f} s")  # fmt: skip
for kind in (k for k in kinds if k != "part"):
    m = med[kind]
    print(f"SUMMARY {kind}: compile {m['compile']:.1f} s ({m['compile'] / base['compile']:.2f}x "
          f"part), NUTS {m['nuts']:.2f} s ({m['nuts'] / base['nuts']:.2f}x part)")  # fmt: skip
