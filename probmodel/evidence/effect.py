"""``effect``: success with one data mix against success with another (co-training, pooling).

Keys: ``base`` and ``treatment``, each a data mix in ``unit`` (``{ real = 88 }`` and
``{ real = 88, sim = 6500 }``; pathways ``real``, ``sim``, ``video``, ``world_model``,
``other_robots``); the result as counts on both arms (``base_successes``, ``base_trials``,
``treatment_successes``, ``treatment_trials``) or as ``relative_change`` (0.4 = +40%) with ``sd``
or a 90% ``interval``, plus ``base_success``, a 90% interval of the base arm's success when no
counts give it.

Likelihood, on the performance equation's link (success ``= exp(-H)``): the study's effective
data is ``D = real + sum_p v_p * amount_p`` with ``v_p`` the study's transfer value of pathway
``p`` (a draw from the pathway's population, :mod:`probmodel.evidence.latents`), and
``H_treatment = H_base * (D_treatment / D_base) ** -alpha`` with ``alpha`` the study's data
exponent. The base success is a latent (Beta from ``base_success``, or flat when counts give
it). Counts: (beta-)binomial on both arms; a relative change: Normal on the log success ratio with
sd ``sd * widening``. Records of one ``study`` share its transfer values and exponent, so a
mixing-ratio study (several records at several ratios) identifies the transfer value apart from the
exponent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from probmodel.errors import MISSING
from probmodel.evidence.base import (
    TRANSFER_OF,
    Record,
    Score,
    mix,
    num,
    score,
    text,
    value_and_sd,
)

KIND = "effect"
KEYS = {"base", "treatment", "unit", "base_success", "relative_change", "sd", "interval", "mass",
        "base_successes", "base_trials", "treatment_successes", "treatment_trials"}  # fmt: skip
VARS = (
    ("evidence_effect", "effect_record"),
    ("evidence_effect_counts", "effect_arm"),
    ("evidence_effect_scores", "effect_arm_score"),
)


FRACTION_VARS = ("evidence_effect_scores",)
"""Observed variables with a Beta likelihood (scores in (0, 1)): simulated values are clipped."""


@dataclass(frozen=True, kw_only=True)
class Effect(Record):
    """Success with the ``base`` mix vs the ``treatment`` mix (amounts in ``unit``)."""

    base: dict[str, float]
    treatment: dict[str, float]
    unit: str
    base_success: tuple[float, float] | None = None
    ratio: float | None = None
    log_sd: float | None = None
    arms: tuple[Score, Score] | None = None

    @property
    def pathways(self) -> list[str]:
        return [p for p in TRANSFER_OF if p in self.base or p in self.treatment]

    @property
    def log_sd_used(self) -> float:
        return self.log_sd * self.widening

    def constrains(self) -> list[str]:
        return [n for p in self.pathways for n in (TRANSFER_OF[p], f"{TRANSFER_OF[p]}_sd")] + [
            "data_exponent_mean", "data_exponent_sd"]  # fmt: skip

    def says(self) -> str:
        def fmt(m):
            return " + ".join(f"{v:g} {p}" for p, v in m.items())

        result = (f"{self.arms[0].describe()} -> {self.arms[1].describe()}" if self.arms
                  else f"success x{self.ratio:.2f}")  # fmt: skip
        return f"{fmt(self.base)} -> {fmt(self.treatment)} {self.unit}: {result}"

    def _details(self) -> dict[str, Any]:
        return {
            "base": dict(self.base), "treatment": dict(self.treatment), "unit": self.unit,
            "base_success": list(self.base_success) if self.base_success else None,
            "relative_change": None if self.ratio is None else self.ratio - 1.0,
            "log_sd": self.log_sd,
            "arms": [s.describe() for s in self.arms] if self.arms else None,
            "transfers": [TRANSFER_OF[p] for p in self.pathways],
        }  # fmt: skip


def parse(table, ctx, problems) -> dict | None:
    base = mix(table, "base", problems)
    treatment = mix(table, "treatment", problems)
    unit = text(table, "unit", problems, required=True)
    ok = base is not None and treatment is not None and bool(unit)
    if base is not None and not any(base.values()):
        problems.add("base", table["base"], "the base mix needs some data (> 0).")
        ok = False
    if base is not None and treatment is not None:
        if not any(p in base or p in treatment for p in TRANSFER_OF):
            problems.add("treatment", table["treatment"], "an effect needs a pathway besides "
                         f"real data (one of {', '.join(TRANSFER_OF)}) in base or treatment.")  # fmt: skip
            ok = False
        elif base == treatment:
            problems.add("treatment", table["treatment"], "must differ from base.")
            ok = False
    if not ok:
        _check_result(table, problems)  # report the result's problems too, at once
        return None
    fields = {"base": base, "treatment": treatment, "unit": unit}
    has_counts = any(k in table for k in ("base_successes", "treatment_successes"))
    if has_counts:
        if "relative_change" in table:
            problems.add("relative_change", table["relative_change"],
                         "give counts for both arms or a relative change, not both.")  # fmt: skip
            return None
        b = score(table, problems, prefix="base_")
        t = score(table, problems, prefix="treatment_")
        if b is None or t is None:
            return None
        if not (b[0].trials and t[0].trials):
            problems.add("base_trials", table.get("base_trials", MISSING),
                         "effects given as scores need trials on both arms.")  # fmt: skip
            return None
        return {**fields, "arms": (b[0], t[0])}
    success = table.get("base_success", MISSING)
    if (not isinstance(success, list) or len(success) != 2 or not all(map(num, success))
            or not 0 < success[0] < success[1] < 1):  # fmt: skip
        problems.add("base_success", success,
                     "must be a 90% interval [lower, upper] of the base success rate, inside (0, 1).")  # fmt: skip
        return None
    change = table.get("relative_change", MISSING)
    if not num(change) or change <= -1:
        problems.add("relative_change", change, "must be a number > -1 (0.4 means +40%), or give "
                     "counts (base_successes, base_trials, treatment_successes, treatment_trials).")  # fmt: skip
        return None
    ratio_table = {k: v for k, v in table.items() if k in ("sd", "interval", "mass")}
    if isinstance(ratio_table.get("interval"), list):
        ratio_table["interval"] = [1 + v if num(v) else v for v in ratio_table["interval"]]
    ratio_table["relative_change"] = 1 + change
    ratio, log_sd = value_and_sd(ratio_table, "log", problems, value_key="relative_change")
    if ratio is None:
        return None
    return {**fields, "base_success": (float(success[0]), float(success[1])), "ratio": ratio,
            "log_sd": log_sd}  # fmt: skip


def _check_result(table, problems) -> None:
    """Problems of the result keys alone (used when the mixes already failed)."""
    success = table.get("base_success", MISSING)
    if success is not MISSING and (not isinstance(success, list) or len(success) != 2
                                   or not all(map(num, success))
                                   or not 0 < success[0] < success[1] < 1):  # fmt: skip
        problems.add("base_success", success,
                     "must be a 90% interval [lower, upper] of the base success rate, inside (0, 1).")  # fmt: skip


def needs(record: Effect) -> list:
    return [(record.study_key, "exponent", "data")] + [
        (record.study_key, "transfer", p) for p in record.pathways]  # fmt: skip


def effective(record: Effect, which: str, latents):
    """The study's effective data of one arm: real plus each pathway at its study transfer."""
    amounts = getattr(record, which)
    total = amounts.get("real", 0.0)
    for p in record.pathways:
        if amounts.get(p, 0.0) > 0:
            total = total + latents.get("transfer", record.study_key, p) * amounts[p]
    return total


