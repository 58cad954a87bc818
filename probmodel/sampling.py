"""Fitting: sample the prior and the posterior of a scenario into one ``xarray.DataTree``.

A :class:`Run` is the unit users keep: the DataTree (``prior``, ``prior_predictive``, ``posterior``,
``posterior_predictive``, ``log_likelihood``, ``log_prior``, ``sample_stats``, ``observed_data``,
``constant_data`` and ``point``, the outcomes at the point values) plus the metadata that made it
(scenario, resolved priors, evidence records, sampler settings, package version) and its MCMC
diagnostics. Saving stores both in one netCDF file with hashes that :meth:`Run.load` checks.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict

import numpy as np
import xarray as xr

from probmodel import densities, forward
from probmodel.compiling import compile_nuts
from probmodel.equations import OUTCOMES, description
from probmodel.evaluate import point_outcomes
from probmodel.evidence import Record, for_fleet
from probmodel.progress import Progress, callback, stage
from probmodel.run import Run, SamplerSettings, run_meta  # noqa: F401 - re-exported
from probmodel.specs.scenario import Scenario

FORWARD_COMPILE = {"mode": forward.FORWARD_MODE}
"""Compile options of the remaining forward graphs (SBC's simulated evidence, update's
integrated likelihood): the mode :data:`probmodel.forward.FORWARD_MODE` was chosen by measurement."""


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

    from probmodel.diagnostics import diagnose

    settings = settings or SamplerSettings()
    report = callback(progress if callable(progress) else None)
    evidence = for_fleet(evidence, scenario.plan.robot_class)
    model, compiled = compiled_model(scenario, evidence, report)
    pymc_log = logging.getLogger("pymc")
    level = pymc_log.level
    if progress is not True:
        pymc_log.setLevel(logging.WARNING)  # drop "Sampling: [...]" notices in quiet runs
    try:
        tree = _nuts(model, compiled, settings, report, bar=progress is True)
        with stage(report, "outcomes of every draw"):
            draws = join_unsampled(
                tree["posterior"].to_dataset(), model, scenario, evidence, settings.seed + 3
            )
            tree["posterior"] = xr.DataTree(_with_derived(draws, model, scenario, evidence))
        with stage(report, f"{settings.prior_draws:,} prior draws"):
            prior = prior_tree(model, scenario, evidence, settings.prior_draws, settings.seed + 1)
        with stage(report, "log densities and posterior predictive draws"):
            # All draws at once, in NumPy (probmodel.densities): no second graph to compile.
            values, sample = forward.flat_draws(model, tree["posterior"].to_dataset())
            log_prior = densities.log_prior(scenario, evidence, values)  # psense, update
            tree["log_prior"] = xr.DataTree(forward.dataset(model, log_prior, sample))
            if evidence:
                terms = densities.evidence(scenario, evidence, values)
                tree["log_likelihood"] = xr.DataTree(
                    forward.dataset(model, densities.log_likelihood(terms), sample)
                )
                predicted = densities.predictive(terms, settings.seed + 2)
                tree["posterior_predictive"] = xr.DataTree(
                    forward.dataset(model, predicted, sample)
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


COMPILING = (
    "compiling the model (~10 s, ~45 s while PyTensor's disk cache is empty; once per process "
    "for a configuration)"
)
SAMPLING = "sampling (NUTS, draws of all chains incl. tuning)"
COMPILED_KEPT = 4
"""PyMC models with their nutpie compilation kept per process, least recently used dropped: a
few MB each."""
_COMPILED: OrderedDict[str, tuple] = OrderedDict()
"""``(PyMC model, nutpie compiled model)`` by :func:`density_key` (see :func:`compiled_model`)."""
_COMPILED_LOCK = threading.Lock()


def density_key(scenario: Scenario, evidence: list[Record]) -> str:
    """What the compiled log density (and nutpie's draws) depend on: the priors, the records as
    they apply to the plan's fleet, and the code; not the rest of the plan, which enters only
    the outcome Deterministics (computed from the draws afterwards). Scenarios that differ only
    in their plan share one compile; ``tests/test_sampling_reuse.py`` checks on every shipped
    scenario that equal keys mean structurally equal log-density graphs."""
    from probmodel import io

    meta = run_meta(scenario, evidence, SamplerSettings())
    return io.config_hash(
        {
            "priors": meta["priors"],
            "evidence": meta["evidence"],
            "tables": meta["evidence_tables"],
            "robot_class": scenario.plan.robot_class,
            "code": meta["code"],
        }
    )


def compiled_model(scenario: Scenario, evidence: list[Record], report: Progress | None = None):
    """The PyMC model a fit of ``scenario`` given ``evidence`` uses and its nutpie compilation,
    both built once per process for a log density (:func:`density_key`).

    nutpie's compile (PyTensor rewrites of the log density and its gradient, then numba) is most
    of a fit's time. Its numba part is cached on disk (:mod:`probmodel.compiling`), its rewrites
    are not, so a process that fits again (a re-sample with other settings or seed, another plan
    on the same priors and evidence, the explorer, the tests) pays the compile once.

    Scenarios that differ only in their plan share the model too: nothing a fit computes through
    the model depends on the plan (the sampled log density, the data groups and the layout of
    the draws; everything after NUTS is NumPy, :mod:`probmodel.densities`); the outcomes come from
    :func:`probmodel.evaluate.draws_outcomes` with the fit's own plan. The shared model's outcome Deterministics are those of the first plan it was built
    for and are never evaluated.

    Returns
    -------
    (pymc.Model, nutpie.compiled_pyhmc.CompiledPyMCModel)
        The model must not be modified: later fits share it.
    """
    report = callback(report)
    density = density_key(scenario, evidence)
    with _COMPILED_LOCK:
        if density in _COMPILED:
            _COMPILED.move_to_end(density)
            report(COMPILED_REUSED, 1, 1)
            return _COMPILED[density]
        from probmodel.model import build_model

        with stage(report, "building the model"):
            model = build_model(scenario, evidence)
        with stage(report, COMPILING):
            compiled = compile_nuts(sampled_model(model))
        _COMPILED[density] = model, compiled
        while len(_COMPILED) > COMPILED_KEPT:  # least recently used first
            _COMPILED.popitem(last=False)
        return model, compiled


def sampled_model(model):
    """The part of ``model`` that NUTS samples: the free random variables the evidence reaches
    (ancestors of an observed variable), their priors and the likelihood; ``model`` itself when
    it has no evidence.

    Why this is exact: call the sampled variables S and the other free variables U. No variable
    of U is a parent of one in S (a parent of an ancestor of the evidence is one too) and the
    evidence D depends on S alone, so ``p(S, U | D) = p(S | D) p(U | S)``: NUTS draws S from
    its posterior, and :func:`join_unsampled` draws U given each draw of S from its prior. In
    seed-cotrain with the shipped evidence, 24 of 59 free variables (the cost and data-source
    parameters no record measures, the new-deployment transfer draws) leave NUTS this way.
    """
    if not model.observed_RVs:
        return model
    from pymc.model.transform.basic import prune_vars_detached_from_observed

    return prune_vars_detached_from_observed(model)


def join_unsampled(
    draws: xr.Dataset, model, scenario: Scenario, records: list[Record], seed
) -> xr.Dataset:
    """``draws`` of the sampled free variables (:func:`sampled_model`) joined with draws of
    every other free variable of ``model`` (built from ``scenario`` and ``records``) from its
    prior, one per draw (:func:`probmodel.densities.prior_draws`, in NumPy; ``seed``: an int or a
    sequence of ints), in the model's order of free variables. The free variables are a priori
    independent (non-centred latents), so their prior given the sampled ones is their prior."""
    free = [rv.name for rv in model.free_RVs]
    if all(name in draws.data_vars for name in free):
        return draws
    values, sample = forward.flat_draws(model, draws)
    n = int(np.prod(sample["shape"]))
    rest = densities.prior_draws(scenario, records, n, seed, given=values)
    joined = draws.merge(forward.dataset(model, rest, sample))
    order = [name for name in free if name in joined.data_vars]
    return joined[order + [n for n in joined.data_vars if n not in order]]


def forget_compiled() -> None:
    """Drop this process's built and compiled models: the next fit builds and compiles again,
    as in a new process (for benchmarks that time what a first fit of a configuration costs)."""
    with _COMPILED_LOCK:
        _COMPILED.clear()


COMPILED_REUSED = "compiled model reused (built earlier in this process)"


def draws_forwarder(report: Progress, total: int):
    """nutpie's ``progress_callback``: reports ``(SAMPLING, draws finished by all chains,
    total)``, starting at 0, only when the count grows, clipped at ``total``."""
    done = [0]
    report(SAMPLING, 0, total)

    def forward(chain_progresses) -> None:
        finished = min(sum(int(cp.finished_draws) for cp in chain_progresses), total)
        if finished > done[0]:
            done[0] = finished
            report(SAMPLING, finished, total)

    return forward


def _nuts(model, compiled, settings: SamplerSettings, report: Progress, bar: bool) -> xr.DataTree:
    """Run nutpie on the compiled model: the same call, seeds and result as
    ``pm.sample(nuts_sampler="nutpie")`` (per-chain seeds spawned from ``settings.seed``; the
    DataTree patched with observed and constant data), without compiling again. Reports the
    draws finished by all chains while it runs; ``bar`` shows nutpie's own bar instead."""
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata
    from pymc.util import get_random_generator

    # pm.sample spawns one generator per chain and gives nutpie the first one's integer.
    seed = int(get_random_generator(settings.seed).spawn(settings.chains)[0].integers(2**30))
    total = settings.chains * (settings.draws + settings.tune)
    forward = draws_forwarder(report, total)

    started = time.time()
    tree = nutpie.sample(
        compiled,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=min(os.cpu_count() or 1, settings.chains),
        seed=seed,
        target_accept=settings.target_accept,
        save_warmup=False,
        store_unconstrained=False,
        progress_bar=bar,
        progress_callback=None if bar else forward,
    )
    patch_nutpie_idata(tree, model, sampling_time=time.time() - started)
    report(SAMPLING, total, total)
    return tree


