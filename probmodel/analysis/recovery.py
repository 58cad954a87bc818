"""Parameter recovery: evidence simulated from known parameter values is recovered by the fit.

The known values are joint prior draws and the evidence is simulated from them by the model's own
likelihood (the prior predictive), as in simulation-based calibration (Talts et al. 2018,
arXiv 1804.06788). If inference is right, a posterior ``mass`` interval then contains the known
value with probability exactly ``mass``, averaged over simulations: coverage far below nominal means
overconfident (or biased) posteriors, coverage far above it means posteriors too wide. Because the
known values come from the prior, a fit that ignored the evidence would also cover at the nominal
rate; that the evidence is *used* shows in the contraction (posterior sd / prior sd) this module
reports too, and in the coverage of posteriors paired with another simulation's known values
(``mismatched``), which falls well below nominal when the posteriors depend on their data.

The model is built and compiled once; each simulation swaps its observations into the
``<var>_observed`` data containers of the compiled model (``CompiledModel.with_data``) and samples
again with nutpie.

**Clipping.** A Beta draw of a curve score can be exactly 0 or 1 in floating point, where the Beta
likelihood is -inf (the prior lets a study's success approach 1e-4 or 1 - 1e-4 with a precision of
hundreds). Simulated scores are therefore clipped into :data:`SIMULATED_SCORE_CLIP`, just inside
(0, 1), and the number of clipped points is reported (``clipped_points``). Real scores are clipped
into :data:`probmodel.evidence.SCORE_CLIP` = (0.005, 0.995) instead; used on simulated
scores, that wider clip moves ~5% of them (in ~40% of simulations with Lin et al.-like x ranges)
far from the values the model generated, and the curve exponents of those simulations were
covered only ~77-81% of the time by their 90% intervals (400 simulations; 91-92% without
clipped points). No shipped curve record has a score at 0 or at its ``score_max``, so real data
are not affected; pass ``score_clip=SCORE_CLIP`` to see the effect.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from probmodel.analysis.calibration import SIMULATED_SCORE_CLIP, simulate_evidence
from probmodel.errors import InvalidArgumentError
from probmodel.specs.scenario import Scenario

DEFAULT_PARAMETERS = (
    "data_exponent_mean",
    "diversity_exponent_mean",
    "sim_transfer",
    "unit_cost_usd",
    "study_exponent",
)
"""World parameters the evidence kinds inform, and the study exponents of the curve records (each
element of a vector variable is checked as a parameter of its own)."""

PRIOR_SD_DRAWS = 1000
"""Prior draws used for each parameter's prior sd (the denominator of the contraction)."""


