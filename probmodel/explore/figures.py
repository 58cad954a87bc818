"""The explorer's figures as inline SVG text: S-curves (cumulative probability) of cost, years and
success, and the cost x schedule scatter with the joint confidence level.

Why SVG by hand rather than Matplotlib: one combined Matplotlib figure of the four panels took
170-240 ms on the 2-core development machine (PNG or SVG, 72 dpi), more than the page's whole
200 ms budget for a plan change; these strings take a few milliseconds, need no image round trip,
and scale with the page. They draw what they are handed (draws and limits); every number printed
on them comes from :mod:`probmodel.analysis.whatif`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from probmodel import formatting as fmt

WIDTH, HEIGHT = 330, 210
MARGIN = {"left": 46, "right": 12, "top": 26, "bottom": 34}
CURVE_POINTS = 161
"""Quantiles drawn per S-curve (P0.5 to P99.5): finer than a pixel at this width."""
VIEW = (0.005, 0.995)
"""The axes show the central 99% of the draws: the extreme tails would squash the rest."""
CURRENT, PINNED, LIMIT, JOINT = "#1f5fa8", "#8a8a8a", "#c0392b", "#2e8b57"


@dataclass(frozen=True)
class Series:
    """One plan's draws of one outcome, drawn as an S-curve."""

    label: str
    values: np.ndarray
    color: str
    dashed: bool = False


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


class _Axes:
    """Maps data to pixels inside one panel."""

    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float]):
        self.x0, self.x1 = xlim
        self.y0, self.y1 = ylim
        self.left, self.top = MARGIN["left"], MARGIN["top"]
        self.w = WIDTH - MARGIN["left"] - MARGIN["right"]
        self.h = HEIGHT - MARGIN["top"] - MARGIN["bottom"]

    def px(self, x):
        return self.left + (np.asarray(x, dtype=float) - self.x0) / (self.x1 - self.x0) * self.w

    def py(self, y):
        return self.top + self.h - (np.asarray(y, dtype=float) - self.y0) / (self.y1 - self.y0) * self.h


def _frame(ax: _Axes, title: str, xlabel: str, xticks, xfmt, yticks, yfmt) -> list[str]:
    parts = [
        f'<text x="{ax.left}" y="15" class="t">{html.escape(title)}</text>',
        f'<rect x="{ax.left}" y="{ax.top}" width="{ax.w}" height="{ax.h}" class="f"/>',
    ]
    for t in xticks:
        x = float(ax.px(t))
        parts.append(f'<line x1="{x:.1f}" y1="{ax.top}" x2="{x:.1f}" y2="{ax.top + ax.h}" class="g"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{ax.top + ax.h + 13}" class="k" text-anchor="middle">'
            f"{html.escape(xfmt(t))}</text>"
        )
    for t in yticks:
        y = float(ax.py(t))
        parts.append(f'<line x1="{ax.left}" y1="{y:.1f}" x2="{ax.left + ax.w}" y2="{y:.1f}" class="g"/>')
        parts.append(
            f'<text x="{ax.left - 4}" y="{y + 3:.1f}" class="k" text-anchor="end">'
            f"{html.escape(yfmt(t))}</text>"
        )
    parts.append(
        f'<text x="{ax.left + ax.w / 2:.1f}" y="{HEIGHT - 4}" class="k" text-anchor="middle">'
        f"{html.escape(xlabel)}</text>"
    )
    return parts


def _svg(parts: Sequence[str], label: str) -> str:
    style = (
        "<style>.t{font:600 12px sans-serif}.k{font:10px sans-serif;fill:#444}"
        ".f{fill:none;stroke:#999}.g{stroke:#e4e4e4}.m{font:10px sans-serif}</style>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(label)}">'
        + style
        + "".join(parts)
        + "</svg>"
    )


def _view(arrays: Sequence[np.ndarray], marks: Sequence[float | None]) -> tuple[float, float]:
    lows, highs = [], []
    for a in arrays:
        lo, hi = np.quantile(a, VIEW)
        lows.append(lo)
        highs.append(hi)
    lo, hi = min(lows), max(highs)
    for m in marks:
        if m is not None and math.isfinite(m) and lo <= m <= hi * 1.5:
            lo, hi = min(lo, m), max(hi, m)
    if hi <= lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
    pad = 0.03 * (hi - lo)
    return lo - pad, hi + pad