def _with_derived(draws: xr.Dataset, model, scenario: Scenario, records) -> xr.Dataset:
    """``draws`` of the free variables plus every Deterministic of the model: the study and
    new-deployment values (:func:`probmodel.densities.derived`) and the outcomes
    (:func:`probmodel.evaluate.draws_outcomes`), all from the equations the model's
    Deterministics use, evaluated on all draws at once in NumPy."""
    from probmodel.evaluate import draws_outcomes

    small = [d.name for d in model.deterministics if d.name not in (*OUTCOMES, "cost")]
    if small:
        values, sample = forward.flat_draws(model, draws)
        derived = densities.derived(scenario, records, values)
        draws = draws.merge(forward.dataset(model, {k: derived[k] for k in small}, sample))
    return draws.merge(draws_outcomes(draws, scenario.plan, scenario.fixed_values()))


def prior_tree(
    model, scenario: Scenario, records: list[Record], draws: int, seed: int
) -> xr.DataTree:
    """Prior draws of the world parameters and outcomes (``prior``), in NumPy
    (:func:`probmodel.evaluate.prior_draws`), and the evidence ``records`` they predict
    (``prior_predictive``; :func:`probmodel.densities.predictive`)."""
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
        # The free variables that are not world parameters (study latents, curve and effect
        # latents, new-deployment draws) are drawn from their priors, one per draw; then the
        # evidence given every free variable; all in NumPy, as the posterior predictive.
        values, sample = forward.flat_draws(model, parameters)
        values.update(densities.prior_draws(scenario, records, draws, [seed, 1], given=values))
        terms = densities.evidence(scenario, records, values)
        groups["prior_predictive"] = forward.dataset(
            model, densities.predictive(terms, seed), sample
        )
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
