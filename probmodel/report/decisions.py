"""The report's Decisions section (a budget committee's four questions) and the plans scored on the same posterior."""

from __future__ import annotations

from typing import Any

from probmodel.equations import (
    OUTCOMES,
    WORLD_PARAMETERS,
)
from probmodel.formatting import (
    fmt_pct,
    fmt_share,
    fmt_usd,
    fmt_years,
)
from probmodel.report import plots
from probmodel.report.markup import Html, esc, para, scroll, section, table


def para_html(text: str) -> str:
    """A muted paragraph of HTML that is already escaped."""
    return f'<p class="muted">{text}</p>'

# --------------------------------------------------------------------------------------------
# Decisions: the four questions a budget committee asks
# --------------------------------------------------------------------------------------------


def _outcome_words(name: str) -> str:
    """An outcome's description without its unit ("total cost less the value of ...")."""
    text = OUTCOMES.get(name, name)
    return text[: text.rfind("[")].strip() if "[" in text else text


def _mc_error(se: float | None) -> str:
    return f" (± {esc(fmt_usd(se))} Monte Carlo error)" if se is not None else ""


def decisions_section(run, summary: dict[str, Any], d: dict[str, Any] | None) -> str:
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
    answers += para_html(
        'The cost x schedule scatter of every draw is on <a href="#answer">the first screen</a>.'
    )
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


def plans_section(run, plans: list[dict[str, Any]] | None) -> str:
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
