"""Add one evidence record to a fitted run without re-sampling, when importance sampling allows it.

A new record multiplies the posterior by its likelihood, so the old posterior draws weighted by
that likelihood are draws of the new posterior (importance sampling). Pareto-smoothed importance
sampling (PSIS; Vehtari et al. 2024) stabilises the weights, and its Pareto k says when they can be
trusted (k <= 0.7).

A curve or effect record also brings latent parameters of its own (a study's exponent z, log-gap
intercept and precision; an effect's exponent z and base success). Their priors do not depend on
any other parameter, so for each posterior draw ``inner`` values are drawn from that prior and the
draw's weight is the average of the record's likelihood over them: an unbiased estimate of the
record's likelihood with its latents integrated out ("importance sampling squared"; Tran et al.
2013). A resampled draw then takes one of its inner values in proportion to its likelihood. With
one inner value this is plain posterior x prior proposal; averaging over many is what makes curve
records (whose latents their own points pin down) usable at all: measured on seed-cotrain with 600
draws, Pareto k 1.4 with one inner draw and 0.5 with 1,000.

When the weights are unreliable (a record that sharply narrows or contradicts the posterior, or
leaves too few effective draws) or the run no longer matches its spec files, the scenario is
re-sampled with NUTS instead.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from probmodel import densities, forward
from probmodel.constants import PARETO_K_RELIABLE, SAMPLE_DIMS
from probmodel.equations import WORLD_PARAMETERS
from probmodel.errors import InvalidArgumentError, ProbmodelError, SpecError
from probmodel.model import EVIDENCE_VARS, build_model, record_of
from probmodel.progress import Progress, callback
from probmodel.run import is_stale
from probmodel.sampling import FORWARD_COMPILE, Run, run_meta
from probmodel.specs.library import Library, read_evidence_file

"""Largest Pareto k at which PSIS weights are trusted (the usual limit)."""
MIN_ESS = 100.0
"""Fewest effective draws worth keeping: percentiles from fewer distinct draws are too rough."""
INNER_BUDGET = 1_500_000
"""Outer x inner draws evaluated for a record with latents (memory ~100 MB, seconds of time)."""
MAX_INNER = 1000
CHUNK = 200_000


@dataclass
class UpdateResult:
    """What :func:`update_run` did.

    Attributes
    ----------
    run : Run
        The run with the new record (reweighted or re-sampled).
    method : {"psis", "resampled"}
    pareto_k : float
        Pareto k of the importance weights (NaN when they were not computed, inf when one draw
        carried all the weight).
    ess : float
        Effective sample size of the smoothed importance weights (NaN when not computed).
    seconds : float
        Wall time of the update.
    message : str
        What happened and why, for people.
    """

    run: Run
    method: str
    pareto_k: float
    ess: float
    seconds: float
    message: str


def update_run(
    run: Run,
    record_file: str | Path,
    priors_dir: str | Path | None = None,
    k_threshold: float = PARETO_K_RELIABLE,
    seed: int | None = None,
    min_ess: float = MIN_ESS,
    progress: Progress | None = None,
    refit=None,
) -> UpdateResult:
    """Condition a fitted run on one more evidence record, by PSIS reweighting when reliable.

    Parameters
    ----------
    run : Run
        A fitted run of a scenario in the spec folder.
    record_file : str or Path
        The new evidence file (any of the four kinds); it may already sit in the spec folder.
    priors_dir : str or Path, optional
        The spec folder (default: the shipped ``priors/``).
    k_threshold : float
        Re-sample instead of reweighting when the Pareto k exceeds this (0.7).
    seed : int, optional
        Seed of the prior draws of new latents and of the resampling (default: the run's seed).
    min_ess : float
        Re-sample when the weights leave fewer effective draws than this (100).
    progress : callable, optional
        ``progress(step, done, total)`` while the record is weighed and, when it comes to that,
        while the scenario is re-sampled (:mod:`probmodel.progress`).
    refit : callable, optional
        ``refit(scenario, records, settings, progress=...) -> Run`` for a re-sample (default:
        :func:`probmodel.sampling.fit` in this process; the CLI passes the warm worker's).

    Returns
    -------
    UpdateResult

    Raises
    ------
    SpecError
        The record file has problems.
    ProbmodelError
        The record's id is already in the run, or the run's records are missing from the folder.
    """
    started = time.perf_counter()
    if not isinstance(run, Run):
        raise InvalidArgumentError(f"run = {type(run).__name__}: expected a probmodel Run.")
    if not (isinstance(k_threshold, (int, float)) and 0 < k_threshold <= PARETO_K_RELIABLE):
        raise InvalidArgumentError(
            f"k_threshold = {k_threshold!r}: must be a number in (0, {PARETO_K_RELIABLE}]; above "
            f"{PARETO_K_RELIABLE} importance weights are unreliable, and the run would be flagged "
            "as failing its diagnostics."
        )
    if not (isinstance(min_ess, (int, float)) and min_ess >= 1):
        raise InvalidArgumentError(f"min_ess = {min_ess!r}: must be a number >= 1.")
    new, problems = read_evidence_file(Path(record_file))
    if problems or new is None:
        raise SpecError(problems)
    if new.id in run.meta.get("evidence_ids", []):
        raise ProbmodelError(
            f"evidence record {new.id!r} ({record_file}) is already in this run. To revise a "
            "record, edit its file and re-fit (`probmodel sample`); to add a different result, "
            "give it its own id."
        )
    lib = Library.open(priors_dir)
    scenario = lib.scenario(run.name)
    old_records = _run_records(run, lib)
    records = old_records + [new]
    settings = run.settings
    seed = settings.seed if seed is None else seed

    def resample(reason: str, k: float = math.nan, ess: float = math.nan) -> UpdateResult:
        from probmodel.sampling import fit

        fitted = (refit or fit)(scenario, records, settings, progress=callback(progress))
        seconds = time.perf_counter() - started
        return UpdateResult(fitted, "resampled", k, ess, seconds, f"{reason}; re-sampled.")

    if is_stale(run, priors_dir):
        return resample(
            "the run no longer matches its spec files (scenario, priors, its evidence records or "
            "sampler settings changed since it was sampled), so its draws are not the posterior "
            "to reweight"
        )
    rng = np.random.default_rng(seed)
    post = run.tree["posterior"].to_dataset()
    try:
        inner_ll, latents = _record_log_likelihood(scenario, new, post, rng)
    except _NotIndependent as err:
        return resample(f"{err}, so its prior cannot be drawn on its own")
    n, inner = inner_ll.shape
    log_ratio = _logmeanexp(inner_ll)
    log_w, k = psis_log_weights(log_ratio.reshape(post.sizes["chain"], post.sizes["draw"]))
    weights = np.exp(log_w.ravel())
    ess = float(1.0 / np.sum(weights**2)) if np.all(np.isfinite(weights)) else 1.0
    if not k <= k_threshold:
        shown = "inf (one draw carries all the weight)" if math.isinf(k) else f"{k:.2f}"
        return resample(
            f"Pareto k = {shown} > {k_threshold:g}: importance reweighting is unreliable for this "
            "record (it moves the posterior further than the existing draws cover)",
            k,
            ess,
        )
    if ess < min_ess:
        return resample(
            f"Pareto k = {k:.2f} but only {ess:.0f} effective draws of {n:,} (< {min_ess:g}): "
            "the record is too informative for reweighting",
            k,
            ess,
        )

    index = systematic_resample(weights, rng)
    chosen = _choose_inner(inner_ll[index], rng)
    new_latents = {name: values[index, chosen] for name, values in latents.items()}
    model = build_model(scenario, records)
    tree = _updated_tree(run.tree, model, scenario, records, index, new_latents, new, seed)
    meta = run_meta(scenario, records, settings)
    meta["update"] = {
        "method": "psis",
        "pareto_k": k,
        "ess": ess,
        "inner_draws": inner,
        "base_config_hash": run.config_hash,
        "added": new.id,
        "previous": run.meta.get("update"),  # an update of an update keeps the chain
    }
    how = (
        f", averaging its likelihood over {inner:,} prior draws of its latents" if inner > 1 else ""
    )
    message = (
        f"Pareto k = {k:.2f} <= {k_threshold:g}: reweighted the {n:,} posterior draws by the "
        f"likelihood of {new.id!r}{how} (importance-sampling ESS {ess:,.0f} of {n:,}) and "
        "resampled them; no MCMC. Resampled draws repeat, so R-hat and ESS of the new run "
        "overstate its precision; re-fit with `probmodel sample` for final numbers."
    )
    seconds = time.perf_counter() - started
    return UpdateResult(Run(tree, meta), "psis", k, ess, seconds, message)


def systematic_resample(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``len(weights)`` draws chosen with probability ``weights`` (systematic).

    One uniform offset and evenly spaced points on the weights' cumulative sum: lower variance than
    multinomial resampling, and the indices come out sorted, so each chain keeps mostly its own
    draws.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidArgumentError("weights must be a non-empty vector of finite numbers >= 0.")
    n = w.size
    positions = (rng.uniform() + np.arange(n)) / n
    cumulative = np.cumsum(w / w.sum())
    return np.minimum(np.searchsorted(cumulative, positions), n - 1)


# ------------------------------------------------------------------------------- importance weights


class _NotIndependent(ProbmodelError):
    """A new latent whose prior depends on other parameters (the proposal would be wrong)."""


def _run_records(run: Run, lib: Library) -> list:
    """The run's evidence records as the spec folder has them now, in the run's order."""
    by_id = {r.id: r for r in lib.evidence()}
    ids = run.meta.get("evidence_ids", [])
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ProbmodelError(
            f"the run uses evidence records that are not in {lib.root / 'evidence'}: "
            f"{', '.join(missing)} (added by an earlier update from a file elsewhere?). Copy their "
            "files into that folder, or re-fit."
        )
    return [by_id[i] for i in ids]


def _record_log_likelihood(scenario, record, post: xr.Dataset, rng):
    """Log-likelihood of ``record`` at every posterior draw x inner prior draw of its latents.

    The record's likelihood depends only on world parameters and its own latents (true of every
    evidence kind), so a model of the record alone gives it; its graph is vectorised over draws.

    Returns
    -------
    log_lik : ndarray, shape (n_draws, inner)
    latents : dict of name -> ndarray, shape (n_draws, inner, ...)
        The inner prior draws of the record's new latents (none for measurements and metas;
        a study the run already has keeps its posterior draws, so its latents are not here).
    """
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt
    from pymc.distributions.shape_utils import change_dist_size
    from pymc.model.transform.conditioning import remove_value_transforms
    from pytensor.graph.replace import vectorize_graph
    from pytensor.graph.traversal import ancestors

    solo = remove_value_transforms(build_model(scenario, [record]))
    observed = [solo[n] for n in EVIDENCE_VARS if n in solo.named_vars]
    total = pt.sum([lp.sum() for lp in solo.logp(vars=observed, sum=False)])
    inputs = [v for v in solo.value_vars if v in set(ancestors([total]))]
    names = [solo.values_to_rvs[v].name for v in inputs]
    free = set(solo.free_RVs)
    latent_names = [name for name in names if name not in WORLD_PARAMETERS]
    for name in latent_names:
        if any(a in free for a in ancestors(solo[name].owner.inputs)):
            raise _NotIndependent(f"the new latent {name!r} depends on other parameters")
    batched = {
        v: pt.tensor(name=v.name, dtype=v.dtype, shape=(None, *v.type.shape)) for v in inputs
    }
    fn = pytensor.function(
        list(batched.values()), vectorize_graph(total, replace=batched), **FORWARD_COMPILE
    )

    n = post.sizes["chain"] * post.sizes["draw"]
    # A study the run already has keeps its posterior draws (a record added to a known study
    # shares its exponent, transfer value or level); only new studies' latents are drawn.
    known = {name: _known_columns(solo, name, post) for name in latent_names}
    fresh_names = [name for name in latent_names if len(known[name]) < _width(solo, name)]
    inner = max(1, min(MAX_INNER, INNER_BUDGET // n)) if fresh_names else 1
    drawn = {
        name: np.asarray(
            pm.draw(
                change_dist_size(solo[name], new_size=(n * inner,), expand=True),
                random_seed=rng,
                **FORWARD_COMPILE,  # not PyTensor's default, numba: 1.3 s vs 0.05 s on first use
            )
        )
        for name in latent_names
    }
    latents = {}
    for name in latent_names:
        columns = known[name]
        if columns:
            (dim,) = solo.named_vars_to_dims[name]
            labels = [solo.coords[dim][i] for i in columns]
            values = post[name].sel({dim: labels}).transpose(*SAMPLE_DIMS, dim).values
            drawn[name][:, columns] = np.repeat(values.reshape(n, len(columns)), inner, axis=0)
        if name in fresh_names:
            keep = [i for i in range(_width(solo, name)) if i not in columns]
            latents[name] = drawn[name][:, keep] if columns else drawn[name]
    args = []
    for name in names:
        if name in drawn:
            args.append(drawn[name])
        else:
            values = post[name].transpose(*SAMPLE_DIMS, ...).values
            args.append(np.repeat(values.reshape(n, *values.shape[2:]), inner, axis=0))
    log_lik = np.concatenate(
        [fn(*(a[i : i + CHUNK] for a in args)) for i in range(0, n * inner, CHUNK)]
    )
    shaped = {k: v.reshape(n, inner, *v.shape[1:]) for k, v in latents.items()}
    return log_lik.reshape(n, inner), shaped


def _width(model, name: str) -> int:
    """Length of a latent's study dimension (1 for a scalar)."""
    dims = model.named_vars_to_dims.get(name, ())
    return len(model.coords[dims[0]]) if dims else 1


