"""What the explorer writes: the headline's numbers as text, its sentences, the HTML snapshot and
the draws as CSV. Numbers are formatted with :mod:`probmodel.formatting` (the same as the
command line and the report); the values come from :mod:`probmodel.analysis.whatif`.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from probmodel import formatting as fmt
from probmodel.analysis.whatif import Headline, PairedComparison, ScoredPlan
from probmodel.equations import PLAN_VARIABLES, Plan

FIELDS = {
    "cost_p50": fmt.fmt_usd,
    "cost_p80": fmt.fmt_usd,
    "p_cost_within_budget": fmt.fmt_pct,
    "years_p50": fmt.fmt_years,
    "years_p80": fmt.fmt_years,
    "p_on_time": fmt.fmt_pct,
    "success_p50": fmt.fmt_share,
    "success_p10": fmt.fmt_share,
    "p_success_at_least_target": fmt.fmt_pct,
    "p_cost_and_years_within": fmt.fmt_pct,
    "jcl80_budget_usd": fmt.fmt_usd,
}
"""Headline numbers shown on the page (each in an element with id ``hl-NAME``), and how each is
written. The keys are :data:`probmodel.analysis.risk.RISK_MEASURES`' and ``plan_risk``'s names,
so a row of :func:`probmodel.analysis.plans.plan_rows` formats the same way."""


LABELS = {
    "cost_p50": "net cost P50",
    "cost_p80": "net cost P80",
    "p_cost_within_budget": "P(within budget)",
    "years_p50": "years P50",
    "years_p80": "years P80",
    "p_on_time": "P(by the deadline)",
    "success_p50": "success P50",
    "success_p10": "success P10",
    "p_success_at_least_target": "P(success >= target)",
    "p_cost_and_years_within": "joint confidence P(budget and deadline)",
    "jcl80_budget_usd": "budget for 80% joint confidence",
}
"""Row labels of the headline numbers in tables (what moved, side by side)."""


def headline_fields(values: Headline | Mapping[str, Any]) -> dict[str, str]:
    """The headline's numbers as the page shows them, from a :class:`Headline` or any mapping
    with the same names (a ``plan_rows`` row, say): name -> text."""
    v = asdict(values) if isinstance(values, Headline) else dict(values)
    return {name: write(v.get(name)) for name, write in FIELDS.items()}


def _complement(p: float | None) -> str:
    return fmt.fmt_pct(None if p is None else 1.0 - p)


def headline_sentences(h: Headline) -> list[tuple[str, list[tuple[str, str]]]]:
    """The headline as sentences: (topic, [(text, field name or "")]) pieces, so the page can
    put each number in its own element. Probabilities are of the good event, with the bad one
    in brackets (over budget, late)."""
    f = headline_fields(h)
    cost: list[tuple[str, str]] = [
        ("median ", ""), (f["cost_p50"], "cost_p50"), (", P80 ", ""), (f["cost_p80"], "cost_p80"),
    ]  # fmt: skip
    if h.budget_usd is not None:
        cost += [
            ("; ", ""), (f["p_cost_within_budget"], "p_cost_within_budget"),
            (f" chance of staying within the {fmt.fmt_usd(h.budget_usd)} budget "
             f"({_complement(h.p_cost_within_budget)} over)", ""),
        ]  # fmt: skip
    years: list[tuple[str, str]] = [
        ("median ", ""), (f["years_p50"], "years_p50"), (", P80 ", ""), (f["years_p80"], "years_p80"),
    ]  # fmt: skip
    if h.deadline_years is not None:
        years += [
            ("; ", ""), (f["p_on_time"], "p_on_time"),
            (f" chance of finishing by the {fmt.fmt_years(h.deadline_years)} deadline "
             f"({_complement(h.p_on_time)} late)", ""),
        ]  # fmt: skip
    success: list[tuple[str, str]] = [
        ("median ", ""), (f["success_p50"], "success_p50"),
        (", and 9 in 10 draws reach at least ", ""), (f["success_p10"], "success_p10"),
    ]  # fmt: skip
    if h.performance_target is not None:
        success += [
            ("; ", ""), (f["p_success_at_least_target"], "p_success_at_least_target"),
            (f" chance of reaching the {fmt.fmt_share(h.performance_target)} target", ""),
        ]  # fmt: skip
    joint: list[tuple[str, str]] = []
    if h.budget_usd is not None and h.deadline_years is not None:
        joint = [
            (f["p_cost_and_years_within"], "p_cost_and_years_within"),
            (" chance of both (joint confidence level)", ""),
        ]
    if h.deadline_years is not None:
        joint += [("; " if joint else "", ""), ("80% joint-confidence budget ", ""),
                  (f["jcl80_budget_usd"], "jcl80_budget_usd")]  # fmt: skip
        if h.jcl80_budget_usd is None:
            joint += [(": none, the plan finishes by the deadline in fewer than 80% of the "
                       "draws", "")]  # fmt: skip
    out = [("Cost", cost), ("Years", years), ("Success on unseen tasks", success)]
    if joint:
        out.append(("Cost and schedule", joint))
    return out


def headline_html(h: Headline) -> str:
    """The headline sentences as HTML, each number in a ``<b id="hl-NAME">``."""
    rows = []
    for topic, pieces in headline_sentences(h):
        body = "".join(
            f'<b id="hl-{name}">{html.escape(text)}</b>' if name else html.escape(text)
            for text, name in pieces
        )
        rows.append(f'<p class="hl"><span class="topic">{html.escape(topic)}:</span> {body}.</p>')
    return "".join(rows)


def plan_value(name: str, value: Any) -> str:
    """A plan variable's value with its unit, as the plan table shows it."""
    var = PLAN_VARIABLES[name]
    if value is None:
        return var.when_none
    if isinstance(value, str | bool):
        return str(value)
    if var.unit == "USD":
        return fmt.fmt_usd(value)
    if var.unit == "fraction":
        return fmt.fmt_share(value)
    if var.unit == "years":
        return fmt.fmt_years(value)
    return fmt.fmt_number(value, var.unit)


