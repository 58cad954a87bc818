"""Scenario specs: a plan (decision variables) plus any overrides of the world priors.

A scenario file in ``priors/scenarios/NAME.toml``::

    title = "Seed 004, co-training 1:4 real:sim, 5,000 robots"
    description = "..."

    [plan]
    model_params = 55e9        # or token_target = 2e12
    fleet_size = 5000          # or "solve" to size the fleet for deadline_years
    real_share = 0.2
    sim_generation = "on_fleet"
    deadline_years = 5
    budget_usd = 2e9

    [priors.operating_days_per_year]   # optional overrides, merged into the world prior
    distribution = "Fixed"
    point = 365

    [evidence]
    exclude = ["gen0-collection-rate"]  # optional
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from probmodel.equations import WORLD_PARAMETERS, Plan
from probmodel.errors import MISSING, ProblemCollector, did_you_mean
from probmodel.specs.priors import PriorSpec, merge_override, parse_prior

SCENARIO_KEYS = {"title", "description", "source", "plan", "priors", "evidence"}
PLAN_KEYS = {
    "model_params", "token_target", "fleet_size", "real_share", "sim_generation",
    "deadline_years", "budget_usd", "baseline_fleet",
}  # fmt: skip
SIM_GENERATION = ("on_fleet", "separate")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: plan, the priors it uses (world priors with overrides) and metadata."""

    name: str
    title: str
    plan: Plan
    priors: dict[str, PriorSpec]
    description: str = ""
    source: str = ""
    evidence_exclude: tuple[str, ...] = ()
    overrides: dict[str, Any] = field(default_factory=dict)
    file: str = ""

    def point_values(self) -> dict[str, float]:
        """Every world parameter at its point value."""
        return {name: spec.point for name, spec in self.priors.items()}

    def with_plan(self, **changes) -> Scenario:
        """A copy with some plan variables changed (validated like a file's)."""
        problems = ProblemCollector(f"{self.name} (with_plan)")
        table = {k: v for k, v in vars(self.plan).items() if v is not None}
        if "fleet_size" in changes and changes["fleet_size"] is None:
            changes["fleet_size"] = "solve"
        if "token_target" in changes:
            table.pop("model_params", None)
        if "model_params" in changes:
            table.pop("token_target", None)
        table.update(changes)
        plan = parse_plan(table, problems)
        problems.raise_if_any()
        return replace(self, plan=plan)

    def as_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": self.source,
            "plan": {k: v for k, v in vars(self.plan).items()},
            "overrides": self.overrides,
            "evidence_exclude": list(self.evidence_exclude),
        }


def parse_scenario(
    name: str,
    table: dict[str, Any],
    world_tables: dict[str, dict[str, Any]],
    world_priors: dict[str, PriorSpec],
    problems: ProblemCollector,
) -> Scenario | None:
    """Validate a scenario table; overridden priors are merged with ``world_tables`` and parsed
    again, the others are the already validated ``world_priors``."""
    n_before = len(problems.problems)
    problems.unknown_keys(table, SCENARIO_KEYS, "")
    title = table.get("title", MISSING)
    if not isinstance(title, str) or not title.strip():
        problems.add("title", title, "required one-line text.")

    plan_table = table.get("plan", MISSING)
    plan = None
    if not isinstance(plan_table, dict):
        problems.add("plan", plan_table, "required table of plan variables.")
    else:
        plan = parse_plan(plan_table, problems)

    overrides = table.get("priors", {})
    priors: dict[str, PriorSpec] = {}
    if not isinstance(overrides, dict):
        problems.add("priors", overrides, "must be a table of [priors.NAME] overrides.")
        overrides = {}
    for key, value in overrides.items():
        if key not in WORLD_PARAMETERS:
            problems.add(
                f"priors.{key}",
                MISSING,
                f"not a world parameter.{did_you_mean(key, list(WORLD_PARAMETERS))}",
            )
        elif not isinstance(value, dict):
            problems.add(f"priors.{key}", value, "must be a table of prior settings.")
    for pname, base in world_tables.items():
        override = overrides.get(pname)
        if not isinstance(override, dict):
            priors[pname] = world_priors[pname]
            continue
        spec = parse_prior(pname, merge_override(base, override), problems)
        if spec is not None:
            priors[pname] = spec

    exclude: tuple[str, ...] = ()
    ev = table.get("evidence", {})
    if not isinstance(ev, dict):
        problems.add("evidence", ev, 'must be a table, e.g. [evidence] exclude = ["id"].')
    else:
        problems.unknown_keys(ev, {"exclude"}, "evidence")
        raw = ev.get("exclude", [])
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            problems.add("evidence.exclude", raw, "must be a list of evidence ids.")
        else:
            exclude = tuple(raw)

    if len(problems.problems) > n_before or plan is None:
        return None
    return Scenario(
        name=name,
        title=title,
        plan=plan,
        priors=priors,
        description=table.get("description", ""),
        source=table.get("source", ""),
        evidence_exclude=exclude,
        overrides=overrides,
        file=problems.file,
    )


def parse_plan(table: dict[str, Any], problems: ProblemCollector) -> Plan | None:
    """Validate the [plan] table; every plan variable has a stated range."""
    n_before = len(problems.problems)
    problems.unknown_keys(table, PLAN_KEYS, "plan")

    def positive(key, required=False):
        value = table.get(key, MISSING)
        if value is MISSING:
            if required:
                problems.add(f"plan.{key}", MISSING, "required positive number.")
            return None
        if not _num(value) or value <= 0:
            problems.add(f"plan.{key}", value, "must be a positive number.")
            return None
        return float(value)

    if ("model_params" in table) == ("token_target" in table):
        problems.add(
            "plan.model_params",
            MISSING,
            "give exactly one of `model_params` (token target = tokens_per_parameter x params) "
            "or `token_target` (a fixed number of tokens).",
        )
    model_params, token_target = positive("model_params"), positive("token_target")
    deadline = positive("deadline_years")
    fleet_raw = table.get("fleet_size", MISSING)
    fleet = None
    if fleet_raw == "solve":
        if deadline is None:
            problems.add("plan.fleet_size", "solve", "solving the fleet needs plan.deadline_years.")
    elif fleet_raw is MISSING or not _num(fleet_raw) or fleet_raw <= 0:
        problems.add(
            "plan.fleet_size",
            fleet_raw,
            'required: a positive number of robots, or "solve" to size the fleet for deadline_years.',
        )
    else:
        fleet = float(fleet_raw)

    share = table.get("real_share", 1.0)
    if not _num(share) or not 0 < share <= 1:
        problems.add(
            "plan.real_share", share, "must be in (0, 1]: the share of raw tokens that are real."
        )
    sim_generation = table.get("sim_generation", "on_fleet")
    if sim_generation not in SIM_GENERATION:
        problems.add(
            "plan.sim_generation",
            sim_generation,
            f"Allowed: {', '.join(SIM_GENERATION)}.{did_you_mean(str(sim_generation), SIM_GENERATION)}",
        )
    budget, baseline = positive("budget_usd"), positive("baseline_fleet")
    if len(problems.problems) > n_before:
        return None
    return Plan(
        model_params=model_params,
        token_target=token_target,
        fleet_size=fleet,
        real_share=float(share),
        sim_generation=sim_generation,
        deadline_years=deadline,
        budget_usd=budget,
        baseline_fleet=baseline,
    )


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
