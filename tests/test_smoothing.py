"""The batched GCV smoothing spline against SciPy's make_smoothing_spline, its reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import make_smoothing_spline

from probmodel.analysis.smoothing import roughness_matrix, smooth


def _data(seed: int):
    rng = np.random.default_rng(seed)
    n = 100
    x = np.sort(rng.uniform(0.0, 1.0, n))
    w = rng.integers(30, 50, n).astype(float)
    y = np.column_stack(
        [
            np.sin(3 * x) + rng.normal(0, 0.3, n),
            rng.normal(0, 1, n),  # pure noise: GCV smooths it nearly to a line
            x**2 + rng.normal(0, 0.05, n) / np.sqrt(w),
        ]
    )
    return x, y, w


def test_the_roughness_matrix_integrates_the_squared_second_derivative():
    x = np.sort(np.random.default_rng(0).uniform(0, 2, 30))
    k = roughness_matrix(x)
    assert np.abs(k @ (3.0 - 2.0 * x)).max() < 1e-9 * np.abs(k).max()  # lines are free
    # the natural spline through x^2 has f'' = 2 inside, tapering to 0 at the ends: integral of
    # f''^2 sits below the parabola's 4 * (x_n - x_1) and well above half of it
    rough = (x**2) @ k @ (x**2)
    assert 0.5 * 4 * (x[-1] - x[0]) < rough < 4 * (x[-1] - x[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lam", [1e-5, 1e-2, 1.0])
def test_a_fixed_smoothing_gives_scipys_spline(seed, lam):
    x, y, w = _data(seed)
    ours = smooth(x, y, w, lam=lam)
    for j in range(y.shape[1]):
        theirs = make_smoothing_spline(x, y[:, j], w=w, lam=lam)(x)
        assert np.max(np.abs(ours[:, j] - theirs)) < 1e-6 * np.std(y[:, j])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gcv_chooses_the_smoothing_scipy_chooses(seed):
    """Deterministic data: the same GCV criterion minimised on a refined log grid (ours) and by
    bounded Brent (SciPy) give fitted values within 0.1% of the data's spread."""
    x, y, w = _data(seed)
    ours = smooth(x, y, w)
    for j in range(y.shape[1]):
        theirs = make_smoothing_spline(x, y[:, j], w=w)(x)
        assert np.max(np.abs(ours[:, j] - theirs)) < 1e-3 * np.std(y[:, j])
    assert smooth(x, y[:, 0], w).shape == (x.size,)
