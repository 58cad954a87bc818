"""Priors from intervals: the distribution of a family that holds a stated mass in a stated
interval (an expert's "90% sure it is between a and b"), exactly where a closed form exists and by
PreliZ's maximum-entropy fit otherwise. Used by prior specs and by evidence records that state a
base rate as an interval.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from importlib.metadata import version
from statistics import NormalDist

from probmodel import cache, io


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
    key = {
        "what": "maxent", "version": MAXENT_VERSION, "preliz": version("preliz"),
        "family": family, "interval": [lo, hi], "mass": mass, "bounds": [list(b) for b in bounds],
    }  # fmt: skip
    return cache.memoised(
        io.cache_dir() / MAXENT_CACHE, key, lambda: _maxent(family, lo, hi, mass, bounds),
        keep=MAXENT_KEEP,
    )  # fmt: skip


MAXENT_CACHE = "maxent"
"""Folder of the cache that keeps PreliZ's maximum-entropy fits: each takes ~0.1-0.5 s plus PreliZ's
import (1.5 s), paid by every command that reads the specs without it."""
MAXENT_KEEP = 1024
MAXENT_VERSION = 1
"""Bump when :func:`_maxent` changes what it returns for the same inputs."""


def _maxent(family, lo, hi, mass, bounds) -> dict[str, float]:
    """PreliZ's maximum-entropy member of ``family`` with ``mass`` in ``[lo, hi]``."""
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
