"""The outcome equations: one set, used by point mode, the PyMC model and NumPy sweeps alike.

Every function here is plain arithmetic on its arguments, so it works unchanged on Python floats,
NumPy arrays (point mode, sweeps over posterior draws) and PyTensor tensors (the PyMC model's
Deterministics). Plan choices (fleet given or solved, which pathways are used) are Python
branches on plan constants, never on random quantities.

Cost and timeline are seed 004's arithmetic (``DESIGN.md`` section 2), generalised so that every
seed number is one assumption away from being uncertain:

* token target ``T = tokens_per_parameter * model_params`` (Chinchilla, ``T ≈ 20 P``);
* tokens per robot-year ``= control_rate_hz * tokens_per_step * 3600 * useful_hours_per_day *
  operating_days_per_year``;
* the plan splits raw tokens over the data pathways of seed 002 (real demonstration, generative
  simulation, human video, world-model generation); how many raw tokens it collects is its
  ``data_goal`` (see :class:`Plan`);
* simulation yields ``sim_speedup`` times the tokens of a real robot-year per robot-year
  equivalent; video and world-model data come from pipelines with their own throughput and
  availability date;
* cost = CAPEX (fleet and backups) + collection years x yearly opex (maintenance, people,
  facilities, on-robot compute, storage) + per-token or per-hour costs of the other pathways,
  less the value of paid work when the fleet is deployed (seed 004's flywheel).

Achieved performance (:func:`performance`) turns the collected data into a predicted success rate
on unseen tasks; its equations and the reason for each choice are in that function's docstring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np

SECONDS_PER_HOUR = 3600.0
FTE_HOURS_PER_YEAR = 2000.0
"""Paid hours of one full-time operator per year (a convention, not an uncertain quantity)."""

REFERENCE_HOURS = 10_000.0
"""Hours of robot data in the reference data set that anchors performance: the size of π0's
pre-training mixture ("10,000 hours of dexterous manipulation data", Black et al., arXiv
2410.24164 [P])."""
REFERENCE_ENVIRONMENTS = 100.0
"""Distinct environments in the reference data set (judgement: π0's environment count is not
published; π0.5 adds ~400 h from "a variety of real homes")."""
REFERENCE_PARAMS = 3.3e9
"""Parameters of the reference model: π0 is a 3.3B-parameter model (Black et al. [P])."""

PATHWAYS: tuple[str, ...] = ("real", "sim", "video", "world_model")
"""Data pathways (seed 002's table): real demonstration on the fleet, generative simulation,
internet/human video, world-model generated data."""

_WORLD: dict[str, tuple[str, str]] = {
    "tokens_per_parameter": (
        "training tokens per model parameter for compute-optimal training",
        "tokens/parameter",
    ),
    "control_rate_hz": ("policy control rate, steps per second", "Hz"),
    "tokens_per_step": ("predictive tokens per control step", "tokens/step"),
    "useful_hours_per_day": ("useful data-collection hours per robot per operating day", "h/day"),
    "operating_days_per_year": ("operating days per robot per year", "days/year"),
    "sim_transfer": ("population median value of a simulated token", "real-token equivalents"),
    "sim_transfer_sd": ("between-study sd of log sim transfer", "log ratio"),
    "sim_speedup": (
        "simulated tokens per robot-year equivalent / real tokens per robot-year",
        "ratio",
    ),
    "unit_cost_usd": ("purchase cost of one robot", "USD/robot"),
    "backup_share": ("spare robots bought per active robot", "fraction"),
    "maintenance_share": ("yearly maintenance as a share of CAPEX", "fraction/year"),
    "operators_per_robot": ("supervising operators per active robot", "FTE/robot"),
    "operator_wage_usd_per_hour": ("fully loaded operator cost", "USD/h"),
    "staff_overhead": (
        "total people cost / operator cost (engineers, safety, management)",
        "ratio",
    ),
    "facilities_usd_per_robot_year": ("facilities, safety and compliance", "USD/robot-year"),
    "compute_usd_per_robot_year": ("on-robot compute", "USD/robot-year"),
    "storage_usd_per_data_hour": ("storing one hour of collected robot data", "USD/h of data"),
    "site_usd": ("opening and running collection at one more distinct site", "USD/site"),
    "sim_compute_usd_per_token": ("compute cost of one simulated token", "USD/token"),
    "sim_available_years": (
        "years until generative simulation yields usable data at scale",
        "years",
    ),
    "sim_environments": (
        "distinct environments a generative-simulation pipeline provides",
        "count",
    ),
    "video_transfer": ("population median value of a human-video token", "real-token equivalents"),
    "video_transfer_sd": ("between-study sd of log video transfer", "log ratio"),
    "video_usd_per_hour": ("acquiring and processing one hour of human video", "USD/h"),
    "video_hours_per_year": ("hours of usable human video a pipeline delivers per year", "h/year"),
    "video_environments": ("distinct environments in a human-video corpus", "count"),
    "world_model_transfer": (
        "population median value of a world-model token",
        "real-token equivalents",
    ),
    "world_model_transfer_sd": ("between-study sd of log world-model transfer", "log ratio"),
    "world_model_usd_per_hour": ("generating one hour of world-model data", "USD/h"),
    "world_model_hours_per_year": ("hours a world-model pipeline generates per year", "h/year"),
    "world_model_available_years": ("years until world models yield usable robot data", "years"),
    "world_model_environments": ("distinct environments world-model data covers", "count"),
    "cross_embodiment_transfer": (
        "population median value of another robot's token",
        "real-token equivalents",
    ),
    "cross_embodiment_transfer_sd": (
        "between-study sd of log cross-embodiment transfer",
        "log ratio",
    ),
    "hardware_generation_years": ("mean time between robot hardware generations", "years"),
    "hardware_value_retained": (
        "value a token keeps when the hardware changes generation",
        "ratio",
    ),
    "reference_attainment": (
        "unseen-task success at the reference data and model, as a share of the ceiling",
        "ratio",
    ),
    "success_ceiling": (
        "success on unseen tasks that unlimited diverse data approaches",
        "fraction",
    ),
    "unseen_task_exponent_ratio": (
        "data exponent on unseen tasks / data exponent over all studies",
        "ratio",
    ),
    "seen_task_hazard_ratio": (
        "hazard on trained tasks / hazard on unseen tasks, same data",
        "ratio",
    ),
    "outcome_level_sd": (
        "between-study sd of the log hazard around the performance equation",
        "log ratio",
    ),
    "deployment_value_usd_per_hour": ("value of one hour of a deployed robot's paid work", "USD/h"),
    "deployment_data_yield": (
        "share of deployed working hours that yield training data",
        "fraction",
    ),
    "data_exponent_mean": (
        "population mean of the data-scaling exponent (error ~ D^-alpha)",
        "exponent",
    ),
    "data_exponent_sd": ("between-study sd of the data-scaling exponent", "exponent"),
    "diversity_exponent_mean": (
        "population mean of the diversity exponent (environments, objects)",
        "exponent",
    ),
    "diversity_exponent_sd": ("between-study sd of the diversity exponent", "exponent"),
}
"""Every world parameter -> (meaning, unit): cost and timeline, the pathways' priors
(transfer value, cost, throughput, diversity, availability), hardware generations, the
performance curve and the scaling-exponent populations that published curves inform. The one
source of each parameter's unit (a prior file may repeat it, and must agree)."""

WORLD_UNITS: dict[str, str] = {name: unit for name, (_, unit) in _WORLD.items()}
WORLD_PARAMETERS: dict[str, str] = {
    name: f"{text} [{unit}]" for name, (text, unit) in _WORLD.items()
}
"""World parameter -> "meaning [unit]", the text shown beside it."""


SHARES_OF_ONE = ("hardware_value_retained", "reference_attainment")
"""World parameters in [0, 1] whose unit is not ``fraction`` (shares of a maximum)."""


def world_domain(name: str) -> tuple[float, float]:
    """The values a world parameter can take: ``[0, 1]`` for fractions and shares of a maximum,
    ``[0, inf)`` for every other (all are counts, rates, prices, ratios, sds or exponents)."""
    if WORLD_UNITS.get(name) == "fraction" or name in SHARES_OF_ONE:
        return 0.0, 1.0
    return 0.0, math.inf

TRANSFERS: tuple[str, ...] = (
    "sim_transfer",
    "video_transfer",
    "world_model_transfer",
    "cross_embodiment_transfer",
)
"""Transfer-value populations: the median over studies, with a between-study sd ``<name>_sd``."""
NEW_DEPLOYMENT_EXPONENTS: tuple[str, ...] = ("data_exponent_new", "diversity_exponent_new")
NEW_DEPLOYMENT: tuple[str, ...] = (
    *NEW_DEPLOYMENT_EXPONENTS,
    *(f"{t}_new" for t in TRANSFERS),
)
"""Values of a new deployment: draws from each population (the model's ``*_new``
Deterministics), so a plan carries the between-study spread, not only the uncertainty of the
population's centre. Point mode uses the population mean (exponents) or median (transfers)."""

COST_COMPONENTS: tuple[str, ...] = (
    "capex",
    "maintenance",
    "people",
    "facilities",
    "compute",
    "storage",
    "sites",
    "sim_compute",
    "video",
    "world_model",
)
"""Cost breakdown, in the order reports show it (all USD over the whole plan)."""

DATA_GOALS = ("raw_tokens", "effective_tokens")
ROBOT_CLASSES = ("humanoid", "industrial-arm", "research-rig", "consumer-humanoid")
"""Classes of robot a fleet may buy and a price may be for: humanoids and mobile manipulators
sold for work, industrial arms, research rigs (ALOHA-style bimanual rigs, low-cost arms), and
consumer humanoids (home robots at consumer prices)."""


@dataclass(frozen=True)
class PlanVariable:
    """What a plan variable means, for tables, sweeps and error messages."""

    label: str
    unit: str = ""
    when_none: str = "—"
    """What ``None`` means for this variable (e.g. "solved for the deadline")."""
    sweepable: bool = False
    """Whether a sweep or an optimiser may vary it (numeric, and meaningful on a grid)."""
    integer: bool = False
    """Whether it counts whole things (robots, sites, embodiments): a sweep grid over it holds
    whole numbers only."""
    span: tuple[float, float] | None = None
    """The range a control offers for it (``probmodel explore``'s sliders), in its unit; a
    plan may go beyond it (the scenario file's limits are :func:`probmodel.specs.scenario.parse_plan`'s)."""
    log_scale: bool = False
    """Whether the control moves on a log scale (the variable spans orders of magnitude)."""


def _var(
    default: Any,
    label: str,
    unit: str = "",
    when_none: str = "—",
    sweep: bool = False,
    integer: bool = False,
    span: tuple[float, float] | None = None,
    log_scale: bool = False,
):
    """A :class:`Plan` field with its :class:`PlanVariable` description as metadata."""
    variable = PlanVariable(label, unit, when_none, sweep, integer, span, log_scale)
    return field(default=default, metadata={"variable": variable})


@dataclass(frozen=True)
class Plan:
    """The decision variables of a scenario (chosen by the user, not uncertain).

    Parameters
    ----------
    model_params : float or None
        Parameters of the robot model; the token target is ``tokens_per_parameter * model_params``.
    token_target : float or None
        A fixed token target instead of one derived from the model size [tokens].
    fleet_size : float or None
        Active robots collecting data; ``None`` means the fleet is solved for ``deadline_years``.
    real_share, video_share, world_model_share : float
        Shares of raw tokens from real robots, human video and world models; simulation takes
        the rest (``real_share = 0.2`` alone is the seed's 1:4 co-training split).
    sim_generation : {"on_fleet", "separate"}
        ``"on_fleet"``: simulated robot-year equivalents take fleet time (the seed's 1.2-year figure);
        ``"separate"``: simulation runs on other compute and only real data sets the fleet's time
        (the seed's 1,010-robot figure).
    data_goal : {"raw_tokens", "effective_tokens"}
        How much to collect. ``"raw_tokens"`` collects the token target in raw tokens, split by the
        shares (seed 004's budget: "our 1.1T token goal would require 220B real + 880B sim"), so
        weak transfer costs performance. ``"effective_tokens"`` keeps collecting until the
        transfer-weighted tokens reach the target, so weak transfer costs money and time.
    collection_years : float or None
        Collect for a fixed time with a fixed fleet instead of to a token target [years].
    sites : float
        Distinct environments the real data is collected in [count].
    embodiments : float
        Distinct robot embodiments the fleet is split over; each model sees its own robot's data
        at full value and the others' at ``cross_embodiment_transfer``.
    pooled_hours : float
        Other robots' data pooled in (open data sets such as Open X-Embodiment) [h].
    deployed : bool
        The fleet does paid work and collects data as a by-product (seed 004's flywheel).
    work_hours_per_day : float or None
        Paid working hours per deployed robot per operating day [h/day]; required when deployed.
    deadline_years, budget_usd : float or None
        The deadline and budget that risk outputs are measured against.
    performance_target : float or None
        Success rate on unseen tasks the plan aims for [fraction].
    robot_class : str
        The class of robot the fleet buys (``humanoid`` by default: general-purpose robots sold
        for work); a published price of another class informs the unit cost only through the
        relation its record states (:mod:`probmodel.evidence.measurement`).
    baseline_fleet : float or None
        A reference fleet for the "robot purchases avoided" outcome (the seed's $400M).
    """

    model_params: float | None = _var(
        55e9, "model size", "parameters", "not used (fixed token target)", sweep=True,
        span=(1e8, 1e12), log_scale=True,
    )
    token_target: float | None = _var(None, "token target", "tokens", "from the model size")
    fleet_size: float | None = _var(
        5000.0, "active fleet", "robots", "solved for the deadline", sweep=True, integer=True,
        span=(10, 100_000), log_scale=True,
    )
    real_share: float = _var(
        1.0, "real share of raw tokens", "fraction", sweep=True, span=(0.0, 1.0)
    )
    video_share: float = _var(
        0.0, "human-video share of raw tokens", "fraction", sweep=True, span=(0.0, 1.0)
    )
    world_model_share: float = _var(
        0.0, "world-model share of raw tokens", "fraction", sweep=True, span=(0.0, 1.0)
    )
    sim_generation: Literal["on_fleet", "separate"] = _var("on_fleet", "where simulation runs")
    data_goal: Literal["raw_tokens", "effective_tokens"] = _var("raw_tokens", "how much to collect")
    collection_years: float | None = _var(
        None, "fixed collection time", "years", "until the token goal is met", sweep=True
    )
    sites: float = _var(
        REFERENCE_ENVIRONMENTS, "distinct real environments", "sites", sweep=True, integer=True,
        span=(1, 100_000), log_scale=True,
    )
    embodiments: float = _var(
        1.0, "robot embodiments in the fleet", "embodiments", sweep=True, integer=True,
        span=(1, 20),
    )
    pooled_hours: float = _var(0.0, "other robots' data pooled in", "h", sweep=True)
    deployed: bool = _var(False, "fleet does paid work", "", "no")
    work_hours_per_day: float | None = _var(
        None, "paid working hours per robot-day", "h/day", sweep=True
    )
    deadline_years: float | None = _var(
        None, "deadline", "years", "no deadline set", sweep=True, span=(0.25, 20.0)
    )
    budget_usd: float | None = _var(
        None, "budget", "USD", "no budget set", sweep=True, span=(1e7, 1e11), log_scale=True
    )
    performance_target: float | None = _var(
        None, "performance target (success on unseen tasks)", "fraction", "none set", sweep=True,
        span=(0.05, 1.0),
    )
    robot_class: str = _var("humanoid", "robot class bought")
    baseline_fleet: float | None = _var(
        None, "baseline fleet (purchases avoided)", "robots", "none", integer=True
    )

    @property
    def solves_fleet(self) -> bool:
        return self.fleet_size is None

    @property
    def shares(self) -> dict[str, Any]:
        """Share of raw tokens per pathway (simulation takes what the others leave).

        Plan fields may be NumPy arrays (a sweep over a grid of plans) or PyTensor variables (one
        graph for a grid); shares then are too.
        """
        rest = 1.0 - self.real_share - self.video_share - self.world_model_share
        xp = _namespace(rest)
        sim = xp.where(xp.abs(rest) > 1e-12, xp.maximum(rest, 0.0), 0.0)
        if xp is np:
            sim = float(sim) if sim.ndim == 0 else sim
        return {
            "real": self.real_share,
            "sim": sim,
            "video": self.video_share,
            "world_model": self.world_model_share,
        }

    @property
    def uses(self) -> dict[str, Any]:
        """Whether the plan uses each pathway (share above zero; arrays for a grid of plans)."""
        return {p: _positive(s) for p, s in self.shares.items()}


PLAN_VARIABLES: dict[str, PlanVariable] = {f.name: f.metadata["variable"] for f in fields(Plan)}
"""Every plan variable, in file order: the one vocabulary that scenario files, sweeps, the
optimiser and the report's plan table use."""


def _positive(x):
    """``x > 0`` as a Python bool for a scalar, a boolean array for an array (a boolean tensor for
    a PyTensor variable)."""
    if _namespace(x) is not np:
        return x > 0
    out = np.asarray(x) > 0
    return bool(out) if out.ndim == 0 else out


def _where(condition, a, b, xp=np):
    """``a`` where ``condition`` holds, else ``b``; a Python-bool condition is a plain branch, so
    PyTensor graphs only see the branch taken."""
    if isinstance(condition, bool):
        return a if condition else b
    return xp.where(condition, a, b)


def _namespace(*values):
    """``pytensor.tensor`` if any value is a PyTensor variable, else NumPy (same function names)."""
    for v in values:
        if type(v).__module__.startswith("pytensor"):
            import pytensor.tensor as pt

            return pt
    return np


def token_target(w: Mapping[str, Any], plan: Plan):
    """Compute-optimal token target [tokens]."""
    if plan.token_target is not None:
        return plan.token_target
    return w["tokens_per_parameter"] * plan.model_params


def model_params(w: Mapping[str, Any], plan: Plan):
    """Parameters of the model; for a fixed token target, the compute-optimal size for it."""
    if plan.model_params is not None:
        return plan.model_params
    return plan.token_target / w["tokens_per_parameter"]


def tokens_per_hour(w: Mapping[str, Any]):
    """Predictive tokens in one hour of robot experience [tokens/h]."""
    return w["control_rate_hz"] * w["tokens_per_step"] * SECONDS_PER_HOUR


def tokens_per_robot_year(w: Mapping[str, Any]):
    """Real predictive tokens one collection robot gathers in a year [tokens/robot-year]."""
    return tokens_per_hour(w) * w["useful_hours_per_day"] * w["operating_days_per_year"]


def data_hours_per_robot_year(w: Mapping[str, Any]):
    """Hours of data one collection robot gathers in a year [h/robot-year]."""
    return w["useful_hours_per_day"] * w["operating_days_per_year"]


def people_usd_per_robot_year(w: Mapping[str, Any]):
    """Supervision, engineering and safety staff per active robot [USD/robot-year]."""
    return (
        w["operators_per_robot"]
        * w["operator_wage_usd_per_hour"]
        * FTE_HOURS_PER_YEAR
        * w["staff_overhead"]
    )


MEASURABLE_DERIVED = {
    "tokens_per_robot_year": tokens_per_robot_year,
    "data_hours_per_robot_year": data_hours_per_robot_year,
    "people_usd_per_robot_year": people_usd_per_robot_year,
    "tokens_per_hour": tokens_per_hour,
}
"""Plan-free derived world quantities that an evidence record may measure (besides parameters)."""
DERIVED_UNITS: dict[str, str] = {
    "tokens_per_robot_year": "tokens/robot-year",
    "data_hours_per_robot_year": "h/robot-year",
    "people_usd_per_robot_year": "USD/robot-year",
    "tokens_per_hour": "tokens/h",
}
"""Units of :data:`MEASURABLE_DERIVED` (as their docstrings say)."""
DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    "tokens_per_robot_year": ("control_rate_hz", "tokens_per_step", "useful_hours_per_day",
                              "operating_days_per_year"),
    "data_hours_per_robot_year": ("useful_hours_per_day", "operating_days_per_year"),
    "people_usd_per_robot_year": ("operators_per_robot", "operator_wage_usd_per_hour",
                                  "staff_overhead"),
    "tokens_per_hour": ("control_rate_hz", "tokens_per_step"),
}  # fmt: skip
"""The world parameters each derived quantity is computed from."""


