"""What moved between two runs: medians, shifts in posterior sds and interval widths.

Typical use: a run before and after a new evidence record (``probmodel update``), or two fits of
the same scenario with different evidence. A shift is ``(median B - median A) / sd A``: how many of
run A's posterior sds the median moved; the width ratio compares 90% equal-tailed intervals.
If the scenarios differ, the comparison is of plans rather than of evidence, and it says so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from probmodel.equations import WORLD_PARAMETERS, higher_is_better
from probmodel.errors import InvalidArgumentError, UnknownNameError, did_you_mean
from probmodel.sampling import Run

OUTCOMES = (
    "cost_total_usd",
    "years",
    "success_rate",
    "robot_years",
    "data_exponent_new",
    "diversity_exponent_new",
)
"""Outcomes compared besides the world parameters."""
MIN_SHIFT = 0.05
"""Rows whose |shift| (in sds of A) is below this and whose interval width changed by less than
:data:`MIN_WIDTH_CHANGE` are not shown."""
MIN_WIDTH_CHANGE = 0.1
"""A change of an interval's width (|log width ratio|) that a row is shown for on its own: PSIS
updates move interval widths by a few percent through Monte Carlo error alone."""
MASS = 0.9
HEADLINE = ("cost_total_usd", "years", "success_rate")
"""Outcomes whose median and 80%-confidence value every comparison shows, whatever moved."""
CONFIDENCE = 0.8
"""The confidence level of the headline's second value: P80 where less is better (cost, years),
P20 where more is better (success: an 80% chance of at least that)."""


def compare_runs(run_a: Run, run_b: Run, variables: list[str] | None = None) -> dict[str, Any]:
    """Compare the posteriors of two runs, largest movement first.

    Parameters
    ----------
    run_a, run_b : Run
        The reference run (A) and the run to compare with it (B).
    variables : list of str, optional
        Posterior variables to compare (scalar per draw). Default: the world parameters present in
        both posteriors (fixed ones are not sampled) and :data:`OUTCOMES`.

    Returns
    -------
    dict
        JSON-able: ``headline`` (cost, years and success: median and 80%-confidence value in
        both runs with the relative change, largest change first), ``rows`` (per variable: ``median_a``, ``median_b``, ``shift_sd``,
        ``interval_a``, ``interval_b``, ``width_ratio``; sorted by |shift|), ``evidence_added``,
        ``evidence_removed``, ``same_scenario``, ``same_priors``, ``notes`` and identifying
        details of both runs.
    """
    for label, run in (("run_a", run_a), ("run_b", run_b)):
        if not isinstance(run, Run):
            raise InvalidArgumentError(f"{label} = {type(run).__name__}: expected a probmodel Run.")
    post_a = run_a.tree["posterior"].to_dataset()
    post_b = run_b.tree["posterior"].to_dataset()
    common = [n for n in post_a.data_vars if n in post_b.data_vars]
    if variables is None:
        names = [n for n in (*WORLD_PARAMETERS, *OUTCOMES) if n in common]
    else:
        names = list(variables)
        for name in names:
            if name not in common:
                raise UnknownNameError(
                    f"variable {name!r} is not in both posteriors.{did_you_mean(name, common)}"
                )
    rows = []
    for name in names:
        a, b = post_a[name], post_b[name]
        if a.ndim != 2 or b.ndim != 2:
            raise InvalidArgumentError(
                f"variable {name!r} has dimensions {a.dims}: only one value per draw can be compared."
            )
        rows.append(_row(name, a.values.ravel(), b.values.ravel()))
    rows.sort(key=lambda r: -magnitude(r["shift_sd"]))

    ids_a = list(run_a.meta.get("evidence_ids", []))
    ids_b = list(run_b.meta.get("evidence_ids", []))
    same_scenario = run_a.meta.get("scenario") == run_b.meta.get("scenario")
    same_priors = run_a.meta.get("priors") == run_b.meta.get("priors")
    notes = []
    if not same_scenario:
        notes.append(
            f"the scenarios differ ({run_a.name} vs {run_b.name}, or the same name with a changed "
            "plan): this compares plans, not evidence."
        )
    if not same_priors:
        notes.append("the priors differ: the shifts mix prior changes with evidence.")
    update = run_b.meta.get("update")
    if update:
        noise = 2.5 / math.sqrt(max(update["ess"], 1.0))  # ~2 Monte Carlo SEs of a median
        notes.append(
            f"run B is an importance-reweighted update (Pareto k {update['pareto_k']:.2f}, "
            f"ESS {update['ess']:.0f}): shifts below ~{noise:.2f} sd can be Monte Carlo noise."
        )
    headline = [
        _headline(name, q, post_a[name].values.ravel(), post_b[name].values.ravel())
        for name in HEADLINE
        if name in common
        for q in (0.5, 1 - CONFIDENCE if higher_is_better(name) else CONFIDENCE)
    ]
    headline.sort(key=lambda r: -magnitude(r["relative_change"]))
    return {
        "headline": headline,
        "run_a": _describe(run_a),
        "run_b": _describe(run_b),
        "same_scenario": same_scenario,
        "same_priors": same_priors,
        "evidence_added": [i for i in ids_b if i not in ids_a],
        "evidence_removed": [i for i in ids_a if i not in ids_b],
        "notes": notes,
        "interval_mass": MASS,
        "min_shift": MIN_SHIFT,
        "rows": rows,
    }


def shown_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a :func:`compare_runs` result worth showing: the median moved by at least
    :data:`MIN_SHIFT` sds of A, or the interval width by :data:`MIN_WIDTH_CHANGE` (log ratio);
    a row whose shift rounds to 0.00 sd shows only for its width. Headline outcomes are shown
    in ``headline`` and left out here."""
    shown = []
    for row in result["rows"]:
        if row["name"] in HEADLINE:
            continue
        ratio = row["width_ratio"]
        wider = ratio is None or ratio <= 0 or abs(math.log(ratio)) >= MIN_WIDTH_CHANGE
        if magnitude(row["shift_sd"]) >= MIN_SHIFT or wider:
            shown.append(row)
    return shown


