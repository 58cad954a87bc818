"""Number formatting by unit, one place for the command line, the figures and the HTML report:
$1.92B, $412M, 4.24 years, 21,219 robot-years, 31%.
"""

from __future__ import annotations

import math

from probmodel.equations import unit

SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def fmt_usd(x: float | None) -> str:
    """Dollars with a scale suffix and three significant figures ($1.92B, $412M, $37.5k, $8.33).

    Why: costs span cents per token to billions per plan; a suffix keeps every cell short.
    """
    if x is None or not math.isfinite(x):
        return "—"
    sign = "-" if x < 0 else ""
    a = float(f"{abs(x):.3g}")  # round first, so $999.7M is written $1B, not $1,000M
    for scale, suffix in SUFFIXES:
        if a >= scale:
            return f"{sign}${_sig3(a / scale)}{suffix}"
    if a == 0:
        return "$0"
    if a < 0.01:
        return f"{sign}${abs(x):.3g}"
    return f"{sign}${_sig3(a)}"


def fmt_usd_millions(x: float) -> str:
    """Dollars in millions for axes that must stay in one unit ($412M, $1,250M)."""
    m = x / 1e6
    return f"${m:,.0f}M" if abs(m) >= 10 or m == 0 else f"${m:,.1f}M"


def fmt_years(x: float | None) -> str:
    """Years with three significant figures ("4.24 years", "0.368 years")."""
    if x is None or not math.isfinite(x):
        return "—"
    return f"{_sig3(x)} years"


def fmt_count(x: float | None, unit: str = "") -> str:
    """A count with thousands separators ("21,219 robot-years"); three significant figures below 100."""
    if x is None or not math.isfinite(x):
        return "—"
    text = f"{x:,.0f}" if abs(x) >= 100 else _sig3(x)
    return f"{text} {unit}".strip()


def fmt_number(x: float | None, unit: str = "") -> str:
    """A general quantity: 3 significant figures, with k/M/B/T above 10,000 and e-notation below 0.001."""
    if x is None or not math.isfinite(x):
        return "—"
    a = float(f"{abs(x):.3g}")
    if a >= 1e4:
        scale, suffix = next((sc, su) for sc, su in SUFFIXES if a >= sc)
        text = f"{_sig3(x / scale)}{suffix}"
    elif 0 < a < 1e-3:
        text = f"{x:.2e}"
    else:
        text = _sig3(x)
    return f"{text} {unit}".strip()


def fmt_pct(p: float | None) -> str:
    """A probability as a percentage ("31%", "<1%", ">99%"), or an em dash when not defined."""
    if p is None or not math.isfinite(p):
        return "—"
    if 0 < p < 0.01:
        return "<1%"
    if 0.99 < p < 1:
        return ">99%"
    return f"{100 * p:.0f}%"


def fmt_share(x: float | None) -> str:
    """A fraction such as a success rate as a percentage with one decimal ("58.2%")."""
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:.1f}%"


def unit_of(name: str) -> str:
    """The unit of an outcome, world parameter or derived quantity (:func:`equations.unit`)."""
    return unit(name)


def fmt_value(name: str, x: float | None, with_unit: bool = True) -> str:
    """Format ``x`` as the outcome or parameter ``name`` is measured (USD, years, counts, ...).

    ``with_unit=False`` drops the unit words (but keeps the $ sign) for table cells whose column
    or row already states the unit.
    """
    unit = unit_of(name)
    if unit.startswith("USD"):
        suffix = unit[3:] if with_unit and x is not None else ""  # "/year", "/robot" ...
        return fmt_usd(x) + suffix
    if unit == "years":
        return fmt_years(x) if with_unit else fmt_number(x)
    if unit == "fraction":
        return fmt_share(x)
    if unit in ("robot-years", "robots", "h/year"):
        return fmt_count(x, unit if with_unit else "")
    return fmt_number(x, unit if with_unit else "")


def _sig3(x: float) -> str:
    """Three significant figures, trailing zeros dropped, commas from 1,000 ("1.92", "5", "21,219")."""
    if x == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    rounded = round(x, digits)
    if abs(rounded) >= 1000:
        return f"{rounded:,.0f}"
    text = f"{rounded:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_tick(x: float) -> str:
    """A short axis label: 3 significant figures, k/M/B above 10,000, "1e-07" below 0.001."""
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.0e}"
    return fmt_number(x)
