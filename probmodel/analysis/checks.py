"""Model checks a Bayesian reviewer expects: a prior predictive check of the seed's arithmetic and a
posterior predictive check per evidence record.

* **Prior predictive check.** Every outcome's point estimate (every assumption at its point
  value: the seed's arithmetic, the run's ``point`` group) against the prior predictive
  equal-tailed interval of that outcome (the ``prior`` group's draws; 90% by default). A point
  outside says the priors do not put the seed's own answer among their likely outcomes; the row
  says on which side, by how much, and which world parameter drives it: the one whose move from
  its point value to its prior median brings the outcome's prior percentile closest to 50%,
  the others held at their point values (seed values at an edge of their prior are the usual
  cause: the seed counts a simulated token as a real one, the prior says it is worth less).
* **Posterior predictive check per record.** Each evidence entry's observed value against its
  replicates in ``posterior_predictive``: the PIT (share of replicates at or below the
  observation) and its two-sided p-value ``2 min(PIT, 1 - PIT)``. A record with one entry
  (measurement, effect) takes that p-value; a record with several (curve points, a meta record's
  mean and between-study sd) takes a chi-square discrepancy ``T(y) = sum_i ((y_i - m_i)/s_i)^2``
  with ``m_i``, ``s_i`` the replicates' mean and sd, and ``p = P(T(y_rep) >= T(y))`` over the
  replicate draws. Calibrating ``T`` by the replicates themselves accounts for the correlation
  between a curve's points (they share the study's exponent), which a chi-square table would not;
  one omnibus p per record avoids a min-over-points that grows with the number of points.
  The same check on ``prior_predictive`` gives each record's prior predictive p-value.

How this differs from :func:`probmodel.analysis.evidence.conflicts`: a conflict check asks whether
a record agrees with *the rest* of the evidence (leave-one-record-out, by PSIS), so it is the
sharper test of disagreement. The posterior predictive check asks whether the fitted model can
reproduce the record at all *with* the record in the fit: it uses the data twice, so its p-values
crowd towards 0.5 and a record in its tail is a misfit the model cannot absorb (wrong likelihood
form, a too-narrow stated uncertainty), not merely a surprise. The prior predictive p-value asks
whether the priors alone expected the record (prior-data conflict). The table shows all three.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from probmodel.analysis.evidence import pit, record_entries
from probmodel.constants import TAIL_P
from probmodel.diagnostics import is_constant
from probmodel.equations import OUTCOMES, WORLD_PARAMETERS
from probmodel.errors import InvalidArgumentError, ResultFileError
from probmodel.evaluate import flat_outcomes, outcome_dataset

PRIOR_MASS = 0.9
"""Mass of the prior predictive interval the point estimates are checked against."""
DRIVER_MIN_GAIN = 0.05
"""A parameter is named as a driver when moving it to its prior median brings the outcome's
prior percentile at least this much (5 percentage points) closer to 50%."""
MAX_DRIVERS = 3


# --------------------------------------------------------------------------------------------
# Prior predictive check of the point estimates
# --------------------------------------------------------------------------------------------


def percentile_of(draws: np.ndarray, value: float) -> float:
    """Mid-rank percentile of ``value`` among ``draws`` (0-1): ties count half, so a value
    equal to every draw sits at 0.5."""
    x = np.asarray(draws, dtype=float).ravel()
    return float((np.sum(x < value) + 0.5 * np.sum(x == value)) / x.size)


def prior_predictive_check(run, mass: float = PRIOR_MASS) -> dict[str, Any]:
    """Each outcome's point estimate against its prior predictive equal-tailed ``mass`` interval.

    Parameters
    ----------
    run : probmodel.sampling.Run
        Needs the ``prior`` (prior draws of the outcomes) and ``point`` groups.
    mass : float
        Probability mass of the interval (0.9: P5 to P95).

    Returns
    -------
    dict
        ``outcomes``: one row per outcome and cost component with ``point``, ``low``, ``high``
        (the interval, in the outcome's unit), ``percentile`` (the point's prior percentile,
        0-1; ``None`` for an outcome constant in the prior), ``inside``, ``constant``, ``side``
        (``"below"``, ``"above"`` or ``None``), ``drivers`` and a ``reason`` sentence for rows
        outside; ``tail_parameters``: world parameters whose point value lies outside their own
        prior ``mass`` interval; ``n_outside``, ``outside`` (names), ``mass``, ``n_draws``.
    """
    if not 0 < mass < 1:
        raise InvalidArgumentError(f"mass = {mass!r}: must be between 0 and 1.")
    missing = [g for g in ("prior", "point") if g not in run.tree.children]
    if missing:
        raise ResultFileError(
            f"run {run.name!r} has no {' or '.join(missing)} group: the prior predictive check "
            "needs prior draws and point values. Re-sample it (probmodel sample SCENARIO)."
        )
    prior = run.tree["prior"].to_dataset()
    draws = {n: np.asarray(v, dtype=float).ravel() for n, v in flat_outcomes(prior).items()}
    point = flat_outcomes(run.tree["point"].to_dataset())
    q = [(1 - mass) / 2, (1 + mass) / 2]
    rows = []
    for name, value in point.items():
        if name not in draws:
            continue
        value, x = float(value), draws[name]
        low, high = (float(v) for v in np.quantile(x, q))
        constant = is_constant(x)
        tol = 1e-9 * max(abs(low), abs(high), 1e-300)
        inside = low - tol <= value <= high + tol
        rows.append(
            {
                "outcome": name,
                "description": OUTCOMES.get(name, f"cost component {name[5:]} [USD]"),
                "point": value,
                "low": low,
                "high": high,
                "percentile": None if constant else percentile_of(x, value),
                "inside": bool(inside),
                "constant": bool(constant),
                "side": None if inside else ("below" if value < low else "above"),
                "drivers": [],
                "reason": "",
            }
        )
    outside = [r for r in rows if not r["inside"]]
    if outside:
        _add_drivers(run, prior, draws, outside)
    for r in outside:
        r["reason"] = _reason(r, mass)
    return {
        "mass": mass,
        "n_draws": int(next(iter(draws.values())).size) if draws else 0,
        "outcomes": rows,
        "n_outside": len(outside),
        "outside": [r["outcome"] for r in outside],
        "tail_parameters": tail_parameters(run, prior, mass),
    }


def tail_parameters(run, prior: xr.Dataset, mass: float = PRIOR_MASS) -> list[dict[str, Any]]:
    """World parameters whose point value lies outside their prior's equal-tailed ``mass``
    interval (from the prior draws), most extreme first."""
    rows = []
    for name in WORLD_PARAMETERS:
        spec = run.priors.get(name)
        if spec is None or name not in prior or spec.get("point") is None:
            continue
        x = np.asarray(prior[name].values, dtype=float).ravel()
        if is_constant(x):
            continue
        pct = percentile_of(x, float(spec["point"]))
        if (1 - mass) / 2 <= pct <= (1 + mass) / 2:
            continue
        low, high = np.quantile(x, [(1 - mass) / 2, (1 + mass) / 2])
        rows.append({"parameter": name, "point": float(spec["point"]), "low": float(low),
                     "high": float(high), "percentile": pct})  # fmt: skip
    rows.sort(key=lambda r: -abs(r["percentile"] - 0.5))
    return rows


def _add_drivers(run, prior: xr.Dataset, draws: dict[str, np.ndarray], rows: list[dict]) -> None:
    """Fill ``drivers`` of each outside row: one-at-a-time moves of each varying world parameter
    from its point value to its prior median, the others at their point values (one vectorised
    evaluation of the outcome equations, one element per parameter)."""
    points = {n: float(s["point"]) for n, s in run.priors.items() if n in WORLD_PARAMETERS}
    varying = [n for n in WORLD_PARAMETERS
               if n in prior and n in points and not is_constant(prior[n].values)]  # fmt: skip
    if not varying:
        return
    values = {n: np.full(len(varying), v) for n, v in points.items()}
    medians = {n: float(np.median(prior[n].values)) for n in varying}
    for i, n in enumerate(varying):
        values[n][i] = medians[n]
    moved = flat_outcomes(outcome_dataset(values, run.plan_spec, ("parameter",)))
    for row in rows:
        name, pct = row["outcome"], row["percentile"]
        if pct is None or name not in moved:
            continue
        x = draws[name]
        candidates = []
        for i, n in enumerate(varying):
            after = percentile_of(x, float(moved[name][i]))
            gain = abs(pct - 0.5) - abs(after - 0.5)
            if gain >= DRIVER_MIN_GAIN:
                candidates.append(
                    {
                        "parameter": n,
                        "point": points[n],
                        "point_percentile": percentile_of(prior[n].values, points[n]),
                        "prior_median": medians[n],
                        "outcome_percentile_at_median": after,
                        "gain": gain,
                    }
                )
        candidates.sort(key=lambda c: -c["gain"])
        row["drivers"] = candidates[:MAX_DRIVERS]


def _reason(row: dict[str, Any], mass: float) -> str:
    """Why a point estimate falls outside: which side, by how much, and what drives it."""
    from probmodel.formatting import fmt_number, fmt_share, fmt_value

    name, value = row["outcome"], row["point"]
    lo_label, hi_label = f"P{round(50 * (1 - mass))}", f"P{round(50 * (1 + mass))}"
    if row["constant"]:
        return (
            f"{name} is {fmt_value(name, row['low'])} in every prior draw but "
            f"{fmt_value(name, value)} at the point values: the plan fixes it, so the prior and "
            "point mode disagree on the plan, not on an assumption."
        )
    bound, label = (row["low"], lo_label) if row["side"] == "below" else (row["high"], hi_label)
    if value > 0 and bound > 0:
        ratio = value / bound
        by = f"{fmt_number(ratio)}×" if max(ratio, 1 / ratio) >= 2 else f"{abs(ratio - 1):.0%}"
    else:
        by = fmt_value(name, abs(value - bound))
    text = (
        f"the point estimate {fmt_value(name, value)} is {row['side']} the prior {label} "
        f"{fmt_value(name, bound)} by {by} (prior percentile {fmt_share(row['percentile'])})"
    )
    if not row["drivers"]:
        return text + "; no single assumption explains it (a joint effect of several)."
    parts = [
        f"{d['parameter']} (point {fmt_value(d['parameter'], d['point'])} at its prior's "
        f"percentile {fmt_share(d['point_percentile'])}; at its prior median "
        f"{fmt_value(d['parameter'], d['prior_median'])} the outcome would sit at percentile "
        f"{fmt_share(d['outcome_percentile_at_median'])})"
        for d in row["drivers"]
    ]
    return text + "; main driver" + ("s: " if len(parts) > 1 else ": ") + "; ".join(parts) + "."


# --------------------------------------------------------------------------------------------
# Posterior (and prior) predictive check per evidence record
# --------------------------------------------------------------------------------------------


def record_predictive_p(
    replicates: np.ndarray, observed: np.ndarray
) -> tuple[float, str, float | None, list[float]]:
    """Predictive p-value of one record from its replicates ``(n_draws, n_entries)`` and its
    observed entries ``(n_entries,)``.

    Returns ``(p, statistic, discrepancy, pits)``: for one entry the two-sided PIT p-value
    (statistic ``"PIT"``, ``discrepancy`` None); for several, ``P(T(y_rep) >= T(y))`` of the
    chi-square discrepancy (statistic ``"chi-square (n)"`` over ``n`` varying entries).
    Entries whose replicates do not vary are left out of the discrepancy.
    """
    reps = np.asarray(replicates, dtype=float)
    y = np.asarray(observed, dtype=float)
    if reps.ndim != 2 or reps.shape[1] != y.size or y.size == 0:
        raise InvalidArgumentError(
            f"replicates of shape {reps.shape} do not match {y.size} observed entries."
        )
    pits = [pit(reps[:, i], float(y[i])) for i in range(y.size)]
    if y.size == 1:
        return 2.0 * min(pits[0], 1.0 - pits[0]), "PIT", None, pits
    mean, sd = reps.mean(axis=0), reps.std(axis=0)
    keep = sd > 0
    z_obs = (y[keep] - mean[keep]) / sd[keep]
    z_rep = (reps[:, keep] - mean[keep]) / sd[keep]
    t_obs = float(np.sum(z_obs**2))
    p = float(np.mean(np.sum(z_rep**2, axis=1) >= t_obs))
    return p, f"chi-square ({int(keep.sum())})", t_obs, pits


def _record_table(tree: xr.DataTree, group: str) -> dict[str, dict[str, Any]]:
    """Per record id: predictive p-value, statistic, PITs and entry rows against ``group``."""
    if group not in tree.children or "observed_data" not in tree.children:
        return {}
    reps_ds, obs = tree[group].to_dataset(), tree["observed_data"].to_dataset()
    out = {}
    for record_id, entries in record_entries(tree, group).items():
        columns = [reps_ds[name].sel({dim: label}).values.ravel() for name, dim, label in entries]
        y = np.array([float(obs[name].sel({dim: label})) for name, dim, label in entries])
        reps = np.column_stack(columns)
        p, statistic, t_obs, pits = record_predictive_p(reps, y)
        lows, highs = np.quantile(reps, [0.05, 0.95], axis=0)
        out[record_id] = {
            "p_value": p,
            "statistic": statistic,
            "discrepancy": t_obs,
            "min_pit": min(pits),
            "max_pit": max(pits),
            "entries": [
                {
                    "label": label,
                    "observed": float(y[i]),
                    "pit": pits[i],
                    "p_value": 2.0 * min(pits[i], 1.0 - pits[i]),
                    "low": float(lows[i]),
                    "high": float(highs[i]),
                }
                for i, (_, _, label) in enumerate(entries)
            ],  # fmt: skip
        }
    return out


def posterior_predictive_check(
    tree: xr.DataTree,
    records: list[dict[str, Any]] = (),
    conflict_rows: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Posterior predictive check of every evidence record, with its prior predictive p-value and
    (when ``conflict_rows`` from :func:`probmodel.analysis.evidence.conflicts` are given) its
    leave-one-record-out conflict p-value beside it.

    Returns one row per record in the order of ``records`` (others after): ``id``, ``kind``,
    ``title``, ``citation``, ``n_entries``, ``statistic``, ``p_value`` and ``tail`` (p <
    :data:`TAIL_P`), ``verdict`` (``"consistent"`` or ``"in the tail"``), ``min_pit``,
    ``max_pit``, ``entries`` (label, observed, PIT, p, replicate 90% interval), ``prior_p_value``,
    ``prior_tail``, ``conflict_p_value``. Empty for a run without evidence.
    """
    post = _record_table(tree, "posterior_predictive")
    prior = _record_table(tree, "prior_predictive")
    by_id = {r["id"]: r for r in records}
    conflict_p = {c["id"]: c["p_value"] for c in (conflict_rows or [])}
    order = [r["id"] for r in records if r["id"] in post] + [i for i in post if i not in by_id]
    rows = []
    for record_id in order:
        row, record = post[record_id], by_id.get(record_id, {})
        prior_p = prior.get(record_id, {}).get("p_value")
        tail = row["p_value"] < TAIL_P
        rows.append(
            {
                "id": record_id,
                "kind": record.get("kind", ""),
                "title": record.get("title", ""),
                "citation": record.get("citation", ""),
                "n_entries": len(row["entries"]),
                **row,
                "tail": tail,
                "verdict": "in the tail" if tail else "consistent",
                "prior_p_value": prior_p,
                "prior_tail": None if prior_p is None else prior_p < TAIL_P,
                "conflict_p_value": conflict_p.get(record_id),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# One-line verdicts for the summary, and the command line
# --------------------------------------------------------------------------------------------


def checks_counts(prior: dict[str, Any] | None, ppc: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for ``summary`` from the two checks' results: point estimates outside the prior 90%
    interval and records in the posterior predictive tail (``None`` for a check the run lacks
    the groups for)."""
    return {
        "prior_predictive": None if prior is None else {
            "mass": prior["mass"], "n_outcomes": len(prior["outcomes"]),
            "n_outside": prior["n_outside"], "outside": prior["outside"],
        },
        "ppc": None if not ppc else {
            "tail_p": TAIL_P, "n_records": len(ppc),
            "n_tail": sum(r["tail"] for r in ppc), "tail": [r["id"] for r in ppc if r["tail"]],
        },
    }  # fmt: skip


