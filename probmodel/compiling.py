"""nutpie's compile of a model's log density for NUTS, with C wrappers numba can cache on disk.

nutpie (0.16) compiles a PyMC model in two steps: PyTensor rewrites the log density and its
gradient and compiles them with numba (cached on disk by PyTensor, keyed by the rewritten
graph), then nutpie wraps each compiled function in a numba ``cfunc``, the C entry point its
sampler calls. nutpie's wrappers cannot be cached (they close over the data arrays and read
them through record fields named by random ids), so every process compiled them again: ~8 s of
a ~16 s compile on seed-cotrain, most of it numba typing the error messages of ``reshape``.

:func:`compile_nuts` keeps nutpie's compile and swaps only the two wrapper factories for ones
that generate the same C functions as source text with the record's offsets written in, keyed
by that text and PyTensor's key of the wrapped function, so PyTensor's numba cache
(``numba__cache``, its default, in ``pytensor.config.base_compiledir``) also holds the wrappers.
The draws are bit for bit those of nutpie's own wrappers (``tests/test_compiling.py``).
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np

NUMBA_FASTMATH = False
"""PyTensor's numba backend compiles with ``fastmath`` by default, and then the draws of a seed
depend on whether PyTensor's on-disk numba cache held the compiled pieces: measured on
seed-cotrain, a fit compiled with empty caches and one compiled with warm caches drew different
chains (every variable differed), so a first run and a re-sample of the same seed disagreed.
Without ``fastmath`` the two are bit for bit the same (``tests/test_sampled_part.py``), for ~4%
of NUTS time (``bench/sampled_part.py``: 5.84 s vs 5.60 s with it, medians of 3, within noise)."""


NUTS_EXCLUDED_REWRITES: tuple[str, ...] = ("inplace_elemwise",)
"""PyTensor rewrites left out of the NUMBA mode nutpie compiles the log density with.
``inplace_elemwise`` (reusing an input's memory for an elementwise result) validates every
candidate against the whole graph: on seed-cotrain it was 3.6 s of the 9.2 s of rewrites, while
the arrays it saves allocating are scalars and short vectors. Measured by ``bench/sampled_part.py
5 part,part+inplace`` (fresh processes, interleaved, medians of 5, load 0.5-1.2): compile 19.0 s
without it vs 22.2 s with it, NUTS 6.43 s vs 6.73 s, and the same draws (equal steps and ESS)."""

CACHED_WRAPPERS = True
"""Whether :func:`compile_nuts` uses the cacheable wrappers (``False``: nutpie's own, for
benchmarks and the test that compares the two)."""

WRAPPER_VERSION = "1"
"""Part of every wrapper's cache key: change it when the generated source's meaning changes in
a way its text does not show."""

_COMPILE_LOCK = threading.Lock()
"""One nutpie compile at a time per process (the NUMBA mode and nutpie's wrapper factories are
swapped while it runs)."""


def compile_nuts(model):
    """nutpie's numba compile of ``model`` for NUTS, storing only its free variables, without
    ``fastmath`` (:data:`NUMBA_FASTMATH`) or the rewrites of :data:`NUTS_EXCLUDED_REWRITES`, and
    with wrappers cached on disk (:data:`CACHED_WRAPPERS`). Fits, SBC and recovery all compile
    with it.

    Returns
    -------
    nutpie.compile_pymc.CompiledPyMCModel
    """
    import nutpie
    import nutpie.compile_pymc as nutpie_pymc
    import pytensor
    from pytensor.compile import mode as modes

    with _COMPILE_LOCK, pytensor.config.change_flags(numba__fastmath=NUMBA_FASTMATH):
        # nutpie asks for PyTensor's mode by the name "NUMBA" and builds its wrappers with the
        # module's two factories: all three are swapped for the compile (and read under the
        # lock, so a concurrent compile never takes a swapped one for the original).
        numba_mode = modes.predefined_modes["NUMBA"]
        factories = nutpie_pymc._make_c_logp_func, nutpie_pymc._make_c_expand_func
        cache = CACHED_WRAPPERS and bool(pytensor.config.numba__cache)
        if NUTS_EXCLUDED_REWRITES:
            modes.predefined_modes["NUMBA"] = numba_mode.excluding(*NUTS_EXCLUDED_REWRITES)
        if cache:
            nutpie_pymc._make_c_logp_func = _logp_wrapper_or(factories[0])
            nutpie_pymc._make_c_expand_func = _expand_wrapper_or(factories[1])
        try:
            return nutpie.compile_pymc_model(
                model,
                backend="numba",
                var_names=[rv.name for rv in model.free_RVs],
                **({"cache": True} if cache else {}),  # passed on to numba.cfunc
            )
        finally:
            modes.predefined_modes["NUMBA"] = numba_mode
            nutpie_pymc._make_c_logp_func, nutpie_pymc._make_c_expand_func = factories


_LOGP_BODY = """\
        x = carray(x_, ({n_dim},))
        out = carray(out_, ({n_dim},))
        logp = carray(logp_, ())
{reads}
        logp_val, grad = inner(x{args})
        logp[()] = logp_val
        out[...] = grad
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4"""
"""The log density's wrapper between its size check and its ``except``: nutpie's return codes
(0 ok, -1 wrong size, 1 an exception, 3 a gradient that is not finite, 4 a log density that is
not finite)."""

_EXPAND_BODY = """\
        x = carray(x_, ({n_dim},))
        out = carray(out_, ({n_expanded},))
{reads}
        (values,) = inner(x{args})
        out[...] = values"""
"""The stored values' wrapper (from the unconstrained point), as :data:`_LOGP_BODY` (0 ok, -1
wrong size, -2 an exception)."""


def _logp_wrapper_or(nutpie_factory):
    """A factory with the signature of nutpie's ``_make_c_logp_func``: the cacheable wrapper of
    the log density and its gradient (:data:`_LOGP_BODY`)."""
    return _wrapper_or(
        nutpie_factory, "logp_numba(dim, x_, out_, logp_, user_data_)", ("dim",), _LOGP_BODY, 1,
        lambda t: t.int64(t.uint64, t.CPointer(t.double), t.CPointer(t.double),
                          t.CPointer(t.double), t.voidptr),
    )  # fmt: skip


def _expand_wrapper_or(nutpie_factory):
    """As :func:`_logp_wrapper_or` for nutpie's ``_make_c_expand_func`` (:data:`_EXPAND_BODY`)."""
    return _wrapper_or(
        nutpie_factory, "expand_numba(dim, expanded, x_, out_, user_data_)", ("dim", "expanded"),
        _EXPAND_BODY, -2,
        lambda t: t.int64(t.uint64, t.uint64, t.CPointer(t.double), t.CPointer(t.double),
                          t.voidptr),
    )  # fmt: skip


