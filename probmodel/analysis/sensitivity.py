"""Which world parameters drive an outcome: a one-at-a-time tornado and a variance-based ranking.

Both work on posterior draws and score any plan with the shared outcome equations (no re-sampling):

* :func:`tornado` moves one parameter at a time from its posterior P10 to its P90 with every other
  parameter at its posterior median. It shows the direction and size of each effect in the
  outcome's own unit, but ignores correlations between parameters and interactions.
* :func:`variance_ranking` asks how much of the outcome's posterior variance would go if one
  parameter were known exactly (first-order Sobol index ``S1 = Var(E[Y | X_i]) / Var(Y)``), and how
  much its whole distribution would move (Borgonovo's delta), both estimated from the posterior
  draws as given (SALib's given-data ``delta`` analyzer, Plischke, Borgonovo & Smith 2013). The
  conditioning is on the posterior, so a parameter correlated with an influential one shares its
  credit, and the ``S1`` of all parameters can add up to more than 1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from probmodel.constants import DEFAULT_SEED
from probmodel.equations import (
    COST_COMPONENTS,
    NEW_DEPLOYMENT,
    OUTCOMES,
    WORLD_PARAMETERS,
    Plan,
    population_of,
)
from probmodel.errors import InvalidArgumentError, UnknownNameError, did_you_mean
from probmodel.evaluate import draws_outcomes
from probmodel.progress import Progress, stage, track

DEFAULT_OUTCOME = "cost_total_usd"
MIN_DRAWS = 200
"""Fewest draws the given-data estimators accept (SALib needs at least 10 draws in each of ~10
bins of every parameter)."""
DELTA_DRAWS = 2000
"""Draws (evenly thinned) used for Borgonovo's delta. Each delta needs a density estimate of the
outcome in every bin of every bootstrap resample: measured on the 4,000-draw seed-cotrain run with
43 parameters (2 shared cores), all 4,000 draws take ~1.2 s per parameter (~50 s), 2,000 draws
~0.35 s (~15 s)."""
DELTA_RESAMPLES = 20
"""Bootstrap resamples for delta's confidence interval (S1's are cheap: ``num_resamples``)."""


def outcome_names() -> list[str]:
    """Outcomes a sensitivity analysis can explain: the scalar outcomes and ``cost_<component>``."""
    return [*OUTCOMES, *(f"cost_{c}" for c in COST_COMPONENTS)]


def sampled_parameters(posterior: xr.Dataset) -> list[str]:
    """World parameters and new-deployment exponents present in the draws, in model order."""
    return [n for n in (*WORLD_PARAMETERS, *NEW_DEPLOYMENT) if n in posterior]


def outcome_values(outcomes: xr.Dataset, outcome: str, dims: tuple[str, ...]) -> np.ndarray:
    """The draws of ``outcome`` from an outcome Dataset, flattened in ``dims`` order."""
    if outcome.startswith("cost_") and outcome[5:] in COST_COMPONENTS:
        da = outcomes["cost"].sel(cost_component=outcome[5:])
    else:
        da = outcomes[outcome]
    return np.asarray(da.transpose(*dims).values, dtype=float).ravel()


def evaluate(
    parameters: xr.Dataset, plan: Plan, constants: Mapping[str, float] | None
) -> xr.Dataset:
    """:func:`probmodel.evaluate.draws_outcomes`, with a clear error for a missing parameter."""
    try:
        return draws_outcomes(parameters, plan, constants)
    except KeyError as err:
        raise InvalidArgumentError(
            f"world parameter {err.args[0]!r} is neither in the draws nor in constants: pass the "
            "run's fixed parameters (probmodel.analysis.plans.run.constants), or re-sample a "
            "run saved before the parameter existed."
        ) from None


def _check_inputs(posterior, plan, outcome: str) -> list[str]:
    if not isinstance(posterior, xr.Dataset):
        raise InvalidArgumentError(
            f"posterior = {type(posterior).__name__}: expected an xarray.Dataset of draws "
            "(run.tree['posterior'].to_dataset())."
        )
    if not isinstance(plan, Plan):
        raise InvalidArgumentError(f"plan = {type(plan).__name__}: expected a probmodel Plan.")
    allowed = outcome_names()
    if outcome not in allowed:
        raise UnknownNameError(
            f"outcome {outcome!r} is not an outcome.{did_you_mean(outcome, allowed)} "
            f"Allowed: {', '.join(allowed)}."
        )
    if outcome == "capex_saved_usd" and plan.baseline_fleet is None:
        raise InvalidArgumentError(
            "outcome 'capex_saved_usd' needs a plan with baseline_fleet; this plan has none."
        )
    names = sampled_parameters(posterior)
    if not names:
        raise InvalidArgumentError(
            "posterior has no world-parameter draws: expected variables such as "
            f"{', '.join(list(WORLD_PARAMETERS)[:3])}."
        )
    for name in names:
        if posterior[name].ndim < 1:
            raise InvalidArgumentError(
                f"{name} is a scalar, not draws: expected dims (chain, draw)."
            )
    return names


def tornado(
    posterior: xr.Dataset,
    plan: Plan,
    outcome: str,
    constants: Mapping[str, float] | None = None,
    low: float = 0.1,
    high: float = 0.9,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """One-at-a-time swings of ``outcome`` as each parameter goes from its P10 to its P90.

    Every parameter sits at its posterior median except the one being moved, which takes its
    posterior ``low`` and then ``high`` quantile. The swing ``|outcome_at_high - outcome_at_low|``
    is in the outcome's unit. Correlations between parameters and interactions are ignored (see
    :func:`variance_ranking` for a ranking that keeps them).

    The outcome equations read the new-deployment exponents (``data_exponent_new``,
    ``diversity_exponent_new``), not their populations' mean and sd; when the draws hold the
    ``*_new`` exponents those are moved directly and the four population rows are left out (moving
    a population mean with the deployment's own exponent held at its median changes nothing, and a
    zero swing would read as "the exponent does not matter"). Without ``*_new`` draws the
    equations use the population means, so those rows stay.

    Parameters
    ----------
    posterior : xarray.Dataset
        World-parameter draws (dims ``chain``, ``draw``), e.g. ``run.tree["posterior"]``.
    plan : Plan
        The plan to score.
    outcome : str
        A scalar outcome (:data:`probmodel.equations.OUTCOMES`) or ``cost_<component>``.
    constants : mapping, optional
        World parameters held fixed (not in the draws): ``run.constants``.
    low, high : float
        Posterior quantiles of the moved parameter (default P10 and P90).
    progress : callable, optional
        ``progress(step, done, total)`` (:mod:`probmodel.progress`); one step, milliseconds.

    Returns
    -------
    list of dict
        Per parameter: ``parameter``, ``value_low``, ``value_high``, ``outcome_at_low``,
        ``outcome_at_high``, ``base`` (every parameter at its median) and ``swing``; largest swing
        first.
    """
    names = _check_inputs(posterior, plan, outcome)
    for label, q in (("low", low), ("high", high)):
        if not (isinstance(q, (int, float)) and 0.0 <= q <= 1.0):
            raise InvalidArgumentError(f"{label} = {q!r}: must be a quantile in [0, 1].")
    if not low < high:
        raise InvalidArgumentError(f"low = {low!r}, high = {high!r}: low must be below high.")
    populations = {p for new in NEW_DEPLOYMENT if new in names for p in population_of(new)}
    moved = [n for n in names if n not in populations]
    quantiles = {
        n: np.quantile(np.asarray(posterior[n].values, dtype=float).ravel(), [0.5, low, high])
        for n in names
    }
    cases = 1 + 2 * len(moved)  # case 0: all at medians; then (low, high) for each moved one
    columns = {n: np.full(cases, quantiles[n][0]) for n in names}
    for k, name in enumerate(moved):
        columns[name][1 + 2 * k] = quantiles[name][1]
        columns[name][2 + 2 * k] = quantiles[name][2]
    cases_ds = xr.Dataset({n: ("case", v) for n, v in columns.items()})
    with stage(progress, f"tornado of {outcome}"):
        y = outcome_values(evaluate(cases_ds, plan, constants), outcome, ("case",))
    rows = []
    for k, name in enumerate(moved):
        at_low, at_high = float(y[1 + 2 * k]), float(y[2 + 2 * k])
        rows.append(
            {
                "parameter": name,
                "value_low": float(quantiles[name][1]),
                "value_high": float(quantiles[name][2]),
                "outcome_at_low": at_low,
                "outcome_at_high": at_high,
                "base": float(y[0]),
                "swing": abs(at_high - at_low),
            }
        )
    rows.sort(key=lambda r: -r["swing"] if math.isfinite(r["swing"]) else math.inf)
    return rows


def _salib_partition(n: int) -> np.ndarray:
    """SALib 1.6's equal-frequency partition of ``n`` ranked draws for S1 (``delta.analyze``)."""
    exponent = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    bins = int(np.round(min(int(np.ceil(n**exponent)), 48)))
    return np.linspace(0, n, bins + 1)