def world_quantity(name: str, w: Mapping[str, Any]):
    """A world parameter or a plan-free derived quantity, by name."""
    return MEASURABLE_DERIVED[name](w) if name in MEASURABLE_DERIVED else w[name]


def transfer_values(w: Mapping[str, Any]) -> dict[str, Any]:
    """Real-token equivalents of one token from each pathway for a new deployment (a real token
    is worth 1): the ``*_transfer_new`` draws, or the population medians in point mode."""
    return {
        "real": 1.0,
        "sim": w["sim_transfer_new"],
        "video": w["video_transfer_new"],
        "world_model": w["world_model_transfer_new"],
    }


def hardware_retention(w: Mapping[str, Any], years):
    """Mean value kept by robot data collected evenly over ``years`` when the model is trained.

    Hardware generations arrive as a Poisson process every ``hardware_generation_years`` on
    average and each keeps ``hardware_value_retained`` of a token's value (seed 002: teleoperation
    data "becomes less useful every time you upgrade your robot hardware"), so a token ``t``
    years old keeps ``exp(-k t)`` with ``k = (1 - retained) / generation_years``; averaged over
    collection, ``(1 - exp(-k Y)) / (k Y)``.
    """
    xp = _namespace(years, w["hardware_value_retained"], w["hardware_generation_years"])
    k = (1.0 - w["hardware_value_retained"]) / w["hardware_generation_years"]
    x = k * years + 1e-12  # the limit at x -> 0 is 1; expm1 keeps it exact there
    return -xp.expm1(-x) / x


