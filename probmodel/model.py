"""The PyMC model of a scenario: world parameters as random variables, outcomes as Deterministics,
evidence records as likelihood terms.

The outcome Deterministics come from :func:`probmodel.equations.outcomes`, the same function point
mode and NumPy sweeps use. The likelihood of each evidence kind is documented in
:mod:`probmodel.specs.evidence`; every record is one observed variable named ``record.var_name``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from probmodel.equations import (
    COST_COMPONENTS,
    OUTCOMES,
    WORLD_PARAMETERS,
    new_deployment_exponent,
    outcomes,
    world_quantity,
)
from probmodel.specs.evidence import (  # noqa: F401 - EVIDENCE_VARS, record_of re-exported
    AXES,
    EVIDENCE_VARS,
    Curve,
    Effect,
    Measurement,
    Meta,
    Record,
    record_of,
)
from probmodel.specs.scenario import Scenario

CURVE_LOG_GAP = (-1.0, 1.0)
"""Normal prior (mu, sigma) of a study's log(-log score) at its own x centre (gap ~5%-100%)."""
CURVE_PRECISION = (np.log(30.0), 1.0)
"""LogNormal prior (mu, sigma) of a study's Beta precision: score sd ~0.09 at 50% for 30."""
SUCCESS_FLOOR = 1e-4
"""Predicted success and failure probabilities are kept in [1e-4, 1 - 1e-4]."""


def build_model(scenario: Scenario, evidence: list[Record] = ()) -> pm.Model:
    """Build the PyMC model of ``scenario`` conditioned on ``evidence``.

    Parameters
    ----------
    scenario : Scenario
        Plan and priors (world priors with the scenario's overrides).
    evidence : list of evidence records
        Published results (any kind); each becomes an observed ``evidence_<id>`` variable.

    Returns
    -------
    pymc.Model
        Free variables are the non-fixed world parameters, the new-deployment exponent draws and
        the study-level latents of curve and effect records; fixed parameters are ``pm.Data``.
    """
    coords = {"cost_component": list(COST_COMPONENTS)}
    with pm.Model(coords=coords) as model:
        world = {}
        for name in WORLD_PARAMETERS:
            spec = scenario.priors[name]
            world[name] = pm.Data(name, spec.point) if spec.is_fixed else spec.to_pymc(name)

        world.update(_new_deployment_exponents(world))
        out = outcomes(world, scenario.plan)
        for name in OUTCOMES:
            if name in out:
                pm.Deterministic(name, pt.as_tensor_variable(out[name]))
        pm.Deterministic(
            "cost",
            pt.stack([pt.as_tensor_variable(out[f"cost_{c}"]) for c in COST_COMPONENTS]),
            dims="cost_component",
        )
        _measurements(world, [r for r in evidence if isinstance(r, Measurement)])
        _metas(world, [r for r in evidence if isinstance(r, Meta)])
        _curves(world, [r for r in evidence if isinstance(r, Curve)])
        _effects(world, [r for r in evidence if isinstance(r, Effect)])
    return model


def _new_deployment_exponents(world) -> dict:
    """The exponent of a new deployment: a draw from each axis's population, not its mean.

    The performance outcomes use these draws, so a plan's success carries the between-study
    spread of scaling exponents, not only the uncertainty of their mean."""
    new = {}
    for axis in AXES:
        z = pm.Normal(f"{axis}_exponent_new_z", 0.0, 1.0)
        name = f"{axis}_exponent_new"
        new[name] = pm.Deterministic(name, new_deployment_exponent(world, axis, z))
    return new


def _observed(kind: str, labels: list[str], dist, **kwargs) -> None:
    """One observed vector per evidence kind; entry labels are ``"<record id>"`` or
    ``"<record id>:<detail>"``, so each entry names the record it belongs to."""
    name, dim = EVIDENCE_VARS[kind]
    pm.modelcontext(None).add_coord(dim, labels)
    # Observations live in a data container, so a compiled model can be re-run on other data
    # (parameter recovery, calibration) without compiling again.
    kwargs["observed"] = pm.Data(f"{name}_observed", kwargs["observed"], dims=dim)
    dist(name, dims=dim, **kwargs)


