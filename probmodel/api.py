"""The Python API: load a scenario, evaluate it at point values, fit, summarise, save, load, report.

Each function is a thin, checked entry to one layer of the package, in data-flow order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xarray as xr

from probmodel.errors import ProbmodelError
from probmodel.evidence import Record
from probmodel.fit import Run, SamplerSettings
from probmodel.specs.library import Library, evidence_for
from probmodel.specs.scenario import Scenario


def list_scenarios(priors_dir: str | Path | None = None) -> list[Scenario]:
    """Every shipped (or ``priors_dir``) scenario, validated."""
    lib = Library.open(priors_dir)
    return [lib.scenario(name) for name in lib.scenario_names()]


def load_scenario(name_or_path: str | Path, priors_dir: str | Path | None = None) -> Scenario:
    """A scenario by name (``"seed-cotrain"``) or path to a TOML file, with world priors merged."""
    return Library.open(priors_dir).scenario(name_or_path)


def load_evidence(
    scenario: Scenario | None = None, priors_dir: str | Path | None = None
) -> list[Record]:
    """The evidence records (all, or those ``scenario`` uses)."""
    records = Library.open(priors_dir).evidence()
    return evidence_for(scenario, records) if scenario is not None else records


def point(scenario: Scenario | str) -> dict[str, float]:
    """Outcomes with every assumption at its point value: the seed's arithmetic, no sampling."""
    from probmodel.evaluate import point_table

    return point_table(load_scenario(scenario) if isinstance(scenario, str) else scenario)


def fit(
    scenario: Scenario | str,
    evidence: list[Record] | None = None,
    *,
    draws: int = 1000,
    tune: int = 1500,
    chains: int = 4,
    prior_draws: int = 4000,
    target_accept: float = 0.98,
    seed: int | None = None,
    progress: bool = False,
    priors_dir: str | Path | None = None,
) -> Run:
    """Sample prior and posterior of a scenario, conditioned on the shipped evidence by default.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario object, name or path.
    evidence : list of evidence records, optional
        Defaults to every record in ``priors/evidence/`` that the scenario does not exclude;
        pass ``[]`` for the prior-only model.
    draws, tune, chains, prior_draws, target_accept, seed
        Sampler settings (see :class:`probmodel.fit.SamplerSettings`).
    """
    from probmodel.constants import DEFAULT_SEED
    from probmodel.fit import fit as _fit

    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario, priors_dir)
    if evidence is None:
        evidence = load_evidence(scenario, priors_dir)
    settings = SamplerSettings(
        draws=draws,
        tune=tune,
        chains=chains,
        prior_draws=prior_draws,
        target_accept=target_accept,
        seed=DEFAULT_SEED if seed is None else seed,
    )
    return _fit(scenario, evidence, settings, progress=progress)


def summarize(run: Run, ci_prob: float = 0.9, confidence: float = 0.8) -> dict[str, Any]:
    """Risk summary of a run: posterior and prior outcomes, exceedance and joint risks,
    diagnostics and the model checks' counts (point estimates outside the prior 90% interval,
    records in the posterior predictive tail); contingency is taken at ``confidence`` (P80 by
    default)."""
    from probmodel.analysis.checks import checks_summary
    from probmodel.analysis.diagnostics import run_diagnostics
    from probmodel.analysis.risk import summarize_tree

    return {
        "scenario": run.name,
        "title": run.scenario["title"],
        "plan": run.plan,
        "config_hash": run.config_hash,
        "evidence_ids": run.meta.get("evidence_ids", []),
        "posterior": summarize_tree(run.tree, run.plan, "posterior", ci_prob, confidence),
        "prior": summarize_tree(run.tree, run.plan, "prior", ci_prob, confidence),
        "diagnostics": run_diagnostics(run),
        "checks": checks_summary(run),
        "judgement": judgement(run).as_dict(),
    }


def judgement(run: Run):
    """Which world parameters the run's records inform, and the share of each headline outcome's
    variance decided by the rest (:mod:`probmodel.analysis.judgement`)."""
    from probmodel.analysis.judgement import judgement_report
    from probmodel.equations import Plan

    plan = Plan(**run.plan)
    constants = {n: s["point"] for n, s in run.priors.items() if s["distribution"] == "Fixed"}
    reachable = {name for r in run.evidence for name in r.get("constrains", [])}
    return judgement_report(run.tree, plan, run.priors, constants, reachable=reachable)


