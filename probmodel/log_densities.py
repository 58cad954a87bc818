"""Log densities of the model's distribution families in NumPy, written as PyMC writes them.

The world priors (:meth:`probmodel.specs.priors.PriorSpec.log_density`) and the evidence
likelihoods (:mod:`probmodel.evidence.observe`) are scored on all posterior draws at once with
these, instead of through a second compiled PyTensor graph (~2 s a fit) or PreliZ (2 s to
import and ~0.5 s of numba compilation per family, every process). Each function follows PyMC's
``logp`` for the family (``pymc.distributions``, ``pymc.logprob.censoring``), so the values equal
PyMC's to rounding: ``tests/test_densities.py`` checks them against PyMC and PreliZ. Values
outside the support get ``-inf``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, log_ndtr

LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def betaln(a, b):
    """``log B(a, b)`` as PyTensor computes it (three log-gammas)."""
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def _outside(x, inside, out):
    return np.where(inside, out, -np.inf)


def normal(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - LOG_SQRT_2PI - np.log(sigma)


def lognormal(x, mu, sigma):
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = np.log(x)
        return _outside(x, x > 0, normal(log_x, mu, sigma) - log_x)


def halfnormal(x, sigma):
    return _outside(x, x >= 0, 0.5 * np.log(2.0 / np.pi) - np.log(sigma) - 0.5 * (x / sigma) ** 2)


def truncated_normal(x, mu, sigma, lower, upper):
    """Normal renormalised to ``[lower, upper]``; the mass inside from the tail it lies in, so
    a truncation far into a tail keeps its precision."""
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    # log(Phi(b) - Phi(a)), computed in the upper tail when both bounds lie above the mean.
    flip = a > 0
    lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
    log_mass = log_ndtr(hi) + np.log1p(-np.exp(log_ndtr(lo) - log_ndtr(hi)))
    return _outside(x, (x >= lower) & (x <= upper), normal(x, mu, sigma) - log_mass)


def censored_normal(x, mu, sigma, lower, upper):
    """Normal censored at ``lower`` and ``upper`` (either may be infinite): a value at a bound
    carries the mass beyond it."""
    with np.errstate(invalid="ignore"):  # infinite bounds: that branch is never taken
        out = np.where(x == lower, log_ndtr((lower - mu) / sigma), normal(x, mu, sigma))
        out = np.where(x == upper, log_ndtr((mu - upper) / sigma), out)
    return _outside(x, (x >= lower) & (x <= upper), out)


def beta(x, alpha, beta):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (
            np.where(alpha == 1.0, 0.0, (alpha - 1.0) * np.log(x))
            + np.where(beta == 1.0, 0.0, (beta - 1.0) * np.log1p(-x))
            - betaln(alpha, beta)
        )
    return _outside(x, (x >= 0.0) & (x <= 1.0), out)


def gamma(x, alpha, beta):
    """Gamma with shape ``alpha`` and rate ``beta``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = alpha * np.log(beta) - gammaln(alpha) + (alpha - 1.0) * np.log(x) - beta * x
    return _outside(x, x >= 0, out)


def uniform(x, lower, upper):
    return _outside(x, (x >= lower) & (x <= upper), -np.log(upper - lower) + 0.0 * x)


def beta_binomial(x, n, alpha, beta):
    binomln = -betaln(1.0 + n - x, 1.0 + x) - np.log1p(n)
    return _outside(x, (x >= 0) & (x <= n),
                    binomln + betaln(x + alpha, n - x + beta) - betaln(alpha, beta))  # fmt: skip


BY_FAMILY = {
    "Normal": normal,
    "LogNormal": lognormal,
    "HalfNormal": halfnormal,
    "TruncatedNormal": truncated_normal,
    "Beta": beta,
    "Gamma": gamma,
    "Uniform": uniform,
}
"""The prior families (:data:`probmodel.specs.priors.FAMILIES`) by name, with their PreliZ/PyMC
parameter names."""
