"""The self-contained HTML report of a run: one file, no external CSS, scripts or images.

Sections, in the order a reader needs them: what was modelled (scenario, plan, provenance),
the headline risk against budget and deadline, outcome tables (posterior, then prior), figures,
the priors, the evidence with what it did to each measured quantity, the model checks (prior
predictive check of the point estimates, posterior predictive check per record) and MCMC
diagnostics. A run that failed its diagnostics gets a banner at the top.
Figures are PNGs embedded as base64 ``data:`` URIs and every piece of text is escaped, so the
file can be mailed, archived or opened offline and shows exactly what was computed.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from probmodel import io
from probmodel.constants import TAIL_P
from probmodel.equations import (
    MEASURABLE_DERIVED,
    OUTCOMES,
    PLAN_VARIABLES,
    WORLD_PARAMETERS,
    world_quantity,
)
from probmodel.evidence import CONFIDENCE_WIDENING
from probmodel.formatting import (
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_share,
    fmt_tick,
    fmt_usd,
    fmt_value,
    fmt_years,
    unit_of,
)
from probmodel.report import plots

PRIOR_TABLE_OUTCOMES = (
    "cost_total_usd", "cost_net_usd", "years", "success_rate", "robot_years", "robots_needed",
    "tokens_per_robot_year",
)  # fmt: skip
"""Outcomes repeated in the short prior table, so prior and posterior can be compared."""

"""Standard-normal quantile of 0.95: half-width of a 90% interval in sds."""

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 1180px; margin: 2rem auto; padding: 0 1.5rem; color: #1d2733; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; margin-top: 2.4rem; border-bottom: 2px solid #1f5fa8; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
nav { font-size: .9rem; margin: .8rem 0 1.2rem; }
nav a { margin-right: .9rem; color: #1f5fa8; }
.meta { color: #55606e; font-size: .92rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .86em;
       background: #f2f4f7; padding: 0 .25em; border-radius: 3px; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0 1.4rem; font-size: .9rem; }
th, td { padding: .32rem .6rem; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
th { background: #f4f6f8; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.wide { width: 100%; }
.scroll { overflow-x: auto; }
.columns { display: flex; flex-wrap: wrap; gap: 0 2.5rem; align-items: flex-start; }
td code, th code { white-space: nowrap; overflow-wrap: normal; color: #55606e; }
table.text td { font-size: .84rem; }
table.compact { font-size: .8rem; }
table.compact td, table.compact th { padding: .15rem .5rem; }
.callout { background: #f4f8fd; border-left: 4px solid #1f5fa8; padding: .7rem 1rem; margin: 1rem 0; }
.callout p { margin: .35rem 0; }
.big { font-size: 1.15rem; }
.bad { color: #b03a2e; font-weight: 600; }
.badge { display: inline-block; padding: .05rem .55rem; border-radius: 1rem; font-weight: 700;
         font-size: .85rem; color: white; }
.pass { background: #2e7d4f; }
.tag { background: #55606e; }
.fail { background: #b03a2e; }
.muted { color: #6b7683; font-size: .88rem; }
figure { margin: 1.2rem 0 1.8rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { color: #55606e; font-size: .88rem; margin-top: .3rem; }
ol.evidence > li { margin-bottom: 1.4rem; }
ol.evidence table { margin: .4rem 0 .2rem; }
.notes { color: #3d4753; font-size: .88rem; margin: .3rem 0; }
.banner { background: #fbeae8; border-left: 6px solid #b03a2e; padding: .7rem 1rem; margin: 0 0 1rem; }
"""


class Html(str):
    """A string that is already HTML: table cells built with it are not escaped again."""


def esc(value: Any) -> str:
    """Escape any value for HTML text and attributes (quotes included)."""
    return html.escape(str(value), quote=True)


def write_report(run, inputs, path: str | Path) -> Path:
    """Write the HTML report of ``run`` to ``path`` atomically and return the path.

    Parameters
    ----------
    run : probmodel.run.Run
    inputs : probmodel.pipeline.ReportInputs
        What the report shows, computed once by :func:`probmodel.pipeline.report_inputs`.
    path : str or Path
    """
    return io.write_text(path, render_report(run, inputs))


def render_report(run, inputs) -> str:
    """The report as one HTML string: renders ``inputs`` (a
    :class:`probmodel.pipeline.ReportInputs`), computes nothing."""
    summary, prov = inputs.summary, inputs.provenance
    sections = [
        _diagnostics_banner(run.name, summary["diagnostics"]),
        _header(run),
        _headline(summary),
        _decisions_section(run, summary, inputs.decisions),
        _outcome_tables(summary),
        _plans_section(run, inputs.plans),
        _figures(run),
        _priors_section(run),
        _evidence_section(run, prov),
        _provenance_section(prov),
        _checks_section(inputs),
        _diagnostics_section(summary["diagnostics"]),
    ]
    title = esc(run.scenario["title"])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}: probmodel report</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def table(
    head: list[str] | None, rows: Iterable[list[Any]], numeric: Iterable[int] = (), css: str = ""
) -> str:
    """An HTML table (no header row when ``head`` is None).

    Columns in ``numeric`` are right-aligned; cells are escaped unless they are :class:`Html`.
    """
    numeric = set(numeric)

    def cell(tag: str, i: int, value: Any) -> str:
        cls = ' class="num"' if i in numeric else ""
        text = value if isinstance(value, Html) else esc(value)
        return f"<{tag}{cls}>{text}</{tag}>"

    header = "".join(cell("th", i, h) for i, h in enumerate(head or []))
    thead = f"<thead><tr>{header}</tr></thead>\n" if head else ""
    body = "\n".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    cls = f' class="{esc(css)}"' if css else ""
    return f"<table{cls}>\n{thead}<tbody>\n{body}\n</tbody>\n</table>"


def scroll(html_text: str) -> str:
    """Wrap a wide table so it scrolls sideways on a narrow screen instead of overflowing."""
    return f'<div class="scroll">{html_text}</div>'


def section(anchor: str, title: str, *parts: str) -> str:
    """A titled ``<section>`` with an id the navigation links to."""
    body = "\n".join(parts)
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{body}\n</section>'


