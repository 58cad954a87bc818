"""Value of information: what learning a parameter is worth before choosing between plans.

The decision is which plan to run; its net benefit in one posterior draw is minus its net cost,
less a penalty when it misses its deadline or performance target (:func:`net_benefit`). Under
current information the decision maker picks the plan with the highest expected net benefit.

* **EVPI** (:func:`evpi`): what it would be worth to learn everything first, ``E[max_d NB_d] -
  max_d E[NB_d]``: an upper bound on the value of any research before the choice.
* **EVPPI** (:func:`evppi`): the same for one parameter ``phi``, ``E_phi[max_d E[NB_d | phi]] -
  max_d E[NB_d]``, estimated from the posterior draws with the regression (metamodel) method of
  Strong, Oakley & Brennan (2014, Medical Decision Making 34:311-326): regress each plan's
  incremental net benefit on ``phi`` with a smoothing spline and average the maximum of the fitted
  values. An EVPPI is an upper bound on what any study of that parameter is worth for this choice.

Every plan is scored on the same draws (:func:`probmodel.analysis.plans.score_plans`), so the
plans are compared under the same world.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from probmodel.analysis.smoothing import smooth
from probmodel.equations import Plan
from probmodel.errors import InvalidArgumentError, UnknownNameError, did_you_mean
from probmodel.progress import Progress, counter, stage, track

N_GROUPS = 100
"""Equal-count groups of a parameter's draws that the spline is fitted to: the fit's cost grows
as the cube of the points (one eigendecomposition), and with 40 draws per group of 4,000 it loses
nothing a smooth E[NB | phi] needs."""
N_BOOT_EVPI = 200
"""Bootstrap resamples for the Monte Carlo error of EVPI (cheap: no fits)."""
N_BOOT_EVPPI = 30
"""Bootstrap resamples (each refits the splines) for the Monte Carlo error of an EVPPI."""
SE_TOP = 10
"""Parameters (highest EVPPI first) whose Monte Carlo error :func:`voi_table` bootstraps; on the
4,000-draw seed-cotrain run with 3 plans each costs ~0.5 s (30 refits) on a loaded 2-core
machine, so ten take ~5 s."""
DEFAULT_PENALTY_USD = 1e9
"""Penalty for a missed deadline or target when no plan has a budget to scale it by [USD]."""


def missed(ds: xr.Dataset, plan: Plan, dims: Sequence[str] | None = None) -> np.ndarray:
    """1.0 in draws where ``plan`` misses its deadline or performance target, else 0.0.

    A deadline is missed when ``years > deadline_years``; a target when ``success_rate <
    performance_target``. A plan with neither never misses.
    """
    dims = tuple(dims or ds["years"].dims)
    years = np.asarray(ds["years"].transpose(*dims).values, dtype=float).ravel()
    out = np.zeros(years.size, dtype=bool)
    if plan.deadline_years is not None:
        out |= years > plan.deadline_years
    if plan.performance_target is not None:
        success = np.asarray(ds["success_rate"].transpose(*dims).values, dtype=float).ravel()
        out |= success < plan.performance_target
    return out.astype(float)


def net_benefit(
    scores: Mapping[str, xr.Dataset], plans: Mapping[str, Plan], penalty_usd: float
) -> np.ndarray:
    """Net benefit of each plan in each draw: ``-cost_net_usd - penalty_usd * missed`` [USD].

    Parameters
    ----------
    scores : mapping of plan name to Dataset
        Each plan's outcomes on the same draws (``cost_net_usd``, ``years``, ``success_rate``
        with dims such as ``chain``, ``draw``), e.g. ``score_plans(run, scenarios).sel(plan=...)``.
    plans : mapping of plan name to Plan
        The plans, with their deadlines and performance targets; columns follow its order.
    penalty_usd : float
        The dollar cost the decision maker puts on missing the deadline or the performance
        target (having to redo or top up the program, say) [USD]. ``0`` compares cost alone.

    Returns
    -------
    numpy.ndarray, shape (n_draws, n_plans)
    """
    if not isinstance(penalty_usd, (int, float)) or not math.isfinite(penalty_usd):
        raise InvalidArgumentError(f"penalty_usd = {penalty_usd!r}: must be a finite number.")
    if penalty_usd < 0:
        raise InvalidArgumentError(
            f"penalty_usd = {penalty_usd!r}: must be >= 0 (a cost put on missing the deadline "
            "or target)."
        )
    if not plans:
        raise InvalidArgumentError("plans is empty: a decision needs at least one plan.")
    if set(scores) != set(plans):
        raise InvalidArgumentError(
            f"scores has plans {sorted(scores)} but plans has {sorted(plans)}: they must match."
        )
    first = next(iter(plans))
    dims = scores[first]["cost_net_usd"].dims
    columns = []
    for name, plan in plans.items():
        ds = scores[name]
        for var in ("cost_net_usd", "years", "success_rate"):
            if var not in ds:
                raise InvalidArgumentError(
                    f"scores[{name!r}] has no {var!r}: score the plan first."
                )
        if dict(ds["cost_net_usd"].sizes) != dict(scores[first]["cost_net_usd"].sizes):
            raise InvalidArgumentError(
                f"scores[{name!r}] has draws {dict(ds['cost_net_usd'].sizes)}, "
                f"scores[{first!r}] {dict(scores[first]['cost_net_usd'].sizes)}: every plan "
                "must be scored on the same draws."
            )
        cost = np.asarray(ds["cost_net_usd"].transpose(*dims).values, dtype=float).ravel()
        columns.append(-cost - penalty_usd * missed(ds, plan, dims))
    return np.column_stack(columns)


def _check_nb(nb) -> np.ndarray:
    nb = np.asarray(nb, dtype=float)
    if nb.ndim != 2 or nb.shape[1] < 2:
        raise InvalidArgumentError(
            f"net benefit has shape {nb.shape}: expected (n_draws, n_plans) with at least two "
            "plans to choose between."
        )
    if nb.shape[0] < 2:
        raise InvalidArgumentError(f"net benefit has {nb.shape[0]} draws: need at least 2.")
    if not np.isfinite(nb).all():
        raise InvalidArgumentError(
            f"net benefit is not finite in {int((~np.isfinite(nb)).any(axis=1).sum())} draws."
        )
    return nb


def _names(names, n_plans: int) -> list[str]:
    if names is None:
        return [str(i) for i in range(n_plans)]
    names = [str(n) for n in names]
    if len(names) != n_plans:
        raise InvalidArgumentError(f"{len(names)} names for {n_plans} plans: give one per column.")
    return names


def _evpi_value(nb: np.ndarray) -> float:
    """``mean max - max mean``, computed as the mean regret of the current choice (the same
    number, but a sum of non-negative terms, so rounding cannot make it negative)."""
    chosen = int(np.argmax(nb.mean(axis=0)))
    return float(np.mean(nb.max(axis=1) - nb[:, chosen]))


def evpi(
    nb: np.ndarray,
    names: Sequence[str] | None = None,
    n_boot: int = N_BOOT_EVPI,
    seed: int = 0,
) -> dict[str, Any]:
    """Expected value of perfect information: ``mean_j max_d NB[j, d] - max_d mean_j NB[j, d]``.

    Parameters
    ----------
    nb : array, shape (n_draws, n_plans)
        Net benefit per draw and plan (:func:`net_benefit`) [USD].
    names : sequence of str, optional
        Plan names, one per column (default: column numbers).
    n_boot : int
        Bootstrap resamples of the draws for the Monte Carlo standard error (``0``: none).
        MCMC draws are autocorrelated, so the error is somewhat understated.
    seed : int

    Returns
    -------
    dict
        ``value`` and ``se`` [USD], ``chosen`` (the plan with the highest expected net benefit),
        ``expected_net_benefit`` and ``best_share`` (how often each plan is the best in a draw)
        per plan, ``n_draws``, ``n_boot`` and ``method``.
    """
    nb = _check_nb(nb)
    names = _names(names, nb.shape[1])
    if not isinstance(n_boot, int) or n_boot < 0 or n_boot == 1:
        raise InvalidArgumentError(f"n_boot = {n_boot!r}: must be 0 or an integer >= 2.")
    n = nb.shape[0]
    se = None
    if n_boot:
        rng = np.random.default_rng(seed)
        boot = [_evpi_value(nb[rng.integers(n, size=n)]) for _ in range(n_boot)]
        se = float(np.std(boot, ddof=1))
    means = nb.mean(axis=0)
    best = np.bincount(nb.argmax(axis=1), minlength=nb.shape[1]) / n
    return {
        "value": _evpi_value(nb),
        "se": se,
        "chosen": names[int(np.argmax(means))],
        "expected_net_benefit": {d: float(m) for d, m in zip(names, means, strict=True)},
        "best_share": {d: float(b) for d, b in zip(names, best, strict=True)},
        "n_draws": n,
        "n_boot": n_boot,
        "method": "Monte Carlo over the draws; standard error by bootstrap over draws",
    }


def _groups(phi: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equal-count groups of the sorted draws of ``phi``, never splitting equal values.

    Returns the group of each draw, each group's position on the empirical-CDF scale (0 to 1,
    strictly increasing) and its size. The spline works on that scale: a monotone transform leaves
    ``E[NB | phi]`` unchanged and spreads heavy-tailed draws evenly.
    """
    order = np.argsort(phi, kind="stable")
    _, first, counts = np.unique(phi[order], return_index=True, return_counts=True)
    n = phi.size
    if first.size <= n_groups:
        unique_group = np.arange(first.size)
    else:
        middle = np.cumsum(counts) - counts / 2.0  # mid-rank of each distinct value
        unique_group = np.floor(middle / n * n_groups).astype(int)
        unique_group = np.unique(unique_group, return_inverse=True)[1]
    sorted_group = np.repeat(unique_group, counts)
    group = np.empty(n, dtype=int)
    group[order] = sorted_group
    size = np.bincount(sorted_group).astype(float)
    position = (np.cumsum(size) - size / 2.0) / n
    return group, position, size


