"""The outcome equations: one set, used by point mode, the PyMC model and NumPy sweeps alike.

Every function here is plain arithmetic on its arguments, so it works unchanged on Python floats,
NumPy arrays (point mode, sweeps over posterior draws) and PyTensor tensors (the PyMC model's
Deterministics). Plan choices (fleet given or solved, where simulation runs) are Python branches
on plan constants, never on random quantities.

The arithmetic is seed 004's (see ``DESIGN.md`` section 2), generalised so that every seed number is
one assumption away from being uncertain:

* token target ``T = tokens_per_parameter * model_params`` (Chinchilla, ``T ≈ 20 P``);
* tokens per robot-year ``= control_rate_hz * tokens_per_step * 3600 * useful_hours_per_day *
  operating_days_per_year``;
* a simulated token is worth ``sim_transfer`` real tokens, so a plan with real share ``s`` needs
  ``T / (s + (1 - s) * sim_transfer)`` raw tokens (the seed assumes ``sim_transfer = 1``);
* simulation yields ``sim_speedup`` times the tokens of a real robot-year per robot-year equivalent;
* cost = CAPEX (fleet and backups) + years x yearly opex (maintenance, people, facilities, on-robot
  compute, storage) + simulation compute per simulated token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

SECONDS_PER_HOUR = 3600.0
FTE_HOURS_PER_YEAR = 2000.0
"""Paid hours of one full-time operator per year (a convention, not an uncertain quantity)."""

WORLD_PARAMETERS: dict[str, str] = {
    "tokens_per_parameter": "training tokens per model parameter for compute-optimal training",
    "control_rate_hz": "policy control rate, steps per second [Hz]",
    "tokens_per_step": "predictive tokens per control step [tokens/step]",
    "useful_hours_per_day": "useful data-collection hours per robot per operating day [h/day]",
    "operating_days_per_year": "operating days per robot per year [days/year]",
    "sim_transfer": "value of one simulated token in real-token equivalents [real tokens/sim token]",
    "sim_speedup": "simulated tokens per robot-year equivalent / real tokens per robot-year [ratio]",
    "unit_cost_usd": "purchase cost of one robot [USD/robot]",
    "backup_share": "spare robots bought per active robot [fraction]",
    "maintenance_share": "yearly maintenance as a share of CAPEX [fraction/year]",
    "operators_per_robot": "supervising operators per active robot [FTE/robot]",
    "operator_wage_usd_per_hour": "fully loaded operator cost [USD/h]",
    "staff_overhead": "total people cost / operator cost (engineers, safety, management) [ratio]",
    "facilities_usd_per_robot_year": "facilities, safety and compliance [USD/robot-year]",
    "compute_usd_per_robot_year": "on-robot compute [USD/robot-year]",
    "storage_usd_per_data_hour": "storing one hour of collected robot data [USD/h of data]",
    "sim_compute_usd_per_token": "compute cost of one simulated token [USD/token]",
    "cross_embodiment_transfer": "value of another robot's token for this robot [real tokens/token]",
    "data_exponent_mean": "population mean of the data-scaling exponent (error odds ~ D^-alpha)",
    "data_exponent_sd": "between-study sd of the data-scaling exponent",
    "diversity_exponent_mean": "population mean of the diversity exponent (environments, objects)",
    "diversity_exponent_sd": "between-study sd of the diversity exponent",
}
"""Every world parameter, with its meaning and unit: those the cost and timeline need, the transfer
values of other data, and the scaling-exponent populations that published curves inform."""

COST_COMPONENTS: tuple[str, ...] = (
    "capex",
    "maintenance",
    "people",
    "facilities",
    "compute",
    "storage",
    "sim_compute",
)
"""Cost breakdown, in the order reports show it (all USD over the whole plan)."""

DATA_SOURCES: tuple[str, ...] = ("real", "sim")


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
    real_share : float
        Share of raw tokens that are real robot data (1.0 = real only; 0.2 = the seed's 1:4).
    sim_generation : {"on_fleet", "separate"}
        ``"on_fleet"``: simulated robot-year equivalents take fleet time (the seed's 1.2-year figure);
        ``"separate"``: simulation runs on other compute and only real data sets the timeline
        (the seed's 1,010-robot figure).
    deadline_years, budget_usd : float or None
        The deadline and budget that risk outputs are measured against.
    baseline_fleet : float or None
        A reference fleet for the "robot purchases avoided" outcome (the seed's $400M).
    """

    model_params: float | None = 55e9
    token_target: float | None = None
    fleet_size: float | None = 5000.0
    real_share: float = 1.0
    sim_generation: Literal["on_fleet", "separate"] = "on_fleet"
    deadline_years: float | None = None
    budget_usd: float | None = None
    baseline_fleet: float | None = None

    @property
    def solves_fleet(self) -> bool:
        return self.fleet_size is None


def token_target(w: Mapping[str, Any], plan: Plan):
    """Compute-optimal token target [tokens]."""
    if plan.token_target is not None:
        return plan.token_target
    return w["tokens_per_parameter"] * plan.model_params


