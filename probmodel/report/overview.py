"""The report's first sections: scenario and plan, the headline risk in words, outcome tables."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from probmodel.equations import (
    PLAN_VARIABLES,
)
from probmodel.formatting import (
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_share,
    fmt_usd,
    fmt_value,
    fmt_years,
    unit_of,
)
from probmodel.report.markup import (
    Html,
    esc,
    interval_header,
    interval_text,
    label_of,
    para,
    scroll,
    section,
    table,
)

PRIOR_TABLE_OUTCOMES = (
    "cost_total_usd", "cost_net_usd", "years", "success_rate", "robot_years", "robots_needed",
    "tokens_per_robot_year",
)  # fmt: skip
"""Outcomes repeated in the short prior table, so prior and posterior can be compared."""


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


def header(run) -> str:
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


def headline(summary: dict[str, Any]) -> str:
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


def outcome_tables(summary: dict[str, Any]) -> str:
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