def own_latents(records: list[Effect]) -> list:
    """Each effect's base-arm success: Beta from ``base_success`` (flat when counts give it)."""
    from probmodel.elicitation import beta_from_interval
    from probmodel.evidence.observe import Latent

    if not records:
        return []
    ab = np.array([beta_from_interval(*r.base_success) if r.base_success else (1.0, 1.0)
                   for r in records])  # fmt: skip
    return [Latent("effect_base_success", "effect_study", tuple(r.id for r in records), "beta",
                   {"alpha": ab[:, 0], "beta": ab[:, 1]})]  # fmt: skip


def observations(world, records: list[Effect], latents, free) -> list:
    from probmodel.equations import _namespace
    from probmodel.evidence.observe import Observation, clip_success, concat, stack
    from probmodel.evidence.observe import scores as obs_scores

    if not records:
        return []
    base_success = free["effect_base_success"]
    xp = _namespace(base_success)
    ratio = stack([effective(r, "treatment", latents) / effective(r, "base", latents)
                   for r in records])  # fmt: skip
    alpha = latents.take("exponent", [(r.study_key, "data") for r in records])
    base_hazard = -xp.log(base_success)
    treated = clip_success(xp.exp(-base_hazard * ratio ** (-alpha)))
    base_p = clip_success(base_success)
    out = []
    arms = [i for i, r in enumerate(records) if r.arms]
    if arms:
        idx = np.array(arms)
        p = concat([base_p[..., idx], treated[..., idx]])
        scores = [records[i].arms[0] for i in arms] + [records[i].arms[1] for i in arms]
        labels = [f"{records[i].id}:base" for i in arms] + [f"{records[i].id}:treatment"
                                                            for i in arms]  # fmt: skip
        widening = np.array([records[i].widening for i in arms] * 2)
        out += obs_scores(VARS[1:], labels, p, scores, widening)
    ratios = [i for i, r in enumerate(records) if not r.arms]
    if ratios:
        idx = np.array(ratios)
        out.append(Observation(
            VARS[0][0], VARS[0][1], tuple(records[i].id for i in ratios), "normal",
            np.log([records[i].ratio for i in ratios]),
            {"mu": xp.log(treated[..., idx]) - xp.log(base_p[..., idx]),
             "sigma": np.array([records[i].log_sd_used for i in ratios])},
        ))  # fmt: skip
    return out