def tokens_per_robot_year(w: Mapping[str, Any]):
    """Real predictive tokens one robot collects in a year [tokens/robot-year]."""
    return (
        w["control_rate_hz"]
        * w["tokens_per_step"]
        * SECONDS_PER_HOUR
        * w["useful_hours_per_day"]
        * w["operating_days_per_year"]
    )


def data_hours_per_robot_year(w: Mapping[str, Any]):
    """Hours of data one robot collects in a year [h/robot-year]."""
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
}
"""Plan-free derived world quantities that an evidence record may measure (besides parameters)."""


def world_quantity(name: str, w: Mapping[str, Any]):
    """A world parameter or a plan-free derived quantity, by name."""
    return MEASURABLE_DERIVED[name](w) if name in MEASURABLE_DERIVED else w[name]


def outcomes(w: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
    """All outcomes of a plan given world parameters ``w``.

    Returns a dict of named quantities (units in :data:`OUTCOMES`); cost components are returned
    as ``cost_<component>`` and their sum as ``cost_total_usd``. A quantity fixed by the plan
    (the fleet of a fixed-fleet plan, say) comes back as a plain float; callers broadcast.
    """
    target = token_target(w, plan)
    per_robot_year = tokens_per_robot_year(w)
    value_per_raw_token = plan.real_share + (1.0 - plan.real_share) * w["sim_transfer"]
    tokens_needed = target / value_per_raw_token
    real_tokens = plan.real_share * tokens_needed
    sim_tokens = (1.0 - plan.real_share) * tokens_needed
    real_robot_years = real_tokens / per_robot_year
    sim_robot_years = sim_tokens / (w["sim_speedup"] * per_robot_year)
    fleet_robot_years = real_robot_years
    if plan.sim_generation == "on_fleet":
        fleet_robot_years = fleet_robot_years + sim_robot_years

    if plan.solves_fleet:
        fleet = fleet_robot_years / plan.deadline_years
        years = plan.deadline_years
    else:
        fleet = plan.fleet_size
        years = fleet_robot_years / plan.fleet_size
    deadline = plan.deadline_years
    robots_needed = fleet_robot_years / deadline if deadline is not None else fleet

    capex = w["unit_cost_usd"] * fleet * (1.0 + w["backup_share"])
    yearly = {
        "maintenance": w["maintenance_share"] * capex,
        "people": fleet * people_usd_per_robot_year(w),
        "facilities": fleet * w["facilities_usd_per_robot_year"],
        "compute": fleet * w["compute_usd_per_robot_year"],
        "storage": fleet * data_hours_per_robot_year(w) * w["storage_usd_per_data_hour"],
    }
    cost = {"capex": capex, **{k: v * years for k, v in yearly.items()}}
    cost["sim_compute"] = sim_tokens * w["sim_compute_usd_per_token"]
    cost_total = sum(cost[c] for c in COST_COMPONENTS)

    out = {
        "token_target": target,
        "tokens_needed": tokens_needed,
        "tokens_real": real_tokens,
        "tokens_sim": sim_tokens,
        "tokens_per_robot_year": per_robot_year,
        "robot_years_real": real_robot_years,
        "robot_years_sim": sim_robot_years,
        "robot_years": real_robot_years + sim_robot_years,
        "fleet_size": fleet,
        "years": years,
        "robots_needed": robots_needed,
        "collection_hours_per_year": fleet * data_hours_per_robot_year(w),
        "opex_usd_per_year": sum(yearly.values()),
        "cost_total_usd": cost_total,
        **{f"cost_{k}": v for k, v in cost.items()},
    }
    if plan.baseline_fleet is not None:
        out["capex_saved_usd"] = (plan.baseline_fleet - fleet) * w["unit_cost_usd"]
    return out


OUTCOMES: dict[str, str] = {
    "cost_total_usd": "total cost of the plan [USD]",
    "years": "time to collect the data [years]",
    "robot_years": "robot-years of collection, real plus simulated equivalents [robot-years]",
    "robot_years_real": "robot-years of real collection [robot-years]",
    "robot_years_sim": "robot-year equivalents of simulation [robot-years]",
    "robots_needed": "robots needed to finish by the deadline [robots]",
    "fleet_size": "active robots collecting data [robots]",
    "token_target": "effective tokens the model needs [tokens]",
    "tokens_needed": "raw tokens to collect, real plus simulated [tokens]",
    "tokens_real": "real tokens to collect [tokens]",
    "tokens_sim": "simulated tokens to generate [tokens]",
    "tokens_per_robot_year": "real tokens one robot collects per year [tokens/robot-year]",
    "collection_hours_per_year": "hours of robot data the fleet collects per year [h/year]",
    "opex_usd_per_year": "yearly operating cost [USD/year]",
    "capex_saved_usd": "robot purchases avoided against the baseline fleet, before backups [USD]",
}
"""Scalar outcomes, in report order, with meaning and unit; ``cost`` (by component) is the one
vector outcome."""


def description(name: str) -> str | None:
    """Meaning and unit of a world parameter or outcome (``None`` for other names)."""
    if name == "cost":
        return "cost by component [USD]"
    return WORLD_PARAMETERS.get(name) or OUTCOMES.get(name)
