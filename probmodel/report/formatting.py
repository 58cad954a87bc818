"""Number formatting by unit, shared by the command line and the HTML report."""

from __future__ import annotations

import math


def usd(x: float) -> str:
    """$1.92B, $412M, $85.0K, $37.50."""
    if x is None or not math.isfinite(x):
        return "n/a"
    sign, a = ("-" if x < 0 else ""), abs(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= scale:
            return f"{sign}${a / scale:.3g}{suffix}" if a / scale < 100 else f"{sign}${a / scale:.0f}{suffix}"
    return f"{sign}${a:.2f}"


def count(x: float) -> str:
    """1.1T, 51.8M, 21,219, 4.24."""
    if x is None or not math.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e9:
        for scale, suffix in ((1e12, "T"), (1e9, "B")):
            if a >= scale:
                return f"{x / scale:.3g}{suffix}"
    if a >= 1e7:
        return f"{x / 1e6:.3g}M"
    if a >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def years(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.2f} y"


def probability(p: float | None) -> str:
    return "n/a" if p is None else f"{100 * p:.1f}%"


def by_name(name: str, x: float) -> str:
    """Format ``x`` by the unit its outcome name implies."""
    if "usd" in name or name.startswith("cost"):
        return usd(x)
    if name == "years":
        return years(x)
    return count(x)
