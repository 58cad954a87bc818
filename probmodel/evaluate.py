"""Outcomes with NumPy: point mode (every assumption at its point value) and draws of parameters.

Uses the same :func:`probmodel.equations.outcomes` as the PyMC model, so a point-mode table, a
posterior and a sweep over posterior draws can never disagree about the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from probmodel.equations import COST_COMPONENTS, OUTCOMES, Plan, description, outcomes
from probmodel.specs.scenario import Scenario

if TYPE_CHECKING:
    import xarray as xr


def outcome_dataset(
    values: Mapping[str, object], plan: Plan, dims: tuple[str, ...] = ()
) -> xr.Dataset:
    """Evaluate the outcome equations on arrays shaped like ``dims`` and label the result.

    Parameters
    ----------
    values : mapping of world parameter name to scalar or array
        Arrays must all have the shape given by ``dims`` (e.g. ``("chain", "draw")``).
    plan : Plan
    dims : tuple of str
        Dimension names of the arrays.

    Returns
    -------
    xarray.Dataset
        One variable per outcome, plus ``cost`` with a ``cost_component`` dimension.
    """
    arrays = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    raw = outcomes(arrays, plan)
    data = {}
    for name in OUTCOMES:
        if name in raw:
            data[name] = (dims, np.broadcast_to(np.asarray(raw[name], dtype=float), shape))
    cost = np.stack(
        [
            np.broadcast_to(np.asarray(raw[f"cost_{c}"], dtype=float), shape)
            for c in COST_COMPONENTS
        ],
        axis=-1,
    )
    data["cost"] = ((*dims, "cost_component"), cost)
    import xarray as xr  # here, not at the top: point mode needs no xarray (~1 s to import)

    ds = xr.Dataset(data, coords={"cost_component": list(COST_COMPONENTS)})
    for name in ds.data_vars:
        ds[name].attrs["description"] = description(name)
    return ds


def point_outcomes(scenario: Scenario) -> xr.Dataset:
    """The scenario with every world parameter at its point value (no sampling)."""
    return outcome_dataset(scenario.point_values(), scenario.plan)


def point_table(scenario: Scenario) -> dict[str, float]:
    """Point-mode outcomes as a flat ``{name: value}`` dict (cost components as ``cost_<name>``),
    straight from the equations (no xarray: ``probmodel point`` answers in a fraction of a second)."""
    values = {k: np.asarray(v, dtype=float) for k, v in scenario.point_values().items()}
    raw = outcomes(values, scenario.plan)
    table = {name: float(raw[name]) for name in OUTCOMES if name in raw}
    table.update({f"cost_{c}": float(raw[f"cost_{c}"]) for c in COST_COMPONENTS})
    return table


def flat_outcomes(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """The outcomes in ``ds`` (a point, prior or posterior group) as ``{name: values}``, with the
    ``cost`` vector split into ``cost_<component>`` [USD]; other variables (world parameters,
    study latents) are left out. Values keep their sample dims (none for the point group)."""
    table = {name: ds[name].values for name in OUTCOMES if name in ds.data_vars}
    if "cost" in ds.data_vars:
        for component in COST_COMPONENTS:
            table[f"cost_{component}"] = ds["cost"].sel(cost_component=component).values
    return table


def draws_outcomes(
    parameters: xr.Dataset, plan: Plan, constants: Mapping[str, float] | None = None
) -> xr.Dataset:
    """Outcomes of ``plan`` for every draw in ``parameters`` (e.g. a posterior group).

    Evaluates without re-sampling: any plan can be scored on one posterior. ``constants`` gives
    the world parameters a scenario fixed (they are not in the draws).
    """
    from probmodel.equations import NEW_DEPLOYMENT, WORLD_PARAMETERS

    names = [n for n in (*WORLD_PARAMETERS, *NEW_DEPLOYMENT) if n in parameters]
    missing = [n for n in WORLD_PARAMETERS if n not in parameters and n not in (constants or {})]
    if missing or not names:
        from probmodel.errors import ResultFileError

        raise ResultFileError(
            f"the draws lack world parameter(s) {', '.join(missing) or 'all'}: the run was "
            "sampled with an older set of world parameters. Re-sample it (probmodel sample "
            "SCENARIO) to score plans with the current equations."
        )
    dims = parameters[names[0]].dims
    values = {n: parameters[n].transpose(*dims).values for n in names}
    values.update({k: float(v) for k, v in (constants or {}).items() if k not in values})
    ds = outcome_dataset(values, plan, dims)
    return ds.assign_coords({d: parameters[d] for d in dims if d in parameters.coords})


PRIOR_CHUNK = 131_072
"""Prior draws are made in chunks of this many, each from its own generator spawned from the seed
(so the draws depend on the seed only, not on how many threads made them), and the chunks run on
threads: NumPy's samplers and ufuncs release the GIL."""


