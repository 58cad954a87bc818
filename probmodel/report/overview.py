"""The report's first screen (the answer), the plan, the headline risk in words, outcome tables
and the run's metadata (shown last)."""

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


def plan_section(run) -> str:
    """The plan table: every plan variable, its key and value."""
    return section(
        "plan",
        "The plan (decisions, not uncertain)",
        table(["plan variable", "key", "value"], plan_rows(run.plan)),
    )


def metadata_section(run) -> str:
    """What identifies the run: scenario, config hash, versions, sampler settings (last)."""
    settings = run.meta.get("settings", {})
    count = lambda key: fmt_count(settings.get(key, math.nan))  # noqa: E731
    sampler = (
        f"{count('chains')} chains × {count('draws')} draws after {count('tune')} tuning steps, "
        f"{count('prior_draws')} prior draws, target acceptance "
        f"{settings.get('target_accept', '?')}, seed {settings.get('seed', '?')}"
    )
    rows = [
        ["scenario", Html(f"<code>{esc(run.name)}</code>")],
        ["config hash", Html(f"<code>{esc(run.config_hash)}</code>")],
        ["probmodel version", run.meta.get("version", "unknown")],
        ["sampler", sampler],
        ["evidence records", fmt_count(len(run.evidence))],
    ]
    return section(
        "metadata",
        "Run metadata",
        table(None, rows, css="compact"),
        para(
            "The config hash identifies the scenario, priors, evidence and sampler settings the "
            "draws came from; the same hash and seed give the same draws.",
            "muted",
        ),
    )


# --------------------------------------------------------------------------------------------
# The first screen: the answer
# --------------------------------------------------------------------------------------------

PLAN_GIST = (
    ("", "model_params"), ("", "fleet_size"), ("real share", "real_share"), ("", "sites"),
    ("deadline", "deadline_years"), ("budget", "budget_usd"),
    ("performance target", "performance_target"),
)  # fmt: skip
"""Plan variables named in the first screen's one-line plan, with a label where their unit does
not already name them."""
JUDGEMENT_OUTCOME = {"cost": "cost_total_usd", "years": "years", "success": "success_rate"}
"""The judgement analysis's outcome for each card."""
DRIVER_OUTCOME = {"cost": "cost_net_usd", "years": "years", "success": "success_rate"}
"""The driver ranking's outcome for each card."""
DRIVERS_SHOWN = 3


def _plan_gist(plan: dict[str, Any]) -> str:
    """ "55B parameters · 5,000 robots · real share 20% · 100 sites · ..." """
    parts = []
    for label, key in PLAN_GIST:
        if key not in plan:
            continue
        value = plan[key]
        if value is None:
            if key == "fleet_size":
                parts.append("fleet solved for the deadline")
            continue
        parts.append(f"{label} {plan_value(key, value)}".strip())
    return " · ".join(parts)


def _number(key: str, text: str) -> str:
    """A headline number, tagged so tests and readers can find it (``data-key``)."""
    return f'<strong class="answer-number" data-key="{esc(key)}">{esc(text)}</strong>'


def _drivers_line(card: str, drivers: dict[str, dict[str, Any]] | None) -> str:
    """The parameters that explain most of an outcome's variance, or where to find them."""
    outcome = DRIVER_OUTCOME[card]
    command = f"<code>probmodel sensitivity RUN --outcome {esc(outcome)}</code>"
    entry = (drivers or {}).get(outcome)
    if entry is None:
        return f'<p class="drivers">What drives it: not ranked in this report; see {command}.</p>'
    if not entry["rows"]:
        reason = entry.get("note") or "no parameter to rank"
        return f'<p class="drivers">What drives it: not ranked ({esc(reason.rstrip("."))}).</p>'
    floor = entry.get("noise_floor") or {}
    cut = (floor.get("S1") or 0.0) + (floor.get("S1_conf") or 0.0)
    rows = [r for r in entry["rows"] if r["S1"] > cut][:DRIVERS_SHOWN]
    if not rows:
        return (
            '<p class="drivers">What drives it: no single parameter explains more of its '
            f"variance than the ranking's noise floor ({esc(fmt_pct(cut))}); see {command}.</p>"
        )
    named = ", ".join(f"<code>{esc(r['parameter'])}</code> {esc(fmt_pct(r['S1']))}" for r in rows)
    return f'<p class="drivers">What drives it: {named} of its variance.</p>'


