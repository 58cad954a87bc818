"""Observed variables of the evidence kinds (PyMC is imported only when a model is built).

Every kind writes its observations into one or more observed vectors whose entries are labelled
``"<record id>"`` or ``"<record id>:<detail>"``, so a record's log-likelihood is a sum over its
entries. Observations live in data containers, so a compiled model can be re-run on other data
(parameter recovery, calibration) without compiling again.
"""

from __future__ import annotations

import numpy as np

from probmodel.evidence.base import SCORE_CLIP, beta_binomial_concentration

SUCCESS_FLOOR = 1e-4
"""Predicted success and failure probabilities are kept in [1e-4, 1 - 1e-4]."""
PRIMARY_CONCENTRATION = 1e6
"""Beta-binomial concentration standing in for a plain binomial (variance x 1.0005 at n = 500)."""


def observe(name: str, dim: str, labels: list[str], family, observed, **kwargs) -> None:
    """Add the observed vector ``name`` along ``dim`` (entries labelled by record)."""
    import pymc as pm

    pm.modelcontext(None).add_coord(dim, labels)
    kwargs["observed"] = pm.Data(f"{name}_observed", np.asarray(observed), dims=dim)
    family(name, dims=dim, **kwargs)


def clip_success(p):
    import pytensor.tensor as pt

    return pt.clip(p, SUCCESS_FLOOR, 1.0 - SUCCESS_FLOOR)


def counts(name: str, dim: str, labels, p, successes, trials, widening) -> None:
    """Successes of trials: beta-binomial whose variance is ``widening**2`` times the binomial's
    (plain binomial, to numerical precision, for primary records)."""
    import pymc as pm

    trials = np.asarray(trials, dtype=float)
    phi = np.array([
        beta_binomial_concentration(n, w) or PRIMARY_CONCENTRATION
        for n, w in zip(trials, widening, strict=True)
    ])  # fmt: skip
    p = clip_success(p)
    observe(
        name, dim, labels, pm.BetaBinomial, np.asarray(successes, dtype="int64"),
        n=trials.astype("int64"), alpha=p * phi, beta=(1.0 - p) * phi,
    )  # fmt: skip


def fractions(name: str, dim: str, labels, p, values, precision) -> None:
    """Scores in [0, 1] without counts: Beta with the given precision (a number or a latent)."""
    import pymc as pm

    lo, hi = SCORE_CLIP
    p = clip_success(p)
    observe(
        name, dim, labels, pm.Beta, np.clip(np.asarray(values, dtype=float), lo, hi),
        alpha=p * precision, beta=(1.0 - p) * precision,
    )  # fmt: skip


def scores(variables, labels, p, scores, widening) -> None:
    """Success scores, each as counts (``variables[0]``: beta-binomial) or as a fraction with its
    trials (``variables[1]``: Beta with precision ``trials / widening**2``)."""
    widening = np.asarray(widening, dtype=float)
    is_count = np.array([s.is_count for s in scores])
    for var, keep in zip(variables, (is_count, ~is_count), strict=True):
        if not keep.any():
            continue
        idx = np.flatnonzero(keep)
        sub = [scores[i] for i in idx]
        if var is variables[0]:
            counts(*var, [labels[i] for i in idx], p[idx], [s.successes for s in sub],
                   [s.trials for s in sub], widening[idx])  # fmt: skip
        else:
            fractions(*var, [labels[i] for i in idx], p[idx], [s.value for s in sub],
                      np.array([s.trials for s in sub]) / widening[idx] ** 2)  # fmt: skip
