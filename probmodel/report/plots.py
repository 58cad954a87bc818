"""Report figures: S-curves, prior-vs-posterior panels and the cost breakdown of a run.

Every function returns a :class:`matplotlib.figure.Figure` drawn with the non-interactive Agg
canvas (no pyplot state, nothing is ever shown), so the figures can be built on a server or in
CI and embedded in the HTML report with :func:`figure_to_data_uri`.

Numbers are written by :mod:`probmodel.formatting`, as in the tables and the command line.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from probmodel.diagnostics import is_constant
from probmodel.equations import COST_COMPONENTS, OUTCOMES, WORLD_PARAMETERS
from probmodel.formatting import (
    fmt_number,
    fmt_pct,
    fmt_tick,
    fmt_usd,
    fmt_usd_millions,
    fmt_value,
    unit_of,
)

PRIOR_COLOR = "#9aa5b1"
POSTERIOR_COLOR = "#1f5fa8"
POINT_COLOR = "#222222"
LIMIT_COLOR = "#c0392b"
CLIP_QUANTILES = (0.005, 0.995)
"""Draws outside these pooled quantiles are left off the axes so heavy tails do not hide the bulk."""
LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
LOG_RATIO = 20.0
"""Use a log x axis when the clipped range spans more than this factor (and is positive)."""


# --------------------------------------------------------------------------------------------
# Draw helpers
# --------------------------------------------------------------------------------------------


def _new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas (no pyplot, no GUI)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _draws(run, group: str, name: str) -> np.ndarray | None:
    """All draws of ``name`` in ``group`` as a flat float array, or None if absent."""
    if group not in run.tree.children or name not in run.tree[group].data_vars:
        return None
    return np.asarray(run.tree[group][name].values, dtype=float).ravel()


def _point(run, name: str) -> float | None:
    """The point-mode value of an outcome (every assumption at its point value), if stored."""
    if "point" not in run.tree.children or name not in run.tree["point"].data_vars:
        return None
    return float(np.asarray(run.tree["point"][name].values))


def _clip_range(*arrays: np.ndarray, include: tuple[float | None, ...] = ()) -> tuple[float, float]:
    """The 0.5%-99.5% range of the pooled draws, widened to show the reference values in ``include``."""
    pooled = np.concatenate([a[np.isfinite(a)] for a in arrays if a is not None])
    lo, hi = np.quantile(pooled, CLIP_QUANTILES)
    for v in include:
        if v is None or not math.isfinite(v) or (lo > 0 and v <= 0):  # keep a log axis possible
            continue
        lo, hi = min(lo, v), max(hi, v)
    if hi <= lo:  # a constant: give it some room
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    return float(lo), float(hi)


def _use_log(lo: float, hi: float) -> bool:
    return lo > 0 and hi / lo > LOG_RATIO


def _ecdf(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xs = np.sort(x)
    return xs, np.arange(1, xs.size + 1) / xs.size


def _kde(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian KDE of ``x`` on ``grid`` (Silverman's bandwidth); enough for a report panel."""
    x = x[np.isfinite(x)]
    sd = x.std()
    iqr = np.subtract(*np.quantile(x, [0.75, 0.25]))
    spread = min(sd, iqr / 1.349) if iqr > 0 else sd
    bw = 0.9 * (spread or 1.0) * x.size ** (-0.2)
    z = (grid[:, None] - x[None, :]) / bw
    return np.exp(-0.5 * z**2).sum(axis=1) / (x.size * bw * math.sqrt(2 * math.pi))


def _usd_axis(ax, log: bool) -> None:
    """Readable dollar ticks ($500M, $1B, $2B, ...) on the x axis."""
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_usd(v)))


def _plain_log_axis(ax, lo: float, hi: float, max_ratio_125: float = 150) -> None:
    """Log x axis written as plain numbers: 1-2-5 ticks up to ``max_ratio_125``, else 1-10-100."""
    ax.set_xscale("log")
    subs = (1.0, 2.0, 5.0) if hi / lo <= max_ratio_125 else (1.0,)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_tick(v)))


# --------------------------------------------------------------------------------------------
# S-curves
# --------------------------------------------------------------------------------------------

S_CURVE_TEXT = {
    "cost_total_usd": ("What will the plan cost? Chance the total cost is at most x",
                       "total cost of the plan (USD)", "budget_usd", "budget"),
    "years": ("How long will collection take? Chance it finishes within x years",
              "time to collect the data (years)", "deadline_years", "deadline"),
    "success_rate": ("How good will the model be? Chance its success on unseen tasks is at most x",
                     "predicted success rate on unseen tasks", "performance_target", "target"),
}  # fmt: skip
"""Outcome -> (title, x label, plan key of its limit, word for the limit)."""
MINIMUM_LIMITS = ("performance_target",)
"""Limits the outcome should reach (the others it should stay within)."""


