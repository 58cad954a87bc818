"""`probmodel update` (a new record by PSIS reweighting, or a re-fit) and `probmodel compare`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from conftest import SHIPPED

import probmodel as pmod
from probmodel.analysis.compare import compare_runs
from probmodel.analysis.update import psis_log_weights, systematic_resample, update_run
from probmodel.cli.evidence import cmd_compare, cmd_update
from probmodel.errors import InvalidArgumentError, ProbmodelError, SpecError
from probmodel.sampling import Run
from probmodel.specs.library import Library, read_evidence_file

CITATION = """
[citation]
authors = "probmodel tests"
title = "Illustrative record for tests (not a published result)"
year = 2026
venue = "test suite"
"""


def measurement(record_id: str, value: float, sd: float) -> str:
    """A log-scale unit-cost record at ``value`` USD with log sd ``sd``."""
    return f"""
id = "{record_id}"
title = "Illustrative: robot unit cost ${value:,.0f}"
kind = "measurement"
quantity = "unit_cost_usd"
value = {value}
sd = {sd}
scale = "log"
robot_class = "humanoid"
confidence = "primary"
{CITATION}"""


CURVE = f"""
title = "Illustrative: a made-up wiping task, success vs demonstrations"
kind = "curve"
axis = "data"
x_unit = "demonstrations"
x = [50, 100, 200, 400, 800, 1600]
score = [0.30, 0.42, 0.55, 0.66, 0.74, 0.80]
confidence = "primary"
{CITATION}"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def median_sd(run: Run, name: str) -> tuple[float, float]:
    x = run.tree["posterior"][name].values.ravel()
    return float(np.median(x)), float(np.std(x))


# --------------------------------------------------------------------------- fast: no sampling


def test_systematic_resampling_follows_the_weights():
    rng = np.random.default_rng(0)
    assert systematic_resample(np.array([0.0, 1.0, 0.0]), rng).tolist() == [1, 1, 1]
    assert systematic_resample(np.full(5, 0.2), rng).tolist() == [0, 1, 2, 3, 4]
    w = rng.dirichlet(np.ones(50))
    index = systematic_resample(w, rng)
    assert np.all(np.abs(np.bincount(index, minlength=50) - 50 * w) < 1)  # systematic: within 1
    assert np.all(np.diff(index) >= 0)  # sorted, so chains keep mostly their own draws
    with pytest.raises(InvalidArgumentError, match="weights"):
        systematic_resample(np.array([np.nan, 1.0]), rng)


def test_psis_weights_grow_with_the_log_ratio():
    """arviz-stats' psislw is written for leave-one-out (weights ~ exp(-input)); psis_log_weights flips it."""
    x = np.random.default_rng(1).normal(size=(2, 2000))
    log_w, k = psis_log_weights(2 * x)  # weights ~ exp(2x): the reweighted mean of x is 2
    w = np.exp(log_w)
    assert np.sum(w) == pytest.approx(1.0)
    assert np.sum(w * x) == pytest.approx(2.0, abs=0.3)
    assert k < 1.0


def _fake_run(evidence_ids: list[str], scenario: str = "seed-cotrain", shift: float = 0.0) -> Run:
    rng = np.random.default_rng(2)
    post = xr.Dataset(
        {n: (("chain", "draw"), rng.normal(10.0 + shift, 1.0, (2, 500))) for n in
         ("unit_cost_usd", "sim_transfer", "years")}
    )  # fmt: skip
    meta = {"scenario": {"name": scenario, "plan": {}}, "priors": {}, "evidence_ids": evidence_ids}
    return Run(xr.DataTree.from_dict({"posterior": post}), meta)


def test_duplicate_record_is_refused(tmp_path):
    path = tmp_path / "onex-neo-price.toml"
    shutil.copy(SHIPPED / "evidence" / "onex-neo-price.toml", path)
    with pytest.raises(ProbmodelError, match=r"'onex-neo-price' .* is already in this run"):
        update_run(_fake_run(["onex-neo-price"]), path, priors_dir=SHIPPED)


def test_bad_record_file_and_arguments_are_refused(tmp_path):
    bad = write(tmp_path, "bad", measurement("bad", -5.0, 0.3))
    with pytest.raises(SpecError, match="must be > 0 on a log scale"):
        update_run(_fake_run([]), bad, priors_dir=SHIPPED)
    good = write(tmp_path, "good", measurement("good", 20000.0, 0.5))
    with pytest.raises(InvalidArgumentError, match="k_threshold = 1.5"):
        update_run(_fake_run([]), good, priors_dir=SHIPPED, k_threshold=1.5)
    # one limit for updates and diagnostics: a looser threshold would accept a reweighting
    # that the run's diagnostics then flag as failed
    with pytest.raises(InvalidArgumentError, match="above 0.7 importance weights are unreliable"):
        update_run(_fake_run([]), good, priors_dir=SHIPPED, k_threshold=0.9)


