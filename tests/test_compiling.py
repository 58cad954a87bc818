"""The cacheable C wrappers of :mod:`probmodel.compiling` compute what nutpie's own do.

A small model with data of rank 0, 1 and 2 (the wrappers read each from nutpie's record of data
pointers and shapes) is compiled both ways; both wrappers are called on the same points and
data. Deterministic: equality, no tolerance band.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pymc as pm
import pytest

from probmodel import compiling


def _model():
    with pm.Model() as model:
        scale = pm.Data("scale", 2.0)
        offsets = pm.Data("offsets", np.array([0.5, -1.0, 2.0]))
        table = pm.Data("table", np.arange(6.0).reshape(2, 3))
        mu = pm.Normal("mu", 0.0, scale)
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal("y", mu + offsets + table.sum(axis=0), sigma, observed=np.array([1.0, 2.0, 3.0]))
    return model


def _compile(model, cached: bool):
    old = compiling.CACHED_WRAPPERS
    compiling.CACHED_WRAPPERS = cached
    try:
        return compiling.compile_nuts(model)
    finally:
        compiling.CACHED_WRAPPERS = old


def _logp(compiled, x):
    """(return code, log density, gradient) of nutpie's C entry point at ``x``."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    grad, logp = np.zeros_like(x), np.zeros(1)
    p = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_logp_func.ctypes(
        len(x), x.ctypes.data_as(p), grad.ctypes.data_as(p), logp.ctypes.data_as(p),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )  # fmt: skip
    return code, logp[0], grad


def _expand(compiled, x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.zeros(compiled.n_expanded)
    p = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_expand_func.ctypes(
        len(x), compiled.n_expanded, x.ctypes.data_as(p), out.ctypes.data_as(p),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )  # fmt: skip
    return code, out


@pytest.fixture(scope="module")
def both():
    model = _model()
    return _compile(model, cached=False), _compile(model, cached=True)


def test_the_cached_wrapper_is_the_cacheable_one(both):
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    nutpies, ours = both
    assert ours.compiled_logp_func._pyfunc in CACHED_SRC_FUNCTIONS
    assert ours.compiled_expand_func._pyfunc in CACHED_SRC_FUNCTIONS
    assert nutpies.compiled_logp_func._pyfunc not in CACHED_SRC_FUNCTIONS


def test_log_density_gradient_and_stored_values_equal_nutpies_on_any_data(both):
    nutpies, ours = both
    rng = np.random.default_rng(0)
    data = [{}, {"scale": 0.5, "offsets": [3.0, 1.0, -2.0], "table": -np.ones((2, 3))}]
    for updates in data:
        a, b = nutpies.with_data(**updates), ours.with_data(**updates)
        for _ in range(5):
            x = rng.normal(size=a.n_dim)
            code_a, logp_a, grad_a = _logp(a, x)
            code_b, logp_b, grad_b = _logp(b, x)
            assert code_a == code_b == 0
            assert logp_a == logp_b and np.array_equal(grad_a, grad_b)
            assert np.array_equal(_expand(a, x)[1], _expand(b, x)[1])
    # The data are read, not frozen: other data, another density.
    x = np.zeros(nutpies.n_dim)
    assert _logp(ours, x)[1] != _logp(ours.with_data(**data[1]), x)[1]


def test_error_codes_equal_nutpies(both):
    nutpies, ours = both
    x = np.array([np.nan, 0.0])
    assert _logp(nutpies, x)[0] == _logp(ours, x)[0] != 0
    assert _logp(ours, np.zeros(3))[0] == _logp(nutpies, np.zeros(3))[0] == -1  # wrong size
