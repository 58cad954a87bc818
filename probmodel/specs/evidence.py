"""Evidence records: published results as likelihood terms, each a TOML file in ``priors/evidence/``.

This module holds the *measurement* kind: a published value of a named model quantity with its
uncertainty, on a linear or log scale::

    kind = "measurement"
    quantity = "operator_wage_usd_per_hour"
    interval = [25.25, 48.0]     # or value = ... with sd = ...
    scale = "log"
    confidence = "secondary"

    [citation]
    authors = "..."
    title = "..."
    year = 2024
    url = "..."

**Confidence widens uncertainty.** The stated sd (or the sd implied by the interval) is multiplied by
:data:`CONFIDENCE_WIDENING` for the record's tag, so a number read only in a secondary source or
claimed by a company counts for less than one read in the primary text:
primary x1, derived x1.25, secondary x1.5, company claim x2. (Doubling the sd quarters the
record's weight in the posterior.) Unverified numbers are refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from probmodel.errors import MISSING, ProblemCollector, did_you_mean

CONFIDENCE_WIDENING: dict[str, float] = {
    "primary": 1.0,
    "derived": 1.25,
    "secondary": 1.5,
    "company-claim": 2.0,
}
"""Factor applied to a record's sd for each confidence tag."""

KINDS = ("measurement",)
SCALES = ("linear", "log")
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RECORD_KEYS = {
    "id", "kind", "quantity", "value", "sd", "interval", "mass", "scale",
    "confidence", "citation", "notes", "title",
}  # fmt: skip
CITATION_KEYS = {"authors", "title", "year", "arxiv", "url", "venue", "locator"}


@dataclass(frozen=True)
class Citation:
    authors: str
    title: str
    year: int
    arxiv: str = ""
    url: str = ""
    venue: str = ""
    locator: str = ""

    def __str__(self) -> str:
        where = [f"arXiv:{self.arxiv}" if self.arxiv else "", self.url, self.venue, self.locator]
        return f"{self.authors} ({self.year}). {self.title}. " + ", ".join(w for w in where if w)


@dataclass(frozen=True)
class Measurement:
    """A published value of one model quantity.

    Attributes
    ----------
    id : str
        Unique record id (the file name without ``.toml``).
    quantity : str
        The measured world quantity (a world parameter or a plan-free derived quantity).
    value : float
        The published value, in the quantity's unit.
    sd : float
        Its standard deviation as published, on ``scale`` (natural log for ``"log"``).
    scale : {"linear", "log"}
    confidence : str
        One of :data:`CONFIDENCE_WIDENING`.
    """

    id: str
    quantity: str
    value: float
    sd: float
    scale: str
    confidence: str
    citation: Citation
    title: str = ""
    notes: str = ""
    file: str = ""
    kind: str = "measurement"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sd_used(self) -> float:
        """The sd after widening for the confidence tag (on ``scale``)."""
        return self.sd * CONFIDENCE_WIDENING[self.confidence]

    @property
    def observed(self) -> float:
        """The observation on the likelihood's scale."""
        return math.log(self.value) if self.scale == "log" else self.value

    @property
    def var_name(self) -> str:
        """Name of the record's observed variable in the PyMC model."""
        return "evidence_" + self.id.replace("-", "_")

    def interval90(self) -> tuple[float, float]:
        """The 90% interval this record implies after widening, in the quantity's unit."""
        half = 1.6448536269514722 * self.sd_used
        if self.scale == "log":
            return math.exp(self.observed - half), math.exp(self.observed + half)
        return self.value - half, self.value + half

    def as_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "quantity": self.quantity,
            "value": self.value,
            "sd": self.sd,
            "sd_used": self.sd_used,
            "scale": self.scale,
            "confidence": self.confidence,
            "title": self.title,
            "citation": str(self.citation),
            "notes": self.notes,
        }