def variance_shares(
    X: np.ndarray,
    Y: np.ndarray,
    names: list[str],
    seed: int = DEFAULT_SEED,
    num_resamples: int = 100,
    delta_draws: int | None = DELTA_DRAWS,
    delta_resamples: int = DELTA_RESAMPLES,
    conf_level: float = 0.95,
    with_delta: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """First-order Sobol indices and Borgonovo deltas of ``Y`` from given samples ``X``.

    The engine of :func:`variance_ranking`, on plain arrays (any model, any sampler). ``S1`` is
    SALib's given-data estimator (between-bin variance of ``Y`` over ~16 equal-frequency bins of
    ``X_i``) on every row, with SALib's bootstrap interval; binning makes it slightly low for a
    dominant smooth effect (~0.03 at S1 = 0.7 with 2,000 draws). ``delta`` uses ``delta_draws``
    evenly thinned rows (``None``: all), because its density estimates are the slow part. SALib's delta analyzer reports several deltas; this
    keeps the ``raw`` one, which resamples the draws as given (the posterior), not re-balanced
    across each parameter's range.

    Parameters
    ----------
    X : array, shape (n_draws, n_parameters)
    Y : array, shape (n_draws,)
    names : list of str
        One per column of ``X``. Columns that are constant are skipped (listed in ``skipped``).
    seed : int
        Seeds SALib's bootstrap (the global NumPy generator, whose state is restored after).
    num_resamples, delta_resamples : int
        Bootstrap resamples for the confidence intervals of ``S1`` and of ``delta``.
    conf_level : float
        Confidence level of the intervals, reported as half-widths (``S1_conf``, ``delta_conf``).
    with_delta : bool
        Compute Borgonovo's delta (~95% of the time); without it ``delta``, ``delta_conf`` and
        ``delta_draws`` are ``None``.
    progress : callable, optional
        Called as ``progress(step, done, total)`` after each parameter's bootstrap
        (:mod:`probmodel.progress`).

    Returns
    -------
    dict
        ``rows`` (``parameter``, ``S1``, ``S1_conf``, ``delta``, ``delta_conf``, SALib's names:
        ``*_conf`` are confidence-interval half-widths; largest ``S1`` first), ``noise_floor`` (the same four numbers for a made-up input with no effect: rows
        near it are indistinguishable from none), ``skipped``, ``n_draws``, ``delta_draws``,
        ``num_resamples``, ``delta_resamples``, ``conf_level``, ``s1_sum`` and ``method``.
    """
    from SALib.analyze import delta as salib_delta

    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != Y.size or X.shape[1] != len(names):
        raise InvalidArgumentError(
            f"X has shape {X.shape}, Y {Y.shape} and there are {len(names)} names: expected X of "
            "shape (n_draws, n_names) and Y of n_draws."
        )
    if Y.size < MIN_DRAWS:
        raise InvalidArgumentError(
            f"{Y.size} draws: the given-data estimators need at least {MIN_DRAWS}."
        )
    for label, value in (("num_resamples", num_resamples), ("delta_resamples", delta_resamples)):
        if not isinstance(value, int) or value < 2:
            raise InvalidArgumentError(f"{label} = {value!r}: must be an integer of at least 2.")
    if delta_draws is not None and (not isinstance(delta_draws, int) or delta_draws < MIN_DRAWS):
        raise InvalidArgumentError(
            f"delta_draws = {delta_draws!r}: must be None (all) or an integer >= {MIN_DRAWS}."
        )
    if not 0 < conf_level < 1:
        raise InvalidArgumentError(f"conf_level = {conf_level!r}: must be in (0, 1).")
    bad = ~np.isfinite(Y) | ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise InvalidArgumentError(
            f"{int(bad.sum())} of {Y.size} draws have a non-finite outcome or parameter."
        )
    if np.ptp(Y) == 0:
        raise InvalidArgumentError(
            f"the outcome is {Y[0]!r} in every draw: there is no variance to explain."
        )
    varied = [i for i in range(X.shape[1]) if np.ptp(X[:, i]) > 0]
    skipped = [names[i] for i in range(X.shape[1]) if i not in varied]
    # A made-up input with no effect (a "dummy parameter") shows the estimators' noise floor:
    # with a few thousand draws an irrelevant parameter still scores S1 ~ 0.005 and delta ~ 0.1.
    dummy = np.random.default_rng(seed).uniform(size=Y.size)
    Xv = np.column_stack([X[:, varied], dummy])
    thin = np.arange(Y.size)
    if delta_draws is not None and Y.size > delta_draws:
        thin = np.unique(np.linspace(0, Y.size - 1, delta_draws).round().astype(int))
    state, formatter = np.random.get_state(), warnings.formatwarning
    try:
        # SALib seeds and draws from NumPy's global generator and resets warning filters and
        # formatting: keep all of it local to this call.
        with warnings.catch_warnings(record=True):
            np.random.seed(seed)
            # One column at a time, so progress can be reported: SALib draws each column's
            # bootstrap from the global generator in column order, so the numbers are those of
            # one call on all columns.
            s1_conf = s1_bootstrap_half_widths(
                Xv, Y, num_resamples, conf_level, progress, "S1 bootstrap per parameter"
            )
            if with_delta:
                moment_free = _by_column(
                    salib_delta, Xv[thin], Y[thin], progress, "Borgonovo delta per parameter",
                    num_resamples=delta_resamples, conf_level=conf_level, method="delta",
                )  # fmt: skip
            else:
                none = [None] * Xv.shape[1]
                moment_free = {"delta_raw": none, "delta_raw_conf": none}
    finally:
        np.random.set_state(state)
        warnings.formatwarning = formatter
    # SALib's analyze takes the S1 point estimate from one bootstrap resample of the draws, which
    # adds as much noise again as its interval shows; the same estimator on all draws has none.
    partition = _salib_partition(Y.size)
    s1 = [float(salib_delta.sobol_first(Y, Xv[:, k], partition)) for k in range(Xv.shape[1])]
    rows = []
    for k, i in enumerate(varied):
        rows.append(
            {
                "parameter": names[i],
                "S1": s1[k],
                "S1_conf": s1_conf[k],
                "delta": _maybe_float(moment_free["delta_raw"][k]),
                "delta_conf": _maybe_float(moment_free["delta_raw_conf"][k]),
            }
        )
    rows.sort(key=lambda r: -r["S1"] if math.isfinite(r["S1"]) else math.inf)
    k = len(varied)
    noise_floor = {
        "S1": s1[k],
        "S1_conf": s1_conf[k],
        "delta": _maybe_float(moment_free["delta_raw"][k]),
        "delta_conf": _maybe_float(moment_free["delta_raw_conf"][k]),
    }
    return {
        "method": (
            "SALib delta analyzer on given data: first-order Sobol S1 = Var(E[Y|X_i])/Var(Y) "
            "(equal-frequency bins of X_i)"
            + (" and Borgonovo's delta (bias-reduced, 'raw' resampling)" if with_delta else "")
            + f"; ± = {conf_level:.0%} bootstrap half-widths"
        ),
        "n_draws": int(Y.size),
        "delta_draws": int(thin.size) if with_delta else None,
        "num_resamples": num_resamples,
        "delta_resamples": delta_resamples,
        "conf_level": conf_level,
        "skipped": skipped,
        "noise_floor": noise_floor,
        "s1_sum": float(np.nansum([r["S1"] for r in rows])),
        "rows": rows,
    }


def s1_bootstrap_half_widths(
    X: np.ndarray,
    Y: np.ndarray,
    num_resamples: int,
    conf_level: float,
    progress: Progress | None = None,
    step: str = "S1 bootstrap per parameter",
) -> list[float]:
    """SALib's bootstrap half-width of ``S1`` for each column of ``X``: ``delta.analyze(...,
    method="sobol")["S1_conf"]``, column by column, with the same draws from NumPy's global
    generator in the same order, so the numbers are SALib's (to rounding) and whatever SALib draws
    next is unchanged.

    Why not SALib's own: it evaluates ``sobol_first`` once per resample in a Python loop (100
    ranks and bin means of 4,000 draws per parameter), 2.4 s of the ~11.5 s report of
    seed-cotrain; here each parameter's resamples are ranked and binned at once
    (:func:`_s1_of_rows`): 4.5x faster (``bench/s1_bootstrap.py``).
    """
    from scipy.stats import norm

    n = Y.size
    partition = _salib_partition(n)
    z = float(norm.ppf(0.5 + conf_level / 2))
    out = []
    for k in track(progress, step, range(X.shape[1])):
        np.random.randint(n, size=n)  # SALib's one-resample point estimate (not used: see S1)
        resample = np.random.choice(n, size=(num_resamples, n), replace=True)
        dense = np.unique(X[:, k], return_inverse=True)[1].ravel()
        codes = dense.astype(np.int16 if dense.max(initial=0) < 2**15 else np.int64)
        s1 = _s1_of_rows(Y[resample], codes[resample], partition)
        out.append(z * float(s1.std(ddof=1)))
    return out


def _s1_of_rows(Y: np.ndarray, codes: np.ndarray, partition: np.ndarray) -> np.ndarray:
    """SALib's ``sobol_first(Y[i], X[i], partition)`` for every row ``i`` of ``(rows, draws)``
    arrays, ``X`` given by ``codes``, its dense ranks (any integers ordered as ``X``; ties equal):
    the between-bin variance of ``Y`` over bins of ``X``'s ordinal ranks (ties in order of
    appearance, as SALib's ``rankdata``), ``(partition[j], partition[j + 1]]``, over ``Var(Y)``;
    0 for a constant row. A stable sort of small integers is a radix sort (~13x faster than
    sorting the floats, the same order), and each bin is a run of sorted positions."""
    rows, n = Y.shape
    order = np.argsort(codes, axis=1, kind="stable")
    ordered = np.take_along_axis(Y, order, axis=1)
    bin_of = np.searchsorted(partition, np.arange(1, n + 1), side="left") - 1
    starts = np.flatnonzero(np.r_[True, np.diff(bin_of) != 0])
    counts = np.diff(np.r_[starts, n])
    if starts.size < partition.size - 1:  # an empty bin: SALib's mean of nothing
        return np.full(rows, np.nan)
    sums = np.add.reduceat(ordered, starts, axis=1)
    between = ((counts / n) * (sums / counts - Y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = between / Y.var(axis=1)
    return np.where(np.ptp(Y, axis=1) == 0, 0.0, s1)


def _by_column(salib_delta, X, Y, progress, step, **options) -> dict[str, list]:
    """SALib's ``delta.analyze`` on each column of ``X`` in turn (the same draws from the global
    generator as one call on all columns), reporting ``step`` after each; lists per key."""
    out: dict[str, list] = {}
    for k in track(progress, step, range(X.shape[1])):
        # SALib refuses names ending in _step, _raw, _conf (tokens_per_step): a neutral name.
        one = salib_delta.analyze({"num_vars": 1, "names": ["x0"]}, X[:, [k]], Y, **options)
        for key in ("S1_conf", "delta_raw", "delta_raw_conf"):
            if key in one:
                out.setdefault(key, []).append(one[key][0])
    return out


def _maybe_float(value) -> float | None:
    """A SALib number as a float; ``None`` (not computed) stays ``None``, so JSON has no NaN."""
    return None if value is None else float(value)


def variance_ranking(
    posterior: xr.Dataset,
    plan: Plan,
    outcome: str,
    constants: Mapping[str, float] | None = None,
    seed: int = DEFAULT_SEED,
    num_resamples: int = 100,
    delta_draws: int | None = DELTA_DRAWS,
    delta_resamples: int = DELTA_RESAMPLES,
    with_delta: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Rank parameters by the share of the outcome's posterior variance each one explains.

    ``S1`` of a parameter is the expected share of the outcome's variance that would go if the
    parameter were known exactly, with the other parameters still uncertain as the posterior says
    (so correlated parameters share credit). ``delta`` (0 to 1, only with ``with_delta``: it costs
    twenty times as much) is Borgonovo's moment-independent importance: the expected shift of the outcome's whole distribution, which also catches
    parameters that move its tails rather than its variance. Both come from the posterior draws as
    given (:func:`variance_shares`); a heavy-tailed outcome makes ``S1`` noisy (see its interval).

    Parameters
    ----------
    posterior : xarray.Dataset
        Draws of the world parameters (dims ``chain``, ``draw``).
    plan : Plan
        The plan to score on the draws.
    outcome : str
        A scalar outcome or ``cost_<component>``.
    constants : mapping, optional
        World parameters held fixed (``run.constants``).
    seed, num_resamples, delta_draws, delta_resamples, with_delta
        See :func:`variance_shares`. Measured on the 4,000-draw seed-cotrain run (58
        parameters, 2 cores with a test suite running beside): ``S1`` with 100 resamples 4.5 s;
        with ``delta`` on 2,000 thinned draws and 20 resamples 92 s.
    progress : callable, optional
        ``progress(step, done, total)``, called as the draws are scored and after each
        parameter's bootstrap (:mod:`probmodel.progress`).

    Returns
    -------
    dict
        :func:`variance_shares`'s result plus ``outcome``.
    """
    names = _check_inputs(posterior, plan, outcome)
    dims = posterior[names[0]].dims
    X = np.column_stack(
        [np.asarray(posterior[n].transpose(*dims).values, dtype=float).ravel() for n in names]
    )
    with stage(progress, f"scoring {outcome} on the draws"):
        Y = outcome_values(evaluate(posterior[names], plan, constants), outcome, dims)
    result = variance_shares(
        X, Y, names, seed=seed, num_resamples=num_resamples, delta_draws=delta_draws,
        delta_resamples=delta_resamples, with_delta=with_delta, progress=progress,
    )  # fmt: skip
    return {"outcome": outcome, **result}


