"""``curve``: one study's scaling curve, success at several amounts of data or diversity.

Keys: ``axis`` (``data``: demonstrations, trajectories, hours; ``diversity``: environments,
objects, scenes), ``x`` (the amounts, at least 2 different), the success at each point as counts
(``successes`` and ``trials``) or as a fraction (``score``, with ``score_max`` and, when the
source says, ``trials``), and optionally ``data``: the amount of data per environment at each point
when a paper varies both (Lin et al.'s tables: environments x share of demonstrations). ``x_unit``,
``data_unit`` and ``table`` document the source.

Likelihood, on the same link as the performance equation (success ``= exp(-H)`` with the study's
own ceiling of 1, scores being normalised): ``log H_i = c - e_axis (log x_i - m) [- e_data (log
d_i - m_d)]``, with ``c`` the record's intercept (a latent with a wide prior; study levels are not
comparable across setups) and the exponents the study's (:mod:`probmodel.evidence.latents`),
partially pooled with their axes' populations. Counts: (beta-)binomial; fractions: Beta with
precision ``trials / widening**2``, or, without trials, a latent precision (then the tag shifts
that precision's prior: such a curve's weight comes from its scatter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from probmodel.evidence.base import Record, Score, axis, positive_list, score, text

KIND = "curve"
KEYS = {"axis", "x", "data", "x_unit", "data_unit", "table", "score", "score_max", "successes",
        "trials"}  # fmt: skip
VARS = (("evidence_curve", "curve_point"), ("evidence_curve_counts", "curve_count"))
FRACTION_VARS = ("evidence_curve",)
"""Observed variables with a Beta likelihood (scores in (0, 1)): simulated values are clipped."""
LOG_HAZARD_PRIOR = (0.0, 1.5)
"""Normal prior (mu, sigma) of a curve's log hazard at its centre (success ~1% to ~99%)."""
PRECISION_PRIOR = (math.log(30.0), 1.0)
"""LogNormal prior of the Beta precision of a curve without trial counts."""


@dataclass(frozen=True, kw_only=True)
class Curve(Record):
    """One study's success at increasing amounts on one axis (and optionally data per env)."""

    axis: str
    x: tuple[float, ...]
    scores: tuple[Score, ...]
    data: tuple[float, ...] | None = None
    x_unit: str = ""
    data_unit: str = ""
    table: str = ""

    @property
    def score(self) -> tuple[float, ...]:
        return tuple(s.value for s in self.scores)

    @property
    def log_x_centre(self) -> float:
        return sum(math.log(v) for v in self.x) / len(self.x)

    @property
    def log_data_centre(self) -> float:
        return sum(math.log(v) for v in self.data) / len(self.data) if self.data else 0.0

    @property
    def labels(self) -> list[str]:
        if self.data:
            return [f"{self.id}:{x:g}x{d:g}" for x, d in zip(self.x, self.data, strict=True)]
        return [f"{self.id}:{x:g}" for x in self.x]

    @property
    def axes(self) -> list[str]:
        return [self.axis] + (["data"] if self.data else [])

    def constrains(self) -> list[str]:
        return [n for a in dict.fromkeys(self.axes) for n in (f"{a}_exponent_mean",
                                                               f"{a}_exponent_sd")]  # fmt: skip

    def says(self) -> str:
        what = self.x_unit or "x"
        second = f" and {self.data_unit or 'data per environment'}" if self.data else ""
        span = f"{min(self.x):g}-{max(self.x):g}"
        kind = "counts" if self.scores[0].is_count else "scores"
        return (f"{len(self.x)} points of success vs {what}{second} ({span}, {kind}); "
                f"a study exponent for the {' and '.join(dict.fromkeys(self.axes))} "
                "population(s)")

    def _details(self) -> dict[str, Any]:
        return {
            "axis": self.axis, "x_unit": self.x_unit, "x": list(self.x),
            "data": list(self.data) if self.data else None, "data_unit": self.data_unit,
            "score": list(self.score), "trials": [s.trials for s in self.scores],
            "successes": [s.successes for s in self.scores], "table": self.table,
        }  # fmt: skip


