"""Evidence records: published results as likelihood terms, each a TOML file in ``priors/evidence/``.

Four kinds, each writable without code (examples in ``priors/evidence/``):

* ``measurement``: a published value of a named model quantity, with an sd or a 90% interval, on a
  linear or log scale (a unit price, a wage, a control rate, a collection rate).
* ``curve``: the (x, score) points of one study's scaling curve, scores in [0, 1] (Lin et al.'s
  tables). Fitted by a study-level power law, ``-log(score) = exp(c) * (x / x_centre) ** -alpha``,
  with Beta noise on the score. For small gaps ``1 - score ~ -log(score)``, so this is the plain
  power law in the optimality gap that the papers fit by log-log regression; unlike it, it can never
  predict a score outside [0, 1], and it is smooth, which NUTS needs (a clipped plain power law gave
  divergences). Where gaps are large (Lin et al.'s first points) its exponent comes out somewhat
  steeper than the log-log refit. The study's exponent ``alpha`` is partially pooled with its
  axis's population (``data`` for demonstrations or trajectories, ``diversity`` for environments or
  objects).
* ``meta``: a population summary of an exponent across studies (Sartor & Thompson's mean data
  exponent and its confidence interval; optionally the between-study sd), a likelihood on the
  population mean (and spread) of one axis.
* ``effect``: a relative change in success between two data configurations: ``base`` real data,
  and the same plus ``added`` data of another kind whose value is a transfer parameter
  (``sim_transfer`` for simulation, ``cross_embodiment_transfer`` for other robots' data). The
  study's exponent is drawn from the population, its base success rate is a latent with the
  record's interval, and the predicted ratio ``success_treatment / success_base`` meets the
  published one on a log scale.

**Confidence widens uncertainty.** Every record's stated uncertainty is multiplied by
:data:`CONFIDENCE_WIDENING` for its tag: primary x1, derived x1.25, secondary x1.5, company claim
x2 (doubling an sd quarters the record's weight). For a curve the score noise sd is widened, i.e.
the Beta precision is divided by the factor squared. Unverified numbers are refused.
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
"""Factor applied to a record's uncertainty for each confidence tag."""

KINDS = ("measurement", "curve", "meta", "effect")
SCALES = ("linear", "log")
AXES = ("data", "diversity")
"""Scaling axes with their own exponent population: data volume, and environment/object diversity."""
TRANSFERS = ("sim_transfer", "cross_embodiment_transfer")
"""World parameters that weight the ``added`` data of an effect record."""
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COMMON_KEYS = {"id", "kind", "title", "confidence", "citation", "notes"}
KIND_KEYS = {
    "measurement": {"quantity", "value", "sd", "interval", "mass", "scale"},
    "curve": {"axis", "x", "score", "score_max", "x_unit", "table"},
    "meta": {"axis", "exponent", "se", "ci95", "between_study_sd", "between_study_sd_se"},
    "effect": {"transfer", "axis", "base", "treatment", "unit", "base_success",
               "relative_change", "sd", "interval", "mass"},
}  # fmt: skip
CITATION_KEYS = {"authors", "title", "year", "arxiv", "url", "venue", "locator"}
SCORE_CLIP = (0.005, 0.995)
"""Curve scores are clipped into this range: a Beta likelihood cannot take an exact 0 or 1."""
Z90 = 1.6448536269514722
Z95 = 1.959963984540054


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