def parse_evidence(
    table: Any, file_id: str, quantities: set[str], problems: ProblemCollector
) -> Measurement | None:
    """Validate one evidence file's table; ``quantities`` are the names a record may measure."""
    n_before = len(problems.problems)
    problems.unknown_keys(table, RECORD_KEYS, "")
    record_id = table.get("id", file_id)
    if not isinstance(record_id, str) or not ID_PATTERN.match(record_id):
        problems.add("id", record_id, "must be lower-case letters, digits and single hyphens.")
    kind = table.get("kind", MISSING)
    if kind not in KINDS:
        problems.add("kind", kind, f"unknown evidence kind. Allowed: {', '.join(KINDS)}.")
        return None

    quantity = table.get("quantity", MISSING)
    if quantity not in quantities:
        hint = did_you_mean(str(quantity), quantities) if isinstance(quantity, str) else ""
        problems.add(
            "quantity",
            quantity,
            f"not a model quantity.{hint} Allowed: {', '.join(sorted(quantities))}.",
        )

    scale = table.get("scale", "linear")
    if scale not in SCALES:
        problems.add("scale", scale, f"Allowed: {', '.join(SCALES)}.")
    confidence = table.get("confidence", MISSING)
    if confidence not in CONFIDENCE_WIDENING:
        problems.add(
            "confidence",
            confidence,
            f"Allowed: {', '.join(CONFIDENCE_WIDENING)} (unverified numbers are not used).",
        )

    value, sd = _value_and_sd(table, scale if scale in SCALES else "linear", problems)
    citation = _citation(table.get("citation", MISSING), problems)
    notes = table.get("notes", "")
    if len(problems.problems) > n_before or value is None or citation is None:
        return None
    return Measurement(
        id=record_id,
        quantity=quantity,
        value=value,
        sd=sd,
        scale=scale,
        confidence=confidence,
        citation=citation,
        title=table.get("title", ""),
        notes=notes if isinstance(notes, str) else "",
        file=problems.file,
        raw=dict(table),
    )


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _value_and_sd(table, scale, problems) -> tuple[float | None, float | None]:
    has_sd, has_interval = "sd" in table, "interval" in table
    if has_sd == has_interval:
        problems.add(
            "sd",
            MISSING,
            "give exactly one of `sd` (with `value`) or `interval = [lower, upper]` "
            f"(found {'both' if has_sd else 'neither'}).",
        )
        return None, None
    value = table.get("value", MISSING)
    if value is not MISSING and not _num(value):
        problems.add("value", value, "must be a finite number.")
        return None, None
    if has_sd:
        sd = table["sd"]
        if value is MISSING:
            problems.add("value", MISSING, "required with `sd`.")
            return None, None
        if not _num(sd) or sd <= 0:
            problems.add("sd", sd, "must be a number > 0 (on the record's scale).")
            return None, None
        if scale == "log" and value <= 0:
            problems.add("value", value, "must be > 0 on a log scale.")
            return None, None
        return float(value), float(sd)

    interval = table["interval"]
    if not isinstance(interval, list) or len(interval) != 2 or not all(map(_num, interval)):
        problems.add("interval", interval, "must be two numbers [lower, upper].")
        return None, None
    lo, hi = float(interval[0]), float(interval[1])
    if not lo < hi:
        problems.add("interval", interval, "lower must be below upper.")
        return None, None
    if scale == "log" and lo <= 0:
        problems.add("interval", interval, "must be positive on a log scale.")
        return None, None
    mass = table.get("mass", 0.9)
    if not _num(mass) or not 0 < mass < 1:
        problems.add("mass", mass, "must be a probability between 0 and 1.")
        return None, None
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + mass / 2)
    if scale == "log":
        sd = (math.log(hi) - math.log(lo)) / (2 * z)
        centre = math.sqrt(lo * hi)
    else:
        sd = (hi - lo) / (2 * z)
        centre = (lo + hi) / 2
    if value is MISSING:
        value = centre
    elif not lo <= value <= hi:
        problems.add("value", value, f"must lie inside interval {interval}.")
        return None, None
    return float(value), float(sd)


def _citation(table, problems) -> Citation | None:
    if not isinstance(table, dict):
        problems.add(
            "citation", table, "required table with authors, title, year and arxiv or url."
        )
        return None
    problems.unknown_keys(table, CITATION_KEYS, "citation")
    ok = True
    for key in ("authors", "title"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            problems.add(f"citation.{key}", table.get(key, MISSING), "required text is missing.")
            ok = False
    year = table.get("year", MISSING)
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2100:
        problems.add("citation.year", year, "must be a four-digit year.")
        ok = False
    if not (table.get("arxiv") or table.get("url") or table.get("venue")):
        problems.add(
            "citation", MISSING, "give an `arxiv` id, a `url` or a `venue` so readers can find it."
        )
        ok = False
    if not ok:
        return None
    return Citation(
        **{k: table[k] for k in CITATION_KEYS & table.keys() if k != "year"}, year=int(year)
    )
