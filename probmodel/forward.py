"""Forward passes of a PyMC model over all draws at once: log densities and predictive draws.

A fit no longer uses these (everything after NUTS is NumPy, :mod:`probmodel.densities`); they
remain for graphs the densities do not describe (``update``'s new-record graphs, recovery's
requested Deterministics) and as the PyMC reference the tests compare the densities with.

PyMC's ``compute_log_prior``, ``compute_log_likelihood`` and ``sample_posterior_predictive`` call a
small compiled function once per draw from Python (4,000 calls after a default fit: ~19 s of a
~65 s run). Here each purpose is one graph vectorised over a leading draw dimension
(:func:`pytensor.graph.vectorize_graph`) with symbolic batched inputs, compiled once per model and
purpose and called once for all draws:

- :func:`log_prior` / :func:`log_likelihood`: the elementwise log density of each free / observed
  random variable at untransformed values, as PyMC's functions give them;
- :func:`predictive`: draws of any model variables (by default the observed ones) given draws of
  some free random variables; the free random variables not given are drawn from their priors,
  one independent draw per row. Given every free variable it is the posterior predictive; given a
  subset (the world parameters drawn in NumPy) it is the prior predictive.

The compiled functions are cached per ``pm.Model`` object (weakly: they go with the model), so a
second fit with the same model object compiles nothing. Predictive draws come from generators
this module owns, reseeded on every call: the same seed gives the same arrays; the draws differ
from PyMC's own draw for draw (other random streams), not in distribution.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

SAMPLE_DIMS = ("chain", "draw")

FORWARD_MODE = "FAST_COMPILE"
"""PyTensor mode of the compiled forward functions: Python thunks, PyTensor's light rewrites.

Chosen by measurement (``bench/post_nuts.py --modes``: a fresh process building and compiling
the four functions of a fit of seed-cotrain with its shipped evidence and evaluating them on
4,000 draws; medians of 3, 2-core machine, load 0.7 before, 2.0 after, 2026-12-04):

==============  ==============  ====================================
mode            caches warm     caches cold (empty compile dir)
==============  ==============  ====================================
FAST_COMPILE    9.0 s           10.3 s (no disk cache involved)
CVM (C)         10.1 s          93.9 s (C modules compiled)
NUMBA           42.4 s          143.9 s (object-mode RVs, no reuse)
==============  ==============  ====================================