@dataclass(frozen=True, kw_only=True)
class Record:
    """What every evidence record has: identity, provenance and confidence."""

    id: str
    kind: str
    confidence: str
    citation: Citation
    title: str = ""
    notes: str = ""
    file: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def widening(self) -> float:
        """Factor on this record's uncertainty for its confidence tag."""
        return CONFIDENCE_WIDENING[self.confidence]

    @property
    def var_name(self) -> str:
        """Name of the record's observed variable in the PyMC model."""
        return "evidence_" + self.id.replace("-", "_")

    def constrains(self) -> list[str]:
        """The model quantities this record informs directly."""
        raise NotImplementedError

    def as_record(self) -> dict[str, Any]:
        """JSON-able description, stored in saved runs and shown in reports."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "confidence": self.confidence,
            "widening": self.widening,
            "citation": str(self.citation),
            "notes": self.notes,
            "constrains": self.constrains(),
            **self._details(),
        }

    def _details(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, kw_only=True)
class Measurement(Record):
    """A published value of one model quantity (``scale = "log"``: sd of the natural log)."""

    quantity: str
    value: float
    sd: float
    scale: str = "linear"

    @property
    def sd_used(self) -> float:
        """The sd after widening for the confidence tag (on ``scale``)."""
        return self.sd * self.widening

    @property
    def observed(self) -> float:
        """The observation on the likelihood's scale."""
        return math.log(self.value) if self.scale == "log" else self.value

    def interval90(self) -> tuple[float, float]:
        """The 90% interval this record implies after widening, in the quantity's unit."""
        half = Z90 * self.sd_used
        if self.scale == "log":
            return math.exp(self.observed - half), math.exp(self.observed + half)
        return self.value - half, self.value + half

    def constrains(self) -> list[str]:
        return [self.quantity]

    def _details(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "value": self.value,
            "sd": self.sd,
            "sd_used": self.sd_used,
            "scale": self.scale,
        }


@dataclass(frozen=True, kw_only=True)
class Curve(Record):
    """One study's scaling curve: scores (normalised to [0, 1]) at increasing x."""

    axis: str
    x: tuple[float, ...]
    score: tuple[float, ...]
    x_unit: str = ""
    score_max: float = 1.0
    table: str = ""

    @property
    def clipped_score(self) -> tuple[float, ...]:
        lo, hi = SCORE_CLIP
        return tuple(min(max(s, lo), hi) for s in self.score)

    @property
    def log_x_centre(self) -> float:
        """Mean of log x: the study's intercept is its log gap at this x (better geometry)."""
        return sum(math.log(v) for v in self.x) / len(self.x)

    def constrains(self) -> list[str]:
        return [f"{self.axis}_exponent_mean", f"{self.axis}_exponent_sd"]

    def _details(self) -> dict[str, Any]:
        return {
            "axis": self.axis,
            "x_unit": self.x_unit,
            "x": list(self.x),
            "score": list(self.score),
            "score_max": self.score_max,
            "table": self.table,
        }


@dataclass(frozen=True, kw_only=True)
class Meta(Record):
    """A meta-analytic population exponent (published sign: negative for improvement)."""

    axis: str
    exponent: float
    se: float
    between_study_sd: float | None = None
    between_study_sd_se: float | None = None

    @property
    def alpha(self) -> float:
        """The exponent as the model's positive decay rate (``-exponent``)."""
        return -self.exponent

    def constrains(self) -> list[str]:
        names = [f"{self.axis}_exponent_mean"]
        if self.between_study_sd is not None:
            names.append(f"{self.axis}_exponent_sd")
        return names

    def _details(self) -> dict[str, Any]:
        return {
            "axis": self.axis,
            "exponent": self.exponent,
            "se": self.se,
            "se_used": self.se * self.widening,
            "between_study_sd": self.between_study_sd,
            "between_study_sd_se": self.between_study_sd_se,
        }


@dataclass(frozen=True, kw_only=True)
class Effect(Record):
    """Success with ``base_real`` data vs with ``added`` data too, as a ratio (1.4 = +40%)."""

    transfer: str
    axis: str
    base_real: float
    added: float
    unit: str
    base_success: tuple[float, float]
    ratio: float
    log_sd: float

    @property
    def log_sd_used(self) -> float:
        return self.log_sd * self.widening

    def constrains(self) -> list[str]:
        return [self.transfer, f"{self.axis}_exponent_mean", f"{self.axis}_exponent_sd"]

    def _details(self) -> dict[str, Any]:
        return {
            "transfer": self.transfer,
            "axis": self.axis,
            "base_real": self.base_real,
            "added": self.added,
            "unit": self.unit,
            "base_success": list(self.base_success),
            "relative_change": self.ratio - 1.0,
            "log_sd": self.log_sd,
            "log_sd_used": self.log_sd_used,
        }


Evidence = Measurement | Curve | Meta | Effect


