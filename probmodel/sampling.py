"""Fitting: sample the prior and the posterior of a scenario into one ``xarray.DataTree``.

A :class:`Run` is the unit users keep: the DataTree (``prior``, ``prior_predictive``, ``posterior``,
``posterior_predictive``, ``log_likelihood``, ``log_prior``, ``sample_stats``, ``observed_data``,
``constant_data`` and ``point``, the outcomes at the point values) plus the metadata that made it
(scenario, resolved priors, evidence records, sampler settings, package version) and its MCMC
diagnostics. Saving stores both in one netCDF file with hashes that :meth:`Run.load` checks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import xarray as xr

from probmodel import forward
from probmodel.equations import OUTCOMES, description
from probmodel.evaluate import point_outcomes
from probmodel.evidence import Record, for_fleet
from probmodel.progress import Progress, callback, stage
from probmodel.run import Run, SamplerSettings, run_meta  # noqa: F401 - re-exported
from probmodel.specs.scenario import Scenario

FORWARD_COMPILE = {"mode": "FAST_COMPILE"}
"""Forward draws (prior, posterior predictive) run a small graph a few thousand times: compiling
it with numba costs more than it saves (measured: 5.4 s vs 2.6 s for 4,000 prior draws)."""


def fit(
    scenario: Scenario,
    evidence: list[Record] = (),
    settings: SamplerSettings | None = None,
    progress: Progress | bool | None = None,
) -> Run:
    """Sample prior and posterior of ``scenario`` given ``evidence``; seeded and reproducible.

    Parameters
    ----------
    scenario : Scenario
    evidence : list of evidence records
    settings : SamplerSettings, optional
        Defaults: 4 chains x 1,000 draws after 1,500 tuning steps (1,000 left the outcome
        records' between-study sd at R-hat 1.0101) at target acceptance 0.98 (0.95 gave one
        divergence in seed-cotrain), 4,000 prior draws.
    progress : callable or bool, optional
        A callback ``progress(step, done, total)`` (:mod:`probmodel.progress`), called at each
        stage and, while NUTS runs, with the draws finished by all chains (from the sampler's
        thread). ``True`` shows PyMC's own bar instead; ``None`` or ``False``: nothing.

    Returns
    -------
    Run
    """
    import pymc as pm

    from probmodel.diagnostics import diagnose
    from probmodel.model import build_model

    settings = settings or SamplerSettings()
    report = callback(progress if callable(progress) else None)
    evidence = for_fleet(evidence, scenario.plan.robot_class)
    with stage(report, "building the model"):
        model = build_model(scenario, evidence)
    free = [rv.name for rv in model.free_RVs]
    pymc_log = logging.getLogger("pymc")
    level = pymc_log.level
    if progress is not True:
        pymc_log.setLevel(logging.WARNING)  # drop "Sampling: [...]" notices in quiet runs
    try:
        # Only the free variables go through the sampler: the outcome Deterministics are computed
        # afterwards from the draws with the same equations (a smaller graph to compile).
        with _draws_reported(report, settings, forward=callable(progress)):
            tree = pm.sample(
                draws=settings.draws,
                tune=settings.tune,
                chains=settings.chains,
                target_accept=settings.target_accept,
                nuts_sampler="nutpie",
                random_seed=settings.seed,
                progressbar=progress is True,
                var_names=free,
                model=model,
            )
        with stage(report, "outcomes of every draw"):
            tree["posterior"] = xr.DataTree(
                _with_derived(tree["posterior"].to_dataset(), model, scenario)
            )
        with stage(report, f"{settings.prior_draws:,} prior draws"):
            prior = prior_tree(model, scenario, settings.prior_draws, settings.seed + 1)
        with stage(report, "log densities and posterior predictive draws"):
            # All draws at once, one compiled function each, cached with the model.
            draws = tree["posterior"].to_dataset()
            tree["log_prior"] = xr.DataTree(forward.log_prior(model, draws))  # psense, update
            if evidence:
                tree["log_likelihood"] = xr.DataTree(forward.log_likelihood(model, draws))
                tree["posterior_predictive"] = xr.DataTree(
                    forward.predictive(model, draws, settings.seed + 2)
                )
    finally:
        pymc_log.setLevel(level)
    for group in ("prior", "prior_predictive"):
        if group in prior.children:
            tree[group] = prior[group]
    with stage(report, "diagnostics (R-hat, ESS, divergences)"):
        tree["point"] = xr.DataTree(point_outcomes(scenario))
        _label(tree)
        meta = run_meta(scenario, evidence, settings)
        # Stored with the run (and its hash) so commands that read it need not re-diagnose.
        meta["diagnostics"] = diagnose(tree).as_dict()
    return Run(tree=tree, meta=meta)


COMPILING = "compiling the model (~15 s)"
SAMPLING = "sampling (NUTS, draws of all chains incl. tuning)"


@contextmanager
def _draws_reported(
    report: Progress, settings: SamplerSettings, forward: bool = True
) -> Iterator[None]:
    """While ``pm.sample`` runs nutpie: report compiling, then the draws finished by all chains.

    PyMC hands nutpie's per-chain progress to its ``NutpieProgressBarManager``; for the time of
    the call that class is replaced by one that forwards the counts to ``report`` (PyMC has no
    public hook for it). If a PyMC release renames it, only the compile step is reported.
    """
    from pymc.sampling import mcmc

    total = settings.chains * (settings.draws + settings.tune)
    report(COMPILING, 0, 1)
    original = getattr(mcmc, "NutpieProgressBarManager", None) if forward else None

    class Forward:
        def __init__(self, *args, **kwargs):
            report(COMPILING, 1, 1)  # made once the model is compiled, before the first draw
            self._done = 0
            report(SAMPLING, 0, total)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, chain_progresses) -> None:
            done = min(sum(int(cp.finished_draws) for cp in chain_progresses), total)
            if done > self._done:
                self._done = done
                report(SAMPLING, done, total)

    if original is not None:
        mcmc.NutpieProgressBarManager = Forward
    try:
        yield
    finally:
        if original is not None:
            mcmc.NutpieProgressBarManager = original
    if original is None:
        report(COMPILING, 1, 1)
    report(SAMPLING, total, total)


def _with_derived(draws: xr.Dataset, model, scenario: Scenario) -> xr.Dataset:
    """``draws`` of the free variables plus every Deterministic of the model: the study and
    new-deployment exponents from PyMC's own graph (:func:`probmodel.forward.deterministics`),
    the outcomes from
    :func:`probmodel.evaluate.draws_outcomes` (the equations the model's Deterministics use,
    evaluated on all draws at once)."""
    from probmodel.evaluate import draws_outcomes

    small = [d.name for d in model.deterministics if d.name not in (*OUTCOMES, "cost")]
    if small:
        draws = draws.merge(forward.deterministics(model, draws, small))
    return draws.merge(draws_outcomes(draws, scenario.plan, scenario.fixed_values()))


def prior_tree(model, scenario: Scenario, draws: int, seed: int) -> xr.DataTree:
    """Prior draws of the world parameters and outcomes (``prior``), in NumPy
    (:func:`probmodel.evaluate.prior_draws`), and the evidence they predict
    (``prior_predictive``), from PyMC's likelihood given those draws
    (:func:`probmodel.forward.predictive`)."""
    from probmodel.evaluate import outcome_dataset, prior_draws

    values = prior_draws(scenario, draws, seed)
    dims = ("chain", "draw")
    parameters = xr.Dataset(
        {k: (dims, v[None, :]) for k, v in values.items()},
        coords={"chain": [0], "draw": np.arange(draws)},
    )
    prior = parameters.merge(outcome_dataset({k: v[None, :] for k, v in values.items()},
                                             scenario.plan, dims))  # fmt: skip
    groups = {"prior": prior}
    if model.observed_RVs:
        # The free variables that are not world parameters (study latents, new-deployment
        # draws) are drawn from their priors, one per draw.
        free = [rv.name for rv in model.free_RVs if rv.name in parameters]
        groups["prior_predictive"] = forward.predictive(model, parameters[free], seed)
    return xr.DataTree.from_dict(groups)


def _label(tree: xr.DataTree) -> None:
    """Attach units and meanings to every variable so the DataTree reads like the domain."""
    for node in tree.subtree:
        ds = node.to_dataset()
        for name in ds.data_vars:
            text = description(name)
            if text:
                ds[name].attrs["description"] = text
        node.dataset = ds
