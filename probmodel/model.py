"""The PyMC model of a scenario: world parameters as random variables, outcomes as Deterministics,
evidence records as likelihood terms.

The outcome Deterministics come from :func:`probmodel.equations.outcomes`, the same function point
mode and NumPy sweeps use. Each evidence kind's likelihood lives in its own module of
:mod:`probmodel.evidence`; records of one study share their study-level latents.
"""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from probmodel.equations import (
    COST_COMPONENTS,
    NEW_DEPLOYMENT,
    OUTCOMES,
    WORLD_PARAMETERS,
    new_deployment_value,
    outcomes,
)
from probmodel.evidence import (  # noqa: F401 - EVIDENCE_VARS, record_of re-exported
    EVIDENCE_VARS,
    Record,
    add_likelihoods,
    for_fleet,
    record_of,
)
from probmodel.specs.scenario import Scenario


def records_for_plan(scenario: Scenario, evidence) -> list[Record]:
    """The records as they apply to this scenario's fleet (:func:`probmodel.evidence.for_fleet`)."""
    return for_fleet(evidence, scenario.plan.robot_class)


def build_model(scenario: Scenario, evidence: list[Record] = ()) -> pm.Model:
    """Build the PyMC model of ``scenario`` conditioned on ``evidence``.

    Parameters
    ----------
    scenario : Scenario
        Plan and priors (world priors with the scenario's overrides).
    evidence : list of evidence records
        Published results (any kind); each kind adds its observed variables.

    Returns
    -------
    pymc.Model
        Free variables are the non-fixed world parameters, the new-deployment draws and the
        study-level latents of the records; fixed parameters are ``pm.Data``.
    """
    coords = {"cost_component": list(COST_COMPONENTS)}
    with pm.Model(coords=coords) as model:
        world = {}
        for name in WORLD_PARAMETERS:
            spec = scenario.priors[name]
            world[name] = pm.Data(name, spec.point) if spec.is_fixed else spec.to_pymc(name)

        world.update(_new_deployment(world))
        out = outcomes(world, scenario.plan)
        for name in OUTCOMES:
            if name in out:
                pm.Deterministic(name, pt.as_tensor_variable(out[name]))
        pm.Deterministic(
            "cost",
            pt.stack([pt.as_tensor_variable(out[f"cost_{c}"]) for c in COST_COMPONENTS]),
            dims="cost_component",
        )
        records = records_for_plan(scenario, evidence)
        if records:
            add_likelihoods(world, records)
    return model


def _new_deployment(world) -> dict:
    """The exponents and transfer values of a new deployment: draws from each population, not
    its centre, so a plan's success carries the between-study spread of exponents and transfer
    values, not only the uncertainty of their means (free variables ``<value>_z``)."""
    new = {}
    for name in NEW_DEPLOYMENT:
        z = pm.Normal(f"{name}_z", 0.0, 1.0)
        new[name] = pm.Deterministic(name, new_deployment_value(world, name, z))
    return new
