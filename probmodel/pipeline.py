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
from probmodel.analysis.sensitivity import tornado
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


REPORT_CACHE = ".probmodel-cache"


def decision_inputs(
    run: Run, scenarios: list[Scenario], scores: xr.Dataset | None = None
) -> dict[str, Any] | None:
    """The answers of :func:`probmodel.analysis.decisions.answer` and the draws and tables the
    report's decision figures need (``None`` when the run's plan sets no deadline).

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
        "cost": post["cost_net_usd"].values,
        "years": post["years"].values,
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

    ``scenarios`` (the spec folder's, when readable) adds other plans scored on the posterior and,
    when the run's own scenario is among them, the decision analysis, memoised in
    ``memo_folder`` (default: not memoised). ``progress(step, done, total)`` is called at each
    stage (:mod:`probmodel.progress`).
    """
    with stage(progress, "evidence provenance and conflicts"):
        prov = provenance(run.tree, run.evidence, run.priors) if run.evidence else None
    with stage(progress, "prior and posterior predictive checks"):
        prior, error, ppc = _checks(run, (prov or {}).get("conflicts"))
    with stage(progress, "risk summary and judgement shares"):
        summary = summarize(run, checks=checks_counts(prior, ppc))
    notices = list(notices or [])
    if scenarios and run.name not in {s.name for s in scenarios}:
        notices.append(
            f"the run's scenario {run.name!r} is not among the readable scenario files: Plans "
            "and Decisions left out."
        )
    try:
        with stage(progress, "plans and decision analysis (memoised beside the report)"):
            plans, decisions = plan_inputs(run, scenarios, memo_folder)
    except ProbmodelError as err:
        plans = decisions = None
        notices.append(f"Plans and Decisions could not be built: {err}")
    return ReportInputs(summary, prov, prior, error, ppc, plans, decisions, notices)


def plan_inputs(
    run: Run, scenarios: list[Scenario] | None, memo_folder: str | Path | None = None
) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """The report's plan table and decision analysis, every candidate plan scored once.

    Both are ``None`` without scenarios or when the run's own scenario is not among them; a
    candidate that cannot be scored on this run raises (the caller reports it); the decision
    analysis is memoised in ``memo_folder``.
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
        "posterior": io.data_hash(xr.DataTree(run.tree["posterior"].to_dataset())),
        "candidates": [s.as_record() for s in scenarios],
        "code": io.code_fingerprint(),
    }
    memo = cache.memoised(memo_folder, key, lambda: decision_inputs(run, scenarios, scores))
    return plans, memo