def _wrapper_or(nutpie_factory, signature: str, size_args, body: str, error_code: int, c_sig):
    """A factory taking nutpie's arguments (the sizes ``n_dim`` [, ``n_expanded``], the wrapped
    function, the data record, the data's keys and arrays) that returns ``(python function,
    C signature)`` of the wrapper ``def <signature>``: each size argument checked (-1 if wrong),
    ``body`` (its ``{reads}`` the data, its ``{args}`` the data passed on) run, ``error_code`` on
    an exception. nutpie's own factory when the wrapped function is not cacheable
    (:func:`_shared_reads`); ``c_sig(numba.types)`` the C signature."""
    import numba

    def factory(*arguments):
        *sizes, inner, user_data, shared_keys, shared_data = arguments
        reads = _shared_reads(inner, user_data, shared_keys, shared_data)
        if reads is None:
            return nutpie_factory(*arguments)
        lines, args, inner_key = reads
        names = dict(zip(("n_dim", "n_expanded"), sizes, strict=False))
        source = "\n".join(
            [
                f"def {signature}:",
                *(f"    if {a} != {n}:\n        return -1" for a, n in zip(size_args, sizes,
                                                                         strict=True)),
                "    try:",
                body.format(reads="\n".join(lines), args=args, **names),
                "    except Exception:",
                f"        return {error_code}",
                "    return 0",
            ]
        )  # fmt: skip
        name = signature.split("(")[0]
        return _cacheable(source, name, inner, inner_key), c_sig(numba.types)

    return factory


def _shared_reads(inner, user_data, shared_keys, shared_data):
    """Source lines that read each shared variable (the model's data) of ``inner``'s arguments
    from nutpie's ``user_data`` record, whose layout (``nutpie.compile_pymc.make_user_data``)
    is: per variable, the address of its data, its size and its shape, each a 64-bit word.

    Returns ``(lines, ", d0, d1, ...", PyTensor's cache key of inner)``, or ``None`` when the
    wrapper cannot be cached: ``inner`` has no cache key (PyTensor could not cache it), or the
    record is not laid out in 64-bit words.
    """
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    inner_key = CACHED_SRC_FUNCTIONS.get(getattr(inner, "py_func", None))
    record = user_data.dtype
    if inner_key is None or record.itemsize % 8 or "shared" not in (record.names or ()):
        return None
    shared = record["shared"]
    base = record.fields["shared"][1]
    lines = [f"        words = carray(user_data_, ({record.itemsize // 8},), np.uint64)"]
    args = []
    for i, key in enumerate(shared_keys):
        array = shared_data[key]
        address = base + shared.fields["data"][1] + shared["data"].fields[key][1]
        shape = base + shared.fields["shape"][1] + shared["shape"].fields[key][1]
        if address % 8 or shape % 8 or shared["shape"].fields[key][0].base.itemsize != 8:
            return None
        dims = "".join(f"words[{shape // 8 + d}], " for d in range(array.ndim))
        lines.append(
            f"        d{i} = carray(address_as_void_pointer(words[{address // 8}]), ({dims}), "
            f"np.{array.dtype.name})"
        )
        args.append(f", d{i}")
    return lines, "".join(args), inner_key


def _cacheable(source: str, name: str, inner, inner_key: str):
    """The Python function of ``source`` for ``numba.cfunc(..., cache=True)``, registered with
    PyTensor's numba cache under a key of the source, the wrapped function's key and the
    versions that shape the compiled code. Each entry holds the wrapped function's code too:
    ~0.7 MB on disk per compiled model (PyTensor's cache keeps every entry until deleted)."""
    import numba
    import nutpie
    import pytensor
    from nutpie.compile_pymc import address_as_void_pointer
    from pytensor.link.numba.cache import compile_numba_function_src

    versions = [WRAPPER_VERSION, nutpie.__version__, numba.__version__, pytensor.__version__]
    key = hashlib.sha256("\n".join([source, inner_key, *versions]).encode()).hexdigest()
    names = {
        "carray": numba.carray,
        "np": np,
        "inner": inner,
        "address_as_void_pointer": address_as_void_pointer,
    }
    # This module's globals: numba rebuilds a cached function's environment from its module.
    return compile_numba_function_src(source, name, globals() | names, cache_key=key)