def recovery_coverage(
    scenario: Scenario,
    records: Sequence,
    n_sims: int = 40,
    parameters: Sequence[str] = DEFAULT_PARAMETERS,
    mass: float = 0.9,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
    target_accept: float = 0.99,
    score_clip: tuple[float, float] = SIMULATED_SCORE_CLIP,
) -> dict[str, Any]:
    """Simulate evidence from known (prior-drawn) parameter values, fit it, check the intervals.

    Parameters
    ----------
    scenario : Scenario
        World priors and plan (e.g. ``load_scenario("seed-cotrain")``).
    records : sequence of evidence records
        Their kinds, x values, uncertainties and confidence tags define what is simulated; their
        observed values are replaced by simulated ones.
    n_sims : int
        Number of simulated evidence sets, each fitted once.
    parameters : sequence of str
        Model variables to check; vector variables (``study_exponent``) are checked element by
        element, labelled ``"study_exponent[<study>:<axis>]"``.
    mass : float
        Probability of the equal-tailed posterior interval.
    draws, tune, chains, seed, target_accept
        nutpie settings; simulation ``i`` samples with seed ``seed + 1 + i``. Prior draws give
        regimes the shipped evidence does not (near-flat or saturated curves, a sharply measured
        study exponent with a loose population): at ``target_accept = 0.9`` a third of the
        simulations had divergences (up to ~50 in 600 draws), at 0.99 about 1 in 100 had one.
    score_clip : (float, float)
        Range simulated curve scores are clipped into (see the module's note on clipping).

    Returns
    -------
    dict
        ``coverage`` (overall), ``mismatched_coverage`` (each posterior judged against the next
        simulation's known values), ``n_checks``, ``n_sims``, ``mass``, ``labels``,
        ``parameters`` (per parameter: ``hits``, ``checks``, ``coverage``,
        ``mismatched_coverage``, ``contraction`` = mean posterior sd / prior sd), per simulation
        ``divergences`` (post-warmup), ``max_rhat`` (over the checked parameters) and
        ``clipped_points``, with totals ``total_divergences`` and ``total_clipped_points``;
        ``settings``, ``seconds`` (prior, compile, sampling, total); no simulation is dropped.
        And the arrays behind them, shaped (simulation, parameter) in the order of ``labels``:
        ``known``, ``inside``, ``lower``, ``upper``, ``post_mean``, ``post_sd``, ``pit`` (the
        posterior fraction below the known value; uniform under correct inference) and
        ``prior_sd`` (per parameter).
    """
    import arviz as az
    import nutpie

    from probmodel import forward
    from probmodel.compiling import compile_nuts
    from probmodel.model import EVIDENCE_VARS, build_model
    from probmodel.sampling import join_unsampled, sampled_model

    if not isinstance(n_sims, int) or n_sims < 2:
        raise InvalidArgumentError(f"n_sims = {n_sims!r}: must be an integer >= 2.")
    if not 0 < mass < 1:
        raise InvalidArgumentError(f"mass = {mass!r}: must be a probability in (0, 1).")
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}

    model = build_model(scenario, list(records))
    observed = [name for name in EVIDENCE_VARS if name in model.named_vars]
    if not observed:
        raise InvalidArgumentError("no evidence records: there is nothing to recover from.")

    missing = [p for p in parameters if p not in model.named_vars]
    if missing:
        raise InvalidArgumentError(f"not variables of the model: {', '.join(missing)}.")
    not_random = [p for p in parameters if model[p] in model.data_vars]
    if not_random:
        raise InvalidArgumentError(f"fixed in this scenario (nothing to recover): {not_random}.")

    prior, evidence, clipped_all = simulate_evidence(
        model, max(n_sims, PRIOR_SD_DRAWS), seed, score_clip
    )
    seconds["prior"] = time.perf_counter() - t0

    labels, known_all = _flatten(prior.expand_dims("chain"), parameters)
    known = known_all[:n_sims]
    prior_sd = known_all.std(axis=0, ddof=1)
    sims = {name: values[:n_sims] for name, values in evidence.items()}
    clipped = clipped_all[:n_sims]

    t1 = time.perf_counter()
    compiled = compile_nuts(sampled_model(model))  # as a fit samples it; the rest joined below
    seconds["compile"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    n_par = len(labels)
    lo_q, hi_q = (1 - mass) / 2, (1 + mass) / 2
    lower, upper, post_mean, post_sd, pit = (np.empty((n_sims, n_par)) for _ in range(5))
    divergences = np.zeros(n_sims, dtype=int)
    max_rhat = np.empty(n_sims)
    for i in range(n_sims):
        data = {f"{name}_observed": sims[name][i] for name in observed}
        trace = nutpie.sample(
            compiled.with_data(**data),
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed + 1 + i,
            progress_bar=False,
            target_accept=target_accept,
        )
        divergences[i] = int(trace["sample_stats"]["diverging"].values.sum())
        posterior = join_unsampled(
            trace["posterior"].to_dataset(), model, scenario, list(records), [seed + 1 + i, 3]
        )
        derived = [p for p in parameters if p not in posterior.data_vars]
        if derived:  # Deterministics (study exponents): from the joined draws
            posterior = posterior.merge(forward.deterministics(model, posterior, derived))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rhat = az.rhat(posterior, var_names=list(parameters))
        max_rhat[i] = max(float(np.max(rhat[name].values)) for name in parameters)
        _, post = _flatten(posterior, parameters)  # (chain*draw, parameter)
        lower[i], upper[i] = np.quantile(post, [lo_q, hi_q], axis=0)
        post_mean[i], post_sd[i] = post.mean(axis=0), post.std(axis=0, ddof=1)
        pit[i] = (post < known[i]).mean(axis=0)
    seconds["sampling"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t0

    inside = (lower <= known) & (known <= upper)
    # Posterior of simulation i+1 judged against the known values of simulation i: what coverage
    # would be if the fits did not see their own data (e.g. data not swapped into the model).
    mismatched = np.roll(lower, -1, axis=0) <= known
    mismatched &= known <= np.roll(upper, -1, axis=0)
    per_parameter = {
        label: {
            "hits": int(inside[:, j].sum()),
            "checks": n_sims,
            "coverage": float(inside[:, j].mean()),
            "mismatched_coverage": float(mismatched[:, j].mean()),
            "contraction": float(post_sd[:, j].mean() / prior_sd[j]),
        }
        for j, label in enumerate(labels)
    }
    return {
        "coverage": float(inside.mean()),
        "mismatched_coverage": float(mismatched.mean()),
        "n_checks": int(inside.size),
        "n_sims": n_sims,
        "mass": mass,
        "labels": labels,
        "parameters": per_parameter,
        "divergences": divergences.tolist(),
        "total_divergences": int(divergences.sum()),
        "max_rhat": max_rhat.tolist(),
        "clipped_points": clipped.tolist(),
        "total_clipped_points": int(clipped.sum()),
        "settings": {
            "draws": draws,
            "tune": tune,
            "chains": chains,
            "seed": seed,
            "target_accept": target_accept,
        },
        "seconds": seconds,
        "known": known,
        "inside": inside,
        "lower": lower,
        "upper": upper,
        "post_mean": post_mean,
        "post_sd": post_sd,
        "pit": pit,
        "prior_sd": prior_sd,
    }


def _flatten(group, parameters: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Stack ``parameters`` of a DataTree group into (chain * draw, parameter) columns; vector
    variables give one column per element, labelled ``name[coord]``."""
    labels, columns = [], []
    for name in parameters:
        da = group[name]
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        values = da.transpose("chain", "draw", *extra).values
        values = values.reshape(values.shape[0] * values.shape[1], -1)
        if not extra:
            labels.append(name)
        else:
            index = da.coords[extra[0]].values if len(extra) == 1 else range(values.shape[1])
            labels.extend(f"{name}[{c}]" for c in index)
        columns.append(values)
    return labels, np.concatenate(columns, axis=1)


def coverage_band(
    n_checks: int, mass: float = 0.9, z: float = 2.5758293035489004, design_effect: float = 1.0
) -> tuple[float, float]:
    """Band the coverage of ``n_checks`` interval checks of a calibrated fit falls in.

    Normal approximation to the binomial, ``mass +- z * sqrt(design_effect * mass * (1 - mass) /
    n_checks)``; ``z = 2.576`` gives ~99%. ``design_effect`` is the variance inflation for checks
    that are not independent (checks of one simulation share its data): 1 for independent checks,
    the number of checks per simulation for perfectly correlated ones.
    """
    half = z * float(np.sqrt(design_effect * mass * (1 - mass) / n_checks))
    return mass - half, mass + half


def design_effect(result: dict[str, Any]) -> float:
    """Measured variance inflation of the overall coverage from checks sharing a simulation: the
    variance of the per-simulation hit fraction over its value for independent checks."""
    inside = np.asarray(result["inside"], dtype=float)
    p = inside.mean()
    return float(inside.mean(axis=1).var(ddof=1) / (p * (1 - p) / inside.shape[1]))


def rescaled_coverage(result: dict[str, Any], factor: float) -> float:
    """Overall coverage had every interval been ``factor`` times as wide about its centre: what an
    inference over- (``factor < 1``) or under-confident (``factor > 1``) by that factor would give."""
    lower, upper, known = (np.asarray(result[k]) for k in ("lower", "upper", "known"))
    centre, half = (lower + upper) / 2, (upper - lower) / 2 * factor
    return float(np.mean((centre - half <= known) & (known <= centre + half)))
