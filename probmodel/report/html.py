"""The self-contained HTML report of a run: one file, no external CSS, scripts or images.

Sections, in the order a reader needs them: first one screen that answers (cost, years and
success against budget, deadline and target, the joint confidence with its figure, what drives
each outcome and how much of it is judgement), then the headline risk in words, the plan, the
decisions, outcome tables (posterior, then prior), plans side by side, figures, the priors, the
evidence with what it did to each measured quantity, the model checks (prior predictive check of
the point estimates, posterior predictive check per record), MCMC diagnostics and, last, the
run's metadata (config hash, versions, sampler settings). A run that failed its diagnostics gets
a banner at the top. The navigation links only to the sections this report has.
Figures are PNGs embedded as base64 ``data:`` URIs and every piece of text is escaped, so the
file can be mailed, archived or opened offline and shows exactly what was computed.
"""

from __future__ import annotations

import re
from pathlib import Path

from probmodel import io
from probmodel.equations import (
    WORLD_PARAMETERS,
)
from probmodel.report import plots
from probmodel.report.checks import checks_section, diagnostics_banner, diagnostics_section
from probmodel.report.decisions import decisions_section, plans_section
from probmodel.report.evidence import evidence_section, priors_section, provenance_section
from probmodel.report.markup import CSS, KEY_META, esc, notices_block, section
from probmodel.report.overview import (
    answer_screen,
    headline,
    metadata_section,
    outcome_tables,
    plan_section,
)


def write_report(run, inputs, path: str | Path, key: str | None = None) -> Path:
    """Write the HTML report of ``run`` to ``path`` atomically and return the path.

    Parameters
    ----------
    run : probmodel.run.Run
    inputs : probmodel.pipeline.ReportInputs
        What the report shows, computed once by :func:`probmodel.pipeline.report_inputs`.
    path : str or Path
    key : str, optional
        A hash of everything the report shows, stored in its head so that an unchanged report
        need not be rebuilt.
    """
    return io.write_text(path, render_report(run, inputs, key))


NAV_TITLES = {
    "headline": "Headline risk", "plan": "Plan", "decisions": "Decisions", "outcomes": "Outcomes",
    "plans": "Plans", "figures": "Figures", "priors": "Priors", "evidence": "Evidence",
    "provenance": "What moved", "checks": "Model checks", "diagnostics": "Diagnostics",
    "metadata": "Run metadata",
}  # fmt: skip
"""Navigation titles of the sections, in page order."""


def render_report(run, inputs, key: str | None = None) -> str:
    """The report as one HTML string: renders ``inputs`` (a
    :class:`probmodel.pipeline.ReportInputs`), computes nothing."""
    summary, prov = inputs.summary, inputs.provenance
    body = [
        headline(summary),
        plan_section(run),
        decisions_section(run, summary, inputs.decisions),
        outcome_tables(summary),
        plans_section(run, inputs.plans),
        _figures(run),
        priors_section(run),
        evidence_section(run, prov),
        provenance_section(prov),
        checks_section(inputs),
        diagnostics_section(summary["diagnostics"]),
        metadata_section(run),
    ]
    present = {m.group(1) for part in body for m in re.finditer(r'<section id="([^"]+)"', part)}
    nav = "".join(
        f'<a href="#{a}">{esc(t)}</a>' for a, t in NAV_TITLES.items() if a in present
    )
    sections = [
        diagnostics_banner(run.name, summary["diagnostics"]),
        answer_screen(run, summary, inputs.drivers, inputs.decisions, nav, _jcl_figure(run)),
        notices_block(inputs.notices),
        *body,
    ]
    title = esc(run.scenario["title"])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        + (f'<meta name="{KEY_META}" content="{key}">\n' if key else "")
        + f"<title>{title}: probmodel report</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(s for s in sections if s)
        + "\n</body>\n</html>\n"
    )


def _jcl_figure(run) -> str | None:
    """The first screen's cost x schedule scatter of the posterior draws, as a ``data:`` URI."""
    from probmodel.report import decision_plots as dp

    post = run.tree["posterior"]
    name = "cost_net_usd" if "cost_net_usd" in post.data_vars else "cost_total_usd"
    if name not in post.data_vars or "years" not in post.data_vars:
        return None
    fig = dp.jcl_scatter(
        post[name].values, post["years"].values, run.plan.get("budget_usd"),
        run.plan.get("deadline_years"), title="Cost x schedule of every draw", size=(5.6, 3.4),
    )  # fmt: skip
    return plots.figure_to_data_uri(fig)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _figures(run) -> str:
    """The S-curves, the cost breakdown and the prior-vs-posterior panels as embedded PNGs."""
    sampled = plots.world_parameter_names(run)
    fixed = [n for n in WORLD_PARAMETERS if n in run.priors and n not in sampled]
    moved, unmoved = plots.moved_parameters(run)
    items = [  # (figure maker, alt text, caption); each figure is drawn, encoded and closed in turn
        (lambda: plots.s_curve(run, "cost_total_usd"), "Cost S-curve",
         "Probability that the total cost is at most x. Dots: posterior P50 and P80; dotted line: "
         "point estimate; dashed red line: the plan's budget."),
        (lambda: plots.s_curve(run, "years"), "Timeline S-curve",
         "Probability that data collection finishes within x years; dashed red line: the deadline."),
        (lambda: plots.s_curve(run, "success_rate"), "Performance S-curve",
         "Probability that the trained model's success rate on unseen tasks is at most x; the "
         "chance of reaching the target is one minus the curve's height at the dashed red line."),
        (lambda: plots.cost_breakdown(run), "Cost breakdown",
         "Posterior median cost per component (bar) with its 10–90% range (whiskers) and the point "
         "estimate (black tick)."),
        (lambda: plots.prior_posterior(run, names=moved or None), "Prior vs posterior",
         "Grey: prior; blue: posterior; dashed: point value. Each panel shows the 0.5–99.5% range "
         "of the pooled draws; parameters spanning more than a factor of 20 are on a log axis."
         + (f" Not moved by the evidence (median within {plots.MOVED_SHIFT:g} prior sd and "
            f"spread within {plots.MOVED_RATIO:.0%} of the prior's): {', '.join(unmoved)}."
            if moved and unmoved else "")
         + (f" Fixed (not sampled): {', '.join(fixed)}." if fixed else "")),
    ]  # fmt: skip
    blocks = [
        f'<figure><img src="{plots.figure_to_data_uri(make())}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
        for make, alt, caption in items
    ]
    return section("figures", "Figures", *blocks)