def _measurements(world, records: list[Measurement]) -> None:
    if not records:
        return
    mus = []
    for record in records:
        quantity = world_quantity(record.quantity, world)
        mus.append(pt.log(quantity) if record.scale == "log" else quantity)
    _observed(
        "measurement",
        [r.id for r in records],
        dist=pm.Normal,
        mu=pt.stack(mus),
        sigma=np.array([r.sd_used for r in records]),
        observed=np.array([r.observed for r in records]),
    )


def _metas(world, records: list[Meta]) -> None:
    """Population mean (and between-study sd, when given) of an axis's exponent."""
    if not records:
        return
    mus, sds, obs, labels = [], [], [], []
    for record in records:
        w = record.widening
        mus.append(world[f"{record.axis}_exponent_mean"])
        sds.append(record.se * w)
        obs.append(record.alpha)
        labels.append(f"{record.id}:mean")
        if record.between_study_sd is not None:
            mus.append(world[f"{record.axis}_exponent_sd"])
            sds.append(record.between_study_sd_se * w)
            obs.append(record.between_study_sd)
            labels.append(f"{record.id}:between_study_sd")
    _observed(
        "meta", labels, dist=pm.Normal, mu=pt.stack(mus), sigma=np.array(sds),
        observed=np.array(obs),
    )  # fmt: skip


def _study_exponents(world, records, name: str, dim: str):
    """Study-level exponents partially pooled with their axis's population (non-centred)."""
    model = pm.modelcontext(None)
    model.add_coord(dim, [r.id for r in records])
    axis_index = np.array([AXES.index(r.axis) for r in records])
    mean = pt.stack([world[f"{a}_exponent_mean"] for a in AXES])[axis_index]
    sd = pt.stack([world[f"{a}_exponent_sd"] for a in AXES])[axis_index]
    z = pm.Normal(f"{name}_z", 0.0, 1.0, dims=dim)
    return pm.Deterministic(name, mean + sd * z, dims=dim)


def _curves(world, records: list[Curve]) -> None:
    """Each curve: -log(score) = exp(c) * (x / x_centre)^-alpha, Beta noise on the score."""
    if not records:
        return
    alpha = _study_exponents(world, records, "curve_exponent", "curve_study")
    centre = pm.Normal("curve_log_gap_centre", *CURVE_LOG_GAP, dims="curve_study")
    log_precision = pm.Normal("curve_log_precision", *CURVE_PRECISION, dims="curve_study")
    study = np.concatenate([np.full(len(r.x), i) for i, r in enumerate(records)])
    log_x = np.concatenate([np.log(np.asarray(r.x)) - r.log_x_centre for r in records])
    widening = np.array([r.widening for r in records])[study]
    hazard = pt.exp(centre[study] - alpha[study] * log_x)  # the power law; gap ~ hazard when small
    success = pt.clip(pt.exp(-hazard), SUCCESS_FLOOR, 1.0 - SUCCESS_FLOOR)
    precision = pt.exp(log_precision[study]) / widening**2
    _observed(
        "curve",
        [f"{r.id}:{x:g}" for r in records for x in r.x],
        dist=pm.Beta,
        alpha=success * precision,
        beta=(1.0 - success) * precision,
        observed=np.concatenate([r.clipped_score for r in records]),
    )


def _effects(world, records: list[Effect]) -> None:
    """Predicted success ratio when ``added`` data (worth ``transfer`` each) joins ``base_real``."""
    if not records:
        return
    from probmodel.specs.priors import beta_from_interval

    alpha = _study_exponents(world, records, "effect_exponent", "effect_study")
    params = np.array([beta_from_interval(*r.base_success) for r in records])
    base_success = pm.Beta(
        "effect_base_success", alpha=params[:, 0], beta=params[:, 1], dims="effect_study"
    )
    transfer = pt.stack([world[r.transfer] for r in records])
    base = np.array([r.base_real for r in records])
    added = np.array([r.added for r in records])
    data_ratio = (base + transfer * added) / base
    odds_treated = (1.0 - base_success) / base_success * data_ratio ** (-alpha)
    treated = pt.clip(1.0 / (1.0 + odds_treated), SUCCESS_FLOOR, 1.0 - SUCCESS_FLOOR)
    _observed(
        "effect",
        [r.id for r in records],
        dist=pm.Normal,
        mu=pt.log(treated) - pt.log(base_success),
        sigma=np.array([r.log_sd_used for r in records]),
        observed=np.log([r.ratio for r in records]),
    )
