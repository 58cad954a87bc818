"""The pipeline: what a run's summary and report show, computed once and handed on as data.

``summarize`` is the risk summary of a run (the CLI's ``summary``, the report's headline);
:func:`report_inputs` computes everything the report renders: the summary, provenance of the
evidence, the prior and posterior predictive checks (each once; the summary's check counts come
from the same results), other plans scored on the posterior and the decision analysis (memoised
beside the report, keyed by the posterior draws, the candidate plans and the code).
:mod:`probmodel.report` only renders a :class:`ReportInputs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from probmodel import cache, io
from probmodel.analysis.checks import (
    checks_counts,
    posterior_predictive_check,
    prior_predictive_check,
)
from probmodel.analysis.decisions import answer
from probmodel.analysis.evidence import provenance
from probmodel.analysis.judgement import judgement_report
from probmodel.analysis.plans import plan_rows, score_plans
from probmodel.analysis.risk import summarize_tree
from probmodel.analysis.sensitivity import tornado, variance_ranking
from probmodel.analysis.summary import Summary
from probmodel.analysis.sweep import sweep
from probmodel.diagnostics import run_diagnostics
from probmodel.errors import ProbmodelError, ResultFileError
from probmodel.progress import Progress, stage
from probmodel.run import Run
from probmodel.specs.scenario import Scenario


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows, computed once (see :func:`report_inputs`)."""

    summary: dict[str, Any]
    provenance: dict[str, Any] | None
    prior_check: dict[str, Any] | None
    prior_check_error: str | None
    ppc: list[dict[str, Any]]
    plans: list[dict[str, Any]] | None = None
    decisions: dict[str, Any] | None = None
    notices: list[str] = field(default_factory=list)
    """What the report could not show, and why (a broken scenario file, a failed analysis)."""
    drivers: dict[str, dict[str, Any]] | None = None
    """Per headline outcome, what drives its spread (:func:`outcome_drivers`); ``None`` when
    not computed (a report of a run alone, without its spec folder)."""


def _checks(run: Run, conflict_rows=None):
    try:
        prior, error = prior_predictive_check(run), None
    except ResultFileError as err:
        prior, error = None, str(err)
    return prior, error, posterior_predictive_check(run.tree, run.evidence, conflict_rows)


def summarize(
    run: Run, ci_prob: float = 0.9, confidence: float = 0.8, checks: dict[str, Any] | None = None
) -> Summary:
    """Risk summary of a run: posterior and prior outcomes, the chances of staying within budget,
    on time and on target (one by one and jointly), diagnostics and the model checks' counts (point estimates outside the prior 90% interval,
    records in the posterior predictive tail); contingency is taken at ``confidence`` (P80 by
    default). A :class:`probmodel.analysis.summary.Summary`: the dict, with a short ``repr`` and
    tidy views (``to_xarray()``, ``to_dataframe()``)."""
    if checks is None:
        prior, _, ppc = _checks(run)
        checks = checks_counts(prior, ppc)
    return Summary({
        "scenario": run.name,
        "title": run.scenario["title"],
        "plan": run.plan,
        "config_hash": run.config_hash,
        "evidence_ids": run.meta.get("evidence_ids", []),
        "posterior": summarize_tree(run.tree, run.plan, "posterior", ci_prob, confidence),
        "prior": summarize_tree(run.tree, run.plan, "prior", ci_prob, confidence),
        "diagnostics": run_diagnostics(run),
        "checks": checks,
        "judgement": judgement(run).as_dict(),
    })  # fmt: skip


def judgement(run: Run):
    """Which world parameters the run's records inform, and the share of each headline outcome's
    variance decided by the rest (:mod:`probmodel.analysis.judgement`)."""
    reachable = {name for r in run.evidence for name in r.get("constrains", [])}
    return judgement_report(run.tree, run.plan_spec, run.priors, run.constants, reachable=reachable)