def test_compare_says_when_the_scenarios_differ():
    a, b = _fake_run(["x", "y"]), _fake_run(["y", "z"], scenario="seed-real-only", shift=0.5)
    result = compare_runs(a, b)
    json.dumps(result, allow_nan=False)
    assert result["evidence_added"] == ["z"] and result["evidence_removed"] == ["x"]
    assert not result["same_scenario"] and "plans, not evidence" in result["notes"][0]
    assert {r["name"] for r in result["rows"]} == {"unit_cost_usd", "sim_transfer", "years"}
    assert all(r["shift_sd"] == pytest.approx(0.5, abs=0.1) for r in result["rows"])
    with pytest.raises(ProbmodelError, match="'unit_cost' is not in both posteriors"):
        compare_runs(a, b, variables=["unit_cost"])


# ------------------------------------------------------------------------------ with real fits

SETTINGS = {"draws": 1000, "tune": 300, "chains": 2, "prior_draws": 200}
"""2,000 draws: enough that Monte Carlo error of a median is ~0.05 posterior sd (see below)."""


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    root = tmp_path_factory.mktemp("update") / "priors"
    shutil.copytree(SHIPPED, root)
    return root


@pytest.fixture(scope="module")
def base(specs):
    return pmod.fit("seed-cotrain", **SETTINGS, priors_dir=specs)


@pytest.fixture(scope="module")
def cheaper(specs, base):
    """The base run updated with an (illustrative) $20k unit-cost record, log sd 0.5."""
    path = write(specs.parent, "cheap-arm", measurement("cheap-arm", 20000.0, 0.5))
    return path, update_run(base, path, priors_dir=specs)


@pytest.mark.fit
def test_measurement_record_is_added_by_reweighting(base, cheaper, tmp_path):
    path, result = cheaper
    assert result.method == "psis", result.message
    assert result.pareto_k <= 0.7 and result.ess > 500
    assert "R-hat" in result.message  # says that resampled draws make R-hat meaningless
    before, sd = median_sd(base, "unit_cost_usd")
    after, _ = median_sd(result.run, "unit_cost_usd")
    assert after < before - 0.1 * sd  # pulled toward $20k
    run = result.run
    assert run.meta["evidence_ids"][-1] == "cheap-arm"
    assert run.meta["update"]["added"] == "cheap-arm"
    assert run.meta["update"]["base_config_hash"] == base.config_hash
    assert run.tree["posterior"].sizes == base.tree["posterior"].sizes
    ll = run.tree["log_likelihood"]["evidence_measurement"]
    assert "cheap-arm" in ll["measurement"].values.tolist()
    assert "cheap-arm" in run.tree["observed_data"]["measurement"].values.tolist()
    saved = pmod.load_run(run.save(tmp_path / "updated.nc"))
    assert saved.meta["update"]["method"] == "psis"


@pytest.mark.fit
def test_reweighted_posterior_agrees_with_a_refit(specs, base, cheaper):
    """The update and a NUTS fit with the record agree on the measured parameter's median.

    Tolerance 0.2 posterior sd: the Monte Carlo standard error of a median is about
    1.25 sd / sqrt(ESS). The refit has ESS >~ 1,000 for unit_cost_usd and the update an
    importance-sampling ESS > 500 (asserted above) of draws that are themselves MCMC draws, so the
    difference has a standard error of roughly 0.05 sd: 0.2 sd is four of them, a two-sided
    false-failure rate of 0.006% if the Monte Carlo error were drawn afresh (the fits are seeded,
    so on one machine the result is the same every run), while the record itself moves the median
    by several times that.
    """
    path, result = cheaper
    new, _ = read_evidence_file(path)
    by_id = {r.id: r for r in Library.open(specs).evidence()}
    records = [by_id[i] for i in base.meta["evidence_ids"]] + [new]
    refit = pmod.fit("seed-cotrain", records, **SETTINGS, priors_dir=specs)
    updated, _ = median_sd(result.run, "unit_cost_usd")
    refitted, sd = median_sd(refit, "unit_cost_usd")
    before, _ = median_sd(base, "unit_cost_usd")
    assert abs(updated - refitted) <= 0.2 * sd
    assert abs(before - refitted) > 3 * abs(updated - refitted)