def parse_evidence(
    table: Any, file_id: str, quantities: set[str], problems: ProblemCollector
) -> Record | None:
    """Validate one evidence file's table; ``quantities`` are the names a measurement may name."""
    n_before = len(problems.problems)
    if not isinstance(table, dict):
        problems.add("", table, "an evidence file must be a TOML table.")
        return None
    kind = table.get("kind", MISSING)
    if not _one_of(kind, KINDS):
        hint = did_you_mean(str(kind), KINDS) if isinstance(kind, str) else ""
        problems.add("kind", kind, f"unknown evidence kind.{hint} Allowed: {', '.join(KINDS)}.")
        return None
    problems.unknown_keys(table, COMMON_KEYS | KIND_KEYS[kind], "")
    record_id = table.get("id", file_id)
    if not isinstance(record_id, str) or not ID_PATTERN.match(record_id):
        problems.add("id", record_id, "must be lower-case letters, digits and single hyphens.")
    confidence = table.get("confidence", MISSING)
    if not _one_of(confidence, CONFIDENCE_WIDENING):
        problems.add(
            "confidence",
            confidence,
            f"Allowed: {', '.join(CONFIDENCE_WIDENING)} (unverified numbers are not used).",
        )
    title = table.get("title", "")
    if not isinstance(title, str):
        problems.add("title", title, "must be text.")
    notes = table.get("notes", "")
    citation = _citation(table.get("citation", MISSING), problems)
    fields = {"measurement": _measurement, "curve": _curve, "meta": _meta, "effect": _effect}[kind](
        table, quantities, problems
    )
    if len(problems.problems) > n_before or fields is None or citation is None:
        return None
    cls = {"measurement": Measurement, "curve": Curve, "meta": Meta, "effect": Effect}[kind]
    return cls(
        id=record_id,
        kind=kind,
        confidence=confidence,
        citation=citation,
        title=title,
        notes=notes if isinstance(notes, str) else "",
        file=problems.file,
        raw=dict(table),
        **fields,
    )


def _measurement(table, quantities, problems) -> dict | None:
    quantity = table.get("quantity", MISSING)
    if not _one_of(quantity, quantities):
        hint = did_you_mean(str(quantity), quantities) if isinstance(quantity, str) else ""
        problems.add(
            "quantity",
            quantity,
            f"not a model quantity.{hint} Allowed: {', '.join(sorted(quantities))}.",
        )
    scale = table.get("scale", "linear")
    if not _one_of(scale, SCALES):
        problems.add("scale", scale, f"Allowed: {', '.join(SCALES)}.")
        scale = "linear"
    value, sd = _value_and_sd(table, scale, problems)
    if value is None:
        return None
    return {"quantity": quantity, "value": value, "sd": sd, "scale": scale}


def _axis(table, problems) -> str | None:
    axis = table.get("axis", MISSING)
    if not _one_of(axis, AXES):
        hint = did_you_mean(str(axis), AXES) if isinstance(axis, str) else ""
        if isinstance(axis, str) and axis.rstrip("s") in ("environment", "object", "scene", "site"):
            hint = " Environments, objects and scenes use 'diversity'."
        elif isinstance(axis, str) and axis.rstrip("s") in (
            "demonstration",
            "demo",
            "trajectory",
            "episode",
            "hour",
        ):
            hint = " Demonstrations, trajectories and hours use 'data'."
        problems.add(
            "axis",
            axis,
            f"unknown scaling axis.{hint} Allowed: data (demonstrations, trajectories, hours), "
            "diversity (environments, objects, scenes).",
        )
        return None
    return axis


