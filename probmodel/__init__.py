"""probmodel: honest uncertainty on the economics of robot foundation-model data.

The user flow, top to bottom::

    import probmodel as pm_

    scenario = pm_.load_scenario("seed-cotrain")          # spec files -> validated spec
    pm_.point(scenario)                                    # the seed's arithmetic, no sampling
    run = pm_.fit(scenario)                                # PyMC/nutpie -> xarray.DataTree
    summary = pm_.summarize(run)                           # risk: percentiles, P(over budget), ...
    run.save("results/seed-cotrain.nc")                    # netCDF with config hash
    pm_.write_report(run, "results/seed-cotrain.html")     # self-contained HTML report
"""

__version__ = "0.1.0"

from probmodel import io as _io  # noqa: E402

_io.route_generated_files()  # before PyTensor is imported: its generated sources go to the cache

from probmodel.api import (  # noqa: E402
    Run,
    SamplerSettings,
    fit,
    list_scenarios,
    load_evidence,
    load_run,
    load_scenario,
    point,
    summarize,
    write_report,
)

__all__ = [
    "Run",
    "SamplerSettings",
    "fit",
    "list_scenarios",
    "load_evidence",
    "load_run",
    "load_scenario",
    "point",
    "summarize",
    "write_report",
]