@pytest.mark.fit
def test_sharply_conflicting_record_falls_back_to_sampling(specs, base):
    from probmodel.sampling import fit

    path = write(specs.parent, "absurd-price", measurement("absurd-price", 500.0, 0.01))
    refits = []
    refit = lambda *a, **k: refits.append(a[0].name) or fit(*a, **k)  # noqa: E731
    result = update_run(base, path, priors_dir=specs, refit=refit)
    assert result.method == "resampled" and refits == ["seed-cotrain"]  # the fitter it was given
    assert result.pareto_k > 0.7
    assert "Pareto k" in result.message and "re-sampled" in result.message
    assert result.run.meta["evidence_ids"][-1] == "absurd-price"
    assert "update" not in result.run.meta  # a genuine fit, reproducible with `fit`
    median, _ = median_sd(result.run, "unit_cost_usd")
    assert median < 1000.0


@pytest.mark.fit
def test_new_curve_record_by_file_alone(specs, base):
    """A curve file saved in the spec folder's evidence/ is added, with its own study latents."""
    path = write(specs / "evidence", "wipe-demonstrations", CURVE)
    result = update_run(base, path, priors_dir=specs)
    # Reweighting or re-sampling, as the Pareto k decides (a curve sits near the 0.7 limit: its
    # own latents are pinned by its points); either way the curve is in the model by file alone.
    assert (result.method == "psis") == (result.pareto_k <= 0.7), result.message
    post = result.run.tree["posterior"]
    assert post["curve_record"].values.tolist()[-1] == "wipe-demonstrations"
    label = "wipe-demonstrations:data"
    study = post["study_exponent"].sel(study_axis=label).values
    expected = post["data_exponent_mean"] + post["data_exponent_sd"] * post["study_exponent_z"].sel(
        study_axis=label
    )
    np.testing.assert_allclose(study, expected.values)  # the deterministic was recomputed
    ll = result.run.tree["log_likelihood"]["evidence_curve"]
    labels = [x for x in ll["curve_point"].values.tolist() if x.startswith("wipe-demonstrations:")]
    assert len(labels) == 6 and np.all(np.isfinite(ll.sel(curve_point=labels).values))


@pytest.mark.fit
def test_a_record_of_a_known_study_shares_that_studys_draws(specs, base):
    """A record added to a study the run already has (here a second data curve of Lin et al.'s
    pour-water study) is weighed at that study's posterior exponent, not at a fresh prior draw
    of a new study's: only the curve's own level is integrated over."""
    from probmodel.analysis.update import _record_log_likelihood

    text = CURVE.replace('kind = "curve"', 'kind = "curve"\nstudy = "lin-pour-water"')
    path = write(specs.parent, "pour-water-again", text)
    record, _ = read_evidence_file(path)
    scenario = pmod.load_scenario("seed-cotrain", specs)
    post = base.tree["posterior"].to_dataset()
    rng = np.random.default_rng(1)
    _, latents = _record_log_likelihood(scenario, record, post, rng)
    assert "study_exponent_z" not in latents and "curve_log_hazard" in latents
    other = write(specs.parent, "new-study", CURVE)  # its own study: a fresh exponent
    _, latents = _record_log_likelihood(scenario, read_evidence_file(other)[0], post, rng)
    assert latents["study_exponent_z"].shape[-1] == 1
    result = update_run(base, path, priors_dir=specs)
    if result.method == "psis":  # the study keeps its labels; no new exponent is made up
        labels = result.run.tree["posterior"]["study_axis"].values.tolist()
        assert labels == post["study_axis"].values.tolist()


@pytest.mark.fit
def test_compare_reports_the_added_record_and_the_shift(base, cheaper):
    _, result = cheaper
    comparison = compare_runs(base, result.run)
    json.dumps(comparison, allow_nan=False)
    assert comparison["evidence_added"] == ["cheap-arm"] and comparison["evidence_removed"] == []
    assert comparison["same_scenario"] and comparison["same_priors"]
    rows = {r["name"]: r for r in comparison["rows"]}
    assert rows["unit_cost_usd"]["shift_sd"] < -0.1
    assert comparison["rows"][0]["name"] == "unit_cost_usd"  # the largest move comes first
    assert {"cost_total_usd", "years", "data_exponent_new"} <= set(rows)


@pytest.mark.fit
def test_update_and_compare_commands(specs, base, cheaper, tmp_path, capsys):
    path, _ = cheaper
    run_file = base.save(tmp_path / "base.nc")
    args = SimpleNamespace(run=run_file, file=path, out=None, priors=str(specs), k_threshold=0.7)
    assert cmd_update(args) == 0
    out = capsys.readouterr().out
    updated = tmp_path / "base-updated.nc"
    assert updated.is_file() and "Pareto k" in out and "unit_cost_usd" in out
    assert cmd_compare(SimpleNamespace(run=run_file, others=[updated], json=True)) == 0
    assert json.loads(capsys.readouterr().out)["evidence_added"] == ["cheap-arm"]
    assert cmd_compare(SimpleNamespace(run=run_file, others=[updated], json=False)) == 0
    text = capsys.readouterr().out
    assert "evidence added: cheap-arm" in text and "unit_cost_usd" in text
