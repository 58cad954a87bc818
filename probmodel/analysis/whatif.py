"""What-ifs on a fitted run, answered from its posterior draws without re-sampling.

Four questions a strategy lead asks of a run, each answered in milliseconds so that a page can
follow a slider (``probmodel explore``):

* **Another plan:** score it on the run's posterior draws with the shared equations
  (:func:`probmodel.evaluate.draws_outcomes`, as :func:`probmodel.analysis.plans.score_plans`
  does) and summarise it with the risk measures of :mod:`probmodel.analysis.risk`
  (:func:`score_plan`, :class:`Headline`).
* **Another prior** for one world parameter: the posterior under the new prior is the old one
  reweighted by the ratio of the new to the old prior density at each draw (importance sampling;
  every non-fixed world parameter is drawn from its prior spec directly, so the ratio is exact).
* **Without some evidence:** the posterior without a record is the old one reweighted by
  ``1 / likelihood`` of the record at each draw (leave-one-out importance sampling).
* **Side by side:** two plans on the same (re)weighted draws, compared draw by draw
  (:func:`probmodel.analysis.plans.pairwise_probabilities`).

Weights are Pareto smoothed (PSIS, :func:`probmodel.analysis.update.psis_log_weights`) and
turned into draws by systematic resampling with a fixed seed
(:func:`probmodel.analysis.update.systematic_resample`), so every risk measure is the shared one
applied to plain draws. The Pareto k says when the reweighting can be trusted: above 0.7 (or
with fewer than :data:`probmodel.analysis.update.MIN_ESS` effective draws) the what-if needs a
re-sample (:attr:`Reweighting.resample_needed`); :func:`whatif_scenario` gives the scenario to
re-sample, and also to save as a scenario file.

Nothing here prints; everything returns dataclasses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import xarray as xr

from probmodel.analysis.evidence import record_log_likelihood
from probmodel.analysis.plans import pairwise_probabilities
from probmodel.analysis.risk import plan_risk, risk_measures
from probmodel.analysis.update import MIN_ESS, psis_log_weights, systematic_resample
from probmodel.constants import PARETO_K_RELIABLE, SAMPLE_DIMS
from probmodel.equations import WORLD_PARAMETERS, Plan
from probmodel.errors import InvalidArgumentError, ProblemCollector
from probmodel.evaluate import draws_outcomes
from probmodel.run import Run
from probmodel.specs.priors import PriorSpec, parse_prior
from probmodel.specs.scenario import Scenario

RESAMPLE_SEED = 0
"""Seed of the systematic resampling that turns weights into draws: fixed, so the same what-if
always shows the same numbers (the page, a test and a script agree exactly)."""
COST = "cost_net_usd"
"""Cost against the budget: net of a deployed fleet's paid work (as every risk table)."""


# ----------------------------------------------------------------------------------- the base


@dataclass
class WhatIfBase:
    """A run prepared for fast what-ifs: its posterior draws, fixed parameters and scenario,
    extracted once (each costs milliseconds that a slider cannot spend again).

    Build with :func:`prepare`.
    """

    run: Run
    posterior: xr.Dataset
    constants: dict[str, float]
    scenario: Scenario

    @property
    def n_draws(self) -> int:
        return int(self.posterior.sizes["chain"] * self.posterior.sizes["draw"])

    @cached_property
    def record_log_likelihood(self) -> xr.DataArray:
        """Log-likelihood of each evidence record per draw (``chain, draw, evidence_record``)."""
        if "log_likelihood" not in self.run.tree.children:
            raise InvalidArgumentError(
                f"run {self.run.name!r} has no log_likelihood group (a prior-only run, or saved "
                "without it): evidence what-ifs need each record's likelihood per draw."
            )
        return record_log_likelihood(self.run.tree)

    @property
    def record_ids(self) -> list[str]:
        """The run's evidence records, in the run's order."""
        return list(self.run.meta.get("evidence_ids", []))

    def flat(self, name: str) -> np.ndarray:
        """A posterior variable's draws, flattened in chain x draw order."""
        return self.posterior[name].transpose(*SAMPLE_DIMS).values.reshape(-1)


