"""Scenario specs: a plan (decision variables) plus any overrides of the world priors.

A scenario file in ``priors/scenarios/NAME.toml``::

    title = "Seed 004, co-training 1:4 real:sim, 5,000 robots"
    description = "..."

    [plan]
    model_params = 55e9        # or token_target = 2e12
    fleet_size = 5000          # or "solve" to size the fleet for deadline_years
    real_share = 0.2           # video_share, world_model_share; simulation takes the rest
    sim_generation = "on_fleet"
    data_goal = "raw_tokens"   # or "effective_tokens"; or collection_years = 3 (fixed time)
    sites = 100                # distinct real environments
    deadline_years = 5
    budget_usd = 2e9
    performance_target = 0.8   # success rate on unseen tasks

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

from probmodel.equations import (
    DATA_GOALS,
    PLAN_VARIABLES,
    REFERENCE_ENVIRONMENTS,
    ROBOT_CLASSES,
    WORLD_PARAMETERS,
    Plan,
)
from probmodel.errors import MISSING, ProblemCollector, did_you_mean
from probmodel.specs.priors import PriorSpec, merge_override, parse_prior

SCENARIO_KEYS = {"title", "description", "source", "plan", "priors", "evidence"}
SHARE_KEYS = {"real_share": 1.0, "video_share": 0.0, "world_model_share": 0.0}
PLAN_KEYS = set(PLAN_VARIABLES)
SIM_GENERATION = ("on_fleet", "separate")


@dataclass(frozen=True, repr=False)
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

    def __repr__(self) -> str:
        """One line: name, title, the plan variables that differ from their defaults, priors
        and file (the full priors are ``scenario.priors``)."""
        fixed = sum(1 for spec in self.priors.values() if spec.is_fixed)
        parts = [
            f"{self.title!r}",
            "plan " + (", ".join(self._plan_items()) or "at defaults"),
            f"{len(self.priors)} priors ({fixed} fixed"
            + (f", {len(self.overrides)} overridden" if self.overrides else "")
            + ")",
        ]
        if self.evidence_exclude:
            parts.append(f"excludes {', '.join(self.evidence_exclude)}")
        parts.append(f"file {self.file}" if self.file else "no file")
        return f"<Scenario {self.name!r}: {'; '.join(parts)}>"

    def _plan_items(self) -> list[str]:
        """``name = value unit`` for every plan variable that differs from its default."""
        from dataclasses import fields

        from probmodel.formatting import fmt_number, fmt_usd

        items = []
        for f in fields(self.plan):
            value = getattr(self.plan, f.name)
            if value == f.default:
                continue
            var = PLAN_VARIABLES[f.name]
            if value is None:
                text = var.when_none
            elif var.unit == "USD":
                text = fmt_usd(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                text = fmt_number(value, var.unit if var.unit != "fraction" else "")
            else:
                text = str(value)
            items.append(f"{f.name} = {text}")
        return items

    def _repr_html_(self) -> str:
        """A small table for notebooks: the plan as set, the priors overridden, the file."""
        import html

        e = html.escape
        rows = [("title", self.title), *(tuple(i.split(" = ", 1)) for i in self._plan_items())]
        if self.overrides:
            rows.append(("prior overrides", ", ".join(sorted(self.overrides))))
        if self.evidence_exclude:
            rows.append(("evidence excluded", ", ".join(self.evidence_exclude)))
        rows.append(("file", self.file or "none"))
        body = "".join(
            f"<tr><th style='text-align:left'>{e(k)}</th><td style='text-align:left'>{e(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>Scenario {e(self.name)}</caption><tbody>{body}</tbody></table>"

    def point_values(self) -> dict[str, float]:
        """Every world parameter at its point value."""
        return {name: spec.point for name, spec in self.priors.items()}

    def fixed_values(self) -> dict[str, float]:
        """World parameters held fixed (not sampled), at their fixed values."""
        return {name: float(spec.point) for name, spec in self.priors.items() if spec.is_fixed}

    @classmethod
    def from_record(cls, record: dict[str, Any], priors: dict[str, PriorSpec]) -> Scenario:
        """The scenario :meth:`as_record` described, with its resolved ``priors`` (a saved run's
        scenario, typed again)."""
        return cls(
            name=record["name"],
            title=record["title"],
            plan=Plan(**record["plan"]),
            priors=priors,
            description=record.get("description", ""),
            source=record.get("source", ""),
            evidence_exclude=tuple(record.get("evidence_exclude", ())),
            overrides=dict(record.get("overrides", {})),
        )

    def with_plan(self, **changes) -> Scenario:
        """A copy with some plan variables changed (validated like a file's)."""
        problems = ProblemCollector(f"{self.name} (with_plan)")
        table = {k: v for k, v in vars(self.plan).items() if v is not None}
        if self.plan.fleet_size is None:
            table["fleet_size"] = "solve"
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

    def as_table(self) -> dict[str, Any]:
        """The scenario as a scenario file's table (the inverse of :func:`parse_scenario`):
        plan variables that are set (a solved fleet as ``"solve"``), the prior overrides and
        the excluded evidence. Written with :func:`probmodel.io.toml_text`, it reads back as
        this scenario."""
        plan = {k: v for k, v in vars(self.plan).items() if v is not None}
        if self.plan.fleet_size is None:
            plan["fleet_size"] = "solve"
        table: dict[str, Any] = {"title": self.title}
        if self.description:
            table["description"] = self.description
        if self.source:
            table["source"] = self.source
        table["plan"] = plan
        if self.overrides:
            table["priors"] = {k: dict(v) for k, v in self.overrides.items()}
        if self.evidence_exclude:
            table["evidence"] = {"exclude": list(self.evidence_exclude)}
        return table

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

    def number(key, default=None, low=0.0, high=math.inf, closed_low=False, what="a number"):
        value = table.get(key, MISSING)
        if value is MISSING:
            return default
        ok = _num(value) and (value >= low if closed_low else value > low) and value <= high
        if not ok:
            problems.add(f"plan.{key}", value, f"must be {what}.")
            return default
        return float(value)

    def positive(key):
        return number(key, what="a positive number")

    if ("model_params" in table) == ("token_target" in table):
        problems.add(
            "plan.model_params",
            MISSING,
            "give exactly one of `model_params` (token target = tokens_per_parameter x params) "
            "or `token_target` (a fixed number of tokens).",
        )
    model_params, token_target = positive("model_params"), positive("token_target")
    deadline = positive("deadline_years")
    collection_years = positive("collection_years")
    fleet_raw = table.get("fleet_size", MISSING)
    fleet = None
    if fleet_raw == "solve":
        if deadline is None:
            problems.add("plan.fleet_size", "solve", "solving the fleet needs plan.deadline_years.")
        if collection_years is not None:
            problems.add(
                "plan.fleet_size", "solve", "a plan with collection_years needs a fleet size."
            )
    elif fleet_raw is MISSING or not _num(fleet_raw) or fleet_raw <= 0:
        problems.add(
            "plan.fleet_size",
            fleet_raw,
            'required: a positive number of robots, or "solve" to size the fleet for deadline_years.',
        )
    else:
        fleet = float(fleet_raw)

    shares = {}
    for key, default in SHARE_KEYS.items():
        shares[key] = number(
            key, default, low=0.0, high=1.0, closed_low=True, what="a share of raw tokens in [0, 1]"
        )
    total = sum(shares.values())
    if total > 1.0 + 1e-9:
        problems.add(
            "plan.real_share",
            shares["real_share"],
            f"real_share + video_share + world_model_share = {total:g}: the shares must add up "
            "to at most 1 (simulation takes the rest).",
        )
    sim_generation = _choice(table, "sim_generation", SIM_GENERATION, problems)
    data_goal = _choice(table, "data_goal", DATA_GOALS, problems)
    sim_share = max(1.0 - total, 0.0)
    uses_fleet = shares["real_share"] > 0 or (sim_generation == "on_fleet" and sim_share > 0)
    if collection_years is not None and not uses_fleet:
        problems.add(
            "plan.collection_years",
            collection_years,
            "a fixed collection time needs the fleet to collect something: real_share > 0, "
            'or simulation with sim_generation = "on_fleet".',
        )
    sites = number("sites", REFERENCE_ENVIRONMENTS, low=1.0, closed_low=True, what="a count >= 1")
    embodiments = number("embodiments", 1.0, low=1.0, closed_low=True, what="a count >= 1")
    pooled = number("pooled_hours", 0.0, closed_low=True, what="hours >= 0")
    deployed = table.get("deployed", False)
    if not isinstance(deployed, bool):
        problems.add("plan.deployed", deployed, "must be true or false.")
        deployed = False
    work_hours = number("work_hours_per_day", high=24.0, what="hours in (0, 24]")
    if deployed and work_hours is None and "work_hours_per_day" not in table:
        problems.add(
            "plan.work_hours_per_day", MISSING, "a deployed fleet needs its paid working hours."
        )
    if not deployed and "work_hours_per_day" in table:
        problems.add(
            "plan.work_hours_per_day",
            table["work_hours_per_day"],
            "only a deployed fleet (deployed = true) has paid working hours.",
        )
    target = number("performance_target", high=1.0, what="a success rate in (0, 1]")
    robot_class = table.get("robot_class", "humanoid")
    if robot_class not in ROBOT_CLASSES:
        problems.add("plan.robot_class", robot_class,
                     f"Allowed: {', '.join(ROBOT_CLASSES)}.{did_you_mean(str(robot_class), ROBOT_CLASSES)}")  # fmt: skip
    budget, baseline = positive("budget_usd"), positive("baseline_fleet")
    if len(problems.problems) > n_before:
        return None
    return Plan(
        model_params=model_params,
        token_target=token_target,
        fleet_size=fleet,
        real_share=shares["real_share"],
        video_share=shares["video_share"],
        world_model_share=shares["world_model_share"],
        sim_generation=sim_generation,
        data_goal=data_goal,
        collection_years=collection_years,
        sites=sites,
        embodiments=embodiments,
        pooled_hours=pooled,
        deployed=deployed,
        work_hours_per_day=work_hours,
        deadline_years=deadline,
        budget_usd=budget,
        performance_target=target,
        robot_class=robot_class,
        baseline_fleet=baseline,
    )


def _choice(table, key: str, allowed: tuple[str, ...], problems: ProblemCollector) -> str:
    value = table.get(key, allowed[0])
    if value not in allowed:
        problems.add(
            f"plan.{key}",
            value,
            f"Allowed: {', '.join(allowed)}.{did_you_mean(str(value), allowed)}",
        )
        return allowed[0]
    return value


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
