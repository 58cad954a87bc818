"""The report layer on a tiny real run: figures are Figures, the HTML is complete and self-contained."""

from __future__ import annotations

import re

import pytest
from matplotlib.figure import Figure

import probmodel as pm_
from probmodel.equations import COST_COMPONENTS, WORLD_PARAMETERS
from probmodel.pipeline import report_inputs
from probmodel.report import plots
from probmodel.report.html import write_report as render_to


def write_report(run, path):
    """The report of ``run`` alone (no spec folder: no plans or decisions), rendered to ``path``."""
    return render_to(run, report_inputs(run), path)

pytestmark = pytest.mark.fit


@pytest.fixture(scope="module")
def run():
    """One small prior-only fit shared by every test here (MCMC is the slow part)."""
    return pm_.fit("seed-cotrain", evidence=[], draws=100, tune=100, chains=2, prior_draws=200)


@pytest.fixture(scope="module")
def report_text(run, tmp_path_factory):
    path = write_report(run, tmp_path_factory.mktemp("report") / "report.html")
    assert path.is_file()
    return path.read_text(encoding="utf-8")


def test_report_file_written_where_asked(run, tmp_path):
    """Written atomically where asked; an unrelated broken scenario file is left out of Plans and
    Decisions, which are still built from the others, and the report and stderr say so (issue 14:
    the sections used to vanish silently)."""
    import shutil

    from conftest import SHIPPED

    priors = shutil.copytree(SHIPPED, tmp_path / "priors")
    (priors / "scenarios" / "zz-broken.toml").write_text('title = "broken"\n[plan]\nfleet_size = -3\n')
    notices = []
    path = pm_.write_report(run, tmp_path / "sub" / "r.html", priors_dir=priors, on_notice=notices.append)
    assert path == tmp_path / "sub" / "r.html"
    assert path.is_file() and path.stat().st_size > 0
    assert not list(path.parent.glob("*.partial"))  # the atomic write left no temporary file
    assert len(notices) == 1 and "zz-broken" in notices[0] and "fleet_size" in notices[0]
    text = path.read_text(encoding="utf-8")
    assert "INCOMPLETE" in text and "zz-broken" in text
    assert 'id="plans"' in text and 'id="decisions"' in text  # the other plans are still scored


def test_report_is_self_contained(report_text):
    assert report_text.lstrip().startswith("<!DOCTYPE html>")
    # No external images, scripts, frames or styles: every src= is a data: URI, no <link>, no @import.
    for src in re.findall(r"""\bsrc\s*=\s*["']?([^"'\s>]+)""", report_text, flags=re.I):
        assert src.startswith("data:"), src
    assert not re.search(r"<link\b", report_text, flags=re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", report_text, flags=re.I)
    assert not re.search(r"<script[^>]*\bsrc", report_text, flags=re.I)


def test_report_embeds_figures(report_text):
    assert report_text.count('src="data:image/png;base64,') >= 3


def test_report_contents(run, report_text):
    import html

    assert html.escape(run.scenario["title"]) in report_text
    assert run.config_hash in report_text
    assert "equal-tailed" in report_text
    for component in COST_COMPONENTS:
        assert component in report_text
    for name in WORLD_PARAMETERS:
        assert name in report_text
    for section in ("Headline risk", "Priors", "Evidence", "MCMC diagnostics"):
        assert section in report_text
    assert "No evidence records" in report_text
    assert "P(cost ≤ budget" in report_text and "P(years ≤ deadline" in report_text


@pytest.mark.parametrize(
    "make",
    [
        lambda run: plots.s_curve(run),
        lambda run: plots.s_curve(run, "cost_total_usd"),
        lambda run: plots.s_curve(run, "years"),
        plots.prior_posterior,
        plots.cost_breakdown,
    ],
    ids=["s_curve", "s_curve_cost", "s_curve_years", "prior_posterior", "cost_breakdown"],
)
def test_plot_functions_return_figures(run, make):
    fig = make(run)
    assert isinstance(fig, Figure)
    assert fig.axes
    uri = plots.figure_to_data_uri(fig)
    assert uri.startswith("data:image/png;base64,") and len(uri) > 1000


def test_report_with_shipped_evidence(small_run, tmp_path):
    """With evidence, each record is listed with its citation, influence, conflict status and
    prior/posterior intervals, and the provenance section ranks them."""
    text = write_report(small_run, tmp_path / "evidence.html").read_text(encoding="utf-8")
    assert small_run.evidence, "the shipped library should hold evidence records"
    for record in small_run.evidence:
        assert record["id"] in text
        assert record["citation"].split(".")[0] in text
    n = len(small_run.evidence)
    assert text.count("<strong>Conflict check</strong>") == n
    assert text.count("<strong>Influence</strong>") == n
    assert text.count("<strong>Citation</strong>") == n
    assert "Which evidence moved what" in text and "Data vs prior" in text
    assert "not in this run's draws" not in text
    assert f"given {len(small_run.evidence)} evidence records" in text


def test_an_unchanged_report_is_not_rebuilt_and_a_changed_one_is(run, tmp_path, monkeypatch):
    """The report's head carries a hash of the run, the candidate plans and the code: writing the
    report of an unchanged run again leaves the file as it was (no analysis, no rendering); a
    change to any scenario file rebuilds it, and so does PROBMODEL_NO_CACHE=1."""
    import shutil

    from conftest import SHIPPED

    priors = shutil.copytree(SHIPPED, tmp_path / "priors")
    path = pm_.write_report(run, tmp_path / "r.html", priors_dir=priors)
    first = path.read_bytes()
    assert b'<meta name="probmodel-report-key" content="' in first[:4096]

    def refuse(*args, **kwargs):
        raise AssertionError("rebuilt a report whose inputs did not change")

    with monkeypatch.context() as m:
        m.setattr("probmodel.pipeline.report_inputs", refuse)
        assert pm_.write_report(run, path, priors_dir=priors) == path
    assert path.read_bytes() == first

    calls = []
    from probmodel import pipeline

    real = pipeline.report_inputs

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("probmodel.pipeline.report_inputs", counting)
    scenario = priors / "scenarios" / "seed-real-only.toml"
    scenario.write_text(scenario.read_text() + "\n# a comment changes no record\n")
    pm_.write_report(run, path, priors_dir=priors)
    assert calls == []
    scenario.write_text(scenario.read_text().replace("fleet_size = 5000", "fleet_size = 6000"))
    pm_.write_report(run, path, priors_dir=priors)  # another plan to score: rebuilt
    assert calls == [1] and path.read_bytes() != first
    monkeypatch.setenv("PROBMODEL_NO_CACHE", "1")
    pm_.write_report(run, path, priors_dir=priors)
    assert calls == [1, 1]