def prepare(run: Run) -> WhatIfBase:
    """Extract what every what-if of ``run`` needs, once."""
    if not isinstance(run, Run):
        raise InvalidArgumentError(f"run = {type(run).__name__}: expected a probmodel Run.")
    return WhatIfBase(
        run=run,
        posterior=run.tree["posterior"].to_dataset(),
        constants=run.constants,
        scenario=run.scenario_spec,
    )


# ---------------------------------------------------------------------------------- headlines


@dataclass(frozen=True)
class Headline:
    """A plan's answer in numbers: the shared risk measures of its draws.

    Costs in USD (net of a deployed fleet's paid work), years in years, success as a fraction
    (success rate on unseen tasks); probabilities are of the good event (within budget, on time,
    target reached), ``None`` where the plan sets no budget, deadline or target.
    ``jcl80_budget_usd`` is the smallest budget with an 80% chance of finishing within it and by
    the deadline (``None`` without a deadline, or when the deadline alone is met in fewer than
    80% of draws).
    """

    cost_p50: float
    cost_p80: float
    cost_p90: float
    years_p50: float
    years_p80: float
    success_p10: float
    success_p50: float
    success_p90: float
    budget_usd: float | None
    deadline_years: float | None
    performance_target: float | None
    p_cost_within_budget: float | None
    p_on_time: float | None
    p_success_at_least_target: float | None
    p_cost_and_years_within: float | None
    jcl70_budget_usd: float | None
    jcl80_budget_usd: float | None
    n_draws: int


def headline(plan: Plan, cost, years, success) -> Headline:
    """The :class:`Headline` of paired draws of net cost, years and success of ``plan``:
    :func:`~probmodel.analysis.risk.risk_measures` for the percentiles and
    :func:`~probmodel.analysis.risk.plan_risk` for the probabilities and JCL budgets, exactly as
    :func:`probmodel.analysis.plans.outcome_row` (the ``plans`` table) computes them."""
    cost, years, success = (np.asarray(x, dtype=float).ravel() for x in (cost, years, success))
    measures = risk_measures(cost, years, success)
    risk = plan_risk(vars(plan), cost, years, success)
    q = {k: float(v) for k, v in measures.items() if not k.startswith("p_")}
    return Headline(
        **{k: q[k] for k in ("cost_p50", "cost_p80", "cost_p90", "years_p50", "years_p80",
                             "success_p10", "success_p50", "success_p90")},
        budget_usd=plan.budget_usd,
        deadline_years=plan.deadline_years,
        performance_target=plan.performance_target,
        p_cost_within_budget=risk["p_cost_within_budget"],
        p_on_time=risk["p_on_time"],
        p_success_at_least_target=risk["p_success_at_least_target"],
        p_cost_and_years_within=risk["p_cost_and_years_within"],
        jcl70_budget_usd=risk["jcl70_budget_usd"],
        jcl80_budget_usd=risk["jcl80_budget_usd"],
        n_draws=int(cost.size),
    )  # fmt: skip


# -------------------------------------------------------------------------------- reweighting


@dataclass(frozen=True)
class PriorChange:
    """One world parameter's prior replaced: ``old`` is the prior the run was drawn from."""

    parameter: str
    old: PriorSpec
    new: PriorSpec

    def override(self) -> dict[str, Any]:
        """The ``[priors.NAME]`` table of a scenario file that gives ``new`` (merged with the
        world file's table by :func:`probmodel.specs.priors.merge_override`)."""
        return _distribution_table(self.new)

    def describe(self) -> str:
        lo, hi = self.new.interval or (math.nan, math.nan)
        mass = self.new.mass or 0.9
        return f"{self.parameter}: {self.new.distribution} with {mass:.0%} in [{lo:g}, {hi:g}]"


def _distribution_table(spec: PriorSpec) -> dict[str, Any]:
    table: dict[str, Any] = {"distribution": spec.distribution}
    if spec.interval is not None:
        table["interval"] = [float(spec.interval[0]), float(spec.interval[1])]
        table["mass"] = float(spec.mass if spec.mass is not None else 0.9)
        table["method"] = spec.method
        for bound in ("lower", "upper"):  # a truncated family keeps its bounds
            if bound in spec.params and spec.distribution == "TruncatedNormal":
                table[bound] = float(spec.params[bound])
    else:
        table["params"] = {k: float(v) for k, v in spec.params.items()}
    return table