def effective_environments(effective_hours: Mapping[str, Any], environments: Mapping[str, Any]):
    """Effective number of distinct environments in a data mix [count].

    The inverse Simpson index (the Hill number of order 2) of the effective hours over
    environments, each pathway's effective hours spread evenly over its environments:
    ``S = (sum_p e_p)**2 / sum_p (e_p**2 / E_p)``. A pathway's environments count in proportion to
    the (transfer-weighted) data actually drawn from it: 1% simulated data adds almost nothing to
    100 real sites however many scenes the simulator has, and a pathway can never raise ``S``
    above ``E_real / w_real**2`` with ``w_real`` the real share of effective hours. No parameter
    is needed beyond the environment counts themselves.
    """
    total = sum(effective_hours.values())
    spread = sum(e**2 / environments[p] for p, e in effective_hours.items())
    return total**2 / spread


def performance(
    w: Mapping[str, Any], effective_tokens, environments, params, setting="unseen-tasks", level=0.0
):
    """Predicted success rate from effective, diverse data and model size [fraction].

    The equations, and why (the model document ``docs/model.md`` gives the sources):

    * **Link.** ``success = ceiling * exp(-H)``: the error approaches the floor ``1 - ceiling``
      as the hazard ``H`` falls, and for small ``H`` the error above the floor is ``~ ceiling *
      H``, the power law in the error rate that Sartor & Thompson fit per study. Curves and
      effects use the same link (``-log success`` is a power law in data), so exponents mean the
      same thing in the evidence and here.
    * **Data and model size, one scaling law.** ``H ∝ g(D, N) = (D/D_ref)^-alpha +
      (T(N)/D_ref)^-alpha`` with ``D`` the effective tokens, ``T(N) = tokens_per_parameter * N``
      the plan's token target and ``D_ref`` the reference data in tokens. This is Hoffmann et
      al.'s (Chinchilla) additive law ``E + A/N^a + B/D^b`` with equal exponents, which is what a
      constant tokens-per-parameter target means (compute-optimal ``D ∝ N``; Epoch's refit gives
      ``a = 0.51``; Sartor & Thompson's robot model-size and data exponents agree within their
      CIs) and with the two terms equal at the token target (Chinchilla's optimum). So cost and
      performance agree on "enough data": below the token target more data pays off with the data
      exponent; beyond it returns fall towards the model-size floor, which only a bigger model
      (with its bigger target) lowers. A small model's data gains stop early (GEN-0's
      "ossification" below 7B is this effect, without a parameter of its own).
    * **Diversity.** ``H ∝ (S/S_ref)^-(beta - alpha)`` with ``S`` the effective environments
      (:func:`effective_environments`): at fixed data per environment (Lin et al.'s environment
      curves) the hazard falls as ``S^-beta`` while data is the binding term; at a fixed total,
      spreading data over more environments helps with ``beta - alpha >= 0``.
    * **Exponents.** ``alpha`` is the new-deployment draw of the data population times
      ``unseen_task_exponent_ratio`` on unseen tasks (Sartor & Thompson: unseen tasks scale more
      slowly, -0.155 against -0.276); ``beta`` the diversity draw. ``alpha >= 0`` and
      ``beta >= alpha`` are enforced: data never hurts, and a new environment is never worth less
      than more data in a seen one.
    * **Anchor.** At the reference (``D_ref`` = :data:`REFERENCE_HOURS` of real data in
      :data:`REFERENCE_ENVIRONMENTS` environments, a :data:`REFERENCE_PARAMS` model) unseen-task
      success is ``reference_attainment * ceiling``. Outcome records (published policies' absolute
      success at their own data, environments and size) inform it through this same function.
    * **Setting and study level.** Trained tasks (``setting="seen-tasks"``) have their hazard
      scaled by ``seen_task_hazard_ratio``; ``level`` is a study's log-hazard offset (outcome
      records only; 0 for a plan).
    """
    xp = _namespace(effective_tokens, environments, params, level, *w.values())
    alpha = xp.maximum(w["data_exponent_new"], 0.0)
    if setting == "unseen-tasks":
        alpha = alpha * w["unseen_task_exponent_ratio"]
    beta = xp.maximum(w["diversity_exponent_new"], alpha)
    reference_tokens = REFERENCE_HOURS * tokens_per_hour(w)
    target = w["tokens_per_parameter"] * params
    reference_target = w["tokens_per_parameter"] * REFERENCE_PARAMS

    def scaling(data, model_target):
        return (data / reference_tokens) ** -alpha + (model_target / reference_tokens) ** -alpha

    ratio = scaling(effective_tokens, target) / scaling(reference_tokens, reference_target)
    diversity = (environments / REFERENCE_ENVIRONMENTS) ** -(beta - alpha)
    hazard = -xp.log(w["reference_attainment"]) * diversity * ratio * xp.exp(level)
    if setting == "seen-tasks":
        hazard = hazard * w["seen_task_hazard_ratio"]
    return w["success_ceiling"] * xp.exp(-hazard)