def compare_run_files(runs: list) -> dict[str, Any]:
    """Several runs side by side; pairwise probabilities only when their world draws coincide
    (same evidence, priors and sampler settings, different plans), else marginal rows only."""
    from probmodel.analysis.plans import PAIRWISE, outcome_row, pairwise_probabilities

    names = [f"{r.name}" for r in runs]
    if len(set(names)) != len(names):
        names = [f"{r.name}#{i + 1}" for i, r in enumerate(runs)]
    posts = [r.tree["posterior"].to_dataset() for r in runs]
    world = [n for n in WORLD_PARAMETERS if all(n in p for p in posts)]
    paired = bool(world) and all(
        p[n].shape == posts[0][n].shape and np.array_equal(p[n].values, posts[0][n].values)
        for p in posts[1:]
        for n in world
    )
    draws = {n: {k: p[k].values for k in PAIRWISE} for n, p in zip(names, posts, strict=True)}
    rows = [
        outcome_row(n, r.scenario["title"], r.plan, draws[n])
        for n, r in zip(names, runs, strict=True)
    ]
    result: dict[str, Any] = {
        "run": names[0], "paired": paired, "plans": rows, "draws": draws,
        "limits": {n: r.plan for n, r in zip(names, runs, strict=True)},
    }  # fmt: skip
    if paired:
        result["pairwise"] = pairwise_probabilities(draws)
    return result


# ----------------------------------------------------------------------------------------- helpers


def _row(name: str, a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    tail = (1 - MASS) / 2
    lo_a, med_a, hi_a = np.quantile(a, [tail, 0.5, 1 - tail])
    lo_b, med_b, hi_b = np.quantile(b, [tail, 0.5, 1 - tail])
    sd_a = float(np.std(a))
    if sd_a > 0:
        shift = float((med_b - med_a) / sd_a)
    else:  # a constant in A (a quantity the plan fixes): no scale to measure a move by
        shift = 0.0 if med_b == med_a else None
    width_a, width_b = hi_a - lo_a, hi_b - lo_b
    ratio = float(width_b / width_a) if width_a > 0 else (1.0 if width_b == 0 else None)
    return {
        "name": name,
        "median_a": float(med_a),
        "median_b": float(med_b),
        "sd_a": sd_a,
        "shift_sd": shift,
        "interval_a": [float(lo_a), float(hi_a)],
        "interval_b": [float(lo_b), float(hi_b)],
        "width_ratio": ratio,
    }


def _headline(name: str, q: float, a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    value_a, value_b = float(np.quantile(a, q)), float(np.quantile(b, q))
    return {
        "name": name,
        "stat": f"P{round(100 * q)}",
        "quantile": q,
        "value_a": value_a,
        "value_b": value_b,
        "relative_change": value_b / value_a - 1 if value_a != 0 else None,
    }


def magnitude(shift: float | None) -> float:
    return math.inf if shift is None else abs(shift)


def _describe(run: Run) -> dict[str, Any]:
    post = run.tree["posterior"]
    return {
        "scenario": run.name,
        "config_hash": run.config_hash,
        "n_draws": int(post.sizes["chain"] * post.sizes["draw"]),
        "n_evidence": len(run.meta.get("evidence_ids", [])),
        "method": (run.meta.get("update") or {}).get("method", "mcmc"),
    }
