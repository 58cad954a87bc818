"""Decision figures: joint cost x schedule confidence, plans side by side, sweep heat maps,
tornado and variance ranking.

Like :mod:`probmodel.report.plots`, every function returns a Matplotlib figure on the Agg canvas,
titled with the question it answers, with units on the axes and the budget, deadline or target
drawn where they apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from probmodel.formatting import fmt_number, fmt_pct, fmt_usd, fmt_value
from probmodel.report.plots import (
    LIMIT_COLOR,
    POINT_COLOR,
    POSTERIOR_COLOR,
    _new_figure,
    _usd_axis,
)

CONTOUR_MASSES = (0.5, 0.8, 0.95)
"""Probability masses enclosed by the scatter's density contours."""
MAX_SCATTER = 4000


def jcl_scatter(
    cost: np.ndarray,
    years: np.ndarray,
    budget: float | None = None,
    deadline: float | None = None,
    title: str | None = None,
    size: tuple[float, float] = (8.0, 5.6),
) -> Figure:
    """Cost x schedule scatter of paired draws with density contours (50/80/95% of the draws)
    and the joint confidence level P(cost <= budget and years <= deadline) in the corner the
    budget and deadline lines cut off. ``size``: width and height in inches (the report's
    first screen draws a smaller one)."""
    cost = np.asarray(cost, dtype=float).ravel()
    years = np.asarray(years, dtype=float).ravel()
    fig = _new_figure(*size)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)
    show = rng.choice(cost.size, min(cost.size, MAX_SCATTER), replace=False)
    ax.scatter(cost[show], years[show], s=5, alpha=0.25, color=POSTERIOR_COLOR, lw=0,
               label=f"posterior draws ({fmt_number(show.size)} shown)")  # fmt: skip
    lc, ly = np.log(cost), np.log(np.maximum(years, 1e-6))
    levels = None
    if np.ptp(lc) > 0 and np.ptp(ly) > 0:
        gx, gy, zz, density = _binned_density(lc, ly)
        levels = np.unique(np.quantile(density, [1 - m for m in sorted(CONTOUR_MASSES)]))
        if levels.size != len(CONTOUR_MASSES) or levels[0] <= 0:
            levels = None  # too few distinct draws to draw nested contours
    if levels is not None:
        xx, yy = np.meshgrid(gx, gy)
        cs = ax.contour(np.exp(xx), np.exp(yy), zz.T, levels=levels, colors=POINT_COLOR,
                        linewidths=1.0)  # fmt: skip
        labels = {
            lvl: f"{round(100 * m)}%"
            for lvl, m in zip(levels, sorted(CONTOUR_MASSES, reverse=True), strict=True)
        }  # noqa: E501
        ax.clabel(cs, fmt=labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _usd_axis(ax, True)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(v)))  # 0.5, 1, 2, 5
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("net cost of the plan (USD), log scale")
    ax.set_ylabel("years until all the data is in, log scale")
    if budget is not None:
        ax.axvline(budget, color=LIMIT_COLOR, ls="--", lw=1.6, label=f"budget {fmt_usd(budget)}")
    if deadline is not None:
        ax.axhline(deadline, color=LIMIT_COLOR, ls=":", lw=1.6,
                   label=f"deadline {fmt_value('years', deadline)}")  # fmt: skip
    if budget is not None and deadline is not None:
        jcl = float(np.mean((cost <= budget) & (years <= deadline)))
        ax.text(0.02, 0.03, f"P(cost ≤ budget and years ≤ deadline) = {fmt_pct(jcl)}",
                transform=ax.transAxes, fontsize=10, color=LIMIT_COLOR,
                bbox={"fc": "white", "ec": "none", "alpha": 0.85})  # fmt: skip
    ax.legend(loc="upper right", fontsize=8, frameon=True)
    ax.set_title(title or "Will it fit the budget and the deadline? Cost x schedule of every draw",
                 loc="left", fontsize=12)  # fmt: skip
    return fig