def data_mix_performance(w: Mapping[str, Any], hours, environments, params, setting, level=0.0):
    """Success of a policy trained on ``hours`` per pathway (``real``, ``sim``, ``video``,
    ``world_model``, ``other_robots``) with ``environments`` distinct real environments: the
    performance equation at that data, with the transfer values' population medians (an outcome
    record's data mix)."""
    value = {
        "real": 1.0,
        "sim": w["sim_transfer"],
        "video": w["video_transfer"],
        "world_model": w["world_model_transfer"],
        "other_robots": w["cross_embodiment_transfer"],
    }
    effective = {p: value[p] * h for p, h in hours.items() if h > 0}
    counts = {
        "real": environments,
        "other_robots": environments,
        "sim": w["sim_environments"],
        "video": w["video_environments"],
        "world_model": w["world_model_environments"],
    }
    robot = [e for p, e in effective.items() if p in ("real", "other_robots")]
    merged = {"real": sum(robot)} if robot else {}
    merged.update({p: e for p, e in effective.items() if p not in ("real", "other_robots")})
    envs = effective_environments(merged, counts)
    tokens = sum(effective.values()) * tokens_per_hour(w)
    return performance(w, tokens, envs, params, setting, level)


def new_deployment_exponent(w: Mapping[str, Any], axis: str, z):
    """The exponent of a new deployment on ``axis`` (``"data"`` or ``"diversity"``): the axis's
    population mean plus its between-study sd times ``z``, a standard-normal draw (non-centred)."""
    return w[f"{axis}_exponent_mean"] + w[f"{axis}_exponent_sd"] * z