def s_curve(
    title: str,
    xlabel: str,
    series: Sequence[Series],
    xfmt: Callable[[float], str],
    limit: float | None = None,
    limit_label: str = "",
) -> str:
    """S-curve of each series: P(outcome <= x) against x, with an optional limit line
    (budget, deadline, target) labelled ``limit_label``."""
    xlim = _view([s.values for s in series], [limit])
    ax = _Axes(xlim, (0.0, 1.0))
    parts = _frame(ax, title, xlabel, _nice_ticks(*xlim), xfmt, [0, 0.25, 0.5, 0.75, 1.0],
                   lambda p: f"{100 * p:.0f}%")  # fmt: skip
    probs = np.linspace(VIEW[0], VIEW[1], CURVE_POINTS)
    for s in series:
        q = np.quantile(s.values, probs)
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(ax.px(q), ax.py(probs), strict=True))
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{s.color}" stroke-width="2"{dash}>'
            f"<title>{html.escape(s.label)}</title></polyline>"
        )
    if limit is not None and xlim[0] <= limit <= xlim[1]:
        parts += _marker(ax, limit, LIMIT, limit_label, 'stroke-dasharray="3 2"')
    return _svg(parts, title)


def _marker(ax, value: float, color: str, label: str, style: str) -> list[str]:
    """A vertical line at ``value`` across the plot, labelled at its top on the side with room."""
    x = float(ax.px(value))
    anchor = "end" if x > ax.left + ax.w / 2 else "start"
    dx = -3 if anchor == "end" else 3
    return [
        f'<line x1="{x:.1f}" y1="{ax.top}" x2="{x:.1f}" y2="{ax.top + ax.h}" '
        f'stroke="{color}" {style}/>',
        f'<text x="{x + dx:.1f}" y="{ax.top + 11}" class="m" fill="{color}" '
        f'text-anchor="{anchor}">{html.escape(label)}</text>',
    ]


def jcl_scatter(
    cost: np.ndarray,
    years: np.ndarray,
    budget: float | None,
    deadline: float | None,
    p_joint: float | None,
    jcl80_budget: float | None,
) -> str:
    """Cost x schedule scatter of the draws, with the budget and deadline lines, the joint
    confidence level P(cost <= budget and years <= deadline) written in the corner they bound,
    and the budget giving 80% joint confidence by the deadline."""
    xlim = _view([cost], [budget, jcl80_budget])
    ylim = _view([years], [deadline])
    ax = _Axes(xlim, ylim)
    parts = _frame(ax, "Cost x schedule (each dot a posterior draw)", "net cost",
                   _nice_ticks(*xlim), fmt.fmt_usd, _nice_ticks(*ylim, n=3),
                   lambda y: fmt.fmt_number(y))  # fmt: skip
    inside = (cost >= xlim[0]) & (cost <= xlim[1]) & (years >= ylim[0]) & (years <= ylim[1])
    xs, ys = ax.px(cost[inside]), ax.py(years[inside])
    dots = "".join(f"M{x:.1f} {y:.1f}h0" for x, y in zip(xs, ys, strict=True))
    parts.append(
        f'<path d="{dots}" stroke="{CURRENT}" stroke-opacity="0.25" stroke-width="3" '
        'stroke-linecap="round"/>'
    )
    parts.append(
        f'<text x="{ax.left - 30}" y="{ax.top - 4}" class="k">years</text>'
    )
    if budget is not None and deadline is not None:
        bx = float(np.clip(ax.px(budget), ax.left, ax.left + ax.w))
        dy = float(np.clip(ax.py(deadline), ax.top, ax.top + ax.h))
        parts.append(
            f'<rect x="{ax.left}" y="{dy:.1f}" width="{bx - ax.left:.1f}" '
            f'height="{ax.top + ax.h - dy:.1f}" fill="{JOINT}" fill-opacity="0.08" '
            f'stroke="{LIMIT}" stroke-dasharray="3 2"/>'
        )
        if p_joint is not None:
            parts.append(
                f'<text x="{ax.left + 4}" y="{ax.top + ax.h - 5}" class="m" fill="{JOINT}">'
                f"within both: {html.escape(fmt.fmt_pct(p_joint))}</text>"
            )
    if jcl80_budget is not None and xlim[0] <= jcl80_budget <= xlim[1]:
        label = f"80% JCL {fmt.fmt_usd(jcl80_budget)}"
        parts += _marker(ax, jcl80_budget, JOINT, label, 'stroke-width="1.5"')
    return _svg(parts, "cost x schedule scatter")