def para(text: str, css: str = "") -> str:
    """A paragraph of plain (escaped) text."""
    cls = f' class="{esc(css)}"' if css else ""
    return f"<p{cls}>{esc(text)}</p>"


def linkify(text: str) -> Html:
    """Escape ``text`` and turn the http(s) URLs in it into links (citations carry URLs)."""
    parts = re.split(r"(https?://[^\s,;]+)", text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            url = part.rstrip(".)")
            out.append(f'<a href="{esc(url)}">{esc(url)}</a>{esc(part[len(url) :])}')
        else:
            out.append(esc(part))
    return Html("".join(out))


def label_of(name: str) -> str:
    """A readable label for an outcome row: its description without the unit."""
    if name.startswith("cost_") and name != "cost_total_usd":
        return f"cost: {name[5:]}"
    text = OUTCOMES.get(name) or WORLD_PARAMETERS.get(name) or name
    return text.split(" [")[0]


def interval_text(name: str, lo: float, hi: float, with_unit: bool = True) -> str:
    """An interval in the quantity's unit ("$397M – $7.05B", "0.37 – 5.3 years")."""
    unit = unit_of(name)
    text = f"{fmt_value(name, lo, False)} – {fmt_value(name, hi, False)}"
    if not with_unit or not unit or unit == "USD":
        return text
    if unit.startswith("USD/"):
        return f"{text} per {unit[4:]}"
    return f"{text} {unit}"


def interval_header(summary_group: dict[str, Any]) -> str:
    """The stated credible interval, e.g. "90% equal-tailed interval"."""
    ci = summary_group["credible_interval"]
    return f"{ci['mass'] * 100:g}% {ci['kind']} interval"


# --------------------------------------------------------------------------------------------
# Header and plan
# --------------------------------------------------------------------------------------------

SIM_GENERATION_TEXT = {
    "on_fleet": "on the fleet (simulated robot-years take fleet time)",
    "separate": "on separate compute (only real data sets the timeline)",
}
DATA_GOAL_TEXT = {
    "raw_tokens": "the token target in raw tokens (weak transfer costs performance)",
    "effective_tokens": "until transfer-weighted tokens reach the target (weak transfer costs money)",
}

PLAN_TEXT: dict[str, Callable[[Any], str]] = {
    "sim_generation": lambda v: SIM_GENERATION_TEXT.get(v, str(v)),
    "data_goal": lambda v: DATA_GOAL_TEXT.get(v, str(v)),
    "deployed": lambda v: "yes" if v else "no",
    "robot_class": str,
}
"""Plan variables shown as words rather than as a number in their unit."""


def plan_value(name: str, value: Any) -> str:
    """A plan variable's value as the plan table shows it, in the variable's unit."""
    if name in PLAN_TEXT:
        return PLAN_TEXT[name](value)
    unit = PLAN_VARIABLES[name].unit
    if unit == "fraction":
        return fmt_pct(value)
    if unit == "years":
        return fmt_years(value)
    if unit == "USD":
        return fmt_usd(value)
    if unit in ("robots", "sites", "h"):
        return fmt_count(value, unit)
    if unit == "embodiments":
        return fmt_count(value)
    return fmt_number(value, unit)


def plan_rows(plan: dict[str, Any]) -> list[list[Any]]:
    """Rows of the plan table in the order of :data:`PLAN_VARIABLES`, unknown keys last and
    shown as given."""
    rows = []
    for key in [*PLAN_VARIABLES, *sorted(k for k in plan if k not in PLAN_VARIABLES)]:
        if key not in plan:
            continue
        value = plan[key]
        variable = PLAN_VARIABLES.get(key)
        if variable is None:
            label, shown = key, "—" if value is None else str(value)
        else:
            label, shown = (
                variable.label,
                variable.when_none if value is None else plan_value(key, value),
            )
        rows.append([label, Html(f"<code>{esc(key)}</code>"), shown])
    return rows


def _header(run) -> str:
    """Title, provenance line, navigation and the plan table."""
    scenario = run.scenario
    settings = run.meta.get("settings", {})
    count = lambda key: fmt_count(settings.get(key, math.nan))  # noqa: E731
    sampler = (
        f"{count('chains')} chains × {count('draws')} draws after {count('tune')} tuning steps, "
        f"{count('prior_draws')} prior draws, seed {settings.get('seed', '?')}"
    )
    nav = "".join(
        f'<a href="#{a}">{esc(t)}</a>'
        for a, t in (("headline", "Headline risk"), ("decisions", "Decisions"),
                     ("outcomes", "Outcomes"), ("plans", "Plans"),
                     ("figures", "Figures"),
                     ("priors", "Priors"), ("evidence", "Evidence"), ("provenance", "What moved"),
                     ("checks", "Model checks"), ("diagnostics", "Diagnostics"))
    )  # fmt: skip
    meta_rows = [
        ["scenario", Html(f"<code>{esc(run.name)}</code>")],
        ["config hash", Html(f"<code>{esc(run.config_hash)}</code>")],
        ["probmodel version", run.meta.get("version", "unknown")],
        ["sampler", sampler],
        ["evidence records", fmt_count(len(run.evidence))],
    ]
    parts = [
        f"<h1>{esc(scenario['title'])}</h1>",
        para(scenario.get("description") or "", "meta") if scenario.get("description") else "",
        para(f"Source: {scenario['source']}", "meta") if scenario.get("source") else "",
        f"<nav>{nav}</nav>",
        table(None, meta_rows, css="compact"),
        "<h3>The plan (decisions, not uncertain)</h3>",
        table(["plan variable", "key", "value"], plan_rows(run.plan)),
    ]
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------
# Headline risk
# --------------------------------------------------------------------------------------------


def _judgement_paragraph(j: dict[str, Any]) -> str:
    """How much of each headline outcome's spread is judgement rather than evidence."""
    names = {"cost_total_usd": "cost", "years": "years", "success_rate": "success"}
    parts = []
    for outcome, row in j["outcomes"].items():
        drivers = ", ".join(f"<code>{esc(n)}</code> {100 * v:.0f}%"
                            for n, v in list(row["drivers"].items())[:3])  # fmt: skip
        parts.append(f"{names.get(outcome, esc(outcome))}: <strong>{100 * row['share']:.0f}%</strong>"
                     + (f" ({drivers})" if drivers else ""))  # fmt: skip
    return (
        "<p><strong>Decided by judgement</strong> (share of the posterior spread from world "
        "parameters no record informs; cost and years on the log scale): "
        + "; ".join(parts)
        + f". {len(j['informed'])} of {len(j['informed']) + len(j['judgement'])} world parameters "
        f"are informed by records (contraction ≥ {j['threshold']:g} on the log or logit scale).</p>"
    )


def _headline(summary: dict[str, Any]) -> str:
    """The chances of staying within budget, finishing on time and reaching the target, and
    P50/P80/P90 in words."""
    post, prior = summary["posterior"], summary["prior"]
    risk, prior_risk = post["risk"], prior["risk"]
    rows = post["outcomes"]
    budget, deadline = risk["budget_usd"], risk["deadline_years"]
    lines = [
        _within_line(
            "cost", "budget", fmt_usd(budget) if budget else None,
            risk["p_cost_within_budget"], prior_risk["p_cost_within_budget"], "no budget set",
        ),
        _within_line(
            "years", "deadline", fmt_years(deadline) if deadline else None,
            risk["p_on_time"], prior_risk["p_on_time"],
            risk.get("note", "") if deadline else "no deadline set",
        ),
        _target_line(risk, prior_risk),
    ]  # fmt: skip
    cost = rows["cost_net_usd"] if "cost_net_usd" in rows else rows["cost_total_usd"]
    verb = "costs, net of the paid work's value," if "cost_net_usd" in rows else "costs"
    words = [
        "<p>" + _percentile_sentence(cost, verb, fmt_usd, "the plan") + "</p>",
        "<p>" + _years_sentence(rows, risk) + "</p>",
        "<p>" + _success_sentence(rows["success_rate"]) + "</p>",
        "<p>" + _point_sentence(cost) + "</p>",
    ]
    if summary.get("judgement"):
        words.append(_judgement_paragraph(summary["judgement"]))
    return section(
        "headline",
        "Headline risk",
        '<div class="callout big">' + "\n".join(lines) + "</div>",
        "\n".join(words),
        para(
            f"Percentiles are of {fmt_count(post['n_draws'])} posterior draws; "
            "“prior alone” repeats the calculation before any evidence.",
            "muted",
        ),  # fmt: skip
    )


def _target_line(risk: dict[str, Any], prior_risk: dict[str, Any]) -> str:
    """ "P(success rate ≥ target 80%) = 31% (prior alone: 35%)", or why there is none."""
    target = risk.get("performance_target")
    symbol = "P(success rate ≥ target"
    if target is None:
        return f"<p>{symbol}): <strong>not defined</strong>: no performance target set.</p>"
    p, p_prior = risk["p_success_at_least_target"], prior_risk.get("p_success_at_least_target")
    prior_text = f" (prior alone: {esc(fmt_pct(p_prior))})" if p_prior is not None else ""
    return (
        f"<p>{symbol} {esc(fmt_share(target))}) = <strong>{esc(fmt_pct(p))}</strong>"
        f"{prior_text}</p>"
    )


def _success_sentence(row: dict[str, float]) -> str:
    """Achieved performance in words: the 80% interval and the median."""
    return (
        "The trained model succeeds on unseen tasks at a predicted rate of "
        f"<strong>{esc(fmt_share(row['p50']))}</strong> (median); 80% chance between "
        f"<strong>{esc(fmt_share(row['p10']))}</strong> and "
        f"<strong>{esc(fmt_share(row['p90']))}</strong> (P10–P90)."
    )


def _within_line(
    what: str,
    limit_word: str,
    limit_text: str | None,
    p: float | None,
    p_prior: float | None,
    none_text: str,
) -> str:
    """ "P(cost ≤ budget $2B) = 73% (prior alone: 71%)", or why there is no such number."""
    symbol = f"P({what} ≤ {esc(limit_word)}"
    if p is None:
        reason = (none_text or f"no {limit_word} set").rstrip(".")
        return f"<p>{symbol}): <strong>not defined</strong>: {esc(reason)}.</p>"
    prior_text = f" (prior alone: {esc(fmt_pct(p_prior))})" if p_prior is not None else ""
    return f"<p>{symbol} {esc(limit_text)}) = <strong>{esc(fmt_pct(p))}</strong>{prior_text}</p>"


def _percentile_sentence(
    row: dict[str, float], verb: str, fmt: Callable, subject: str, bound: str = "at most"
) -> str:
    """ "50% chance the plan costs at most $1.2B; 80% chance at most $2.4B; 90% ..." in HTML."""
    first, *rest = [(p, fmt(row[f"p{p}"])) for p in (50, 80, 90)]
    text = f"{first[0]}% chance {subject} {verb} {bound} <strong>{esc(first[1])}</strong>"
    text += "".join(f"; {p}% chance {bound} <strong>{esc(v)}</strong>" for p, v in rest)
    return text + "."


def _years_sentence(rows: dict[str, dict], risk: dict[str, Any]) -> str:
    """Timeline in words, or the fleet needed when the fleet is solved for the deadline."""
    years = rows["years"]
    if math.isclose(years["p10"], years["p90"], rel_tol=1e-9) and "robots_needed" in rows:
        lead = (
            "The fleet is solved for the deadline, so collection takes "
            f"{esc(fmt_years(years['p50']))} by construction; the risk is in the fleet size. "
        )
        return lead + _percentile_sentence(
            rows["robots_needed"], "needs", lambda v: fmt_count(v, "robots"), "the plan"
        )
    return _percentile_sentence(years, "finishes", fmt_years, "data collection", "within")


def _point_sentence(cost: dict[str, float]) -> str:
    """Where the point estimate sits and the P80 contingency it needs."""
    if "point" not in cost:
        return "No point estimate is stored with this run."
    lead = (
        "The point estimate (every assumption at its point value: the seed's arithmetic) is "
        f"<strong>{esc(fmt_usd(cost['point']))}</strong>; "
    )
    contingency = cost["contingency_p80"]
    if contingency <= 0:
        return (
            lead
            + f"it already lies {esc(fmt_usd(-contingency))} above the P80, so it needs no contingency."
        )
    return lead + (
        f"a P80 budget needs <strong>{esc(fmt_usd(contingency))}</strong> of contingency on top of "
        "it (P80 − point estimate)."
    )


# --------------------------------------------------------------------------------------------
# Outcome tables
# --------------------------------------------------------------------------------------------


def _outcome_tables(summary: dict[str, Any]) -> str:
    """Posterior table of every outcome and cost component, then a short prior table."""
    post, prior = summary["posterior"], summary["prior"]
    ci = interval_header(post)
    head = ["outcome", "unit", "mean", "P10", "P50", "P80", "P90", ci, "point estimate",
            "contingency (P80 − point)"]  # fmt: skip
    rows = [_outcome_row(name, row) for name, row in post["outcomes"].items()]
    prior_head = ["outcome", "unit", "mean", "P10", "P50", "P80", "P90", interval_header(prior)]
    prior_rows = [
        _outcome_row(name, prior["outcomes"][name])[:8]
        for name in PRIOR_TABLE_OUTCOMES
        if name in prior["outcomes"]
    ]
    return section(
        "outcomes",
        "Outcomes",
        f"<h3>Posterior: {esc(_posterior_basis(summary))} ({esc(ci)})</h3>",
        scroll(table(head, rows, numeric=range(2, 10), css="wide")),
        f"<h3>Prior: assumptions only ({esc(interval_header(prior))})</h3>",
        scroll(table(prior_head, prior_rows, numeric=range(2, 8))),
    )


def _posterior_basis(summary: dict[str, Any]) -> str:
    """What the posterior is conditioned on, for table headings."""
    n = len(summary.get("evidence_ids") or [])
    if not n:
        return "no evidence, the prior via MCMC"
    return f"given {n} evidence record{'s' if n != 1 else ''}"


def _outcome_row(name: str, row: dict[str, float]) -> list[Any]:
    """One outcome: label, unit, mean, percentiles, interval, point and contingency."""
    f = lambda key: fmt_value(name, row.get(key), with_unit=False)  # noqa: E731
    label = Html(f"{esc(label_of(name))}<br><code>{esc(name)}</code>")
    return [
        label, unit_of(name), f("mean"), f("p10"), f("p50"), f("p80"), f("p90"),
        interval_text(name, row["ci_low"], row["ci_high"], with_unit=False),
        f("point"), f("contingency_p80") if "contingency_p80" in row else "—",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Decisions: the four questions a budget committee asks
# --------------------------------------------------------------------------------------------


def _outcome_words(name: str) -> str:
    """An outcome's description without its unit ("total cost less the value of ...")."""
    text = OUTCOMES.get(name, name)
    return text[: text.rfind("[")].strip() if "[" in text else text


def _mc_error(se: float | None) -> str:
    return f" (± {esc(fmt_usd(se))} Monte Carlo error)" if se is not None else ""


def _decisions_section(run, summary: dict[str, Any], d: dict[str, Any] | None) -> str:
    """Budget for 80% joint confidence, the cheapest plan at it, the assumption that matters
    most and what knowing it is worth; then the figures behind the answers."""
    if not d:
        return ""
    from probmodel.report import decision_plots as dp

    a = d["answers"]
    level, deadline = round(100 * a["level"]), a["deadline_years"]
    own = a["budget_for_confidence"]
    q1 = (
        f"A budget of <strong>{esc(fmt_usd(own['jcl_budget_usd']))}</strong> gives {level}% "
        f"confidence of finishing within {esc(fmt_years(deadline))} (joint confidence: cost within "
        "budget and data in by the deadline, in the same draws)."
        if own["jcl_budget_usd"] is not None
        else f"No budget gives {level}% confidence of finishing within {esc(fmt_years(deadline))}: "
        f"this plan is on time in only {esc(fmt_pct(own['p_on_time']))} of the draws."
    )
    if own.get("jcl_with_target_budget_usd") is not None:
        q1 += (
            f" Also reaching the {esc(fmt_share(own['performance_target']))} performance target "
            f"in the same draws takes <strong>{esc(fmt_usd(own['jcl_with_target_budget_usd']))}"
            "</strong>."
        )
    elif own.get("performance_target") is not None:
        q1 += (
            f" No budget gives {level}% confidence of also reaching the "
            f"{esc(fmt_share(own['performance_target']))} performance target."
        )
    c, ct = a["cheapest"], a["cheapest_with_target"]
    q2 = (
        f"Cheapest at {level}% confidence of finishing within {esc(fmt_years(deadline))}: "
        f"<code>{esc(c['scenario'])}</code> ({esc(c['title'])}), "
        f"<strong>{esc(fmt_usd(c['jcl_budget_usd']))}</strong>"
        f", but its median success on unseen tasks is {esc(fmt_share(c['success_p50']))}."
        if c
        else f"No candidate plan reaches {level}% confidence of finishing within the deadline."
    )
    if ct:
        q2 += (
            f" Cheapest that also reaches its own performance target at that confidence: "
            f"<code>{esc(ct['scenario'])}</code>, "
            f"<strong>{esc(fmt_usd(ct['jcl_with_target_budget_usd']))}</strong>."
        )
    top = a["most_important"]
    sens = a["sensitivity"]
    q3 = (
        f"<code>{esc(top['parameter'])}</code>: knowing it would remove "
        f"<strong>{esc(fmt_pct(top['S1']))}</strong> of the variance of "
        f"{esc(_outcome_words(sens['outcome']))} (first-order Sobol index from the posterior draws, "
        f"SALib delta method; {esc(WORLD_PARAMETERS.get(top['parameter'], ''))})."
        if top
        else "No sampled parameter to rank."
    )
    v = a["value_of_most_important"]
    voi = a["voi"] or {"evppi": [], "method": "", "evpi": {"value": 0.0}}
    q4 = (
        f"Choosing between {', '.join(f'<code>{esc(n)}</code>' for n in a['decision_set'])}, "
        f"resolving <code>{esc(top['parameter'])}</code> before committing is worth up to "
        f"<strong>{esc(fmt_usd(v['evppi']))}</strong>{_mc_error(v.get('se'))}; resolving every "
        f"uncertainty (EVPI) is worth "
        f"{esc(fmt_usd(voi['evpi']['value']))}. Missing the deadline or the target is priced at "
        f"{esc(fmt_usd(a['penalty_usd']))}."
        if v is not None and top
        else "Value of information not available: no other plan for the same model reaches the "
        "confidence, so there is no choice to inform."
    )
    best_voi = voi["evppi"][0] if voi.get("evppi") else None
    if best_voi is not None and top and best_voi["parameter"] != top["parameter"]:
        q4 += (
            f" The uncertainty most worth resolving for this choice is "
            f"<code>{esc(best_voi['parameter'])}</code>: up to "
            f"<strong>{esc(fmt_usd(best_voi['evppi']))}</strong>."
        )
    q1_title = f"What budget gives {level}% confidence of finishing within {fmt_years(deadline)}?"
    items = [(q1_title, q1),
             ("Which plan is cheapest at that confidence?", q2),
             ("Which assumption matters most?", q3),
             ("What would it be worth to know it?", q4)]  # fmt: skip
    answers = "".join(f"<h3>{esc(q)}</h3><p>{text}</p>" for q, text in items)
    jcl_rows = [
        [Html(f"<code>{esc(r['scenario'])}</code>"), fmt_pct(r["p_on_time"]),
         fmt_usd(r["jcl_budget_usd"]) if r["jcl_budget_usd"] is not None else "not reachable",
         fmt_usd(r["jcl_with_target_budget_usd"]) if r["jcl_with_target_budget_usd"] is not None
         else "not reachable", fmt_share(r["success_p50"])]
        for r in sorted(a["plans"], key=lambda r: (r["jcl_budget_usd"] is None, r["jcl_budget_usd"] or 0))
    ]  # fmt: skip
    evppi_rows = [
        [Html(f"<code>{esc(r['parameter'])}</code>"), fmt_usd(r["evppi"]),
         fmt_usd(r["se"]) if r.get("se") is not None else "—"]
        for r in voi.get("evppi", [])[:10]
    ]  # fmt: skip
    figures = [
        (lambda: dp.jcl_scatter(d["cost"], d["years"], run.plan.get("budget_usd"), deadline),
         "Cost x schedule", "Every posterior draw of this plan; contours hold 50%, 80% and 95% of "
         "the draws; the lower-left corner cut off by the budget and the deadline is the joint "
         "confidence level."),
        (lambda: dp.plan_comparison(d["comparison"], d["limits"]), "Plans side by side",
         "The plans of the value-of-information decision, on the same posterior draws."),
        (lambda: dp.tornado(d["tornado"], sens["outcome"]), "Tornado",
         "Each bar: the outcome with one parameter at its posterior P10 (grey) or P90 (blue) and "
         "every other at its median."),
        (lambda: dp.variance_ranking(sens["rows"], sens["outcome"]), "Variance ranking",
         "First-order Sobol index (share of variance removed if the parameter were known) with "
         "its 95% interval, estimated from the posterior draws with SALib's delta method."),
    ]  # fmt: skip
    for variable in ("cost_p80", "p_on_time", "p_success_at_least_target"):
        if d.get("sweep") is not None and variable in d["sweep"]:
            figures.append((
                (lambda var=variable: dp.sweep_heatmap(d["sweep"], var, d["sweep_axes"][0],
                                                       d["sweep_axes"][1])),
                f"Sweep {variable}",
                f"{d['sweep'][variable].attrs.get('description', variable)} for plans varying "
                f"{' and '.join(d['sweep_axes'])}, the rest as in this scenario; scored on the "
                "posterior draws without re-sampling (probmodel sweep).",
            ))  # fmt: skip
    blocks = [
        f'<figure><img src="{plots.figure_to_data_uri(make())}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
        for make, alt, caption in figures
    ]
    return section(
        "decisions",
        "Decisions: what to fund",
        answers,
        f"<h3>Budget for {level}% joint confidence, every plan (deadline "
        f"{esc(fmt_years(deadline))})</h3>",
        scroll(
            table(
                [
                    "plan",
                    "P(on time)",
                    f"budget for {level}% JCL",
                    "… and performance target",
                    "median success",
                ],
                jcl_rows,
                numeric=range(1, 5),
            )
        ),  # fmt: skip
        f"<h3>Value of information for the choice between {esc(', '.join(a['decision_set']))}</h3>",
        para(voi["method"], "muted"),
        table(
            ["parameter", "EVPPI (worth of knowing it first)", "Monte Carlo error"],
            evppi_rows,
            numeric=range(1, 3),
        ),  # fmt: skip
        *blocks,
    )


# --------------------------------------------------------------------------------------------
# Plans scored on this posterior
# --------------------------------------------------------------------------------------------


def _plans_section(run, plans: list[dict[str, Any]] | None) -> str:
    """Every scenario's plan on this run's posterior draws: cost, years, success side by side."""
    if not plans:
        return ""
    pct = lambda p: fmt_pct(p) if p is not None else "—"  # noqa: E731
    head = ["plan", "cost P50", "cost P80", "P(cost ≤ budget)", "years P50", "years P80",
            "success P10–P90", "P(success ≥ target)"]  # fmt: skip
    rows = []
    for r in plans:
        name = Html(
            f"<code>{esc(r['scenario'])}</code>{' *' if r['prior_overrides'] else ''}"
            f"{' (this run)' if r['scenario'] == run.name else ''}<br>{esc(r['title'])}"
        )
        rows.append([
            name, fmt_usd(r["cost_p50"]), fmt_usd(r["cost_p80"]), pct(r["p_cost_within_budget"]),
            fmt_years(r["years_p50"]), fmt_years(r["years_p80"]),
            f"{fmt_share(r['success_p10'])} – {fmt_share(r['success_p90'])}",
            pct(r["p_success_at_least_target"]),
        ])  # fmt: skip
    note = (
        "Each plan is evaluated on the same posterior draws with the same outcome equations (no "
        "re-sampling), so differences between rows come from the plans, not from sampling noise. "
        "Cost is net of a deployed fleet's paid work; success is on unseen tasks; probabilities use "
        "each plan's own budget and target."
    )
    overrides = (
        " * The scenario overrides some priors; only its plan is scored here, its own run applies both."
        if any(r["prior_overrides"] for r in plans)
        else ""
    )
    return section(
        "plans",
        "Plans on this posterior: pathways, diversity, model size, flywheel",
        scroll(table(head, rows, numeric=range(1, 8), css="wide")),
        para(note + overrides, "muted"),
    )


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


# --------------------------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------------------------


def distribution_text(spec: dict[str, Any]) -> str:
    """ "LogNormal(mu=2.3, sigma=0.421)", or "Fixed" for a constant."""
    params = ", ".join(f"{k}={fmt_tick(float(v))}" for k, v in (spec.get("params") or {}).items())
    return f"{spec['distribution']}({params})" if params else spec["distribution"]


def elicitation_text(spec: dict[str, Any]) -> str:
    """How the parameters were obtained: given, or solved from an interval holding some mass."""
    method = spec.get("method") or "—"
    if spec.get("interval"):
        lo, hi = spec["interval"]
        mass = spec.get("mass")
        mass_text = f"{mass * 100:g}% in " if mass else ""
        return f"{method}: {mass_text}[{fmt_tick(lo)}, {fmt_tick(hi)}]"
    return method


def _priors_section(run) -> str:
    """Every world parameter's prior with its provenance."""
    names = [n for n in WORLD_PARAMETERS if n in run.priors]
    names += sorted(n for n in run.priors if n not in WORLD_PARAMETERS)
    rows = [
        [
            Html(f"<code>{esc(n)}</code>"),
            distribution_text(s),
            fmt_number(s.get("point")),
            s.get("unit", ""),
            elicitation_text(s),
            s.get("source", ""),
            s.get("reason", ""),
        ]
        for n, s in ((n, run.priors[n]) for n in names)
    ]
    return section(
        "priors",
        "Priors",
        para(
            "Each world parameter's distribution, the point value point mode uses, and where the "
            "numbers come from."
        ),  # fmt: skip
        table(
            ["parameter", "distribution", "point", "unit", "elicited as", "source", "reason"],
            rows,
            numeric=[2],
            css="wide text",
        ),  # fmt: skip
    )


# --------------------------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------------------------


def quantity_draws(run, group: str, quantity: str) -> np.ndarray | None:
    """Draws of a measured quantity in ``group``: a stored variable, or a derived one computed
    from the world parameters (fixed ones at their point value); None when neither is possible."""
    if group not in run.tree.children:
        return None
    ds = run.tree[group].to_dataset()
    if quantity in ds.data_vars:
        return np.asarray(ds[quantity].values, dtype=float).ravel()
    if quantity not in MEASURABLE_DERIVED:
        return None
    world = {n: ds[n].values if n in ds.data_vars else run.priors[n]["point"]
             for n in WORLD_PARAMETERS if n in ds.data_vars or n in run.priors}  # fmt: skip
    try:
        return np.asarray(world_quantity(quantity, world), dtype=float).ravel()
    except KeyError:
        return None


def _draws_interval(name: str, draws: np.ndarray | None, mass: float = 0.9) -> str:
    """The equal-tailed ``mass`` interval of ``draws`` in the quantity's unit."""
    if draws is None:
        return "not in this run's draws"
    lo, hi = np.quantile(draws, [(1 - mass) / 2, (1 + mass) / 2])
    return interval_text(name, lo, hi)


def _evidence_section(run, prov: dict[str, Any] | None) -> str:
    """Each evidence record: what it says, where from, how much it counts, what it changed."""
    records = run.evidence
    if not records:
        return section(
            "evidence",
            "Evidence",
            para(
                "No evidence records were used: the posterior is the prior sampled by MCMC, so any "
                "difference between them is Monte Carlo noise."
            ),  # fmt: skip
        )
    influence = {r["id"]: r for r in (prov or {}).get("influence", [])}
    conflict = {r["id"]: r for r in (prov or {}).get("conflicts", [])}
    items = [_evidence_item(run, r, influence.get(r["id"]), conflict.get(r["id"])) for r in records]
    widening = ", ".join(f"{tag} ×{factor:g}" for tag, factor in CONFIDENCE_WIDENING.items())
    intro = para(
        f"{fmt_count(len(records))} published results condition the posterior. A record's "
        f"uncertainty is widened by its confidence tag ({widening}) before it enters the likelihood."
    )
    items_html = '<ol class="evidence">' + "\n".join(items) + "</ol>"
    return section("evidence", "Evidence", intro, items_html)


def quantity_meaning(name: str) -> str:
    """What a measured quantity is, with its unit: a world parameter, outcome or derived quantity."""
    text = WORLD_PARAMETERS.get(name) or OUTCOMES.get(name)
    if not text and name in MEASURABLE_DERIVED:
        text = (MEASURABLE_DERIVED[name].__doc__ or "").strip()
    return (text or "a derived world quantity").rstrip(".")


def _record_says(record: dict[str, Any]) -> str:
    """The record's content in one line: the sentence its kind writes (``says``), with the kind."""
    kind = esc(str(record.get("kind", "")).capitalize())
    return f"<strong>{kind}</strong>: {esc(record.get('says', ''))}"


def _evidence_item(run, record: dict[str, Any], infl, conflict) -> str:
    """One record with provenance, influence, conflict status and prior/posterior intervals."""
    rows = []
    if record["kind"] == "measurement":
        q = record["quantity"]
        rows.append([f"{q}: evidence (after widening)", interval_text(q, *record["interval90"])])
    for q in record.get("constrains", []):
        rows.append([f"{q}: prior", _draws_interval(q, quantity_draws(run, "prior", q))])
        rows.append([f"{q}: posterior", _draws_interval(q, quantity_draws(run, "posterior", q))])
    facts = [
        _record_says(record),
        f"<strong>Confidence</strong> "
        f'<span class="badge tag">{esc(record.get("confidence", "?"))}</span> '
        f"(uncertainty ×{record.get('widening', 1):g}).",
        f"<strong>Citation</strong> {linkify(record.get('citation', ''))}",
    ]
    if infl is not None:
        moved = "; ".join(f"{m['parameter']} {m['shift_sd']:+.2f} sd" for m in infl["moved"][:3])
        rough = "" if infl["reliable"] else " (rough: Pareto k > 0.7)"
        facts.append(
            f"<strong>Influence</strong> {infl['score']:.2f} sd{esc(rough)}: {esc(moved or 'none')}"
        )
    if conflict is not None:
        status = ('<span class="badge fail">CONFLICT</span>' if conflict["conflict"]
                  else '<span class="badge pass">consistent</span>')  # fmt: skip
        facts.append(f"<strong>Conflict check</strong> {status} p = {conflict['p_value']:.3f} "
                     f"({esc(conflict['method'])})")  # fmt: skip
    notes = " ".join((record.get("notes") or "").split())
    return (
        f"<li><h3>{esc(record.get('title') or record['id'])}</h3>"
        f'<div class="muted">id <code>{esc(record["id"])}</code>, {esc(record["kind"])}</div>'
        + "".join(f"<div>{f}</div>" for f in facts)
        + (f'<p class="notes">{linkify(notes)}</p>' if notes else "")
        + table(["", "90% interval"], rows, numeric=[1], css="compact")
        + "</li>"
    )


def _provenance_section(prov: dict[str, Any] | None) -> str:
    """Influence ranking, data-vs-prior per parameter, and the conflict checks."""
    if not prov or not prov["influence"]:
        return ""
    rows = [
        [
            r["id"],
            r["kind"],
            f"{r['score']:.2f}",
            f"{r['pareto_k']:.2f}" + ("" if r["reliable"] else " (rough)"),
            "; ".join(
                f"{m['parameter']} {m['shift_sd']:+.2f} sd, width ×{m['width_ratio']:.2f}"
                for m in r["moved"][:3]
            ),
        ]  # fmt: skip
        for r in prov["influence"]
    ]
    influence = table(
        ["record", "kind", "influence (sd)", "Pareto k", "largest moves"], rows, numeric=[2, 3]
    )
    rows = [
        [
            r["parameter"],
            f"{r['contraction']:.2f}",
            fmt_number(r["prior_sensitivity"]),
            r["decided_by"],
        ]
        for r in prov["data_vs_prior"]
    ]
    decided = table(
        ["parameter", "contraction", "psense (prior)", "decided by"], rows, numeric=[1, 2]
    )
    flagged = [c for c in prov["conflicts"] if c["conflict"]]
    rows = [[c["id"], f"{c['p_value']:.3f}", "CONFLICT" if c["conflict"] else "ok", c["method"]]
            for c in prov["conflicts"]]  # fmt: skip
    conflicts = table(["record", "p", "status", "method"], rows, numeric=[1])
    pairs = prov.get("disagreements") or []
    disagreeing = (
        table(
            ["population", "study", "other study", "ratio or difference", "p"],
            [
                [
                    d["population"],
                    d["study_a"],
                    d["study_b"],
                    fmt_number(d["difference"]),
                    f"{d['p_value']:.3f}",
                ]
                for d in pairs
            ],  # fmt: skip
            numeric=[3, 4],
        )
        if pairs
        else ""
    )
    verdict = (
        f"{len(flagged)} record(s) disagree with the rest: " + ", ".join(c["id"] for c in flagged)
        if flagged
        else f"No record disagrees with the rest (all p ≥ {prov['thresholds']['conflict_p']})."
    )
    return section(
        "provenance",
        "Which evidence moved what",
        para(
            "Influence: how far the posterior median of each parameter a record constrains moves "
            "when the record is left out (Pareto-smoothed importance sampling; rough where Pareto "
            "k > 0.7; re-fit exactly with `probmodel evidence influence RUN --exact`), in "
            "posterior sds."
        ),  # fmt: skip
        scroll(influence),
        para(
            "Data vs prior: contraction = 1 − var(posterior)/var(prior) (0: the prior alone decides, "
            "1: the data); psense is ArviZ's power-scaling sensitivity to the prior."
        ),  # fmt: skip
        scroll(decided),
        para(
            "Conflict checks: each record's leave-one-record-out predictive p-value (two-sided, "
            "Bonferroni over its entries, adjusted for the number of records by the "
            "false-discovery rate) and, for records with study latents, whether its study's "
            "exponent or transfer value differs from another study's beyond both studies' "
            f"uncertainty (Bonferroni over the pairs). {esc(verdict)}"
        ),  # fmt: skip
        scroll(conflicts),
        para(
            "Studies that disagree: the population of their values is wide because of them, "
            "and a plan's new-deployment draw inherits that width."
        )
        if pairs
        else "",
        scroll(disagreeing) if pairs else "",
    )


# --------------------------------------------------------------------------------------------
# Model checks
# --------------------------------------------------------------------------------------------


def _checks_section(inputs) -> str:
    """Prior predictive check of the point estimates (outside rows first, with their reason) and
    the posterior predictive check per evidence record."""
    if inputs.prior_check is None:
        prior_parts = [para(f"Not available: {inputs.prior_check_error}")]
    else:
        prior_parts = _prior_check_parts(inputs.prior_check)
    ppc = inputs.ppc
    if ppc:
        rows = [
            [
                Html(f"<code>{esc(r['id'])}</code>"), r["kind"], fmt_count(r["n_entries"]),
                r["statistic"], f"{r['min_pit']:.2f}–{r['max_pit']:.2f}", f"{r['p_value']:.3f}",
                Html('<span class="badge fail">in the tail</span>' if r["tail"]
                     else '<span class="badge pass">consistent</span>'),
                "—" if r["prior_p_value"] is None else f"{r['prior_p_value']:.3f}",
                "—" if r["conflict_p_value"] is None else f"{r['conflict_p_value']:.3f}",
            ]
            for r in ppc
        ]  # fmt: skip
        tail = [r["id"] for r in ppc if r["tail"]]
        verdict = (
            f"{len(tail)} of {len(ppc)} records in the tail: {', '.join(tail)}."
            if tail
            else f"All {len(ppc)} records are consistent with the fitted model (p ≥ {TAIL_P})."
        )
        ppc_parts = [
            para(
                "Each record's observations against their replicates drawn from the posterior "
                "predictive. One entry: two-sided PIT p-value 2·min(PIT, 1 − PIT). Several (curve "
                "points, a meta-analysis' mean and spread): the chi-square discrepancy "
                "Σ((y − mean)/sd)² of the observations against that of each replicate, p = "
                "P(T(replicate) ≥ T(observed)). The record is in the fit, so these p-values are "
                "conservative: a record in the tail is a misfit the model cannot absorb. The "
                "prior predictive p asks whether the priors alone expected the record; the "
                "leave-one-out conflict p (above) whether the rest of the evidence does. "
                + verdict
            ),
            scroll(table(["record", "kind", "entries", "statistic", "PIT min–max", "PPC p",
                          "verdict", "prior predictive p", "LOO conflict p"],
                         rows, numeric=[2, 4, 5, 7, 8])),
        ]  # fmt: skip
    else:
        ppc_parts = [para("No evidence records: there is nothing to check the fit against.")]
    return section(
        "checks",
        "Model checks",
        "<h3>Prior predictive check of the point estimates</h3>",
        *prior_parts,
        "<h3>Posterior predictive check per evidence record</h3>",
        *ppc_parts,
    )


def _prior_check_parts(prior: dict[str, Any]) -> list[str]:
    """The prior check's verdict, its outside rows with reasons, and the table of every outcome."""
    mass = prior["mass"]
    lo, hi = f"P{round(50 * (1 - mass))}", f"P{round(50 * (1 + mass))}"
    outside = [r for r in prior["outcomes"] if not r["inside"]]
    lead = para(
        f"Every outcome's point estimate (every assumption at its point value: the seed's "
        f"arithmetic) against the {mass:.0%} equal-tailed interval of its prior predictive "
        f"({fmt_count(prior['n_draws'])} prior draws). {len(outside)} of "
        f"{len(prior['outcomes'])} fall outside."
    )
    reasons = (
        '<div class="callout">'
        + "".join(f"<p><code>{esc(r['outcome'])}</code>: {esc(r['reason'])}</p>" for r in outside)
        + "</div>"
        if outside
        else ""
    )

    def flag(text: str, bad: bool) -> Html:
        return Html(f'<span class="bad">{esc(text)}</span>' if bad else esc(text))

    rows = [
        [
            Html(f"<code>{esc(r['outcome'])}</code>"), unit_of(r["outcome"]),
            flag(fmt_value(r["outcome"], r["point"], False), not r["inside"]),
            fmt_value(r["outcome"], r["low"], False), fmt_value(r["outcome"], r["high"], False),
            "constant" if r["constant"] else fmt_share(r["percentile"]),
            flag("yes" if r["inside"] else f"no ({r['side']})", not r["inside"]),
        ]
        for r in [*outside, *(r for r in prior["outcomes"] if r["inside"])]
    ]  # fmt: skip
    tails = prior["tail_parameters"]
    tail_text = (
        para(
            f"Point values outside their own prior's {mass:.0%} interval (prior percentile): "
            + ", ".join(f"{t['parameter']} ({fmt_share(t['percentile'])})" for t in tails)
            + "."
        )
        if tails
        else ""
    )
    head = ["outcome", "unit", "point", lo, hi, "prior percentile", "inside"]
    return [lead, reasons, tail_text,
            scroll(table(head, rows, numeric=range(2, 6), css="compact"))]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Diagnostics
# --------------------------------------------------------------------------------------------


def _diagnostics_banner(name: str, diag: dict[str, Any]) -> str:
    """A red banner at the top of the report of a run that failed its diagnostics."""
    if diag["ok"]:
        return ""
    from probmodel.diagnostics import what_failed

    return (
        '<div class="banner"><span class="badge fail">DIAGNOSTICS FAILED</span> '
        f"The run {esc(name)!s} failed its MCMC diagnostics ({esc(what_failed(diag))}): every "
        'number below may be wrong. <a href="#diagnostics">Details and advice</a>.</div>'
    )


def _diagnostics_section(diag: dict[str, Any]) -> str:
    """Verdict against the thresholds, problems with advice, and per-variable R-hat and ESS."""
    t = diag["thresholds"]
    badge = (
        '<span class="badge pass">PASS</span>'
        if diag["ok"]
        else '<span class="badge fail">FAIL</span>'
    )
    finite = [r["r_hat"] for r in diag["variables"].values() if math.isfinite(r["r_hat"])]
    max_rhat = max(finite) if finite else diag["max_r_hat"]
    verdict = (
        f"max R-hat {max_rhat:.3f} (needs ≤ {t['r_hat_max']}), "
        f"min bulk ESS {fmt_count(diag['min_ess_bulk'])}, "
        f"min tail ESS {fmt_count(diag['min_ess_tail'])} (need ≥ {t['ess_min']}), "
        f"{fmt_count(diag['divergences'])} divergences (needs {t['divergences']})"
    )
    notes = list(diag["problems"])
    undefined = [n for n, r in diag["variables"].items() if not math.isfinite(r["r_hat"])]
    if undefined:
        notes.append(
            f"R-hat is undefined (NaN) for {', '.join(undefined)}: the draws do not vary within "
            "chains (constant up to rounding); the max R-hat above is over the other variables."
        )
    problems = (
        "<ul>" + "".join(f"<li>{esc(p)}</li>" for p in notes) + "</ul>"
        if notes
        else para("No problems: the percentiles above are stable to Monte Carlo error.")
    )
    rows = [_diagnostic_row(name, r, t) for name, r in diag["variables"].items()]
    half = (len(rows) + 1) // 2
    tables = [
        table(["variable", "R-hat", "ESS bulk", "ESS tail"], part, numeric=[1, 2, 3], css="compact")
        for part in (rows[:half], rows[half:])
        if part
    ]
    return section(
        "diagnostics",
        "MCMC diagnostics",
        f'<p class="big">{badge} {esc(verdict)}</p>',
        problems,
        '<div class="columns">' + "".join(tables) + "</div>",
    )


def _diagnostic_row(name: str, r: dict[str, float], t: dict[str, float]) -> list[Any]:
    """One variable's R-hat and ESS, with failing values flagged."""

    def flag(text: str, bad: bool) -> Html:
        return Html(f'<span class="bad">{esc(text)}</span>' if bad else esc(text))

    return [
        Html(f"<code>{esc(name)}</code>"),
        flag(f"{r['r_hat']:.3f}", not r["r_hat"] <= t["r_hat_max"]),
        flag(fmt_count(r["ess_bulk"]), not r["ess_bulk"] >= t["ess_min"]),
        flag(fmt_count(r["ess_tail"]), not r["ess_tail"] >= t["ess_min"]),
    ]
