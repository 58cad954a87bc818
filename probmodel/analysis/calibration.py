"""Simulation-based calibration (SBC) of the full model with its evidence.

Prior SBC (Talts et al. 2018, arXiv 1804.06788): draw parameters from the prior, simulate every
evidence record from them with the model's own likelihood, fit the simulated evidence, and rank
each known value among its posterior draws. If the inference is calibrated, every parameter's rank
is uniform over simulations; a U shape means posteriors too narrow, a hump too wide, a slope a bias.

Uniformity is judged per parameter with ArviZ's ``pot_c`` test (pointwise order tests with a
Cauchy combination, Tesso et al. 2026, arXiv 2603.02928, the method ``arviz_plots.plot_ecdf_pit``
uses by default), on randomised PIT values ``(rank + U) / (L + 1)`` of the ``L`` thinned posterior
draws, which are exactly uniform under calibration. With dozens of parameters a few p-values below
0.05 are expected by chance, so a parameter *fails* only below ``0.05 / n_parameters``
(Bonferroni: a 5% chance that any calibrated parameter fails) and is marked *watch* below 0.05.
``pot_c`` p-values are not uniform under calibration (they stay below ~0.5) but their lower tail is
(300 null simulations of 200 uniform PITs: 6% below 0.05, 0.3% below 0.01, none below 0.0007), so
a handful of *watch* verdicts among dozens of parameters is expected.

The results use simuk's layout (group ``prior_sbc`` of ranks with dims ``(chain, draw)``, one
"draw" per simulation), so ``arviz_plots.plot_ecdf_pit`` plots them directly. The engine differs
from simuk's, which re-compiles and samples one simulation at a time: here the model is compiled
once per worker and every simulation swaps its evidence into the compiled model's data
containers; batches of simulations run on local processes, or on a Dask cluster.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from probmodel.errors import InvalidArgumentError
from probmodel.progress import Progress, counter, stage
from probmodel.specs.scenario import Scenario

SIMULATED_SCORE_CLIP = (1e-12, 1.0 - 1e-12)
"""Simulated curve scores are clipped into this range: as little as keeps the Beta density finite
(see :mod:`probmodel.analysis.recovery` for why the real-data clip must not be used here)."""
FAMILY_ALPHA = 0.05
"""Chance, under calibration, that any parameter is marked as failing (Bonferroni)."""


@dataclass(frozen=True)
class SBCSettings:
    """Simulations and the sampler settings of each fit; part of the saved configuration.

    ``rank_draws`` posterior draws, equally spaced over the pooled chains, rank each known value
    (thinning keeps the draws nearly independent, as rank uniformity assumes). The defaults sample
    2 chains x 500 draws after 500 tuning steps at ``target_accept = 0.99``: prior draws reach
    regimes the shipped evidence does not (near-flat curves, a sharply measured study exponent
    with a loose population), where 0.9 gave divergences in a third of the simulations.
    """

    n_sims: int = 200
    draws: int = 500
    tune: int = 500
    chains: int = 2
    rank_draws: int = 100
    target_accept: float = 0.99
    seed: int = 0

    def __post_init__(self):
        for key in ("n_sims", "draws", "tune", "chains", "rank_draws"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidArgumentError(
                    f"SBC setting {key} = {value!r}: must be a positive integer."
                )
        if self.n_sims < 2:
            raise InvalidArgumentError(f"n_sims = {self.n_sims}: SBC needs at least 2 simulations.")
        if self.rank_draws > self.draws * self.chains:
            raise InvalidArgumentError(
                f"rank_draws = {self.rank_draws}: more than the {self.draws * self.chains} "
                "posterior draws of each fit (draws x chains)."
            )
        if not 0.5 <= self.target_accept < 1:
            raise InvalidArgumentError(
                f"target_accept = {self.target_accept!r}: must be in [0.5, 1)."
            )


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------


def simulate_evidence(model, n: int, seed: int, score_clip=SIMULATED_SCORE_CLIP):
    """Joint prior draws and evidence simulated from them by the model's likelihood.

    Returns
    -------
    prior : xarray.Dataset
        ``n`` prior draws of the model's variables (dims ``draw`` and the variables' own).
    evidence : dict of str to numpy.ndarray
        Simulated observations per observed variable, shaped ``(n, entries)``.
    clipped : numpy.ndarray of int
        Simulated curve scores moved by ``score_clip``, per simulation.
    """
    import pymc as pm

    from probmodel.model import EVIDENCE_VARS
    from probmodel.sampling import FORWARD_COMPILE

    observed = [name for name in EVIDENCE_VARS if name in model.named_vars]
    if not observed:
        raise InvalidArgumentError("no evidence records: there is nothing to simulate.")
    pymc_log = logging.getLogger("pymc")
    level = pymc_log.level
    pymc_log.setLevel(logging.WARNING)  # drop "Sampling: [...]" notices
    try:
        draws = pm.sample_prior_predictive(
            draws=n, model=model, random_seed=seed, compile_kwargs=FORWARD_COMPILE
        )
    finally:
        pymc_log.setLevel(level)
    evidence = {name: draws["prior_predictive"][name].isel(chain=0).values for name in observed}
    clipped = np.zeros(n, dtype=int)
    from probmodel.evidence import FRACTION_VARS

    for name in FRACTION_VARS:
        if name in evidence:
            raw = evidence[name]
            evidence[name] = np.clip(raw, *score_clip)
            clipped = clipped + (evidence[name] != raw).sum(axis=1)
    return draws["prior"].to_dataset().isel(chain=0), evidence, clipped


def parameters_of(model) -> list[str]:
    """The model's free random variables: every world parameter not fixed, the new-deployment
    exponent draws and the study-level latents of the curve and effect records."""
    return [rv.name for rv in model.free_RVs]


# --------------------------------------------------------------------------------------------
# Fitting, on any engine
# --------------------------------------------------------------------------------------------

_COMPILED: dict[str, Any] = {}
"""The compiled model of this process, by configuration: built on a worker's first batch and
reused for every later batch that worker runs (compiling costs ~15 s, a fit under a second)."""


def _compiled(job: dict[str, Any]):
    """``(compiled, names, model)``: nutpie's compile of the part of the model NUTS samples
    (:func:`probmodel.sampling.sampled_model`, as :func:`probmodel.sampling.fit` does), the
    names of every free variable, and the whole model (to draw the rest)."""
    from probmodel.compiling import compile_nuts
    from probmodel.model import build_model
    from probmodel.sampling import sampled_model

    if job["key"] not in _COMPILED:
        model = build_model(job["scenario"], job["records"])
        compiled = compile_nuts(sampled_model(model))
        _COMPILED.clear()
        _COMPILED[job["key"]] = (compiled, parameters_of(model), model)
    return _COMPILED[job["key"]]


def fit_batch(job: dict[str, Any], batch: dict[str, Any]) -> dict[str, Any]:
    """Fit the simulations of one batch and rank their known values; runs on any worker.

    ``batch`` holds ``index`` (simulation numbers), ``evidence`` (name -> (k, entries)) and
    ``known`` (name -> (k, ...)). Simulation ``i`` samples with seed ``settings.seed + 1 + i``, so
    results do not depend on how simulations are split into batches or which engine runs them.
    """
    import arviz as az
    import nutpie

    from probmodel.sampling import join_unsampled

    compiled, names, model = _compiled(job)
    s: SBCSettings = job["settings"]
    index = list(batch["index"])
    ranks = {name: [] for name in names}
    stats = {"divergences": [], "max_rhat": [], "min_ess_bulk": [], "seconds": []}
    keep = np.linspace(0, s.chains * s.draws - 1, s.rank_draws).round().astype(int)
    for j, i in enumerate(index):
        started = time.perf_counter()
        data = {f"{name}_observed": values[j] for name, values in batch["evidence"].items()}
        trace = nutpie.sample(
            compiled.with_data(**data),
            draws=s.draws,
            tune=s.tune,
            chains=s.chains,
            cores=job["cores"],
            seed=s.seed + 1 + i,
            target_accept=s.target_accept,
            progress_bar=False,
        )
        # The free variables the evidence does not reach, drawn as a fit draws them: their
        # ranks check the joining (exactly uniform when it is right).
        posterior = join_unsampled(
            trace["posterior"].to_dataset(), model, job["scenario"], job["records"],
            [s.seed + 1 + i, 3],
        )
        for name in names:
            da = posterior[name]
            pooled = da.values.reshape(s.chains * s.draws, *da.shape[2:])[keep]
            ranks[name].append((pooled < batch["known"][name][j]).sum(axis=0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rhat = az.rhat(posterior, var_names=names)
            ess = az.ess(posterior, var_names=names, method="bulk")
        stats["divergences"].append(int(trace["sample_stats"]["diverging"].values.sum()))
        stats["max_rhat"].append(max(float(np.nanmax(rhat[n].values)) for n in names))
        stats["min_ess_bulk"].append(min(float(np.nanmin(ess[n].values)) for n in names))
        stats["seconds"].append(time.perf_counter() - started)
    return {
        "index": index,
        "ranks": {name: np.asarray(v) for name, v in ranks.items()},
        "stats": {k: np.asarray(v) for k, v in stats.items()},
        "worker": os.getpid(),
    }


def _run_local(job, batches, workers: int, progress: Callable[[int], None]) -> list[dict]:
    """Batches on ``workers`` local processes (spawned: no forked threads from the parent)."""
    if workers == 1:
        return [_done(fit_batch(job, b), progress) for b in batches]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(fit_batch, job, b) for b in batches]
        return [_done(f.result(), progress) for f in as_completed(futures)]


SCHEDULER_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler to answer before giving up with a clear error."""


