"""The observed and latent variables of the evidence kinds, in one form for PyMC and NumPy.

Every kind describes its observations as :class:`Observation` objects: a family, the family's
parameters and the observed values, with entries labelled ``"<record id>"`` or
``"<record id>:<detail>"`` so a record's log likelihood is a sum over its entries. The parameters
are computed by the kind from the world parameters and the latents on either backend:

* in the PyMC model they are PyTensor scalars and vectors, and :meth:`Observation.to_pymc` adds
  the observed variable (its values in a data container, so a compiled model can be re-run on
  other data: parameter recovery, calibration);
* after sampling they are NumPy arrays with a leading draw dimension, and
  :meth:`Observation.log_density` / :meth:`Observation.draw` give the log likelihood and the
  predictive draws of all draws at once, with the same formulas as PyMC's (checked against
  PyMC's own in ``tests/test_densities.py``), so no second graph is built and compiled.

A kind's own free variables (a curve's intercepts, an effect's base success) are
:class:`Latent` specifications, created in the model by :meth:`Latent.to_pymc` and scored by
:meth:`Latent.log_density`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from probmodel import log_densities
from probmodel.equations import _namespace
from probmodel.evidence.base import SCORE_CLIP, beta_binomial_concentration

SUCCESS_FLOOR = 1e-4
"""Predicted success and failure probabilities are kept in [1e-4, 1 - 1e-4]."""
PRIMARY_CONCENTRATION = 1e6
"""Beta-binomial concentration standing in for a plain binomial (variance x 1.0005 at n = 500)."""
def _normal_draw(rng, mu, sigma):
    return rng.normal(mu, sigma)


def _censored_normal_draw(rng, mu, sigma, lower, upper):
    return np.clip(rng.normal(mu, sigma), lower, upper)


def _beta_draw(rng, alpha, beta):
    return rng.beta(alpha, beta)


def _beta_binomial_draw(rng, n, alpha, beta):
    return rng.binomial(n, rng.beta(alpha, beta))


def _pymc(family: str, name: str | None, dims: str | None, params: dict, observed=None):
    """The PyMC variable of ``family`` (``name=None``: an unnamed ``.dist``)."""
    import pymc as pm

    made = {"normal": pm.Normal, "beta": pm.Beta, "beta_binomial": pm.BetaBinomial}
    if family == "censored_normal":
        p = dict(params)
        dist = pm.Normal.dist(mu=p.pop("mu"), sigma=p.pop("sigma"))
        return pm.Censored(name, dist=dist, dims=dims, observed=observed, **p)
    return made[family](name, dims=dims, observed=observed, **params)


FAMILIES: dict[str, tuple] = {
    "normal": (log_densities.normal, _normal_draw),
    "censored_normal": (log_densities.censored_normal, _censored_normal_draw),
    "beta": (log_densities.beta, _beta_draw),
    "beta_binomial": (log_densities.beta_binomial, _beta_binomial_draw),
}
"""Family -> (log density, draw) in NumPy: each as PyMC's distribution of the same name."""


# ------------------------------------------------------------------------------ variables