def s_curve(run, outcome: str = "cost_total_usd") -> Figure:
    """Cumulative probability (S-curve) of an outcome, posterior against prior.

    Reading the posterior curve at any x gives the probability the outcome is at most x, which is
    how cost-risk practice states confidence ("80% chance it costs at most $X"). P50 and P80 are
    marked on it, the point estimate (every assumption at its point value) and the plan's budget or
    deadline are vertical lines, so the gap between the seed's single number and the risk is seen.

    Parameters
    ----------
    run : probmodel.sampling.Run
    outcome : {"cost_total_usd", "years"} or another scalar outcome name

    Returns
    -------
    matplotlib.figure.Figure
    """
    title, xlabel, limit_key, limit_word = S_CURVE_TEXT.get(
        outcome, (f"Chance that {outcome} is at most x", OUTCOMES.get(outcome, outcome), None, "")
    )
    post, prior = _draws(run, "posterior", outcome), _draws(run, "prior", outcome)
    if post is None:
        raise KeyError(f"outcome {outcome!r} is not in the run's posterior group.")
    point = _point(run, outcome)
    limit = run.plan.get(limit_key) if limit_key else None
    lo, hi = _clip_range(post, prior, include=(point, limit))
    log = _use_log(lo, hi)

    fig = _new_figure(8.5, 4.8)
    ax = fig.add_subplot()
    n_records = len(run.evidence)
    post_label = (f"posterior (given {n_records} evidence records)" if n_records
                  else "posterior (no evidence: prior via MCMC)")  # fmt: skip
    for draws, label, color, width in ((prior, "prior (assumptions only)", PRIOR_COLOR, 1.6),
                                       (post, post_label, POSTERIOR_COLOR, 2.4)):  # fmt: skip
        if draws is not None:
            xs, ps = _ecdf(draws)
            ax.step(xs, ps, where="post", color=color, lw=width, label=label)
    _mark_percentiles(ax, post, outcome)
    if point is not None:
        ax.axvline(point, color=POINT_COLOR, ls=":", lw=1.5,
                   label=f"point estimate {fmt_value(outcome, point)}")  # fmt: skip
    if limit is not None:
        if limit_key in MINIMUM_LIMITS:
            text = f"{fmt_pct(float(np.mean(post >= limit)))} chance to reach it"
        else:
            text = f"{fmt_pct(float(np.mean(post <= limit)))} chance within"
        ax.axvline(limit, color=LIMIT_COLOR, ls="--", lw=1.8,
                   label=f"{limit_word} {fmt_value(outcome, limit)}: {text}")  # fmt: skip
    elif limit_key:
        ax.plot([], [], " ", label=f"no {limit_word} set in the plan")
    _style_s_curve(ax, outcome, lo, hi, log, xlabel)
    if is_constant(post):
        ax.text(0.02, 0.55, "fixed by the plan (the fleet is solved for the deadline)",
                transform=ax.transAxes, fontsize=9, color="#555")  # fmt: skip
    ax.set_title(title, loc="left", fontsize=12)
    return fig


def _mark_percentiles(ax, post: np.ndarray, outcome: str) -> None:
    """Dots and labels at the posterior P50 and P80."""
    for q in (0.5, 0.8):
        x = float(np.quantile(post, q))
        ax.plot([x], [q], "o", color=POSTERIOR_COLOR, ms=6, zorder=5)
        ax.annotate(f"P{int(q * 100)} {fmt_value(outcome, x)}", (x, q), xytext=(-9, 5),
                    textcoords="offset points", ha="right", fontsize=9.5, color=POSTERIOR_COLOR,
                    fontweight="bold", bbox=LABEL_BOX)  # fmt: skip


def _style_s_curve(ax, outcome: str, lo: float, hi: float, log: bool, xlabel: str) -> None:
    """Axes, ticks, grid and legend of an S-curve."""
    is_usd = unit_of(outcome).startswith("USD")
    if is_usd:
        _usd_axis(ax, log)
    elif log:
        _plain_log_axis(ax, lo, hi, max_ratio_125=3000)  # a wide axis has room for 1-2-5
    ax.set_xlim(lo / 1.15 if log else lo, hi * 1.15 if log else hi)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.set_yticks([0, 0.1, 0.2, 0.5, 0.8, 0.9, 1.0])
    ax.set_xlabel(xlabel + (", log scale" if log else ""))
    ax.set_ylabel("probability outcome ≤ x")
    ax.grid(True, which="major", color="#e5e5e5", lw=0.8)
    ax.legend(loc="lower right", fontsize=9, frameon=True)