def prior_change(
    base: WhatIfBase, parameter: str, low: float, high: float, mass: float = 0.9
) -> PriorChange:
    """The prior of ``parameter`` moved to put ``mass`` in ``[low, high]``, in the same family,
    made the way a prior file's ``interval = [low, high]`` is (:func:`parse_prior`: an exact
    equal-tailed fit for Normal and LogNormal, PreliZ's maximum-entropy fit otherwise).

    Raises
    ------
    InvalidArgumentError
        ``parameter`` is not a sampled world parameter of the run.
    SpecError
        The interval does not give a valid prior (outside the parameter's domain, reversed ...),
        with the same messages a prior file gets.
    """
    specs = base.run.prior_specs
    if parameter not in specs or parameter not in WORLD_PARAMETERS:
        raise InvalidArgumentError(
            f"parameter = {parameter!r}: not a world parameter of run {base.run.name!r}. "
            f"Allowed: {', '.join(reweightable_parameters(base))}."
        )
    old = specs[parameter]
    if old.is_fixed or parameter not in base.posterior:
        raise InvalidArgumentError(
            f"parameter = {parameter!r} is Fixed in run {base.run.name!r}: it has no draws to "
            "reweight; give it a distribution in a scenario's [priors] and re-sample."
        )
    record = old.as_record()
    table: dict[str, Any] = {
        k: record[k] for k in ("point", "source", "reason", "description") if record.get(k)
    }
    table["distribution"] = old.distribution
    if old.distribution == "TruncatedNormal":  # the truncation stays; the interval moves
        table.update(lower=old.params["lower"], upper=old.params["upper"])
    table.update(interval=[low, high], mass=mass)
    problems = ProblemCollector(f"prior what-if for {parameter}")
    new = parse_prior(parameter, table, problems)
    problems.raise_if_any()
    assert new is not None
    return PriorChange(parameter, old, new)


def reweightable_parameters(base: WhatIfBase) -> list[str]:
    """World parameters whose prior a what-if can move: sampled (not Fixed) ones, in model
    order."""
    specs = base.run.prior_specs
    return [
        n for n in WORLD_PARAMETERS if n in specs and not specs[n].is_fixed and n in base.posterior
    ]


@dataclass(frozen=True)
class Reweighting:
    """Pareto-smoothed importance weights that turn the run's posterior into a what-if's.

    Attributes
    ----------
    prior : PriorChange or None
        The prior moved, if any.
    records_off : tuple of str
        Evidence records left out (leave-one-out).
    log_weights : ndarray, shape (n_draws,)
        Normalised log weights, in chain x draw order.
    pareto_k : float
        Pareto k-hat of the weights (inf when no draw has positive weight, or one carries all;
        0 when every draw with a weight has the same one: bounded weights, nothing to smooth).
    ess : float
        Effective sample size of the smoothed weights.
    index : ndarray of int, shape (n_draws,)
        The draws the what-if shows: systematic resampling of the weights with
        :data:`RESAMPLE_SEED` (every draw once when the weights are unusable).
    """

    prior: PriorChange | None
    records_off: tuple[str, ...]
    log_weights: np.ndarray = field(repr=False)
    pareto_k: float
    ess: float
    index: np.ndarray = field(repr=False)

    @property
    def resample_needed(self) -> bool:
        """Whether the weights are too unreliable to trust: k-hat above 0.7 (Vehtari et al.'s
        limit) or fewer than :data:`~probmodel.analysis.update.MIN_ESS` effective draws."""
        return not (self.pareto_k <= PARETO_K_RELIABLE and self.ess >= MIN_ESS)

    def describe(self) -> str:
        parts = []
        if self.prior is not None:
            parts.append(f"prior of {self.prior.describe()}")
        if self.records_off:
            parts.append(f"without {', '.join(self.records_off)}")
        return "; ".join(parts)


def prior_log_ratio(base: WhatIfBase, change: PriorChange) -> np.ndarray:
    """``log p_new(x) - log p_old(x)`` at each posterior draw of the parameter (chain x draw
    order); ``-inf`` where the new prior has no density."""
    x = base.flat(change.parameter)
    with np.errstate(invalid="ignore", divide="ignore"):
        return change.new.log_density(x) - change.old.log_density(x)


