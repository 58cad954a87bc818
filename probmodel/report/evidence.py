"""The report's Priors, Evidence and Provenance sections: what each record says and what it did."""

from __future__ import annotations

from typing import Any

import numpy as np

from probmodel.equations import (
    MEASURABLE_DERIVED,
    OUTCOMES,
    WORLD_PARAMETERS,
    world_quantity,
)
from probmodel.evidence import CONFIDENCE_WIDENING
from probmodel.formatting import (
    fmt_count,
    fmt_number,
    fmt_tick,
)
from probmodel.report.markup import Html, esc, interval_text, linkify, para, scroll, section, table

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


def priors_section(run) -> str:
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


def evidence_section(run, prov: dict[str, Any] | None) -> str:
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


def provenance_section(prov: dict[str, Any] | None) -> str:
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
