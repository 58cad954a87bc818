"""``meta``: a meta-analytic summary of a scaling exponent across studies.

Keys: ``axis`` (``data`` or ``diversity``), ``exponent`` (published sign: negative means error
falls with more) with ``se`` or a ``ci95``, optionally ``between_study_sd`` with its
``between_study_sd_se``, and ``subgroup``: ``"all"`` (default) or ``"unseen-tasks"``.

Likelihood: ``-exponent ~ Normal(population mean, se * widening)`` (and the between-study sd
likewise). An ``unseen-tasks`` subgroup informs the population mean times
``unseen_task_exponent_ratio``: how much more slowly success on tasks a policy never trained on
improves with data (Sartor & Thompson: -0.155 unseen against -0.276 over all studies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from probmodel.errors import MISSING
from probmodel.evidence.base import Z95, Record, axis, num, value_and_sd

KIND = "meta"
KEYS = {"axis", "exponent", "se", "ci95", "between_study_sd", "between_study_sd_se", "subgroup"}
VARS = (("evidence_meta", "meta_statistic"),)
SUBGROUPS = ("all", "unseen-tasks")


@dataclass(frozen=True, kw_only=True)
class Meta(Record):
    """A meta-analytic population exponent (published sign: negative for improvement)."""

    axis: str
    exponent: float
    se: float
    between_study_sd: float | None = None
    between_study_sd_se: float | None = None
    subgroup: str = "all"

    @property
    def alpha(self) -> float:
        """The exponent as the model's positive decay rate (``-exponent``)."""
        return -self.exponent

    def constrains(self) -> list[str]:
        names = [f"{self.axis}_exponent_mean"]
        if self.subgroup == "unseen-tasks":
            names.append("unseen_task_exponent_ratio")
        if self.between_study_sd is not None:
            names.append(f"{self.axis}_exponent_sd")
        return names

    def says(self) -> str:
        spread = (f"; between-study sd {self.between_study_sd:g} (se {self.between_study_sd_se:g})"
                  if self.between_study_sd is not None else "")  # fmt: skip
        group = "" if self.subgroup == "all" else f", {self.subgroup} studies"
        return (f"mean {self.axis} exponent {self.exponent:g} (se {self.se:.3g}{group})"
                f"{spread}")

    def _details(self) -> dict[str, Any]:
        return {
            "axis": self.axis, "exponent": self.exponent, "se": self.se,
            "se_used": self.se * self.widening, "subgroup": self.subgroup,
            "between_study_sd": self.between_study_sd,
            "between_study_sd_se": self.between_study_sd_se,
        }  # fmt: skip


def parse(table, ctx, problems) -> dict | None:
    ax = axis(table, problems)
    if "ci95" in table:
        exponent, se = _ci95(table, problems)
    else:
        exponent, se = value_and_sd(table, "linear", problems, value_key="exponent", sd_key="se",
                                    interval_key="ci95")  # fmt: skip
    subgroup = table.get("subgroup", "all")
    if subgroup not in SUBGROUPS:
        problems.add("subgroup", subgroup, f"Allowed: {', '.join(SUBGROUPS)}.")
        return None
    if subgroup != "all" and ax != "data":
        problems.add("subgroup", subgroup, "only the data axis has an unseen-task subgroup.")
        return None
    spread = table.get("between_study_sd", MISSING)
    spread_se = table.get("between_study_sd_se", MISSING)
    if (spread is MISSING) != (spread_se is MISSING):
        problems.add("between_study_sd", spread,
                     "give both between_study_sd and between_study_sd_se, or neither.")  # fmt: skip
        return None
    if spread is not MISSING and not (num(spread) and spread > 0):
        problems.add("between_study_sd", spread, "must be a number > 0.")
        return None
    if spread is not MISSING and not (num(spread_se) and spread_se > 0):
        problems.add("between_study_sd_se", spread_se, "must be a number > 0.")
        return None
    if ax is None or exponent is None:
        return None
    return {
        "axis": ax, "exponent": exponent, "se": se, "subgroup": subgroup,
        "between_study_sd": None if spread is MISSING else float(spread),
        "between_study_sd_se": None if spread_se is MISSING else float(spread_se),
    }  # fmt: skip


def _ci95(table, problems):
    ci = table["ci95"]
    if not isinstance(ci, list) or len(ci) != 2 or not all(map(num, ci)) or not ci[0] < ci[1]:
        problems.add("ci95", ci, "must be two numbers [lower, upper] with lower < upper.")
        return None, None
    exponent = table.get("exponent", (ci[0] + ci[1]) / 2)
    if not num(exponent) or not ci[0] <= exponent <= ci[1]:
        problems.add("exponent", exponent, f"must be a number inside ci95 {ci}.")
        return None, None
    if "se" in table:
        problems.add("se", table["se"], "give either se or ci95, not both.")
        return None, None
    return float(exponent), (ci[1] - ci[0]) / (2 * Z95)


def needs(record) -> list:
    return []


def observations(world, records: list[Meta], latents, free) -> list:
    from probmodel.evidence.observe import Observation, stack

    if not records:
        return []
    mus, sds, obs, labels = [], [], [], []
    for r in records:
        mean = world[f"{r.axis}_exponent_mean"]
        if r.subgroup == "unseen-tasks":
            mean = mean * world["unseen_task_exponent_ratio"]
        mus.append(mean)
        sds.append(r.se * r.widening)
        obs.append(r.alpha)
        labels.append(f"{r.id}:mean")
        if r.between_study_sd is not None:
            mus.append(world[f"{r.axis}_exponent_sd"])
            sds.append(r.between_study_sd_se * r.widening)
            obs.append(r.between_study_sd)
            labels.append(f"{r.id}:between_study_sd")
    name, dim = VARS[0]
    return [Observation(name, dim, tuple(labels), "normal", np.array(obs),
                        {"mu": stack(mus), "sigma": np.array(sds)})]  # fmt: skip