def records_log_likelihood(base: WhatIfBase, record_ids: Sequence[str]) -> np.ndarray:
    """Summed log-likelihood of ``record_ids`` at each draw (chain x draw order)."""
    ll = base.record_log_likelihood
    known = [str(x) for x in ll["evidence_record"].values]
    unknown = [r for r in record_ids if r not in known]
    if unknown:
        raise InvalidArgumentError(
            f"evidence record(s) {', '.join(unknown)}: not in run {base.run.name!r}. "
            f"Allowed: {', '.join(known)}."
        )
    picked = ll.sel(evidence_record=list(record_ids)).sum("evidence_record")
    return picked.transpose(*SAMPLE_DIMS).values.reshape(-1)


def reweight(
    base: WhatIfBase, prior: PriorChange | None = None, records_off: Sequence[str] = ()
) -> Reweighting | None:
    """Importance weights for a prior change and/or records left out; ``None`` for neither
    (the run's own posterior).

    The log weight of a draw is ``log p_new(x) - log p_old(x) - sum(log L_record)``: the prior
    ratio (when the prior moved) and one over the likelihood of each record left out.
    """
    records_off = tuple(dict.fromkeys(records_off))
    if prior is None and not records_off:
        return None
    log_ratio = np.zeros(base.n_draws)
    if prior is not None:
        log_ratio = log_ratio + prior_log_ratio(base, prior)
    if records_off:
        log_ratio = log_ratio - records_log_likelihood(base, records_off)
    n = base.n_draws
    if not np.any(np.isfinite(log_ratio)):
        return Reweighting(prior, records_off, np.full(n, -np.log(n)), math.inf, 0.0, np.arange(n))
    log_ratio = np.where(np.isnan(log_ratio), -np.inf, log_ratio)
    finite = log_ratio[np.isfinite(log_ratio)]
    if np.ptp(finite) == 0.0:
        # Equal weights on every draw with any: nothing to smooth (PSIS cannot fit a tail to
        # equal values). Bounded weights are the best case of importance sampling: k = 0.
        log_w = np.where(np.isfinite(log_ratio), -np.log(finite.size), -np.inf)
        k = 0.0
    else:
        shape = (base.posterior.sizes["chain"], base.posterior.sizes["draw"])
        log_w, k = psis_log_weights(log_ratio.reshape(shape))
        log_w = log_w.reshape(-1)
    weights = np.exp(log_w)
    if not np.all(np.isfinite(weights)) or weights.sum() <= 0:
        return Reweighting(prior, records_off, log_w, math.inf, 0.0, np.arange(n))
    ess = float(1.0 / np.sum((weights / weights.sum()) ** 2))
    index = systematic_resample(weights, np.random.default_rng(RESAMPLE_SEED))
    return Reweighting(prior, records_off, log_w, k, ess, index)


# ------------------------------------------------------------------------------------ scoring


@dataclass(frozen=True)
class ScoredPlan:
    """A plan's outcomes on the draws a what-if shows, with its headline.

    ``cost`` (net cost, USD), ``years`` and ``success`` (success rate on unseen tasks,
    fraction) are paired draws; ``draw`` is each one's position in the run's posterior
    (chain x draw order; repeats after resampling).
    """

    plan: Plan
    cost: np.ndarray = field(repr=False)
    years: np.ndarray = field(repr=False)
    success: np.ndarray = field(repr=False)
    draw: np.ndarray = field(repr=False)
    headline: Headline
    reweighted: bool


def score_plan(base: WhatIfBase, plan: Plan, reweighting: Reweighting | None = None) -> ScoredPlan:
    """Score ``plan`` on the run's posterior draws (the shared equations, no re-sampling),
    after a what-if's reweighting when given."""
    if not isinstance(plan, Plan):
        raise InvalidArgumentError(f"plan = {type(plan).__name__}: expected a probmodel Plan.")
    ds = draws_outcomes(base.posterior, plan, base.constants)
    flat = {n: ds[n].transpose(*SAMPLE_DIMS).values.reshape(-1) for n in (COST, "years", "success_rate")}
    index = np.arange(base.n_draws) if reweighting is None else reweighting.index
    cost, years, success = (flat[n][index] for n in (COST, "years", "success_rate"))
    return ScoredPlan(
        plan, cost, years, success, index, headline(plan, cost, years, success),
        reweighting is not None,
    )  # fmt: skip