def _evppi_value(nb: np.ndarray, phi: np.ndarray, n_groups: int) -> float:
    """EVPPI before clipping: mean over draws of ``max(0, max_d g_d(phi))`` minus the current
    information's ``max(0, max_d mean(INB_d))``, with ``g_d`` the smoothing-spline fit of the
    incremental net benefit of plan ``d`` over the plan best under current information."""
    baseline = int(np.argmax(nb.mean(axis=0)))
    inb = np.delete(nb - nb[:, [baseline]], baseline, axis=1)
    group, position, size = _groups(phi, n_groups)
    mean = np.stack([np.bincount(group, weights=column) for column in inb.T], axis=1)
    mean /= size[:, None]
    fitted = mean.copy()  # too few distinct values to smooth: the group means are E[.|phi]
    scale = np.std(mean, axis=0)
    smoothable = (scale > 0) & np.isfinite(scale)
    if size.size >= 5 and smoothable.any():
        scaled = mean[:, smoothable] / scale[smoothable]
        fitted[:, smoothable] = smooth(position, scaled, size) * scale[smoothable]
    perfect = float(np.sum(size * np.maximum(fitted.max(axis=1), 0.0)) / phi.size)
    current = max(float(inb.mean(axis=0).max()), 0.0)
    return perfect - current


