"""The report's first screen answers (issue 13): opened in a real browser (Playwright driving
Debian's chromium) at 1440x900, the headline cost, years and success numbers are visible above
the fold and equal what ``probmodel.summarize`` gives; the run's metadata is not there.

The screenshot is kept as a CI artefact: ``results/report-first-screen.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED

import probmodel as pm_
from probmodel.formatting import fmt_pct, fmt_share, fmt_usd, fmt_years

pytestmark = pytest.mark.fit

VIEWPORT = {"width": 1440, "height": 900}
SCREENSHOT = ROOT / "results" / "report-first-screen.png"


def expected_numbers(summary) -> dict[str, str]:
    """The first screen's numbers as ``summarize`` gives them, formatted as the report does:
    cost and years P50/P80, success P50 and P10 (its cautious side), and the chances of going
    over budget, missing the deadline and reaching the target."""
    post = summary["posterior"]
    rows, risk = post["outcomes"], post["risk"]
    cost = rows["cost_net_usd"] if "cost_net_usd" in rows else rows["cost_total_usd"]
    return {
        "cost-p50": fmt_usd(cost["p50"]),
        "cost-p80": fmt_usd(cost["p80"]),
        "cost-p-over-budget": fmt_pct(1 - risk["p_cost_within_budget"]),
        "years-p50": fmt_years(rows["years"]["p50"]),
        "years-p80": fmt_years(rows["years"]["p80"]),
        "years-p-late": fmt_pct(1 - risk["p_on_time"]),
        "success-p50": fmt_share(rows["success_rate"]["p50"]),
        "success-p10": fmt_share(rows["success_rate"]["p10"]),
        "success-p-target": fmt_pct(risk["p_success_at_least_target"]),
        "jcl": fmt_pct(risk["p_cost_and_years_within"]),
    }


def test_the_first_screen_answers_cost_years_and_success(small_run, chromium, tmp_path):
    run = small_run
    path = pm_.write_report(run, tmp_path / "report.html", priors_dir=SHIPPED)
    expected = expected_numbers(pm_.summarize(run))
    page = chromium.new_page(viewport=VIEWPORT)
    try:
        page.goto(Path(path).resolve().as_uri())
        seen = {}
        for key in expected:
            element = page.locator(f'[data-key="{key}"]')
            assert element.count() == 1, f"{key}: {element.count()} elements"
            assert element.is_visible(), key
            box = element.bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, (key, box)
            seen[key] = element.inner_text()
        assert seen == expected
        # The joint-confidence figure starts on the first screen too.
        figure = page.locator("figure.jcl img").bounding_box()
        assert figure is not None and figure["y"] < 900
        # The metadata is at the end: the config hash is on the page, but not on the first screen.
        digest = page.get_by_text(run.config_hash, exact=True)
        assert digest.count() == 1
        assert digest.bounding_box()["y"] > 900
        assert run.config_hash not in page.evaluate(
            """() => { const out = [];
                 const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                 while (walk.nextNode()) { const r = document.createRange();
                   r.selectNodeContents(walk.currentNode);
                   const b = r.getBoundingClientRect();
                   if (b.height > 0 && b.top < 900) out.push(walk.currentNode.textContent); }
                 return out.join(' '); }"""
        )
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    finally:
        page.close()