def decision_inputs(
    run: Run, scenarios: list[Scenario], scores: xr.Dataset | None = None
) -> dict[str, Any] | None:
    """The answers of :func:`probmodel.analysis.decisions.answer` and the tables the report's
    decision figures need; ``None`` when the run's plan sets no deadline. (The first screen's
    cost x schedule scatter reads the run's own draws.)

    ``scores``: the scenarios already scored on the run, so no plan is scored twice.
    """
    if run.plan.get("deadline_years") is None:
        return None
    answers = answer(run, scenarios, fast=True, scores=scores)
    own = next(s for s in scenarios if s.name == run.name)
    post = run.tree["posterior"].to_dataset()
    chosen = [s for s in scenarios if s.name in answers["decision_set"]]
    chosen.sort(key=lambda s: answers["decision_set"].index(s.name))
    scores = score_plans(run, chosen, scores)
    comparison = {
        s.name: {k: scores[k].sel(plan=s.name).values for k in ("cost_net_usd", "years",
                                                                 "success_rate")}
        for s in chosen
    }  # fmt: skip
    limits = {s.name: vars(s.plan) for s in chosen}
    axes = _report_sweep_axes(own)
    return {
        "answers": answers,
        "comparison": comparison,
        "limits": limits,
        "tornado": tornado(post, own.plan, answers["sensitivity"]["outcome"], run.constants),
        "sweep": sweep(run, own, axes) if axes else None,
        "sweep_axes": list(axes),
    }


def _report_sweep_axes(scenario: Scenario) -> dict[str, str]:
    """Fleet size x real share around the scenario's plan (fleet-solved plans: sites instead)."""
    plan = scenario.plan
    second = ("real_share", "0.1:1:10")
    if plan.video_share or plan.world_model_share:  # other shares fixed: vary sites instead
        second = ("sites", "10:10000:7:log")
    if plan.fleet_size is None:
        return {"sites": "10:10000:7:log", "real_share": "0.1:1:10"} if second[0] != "sites" else {}
    return {
        "fleet_size": f"{plan.fleet_size / 10:g}:{plan.fleet_size * 4:g}:9:log",
        second[0]: second[1],
    }


def report_inputs(
    run: Run,
    scenarios: list[Scenario] | None = None,
    memo_folder: str | Path | None = None,
    notices: list[str] | None = None,
    progress: Progress | None = None,
) -> ReportInputs:
    """Everything the report of ``run`` shows, each analysis run once.

    ``scenarios`` (the spec folder's, when readable; ``[]`` when not) adds the plans scored on
    the posterior, the decision analysis and what drives each headline outcome, memoised in
    ``memo_folder`` (default: not memoised). The run's own scenario is always among the plans,
    as the run stored it: a scenario run from a path of its own (or changed since the run) gets
    the full report, scored with the plan that was sampled. ``progress(step, done, total)`` is
    called at each stage (:mod:`probmodel.progress`).
    """
    with stage(progress, "evidence provenance and conflicts"):
        prov = provenance(run.tree, run.evidence, run.priors) if run.evidence else None
    with stage(progress, "prior and posterior predictive checks"):
        prior, error, ppc = _checks(run, (prov or {}).get("conflicts"))
    with stage(progress, "risk summary and judgement shares"):
        summary = summarize(run, checks=checks_counts(prior, ppc))
    notices = list(notices or [])
    plans = decisions = drivers = None
    if scenarios is not None:
        scenarios = with_own_scenario(run, scenarios)
        posterior_hash = io.data_hash(xr.DataTree(run.tree["posterior"].to_dataset()))
        try:
            with stage(progress, "plans and decision analysis (memoised beside the report)"):
                plans, decisions = plan_inputs(run, scenarios, memo_folder, posterior_hash)
        except ProbmodelError as err:
            notices.append(f"Plans and Decisions could not be built: {err}")
        with stage(progress, "what drives each headline outcome (memoised beside the report)"):
            drivers = outcome_drivers(run, decisions, memo_folder, posterior_hash)
    return ReportInputs(summary, prov, prior, error, ppc, plans, decisions, notices, drivers)


def with_own_scenario(run: Run, scenarios: list[Scenario]) -> list[Scenario]:
    """``scenarios`` with the run's own scenario (as the run stored it) in place of any file of
    the same name, or added: the report scores the plan that was sampled, whether the scenario
    is a shipped one or a file given by path."""
    own = run.scenario_spec
    return [own, *(s for s in scenarios if s.name != run.name)]