# --------------------------------------------------------------------------------------------
# Prior vs posterior
# --------------------------------------------------------------------------------------------


def world_parameter_names(run) -> list[str]:
    """World parameters sampled in the run (fixed ones are not in the posterior), in model order."""
    posterior = run.tree["posterior"].data_vars
    return [name for name in WORLD_PARAMETERS if name in posterior]


MOVED_SHIFT = 0.1
"""A parameter counts as moved by the evidence when its median shifts by more than this many prior
standard deviations (IQR / 1.349, robust to heavy tails) ..."""
MOVED_RATIO = 0.1
"""... or its interquartile range shrinks or grows by more than this fraction. Both are ~3x the
Monte Carlo noise of 4,000 draws, so unmoved parameters are not drawn for noise alone."""


def moved_parameters(run) -> tuple[list[str], list[str]]:
    """(moved, unmoved): sampled world parameters whose posterior differs from their prior by
    :data:`MOVED_SHIFT` or :data:`MOVED_RATIO`, and the rest, in model order."""
    moved, unmoved = [], []
    for name in world_parameter_names(run):
        prior, post = _draws(run, "prior", name), _draws(run, "posterior", name)
        if prior is None:
            moved.append(name)
            continue
        q_prior, q_post = (
            np.quantile(prior, [0.25, 0.5, 0.75]),
            np.quantile(post, [0.25, 0.5, 0.75]),
        )
        iqr_prior, iqr_post = q_prior[2] - q_prior[0], q_post[2] - q_post[0]
        if iqr_prior <= 0:
            moved.append(name)
            continue
        shift = abs(q_post[1] - q_prior[1]) / (iqr_prior / 1.349)
        ratio = iqr_post / iqr_prior
        (moved if shift > MOVED_SHIFT or abs(ratio - 1) > MOVED_RATIO else unmoved).append(name)
    return moved, unmoved


def prior_posterior(run, ncols: int = 4, names: list[str] | None = None) -> Figure:
    """Prior and posterior density of sampled world parameters, one panel each (default: those
    the evidence moved, :func:`moved_parameters`; the report names the others).

    Shows which assumptions the evidence moved (posterior shifted or narrowed) and by how much. Densities are smoothed on a log scale for parameters spanning
    more than a factor of 20, and each panel shows the 0.5%-99.5% range of the pooled draws so that
    heavy tails do not squash the bulk; a point value outside that range is noted, not drawn.

    Parameters
    ----------
    run : probmodel.sampling.Run
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = names if names is not None else (moved_parameters(run)[0] or world_parameter_names(run))
    nrows = max(1, math.ceil(len(names) / ncols))
    fig = _new_figure(3.0 * ncols, 2.3 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, name in zip(axes[: len(names)], names, strict=True):
        _prior_posterior_panel(ax, name, _draws(run, "prior", name),
                               _draws(run, "posterior", name), run.priors[name])  # fmt: skip
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncols=3, fontsize=9, frameon=False)
    fig.suptitle("What did the evidence change? Prior vs posterior of the parameters it moved",
                 x=0.01, ha="left", fontsize=12)  # fmt: skip
    return fig


def _prior_posterior_panel(ax, name: str, prior, post, spec: dict[str, Any]) -> None:
    """One parameter's panel: prior filled, posterior line, point value dashed, unit on x."""
    point = spec.get("point")
    lo, hi = _clip_range(prior, post)
    log = _use_log(lo, hi)
    grid = np.geomspace(lo, hi, 256) if log else np.linspace(lo, hi, 256)
    space = np.log if log else (lambda v: v)
    for draws, color, label, fill in ((prior, PRIOR_COLOR, "prior", True),
                                      (post, POSTERIOR_COLOR, "posterior", False)):  # fmt: skip
        if draws is None:
            continue
        inside = draws[(draws >= lo) & (draws <= hi)]
        density = _kde(space(inside), space(grid)) * inside.size / draws.size
        if fill:
            ax.fill_between(grid, density, color=color, alpha=0.45, lw=0, label=label)
        else:
            ax.plot(grid, density, color=color, lw=2, label=label)
    if log:
        _plain_log_axis(ax, lo, hi)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_tick(v)))
    ax.set_xlim(lo, hi)
    _mark_point(ax, point, lo, hi)
    ax.set_title(name, fontsize=9.5, loc="left")
    ax.set_xlabel(spec.get("unit") or unit_of(name), fontsize=8)
    ax.tick_params(labelsize=8)
    ax.set_yticks([])
    ax.set_ylim(0, ax.get_ylim()[1] * 1.12)  # room for the off-scale note
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _mark_point(ax, point: float | None, lo: float, hi: float) -> None:
    """The point value as a dashed line, or a note when it falls outside the panel."""
    if point is None:
        return
    if lo <= point <= hi:
        ax.axvline(point, color=POINT_COLOR, ls="--", lw=1.2, label="point value")
    else:
        side = "left" if point < lo else "right"
        ax.text(0.02 if side == "left" else 0.98, 0.92, f"point {fmt_number(point)} ({side}, off scale)",
                transform=ax.transAxes, ha=side, fontsize=7.5, color=POINT_COLOR)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Cost breakdown