def evppi(
    nb: np.ndarray,
    parameter_draws: np.ndarray,
    n_boot: int = N_BOOT_EVPPI,
    seed: int = 0,
    n_groups: int = N_GROUPS,
) -> dict[str, Any]:
    """Expected value of partial perfect information about one parameter [USD].

    ``EVPPI = mean_j max_d g_d(phi_j) - max_d mean_j NB[j, d]`` with ``g_d(phi) = E[NB_d | phi]``
    estimated by regression (Strong, Oakley & Brennan 2014). The incremental net benefit of each
    plan over the plan chosen under current information, ``b``, is regressed on ``phi``: a
    smoothing spline reproduces constants, so ``mean_j g_b(phi_j) = max_d mean_j NB[j, d]`` and
    ``EVPPI = mean_j max(0, max_d (g_d - g_b)(phi_j))``; one fit fewer, and the same as fitting
    every plan with a common smoothing. The regression is the penalized cubic smoothing spline of
    :func:`scipy.interpolate.make_smoothing_spline` with its GCV smoothing, computed for all plans
    at once (:func:`probmodel.analysis.smoothing.smooth`), fitted to the means of ``n_groups`` equal-count groups of the sorted draws
    (weighted by group size; equal values of ``phi`` always share a group, which handles ties)
    on the empirical-CDF scale of ``phi``.

    The estimate is biased upwards by the noise in the fit (a parameter with no effect can score
    a little above zero when the plans are close); by Jensen's inequality it is never below zero
    except by rounding, and it is clipped there (``raw`` keeps the unclipped value).

    Parameters
    ----------
    nb : array, shape (n_draws, n_plans)
        Net benefit per draw and plan [USD].
    parameter_draws : array, shape (n_draws,)
        The parameter's value in the same draws.
    n_boot : int
        Bootstrap resamples of the draws, each refitting the splines, for the Monte Carlo
        standard error (``0``: none). ~15 ms each with 3 plans and 100 groups.
    seed : int
    n_groups : int
        Groups the draws are averaged into before the spline fit (at least 5).

    Returns
    -------
    dict
        ``value`` (clipped at 0), ``raw``, ``clipped``, ``se`` (``None`` without bootstrap),
        ``n_boot``, ``n_groups`` and ``method``.
    """
    nb = _check_nb(nb)
    phi = np.asarray(parameter_draws, dtype=float).ravel()
    if phi.size != nb.shape[0]:
        raise InvalidArgumentError(
            f"parameter_draws has {phi.size} draws, net benefit {nb.shape[0]}: they must be the "
            "same draws."
        )
    if not np.isfinite(phi).all():
        raise InvalidArgumentError("parameter_draws has non-finite values.")
    if not isinstance(n_boot, int) or n_boot < 0 or n_boot == 1:
        raise InvalidArgumentError(f"n_boot = {n_boot!r}: must be 0 or an integer >= 2.")
    if not isinstance(n_groups, int) or n_groups < 5:
        raise InvalidArgumentError(f"n_groups = {n_groups!r}: must be an integer >= 5.")
    raw = _evppi_value(nb, phi, n_groups)
    se = None
    if n_boot:
        rng = np.random.default_rng(seed)
        n = phi.size
        boot = []
        for _ in range(n_boot):
            idx = rng.integers(n, size=n)
            boot.append(_evppi_value(nb[idx], phi[idx], n_groups))
        se = float(np.std(boot, ddof=1))
    return {
        "value": max(raw, 0.0),
        "raw": raw,
        "clipped": raw < 0,
        "se": se,
        "n_boot": n_boot,
        "n_groups": n_groups,
        "method": (
            "regression (Strong, Oakley & Brennan 2014): incremental net benefit over the "
            "current choice regressed on the parameter with a GCV smoothing spline "
            f"(the spline of scipy's make_smoothing_spline) on {n_groups} equal-count groups of draws; "
            + (f"standard error by bootstrap ({n_boot} refits)" if n_boot else "no standard error")
        ),
    }