@dataclass(frozen=True)
class Latent:
    """A free variable an evidence kind adds (constant prior parameters), along ``dim``."""

    name: str
    dim: str
    labels: tuple[str, ...]
    family: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_pymc(self):
        import pymc as pm

        pm.modelcontext(None).add_coord(self.dim, list(self.labels))
        return _pymc(self.family, self.name, self.dim, self.params)

    def log_density(self, values: np.ndarray) -> np.ndarray:
        """Elementwise log prior density of ``values`` (shaped ``(draws, len(labels))``)."""
        return FAMILIES[self.family][0](np.asarray(values, dtype=float), **self.params)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent prior draws, shaped ``(n, len(labels))``."""
        shape = (n, len(self.labels))
        return FAMILIES[self.family][1](rng, **{k: np.broadcast_to(v, shape)
                                                for k, v in self.params.items()})  # fmt: skip


@dataclass(frozen=True)
class Observation:
    """One observed vector along ``dim``: ``observed ~ family(**params)`` entry by entry."""

    name: str
    dim: str
    labels: tuple[str, ...]
    family: str
    observed: np.ndarray
    params: dict[str, Any]

    def to_pymc(self) -> None:
        """Add the observed variable (values in the data container ``<name>_observed``)."""
        import pymc as pm

        pm.modelcontext(None).add_coord(self.dim, list(self.labels))
        data = pm.Data(f"{self.name}_observed", self.observed, dims=self.dim)
        _pymc(self.family, self.name, self.dim, self.params, observed=data)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) if k == "n" else np.asarray(v, dtype=float)
                for k, v in self.params.items()}  # fmt: skip

    def log_density(self, observed: np.ndarray | None = None) -> np.ndarray:
        """Elementwise log likelihood of ``observed`` (default: the record's values), shaped
        like the parameters (``(draws, len(labels))`` after sampling)."""
        x = self.observed if observed is None else observed
        with np.errstate(divide="ignore"):
            return FAMILIES[self.family][0](np.asarray(x, dtype=float), **self._arrays())

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """One draw of the observed vector per row of the parameters, as PyMC draws it."""
        params = self._arrays()
        shape = np.broadcast_shapes(*(v.shape for v in params.values()))
        out = FAMILIES[self.family][1](rng, **{k: np.broadcast_to(v, shape)
                                               for k, v in params.items()})  # fmt: skip
        return out.astype(self.observed.dtype) if self.observed.dtype.kind == "i" else out


# ------------------------------------------------------------------------------ on either backend


def stack(values):
    """Scalars (or draws) stacked along a new last axis, on their backend."""
    xp = _namespace(*values)
    if xp is np:
        return np.stack(np.broadcast_arrays(*values), axis=-1)
    return xp.stack([xp.as_tensor_variable(v) for v in values], axis=-1)


def concat(values):
    """Vectors (or draws of vectors) joined along the last axis, on their backend."""
    xp = _namespace(*values)
    if xp is np:
        values = [np.asarray(v) for v in values]
        batch = np.broadcast_shapes(*(v.shape[:-1] for v in values))
        return np.concatenate([np.broadcast_to(v, (*batch, v.shape[-1])) for v in values], -1)
    return xp.concatenate(values, axis=-1)


def per_entry(x):
    """A scalar (or its draws) with a trailing axis of length 1, to scale a vector entrywise."""
    xp = _namespace(x)
    return (np.asarray(x) if xp is np else xp.as_tensor_variable(x))[..., None]


def clip_success(p):
    return _namespace(p).clip(p, SUCCESS_FLOOR, 1.0 - SUCCESS_FLOOR)


def counts(name: str, dim: str, labels, p, successes, trials, widening) -> Observation:
    """Successes of trials: beta-binomial whose variance is ``widening**2`` times the binomial's
    (plain binomial, to numerical precision, for primary records)."""
    trials = np.asarray(trials, dtype=float)
    phi = np.array([
        beta_binomial_concentration(n, w) or PRIMARY_CONCENTRATION
        for n, w in zip(trials, widening, strict=True)
    ])  # fmt: skip
    p = clip_success(p)
    return Observation(
        name, dim, tuple(labels), "beta_binomial", np.asarray(successes, dtype="int64"),
        {"n": trials.astype("int64"), "alpha": p * phi, "beta": (1.0 - p) * phi},
    )  # fmt: skip


def fractions(name: str, dim: str, labels, p, values, precision) -> Observation:
    """Scores in [0, 1] without counts: Beta with the given precision (a number or a latent)."""
    lo, hi = SCORE_CLIP
    p = clip_success(p)
    return Observation(
        name, dim, tuple(labels), "beta", np.clip(np.asarray(values, dtype=float), lo, hi),
        {"alpha": p * precision, "beta": (1.0 - p) * precision},
    )  # fmt: skip


def scores(variables, labels, p, scores, widening) -> list[Observation]:
    """Success scores, each as counts (``variables[0]``: beta-binomial) or as a fraction with its
    trials (``variables[1]``: Beta with precision ``trials / widening**2``)."""
    widening = np.asarray(widening, dtype=float)
    is_count = np.array([s.is_count for s in scores])
    out = []
    for var, keep in zip(variables, (is_count, ~is_count), strict=True):
        if not keep.any():
            continue
        idx = np.flatnonzero(keep)
        sub = [scores[i] for i in idx]
        if var is variables[0]:
            out.append(counts(*var, [labels[i] for i in idx], p[..., idx],
                              [s.successes for s in sub], [s.trials for s in sub], widening[idx]))  # fmt: skip
        else:
            out.append(fractions(*var, [labels[i] for i in idx], p[..., idx],
                                 [s.value for s in sub],
                                 np.array([s.trials for s in sub]) / widening[idx] ** 2))  # fmt: skip
    return out