def new_deployment_transfer(w: Mapping[str, Any], name: str, z):
    """The transfer value of a new deployment: the population median times ``exp(sd * z)``."""
    xp = _namespace(w[name], w[f"{name}_sd"], z)
    return w[name] * xp.exp(w[f"{name}_sd"] * z)


def new_deployment_value(w: Mapping[str, Any], new: str, z):
    """The new-deployment value ``new`` (one of :data:`NEW_DEPLOYMENT`) from its standard-normal
    draw ``z`` (the model's free variable ``<new>_z``)."""
    if new in NEW_DEPLOYMENT_EXPONENTS:
        return new_deployment_exponent(w, new.removesuffix("_exponent_new"), z)
    return new_deployment_transfer(w, new.removesuffix("_new"), z)


def population_of(new: str) -> tuple[str, str]:
    """The population parameters (centre, spread) a new-deployment value is drawn from."""
    base = new.removesuffix("_new")
    if base.endswith("_exponent"):
        return f"{base}_mean", f"{base}_sd"
    return base, f"{base}_sd"


def with_point_exponents(w: Mapping[str, Any]) -> dict[str, Any]:
    """``w`` with the new-deployment values set to their population centres where missing."""
    out = dict(w)
    for name in NEW_DEPLOYMENT:
        if name not in out:
            out[name] = out[population_of(name)[0]]
    return out