def connect(scheduler: str):
    """A Dask client of the scheduler at ``scheduler``, or a clear error naming the address."""
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise InvalidArgumentError(
            f"scheduler = {scheduler!r}: give a Dask scheduler address like tcp://host:8786."
        )
    from distributed import Client

    try:
        return Client(scheduler, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        raise InvalidArgumentError(
            f"--scheduler {scheduler}: no Dask scheduler answered within {SCHEDULER_TIMEOUT} "
            f"({type(err).__name__}: {err}). Start one with `dask scheduler` and workers with "
            "`dask worker ADDRESS`, or omit --scheduler to use local processes."
        ) from None


def _run_dask(job, batches, client, progress: Callable[[int], None]) -> list[dict]:
    """Batches on the workers of a Dask cluster; each worker compiles the model once."""
    from distributed import as_completed

    futures = client.map(fit_batch, [job] * len(batches), batches, pure=False)
    return [_done(f.result(), progress) for f in as_completed(futures)]


def _done(result: dict, progress: Callable[[int], None]) -> dict:
    progress(len(result["index"]))
    return result


# --------------------------------------------------------------------------------------------
# The calibration run
# --------------------------------------------------------------------------------------------


def sbc(
    scenario: Scenario,
    records: Sequence,
    settings: SBCSettings | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> xr.DataTree:
    """Run simulation-based calibration of ``scenario``'s model with ``records``' evidence.

    Parameters
    ----------
    scenario : Scenario
    records : sequence of evidence records
        Their kinds, x values, uncertainties and confidence tags define what is simulated.
    settings : SBCSettings, optional
    workers : int, optional
        Local worker processes (default: the CPU count, at most one per 10 simulations); 1 runs
        in this process. Ignored when ``scheduler`` is given.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); its workers run the batches.
    progress : callable, optional
        ``progress(step, done, total)`` (:mod:`probmodel.progress`): after the simulation of
        the evidence, and as batches finish, counting simulations fitted.

    Returns
    -------
    xarray.DataTree
        ``prior_sbc`` (ranks, dims ``chain`` = 1 and ``draw`` = simulation), ``reference`` (the
        known values), ``sample_stats`` (per simulation: divergences, max R-hat, min bulk ESS,
        seconds, clipped curve points) and ``verdicts`` (see :func:`verdicts`); attributes hold
        the rank count ``rank_draws``, the engine and the timings.
    """
    from probmodel.io import config_hash
    from probmodel.model import build_model

    settings = settings or SBCSettings()
    records = list(records)
    client = connect(scheduler) if scheduler is not None else None  # fail before any work
    cpus = os.cpu_count() or 1
    if workers is None:
        workers = max(1, min(cpus, settings.n_sims // 10))
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InvalidArgumentError(f"workers = {workers!r}: must be a positive integer.")
    started = time.perf_counter()

    with stage(progress, f"simulating {settings.n_sims:,} evidence sets from the prior"):
        model = build_model(scenario, records)
        names = parameters_of(model)
        prior, evidence, clipped = simulate_evidence(model, settings.n_sims, settings.seed)
    known = {name: prior[name].values for name in names}

    job = {
        "key": config_hash(
            {"scenario": scenario.as_record(), "evidence": [r.as_record() for r in records]}
        ),
        "scenario": scenario,
        "records": records,
        "settings": settings,
        # One core per fit when fits run side by side; a lone process runs its chains in parallel.
        "cores": 1 if client is not None or workers > 1 else max(1, min(cpus, settings.chains)),
    }
    n_batches = workers * 4 if scheduler is None else max(1, settings.n_sims // 5)
    batches = [
        {
            "index": idx.tolist(),
            "evidence": {k: v[idx] for k, v in evidence.items()},
            "known": {k: v[idx] for k, v in known.items()},
        }
        for idx in np.array_split(np.arange(settings.n_sims), min(n_batches, settings.n_sims))
    ]
    advance = counter(
        progress, f"fitting {settings.n_sims:,} simulations (compiling first, ~15 s)",
        settings.n_sims,
    )
    simulated = time.perf_counter()
    if client is not None:
        with client:
            results = _run_dask(job, batches, client, advance)
    else:
        results = _run_local(job, batches, workers, advance)
    fitted = time.perf_counter()
    return _tree(model, names, settings, results, known, clipped, {
        "engine": f"dask {scheduler}" if scheduler else f"local processes x {workers}",
        "seconds_simulate": simulated - started,
        "seconds_fit": fitted - simulated,
        "seconds_total": fitted - started,
        "workers_used": len({r["worker"] for r in results}),
    })  # fmt: skip


def _tree(model, names, settings, results, known, clipped, attrs) -> xr.DataTree:
    """Assemble batch results, in simulation order, into simuk's DataTree layout plus verdicts."""
    order = np.argsort(np.concatenate([r["index"] for r in results]))
    sims = np.arange(settings.n_sims)

    def gather(part: str, key: str) -> np.ndarray:
        return np.concatenate([r[part][key] for r in results])[order]

    dims = {name: list(model.named_vars_to_dims.get(name, ())) for name in names}
    coords = {d: list(model.coords[d]) for ds in dims.values() for d in ds}
    ranks = xr.Dataset(
        {n: (("chain", "draw", *dims[n]), gather("ranks", n)[None]) for n in names},
        coords={"chain": [0], "draw": sims, **coords},
    )
    reference = xr.Dataset(
        {n: (("draw", *dims[n]), known[n]) for n in names}, coords={"draw": sims, **coords}
    )
    stats = xr.Dataset(
        {k: ("draw", gather("stats", k)) for k in results[0]["stats"]}
        | {"clipped_points": ("draw", clipped)},
        coords={"draw": sims},
    )
    tree = xr.DataTree.from_dict(
        {"prior_sbc": ranks, "reference": reference, "sample_stats": stats}
    )
    tree.attrs = {"rank_draws": settings.rank_draws, "method": "prior SBC", **attrs}
    tree["verdicts"] = xr.DataTree(verdicts(tree, seed=settings.seed))
    return tree


def verdicts(tree: xr.DataTree, seed: int = 0) -> xr.Dataset:
    """Per parameter element: the ``pot_c`` uniformity p-value of its ranks and a verdict.

    Ranks are turned into randomised PIT values ``(rank + U) / (L + 1)`` with ``U`` uniform on
    [0, 1) (seeded), exactly uniform under calibration despite ties. Verdicts: ``fail`` when
    p < 0.05 / n (Bonferroni over the n parameter elements), ``watch`` when p < 0.05, else ``pass``.
    """
    import arviz_stats  # noqa: F401 - registers the .azstats accessor

    ranks = tree["prior_sbc"].to_dataset()
    n_ranks = int(tree.attrs["rank_draws"])
    labels, pits = [], []
    rng = np.random.default_rng(seed)
    for name, da in ranks.data_vars.items():
        values = da.isel(chain=0).values.reshape(da.sizes["draw"], -1)
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        if extra:
            index = [",".join(map(str, c)) for c in np.ndindex(*(da.sizes[d] for d in extra))]
            if len(extra) == 1:
                index = [str(c) for c in da[extra[0]].values]
            labels.extend(f"{name}[{c}]" for c in index)
        else:
            labels.append(name)
        pits.append((values + rng.uniform(size=values.shape)) / (n_ranks + 1))
    pit = np.concatenate(pits, axis=1)  # (simulation, parameter element)
    grid = xr.Dataset({"pit": (("parameter", "chain", "draw"), pit.T[:, None, :])})
    p_value, _, _ = grid.azstats.uniformity_test(dim=["chain", "draw"], method="pot_c")
    p = p_value["pit"].values
    threshold = FAMILY_ALPHA / len(labels)
    verdict = np.where(p < threshold, "fail", np.where(p < 0.05, "watch", "pass"))
    mean_rank = pit.mean(axis=0)  # 0.5 when unbiased
    spread = pit.std(axis=0) * math.sqrt(12)  # 1 when calibrated; < 1 a hump, > 1 a U shape
    return xr.Dataset(
        {
            "p_value": ("parameter", p),
            "verdict": ("parameter", verdict.astype(str)),
            "mean_pit": ("parameter", mean_rank),
            "pit_spread": ("parameter", spread),
        },
        coords={"parameter": labels},
        attrs={"fail_below": threshold, "watch_below": 0.05, "test": "pot_c (arviz_stats)"},
    )


def summary(tree: xr.DataTree) -> dict[str, Any]:
    """Counts of verdicts, the failing and watched parameters, and what the fits cost."""
    v = tree["verdicts"].to_dataset()
    stats = tree["sample_stats"].to_dataset()
    verdict = v["verdict"].values
    rows = [
        {
            "parameter": str(p),
            "p_value": float(v["p_value"].sel(parameter=p)),
            "verdict": str(v["verdict"].sel(parameter=p).values),
            "mean_pit": float(v["mean_pit"].sel(parameter=p)),
            "pit_spread": float(v["pit_spread"].sel(parameter=p)),
        }
        for p in v["parameter"].values
    ]
    return {
        "passed": bool((verdict != "fail").all()),
        "n_sims": int(stats.sizes["draw"]),
        "n_parameters": len(rows),
        "counts": {k: int((verdict == k).sum()) for k in ("pass", "watch", "fail")},
        "fail_below": float(v.attrs["fail_below"]),
        "rows": rows,
        "divergent_sims": int((stats["divergences"].values > 0).sum()),
        "total_divergences": int(stats["divergences"].values.sum()),
        "max_rhat": float(np.nanmax(stats["max_rhat"].values)),
        "min_ess_bulk": float(np.nanmin(stats["min_ess_bulk"].values)),
        "clipped_points": int(stats["clipped_points"].values.sum()),
        "engine": tree.attrs.get("engine"),
        "seconds": {k[8:]: float(tree.attrs[k]) for k in tree.attrs if k.startswith("seconds_")},
        "settings_rank_draws": int(tree.attrs["rank_draws"]),
    }


# --------------------------------------------------------------------------------------------
# Figure and command
# --------------------------------------------------------------------------------------------


def plot_ranks(tree: xr.DataTree):
    """Δ-ECDF (ECDF minus uniform) of every parameter's ranks with its ``pot_c`` p-value
    (``arviz_plots.plot_ecdf_pit``); suspicious points are highlighted. Returns the figure."""
    import matplotlib

    matplotlib.use("Agg")
    from arviz_base import rc_context
    from arviz_plots import plot_ecdf_pit

    ranks = tree["prior_sbc"].to_dataset()
    n_panels = sum(int(np.prod([da.sizes[d] for d in da.dims if d not in ("chain", "draw")]))
                   for da in ranks.data_vars.values())  # fmt: skip
    cols = 6
    rows = math.ceil(n_panels / cols)
    with rc_context({"plot.max_subplots": max(n_panels, 40)}):
        pc = plot_ecdf_pit(
            tree,
            group="prior_sbc",
            backend="matplotlib",
            col_wrap=cols,
            figure_kwargs={"figsize": (3.0 * cols, 2.2 * rows), "sharex": True, "sharey": True},
        )
    fig = pc.viz["figure"].item()
    height = 2.2 * rows
    fig.set_layout_engine(None)
    fig.subplots_adjust(top=1 - 0.7 / height, bottom=0.4 / height, hspace=0.6, wspace=0.25)
    fig.suptitle(
        f"Are the posteriors calibrated? Rank ECDF minus uniform, {tree['reference'].sizes['draw']}"
        " simulated evidence sets; p: pot_c uniformity test (highlighted: the points departing most)",
        x=0.01, y=1 - 0.15 / height, ha="left", va="top", fontsize=12,
    )  # fmt: skip
    return fig