def _judgement_line(card: str, judgement: dict[str, Any] | None) -> str:
    """The share of an outcome's spread decided by parameters no record informs."""
    row = (judgement or {}).get("outcomes", {}).get(JUDGEMENT_OUTCOME[card])
    if row is None:
        return ""
    top = next(iter(row["drivers"].items()), None)
    mostly = f" (largest: <code>{esc(top[0])}</code> {esc(fmt_pct(top[1]))})" if top else ""
    return (
        f'<p class="judgement">Judgement decides {_number(f"{card}-judgement", fmt_pct(row["share"]))}'
        f" of its spread, evidence the rest{mostly}.</p>"
    )


def _card(card: str, title: str, lines: list[str], drivers, judgement) -> str:
    """One outcome's card: its numbers, what drives it, how much is judgement."""
    body = "\n".join(lines)
    return (
        f'<div class="card" id="answer-{esc(card)}"><h3>{esc(title)}</h3>\n{body}\n'
        f"{_drivers_line(card, drivers)}\n{_judgement_line(card, judgement)}</div>"
    )


def _cost_card(summary, drivers) -> str:
    rows, risk = summary["posterior"]["outcomes"], summary["posterior"]["risk"]
    net = "cost_net_usd" in rows
    cost = rows["cost_net_usd"] if net else rows["cost_total_usd"]
    budget, p = risk["budget_usd"], risk["p_cost_within_budget"]
    limit = (
        f"<p>{_number('cost-p-over-budget', fmt_pct(1 - p))} chance of going over the "
        f"budget ({esc(fmt_usd(budget))})</p>"
        if budget and p is not None
        else "<p>No budget set.</p>"
    )
    lines = [
        f'<p class="big">{_number("cost-p50", fmt_usd(cost["p50"]))} median (P50)</p>',
        f"<p>P80 {_number('cost-p80', fmt_usd(cost['p80']))}: 80% chance it costs no more</p>",
        limit,
    ]
    title = "Net cost (less the fleet's paid work)" if net else "Cost"
    return _card("cost", title, lines, drivers, summary.get("judgement"))


def _years_card(summary, drivers) -> str:
    rows, risk = summary["posterior"]["outcomes"], summary["posterior"]["risk"]
    years = rows["years"]
    deadline, p = risk["deadline_years"], risk["p_on_time"]
    limit = (
        f"<p>{_number('years-p-late', fmt_pct(1 - p))} chance of missing the "
        f"deadline ({esc(fmt_years(deadline))})</p>"
        if deadline and p is not None
        else "<p>No deadline set.</p>"
    )
    lines = [
        f'<p class="big">{_number("years-p50", fmt_years(years["p50"]))} median (P50)</p>',
        f"<p>P80 {_number('years-p80', fmt_years(years['p80']))}: 80% chance the data is in "
        "by then</p>",
        limit,
    ]
    if math.isclose(years["p10"], years["p90"], rel_tol=1e-9) and "robots_needed" in rows:
        robots = rows["robots_needed"]
        lines.append(
            "<p>The fleet is solved for the deadline: it needs "
            f"{esc(fmt_count(robots['p50'], 'robots'))} (P50), "
            f"{esc(fmt_count(robots['p80'], 'robots'))} (P80).</p>"
        )
    return _card(
        "years", "Years until all the data is in", lines, drivers, summary.get("judgement")
    )


def _success_card(summary, drivers) -> str:
    rows, risk = summary["posterior"]["outcomes"], summary["posterior"]["risk"]
    success = rows["success_rate"]
    target, p = risk.get("performance_target"), risk.get("p_success_at_least_target")
    limit = (
        f"<p>{_number('success-p-target', fmt_pct(p))} chance of reaching the "
        f"{esc(fmt_share(target))} target</p>"
        if target is not None and p is not None
        else "<p>No performance target set.</p>"
    )
    lines = [
        f'<p class="big">{_number("success-p50", fmt_share(success["p50"]))} median (P50)</p>',
        f"<p>P10 {_number('success-p10', fmt_share(success['p10']))}: 90% chance it does at "
        "least this well (higher is better, so the cautious side is the low one)</p>",
        limit,
    ]
    return _card(
        "success", "Success on unseen tasks", lines, drivers, summary.get("judgement")
    )


