"""Priors from intervals: the distribution of a family that holds a stated mass in a stated
interval (an expert's "90% sure it is between a and b"), exactly where a closed form exists and by
PreliZ's maximum-entropy fit otherwise. Used by prior specs and by evidence records that state a
base rate as an interval.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from statistics import NormalDist


@lru_cache(maxsize=256)
def from_interval(family, lo, hi, mass, method, bounds) -> dict[str, float]:
    """Parameters of ``family`` holding ``mass`` in ``[lo, hi]``: ``"exact"`` for Normal and
    LogNormal (symmetric on the natural or log scale), else PreliZ's maximum-entropy fit
    (``"preliz-maxent"``) with ``bounds`` fixed. Cached: specs re-elicit the same intervals."""
    if method == "exact":
        z = _normal_quantile(0.5 + mass / 2.0)
        if family == "LogNormal":
            lo, hi = math.log(lo), math.log(hi)
        return {"mu": (lo + hi) / 2.0, "sigma": (hi - lo) / (2.0 * z)}
    import preliz as pz

    dist = getattr(pz, family)(**dict(bounds))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pz.maxent(dist, lo, hi, mass, plot=False)
    got = dist.cdf(hi) - dist.cdf(lo)
    if not abs(float(got) - mass) < 0.01:
        raise ValueError(f"the best {family} holds {float(got):.3f} in the interval, not {mass}")
    return {k: float(v) for k, v in dist.params_dict.items()}


def _normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


def beta_from_interval(lower: float, upper: float, mass: float = 0.9) -> tuple[float, float]:
    """Beta (alpha, beta) holding ``mass`` in [lower, upper], by PreliZ's maxent (cached)."""
    params = from_interval("Beta", float(lower), float(upper), float(mass), "preliz-maxent", ())
    return params["alpha"], params["beta"]
