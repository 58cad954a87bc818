"""``outcome``: a published policy's absolute success at a stated data mix, number of
environments and model size, fitted through the performance equation itself.

Keys: the success as counts (``successes`` of ``trials``) or as a ``score`` with ``trials``;
``hours``, the pre-training data mix in hours per pathway (``{ real = 10000, video = 2500 }``);
``environments``, distinct real environments in that data; ``model_params``; ``setting``:
``"unseen-tasks"`` (tasks the policy never trained on) or ``"seen-tasks"`` (trained tasks in new
environments or with new objects).

Likelihood: the success predicted by :func:`probmodel.equations.performance` for that data, with
the population transfer values, times the study's level ``exp(study_level)`` on the hazard
(:mod:`probmodel.evidence.latents`: the setup, tasks and scoring of one evaluation differ from
another's by ``outcome_level_sd`` on the log hazard); seen tasks have their hazard scaled by
``seen_task_hazard_ratio``. Counts: (beta-)binomial; scores: Beta with precision
``trials / widening**2``. These records are what inform the performance anchor
(``reference_attainment``), the ceiling and the seen/unseen gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from probmodel.evidence.base import SETTINGS, Record, Score, mix, num, one_of, score

KIND = "outcome"
KEYS = {"successes", "trials", "score", "score_max", "hours", "environments", "model_params",
        "setting"}  # fmt: skip
VARS = (("evidence_outcome", "outcome_record"), ("evidence_outcome_score", "outcome_score"))


FRACTION_VARS = ("evidence_outcome_score",)
"""Observed variables with a Beta likelihood (scores in (0, 1)): simulated values are clipped."""


@dataclass(frozen=True, kw_only=True)
class Outcome(Record):
    """A policy's success after training on ``hours`` (per pathway) from ``environments``."""

    success: Score
    hours: dict[str, float]
    environments: float
    model_params: float
    setting: str

    def constrains(self) -> list[str]:
        names = ["reference_attainment", "success_ceiling", "outcome_level_sd",
                 "data_exponent_mean", "diversity_exponent_mean", "tokens_per_parameter"]  # fmt: skip
        if self.setting == "unseen-tasks":
            names.append("unseen_task_exponent_ratio")
        else:
            names.append("seen_task_hazard_ratio")
        return names

    def says(self) -> str:
        data = " + ".join(f"{v:g} h {p}" for p, v in self.hours.items())
        return (f"success {self.success.describe()} on {self.setting} after {data} from "
                f"{self.environments:g} environments, {self.model_params:.3g}-parameter model")

    def _details(self) -> dict[str, Any]:
        return {"success": self.success.value, "successes": self.success.successes,
                "trials": self.success.trials, "hours": dict(self.hours),
                "environments": self.environments, "model_params": self.model_params,
                "setting": self.setting}  # fmt: skip


def parse(table, ctx, problems) -> dict | None:
    hours = mix(table, "hours", problems)
    envs = table.get("environments")
    params = table.get("model_params")
    setting = table.get("setting")
    ok = hours is not None
    if not num(envs) or envs < 1:
        problems.add("environments", envs, "must be a number >= 1 (distinct real environments).")
        ok = False
    if not num(params) or params < 1e5:
        problems.add("model_params", params, "must be the model's parameter count (>= 1e5).")
        ok = False
    if not one_of(setting, SETTINGS):
        problems.add("setting", setting, f"Allowed: {', '.join(SETTINGS)}.")
        ok = False
    s = score(table, problems)
    if s is None or not ok:
        return None
    if not s[0].is_count and not s[0].trials:
        problems.add("trials", None, "an outcome needs its trials (counts or a score with "
                     "trials), so its weight is known.")  # fmt: skip
        return None
    if sum(hours.values()) <= 0:
        problems.add("hours", table["hours"], "the data mix needs some hours (> 0).")
        return None
    return {"success": s[0], "hours": hours, "environments": float(envs),
            "model_params": float(params), "setting": setting}  # fmt: skip


def needs(record: Outcome) -> list:
    return [(record.study_key, "level", "")]


def observations(world, records: list[Outcome], latents, free) -> list:
    from probmodel.equations import data_mix_performance
    from probmodel.evidence.observe import scores, stack

    if not records:
        return []
    preds = []
    for r in records:
        level = latents.get("level", r.study_key)
        preds.append(data_mix_performance(world, r.hours, r.environments, r.model_params,
                                          r.setting, level))  # fmt: skip
    widening = np.array([r.widening for r in records])
    return scores(VARS, [r.id for r in records], stack(preds), [r.success for r in records],
                  widening)  # fmt: skip