Nearly all of it is building and rewriting the graphs, which no disk cache saves; evaluation is
0.03-0.15 s a function in any mode (C ~0.05 s faster than Python thunks)."""


@dataclass(frozen=True)
class _Compiled:
    """One compiled forward function: ``fn(draws, *inputs) -> outputs``."""

    fn: object
    inputs: tuple[str, ...]
    """Names of the model variables given as batched inputs, in argument order."""
    outputs: tuple[str, ...]
    """Names of the model variables returned, in output order."""
    batched: tuple[bool, ...]
    """Whether each output has the leading draw dimension (else it is the same for every draw)."""
    rngs: tuple = ()
    """The function's random generators (shared variables), reseeded before each call."""


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""``pm.Model`` -> {purpose key: :class:`_Compiled`}; an entry goes when its model does."""
_LOCK = threading.RLock()
"""Held while a function is built and while one is reseeded and called (a compiled PyTensor
function keeps its storage between calls, and a reseed must reach the call it seeds)."""
_COMPILED = 0


def compiled_count() -> int:
    """How many forward functions this process has compiled (the cache's misses)."""
    return _COMPILED


def _cached(model, key: Hashable, build) -> _Compiled:
    """The compiled function of ``model`` for ``key``, built by ``build()`` on first use.

    Graphs are built and compiled without recording each node's Python creation stack
    (``traceback__limit=0``): PyTensor otherwise walks the stack for every node it makes
    (measured: ~0.9 s of the ~9 s the four functions of a fit take to build and compile)."""
    import pytensor

    global _COMPILED
    with _LOCK:
        per_model = _CACHE.setdefault(model, {})
        if key not in per_model:
            with pytensor.config.change_flags(traceback__limit=0):
                per_model[key] = build()
            _COMPILED += 1
        return per_model[key]


def _batched_like(var, name: str | None = None):
    """A symbolic input like ``var`` with a leading draw dimension."""
    import pytensor.tensor as pt

    return pt.tensor(name=name or var.name, dtype=var.dtype, shape=(None, *var.type.shape))


def _compile(model, inputs, outputs):
    """Compile ``outputs`` of ``inputs`` in :data:`FORWARD_MODE` (within ``model``'s context, so
    its ``check_bounds`` applies); also return the random generators to reseed before a call."""
    from pymc.pytensorf import compile as pm_compile

    with model:
        fn, updates = pm_compile(
            inputs,
            outputs,
            random_seed=False,
            mode=FORWARD_MODE,
            return_updates=True,
            on_unused_input="ignore",
            accept_inplace=True,
        )
    return fn, tuple(updates)


# ------------------------------------------------------------------------------ log densities


def _log_density_fn(model, names: tuple[str, ...]) -> _Compiled:
    """The elementwise log densities of ``names`` (free or observed random variables) as a
    function of batched untransformed values of every free random variable."""
    from pymc.model.transform.conditioning import remove_value_transforms
    from pytensor.graph import vectorize_graph
    from pytensor.graph.traversal import ancestors

    umodel = remove_value_transforms(model)
    logps = umodel.logp(vars=[umodel[n] for n in names], sum=False)
    free = [rv.name for rv in umodel.free_RVs]
    values = {n: umodel.rvs_to_values[umodel[n]] for n in free}
    used = set(ancestors(logps))
    given = tuple(n for n in free if values[n] in used)
    batched = {values[n]: _batched_like(values[n], n) for n in given}
    out = vectorize_graph(list(logps), replace=batched)
    flags = tuple(o.ndim == lp.ndim + 1 for o, lp in zip(out, logps, strict=True))
    fn, _ = _compile(umodel, [batched[values[n]] for n in given], out)
    return _Compiled(fn=fn, inputs=given, outputs=names, batched=flags)


def log_prior_arrays(
    model, values: Mapping[str, np.ndarray], var_names: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Elementwise log prior density of each free random variable at ``values``.

    Parameters
    ----------
    model : pymc.Model
    values : mapping of str to numpy.ndarray
        Untransformed draws of every free random variable, shaped ``(draws, *shape)``.
    var_names : sequence of str, optional
        Free random variables to evaluate (default: all).

    Returns
    -------
    dict of str to numpy.ndarray
        ``(draws, *shape)`` per variable, as :func:`pymc.stats.compute_log_prior` gives them.
    """
    names = tuple(var_names) if var_names is not None else tuple(rv.name for rv in model.free_RVs)
    _check_names(model, names, model.free_RVs, "free random variables")
    compiled = _cached(model, ("log_prior", names), lambda: _log_density_fn(model, names))
    return _call(model, compiled, values)


def log_likelihood_arrays(
    model, values: Mapping[str, np.ndarray], var_names: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Elementwise log likelihood of each observed random variable given ``values`` of the free
    ones (untransformed, shaped ``(draws, *shape)``); as :func:`pymc.compute_log_likelihood`."""
    names = (
        tuple(var_names) if var_names is not None else tuple(rv.name for rv in model.observed_RVs)
    )
    _check_names(model, names, model.observed_RVs, "observed random variables")
    compiled = _cached(model, ("log_likelihood", names), lambda: _log_density_fn(model, names))
    return _call(model, compiled, values)


# ------------------------------------------------------------------------------ predictive draws


def _draw_fn(model, given: tuple[str, ...], names: tuple[str, ...]) -> _Compiled:
    """Draws of ``names`` as a function of the number of draws and batched values of the free
    random variables ``given``; every other random variable upstream is drawn, one per row.

    As :func:`pymc.sampling.forward.vectorize_over_posterior`, but with symbolic inputs: the
    random variables that depend on no given one (nor on one already resized) get the draw
    dimension by :func:`pymc.distributions.shape_utils.change_dist_size`, the rest inherit it
    through :func:`pytensor.graph.vectorize_graph`.
    """
    import pytensor
    import pytensor.tensor as pt
    from pymc.distributions.shape_utils import change_dist_size
    from pymc.pytensorf import find_rng_nodes, rvs_in_graph
    from pytensor.graph.replace import clone_replace
    from pytensor.graph.traversal import ancestors, general_toposort

    outputs = [model[n] for n in names]
    given_rvs = [model[n] for n in given]
    needed = [rv for rv in ancestors(outputs, blockers=given_rvs) if rv in set(given_rvs)]
    draws = pt.lscalar("draws")
    inputs = {rv: _batched_like(rv) for rv in needed}
    replace = dict(inputs)
    all_rvs = rvs_in_graph(outputs)
    independent = []
    order = general_toposort(all_rvs, lambda x: x.owner.inputs if x.owner is not None else None)
    for rv in order:
        if rv in all_rvs and rv not in needed:
            blockers = [*needed, *independent, *outputs]
            if not set(blockers) & set(ancestors(rv.owner.inputs, blockers=blockers)):
                independent.append(rv)
    for rv in independent:
        replace[rv] = change_dist_size(rv, new_size=(draws,), expand=True)
    out = _vectorize(outputs, replace, draws)
    # Generators of this function alone (the model's stay untouched), seeded on every call.
    rngs = find_rng_nodes(out)
    fresh = {rng: pytensor.shared(np.random.default_rng(), name=rng.name) for rng in rngs}
    out = clone_replace(out, replace=fresh) if fresh else out
    flags = tuple(o.ndim == v.ndim + 1 for o, v in zip(out, outputs, strict=True))
    fn, updates = _compile(model, [draws, *(inputs[rv] for rv in needed)], out)
    return _Compiled(
        fn=fn,
        inputs=tuple(rv.name for rv in needed),
        outputs=names,
        batched=flags,
        rngs=updates,
    )


def _vectorize(outputs, replace, draws):
    """:func:`pytensor.graph.vectorize_graph` for a graph whose only batch dimension is the
    leading ``draws``, except that a random variable with an explicit size whose parameters gained
    the draw dimension gets size ``(draws, *size)``.

    PyTensor 3.3.7's rule extends the size only when the *first* parameter is batched (it reads
    the batch dimensions off ``dist_params[0]``), and refuses e.g. ``Normal(0, sigma, size=k)``
    with a batched ``sigma``.
    """
    import pytensor.tensor as pt
    from pytensor.graph.basic import Apply
    from pytensor.graph.replace import _vectorize_node
    from pytensor.graph.traversal import toposort, truncated_graph_inputs
    from pytensor.tensor.random.op import RandomVariable

    inputs = truncated_graph_inputs(outputs, ancestors_to_include=replace.keys())
    vect = {inp: replace.get(inp, inp) for inp in inputs}
    for node in toposort(outputs, blockers=inputs):
        new_inputs = [vect.get(inp, inp) for inp in node.inputs]
        op = node.op
        if isinstance(op, RandomVariable) and not _is_none(op.size_param(node)):
            rng, size, *params = new_inputs
            grown = {
                p.type.ndim - o.type.ndim for p, o in zip(params, op.dist_params(node), strict=True)
            }
            if max(grown) > 1:
                raise ValueError(f"{node}: more than one batch dimension.")
            if max(grown) == 1:
                size = pt.concatenate([pt.as_tensor([draws], dtype=size.dtype), size])
            result = op.make_node(rng, size, *params)
        else:
            result = _vectorize_node(op, node, *new_inputs)
        new_outputs = result.outputs if isinstance(result, Apply) else result
        for output, new in zip(node.outputs, new_outputs, strict=True):
            vect.setdefault(output, new)
    return [vect[out] for out in outputs]


def _is_none(var) -> bool:
    from pytensor.tensor.type_other import NoneTypeT

    return isinstance(var.type, NoneTypeT)


def predictive_arrays(
    model,
    given: Mapping[str, np.ndarray],
    seed,
    var_names: Sequence[str] | None = None,
    draws: int | None = None,
) -> dict[str, np.ndarray]:
    """Draws of ``var_names`` given draws of some free random variables, one per row.

    Parameters
    ----------
    model : pymc.Model
    given : mapping of str to numpy.ndarray
        Draws of free random variables, each shaped ``(draws, *shape)``: all of them for the
        posterior predictive, a subset for the prior predictive (the others are drawn from their
        priors, independently per row). Names that are not free random variables are ignored.
    seed : int or sequence of int
        Seed of the draws: the same seed gives the same arrays.
    var_names : sequence of str, optional
        Variables to draw (default: the observed random variables); any named model variable
        that is not in ``given``.
    draws : int, optional
        Number of draws; required when ``given`` is empty.

    Returns
    -------
    dict of str to numpy.ndarray
        ``(draws, *shape)`` per variable.
    """
    from pymc.pytensorf import reseed_rngs

    free = {rv.name for rv in model.free_RVs}
    given = {k: v for k, v in given.items() if k in free}
    names = (
        tuple(var_names) if var_names is not None else tuple(rv.name for rv in model.observed_RVs)
    )
    missing = [n for n in names if n not in model.named_vars]
    if missing:
        raise ValueError(f"not variables of the model: {', '.join(missing)}.")
    clash = [n for n in names if n in given]
    if clash:
        raise ValueError(f"asked to draw variables that are given: {', '.join(clash)}.")
    n = _draws_of(given, draws)
    key = ("predictive", tuple(sorted(given)), names)
    compiled = _cached(model, key, lambda: _draw_fn(model, tuple(sorted(given)), names))
    with _LOCK:
        reseed_rngs(list(compiled.rngs), seed)
        return _call(model, compiled, given, n)


# ------------------------------------------------------------------------------ calling


def _check_names(model, names, allowed, what: str) -> None:
    allowed = {rv.name for rv in allowed}
    bad = [n for n in names if n not in allowed]
    if bad:
        raise ValueError(f"not {what} of the model: {', '.join(bad)}.")


def _draws_of(values: Mapping[str, np.ndarray], draws: int | None) -> int:
    """The number of draws: the leading dimension of every array in ``values``, and ``draws``."""
    sizes = {np.shape(v)[0] for v in values.values()}
    if draws is not None:
        sizes.add(int(draws))
    if not sizes:
        raise ValueError("the number of draws is unknown: give `draws` when no draws are given.")
    if len(sizes) != 1:
        raise ValueError(
            "the draws disagree in number (leading dimension): "
            + (", ".join(f"{k}: {np.shape(v)[0]}" for k, v in values.items()) or f"{draws}")
        )
    return sizes.pop()


def _call(model, compiled: _Compiled, values: Mapping[str, np.ndarray], n: int | None = None):
    """Call ``compiled`` on ``values`` (cast to each variable's dtype); outputs that do not vary
    by draw are broadcast to ``n`` rows."""
    missing = [name for name in compiled.inputs if name not in values]
    if missing:
        raise ValueError(f"draws missing for: {', '.join(missing)}.")
    args = [np.ascontiguousarray(values[name], dtype=model[name].dtype) for name in compiled.inputs]
    with _LOCK:
        if n is None:
            n = _draws_of({k: values[k] for k in compiled.inputs}, None) if args else None
            outs = compiled.fn(*args)
        else:
            outs = compiled.fn(n, *args)
    result = {}
    for name, out, batched in zip(compiled.outputs, outs, compiled.batched, strict=True):
        out = np.asarray(out)
        if not batched:
            if n is None:
                raise ValueError(f"{name}: the number of draws is unknown (no draws given).")
            out = np.broadcast_to(out, (n, *out.shape)).copy()
        result[name] = out
    return result


# ------------------------------------------------------------------------------ xarray layer


def _flat(model, ds: xr.Dataset, names) -> tuple[dict[str, np.ndarray], dict]:
    """``(chain * draw, *shape)`` arrays of ``names`` from ``ds``, in the model's dim order, and
    the sample coordinates to restore."""
    shape = tuple(ds.sizes[d] for d in SAMPLE_DIMS)
    out = {}
    for name in names:
        da = ds[name]
        dims = tuple(model.named_vars_to_dims.get(name, ())) or tuple(
            d for d in da.dims if d not in SAMPLE_DIMS
        )
        da = da.transpose(*SAMPLE_DIMS, *dims)
        out[name] = da.values.reshape(int(np.prod(shape)), *da.shape[2:])
    coords = {d: ds[d].values for d in SAMPLE_DIMS if d in ds.coords}
    return out, {"shape": shape, "coords": coords}


def dataset(model, arrays: Mapping[str, np.ndarray], sample) -> xr.Dataset:
    """A Dataset like PyMC's ``dict_to_dataset`` output: dims and coords from the model, sample
    dims first, ArviZ's creation attributes."""
    import pymc
    from pymc.backends.arviz import coords_and_dims_for_inferencedata, dict_to_dataset

    coords, dims = coords_and_dims_for_inferencedata(model)
    coords = {**coords, **sample["coords"]}
    shaped = {k: v.reshape(*sample["shape"], *v.shape[1:]) for k, v in arrays.items()}
    return dict_to_dataset(
        shaped,
        inference_library=pymc,
        dims={k: dims[k] for k in shaped if k in dims},
        coords=coords,
        sample_dims=list(SAMPLE_DIMS),
        skip_event_dims=True,
    )


def flat_draws(model, ds: xr.Dataset):
    """``(chain * draw, *shape)`` arrays of the free random variables in ``ds`` and the sample
    layout :func:`dataset` restores."""
    return _flat(model, ds, [rv.name for rv in model.free_RVs if rv.name in ds.data_vars])


def log_prior(model, posterior: xr.Dataset, var_names: Sequence[str] | None = None) -> xr.Dataset:
    """:func:`log_prior_arrays` on the ``chain`` x ``draw`` draws of ``posterior``: the
    ``log_prior`` group as :func:`pymc.stats.compute_log_prior` makes it."""
    values, sample = flat_draws(model, posterior)
    return dataset(model, log_prior_arrays(model, values, var_names), sample)


def log_likelihood(
    model, posterior: xr.Dataset, var_names: Sequence[str] | None = None
) -> xr.Dataset:
    """:func:`log_likelihood_arrays` on the draws of ``posterior``: the ``log_likelihood`` group
    as :func:`pymc.compute_log_likelihood` makes it."""
    values, sample = flat_draws(model, posterior)
    return dataset(model, log_likelihood_arrays(model, values, var_names), sample)


def predictive(
    model, given: xr.Dataset, seed, var_names: Sequence[str] | None = None
) -> xr.Dataset:
    """:func:`predictive_arrays` on the draws of ``given`` (the free random variables it holds
    are given, the others drawn): the ``posterior_predictive`` group as
    :func:`pymc.sample_posterior_predictive` makes it (other random streams)."""
    values, sample = flat_draws(model, given)
    n = int(np.prod(sample["shape"]))
    return dataset(model, predictive_arrays(model, values, seed, var_names, draws=n), sample)


def deterministics(model, posterior: xr.Dataset, var_names: Sequence[str]) -> xr.Dataset:
    """The Deterministics ``var_names`` at every draw of ``posterior``, as
    :func:`pymc.compute_deterministics` gives them; an error if one depends on a free random
    variable that ``posterior`` lacks (nothing is drawn)."""
    values, sample = flat_draws(model, posterior)
    n = int(np.prod(sample["shape"]))
    names = tuple(var_names)
    _check_names(model, names, model.deterministics, "Deterministics")
    key = ("predictive", tuple(sorted(values)), names)
    compiled = _cached(model, key, lambda: _draw_fn(model, tuple(sorted(values)), names))
    if compiled.rngs:
        raise ValueError(
            f"{', '.join(names)}: depend on free random variables the draws lack "
            f"(given: {', '.join(sorted(values)) or 'none'})."
        )
    return dataset(model, _call(model, compiled, values, n), sample)
