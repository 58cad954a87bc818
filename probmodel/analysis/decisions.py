"""What a budget committee asks, answered from one posterior.

1. What budget gives 80% confidence of finishing within the deadline? (joint confidence level)
2. Which plan is cheapest at that confidence? (every candidate plan scored on the same draws)
3. Which assumption matters most? (variance-based ranking of the world parameters)
4. What would it be worth to know it? (EVPPI for the choice between the leading plans)
"""

from __future__ import annotations

from typing import Any

from probmodel.analysis.plans import score_plans
from probmodel.analysis.risk import joint_confidence_budget, risk_measures
from probmodel.errors import InvalidArgumentError
from probmodel.specs.scenario import Scenario

LEVEL = 0.8
DECISION_SET = 3
"""Plans in the value-of-information decision: the run's own and the cheapest others."""
FAST_RANKING = {"with_delta": False, "num_resamples": 50}
"""The report ranks by S1 and does not show delta: skip it (it is ~90% of the ranking's time)."""
FAST_VOI = {"se_top": 3}


def same_goal(plan, other) -> bool:
    """Whether two plans train the same model (same size, or the same fixed token target)."""
    return plan.model_params == other.model_params and plan.token_target == other.token_target


def jcl_table(
    run, scenarios: list[Scenario], deadline: float, level: float = LEVEL, scores=None
):
    """Per plan: the budget for ``level`` joint confidence of finishing by ``deadline``, and the
    budget for also reaching the plan's own performance target in the same draws.

    ``scores``: plans already scored on this run (:func:`score_plans`), reused, not re-scored.
    """
    scores = score_plans(run, scenarios, scores)
    rows = []
    for s in scenarios:
        ds = scores.sel(plan=s.name)
        cost, years = ds["cost_net_usd"].values.ravel(), ds["years"].values.ravel()
        success = ds["success_rate"].values.ravel()
        measures = risk_measures(cost, years, success, deadline=deadline)
        target = s.plan.performance_target
        rows.append(
            {
                "scenario": s.name,
                "title": s.title,
                "jcl_budget_usd": joint_confidence_budget(cost, years, deadline, level),
                "jcl_with_target_budget_usd": joint_confidence_budget(
                    cost, years, deadline, level, success, target
                )
                if target is not None
                else None,
                "performance_target": target,
                "p_on_time": float(measures["p_on_time"]),
                "success_p50": float(measures["success_p50"]),
            }
        )
    return rows, scores


def answer(
    run,
    scenarios: list[Scenario],
    level: float = LEVEL,
    penalty_usd: float | None = None,
    outcome: str = "cost_net_usd",
    fast: bool = False,
    scores=None,
) -> dict[str, Any]:
    """The four answers, with the numbers behind them (JSON-able).

    Parameters
    ----------
    run : probmodel.sampling.Run
    scenarios : list of Scenario
        Candidate plans (the run's own scenario should be among them).
    level : float
        The confidence asked for (0.8).
    penalty_usd : float, optional
        Dollar cost of missing the deadline or the performance target, for the value of
        information (default: the run's budget, or $1B without one).
    outcome : str
        The outcome whose uncertainty the sensitivity ranking explains.
    fast : bool
        Thinner settings for the report (:data:`FAST_RANKING`, :data:`FAST_VOI`): the same
        estimators on fewer resamples, so intervals and Monte Carlo errors are a little wider.
    scores : xarray.Dataset, optional
        The candidates already scored on this run (:func:`score_plans`); reused, not re-scored.
    """
    from probmodel.analysis.sensitivity import variance_ranking
    from probmodel.analysis.voi import voi_table

    deadline = run.plan.get("deadline_years")
    if deadline is None:
        raise InvalidArgumentError(
            f"scenario {run.name!r} sets no deadline_years; the budget-confidence questions need one."
        )
    names = [s.name for s in scenarios]
    if run.name not in names:
        raise InvalidArgumentError(f"the candidate plans must include the run's own ({run.name}).")
    own_scenario = scenarios[names.index(run.name)]
    # Plans for another model (size or token target) answer another question: leave them out.
    scenarios = [s for s in scenarios if same_goal(s.plan, own_scenario.plan)]
    # The same plan under two names (a seed scenario and a pathway, say) is one candidate.
    seen, unique = set(), []
    for s in sorted(scenarios, key=lambda s: s.name != run.name):
        key = tuple(sorted((k, v) for k, v in vars(s.plan).items() if k != "baseline_fleet"))
        if key not in seen:
            seen.add(key)
            unique.append(s)
    scenarios = unique
    rows, scores = jcl_table(run, scenarios, deadline, level, scores)
    own = next(r for r in rows if r["scenario"] == run.name)
    reachable = [r for r in rows if r["jcl_budget_usd"] is not None]
    cheapest = min(reachable, key=lambda r: r["jcl_budget_usd"]) if reachable else None
    with_target = [r for r in rows if r["jcl_with_target_budget_usd"] is not None]
    cheapest_target = (
        min(with_target, key=lambda r: r["jcl_with_target_budget_usd"]) if with_target else None
    )

    post = run.tree["posterior"].to_dataset()
    ranking = variance_ranking(
        post, own_scenario.plan, outcome, run.constants, **(fast and FAST_RANKING or {})
    )
    top = ranking["rows"][0] if ranking["rows"] else None

    # The decision: the run's plan against the cheapest other plans that reach the confidence.
    others = sorted(
        (r for r in reachable if r["scenario"] != run.name), key=lambda r: r["jcl_budget_usd"]
    )
    decision = [run.name, *[r["scenario"] for r in others[: DECISION_SET - 1]]]
    penalty = penalty_usd if penalty_usd is not None else (run.plan.get("budget_usd") or 1e9)
    voi = None  # no alternative plan for the same model: nothing to choose between
    if len(decision) > 1:
        voi = voi_table(
            run,
            [s for s in scenarios if s.name in decision],
            penalty,
            scores=scores,
            **(fast and FAST_VOI or {}),
        )
    top_voi = None
    if top is not None and voi is not None:
        top_voi = next((r for r in voi["evppi"] if r["parameter"] == top["parameter"]), None)
    return {
        "level": level,
        "deadline_years": deadline,
        "plans": rows,
        "budget_for_confidence": own,
        "cheapest": cheapest,
        "cheapest_with_target": cheapest_target,
        "sensitivity": {"outcome": outcome, **ranking},
        "most_important": top,
        "decision_set": decision,
        "penalty_usd": penalty,
        "voi": voi,
        "value_of_most_important": top_voi,
    }