def _binned_density(x: np.ndarray, y: np.ndarray, bins: int = 120):
    """A Gaussian-smoothed 2-D histogram of (x, y) on a grid over their 0.2%-99.8% ranges (padded), and its
    value at each draw: the density estimate behind the contours, with Scott's bandwidth as a
    kernel density estimate would use, at a fraction of its cost (a grid, not 4,000 x 18,400
    kernel evaluations)."""
    from scipy.ndimage import gaussian_filter

    scott = x.size ** (-1.0 / 6.0)
    # Padded by three bandwidths so that the outer contour closes inside the grid.
    ranges = [
        np.quantile(v, [0.002, 0.998]) + np.array([-3, 3]) * scott * np.std(v) for v in (x, y)
    ]
    counts, xe, ye = np.histogram2d(x, y, bins=bins, range=ranges)
    sigma = [scott * np.std(v) / (e[1] - e[0]) for v, e in ((x, xe), (y, ye))]
    smooth = gaussian_filter(counts, sigma=sigma, mode="constant")
    ix = np.clip(np.searchsorted(xe, x) - 1, 0, bins - 1)
    iy = np.clip(np.searchsorted(ye, y) - 1, 0, bins - 1)
    return (xe[:-1] + xe[1:]) / 2, (ye[:-1] + ye[1:]) / 2, smooth, smooth[ix, iy]


def plan_comparison(
    outcomes: Mapping[str, Mapping[str, np.ndarray]],
    limits: Mapping[str, Mapping[str, float | None]] | None = None,
) -> Figure:
    """Plans side by side: box plots (P10-P90 whiskers, P25-P75 box, median) of net cost,
    years and success for each plan; the plans' own budget, deadline and target as red ticks."""
    names = list(outcomes)
    panels = [("cost_net_usd", "net cost (USD), log scale", "budget_usd"),
              ("years", "years until all the data is in", "deadline_years"),
              ("success_rate", "predicted success on unseen tasks", "performance_target")]  # fmt: skip
    fig = _new_figure(12.0, 0.45 * len(names) + 2.2)
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (key, label, limit_key) in zip(axes, panels, strict=True):
        data = [np.asarray(outcomes[n][key], dtype=float).ravel() for n in names]
        ax.boxplot(data, orientation="horizontal", whis=(10, 90), showfliers=False,
                   tick_labels=names, medianprops={"color": POSTERIOR_COLOR, "lw": 2})  # fmt: skip
        for i, n in enumerate(names, start=1):
            limit = (limits or {}).get(n, {}).get(limit_key)
            if limit is not None:
                ax.plot([limit, limit], [i - 0.35, i + 0.35], color=LIMIT_COLOR, lw=2)
        if key == "cost_net_usd":
            ax.set_xscale("log")
            _usd_axis(ax, True)
        if key == "years":
            ax.xaxis.set_major_formatter(lambda v, _: fmt_number(v))
        if key == "success_rate":
            ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()
    fig.suptitle("Which plan? Cost, time and performance side by side (boxes P25-P75, whiskers "
                 "P10-P90; red: each plan's budget, deadline, target)", x=0.01, ha="left",
                 fontsize=11)  # fmt: skip
    return fig


def sweep_heatmap(
    ds: xr.Dataset, variable: str, x: str, y: str, fixed: Mapping[str, float] | None = None
) -> Figure:
    """One sweep measure over two plan variables, the other axes held at ``fixed`` values
    (default: their middle value). Probabilities use a stepped colour scale."""
    sel = {}
    for dim in ds[variable].dims:
        if dim in (x, y):
            continue
        values = ds[dim].values
        want = (fixed or {}).get(dim, values[len(values) // 2])
        sel[dim] = values[np.argmin(np.abs(values - want))]
    data = ds[variable].sel(sel).transpose(y, x)
    fig = _new_figure(7.5, 5.2)
    ax = fig.add_subplot()
    is_prob = variable.startswith("p_")
    norm = BoundaryNorm([0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001], 256) if is_prob else None
    mesh = ax.pcolormesh(np.arange(ds[x].size + 1), np.arange(ds[y].size + 1), data.values,
                         cmap="viridis" if is_prob else "magma_r", norm=norm)  # fmt: skip
    fmt = fmt_pct if is_prob else (lambda v: fmt_value(variable_unit_name(variable), v, False))
    for j in range(ds[y].size):
        for i in range(ds[x].size):
            v = float(data.values[j, i])
            ink = text_color(mesh.cmap(mesh.norm(v))) if np.isfinite(v) else "black"
            ax.text(i + 0.5, j + 0.5, fmt(v), ha="center", va="center", fontsize=7, color=ink)
    ax.set_xticks(np.arange(ds[x].size) + 0.5, [fmt_number(float(v)) for v in ds[x].values],
                  rotation=45, ha="right")  # fmt: skip
    ax.set_yticks(np.arange(ds[y].size) + 0.5, [fmt_number(float(v)) for v in ds[y].values])
    ax.set_xlabel(ds[x].attrs.get("description", x))
    ax.set_ylabel(ds[y].attrs.get("description", y))
    bar = fig.colorbar(mesh, ax=ax, label=ds[variable].attrs.get("description", variable))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))  # $2B, not 1e9 offset
    held = ", ".join(f"{k} = {fmt_number(float(v))}" for k, v in sel.items())
    question = HEATMAP_QUESTIONS.get(variable, ds[variable].attrs.get("description", variable))
    ax.set_title(question + (f"\n({held})" if held else ""), loc="left", fontsize=10)
    return fig