def join_names(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _explain(parameter: str, value: float, se: float | None, plans: Sequence[str]) -> str:
    """One line of plain English for a parameter's EVPPI."""
    from probmodel.formatting import fmt_usd

    head = f"Knowing {parameter} before choosing between {join_names(plans)}"
    if value <= 0:
        return f"{head} is worth nothing: whatever its value, the same plan stays best on average."
    error = f" (± {fmt_usd(se)} Monte Carlo error)" if se is not None else ""
    text = f"{head} is worth up to {fmt_usd(value)}{error}"
    if se is not None and value < 2 * se:
        text += ", not clearly more than nothing"
    return text + "."


def voi_table(
    run,
    scenarios: Sequence,
    penalty_usd: float,
    parameters: Sequence[str] | None = None,
    top: int | None = None,
    seed: int = 0,
    *,
    se_top: int | None = SE_TOP,
    n_boot: int = N_BOOT_EVPPI,
    scores=None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """EVPI of the choice between the scenarios' plans, and the EVPPI of every sampled parameter.

    The plans are scored on ``run``'s posterior draws (only their plans: prior overrides of a
    scenario would need their own run). EVPPIs are computed for every parameter (point
    estimates are cheap) and sorted, largest first; the bootstrap Monte Carlo error, which refits
    the splines ``n_boot`` times, only for the first ``se_top`` (the others get ``se = None``):
    measured on the 4,000-draw seed-cotrain run with 3 plans (2 shared cores), ~3 s for all 43
    point estimates and ~2 s per bootstrapped parameter: ~23 s with the default ``se_top``.

    Parameters
    ----------
    run : Run
        A fitted run; its posterior draws are the uncertainty.
    scenarios : sequence of Scenario
        At least two, with distinct names: the plans to choose between.
    penalty_usd : float
        Dollar cost put on missing a plan's deadline or performance target (:func:`net_benefit`).
    parameters : sequence of str, optional
        Parameters to value (default: every sampled world parameter and the new-deployment
        exponents).
    top : int, optional
        Return only the ``top`` parameters with the highest EVPPI (default: all).
    seed : int
        Seeds the bootstraps.
    se_top : int or None
        How many of the highest-EVPPI parameters get a bootstrap standard error (``None``: all).
    n_boot : int
        Bootstrap resamples per EVPPI standard error.
    scores : xarray.Dataset, optional
        The plans already scored on this run (:func:`probmodel.analysis.plans.score_plans`);
        reused rather than scored again.
    progress : callable, optional
        ``progress(step, done, total)`` as the plans are scored, after each parameter's EVPPI
        and after each bootstrapped error (:mod:`probmodel.progress`).

    Returns
    -------
    dict
        JSON-able: ``plans``, ``penalty_usd``, ``evpi`` (see :func:`evpi`), per plan
        ``p_missed`` and ``expected_cost_net_usd``, ``evppi`` (rows of ``parameter``,
        ``evppi``, ``raw``, ``se``, ``share_of_evpi``, ``explanation``, ``method``; largest
        first), ``se_for``, ``method`` and ``notes``.
    """
    from probmodel.analysis.plans import score_plans
    from probmodel.analysis.sensitivity import sampled_parameters

    scenarios = list(scenarios)
    names = [s.name for s in scenarios]
    if len(scenarios) < 2:
        raise InvalidArgumentError(
            f"{len(scenarios)} scenario(s) ({', '.join(names) or 'none'}): choosing needs at "
            "least two plans."
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidArgumentError(f"scenario {duplicates[0]!r} is given twice: name each once.")
    for label, value in (("top", top), ("se_top", se_top)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InvalidArgumentError(f"{label} = {value!r}: must be a non-negative integer.")
    posterior = run.tree["posterior"].to_dataset()
    available = sampled_parameters(posterior)
    if parameters is None:
        chosen_parameters = available
    else:
        chosen_parameters = list(parameters)
        for name in chosen_parameters:
            if name not in available:
                raise UnknownNameError(
                    f"parameter {name!r} is not sampled in this run.{did_you_mean(name, available)}"
                )
    try:
        with stage(progress, f"scoring {len(scenarios)} plans on the draws"):
            scores = score_plans(run, scenarios, scores)
    except KeyError as err:
        raise InvalidArgumentError(
            f"world parameter {err.args[0]!r} is neither in the run's draws nor fixed: re-sample "
            "a run saved before the parameter existed."
        ) from None
    by_plan = {n: scores.sel(plan=n) for n in names}
    plans = {s.name: s.plan for s in scenarios}
    nb = net_benefit(by_plan, plans, penalty_usd)
    dims = by_plan[names[0]]["cost_net_usd"].dims
    perfect = evpi(nb, names, seed=seed)

    rows = []
    for name in track(progress, "EVPPI per parameter", chosen_parameters):
        phi = np.asarray(posterior[name].transpose(*dims).values, dtype=float).ravel()
        if np.ptp(phi) == 0:
            continue  # constant in the draws: learning it teaches nothing
        rows.append({"parameter": name, **evppi(nb, phi, n_boot=0, seed=seed)})
    rows.sort(key=lambda r: -r["value"])
    if top is not None:
        rows = rows[:top]
    se_for = [r["parameter"] for r in rows[:se_top]]
    out_rows = []
    advance = counter(progress, f"Monte Carlo error of the top {len(se_for)} (bootstrap)",
                      len(se_for))  # fmt: skip
    for k, row in enumerate(rows):
        if row["parameter"] in se_for:
            phi = np.asarray(posterior[row["parameter"]].transpose(*dims).values).ravel()
            boot = evppi(nb, phi, n_boot=n_boot, seed=seed + 1 + k)
            row = {"parameter": row["parameter"], **boot}
            advance()
        out_rows.append(
            {
                "parameter": row["parameter"],
                "evppi": row["value"],
                "raw": row["raw"],
                "se": row["se"],
                "share_of_evpi": row["value"] / perfect["value"] if perfect["value"] > 0 else None,
                "explanation": _explain(row["parameter"], row["value"], row["se"], names),
                "method": row["method"],
            }
        )
    if not se_for:
        advance(1)  # nothing to bootstrap: the step is done
    p_missed = {n: float(missed(by_plan[n], plans[n], dims).mean()) for n in names}
    cost = {n: float(by_plan[n]["cost_net_usd"].mean()) for n in names}
    notes = [
        "EVPPI is an upper bound on what any study of the parameter is worth for this choice; "
        "the regression estimate is biased slightly upwards when plans are close.",
    ]
    if len(se_for) < len(out_rows):
        notes.append(
            f"Monte Carlo errors are bootstrapped ({n_boot} refits of the splines each) for the "
            f"{len(se_for)} parameters with the highest EVPPI only, to keep the run time down."
        )
    return {
        "run": run.name,
        "plans": names,
        "penalty_usd": float(penalty_usd),
        "n_draws": int(nb.shape[0]),
        "evpi": perfect,
        "p_missed": p_missed,
        "expected_cost_net_usd": cost,
        "evppi": out_rows,
        "se_for": se_for,
        "method": (
            "EVPI and EVPPI of the choice between the plans, net benefit = -(net cost) - penalty x "
            "missed deadline or target. EVPPI by regression (Strong, Oakley & Brennan 2014): each "
            "plan's incremental net benefit regressed on the parameter with a GCV smoothing spline "
            f"(scipy) over {N_GROUPS} equal-count groups of the {nb.shape[0]:,} draws; Monte Carlo "
            f"errors by bootstrap ({n_boot} refits) for the {len(se_for)} highest."
        ),
        "notes": notes,
    }


def default_penalty(plans: Sequence[Plan]) -> tuple[float, str]:
    """The largest budget among the plans, or :data:`DEFAULT_PENALTY_USD`; with the reason."""
    budgets = [p.budget_usd for p in plans if p.budget_usd is not None]
    if budgets:
        return float(max(budgets)), "the largest budget among the plans"
    return DEFAULT_PENALTY_USD, "no plan has a budget; default"


