"""The PyMC model of a scenario: world parameters as random variables, outcomes as Deterministics,
evidence records as likelihood terms.

The outcome Deterministics come from :func:`probmodel.equations.outcomes`, the same function point
mode and NumPy sweeps use.
"""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from probmodel.equations import (
    COST_COMPONENTS,
    OUTCOMES,
    WORLD_PARAMETERS,
    outcomes,
    world_quantity,
)
from probmodel.specs.evidence import Measurement
from probmodel.specs.scenario import Scenario


def build_model(scenario: Scenario, evidence: list[Measurement] = ()) -> pm.Model:
    """Build the PyMC model of ``scenario`` conditioned on ``evidence``.

    Parameters
    ----------
    scenario : Scenario
        Plan and priors (world priors with the scenario's overrides).
    evidence : list of Measurement
        Published results; each becomes an observed ``evidence_<id>`` variable.

    Returns
    -------
    pymc.Model
        Free variables are the non-fixed world parameters; fixed ones are ``pm.Data``.
    """
    coords = {"cost_component": list(COST_COMPONENTS)}
    with pm.Model(coords=coords, name="") as model:
        world = {}
        for name in WORLD_PARAMETERS:
            spec = scenario.priors[name]
            world[name] = pm.Data(name, spec.point) if spec.is_fixed else spec.to_pymc(name)

        out = outcomes(world, scenario.plan)
        for name in OUTCOMES:
            if name in out:
                pm.Deterministic(name, pt.as_tensor_variable(out[name]))
        pm.Deterministic(
            "cost",
            pt.stack([pt.as_tensor_variable(out[f"cost_{c}"]) for c in COST_COMPONENTS]),
            dims="cost_component",
        )

        for record in evidence:
            quantity = world_quantity(record.quantity, world)
            mu = pt.log(quantity) if record.scale == "log" else quantity
            pm.Normal(record.var_name, mu=mu, sigma=record.sd_used, observed=record.observed)
    return model