def prior_draws(
    scenario: Scenario, draws: int, seed: int | None = None, threads: int | None = None
) -> dict[str, np.ndarray]:
    """Forward Monte Carlo of the prior, in NumPy: ``draws`` independent draws of every world
    parameter and of the new-deployment exponents.

    The same distribution as the PyMC model's prior (``build_model(scenario)`` without evidence)
    without compiling a graph: each parameter is drawn by :meth:`PriorSpec.sample
    <probmodel.specs.priors.PriorSpec.sample>`.

    Parameters
    ----------
    scenario : Scenario
        Its priors; a ``Fixed`` parameter is its point value in every draw.
    draws : int
        Number of draws.
    seed : int, optional
        Seed of the generators; the same seed gives the same draws.
    threads : int, optional
        Threads the chunks run on (default: every core). The draws do not depend on it.

    Returns
    -------
    dict of str to numpy.ndarray
        One array of shape ``(draws,)`` per world parameter and per new-deployment exponent
        (:data:`probmodel.equations.NEW_DEPLOYMENT`), in the parameters' units.
    """
    return _in_chunks(lambda n, rng: _prior_chunk(scenario, n, rng), draws, seed, threads)


def prior_outcomes(
    scenario: Scenario, draws: int, seed: int | None = None, threads: int | None = None
) -> dict[str, np.ndarray]:
    """The scenario's plan evaluated on :func:`prior_draws` (the same draws for the same seed and
    any ``threads``): the prior predictive distribution of every outcome (cost components as
    ``cost_<name>``), one array of shape ``(draws,)`` each."""

    def chunk(n: int, rng) -> dict[str, np.ndarray]:
        raw = outcomes(_prior_chunk(scenario, n, rng), scenario.plan)
        return {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in raw.items()}

    return _in_chunks(chunk, draws, seed, threads)


def _prior_chunk(scenario: Scenario, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    from probmodel.equations import NEW_DEPLOYMENT, WORLD_PARAMETERS, new_deployment_value

    values = {name: scenario.priors[name].sample(n, rng) for name in WORLD_PARAMETERS}
    for name in NEW_DEPLOYMENT:
        values[name] = new_deployment_value(values, name, rng.standard_normal(n))
    return values


def _in_chunks(make, draws: int, seed: int | None, threads: int | None) -> dict[str, np.ndarray]:
    """``make(n, rng)`` on chunks of :data:`PRIOR_CHUNK` draws, on ``threads`` threads (default
    every core), concatenated."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        from probmodel.errors import InvalidArgumentError

        raise InvalidArgumentError(f"draws = {draws!r}: must be a positive integer.")
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or threads < 1
    ):
        from probmodel.errors import InvalidArgumentError

        raise InvalidArgumentError(f"threads = {threads!r}: must be a positive integer or None.")
    sizes = [PRIOR_CHUNK] * (draws // PRIOR_CHUNK) + (
        [draws % PRIOR_CHUNK] if draws % PRIOR_CHUNK else []
    )
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(sizes))]
    if len(sizes) == 1:
        return make(sizes[0], rngs[0])
    workers = min(len(sizes), threads or os.cpu_count() or 1)
    if workers == 1:
        parts = [make(n, rng) for n, rng in zip(sizes, rngs, strict=True)]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(make, sizes, rngs))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