def _known_columns(model, name: str, post: xr.Dataset) -> list[int]:
    """Positions along ``name``'s study dimension whose labels the run's posterior already has."""
    dims = model.named_vars_to_dims.get(name, ())
    if not dims or name not in post or dims[0] not in post[name].dims:
        return []
    have = set(post[dims[0]].values.tolist())
    return [i for i, label in enumerate(model.coords[dims[0]]) if label in have]


def _logmeanexp(x: np.ndarray) -> np.ndarray:
    """``log(mean(exp(x)))`` along the last axis, without overflow."""
    top = np.max(x, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.log(np.mean(np.exp(x - top), axis=-1)) + top[..., 0]


def psis_log_weights(log_ratio: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed, normalised log weights ``~ log_ratio`` (chain x draw) and the Pareto k.

    ``psislw`` of arviz-stats 1.3 is written for leave-one-out: given a log-likelihood it returns
    weights proportional to ``exp(-log_lik)`` (checked: the weights of ``psislw(2 x)`` give
    ``E[x] < 0`` for standard normal x). Adding a record needs ``exp(+log_lik)``: hence the minus.
    A NaN k (every weight but one underflowed) is reported as ``inf``.
    """
    import arviz_stats  # noqa: F401  (registers the .azstats accessor)

    da = xr.DataArray(-log_ratio, dims=SAMPLE_DIMS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        log_w, k = da.azstats.psislw(dim=list(SAMPLE_DIMS))
    k = float(k)
    return log_w.transpose(*SAMPLE_DIMS).values, (math.inf if math.isnan(k) else k)


def _choose_inner(log_lik: np.ndarray, rng) -> np.ndarray:
    """For each row, one inner draw chosen with probability proportional to its likelihood."""
    if log_lik.shape[1] == 1:
        return np.zeros(log_lik.shape[0], dtype=int)
    p = np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
    cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = rng.uniform(size=(log_lik.shape[0], 1))
    return np.minimum((cumulative < u).sum(axis=1), log_lik.shape[1] - 1)


# ----------------------------------------------------------------------------------- the new tree


def _updated_tree(
    old: xr.DataTree, model, scenario, records, index, new_latents, record, seed
) -> xr.DataTree:
    """The new run's DataTree: every per-draw group resampled with ``index``.

    The posterior (with the record's latents), log-likelihood (with the record's entries),
    log-prior (with its latents') and sample stats are resampled together, so each draw keeps its
    own values; the observed data gain the record; the posterior predictive is resampled and its
    variable for the record's kind drawn again from the new model. Prior, prior predictive and
    point values belong to the scenario and stay as they are. The new log densities and draws
    come from :mod:`probmodel.densities` (NumPy, as a fit computes them), ``model`` (the PyMC
    model of ``scenario`` with ``records``) gives the layout.
    """
    groups = {name: old[name].to_dataset() for name in old.children}
    posterior = _with_latents(_take(groups["posterior"], index), model, new_latents)
    groups["posterior"] = posterior
    obs_names = [
        n
        for n in EVIDENCE_VARS
        if n in model.named_vars
        and record.id in {record_of(str(c)) for c in model.coords[model.named_vars_to_dims[n][0]]}
    ]
    values, sample = forward.flat_draws(model, posterior)
    terms = [o for o in densities.evidence(scenario, records, values) if o.name in obs_names]
    log_lik = forward.dataset(model, densities.log_likelihood(terms), sample)
    ll = _take(groups["log_likelihood"], index) if "log_likelihood" in groups else xr.Dataset()
    for obs_name in obs_names:
        ll = _replace(ll, log_lik[obs_name])
    groups["log_likelihood"] = ll
    if "log_prior" in groups:
        lp = _take(groups["log_prior"], index)
        if new_latents:
            log_prior = densities.log_prior(scenario, records, values)
            fresh = forward.dataset(model, {n: log_prior[n] for n in new_latents}, sample)
            for name in new_latents:
                lp = _replace(lp, fresh[name])
        groups["log_prior"] = lp
    if "sample_stats" in groups:
        groups["sample_stats"] = _take(groups["sample_stats"], index)
    fresh = forward.dataset(model, densities.predictive(terms, seed + 2), sample)
    if "posterior_predictive" in groups:
        kept = _take(groups["posterior_predictive"], index)
        for obs_name in obs_names:
            kept = _replace(kept, fresh[obs_name])
        fresh = kept
    groups["posterior_predictive"] = fresh
    for obs_name in obs_names if "observed_data" in groups else ():
        rv = model[obs_name]
        (dim,) = model.named_vars_to_dims[obs_name]
        values = np.asarray(model.rvs_to_values[rv].get_value())
        observed = xr.DataArray(values, dims=(dim,), coords={dim: list(model.coords[dim])})
        groups["observed_data"] = _replace(groups["observed_data"], observed.rename(obs_name))
    tree = xr.DataTree.from_dict(groups)
    tree.attrs = dict(old.attrs)
    from probmodel.sampling import _label

    _label(tree)
    return tree


def _take(ds: xr.Dataset, index: np.ndarray) -> xr.Dataset:
    """The draws ``index`` (into the flattened chain x draw) of every per-draw variable."""
    out = {}
    for name, da in ds.data_vars.items():
        if set(SAMPLE_DIMS) <= set(da.dims):
            da = da.transpose(*SAMPLE_DIMS, ...)
            flat = da.values.reshape(index.size, *da.shape[2:])
            da = da.copy(data=flat[index].reshape(da.shape))
        out[name] = da
    return xr.Dataset(out, attrs=ds.attrs)


def _replace(ds: xr.Dataset, da: xr.DataArray) -> xr.Dataset:
    """``ds`` with variable ``da.name`` replaced by ``da``, whose dimensions may be longer.

    Every other variable along those (non-sample) dimensions is dropped with the old coordinate.
    """
    grown = [d for d in da.dims if d not in SAMPLE_DIMS and d in ds.dims]
    ds = ds.drop_vars([str(da.name)], errors="ignore").drop_dims(grown)
    return ds.assign({str(da.name): da})


def _with_latents(post: xr.Dataset, model, new_latents: dict[str, np.ndarray]) -> xr.Dataset:
    """The resampled posterior plus the new record's latents, in the new model's layout.

    Each latent gains the record's element along its study dimension (or is created); the
    deterministics along a grown dimension (the study exponents) are recomputed from the model.
    """
    shape = (post.sizes["chain"], post.sizes["draw"])
    grown = {
        d for d, labels in model.coords.items() if d in post.dims and post.sizes[d] != len(labels)
    }
    grown |= {
        d for n in new_latents for d in model.named_vars_to_dims.get(n, ()) if d not in post.dims
    }
    arrays = {n: da for n, da in post.data_vars.items() if not grown & set(da.dims)}
    for name, values in new_latents.items():
        dims = tuple(model.named_vars_to_dims.get(name, ()))
        fresh = xr.DataArray(
            values.reshape(*shape, *values.shape[1:]),
            dims=(*SAMPLE_DIMS, *dims),
            coords={"chain": post["chain"].values, "draw": post["draw"].values}
            | {d: _new_labels(model.coords[d], post, d) for d in dims},
        )
        if name in post:
            (dim,) = dims
            fresh = xr.concat([post[name], fresh], dim=dim).sel({dim: list(model.coords[dim])})
        arrays[name] = fresh
    augmented = xr.Dataset(arrays, attrs=post.attrs)
    missing = [d.name for d in model.deterministics if d.name not in augmented]
    if missing:
        computed = forward.deterministics(model, augmented, missing)
        augmented = augmented.assign({n: computed[n] for n in missing})
    return augmented


def _new_labels(labels, post: xr.Dataset, dim: str) -> list:
    """The labels of ``dim`` that the old posterior does not have."""
    old = set(post[dim].values.tolist()) if dim in post.dims else set()
    return [x for x in labels if x not in old]