def is_stale(run: Run, priors_dir: str | Path | None = None) -> bool | None:
    """Whether ``run`` no longer matches the spec files (``None``: its scenario is gone).

    A run is stale when its scenario, priors, any of its own evidence records (edited or
    removed) or sampler settings differ from what the files now give. New records in the folder
    do not make it stale (see :func:`new_evidence`), nor do an earlier ``update`` of it and the
    diagnostics stored with it (results, not configuration).
    """
    from probmodel import io
    from probmodel.errors import ProbmodelError
    from probmodel.fit import run_meta

    try:
        scenario = load_scenario(run.name, priors_dir)
        current = {r.id: r for r in load_evidence(scenario, priors_dir)}
    except ProbmodelError:
        return None
    ids = run.meta.get("evidence_ids", [])
    if any(i not in current for i in ids):
        return True
    meta = run_meta(scenario, [current[i] for i in ids], SamplerSettings(**run.meta["settings"]))
    meta["version"] = run.meta["version"]  # a new package version alone does not make it stale
    del meta["code"]  # nor new code
    base = {k: v for k, v in run.meta.items() if k not in ("update", "diagnostics", "code")}
    return io.config_hash(meta) != io.config_hash(base)


def new_evidence(run: Run, priors_dir: str | Path | None = None) -> list[str]:
    """Ids of the scenario's evidence records that ``run`` does not use yet."""
    from probmodel.errors import ProbmodelError

    try:
        records = load_evidence(load_scenario(run.name, priors_dir), priors_dir)
    except ProbmodelError:
        return []
    used = set(run.meta.get("evidence_ids", []))
    return [r.id for r in records if r.id not in used]


def reusable_run(
    path: str | Path, scenario: Scenario, evidence: list[Record], settings: SamplerSettings
) -> Run | None:
    """The run saved at ``path`` if sampling again would reproduce it, else ``None``.

    Sampling is deterministic under a seed, so a saved fit of the same scenario, priors, evidence
    records, sampler settings and seed, by the same probmodel code and sampling stack
    (:func:`probmodel.io.code_fingerprint`), is exactly what a new fit would give. A file that
    is missing, unreadable, updated by reweighting or made otherwise is never reused."""
    from probmodel import io
    from probmodel.errors import ProbmodelError
    from probmodel.fit import run_meta

    path = Path(path)
    if not path.is_file():
        return None
    try:
        run = Run.load(path)
    except ProbmodelError:
        return None
    if "update" in run.meta:
        return None
    want = run_meta(scenario, evidence, settings)
    have = {k: run.meta[k] for k in want if k in run.meta}
    return run if io.config_hash(want) == io.config_hash(have) else None


def load_run(path: str | Path) -> Run:
    """Load a saved run (checks the file's hashes)."""
    return Run.load(path)


REPORT_CACHE = ".probmodel-cache"
"""Folder, beside a report, where its decision analysis is memoised (:func:`probmodel.cache.memoised`)."""


def write_report(run: Run, path: str | Path, priors_dir: str | Path | None = None) -> Path:
    """Write the self-contained HTML report of a run.

    With a readable spec folder, the report also scores every scenario's plan on the run's
    posterior (cost, years and success side by side) and answers the budget committee's
    questions (:func:`decision_inputs`, memoised beside the report for the same posterior,
    candidate plans and code); without one, those sections are left out.
    """
    from probmodel import cache, io
    from probmodel.report.html import write_report as _write

    plans = decisions = None
    try:
        lib = Library.open(priors_dir)
        scenarios = [lib.scenario(n) for n in lib.scenario_names()]
    except ProbmodelError:
        scenarios = []
    if scenarios and run.name in {s.name for s in scenarios}:
        from probmodel.analysis.plans import plan_rows

        try:
            plans = plan_rows(run, scenarios)
            key = {
                "what": "decision_inputs",
                "run": run.name,
                "plan": run.plan,
                "constants": run.priors,
                "posterior": io.data_hash(xr.DataTree(run.tree["posterior"].to_dataset())),
                "candidates": [s.as_record() for s in scenarios],
                "code": io.code_fingerprint(),
            }
            decisions = cache.memoised(
                Path(path).parent / REPORT_CACHE, key, lambda: decision_inputs(run, scenarios)
            )
        except ProbmodelError:
            plans = decisions = None
    return _write(run, path, plans=plans, decisions=decisions)


def decision_inputs(run: Run, scenarios: list[Scenario]) -> dict[str, Any] | None:
    """The answers of :func:`probmodel.analysis.decisions.answer` and the draws and tables the
    report's decision figures need (``None`` when the run's plan sets no deadline)."""
    from probmodel.analysis.decisions import answer
    from probmodel.analysis.plans import run_constants, score_plans
    from probmodel.analysis.sensitivity import tornado
    from probmodel.analysis.sweep import sweep

    if run.plan.get("deadline_years") is None:
        return None
    answers = answer(run, scenarios, fast=True)
    own = next(s for s in scenarios if s.name == run.name)
    post = run.tree["posterior"].to_dataset()
    chosen = [s for s in scenarios if s.name in answers["decision_set"]]
    chosen.sort(key=lambda s: answers["decision_set"].index(s.name))
    scores = score_plans(run, chosen)
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
        "tornado": tornado(post, own.plan, answers["sensitivity"]["outcome"], run_constants(run)),
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