HEATMAP_QUESTIONS = {
    "cost_p50": "What does each plan cost? Median net cost",
    "cost_p80": "What does each plan cost at 80% confidence? P80 net cost",
    "cost_p90": "What does each plan cost at 90% confidence? P90 net cost",
    "p_on_time": "Which plans finish by the deadline? P(years <= deadline)",
    "p_success_at_least_target": "Which plans reach the performance target? P(success >= target)",
    "p_cost_within_budget": "Which plans stay within budget? P(net cost <= budget)",
    "p_cost_and_years_within": "Which plans fit budget and deadline together? Joint confidence",
}


def relative_luminance(rgba: Sequence[float]) -> float:
    """WCAG relative luminance (0 black to 1 white) of an sRGB colour with channels in [0, 1]."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_color(background: Sequence[float]) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG contrast ratio):
    labels on a heat map's pale cells are black, on its dark cells white."""
    lum = relative_luminance(background)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def variable_unit_name(variable: str) -> str:
    """An outcome name whose unit formats a sweep measure (cost in USD, years, success)."""
    if variable.startswith("cost"):
        return "cost_total_usd"
    if variable.startswith("years"):
        return "years"
    return "success_rate"


def tornado(rows: Sequence[Mapping[str, Any]], outcome: str, top: int = 12) -> Figure:
    """Swing of ``outcome`` when each parameter goes from its posterior P10 to P90, the others
    at their medians; the widest bars are the assumptions that move the outcome most."""
    rows = list(rows)[:top][::-1]
    fig = _new_figure(8.5, 0.38 * len(rows) + 1.6)
    ax = fig.add_subplot()
    base = rows[0]["base"] if rows else 0.0
    for i, r in enumerate(rows):
        lo, hi = r["outcome_at_low"], r["outcome_at_high"]
        ax.barh(i, hi - base, left=base, color=POSTERIOR_COLOR, alpha=0.85)
        ax.barh(i, lo - base, left=base, color="#9aa5b1", alpha=0.9)
    ax.axvline(base, color=POINT_COLOR, lw=1)
    ax.set_yticks(range(len(rows)), [r["parameter"] for r in rows], fontsize=8)
    if outcome.startswith("cost"):
        _usd_axis(ax, False)
    ax.set_xlabel(f"{outcome}: grey at the parameter's P10, blue at its P90 (others at medians)")
    ax.set_title(f"Which assumption moves {outcome} most? Tornado (P10 to P90)", loc="left",
                 fontsize=12)  # fmt: skip
    return fig


def variance_ranking(rows: Sequence[Mapping[str, Any]], outcome: str, top: int = 12) -> Figure:
    """First-order variance shares S1 with their confidence intervals: the share of the
    outcome's variance that knowing each parameter would remove."""
    rows = list(rows)[:top][::-1]
    fig = _new_figure(8.5, 0.38 * len(rows) + 1.6)
    ax = fig.add_subplot()
    s1 = np.array([r["S1"] for r in rows])
    err = np.array([r.get("S1_conf", 0.0) for r in rows])
    ax.barh(range(len(rows)), s1, xerr=err, color=POSTERIOR_COLOR, alpha=0.85, capsize=2)
    ax.set_yticks(range(len(rows)), [r["parameter"] for r in rows], fontsize=8)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_xlabel(f"share of the variance of {outcome} removed if the parameter were known (S1)")
    ax.set_title(f"Which uncertainty matters most for {outcome}? Variance-based ranking",
                 loc="left", fontsize=12)  # fmt: skip
    return fig