# --------------------------------------------------------------------------------------------


def cost_breakdown(run) -> Figure:
    """Posterior median and 10-90% range of each cost component, as horizontal bars in $M.

    Shows where the money goes and which component carries the most uncertainty; the point
    estimate of each component is a black tick so the seed's split can be compared.

    Returns
    -------
    matplotlib.figure.Figure
    """
    cost = run.tree["posterior"]["cost"]
    stacked = cost.stack(sample=[d for d in cost.dims if d != "cost_component"])
    components = [c for c in COST_COMPONENTS if c in cost["cost_component"].values]
    rows = [np.asarray(stacked.sel(cost_component=c).values, dtype=float) for c in components]
    p10, p50, p90 = (np.array([np.quantile(r, q) for r in rows]) / 1e6 for q in (0.1, 0.5, 0.9))
    point = _component_points(run, components)

    fig = _new_figure(10.0, 0.5 * len(components) + 1.6)
    ax = fig.add_subplot()
    y = np.arange(len(components))[::-1]
    ax.barh(y, p50, color=POSTERIOR_COLOR, alpha=0.85, height=0.55, label="posterior median")
    ax.errorbar(p50, y, xerr=[p50 - p10, p90 - p50], fmt="none", ecolor="#333", capsize=4,
                lw=1.2, label="10–90% range")  # fmt: skip
    if point is not None:
        ax.plot(point / 1e6, y, "|", color=POINT_COLOR, ms=16, mew=2, label="point estimate")
    right = p90 if point is None else np.maximum(p90, point / 1e6)
    # Each row's numbers in a column of their own right of the plot, centred on the row: a label
    # placed after the whisker's end read as that end's value (the P90), not the median's.
    for yi, lo, mid, hi in zip(y, p10, p50, p90, strict=True):
        ax.annotate(
            f"{fmt_usd(mid * 1e6)}  ({fmt_usd(lo * 1e6)}–{fmt_usd(hi * 1e6)})", (1.0, yi),
            xycoords=("axes fraction", "data"), xytext=(8, 0), textcoords="offset points",
            ha="left", va="center", fontsize=9,
        )  # fmt: skip
    ax.annotate("median (P10–P90)", (1.0, 1.0), xycoords="axes fraction", xytext=(8, 4),
                textcoords="offset points", ha="left", va="bottom", fontsize=9,
                color="#55606e")  # fmt: skip
    ax.set_yticks(y, components)
    ax.set_axisbelow(True)  # grid lines behind the bars, not through them
    ax.set_xlim(0, max(float(right.max()), 1e-9) * 1.05)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_usd_millions(v * 1e6)))
    ax.set_xlabel("cost over the whole plan (USD, millions)")
    ax.grid(True, axis="x", color="#e5e5e5")
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title("Where does the money go? Cost by component, posterior median and 10–90% range",
                 loc="left", fontsize=12)  # fmt: skip
    return fig


def _component_points(run, components: list[str]) -> np.ndarray | None:
    """Point-mode cost of each component, or None when the run has no point group."""
    if "point" not in run.tree.children or "cost" not in run.tree["point"].data_vars:
        return None
    cost = run.tree["point"]["cost"]
    return np.array([float(cost.sel(cost_component=c)) for c in components])


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------


def figure_to_data_uri(fig: Figure, dpi: int = 110) -> str:
    """Render ``fig`` as a base64 PNG ``data:`` URI and close it.

    Why: the HTML report must be one self-contained file, so images travel inside it.
    """
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    finally:
        _close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _close(fig: Figure) -> None:
    """Release a figure: drop it from pyplot's registry if pyplot made it, then clear it."""
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
    fig.clear()
