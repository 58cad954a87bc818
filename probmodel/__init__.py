"""probmodel: honest uncertainty on the economics of robot foundation-model data.

The user flow, top to bottom::

    import probmodel as pmod

    scenario = pmod.load_scenario("seed-cotrain")          # spec files -> validated spec
    pmod.point(scenario)                                    # the seed's arithmetic, no sampling
    run = pmod.fit(scenario)                                # PyMC/nutpie -> xarray.DataTree
    summary = pmod.summarize(run)                           # risk: percentiles, P(within budget), ...
    summary.to_xarray()                                     # the same, tidy, units on every variable
    run.save("results/seed-cotrain.nc")                     # netCDF with config hash
    pmod.write_report(run, "results/seed-cotrain.html")     # self-contained HTML report

    pmod.score_plans(run, [pmod.load_scenario("seed-real-only")])   # other plans, same draws
    pmod.sweep(run, scenario, {"fleet_size": "500:20000:10:log"})   # a grid of plans
    pmod.update_run(run, "new-result.toml")                         # a new record, by PSIS
    pmod.compare_runs(run, updated.run)                             # what moved

Every public name is loaded on first use (PEP 562), so ``import probmodel`` and ``probmodel
--help`` stay fast: the analysis modules pull in ArviZ, SciPy and SALib.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from probmodel import io as _io  # noqa: E402

_io.route_generated_files()  # before PyTensor is imported: its generated sources go to the cache

_EXPORTS: dict[str, str] = {
    # fitting and reading runs
    "Run": "probmodel.run",
    "SamplerSettings": "probmodel.run",
    "fit": "probmodel.api",
    "list_scenarios": "probmodel.api",
    "load_evidence": "probmodel.api",
    "load_run": "probmodel.api",
    "load_scenario": "probmodel.api",
    "point": "probmodel.api",
    "summarize": "probmodel.api",
    "summary_dataset": "probmodel.api",
    "Summary": "probmodel.analysis.summary",
    "Scenario": "probmodel.specs.scenario",
    "Plan": "probmodel.equations",
    "is_stale": "probmodel.run",
    "new_evidence": "probmodel.run",
    "judgement": "probmodel.api",
    "write_report": "probmodel.api",
    "read_evidence_file": "probmodel.specs.library",
    # scoring plans on a posterior (no re-sampling)
    "draws_outcomes": "probmodel.evaluate",
    "score_plans": "probmodel.analysis.plans",
    "plan_rows": "probmodel.analysis.plans",
    "compare_plans": "probmodel.analysis.plans",
    "pairwise_probabilities": "probmodel.analysis.plans",
    "sweep": "probmodel.analysis.sweep",
    "optimize": "probmodel.analysis.optimize",
    # new evidence and what it moved
    "update_run": "probmodel.analysis.update",
    "UpdateResult": "probmodel.analysis.update",
    "compare_runs": "probmodel.analysis.compare",
    "compare_run_files": "probmodel.analysis.compare",
    "provenance": "probmodel.analysis.evidence",
    # what drives the answer
    "tornado": "probmodel.analysis.sensitivity",
    "variance_ranking": "probmodel.analysis.sensitivity",
    "voi_table": "probmodel.analysis.voi",
    # checking the model
    "sbc": "probmodel.analysis.calibration",
    "SBCSettings": "probmodel.analysis.calibration",
    # progress of long calls: any callable progress(step, done, total)
    "Progress": "probmodel.progress",
}
_SUBMODULES = ("api", "io", "cache", "equations", "errors", "constants", "formatting", "progress")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"probmodel.{name}")
    raise AttributeError(f"module 'probmodel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_SUBMODULES])
