"""Objects a notebook shows: short reprs and HTML tables of runs, summaries and scenarios, the
summary as a tidy Dataset with units, the top-level exports, and examples/explore.ipynb."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED

import probmodel as pmod


@pytest.fixture(scope="module")
def saved_good(gating_runs, tmp_path_factory):
    """The no-MCMC "good" run, saved and loaded back (so it knows its file)."""
    path = gating_runs["good"].save(tmp_path_factory.mktemp("nb") / "good.nc")
    return pmod.load_run(path)


def test_run_repr_is_one_short_line_with_what_matters(saved_good):
    text = repr(saved_good)
    assert len(text) < 1000 and "\n" not in text
    assert text.startswith("<Run 'seed-cotrain': 4 chains x 1,000 draws (+1,500 tuning)")
    assert "diagnostics ok" in text and f"file {saved_good.path}" in text
    page = saved_good._repr_html_()
    assert len(page) < 2000 and page.startswith("<table>")
    assert "seed-cotrain" in page and "diagnostics ok" in page


def test_a_failing_or_unsaved_run_says_so(gating_runs):
    from probmodel.run import Run

    bad = gating_runs["bad"]  # shared: another test may have saved it (which sets its path)
    text = repr(Run(tree=bad.tree, meta=bad.meta))
    assert "diagnostics FAILED" in text and text.endswith("not saved>")


def test_scenario_repr_names_the_plan_as_set_and_the_file(library):
    scenario = library.scenario("levine-mcdonalds")
    text = repr(scenario)
    assert len(text) < 1000 and "\n" not in text
    assert text.startswith("<Scenario 'levine-mcdonalds': ")
    assert "budget_usd = $2B" in text and "overridden" in text
    assert text.endswith("levine-mcdonalds.toml>")
    page = scenario._repr_html_()
    assert "<caption>Scenario levine-mcdonalds</caption>" in page and "$2B" in page
    assert len(page) < 2000


def test_summary_is_the_same_dict_with_a_short_repr(saved_good):
    import json

    summary = pmod.summarize(saved_good)
    assert isinstance(summary, pmod.Summary) and isinstance(summary, dict)
    json.dumps(summary, default=float)  # still JSON-able, as the command line prints it
    text = repr(summary)
    assert len(text) < 1000 and text.startswith("<Summary of 'seed-cotrain': cost_total_usd P50 $")
    assert "P(within budget)" in text and "diagnostics ok" in text
    assert "<table>" in summary._repr_html_()


def test_summary_dataset_has_units_on_every_variable_and_matches_the_summary(saved_good):
    from probmodel.equations import OUTCOME_UNITS

    summary = pmod.summarize(saved_good)
    ds = summary.to_xarray()
    assert set(ds.dims) == {"distribution", "statistic"}
    assert list(ds["distribution"].values) == ["posterior", "prior"]
    for name, da in ds.data_vars.items():
        assert da.attrs["units"] and da.attrs["long_name"], name
    for name in ("cost_total_usd", "years", "success_rate"):
        assert ds[name].attrs["units"] == OUTCOME_UNITS[name]
        row = summary["posterior"]["outcomes"][name]
        for stat in ("mean", "p10", "p50", "p80", "p90", "point"):
            assert float(ds[name].sel(distribution="posterior", statistic=stat)) == row[stat]
    assert ds["cost_capex"].attrs["units"] == "USD"
    assert ds["p_on_time"].attrs["units"] == "probability"
    assert float(ds["p_on_time"].sel(distribution="posterior")) == (
        summary["posterior"]["risk"]["p_on_time"]
    )
    assert ds.equals(pmod.summary_dataset(saved_good))

    frame = summary.to_dataframe()
    assert list(frame.columns) == ["distribution", "outcome", "statistic", "value", "unit",
                                   "meaning"]  # fmt: skip
    years = frame.query("distribution == 'posterior' and outcome == 'years' and statistic == 'p80'")
    assert years["value"].item() == summary["posterior"]["outcomes"]["years"]["p80"]
    assert years["unit"].item() == "years"


def test_the_summary_dataset_plots_with_labelled_axes(saved_good):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = pmod.summary_dataset(saved_good)
    lines = ds["cost_total_usd"].sel(distribution="posterior", statistic=["p10", "p50", "p90"])
    lines.plot(marker="o")
    axes = plt.gca()
    assert axes.get_ylabel() == "total cost of the plan [USD]"
    assert axes.get_xlabel() == "statistic"
    plt.close("all")


def test_scoring_sweeps_updates_and_comparisons_are_exported_at_the_top_level():
    for name in ("score_plans", "compare_plans", "plan_rows", "pairwise_probabilities", "sweep",
                 "optimize", "update_run", "UpdateResult", "compare_runs", "compare_run_files",
                 "summary_dataset", "Summary", "Scenario", "Plan", "Progress", "voi_table"):  # fmt: skip
        assert name in pmod.__all__, name
        assert callable(getattr(pmod, name)), name


# ------------------------------------------------------------------ the example notebook

NOTEBOOK = ROOT / "examples" / "explore.ipynb"


def test_the_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.fit
def test_the_example_notebook_runs_on_a_fitted_run(small_run, tmp_path):
    """Executed with nbclient in the venv's own kernel (ipykernel's native ``python3``), on a
    saved small fit (no sampling in the notebook); Jupyter's files go to a temporary folder."""
    import nbformat
    from nbclient import NotebookClient

    run_file = small_run.save(tmp_path / "seed-cotrain.nc")
    jupyter = tmp_path / "jupyter"
    env = {
        "PROBMODEL_EXAMPLE_RUN": str(run_file),
        "PROBMODEL_EXAMPLE_PRIORS": str(SHIPPED),
        # The venv's kernel, not one registered in the user's home; nothing written there.
        "JUPYTER_PATH": str(jupyter / "path"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "IPYTHONDIR": str(jupyter / "ipython"),
    }
    for folder in ("path", "data", "runtime", "config", "ipython"):
        (jupyter / folder).mkdir(parents=True)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(
            nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs
    )
    assert "<Run 'seed-cotrain'" in text and "<Summary of 'seed-cotrain'" in text
    assert "P(cheaper)" in text  # two plans scored and compared on paired draws
    assert "reweighted" in text or "resampled" in text  # a new record added
    assert any("image/png" in o.get("data", {}) for o in outputs)  # a plot
    assert Path(run_file).is_file()