def _curve(table, quantities, problems) -> dict | None:
    axis = _axis(table, problems)
    x, score = table.get("x", MISSING), table.get("score", MISSING)
    score_max = table.get("score_max", 1.0)
    ok = axis is not None
    for key, values in (("x", x), ("score", score)):
        if not isinstance(values, list) or len(values) < 3 or not all(map(_num, values)):
            problems.add(key, values, "must be a list of at least 3 numbers.")
            ok = False
    if not _num(score_max) or score_max <= 0:
        problems.add(
            "score_max", score_max, "must be a positive number (scores are divided by it)."
        )
        ok = False
    if ok is False and not (isinstance(x, list) and isinstance(score, list)):
        return None
    if isinstance(x, list) and isinstance(score, list) and len(x) != len(score):
        problems.add("score", score, f"has {len(score)} values but x has {len(x)}.")
        return None
    if not ok:
        return None
    if any(v <= 0 for v in x):
        problems.add("x", x, "must be positive (the power law is in log x).")
        return None
    if len(set(x)) < 2:
        problems.add("x", x, "needs at least two different values to fit an exponent.")
        return None
    normalised = [v / score_max for v in score]
    if any(not 0 <= v <= 1 for v in normalised):
        problems.add(
            "score",
            score,
            f"scores divided by score_max = {score_max:g} must lie in [0, 1]; set score_max to "
            "the maximum raw score.",
        )
        return None
    x_unit = table.get("x_unit", "")
    source_table = table.get("table", "")
    return {
        "axis": axis,
        "x": tuple(float(v) for v in x),
        "score": tuple(normalised),
        "x_unit": x_unit if isinstance(x_unit, str) else "",
        "score_max": float(score_max),
        "table": source_table if isinstance(source_table, str) else "",
    }


def _meta(table, quantities, problems) -> dict | None:
    axis = _axis(table, problems)
    exponent, se = _value_and_sd(
        table, "linear", problems, value_key="exponent", sd_key="se", interval_key="ci95"
    ) if "ci95" not in table else _ci95(table, problems)  # fmt: skip
    spread = table.get("between_study_sd", MISSING)
    spread_se = table.get("between_study_sd_se", MISSING)
    if (spread is MISSING) != (spread_se is MISSING):
        problems.add(
            "between_study_sd",
            spread,
            "give both between_study_sd and between_study_sd_se, or neither.",
        )
        return None
    if spread is not MISSING and not (
        _num(spread) and spread > 0 and _num(spread_se) and spread_se > 0
    ):
        problems.add("between_study_sd", spread, "between_study_sd and its se must be numbers > 0.")
        return None
    if axis is None or exponent is None:
        return None
    return {
        "axis": axis,
        "exponent": exponent,
        "se": se,
        "between_study_sd": None if spread is MISSING else float(spread),
        "between_study_sd_se": None if spread_se is MISSING else float(spread_se),
    }


def _ci95(table, problems) -> tuple[float | None, float | None]:
    """Exponent and se from a published 95% confidence interval."""
    ci = table["ci95"]
    if not isinstance(ci, list) or len(ci) != 2 or not all(map(_num, ci)) or not ci[0] < ci[1]:
        problems.add("ci95", ci, "must be two numbers [lower, upper] with lower < upper.")
        return None, None
    exponent = table.get("exponent", (ci[0] + ci[1]) / 2)
    if not _num(exponent) or not ci[0] <= exponent <= ci[1]:
        problems.add("exponent", exponent, f"must be a number inside ci95 {ci}.")
        return None, None
    if "se" in table:
        problems.add("se", table["se"], "give either se or ci95, not both.")
        return None, None
    return float(exponent), (ci[1] - ci[0]) / (2 * Z95)