@dataclass(frozen=True)
class PairedComparison:
    """Plan ``current`` against plan ``pinned`` on the same draws: the probability that
    ``current`` is cheaper (net cost), faster (years) and better (success on unseen tasks);
    ties count half."""

    p_cheaper: float
    p_faster: float
    p_better: float


def compare(current: ScoredPlan, pinned: ScoredPlan) -> PairedComparison:
    """Paired comparison with :func:`~probmodel.analysis.plans.pairwise_probabilities`.

    Both plans must be scored on the same draws (the same what-if), else the comparison would
    not be paired.
    """
    if not np.array_equal(current.draw, pinned.draw):
        raise InvalidArgumentError(
            "compare: the two plans were scored on different draws (different what-ifs); score "
            "both with the same reweighting."
        )
    outcomes = {
        "current": {COST: current.cost, "years": current.years, "success_rate": current.success},
        "pinned": {COST: pinned.cost, "years": pinned.years, "success_rate": pinned.success},
    }
    pairs = pairwise_probabilities(outcomes)
    p = {k: v["p_row_beats_column"]["current"]["pinned"] for k, v in pairs.items()}
    return PairedComparison(p[COST], p["years"], p["success_rate"])


# --------------------------------------------------------------------------- what moved


@dataclass(frozen=True)
class ParameterShift:
    """A world parameter's posterior P5 / P50 / P95 in the run and under a what-if, in its unit."""

    parameter: str
    before: tuple[float, float, float]
    after: tuple[float, float, float]


SHIFT_QUANTILES = (0.05, 0.5, 0.95)


def parameter_quantiles(
    base: WhatIfBase, name: str, reweighting: Reweighting | None = None
) -> tuple[float, float, float]:
    """A world parameter's posterior P5, P50 and P95 (after a what-if's reweighting)."""
    x = base.flat(name)
    if reweighting is not None:
        x = x[reweighting.index]
    q = np.quantile(x, SHIFT_QUANTILES)
    return float(q[0]), float(q[1]), float(q[2])


def parameter_shifts(base: WhatIfBase, reweighting: Reweighting) -> list[ParameterShift]:
    """How the parameters a what-if touches moved: the parameter whose prior moved and those
    the records left out constrain (as each record states), in model order."""
    names = set()
    if reweighting.prior is not None:
        names.add(reweighting.prior.parameter)
    by_id = {r["id"]: r for r in base.run.evidence}
    for record_id in reweighting.records_off:
        names.update(by_id.get(record_id, {}).get("constrains", []))
    return [
        ParameterShift(name, parameter_quantiles(base, name), parameter_quantiles(base, name, reweighting))
        for name in WORLD_PARAMETERS
        if name in names and name in base.posterior
    ]


# ------------------------------------------------------------------------- saving and re-sampling


def whatif_scenario(
    base: WhatIfBase,
    plan: Plan,
    prior: PriorChange | None = None,
    records_off: Sequence[str] = (),
    name: str | None = None,
) -> Scenario:
    """The run's scenario with ``plan``, the moved prior as an override and the records left
    out excluded: what to re-sample when the weights are unreliable, and what a scenario file
    saved from the explorer holds (``probmodel run`` / ``point`` read it back)."""
    scenario = base.scenario
    overrides = {k: dict(v) for k, v in scenario.overrides.items()}
    priors = dict(scenario.priors)
    if prior is not None:
        overrides[prior.parameter] = prior.override()
        priors[prior.parameter] = prior.new
    exclude = tuple(dict.fromkeys((*scenario.evidence_exclude, *records_off)))
    changes = [
        *(["prior of " + prior.describe()] if prior else []),
        *([f"without {', '.join(records_off)}"] if records_off else []),
    ]
    return replace(
        scenario,
        name=name or f"{scenario.name}-explored",
        title=f"{scenario.title} (explored" + (f"; {'; '.join(changes)})" if changes else ")"),
        description=(
            f"Saved by probmodel explore from run {scenario.name!r}"
            + (f": {'; '.join(changes)}" if changes else "")
            + "."
        ),
        plan=plan,
        priors=priors,
        overrides=overrides,
        evidence_exclude=exclude,
        file="",
    )
