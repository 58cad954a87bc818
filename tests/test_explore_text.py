"""The explorer's texts and SVG figures (probmodel.explore.text, .figures), without a browser."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import numpy as np

from probmodel.analysis.whatif import Headline
from probmodel.equations import PLAN_VARIABLES
from probmodel.explore import figures, text
from probmodel.explore.app import CONTROLS, LIMITS, from_log

HEADLINE = Headline(
    cost_p50=1.4e9, cost_p80=2.57e9, cost_p90=3.6e9, years_p50=0.983, years_p80=1.65,
    success_p10=0.56, success_p50=0.77, success_p90=0.886, budget_usd=2e9, deadline_years=5.0,
    performance_target=0.8, p_cost_within_budget=0.699, p_on_time=0.99575,
    p_success_at_least_target=0.381, p_cost_and_years_within=0.699, jcl70_budget_usd=2.0e9,
    jcl80_budget_usd=2.57e9, n_draws=4000,
)  # fmt: skip


def test_headline_numbers_are_written_as_the_command_line_writes_them():
    f = text.headline_fields(HEADLINE)
    assert f["cost_p50"] == "$1.4B" and f["cost_p80"] == "$2.57B"
    assert f["p_cost_within_budget"] == "70%" and f["p_on_time"] == ">99%"
    assert f["years_p50"] == "0.983 years" and f["success_p50"] == "77.0%"
    assert f["jcl80_budget_usd"] == "$2.57B"
    page = text.headline_html(HEADLINE)
    for name, value in f.items():
        assert f'<b id="hl-{name}">{html.escape(value)}</b>' in page
    assert "(30% over)" in page and "(&lt;1% late)" in page


def test_a_plan_without_limits_says_only_what_it_can():
    bare = replace(HEADLINE, budget_usd=None, deadline_years=None, performance_target=None,
                   p_cost_within_budget=None, p_on_time=None, p_success_at_least_target=None,
                   p_cost_and_years_within=None, jcl70_budget_usd=None, jcl80_budget_usd=None)  # fmt: skip
    page = text.headline_html(bare)
    assert "budget" not in page and "deadline" not in page and "target" not in page
    no_jcl = replace(HEADLINE, jcl80_budget_usd=None)
    assert "fewer than 80% of the draws" in text.headline_html(no_jcl)


def test_figures_are_svg_that_draw_what_they_are_handed():
    rng = np.random.default_rng(0)
    cost, years = rng.lognormal(21, 0.5, 4000), rng.lognormal(0, 0.4, 4000)
    curve = figures.s_curve("Net cost", "net cost", [figures.Series("a", cost, figures.CURRENT)],
                            str, 2e9, "budget")  # fmt: skip
    assert curve.startswith("<svg") and curve.count("<polyline") == 1 and ">budget<" in curve
    points = re.search(r'points="([^"]+)"', curve).group(1).split()
    assert len(points) == figures.CURVE_POINTS
    scatter = figures.jcl_scatter(cost, years, 2e9, 1.5, 0.42, 2.5e9)
    assert "within both: 42%" in scatter and "80% JCL $2.5B" in scatter
    assert scatter.count("h0") > 3900  # one dot per draw inside the view (99% of each axis)
    # constant draws (a fixed plan outcome) and missing limits do not break a figure
    flat = figures.s_curve("t", "x", [figures.Series("a", np.ones(10), "#000")], str)
    assert "nan" not in flat
    assert "within both" not in figures.jcl_scatter(cost, years, None, None, None, None)


def test_controls_come_from_the_plan_vocabulary():
    for name in CONTROLS:
        var = PLAN_VARIABLES[name]
        assert var.span is not None and var.span[0] < var.span[1], name
    assert set(LIMITS) <= set(CONTROLS)
    assert from_log(np.log10(5000.0)) == 5000.0 and from_log(np.log10(1010.0)) == 1010.0