def _effect(table, quantities, problems) -> dict | None:
    transfer = table.get("transfer", MISSING)
    if not _one_of(transfer, TRANSFERS):
        hint = did_you_mean(str(transfer), TRANSFERS) if isinstance(transfer, str) else ""
        problems.add(
            "transfer",
            transfer,
            f"not a transfer parameter.{hint} Allowed: {', '.join(TRANSFERS)}.",
        )
    axis = _axis({"axis": table.get("axis", "data")}, problems)
    base, treatment = table.get("base", MISSING), table.get("treatment", MISSING)
    base_real = added = None
    if (
        not isinstance(base, dict)
        or set(base) != {"real"}
        or not _num(base.get("real"))
        or base["real"] <= 0
    ):
        problems.add(
            "base", base, "must be { real = N } with N > 0 (the data without the addition)."
        )
    else:
        base_real = float(base["real"])
    if (
        not isinstance(treatment, dict)
        or set(treatment) != {"real", "added"}
        or not all(_num(treatment.get(k)) for k in ("real", "added"))
    ):
        problems.add(
            "treatment",
            treatment,
            "must be { real = N, added = M }: the base data plus M added units.",
        )
    elif base_real is not None and treatment["real"] != base_real:
        problems.add("treatment.real", treatment["real"], f"must equal base.real = {base_real:g}.")
    elif treatment["added"] <= 0:
        problems.add("treatment.added", treatment["added"], "must be > 0.")
    else:
        added = float(treatment["added"])
    unit = table.get("unit", MISSING)
    if not isinstance(unit, str) or not unit.strip():
        problems.add("unit", unit, "required: the unit of base and treatment data (e.g. hours).")
    success = table.get("base_success", MISSING)
    if (
        not isinstance(success, list)
        or len(success) != 2
        or not all(map(_num, success))
        or not 0 < success[0] < success[1] < 1
    ):
        problems.add(
            "base_success",
            success,
            "must be a 90% interval [lower, upper] of the base success rate, inside (0, 1).",
        )
        success = None
    change = table.get("relative_change", MISSING)
    ratio_table = {k: v for k, v in table.items() if k in ("sd", "interval", "mass")}
    if "interval" in ratio_table and isinstance(ratio_table["interval"], list):
        ratio_table["interval"] = [1 + v if _num(v) else v for v in ratio_table["interval"]]
    if change is not MISSING:
        if not _num(change) or change <= -1:
            problems.add("relative_change", change, "must be a number > -1 (0.4 means +40%).")
            return None
        ratio_table["relative_change"] = 1 + change  # checked below as a ratio on a log scale
    ratio, log_sd = _value_and_sd(ratio_table, "log", problems, value_key="relative_change")
    if None in (transfer, axis, base_real, added, success, ratio) or not _one_of(
        transfer, TRANSFERS
    ):
        return None
    return {
        "transfer": transfer,
        "axis": axis,
        "base_real": base_real,
        "added": added,
        "unit": unit,
        "base_success": (float(success[0]), float(success[1])),
        "ratio": ratio,
        "log_sd": log_sd,
    }


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _value_and_sd(
    table, scale, problems, value_key="value", sd_key="sd", interval_key="interval"
) -> tuple[float | None, float | None]:
    """A value with its sd, given as ``value`` + ``sd`` or as a (90%) ``interval``."""
    has_sd, has_interval = sd_key in table, interval_key in table
    if has_sd == has_interval:
        problems.add(
            sd_key,
            MISSING,
            f"give exactly one of `{sd_key}` (with `{value_key}`) or "
            f"`{interval_key} = [lower, upper]` (found {'both' if has_sd else 'neither'}).",
        )
        return None, None
    value = table.get(value_key, MISSING)
    if value is not MISSING and not _num(value):
        problems.add(value_key, value, "must be a finite number.")
        return None, None
    if has_sd:
        sd = table[sd_key]
        if value is MISSING:
            problems.add(value_key, MISSING, f"required with `{sd_key}`.")
            return None, None
        if not _num(sd) or sd <= 0:
            problems.add(sd_key, sd, "must be a number > 0 (on the record's scale).")
            return None, None
        if scale == "log" and value <= 0:
            problems.add(value_key, value, "must be > 0 on a log scale.")
            return None, None
        return float(value), float(sd)

    interval = table[interval_key]
    if not isinstance(interval, list) or len(interval) != 2 or not all(map(_num, interval)):
        problems.add(interval_key, interval, "must be two numbers [lower, upper].")
        return None, None
    lo, hi = float(interval[0]), float(interval[1])
    if not lo < hi:
        problems.add(interval_key, interval, "lower must be below upper.")
        return None, None
    if scale == "log" and lo <= 0:
        problems.add(interval_key, interval, "must be positive on a log scale.")
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
        problems.add(value_key, value, f"must lie inside {interval_key} {interval}.")
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


def _one_of(value, allowed) -> bool:
    """Whether a value read from a file is one of the allowed names (a list or table never is)."""
    return isinstance(value, str) and value in allowed


EVIDENCE_VARS = {
    "measurement": ("evidence_measurement", "measurement"),
    "meta": ("evidence_meta", "meta_statistic"),
    "curve": ("evidence_curve", "curve_point"),
    "effect": ("evidence_effect", "effect_record"),
}
"""Observed variable and its dimension for each evidence kind. Every entry along the dimension
is labelled ``"<record id>"`` or ``"<record id>:<detail>"`` (:func:`record_of`), so per-record
log-likelihoods are sums over entries."""


def record_of(label: str) -> str:
    """The evidence record an entry label belongs to."""
    return label.split(":", 1)[0]
