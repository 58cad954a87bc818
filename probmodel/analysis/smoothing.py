"""A cubic smoothing spline with GCV smoothing, for many responses and many fits at once.

The value-of-information regressions (:mod:`probmodel.analysis.voi`) fit one smoothing spline per
plan, per parameter and per bootstrap resample: a few hundred fits to ~100 points. SciPy's
:func:`scipy.interpolate.make_smoothing_spline` fits the same spline, but its GCV search is a Python
loop (~60 ms a fit); here the same criterion is minimised in closed form from one eigendecomposition
per set of knots (~2 ms), for every response column at once.

The spline minimises ``sum_i w_i (y_i - f(x_i))^2 + lam * integral f''(x)^2 dx`` (the problem
SciPy solves). Its fitted values are ``(W + lam K)^-1 W y`` with ``K = Q R^-1 Q^T`` the natural cubic
spline's roughness matrix (Green & Silverman 1994, *Nonparametric Regression and Generalized Linear
Models*, section 2.1). With ``M = W^-1/2 K W^-1/2 = U diag(s) U^T``, the hat matrix's trace is
``sum_k 1 / (1 + lam s_k)`` and every fit is a rescaling in that basis. ``lam`` minimises SciPy's GCV
criterion, ``mean_i (y_i - f(x_i))^2 / (1 - tr(A) / n)^2`` (Wahba 1990), over SciPy's range
``(0, n]`` on a log grid refined around its minimum.
"""

from __future__ import annotations

import numpy as np

GRID = np.logspace(-12, 0, 121)
"""The GCV search grid as fractions of ``n`` (SciPy searches ``lam`` in ``(0, n)``)."""
REFINE = np.linspace(-1.0, 1.0, 41)
"""Second pass: log10 offsets (in grid steps) around the best grid point."""


def roughness_matrix(x: np.ndarray) -> np.ndarray:
    """``K = Q R^-1 Q^T``: ``g^T K g`` is ``integral g''^2`` of the natural cubic spline through
    ``(x, g)`` (Green & Silverman 1994, eq. 2.3). ``x`` strictly increasing, at least 3 points."""
    h = np.diff(x)
    n = x.size
    inner = np.arange(1, n - 1)
    q = np.zeros((n, n - 2))
    q[inner - 1, inner - 1] = 1.0 / h[:-1]
    q[inner, inner - 1] = -1.0 / h[:-1] - 1.0 / h[1:]
    q[inner + 1, inner - 1] = 1.0 / h[1:]
    r = np.diag((h[:-1] + h[1:]) / 3.0)
    r[np.arange(n - 3), np.arange(1, n - 2)] = h[1:-1] / 6.0
    r[np.arange(1, n - 2), np.arange(n - 3)] = h[1:-1] / 6.0
    return q @ np.linalg.solve(r, q.T)


def smooth(x: np.ndarray, y: np.ndarray, w: np.ndarray, lam=None) -> np.ndarray:
    """Fitted values at ``x`` of the weighted cubic smoothing spline of each column of ``y``.

    Parameters
    ----------
    x : array, shape (n,)
        Strictly increasing knots, ``n >= 5``.
    y : array, shape (n,) or (n, p)
        Responses; each column is smoothed on its own.
    w : array, shape (n,)
        Positive weights.
    lam : None, float or array of shape (p,)
        Smoothing; ``None`` chooses it for each column by GCV (as SciPy does).

    Returns
    -------
    array, the shape of ``y``
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    columns = y.reshape(y.shape[0], -1)
    n = x.size
    root_w = np.sqrt(w)
    s, u = np.linalg.eigh(roughness_matrix(x) / np.outer(root_w, root_w))
    s = np.clip(s, 0.0, None)  # the two linear directions are 0 up to rounding
    z = u.T @ (root_w[:, None] * columns)  # (n, p): the data in the eigenbasis

    def fitted(lams: np.ndarray) -> np.ndarray:  # lams (..., p) -> values (..., n, p)
        shrink = 1.0 / (1.0 + lams[..., None, :] * s[:, None])
        return (u @ (shrink * z)) / root_w[:, None]

    if lam is None:

        def gcv(lams: np.ndarray) -> np.ndarray:  # lams (g, 1) -> GCV (g, p)
            rss = np.mean((columns - fitted(lams)) ** 2, axis=-2)
            trace = np.sum(1.0 / (1.0 + lams * s), axis=-1, keepdims=True)
            return rss / (1.0 - trace / n) ** 2

        grid = (GRID * n)[:, None]
        best = grid[np.argmin(gcv(grid), axis=0), 0]  # (p,)
        step = np.log10(GRID[1] / GRID[0])
        fine = best[None, :] * 10.0 ** (REFINE[:, None] * step)  # (r, p)
        fine = np.clip(fine, GRID[0] * n, n)
        scores = np.stack([gcv(fine[:, [j]])[:, j] for j in range(fine.shape[1])], axis=1)
        lams = fine[np.argmin(scores, axis=0), np.arange(fine.shape[1])]
    else:
        lams = np.broadcast_to(np.asarray(lam, dtype=float), (columns.shape[1],))
    return fitted(lams).reshape(y.shape)