def _joint_block(summary, decisions) -> str:
    """Joint confidence of budget and deadline (and target) in the same draws, the budget for
    80% joint confidence, and how much of the answer is evidence and how much judgement."""
    risk = summary["posterior"]["risk"]
    budget, deadline = risk["budget_usd"], risk["deadline_years"]
    target = risk.get("performance_target")
    parts = ["<h3>Budget and deadline together (joint confidence)</h3>"]
    if budget and deadline and risk.get("p_cost_and_years_within") is not None:
        parts.append(
            f"<p>P(cost ≤ {esc(fmt_usd(budget))} and years ≤ {esc(fmt_years(deadline))}) = "
            f"{_number('jcl', fmt_pct(risk['p_cost_and_years_within']))}, both in the same "
            "posterior draws.</p>"
        )
    else:
        parts.append("<p>Joint confidence needs both a budget and a deadline in the plan.</p>")
    if deadline:
        jcl80, jcl70 = risk.get("jcl80_budget_usd"), risk.get("jcl70_budget_usd")
        parts.append(
            f"<p>Budget for 80% joint confidence: {_number('jcl80-budget', fmt_usd(jcl80))}"
            + (f" (70%: {esc(fmt_usd(jcl70))})" if jcl70 is not None else "")
            + ".</p>"
            if jcl80 is not None
            else "<p>No budget gives 80% joint confidence: the plan is on time in only "
            f"{esc(fmt_pct(risk['p_on_time']))} of the draws.</p>"
        )
    if target is not None and risk.get("p_cost_within_and_success_at_least_target") is not None:
        parts.append(
            f"<p>Within budget and reaching the {esc(fmt_share(target))} target together: "
            f"{esc(fmt_pct(risk['p_cost_within_and_success_at_least_target']))}.</p>"
        )
    own = (decisions or {}).get("answers", {}).get("budget_for_confidence") or {}
    if own.get("jcl_with_target_budget_usd") is not None:
        parts.append(
            f"<p>On time and on target with {round(100 * decisions['answers']['level'])}% "
            f"confidence needs a budget of {esc(fmt_usd(own['jcl_with_target_budget_usd']))}."
            "</p>"
        )
    j = summary.get("judgement")
    if j:
        n_informed, n_judgement = len(j["informed"]), len(j["judgement"])
        parts.append(
            "<h3>Evidence or judgement?</h3>"
            f"<p>The records inform {n_informed} of {n_informed + n_judgement} world parameters; "
            "the rest rest on judgement (their priors). Each card says how much of that "
            "outcome's spread judgement decides: the first-order share of its posterior variance "
            "from parameters no record informs (cost and years on the log scale).</p>"
        )
    return '<div class="joint">' + "\n".join(parts) + "</div>"


def answer_screen(
    run,
    summary: dict[str, Any],
    drivers: dict[str, dict[str, Any]] | None,
    decisions: dict[str, Any] | None,
    nav: str,
    jcl_figure: str | None,
) -> str:
    """The first screen: title, the plan in one line, cost, years and success (P50/P80 and
    the chance against budget, deadline and target), what drives each and how much of it is
    judgement, the joint confidence with its cost x schedule figure. ``jcl_figure``: that
    figure as a ``data:`` URI (or None)."""
    scenario = run.scenario
    cards = "".join(
        make(summary, drivers) for make in (_cost_card, _years_card, _success_card)
    )
    figure = (
        f'<figure class="jcl"><img src="{jcl_figure}" alt="Cost x schedule of every posterior '
        'draw"><figcaption>Every posterior draw; contours hold 50%, 80% and 95% of them; the '
        "corner the dashed budget and dotted deadline cut off is the joint confidence."
        "</figcaption></figure>"
        if jcl_figure
        else ""
    )
    n = summary["posterior"]["n_draws"]
    return (
        '<section id="answer">\n'
        f"<h1>{esc(scenario['title'])}</h1>\n"
        f'<p class="meta">Plan: {esc(_plan_gist(run.plan))}</p>\n'
        f"<nav>{nav}</nav>\n"
        f'<div class="cards">{cards}</div>\n'
        f'<div class="joint-row">{_joint_block(summary, decisions)}{figure}</div>\n'
        + para(
            f"From {fmt_count(n)} posterior draws ({_posterior_basis(summary)}). "
            "The sections below give the prior-alone comparison, the decisions, every outcome "
            "and the checks; the run's configuration and sampler settings are at the end.",
            "muted",
        )
        + "\n</section>"
    )


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
