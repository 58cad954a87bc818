"""A scenario of the user's own, run from a path, gets the full report (issue 13): Plans and
Decisions are built with the plan the run sampled, and every in-page link has its target.

The run is prior draws of the user's scenario laid out as MCMC output (no MCMC): what the report
shows is computed from draws, so this is what a fitted run of that file gives it.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from conftest import SHIPPED, as_chains, prior_draws

import probmodel as pm_
from probmodel.formatting import fmt_years


@pytest.fixture(scope="module")
def user_scenario(tmp_path_factory, library):
    """A copy of seed-cotrain in a folder of the user's, with another fleet and real share."""
    text = (SHIPPED / "scenarios" / "seed-cotrain.toml").read_text(encoding="utf-8")
    assert "fleet_size = 5000" in text and "real_share = 0.2" in text
    text = text.replace("fleet_size = 5000", "fleet_size = 3000")
    text = text.replace("real_share = 0.2", "real_share = 0.3")
    path = tmp_path_factory.mktemp("mine") / "my-plan.toml"
    path.write_text(text, encoding="utf-8")
    scenario = library.scenario(path)
    assert scenario.name == "my-plan" and scenario.plan.fleet_size == 3000
    return scenario


@pytest.fixture(scope="module")
def user_draws(user_scenario):
    """Prior draws of the user's scenario as four chains, with its point estimate."""
    from probmodel.evaluate import point_outcomes

    prior = prior_draws(user_scenario, 800, seed=13)
    return prior, as_chains(prior, 4), point_outcomes(user_scenario)


def run_of(scenario, draws):
    import xarray as xr

    from probmodel.sampling import Run, SamplerSettings, run_meta

    prior, posterior, point = draws
    tree = xr.DataTree.from_dict({"posterior": posterior, "prior": prior, "point": point})
    return Run(tree=tree, meta=run_meta(scenario, [], SamplerSettings()))


def dead_links(text: str) -> list[str]:
    """In-page links (``href="#x"``) with no element ``id="x"``."""
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    return sorted({a for a in re.findall(r'href="#([^"]*)"', text) if a not in ids})


def plan_row(text: str, name: str) -> str:
    """The Plans table's row of scenario ``name`` (its HTML)."""
    plans = text[text.index('<section id="plans">') :]
    plans = plans[: plans.index("</section>")]
    row = next((r for r in plans.split("<tr>") if f"<code>{name}</code>" in r), None)
    assert row is not None, f"no row for {name} in the Plans table"
    return row


@pytest.mark.parametrize("name", ["my-plan", "seed-cotrain"])
def test_a_scenario_run_from_a_path_gets_the_full_report(user_scenario, user_draws, tmp_path, name):
    """Both under its own file name and under a shipped scenario's name (a user's edited copy of
    seed-cotrain.toml), the run's own plan is scored: its Plans row has the run's median years
    (the shipped seed-cotrain plan, 5,000 robots at 20% real, would finish much sooner), and the
    report has Decisions and Plans with no notice and no dead link."""
    scenario = replace(user_scenario, name=name)
    run = run_of(scenario, user_draws)
    notices = []
    path = pm_.write_report(run, tmp_path / "r.html", priors_dir=SHIPPED, on_notice=notices.append)
    text = path.read_text(encoding="utf-8")
    assert notices == [] and "INCOMPLETE" not in text
    for section in ("answer", "plan", "decisions", "plans", "metadata"):
        assert f'<section id="{section}">' in text, section
    assert dead_links(text) == []
    row = plan_row(text, name)
    assert "(this run)" in row
    years_p50 = float(run.tree["posterior"]["years"].median())
    assert html.escape(fmt_years(years_p50)) in row
    if name == "seed-cotrain":  # the shipped file's plan would give other years
        shipped = pm_.score_plans(run, [pm_.load_scenario("seed-cotrain", priors_dir=SHIPPED)])
        shipped_p50 = float(shipped["years"].median())
        assert abs(shipped_p50 - years_p50) > 0.2 * years_p50


def test_the_navigation_links_only_to_sections_the_report_has(user_scenario, user_draws, tmp_path):
    """A report of a run alone (no spec folder: no Plans or Decisions) has no link to them."""
    from probmodel.pipeline import report_inputs
    from probmodel.report.html import render_report

    run = run_of(user_scenario, user_draws)
    text = render_report(run, report_inputs(run))
    assert 'id="plans"' not in text and 'href="#plans"' not in text
    assert 'href="#decisions"' not in text
    assert dead_links(text) == []
    assert "probmodel sensitivity RUN --outcome" in text  # where to find the drivers instead
