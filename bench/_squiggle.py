"""Squigglepy versions of the priors, shared by the benchmarks against squigglepy.

Every prior family maps to a squigglepy distribution with the same parameters: LogNormal ->
``lognorm(norm_mean, norm_sd)``, Beta -> ``beta(a, b)``, Normal -> ``norm(mean, sd)``, Gamma ->
``gamma(shape, scale=1/rate)``, Uniform -> ``uniform``, Fixed -> the number. Squigglepy has no
half-normal and no truncated normal (its ``lclip``/``rclip`` clip, which puts mass on the bounds),
so those use exact transformations: HalfNormal(s) = ``abs(norm(0, s))`` and TruncatedNormal by
its inverse CDF applied to ``uniform(Phi(a), Phi(b))``, both with ``dist_fn``.
"""

import numpy as np
import squigglepy as sq
from scipy.special import ndtr, ndtri

from probmodel.equations import (
    TRANSFERS,
    WORLD_PARAMETERS,
    new_deployment_exponent,
    new_deployment_transfer,
)
from probmodel.evidence import AXES


def squiggle(spec):
    """The squigglepy distribution of a prior spec (a plain number for ``Fixed``)."""
    p = spec.params
    if spec.is_fixed:
        return spec.point
    if spec.distribution == "LogNormal":
        return sq.lognorm(norm_mean=p["mu"], norm_sd=p["sigma"])
    if spec.distribution == "Normal":
        return sq.norm(mean=p["mu"], sd=p["sigma"])
    if spec.distribution == "Beta":
        return sq.beta(a=p["alpha"], b=p["beta"])
    if spec.distribution == "Gamma":
        return sq.gamma(shape=p["alpha"], scale=1.0 / p["beta"])
    if spec.distribution == "Uniform":
        return sq.uniform(p["lower"], p["upper"])
    if spec.distribution == "HalfNormal":
        return sq.dist_fn(sq.norm(mean=0.0, sd=p["sigma"]), fn=np.abs)
    if spec.distribution == "TruncatedNormal":
        mu, sigma = p["mu"], p["sigma"]
        a, b = (ndtr((p[k] - mu) / sigma) for k in ("lower", "upper"))
        return sq.dist_fn(sq.uniform(a, b), fn=lambda u: mu + sigma * ndtri(u), name="truncnorm")
    raise ValueError(f"no squigglepy mapping for {spec.distribution}")


def squiggle_world(scenario) -> dict:
    """Squigglepy distributions of the world parameters and the standard normals of the
    new-deployment values (exponents ``<axis>_z``, transfers ``<transfer>_new_z``, the model's
    names for the latter)."""
    dists = {name: squiggle(scenario.priors[name]) for name in WORLD_PARAMETERS}
    dists.update({f"{axis}_z": sq.norm(mean=0.0, sd=1.0) for axis in AXES})
    dists.update({f"{name}_new_z": sq.norm(mean=0.0, sd=1.0) for name in TRANSFERS})
    return dists


def with_exponents(values: dict) -> dict:
    """World parameters plus the new-deployment values (exponents and transfers, as the model
    draws them) from the sampled standard normals."""
    w = {name: values[name] for name in WORLD_PARAMETERS}
    for axis in AXES:
        w[f"{axis}_exponent_new"] = new_deployment_exponent(w, axis, values[f"{axis}_z"])
    for name in TRANSFERS:
        w[f"{name}_new"] = new_deployment_transfer(w, name, values[f"{name}_new_z"])
    return w