def plan_table_html(plan: Plan) -> str:
    """The plan's variables with labels and units (from :data:`PLAN_VARIABLES`)."""
    rows = "".join(
        f"<tr><td>{html.escape(var.label)}</td><td>{html.escape(plan_value(name, getattr(plan, name)))}</td></tr>"
        for name, var in PLAN_VARIABLES.items()
    )
    return f'<table class="plan"><tbody>{rows}</tbody></table>'


def comparison_html(c: PairedComparison) -> str:
    """P(cheaper), P(faster), P(better) of the current plan against the pinned one."""
    cells = [("cheaper", c.p_cheaper, "p_cheaper"), ("faster", c.p_faster, "p_faster"),
             ("better on unseen tasks", c.p_better, "p_better")]  # fmt: skip
    items = "".join(
        f'<li>P(current plan {what}) = <b id="cmp-{key}">{fmt.fmt_pct(p)}</b></li>'
        for what, p, key in cells
    )
    return f'<ul class="cmp">{items}</ul>'


def draws_csv(scored: ScoredPlan) -> str:
    """The scored draws as CSV: the posterior draw each row is (chain x draw position), net
    cost [USD], years, success rate on unseen tasks [fraction]."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["posterior_draw", "cost_net_usd", "years", "success_rate"])
    for row in zip(scored.draw, scored.cost, scored.years, scored.success, strict=True):
        writer.writerow([int(row[0]), repr(float(row[1])), repr(float(row[2])), repr(float(row[3]))])
    return out.getvalue()


SNAPSHOT_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:1.5em auto;color:#222}
.hl{margin:.3em 0}.topic{font-weight:600}.figs svg{margin:4px}
table.plan td{padding:1px 10px 1px 0;font-size:90%}.warn{color:#a00;font-weight:600}
"""


def snapshot_html(
    run_name: str,
    scored: ScoredPlan,
    figures: list[str],
    whatif: str,
    comparison: str = "",
    generated: str = "",
) -> str:
    """A self-contained HTML page of the current view: headline, figures (inline SVG), what-if
    state, comparison and the plan. No scripts, no external files."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>probmodel explore: {html.escape(run_name)}</title>"
        f"<style>{SNAPSHOT_STYLE}</style></head><body>"
        f"<h1>What-if on run {html.escape(run_name)}</h1>"
        f"<p>{html.escape(generated)}</p>"
        f"{headline_html(scored.headline)}"
        f"<div>{whatif}</div>"
        f"<div class='figs'>{''.join(figures)}</div>"
        + (f"<h2>Side by side</h2>{comparison}" if comparison else "")
        + f"<h2>Plan</h2>{plan_table_html(scored.plan)}</body></html>"
    )
