"""The report's Model checks and Diagnostics sections, and the banner of a run that failed them."""

from __future__ import annotations

import math
from typing import Any

from probmodel.constants import TAIL_P
from probmodel.formatting import (
    fmt_count,
    fmt_share,
    fmt_value,
    unit_of,
)
from probmodel.report.markup import Html, esc, para, scroll, section, table

# --------------------------------------------------------------------------------------------
# Model checks
# --------------------------------------------------------------------------------------------


def checks_section(inputs) -> str:
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


def diagnostics_banner(name: str, diag: dict[str, Any]) -> str:
    """Red banners at the top of the report of a run that failed its diagnostics, or whose
    evidence conflicts with its prior predictive (either can make every number wrong)."""
    from probmodel.diagnostics import PRIOR_CONFLICT_P, what_failed

    banners = []
    if not diag["ok"]:
        banners.append(
            '<div class="banner"><span class="badge fail">DIAGNOSTICS FAILED</span> '
            f"The run {esc(name)!s} failed its MCMC diagnostics ({esc(what_failed(diag))}): every "
            'number below may be wrong. <a href="#diagnostics">Details and advice</a>.</div>'
        )
    found = diag.get("prior_conflicts") or {}
    if found:
        listed = ", ".join(f"{k} (p = {v:.1g})" for k, v in found.items())
        banners.append(
            '<div class="banner"><span class="badge fail">EVIDENCE CONFLICT</span> '
            f"These records lie far outside what the rest of the model predicts (prior "
            f"predictive p &lt; {PRIOR_CONFLICT_P:g}): {esc(listed)}. The posterior is pulled "
            'towards them; check them. <a href="#evidence">Evidence</a>.</div>'
        )
    return "".join(banners)


def diagnostics_section(diag: dict[str, Any]) -> str:
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
