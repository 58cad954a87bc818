"""``measurement``: a published value of one model quantity (a price, a wage, a rate).

Keys: ``quantity`` (a world parameter or plan-free derived quantity), ``value`` with ``sd`` or a
90% ``interval`` (``mass`` for another), ``scale`` (``linear`` or ``log``: sd of the natural log).

A measurement can be a **bound**: ``bound = "lower"`` says the quantity is at least ``value``
(the likelihood is the probability that a measurement with this sd would fall below the
quantity: a censored Normal), ``"upper"`` at most.

**Prices by robot class.** A record measuring ``unit_cost_usd`` names the ``robot_class`` it
prices. It measures the fleet's unit cost only when the plan's fleet is of that class; for a fleet
of another class it enters through the relation the record states in ``other_classes``
(``"lower-bound"``, ``"upper-bound"``, or ``"none"``: not used), never as a direct measurement.

Likelihood: ``observed ~ Normal(quantity, sd * widening)`` on the record's scale (censored for a
bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from probmodel.equations import ROBOT_CLASSES
from probmodel.errors import MISSING, did_you_mean
from probmodel.evidence.base import SCALES, Z90, Record, one_of, value_and_sd

KIND = "measurement"
KEYS = {"quantity", "value", "sd", "interval", "mass", "scale", "bound", "robot_class",
        "other_classes"}  # fmt: skip
VARS = (("evidence_measurement", "measurement"),)
BOUNDS = ("lower", "upper")
PRICED = "unit_cost_usd"
OTHER_CLASS_RELATIONS = ("lower-bound", "upper-bound", "none")


@dataclass(frozen=True, kw_only=True)
class Measurement(Record):
    """A published value of one model quantity (``scale = "log"``: sd of the natural log)."""

    quantity: str
    value: float
    sd: float
    scale: str = "linear"
    bound: str = ""
    robot_class: str = ""
    other_classes: str = "none"

    @property
    def sd_used(self) -> float:
        return self.sd * self.widening

    @property
    def observed(self) -> float:
        return math.log(self.value) if self.scale == "log" else self.value

    def interval90(self) -> tuple[float, float]:
        """The 90% interval this record implies after widening, in the quantity's unit."""
        half = Z90 * self.sd_used
        if self.scale == "log":
            return math.exp(self.observed - half), math.exp(self.observed + half)
        return self.value - half, self.value + half

    def for_fleet(self, fleet_class: str) -> Measurement | None:
        """This record as it applies to a fleet of ``fleet_class``: itself for its own class (or
        a quantity that is not a price), a bound for another class, or ``None``."""
        if self.quantity != PRICED or self.robot_class == fleet_class:
            return self
        if self.other_classes == "none":
            return None
        return replace(self, bound=self.other_classes.removesuffix("-bound"))

    def constrains(self) -> list[str]:
        from probmodel.equations import DERIVED_INPUTS

        return list(DERIVED_INPUTS.get(self.quantity, (self.quantity,)))

    def says(self) -> str:
        lo, hi = self.interval90()
        what = {"lower": "at least", "upper": "at most"}.get(self.bound, "")
        cls = f" for a {self.robot_class} robot" if self.robot_class else ""
        if what:
            return f"{self.quantity}{cls} is {what} {self.value:.4g}"
        return f"{self.quantity}{cls} = {self.value:.4g} (90% after widening: {lo:.4g} to {hi:.4g})"

    def _details(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity, "value": self.value, "sd": self.sd,
            "sd_used": self.sd_used, "scale": self.scale, "bound": self.bound,
            "robot_class": self.robot_class, "other_classes": self.other_classes,
            "interval90": list(self.interval90()),
        }  # fmt: skip


def parse(table, ctx, problems) -> dict | None:
    quantity = table.get("quantity", MISSING)
    if not one_of(quantity, ctx.quantities):
        hint = did_you_mean(str(quantity), ctx.quantities) if isinstance(quantity, str) else ""
        problems.add("quantity", quantity,
                     f"not a model quantity.{hint} Allowed: {', '.join(sorted(ctx.quantities))}.")  # fmt: skip
        return None
    scale = table.get("scale", "linear")
    if not one_of(scale, SCALES):
        problems.add("scale", scale, f"Allowed: {', '.join(SCALES)}.")
        return None
    bound = table.get("bound", "")
    if bound != "" and not one_of(bound, BOUNDS):
        problems.add("bound", bound, f"Allowed: {', '.join(BOUNDS)} (or leave it out).")
        return None
    robot_class = table.get("robot_class", "")
    other = table.get("other_classes", "none")
    ok = True
    if quantity == PRICED:
        if not one_of(robot_class, ROBOT_CLASSES):
            problems.add("robot_class", robot_class if robot_class else MISSING,
                         f"a price must say which class of robot it prices. Allowed: "
                         f"{', '.join(ROBOT_CLASSES)}.")  # fmt: skip
            ok = False
        if not one_of(other, OTHER_CLASS_RELATIONS):
            problems.add("other_classes", other, "how this price informs a fleet of another "
                         f"class. Allowed: {', '.join(OTHER_CLASS_RELATIONS)}.")  # fmt: skip
            ok = False
    elif "robot_class" in table or "other_classes" in table:
        problems.add("robot_class", robot_class, f"only a price ({PRICED}) has a robot class.")
        ok = False
    value, sd = value_and_sd(table, scale, problems)
    if value is None or not ok:
        return None
    return {"quantity": quantity, "value": value, "sd": sd, "scale": scale, "bound": bound,
            "robot_class": robot_class, "other_classes": other}  # fmt: skip


def needs(record) -> list:
    return []


def observations(world, records: list[Measurement], latents, free) -> list:
    from probmodel.equations import _namespace, world_quantity
    from probmodel.evidence.observe import Observation, stack

    if not records:
        return []
    mus = []
    for r in records:
        q = world_quantity(r.quantity, world)
        mus.append(_namespace(q).log(q) if r.scale == "log" else q)
    params = {"mu": stack(mus), "sigma": np.array([r.sd_used for r in records])}
    obs = np.array([r.observed for r in records])
    name, dim = VARS[0]
    labels = tuple(r.id for r in records)
    if not any(r.bound for r in records):
        return [Observation(name, dim, labels, "normal", obs, params)]
    # Right-censored at the value for a lower bound (the quantity lies above), left for an upper.
    params["lower"] = np.array([r.observed if r.bound == "upper" else -np.inf for r in records])
    params["upper"] = np.array([r.observed if r.bound == "lower" else np.inf for r in records])
    return [Observation(name, dim, labels, "censored_normal", obs, params)]
