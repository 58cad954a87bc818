"""The model's log densities and evidence draws in NumPy, on all draws at once.

After NUTS, a fit needs the log prior of every draw (power-scaling sensitivity, updates), the log
likelihood of every record's entries (LOO, updates) and draws of the evidence given each
posterior (and prior) draw (predictive checks). PyMC would build, rewrite and compile a second
graph for each (~2 s apiece, measured). Here they come from the same description of the model
that PyMC's model is built from: the world priors (:class:`probmodel.specs.priors.PriorSpec`),
the new-deployment draws (:mod:`probmodel.equations`) and the evidence kinds'
:class:`~probmodel.evidence.observe.Latent` and
:class:`~probmodel.evidence.observe.Observation` objects, evaluated on NumPy arrays with a
leading draw dimension. ``tests/test_densities.py`` checks them against PyMC's own functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from probmodel import log_densities
from probmodel.equations import NEW_DEPLOYMENT, WORLD_PARAMETERS, new_deployment_value
from probmodel.evidence import (
    Observation,
    Record,
    for_fleet,
    latent_variables,
    observations,
    study_latents,
)
from probmodel.specs.scenario import Scenario

NEW_DEPLOYMENT_Z = {f"{new}_z": new for new in NEW_DEPLOYMENT}
"""The standard-normal free variables behind the new-deployment values (:mod:`probmodel.model`)."""


def _for_plan(scenario: Scenario, records: Sequence[Record]) -> list[Record]:
    """The records as the model of ``scenario`` uses them (:func:`probmodel.evidence.for_fleet`:
    a price of another robot class is a bound or left out; idempotent)."""
    return for_fleet(list(records), scenario.plan.robot_class)


def world(scenario: Scenario, values: Mapping[str, np.ndarray]) -> dict[str, object]:
    """The world parameters (fixed ones at their point value, the others from ``values``, shaped
    ``(draws,)``) with the new-deployment values computed from their standard-normal draws."""
    w: dict[str, object] = {}
    for name in WORLD_PARAMETERS:
        spec = scenario.priors[name]
        w[name] = spec.point if spec.is_fixed else np.asarray(values[name], dtype=float)
    for z, new in NEW_DEPLOYMENT_Z.items():
        w[new] = new_deployment_value(w, new, np.asarray(values[z], dtype=float))
    return w


def prior_draws(
    scenario: Scenario,
    records: Sequence[Record],
    n: int,
    seed,
    given: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """``n`` joint prior draws, ``(n, *shape)``, of every free variable of the model not in
    ``given``: the world parameters that are not fixed
    (:meth:`~probmodel.specs.priors.PriorSpec.sample`), the new-deployment standard normals and
    the records' latents (``seed``: an int or a sequence of ints). No free variable's prior
    depends on another's, so draws given some are the prior draws of the rest."""
    rng = np.random.default_rng(seed)
    given = given or {}
    values = {name: scenario.priors[name].sample(n, rng) for name in WORLD_PARAMETERS
              if not scenario.priors[name].is_fixed and name not in given}  # fmt: skip
    for z in NEW_DEPLOYMENT_Z:
        if z not in given:
            values[z] = rng.standard_normal(n)
    for latent in latent_variables(_for_plan(scenario, records)):
        if latent.name not in given:
            values[latent.name] = latent.draw(rng, n)
    return values


def derived(
    scenario: Scenario, records: Sequence[Record], values: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The model's Deterministics below the outcomes at each draw of ``values``: the
    new-deployment values and the study latents (``study_exponent``, ``study_transfer``,
    ``study_level``)."""
    w = world(scenario, values)
    free = {v.name: np.asarray(values[v.name], dtype=float)
            for v in latent_variables(_for_plan(scenario, records))}  # fmt: skip
    studies = study_latents(w, _for_plan(scenario, records), free)
    return {**{new: w[new] for new in NEW_DEPLOYMENT}, **studies}


def log_prior(
    scenario: Scenario, records: Sequence[Record], values: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Elementwise log prior density of every free variable at ``values`` (untransformed
    draws, ``(draws, *shape)``), as :func:`pymc.stats.compute_log_prior` gives them."""
    out = {}
    for name in WORLD_PARAMETERS:
        spec = scenario.priors[name]
        if not spec.is_fixed:
            out[name] = spec.log_density(values[name])
    for z in NEW_DEPLOYMENT_Z:
        out[z] = log_densities.normal(np.asarray(values[z], dtype=float), 0.0, 1.0)
    for latent in latent_variables(_for_plan(scenario, records)):
        out[latent.name] = latent.log_density(values[latent.name])
    return out


def evidence(
    scenario: Scenario, records: Sequence[Record], values: Mapping[str, np.ndarray]
) -> list[Observation]:
    """Every record's observations with their parameters at each draw of ``values`` (every free
    variable, ``(draws, *shape)``)."""
    free = {v.name: np.asarray(values[v.name], dtype=float)
            for v in latent_variables(_for_plan(scenario, records))}  # fmt: skip
    return observations(world(scenario, values), _for_plan(scenario, records), free)


def log_likelihood(terms: Sequence[Observation]) -> dict[str, np.ndarray]:
    """Elementwise log likelihood of each observed vector, ``(draws, entries)``, as
    :func:`pymc.compute_log_likelihood` gives it."""
    return {o.name: o.log_density() for o in terms}


def predictive(terms: Sequence[Observation], seed) -> dict[str, np.ndarray]:
    """One draw of each observed vector per draw of the parameters (``seed``: an int or a
    sequence of ints; the same seed gives the same arrays)."""
    rng = np.random.default_rng(seed)
    return {o.name: o.draw(rng) for o in terms}