DRIVER_OUTCOMES = ("cost_net_usd", "years", "success_rate")
"""Headline outcomes whose drivers the report's first screen names."""
DRIVER_ROWS = 5
"""Parameters kept per outcome (largest first-order share first)."""
DRIVER_RANKING = {"with_delta": False, "num_resamples": 10}
"""The first screen shows S1 only (not its interval), so 10 bootstrap resamples (for the noise
floor's half-width) instead of the decision analysis's 50 (``FAST_RANKING``): the S1 values are
the same, the ranking ~4x faster (years on seed-cotrain's 4,000 draws: 2.0 s against 8.0 s,
load ~6)."""


def outcome_drivers(
    run: Run,
    decisions: dict[str, Any] | None = None,
    memo_folder: str | Path | None = None,
    posterior_hash: str | None = None,
) -> dict[str, dict[str, Any]]:
    """What drives each headline outcome: the :func:`variance_ranking` (first-order Sobol index
    S1 from the posterior draws, :data:`DRIVER_RANKING` settings) of net cost, years and success,
    the top :data:`DRIVER_ROWS` parameters each.

    The decision analysis's ranking of its outcome is reused, not recomputed; the others are
    memoised in ``memo_folder``. An outcome that cannot be ranked (no spread: years of a plan
    whose fleet is solved for the deadline) gets ``rows = []`` and the reason in ``note``.
    """
    known = {}
    if decisions is not None:
        sens = decisions["answers"]["sensitivity"]
        known[sens["outcome"]] = _driver_entry(sens)

    def compute() -> dict[str, dict[str, Any]]:
        post = run.tree["posterior"].to_dataset()
        out = {}
        for outcome in DRIVER_OUTCOMES:
            if outcome in known:
                continue
            try:
                ranking = variance_ranking(
                    post, run.plan_spec, outcome, run.constants, **DRIVER_RANKING
                )
            except ProbmodelError as err:
                out[outcome] = {"outcome": outcome, "rows": [], "note": str(err)}
                continue
            out[outcome] = _driver_entry(ranking)
        return out

    if memo_folder is None:
        computed = compute()
    else:
        key = {
            "what": "outcome_drivers",
            "outcomes": [o for o in DRIVER_OUTCOMES if o not in known],
            "plan": run.plan,
            "priors": run.priors,  # the fixed ones are the constants the outcomes use
            "posterior": posterior_hash
            or io.data_hash(xr.DataTree(run.tree["posterior"].to_dataset())),
            "settings": DRIVER_RANKING,
            "code": io.code_fingerprint(),
        }
        computed = cache.memoised(memo_folder, key, compute)
    return {o: known[o] if o in known else computed[o] for o in DRIVER_OUTCOMES}


def _driver_entry(ranking: dict[str, Any]) -> dict[str, Any]:
    """The part of a variance ranking the first screen shows."""
    rows = [
        {"parameter": r["parameter"], "S1": float(r["S1"]), "S1_conf": r.get("S1_conf")}
        for r in ranking["rows"][:DRIVER_ROWS]
    ]
    return {
        "outcome": ranking["outcome"],
        "rows": rows,
        "noise_floor": ranking.get("noise_floor"),
        "note": "",
    }


def plan_inputs(
    run: Run,
    scenarios: list[Scenario] | None,
    memo_folder: str | Path | None = None,
    posterior_hash: str | None = None,
) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """The report's plan table and decision analysis, every candidate plan scored once.

    Both are ``None`` without scenarios or when the run's own scenario is not among them (see
    :func:`with_own_scenario`); a candidate that cannot be scored on this run raises (the caller
    reports it); the decision analysis is memoised in ``memo_folder``.
    """
    if not scenarios or run.name not in {s.name for s in scenarios}:
        return None, None
    scores = score_plans(run, scenarios)  # each plan scored once for the whole report
    plans = plan_rows(run, scenarios, scores)
    if memo_folder is None:
        return plans, decision_inputs(run, scenarios, scores)
    key = {
        "what": "decision_inputs",
        "run": run.name,
        "plan": run.plan,
        "constants": run.priors,
        "posterior": posterior_hash
        or io.data_hash(xr.DataTree(run.tree["posterior"].to_dataset())),
        "candidates": [s.as_record() for s in scenarios],
        "code": io.code_fingerprint(),
    }
    memo = cache.memoised(memo_folder, key, lambda: decision_inputs(run, scenarios, scores))
    return plans, memo