def outcomes(w: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
    """All outcomes of a plan given world parameters ``w``.

    Returns a dict of named quantities (units in :data:`OUTCOMES`); cost components are returned
    as ``cost_<component>`` and their sum as ``cost_total_usd``. A quantity fixed by the plan
    (the fleet of a fixed-fleet plan, say) comes back as a plain float; callers broadcast.
    ``w`` holds the world parameters and, optionally, the new-deployment exponents
    (:data:`NEW_DEPLOYMENT_EXPONENTS`; their population means when absent).
    """
    w = with_point_exponents(w)
    xp = _namespace(*w.values())
    shares = plan.shares
    value = transfer_values(w)
    target = token_target(w, plan)
    per_hour = tokens_per_hour(w)
    collection_rate = tokens_per_robot_year(w)
    if plan.deployed:
        data_hours_per_day = plan.work_hours_per_day * w["deployment_data_yield"]
        robot_hours_per_year = data_hours_per_day * w["operating_days_per_year"]
    else:
        robot_hours_per_year = data_hours_per_robot_year(w)
    real_rate = per_hour * robot_hours_per_year  # real tokens per robot-year for this plan

    # Fleet robot-years per raw token: real collection, plus simulation when it uses fleet time.
    fleet_years_per_token = shares["real"] / real_rate
    if plan.sim_generation == "on_fleet":
        fleet_years_per_token = fleet_years_per_token + shares["sim"] / (
            w["sim_speedup"] * collection_rate
        )
    if plan.collection_years is not None:
        raw_total = plan.fleet_size * plan.collection_years / fleet_years_per_token
    elif plan.data_goal == "effective_tokens":
        raw_total = target / sum(shares[p] * value[p] for p in PATHWAYS)
    else:
        raw_total = target
    tokens = {p: shares[p] * raw_total for p in PATHWAYS}
    hours = {p: tokens[p] / per_hour for p in PATHWAYS}

    real_robot_years = tokens["real"] / real_rate
    sim_robot_years = tokens["sim"] / (w["sim_speedup"] * collection_rate)
    fleet_robot_years = real_robot_years
    if plan.sim_generation == "on_fleet":
        fleet_robot_years = fleet_robot_years + sim_robot_years
    if plan.collection_years is not None:
        fleet, fleet_years = plan.fleet_size, plan.collection_years
    elif plan.solves_fleet:
        fleet, fleet_years = fleet_robot_years / plan.deadline_years, plan.deadline_years
    else:
        fleet, fleet_years = plan.fleet_size, fleet_robot_years / plan.fleet_size

    # Pathways that do not use the fleet finish when their pipeline has delivered.
    uses = plan.uses
    sim_ready = w["sim_available_years"]
    if plan.sim_generation == "on_fleet":
        sim_ready = sim_ready + sim_robot_years / fleet
    ready = {
        "sim": sim_ready,
        "video": hours["video"] / w["video_hours_per_year"],
        "world_model": w["world_model_available_years"]
        + hours["world_model"] / w["world_model_hours_per_year"],
    }
    years = fleet_years
    for pathway, done in ready.items():
        years = _where(uses[pathway], xp.maximum(years, done), years, xp)
    deadline = plan.deadline_years
    robots_needed = fleet_robot_years / deadline if deadline is not None else fleet

    capex = w["unit_cost_usd"] * fleet * (1.0 + w["backup_share"])
    yearly = {
        "maintenance": w["maintenance_share"] * capex,
        "people": fleet * people_usd_per_robot_year(w),
        "facilities": fleet * w["facilities_usd_per_robot_year"],
        "compute": fleet * w["compute_usd_per_robot_year"],
        "storage": fleet * robot_hours_per_year * w["storage_usd_per_data_hour"],
    }
    cost = {"capex": capex, **{k: v * fleet_years for k, v in yearly.items()}}
    cost["sites"] = _where(uses["real"], plan.sites * w["site_usd"], 0.0 * plan.sites, xp)
    cost["sim_compute"] = tokens["sim"] * w["sim_compute_usd_per_token"]
    cost["video"] = hours["video"] * w["video_usd_per_hour"]
    cost["world_model"] = hours["world_model"] * w["world_model_usd_per_hour"]
    cost_total = sum(cost[c] for c in COST_COMPONENTS)
    deployment_value = 0.0
    if plan.deployed:
        work_hours = fleet * plan.work_hours_per_day * w["operating_days_per_year"] * fleet_years
        deployment_value = work_hours * w["deployment_value_usd_per_hour"]

    # Effective data: robot data loses value across hardware generations and embodiments.
    retention = hardware_retention(w, fleet_years)
    x = w["cross_embodiment_transfer_new"]
    embodiment = (1.0 + x * (plan.embodiments - 1.0)) / plan.embodiments
    effective = {
        "real": hours["real"] * embodiment * retention + x * plan.pooled_hours,
        "sim": value["sim"] * hours["sim"] * retention,
        "video": value["video"] * hours["video"],
        "world_model": value["world_model"] * hours["world_model"],
    }
    effective_hours = sum(effective.values())
    diversity = {
        "real": plan.sites,
        "sim": w["sim_environments"],
        "video": w["video_environments"],
        "world_model": w["world_model_environments"],
    }
    # Each pathway's environments count in proportion to the effective data drawn from it.
    environments = effective_environments(effective, diversity)
    size = model_params(w, plan)
    success = performance(w, effective_hours * per_hour, environments, size)

    out = {
        "token_target": target,
        "tokens_needed": raw_total,
        **{f"tokens_{p}": tokens[p] for p in PATHWAYS},
        **{f"hours_{p}": hours[p] for p in PATHWAYS},
        "tokens_per_robot_year": real_rate,
        "robot_years_real": real_robot_years,
        "robot_years_sim": sim_robot_years,
        "robot_years": real_robot_years + sim_robot_years,
        "fleet_size": fleet,
        "years": years,
        "collection_years": fleet_years,
        "robots_needed": robots_needed,
        "collection_hours_per_year": fleet * robot_hours_per_year,
        "opex_usd_per_year": sum(yearly.values()),
        "cost_total_usd": cost_total,
        "deployment_value_usd": deployment_value,
        "cost_net_usd": cost_total - deployment_value,
        **{f"cost_{k}": v for k, v in cost.items()},
        "effective_hours": effective_hours,
        "effective_tokens": effective_hours * per_hour,
        "coverage": effective_hours * per_hour / target,
        "effective_environments": environments,
        "hardware_retention": retention,
        "success_rate": success,
    }
    if plan.baseline_fleet is not None:
        out["capex_saved_usd"] = (plan.baseline_fleet - fleet) * w["unit_cost_usd"]
    return out


_OUTCOMES: dict[str, tuple[str, str]] = {
    "cost_total_usd": ("total cost of the plan", "USD"),
    "cost_net_usd": ("total cost less the value of the deployed fleet's paid work", "USD"),
    "years": ("time until all the data is in", "years"),
    "success_rate": ("predicted success rate on unseen tasks", "fraction"),
    "effective_hours": ("transfer-weighted hours of robot experience", "real-robot hours"),
    "effective_tokens": ("transfer-weighted tokens", "real-token equivalents"),
    "coverage": ("effective tokens / compute-optimal token target", "ratio"),
    "effective_environments": (
        "effective number of distinct environments in the data (inverse Simpson over effective hours)",
        "count",
    ),
    "hardware_retention": ("mean value robot data keeps across hardware generations", "fraction"),
    "collection_years": ("time the fleet spends collecting", "years"),
    "robot_years": ("robot-years of collection, real plus simulated equivalents", "robot-years"),
    "robot_years_real": ("robot-years of real collection", "robot-years"),
    "robot_years_sim": ("robot-year equivalents of simulation", "robot-years"),
    "robots_needed": ("robots needed to finish by the deadline", "robots"),
    "fleet_size": ("active robots collecting data", "robots"),
    "token_target": ("compute-optimal token target of the model", "tokens"),
    "tokens_needed": ("raw tokens to collect, all pathways", "tokens"),
    "tokens_real": ("real tokens to collect", "tokens"),
    "tokens_sim": ("simulated tokens to generate", "tokens"),
    "tokens_video": ("human-video tokens to acquire", "tokens"),
    "tokens_world_model": ("world-model tokens to generate", "tokens"),
    "hours_real": ("hours of real robot data", "h"),
    "hours_sim": ("hours of simulated data", "h"),
    "hours_video": ("hours of human video", "h"),
    "hours_world_model": ("hours of world-model data", "h"),
    "tokens_per_robot_year": ("real tokens one robot collects per year", "tokens/robot-year"),
    "collection_hours_per_year": ("hours of robot data the fleet collects per year", "h/year"),
    "opex_usd_per_year": ("yearly operating cost", "USD/year"),
    "deployment_value_usd": ("value of the deployed fleet's paid work over the plan", "USD"),
    "capex_saved_usd": (
        "robot purchases avoided against the baseline fleet, before backups",
        "USD",
    ),
}
"""Scalar outcomes, in report order -> (meaning, unit); ``cost`` (by component) is the one
vector outcome."""

HIGHER_IS_BETTER = frozenset({
    "success_rate", "effective_hours", "effective_tokens", "coverage", "effective_environments",
    "hardware_retention", "tokens_per_robot_year", "deployment_value_usd",
    "capex_saved_usd",
})  # fmt: skip
"""Outcomes where more is better (success, data value, money earned or saved); for every other
outcome (costs, years, robot-years, tokens and robots needed) less is better. The one source of
which tail of an outcome is its bad tail (:func:`higher_is_better`)."""


def higher_is_better(name: str) -> bool:
    """Whether more of outcome ``name`` is better, so its bad tail is the low one."""
    return name in HIGHER_IS_BETTER


OUTCOME_UNITS: dict[str, str] = {name: unit for name, (_, unit) in _OUTCOMES.items()}
OUTCOMES: dict[str, str] = {name: f"{text} [{unit}]" for name, (text, unit) in _OUTCOMES.items()}
"""Outcome -> "meaning [unit]", the text shown beside it."""


def unit(name: str) -> str:
    """The unit of a world parameter, outcome or cost component (``""`` for other names)."""
    if name.startswith("cost_") and name not in OUTCOME_UNITS:
        return "USD"
    for table in (WORLD_UNITS, OUTCOME_UNITS, DERIVED_UNITS):
        if name in table:
            return table[name]
    return ""


def description(name: str) -> str | None:
    """Meaning and unit of a world parameter or outcome (``None`` for other names)."""
    if name == "cost":
        return "cost by component [USD]"
    return WORLD_PARAMETERS.get(name) or OUTCOMES.get(name)