def parse(table, ctx, problems) -> dict | None:
    ax = axis(table, problems)
    x = positive_list(table, "x", problems, min_len=2)
    data = positive_list(table, "data", problems, min_len=2, required=False)
    ok = ax is not None and x is not None and ("data" not in table or data is not None)
    if x is not None and len(set(x)) < 2:
        problems.add("x", table["x"], "needs at least two different values to fit an exponent.")
        ok = False
    if data is not None and x is not None:
        if ax is not None and ax != "diversity":
            problems.add("data", table["data"], "a second x (data per environment) goes with "
                         "axis = 'diversity'.")  # fmt: skip
            ok = False
        if len(data) != len(x):
            problems.add("data", table["data"], f"has {len(data)} values but x has {len(x)}.")
            ok = False
    n = len(x) if x is not None else len(table["x"]) if isinstance(table.get("x"), list) else None
    scores = score(table, problems, n=n) if n else None
    if not ok or scores is None:
        return None
    return {
        "axis": ax, "x": x, "data": data, "scores": scores,
        "x_unit": text(table, "x_unit", problems), "data_unit": text(table, "data_unit", problems),
        "table": text(table, "table", problems),
    }  # fmt: skip


def needs(record: Curve) -> list:
    return [(record.study_key, "exponent", a) for a in record.axes]


def _scatter(records: list[Curve]) -> list[int]:
    """The records whose scores lack trial counts: their Beta precision is a latent."""
    return [i for i, r in enumerate(records)
            if any(s.trials is None and not s.is_count for s in r.scores)]  # fmt: skip


def own_latents(records: list[Curve]) -> list:
    """The curves' free variables: each curve's log hazard at its centre, and the log Beta
    precision of each curve given as scores without trials."""
    from probmodel.evidence.observe import Latent

    if not records:
        return []
    mu, sigma = LOG_HAZARD_PRIOR
    out = [Latent("curve_log_hazard", "curve_record", tuple(r.id for r in records), "normal",
                  {"mu": mu, "sigma": sigma})]  # fmt: skip
    free = _scatter(records)
    if free:
        mu, sigma = PRECISION_PRIOR
        out.append(Latent("curve_log_precision", "curve_scatter",
                          tuple(records[i].id for i in free), "normal",
                          {"mu": mu, "sigma": sigma}))  # fmt: skip
    return out


def observations(world, records: list[Curve], latents, free) -> list:
    from probmodel.equations import _namespace
    from probmodel.evidence.observe import concat, counts, fractions, per_entry, stack

    if not records:
        return []
    intercept = free["curve_log_hazard"]
    log_hazard = []
    for i, r in enumerate(records):
        lx = np.log(np.asarray(r.x)) - r.log_x_centre
        h = per_entry(intercept[..., i]) - per_entry(
            latents.get("exponent", r.study_key, r.axis)) * lx
        if r.data:
            ld = np.log(np.asarray(r.data)) - r.log_data_centre
            h = h - per_entry(latents.get("exponent", r.study_key, "data")) * ld
        log_hazard.append(h)
    log_hazard = concat(log_hazard)
    xp = _namespace(log_hazard)
    p = xp.exp(-xp.exp(log_hazard))
    point_record = np.concatenate([np.full(len(r.x), i) for i, r in enumerate(records)])
    scores = [s for r in records for s in r.scores]
    labels = [lab for r in records for lab in r.labels]
    widening = np.array([records[i].widening for i in point_record])
    is_count = np.array([s.is_count for s in scores])
    out = []
    if is_count.any():
        idx = np.flatnonzero(is_count)
        out.append(counts(VARS[1][0], VARS[1][1], [labels[i] for i in idx], p[..., idx],
                          [scores[i].successes for i in idx], [scores[i].trials for i in idx],
                          widening[idx]))  # fmt: skip
    if (~is_count).any():
        idx = np.flatnonzero(~is_count)
        trials = np.array([scores[i].trials or np.nan for i in idx])
        precision = (trials / widening[idx] ** 2).astype(float)
        scatter = _scatter(records)
        if scatter:
            log_prec = free["curve_log_precision"]
            where = {rec: j for j, rec in enumerate(scatter)}
            precision = stack([xp.exp(log_prec[..., where[point_record[i]]]) / widening[i] ** 2
                               if point_record[i] in where else precision[k]
                               for k, i in enumerate(idx)])  # fmt: skip
        out.append(fractions(VARS[0][0], VARS[0][1], [labels[i] for i in idx], p[..., idx],
                             [scores[i].value for i in idx], precision))  # fmt: skip
    return out
