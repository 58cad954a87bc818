"""What every evidence kind shares: citation, confidence, the record base class, success scores
given as counts or as fractions, and the small parsers the kinds use.

A kind is one module beside this one (``measurement``, ``meta``, ``curve``, ``effect``,
``outcome``); :mod:`probmodel.evidence` registers them. This module has no PyMC import, so
reading and checking evidence files stays fast; the likelihood helpers in :mod:`.latents` import
PyMC when a model is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from probmodel.constants import Z90  # noqa: F401 - part of the evidence package's names
from probmodel.errors import MISSING, ProblemCollector, did_you_mean

CONFIDENCE_WIDENING: dict[str, float] = {
    "primary": 1.0,
    "derived": 1.25,
    "secondary": 1.5,
    "company-claim": 2.0,
}
"""Factor on a record's uncertainty for each confidence tag. For a Normal likelihood it multiplies
the sd; for counts it multiplies the binomial variance by its square (a beta-binomial whose
overdispersion makes ``n`` trials weigh like ``n / widening**2``); for scores without counts it
divides the Beta precision by its square. In every kind a weaker tag lowers the record's weight."""

SCALES = ("linear", "log")
AXES = ("data", "diversity")
"""Scaling axes with an exponent population: data volume at fixed diversity, and distinct
environments or objects at fixed data per environment."""
PATHWAYS = ("real", "sim", "video", "world_model", "other_robots")
"""Sources of data a record may describe: the fleet's own robot data, generative simulation, human
video, world-model generated data, and other robots' (embodiments') data."""
TRANSFER_OF = {
    "sim": "sim_transfer",
    "video": "video_transfer",
    "world_model": "world_model_transfer",
    "other_robots": "cross_embodiment_transfer",
}
"""The transfer-value population each non-real pathway's data is weighted by."""
SETTINGS = ("unseen-tasks", "seen-tasks")
"""What an absolute success was measured on: tasks the policy never trained on, or trained tasks
(in new environments or with new objects). The model's headline is success on unseen tasks."""
COMMON_KEYS = {"id", "kind", "title", "confidence", "citation", "notes", "study"}
CITATION_KEYS = {"authors", "title", "year", "arxiv", "url", "venue", "locator"}
Z95 = NormalDist().inv_cdf(0.975)
SCORE_CLIP = (0.005, 0.995)
"""Scores without counts are clipped into this range: a Beta likelihood cannot take 0 or 1."""


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
    """What every evidence record has: identity, study, provenance and confidence.

    ``study`` groups records from one paper (and task): they share the study's latent quantities
    (its scaling exponents, transfer values and success level). By default a record is its own
    study.
    """

    id: str
    kind: str
    confidence: str
    citation: Citation
    title: str = ""
    notes: str = ""
    study: str = ""
    file: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def study_key(self) -> str:
        return self.study or self.id

    @property
    def widening(self) -> float:
        """Factor on this record's uncertainty for its confidence tag."""
        return CONFIDENCE_WIDENING[self.confidence]

    @property
    def var_name(self) -> str:
        return "evidence_" + self.id.replace("-", "_")

    def constrains(self) -> list[str]:
        """The world parameters this record informs through its likelihood."""
        raise NotImplementedError

    def says(self) -> str:
        """One plain-text sentence: what the record claims (terminal, report, JSON)."""
        raise NotImplementedError

    def as_record(self) -> dict[str, Any]:
        """JSON-able description, stored in saved runs and shown in reports."""
        return {
            "id": self.id,
            "kind": self.kind,
            "study": self.study_key,
            "title": self.title,
            "confidence": self.confidence,
            "widening": self.widening,
            "citation": str(self.citation),
            "notes": self.notes,
            "constrains": self.constrains(),
            "says": self.says(),
            **self._details(),
        }

    def _details(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Score:
    """Success observed as ``successes`` of ``trials`` (counts) or as a fraction without counts.

    Counts get a binomial likelihood (beta-binomial when the confidence tag widens it), so a
    20-trial table weighs less than a 500-trial one. A fraction without counts (a normalised
    score, say) gets a Beta likelihood whose precision is ``trials`` when the source states how
    many trials stand behind it, and is otherwise a latent precision of the study.
    """

    value: float
    trials: float | None = None
    successes: float | None = None

    @property
    def is_count(self) -> bool:
        return self.successes is not None

    def describe(self) -> str:
        if self.is_count:
            return f"{self.successes:g}/{self.trials:g} ({self.value:.1%})"
        n = f", {self.trials:g} trials" if self.trials else ""
        return f"{self.value:.3g}{n}"


def beta_binomial_concentration(trials: float, widening: float) -> float | None:
    """Concentration of a beta-binomial whose variance is ``widening**2`` times the binomial's
    (``None``: plain binomial). ``var = n p (1-p) (1 + (n-1)/(phi+1))``; solved for ``phi``."""
    if widening <= 1.0:
        return None
    return max((trials - 1.0) / (widening**2 - 1.0) - 1.0, 0.1)


# --------------------------------------------------------------------------------------------
# Parsing helpers shared by the kinds
# --------------------------------------------------------------------------------------------


def num(x) -> bool:
    """A finite number from a file (a bool is not a number)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def one_of(value, allowed) -> bool:
    """Whether a value read from a file is one of the allowed names (a list or table never is)."""
    return isinstance(value, str) and value in allowed


def text(table, key, problems, required=False) -> str:
    value = table.get(key, MISSING)
    if value is MISSING:
        if required:
            problems.add(key, MISSING, "required text is missing.")
        return ""
    if not isinstance(value, str):
        problems.add(key, value, "must be text.")
        return ""
    return value


def axis(table, problems, key="axis") -> str | None:
    value = table.get(key, MISSING)
    if one_of(value, AXES):
        return value
    hint = did_you_mean(str(value), AXES) if isinstance(value, str) else ""
    word = value.rstrip("s") if isinstance(value, str) else ""
    if word in ("environment", "object", "scene", "site"):
        hint = " Environments, objects and scenes use 'diversity'."
    elif word in ("demonstration", "demo", "trajectory", "episode", "hour"):
        hint = " Demonstrations, trajectories and hours use 'data'."
    problems.add(
        key,
        value,
        f"unknown scaling axis.{hint} Allowed: data (demonstrations, trajectories, hours), "
        "diversity (environments, objects, scenes).",
    )
    return None


def positive_list(table, key, problems, min_len=1, required=True) -> tuple[float, ...] | None:
    values = table.get(key, MISSING)
    if values is MISSING and not required:
        return None
    if (
        not isinstance(values, list)
        or len(values) < min_len
        or not all(num(v) and v > 0 for v in values)
    ):
        problems.add(key, values, f"must be a list of at least {min_len} positive numbers.")
        return None
    return tuple(float(v) for v in values)


def mix(table, key, problems, allowed=PATHWAYS, required=True) -> dict[str, float] | None:
    """A data mix ``{ real = 88, sim = 6500 }``: amounts per pathway, in the record's unit, in
    the order of ``allowed`` (so what a record says does not depend on how its file is written)."""
    value = table.get(key, MISSING)
    if value is MISSING and not required:
        return None
    if not isinstance(value, dict) or not value:
        problems.add(
            key, value, f"must be a table of amounts per pathway, e.g. {{ real = 88, sim = 6500 }}; "
            f"pathways: {', '.join(allowed)}."
        )  # fmt: skip
        return None
    out = {}
    for name, amount in value.items():
        if name not in allowed:
            problems.add(f"{key}.{name}", amount,
                         f"unknown pathway.{did_you_mean(name, allowed)} Allowed: {', '.join(allowed)}.")  # fmt: skip
            return None
        if not num(amount) or amount < 0:
            problems.add(f"{key}.{name}", amount, "must be a number >= 0.")
            return None
        out[name] = float(amount)
    return {name: out[name] for name in allowed if name in out}  # one order, however written


def score(table, problems, prefix="", n=None) -> tuple[Score, ...] | None:
    """Scores from ``{prefix}successes`` + ``{prefix}trials`` (counts) or ``{prefix}score``
    (fractions, with ``score_max`` and optional ``trials``); ``n`` is the expected length
    (``None``: one scalar score)."""
    k_key, n_key, s_key = f"{prefix}successes", f"{prefix}trials", f"{prefix}score"
    has_counts, has_score = k_key in table, s_key in table
    if has_counts == has_score:
        problems.add(
            s_key, MISSING, f"give exactly one of `{k_key}` with `{n_key}` (counts: k successes "
            f"of n trials) or `{s_key}` (a fraction, with `score_max` if not out of 1)."
        )  # fmt: skip
        return None

    def as_list(key, what):
        value = table.get(key, MISSING)
        if n is None:
            if not num(value):
                problems.add(key, value, f"must be {what}.")
                return None
            return [float(value)]
        if num(value) and key == n_key:
            return [float(value)] * n  # one trial count for every point
        if not isinstance(value, list) or len(value) != n or not all(map(num, value)):
            count = f" has {len(value)} values but x has {n}:" if isinstance(value, list) else ""
            problems.add(key, value, f"{count} must be a list of {n} numbers ({what}), one per point.")
            return None
        return [float(v) for v in value]

    trials = as_list(n_key, "trials per point") if n_key in table else None
    if n_key in table and trials is None:
        return None
    if trials is not None and any(t < 1 or t != int(t) for t in trials):
        problems.add(n_key, table[n_key], "trials must be whole numbers >= 1.")
        return None
    if has_counts:
        if trials is None:
            problems.add(n_key, MISSING, f"required with `{k_key}`.")
            return None
        ks = as_list(k_key, "successes")
        if ks is None:
            return None
        if any(k < 0 or k != int(k) or k > t for k, t in zip(ks, trials, strict=True)):
            problems.add(k_key, table[k_key], f"successes must be whole numbers in [0, {n_key}].")
            return None
        return tuple(Score(k / t, t, k) for k, t in zip(ks, trials, strict=True))
    scale = table.get("score_max", 1.0)
    if not num(scale) or scale <= 0:
        problems.add("score_max", scale, "must be a positive number (scores are divided by it).")
        return None
    values = as_list(s_key, "scores")
    if values is None:
        return None
    fractions = [v / scale for v in values]
    if any(not 0 <= f <= 1 for f in fractions):
        problems.add(
            s_key, table[s_key], f"scores divided by score_max = {scale:g} must lie in [0, 1]; "
            "set score_max to the maximum raw score."
        )  # fmt: skip
        return None
    ts = trials or [None] * len(fractions)
    return tuple(Score(f, t) for f, t in zip(fractions, ts, strict=True))


def value_and_sd(
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
    if value is not MISSING and not num(value):
        problems.add(value_key, value, "must be a finite number.")
        return None, None
    if has_sd:
        sd = table[sd_key]
        if value is MISSING:
            problems.add(value_key, MISSING, f"required with `{sd_key}`.")
            return None, None
        if not num(sd) or sd <= 0:
            problems.add(sd_key, sd, "must be a number > 0 (on the record's scale).")
            return None, None
        if scale == "log" and value <= 0:
            problems.add(value_key, value, "must be > 0 on a log scale.")
            return None, None
        if sd < _sd_floor(value, scale):
            problems.add(sd_key, sd, _too_precise(value, scale))
            return None, None
        return float(value), float(sd)

    interval = table[interval_key]
    if not isinstance(interval, list) or len(interval) != 2 or not all(map(num, interval)):
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
    if not num(mass) or not 0 < mass < 1:
        problems.add("mass", mass, "must be a probability between 0 and 1.")
        return None, None
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
    if sd < _sd_floor(value, scale):
        problems.add(interval_key, interval, _too_precise(value, scale))
        return None, None
    return float(value), float(sd)


MIN_RELATIVE_SD = 1e-4
"""No published number is known to better than 0.01%: a smaller sd is a typo (or 5e-324) and would
make the likelihood a spike that the sampler cannot explore."""


def _sd_floor(value: float, scale: str) -> float:
    if scale == "log":
        return MIN_RELATIVE_SD
    return MIN_RELATIVE_SD * abs(value) if value else 1e-12


def _too_precise(value: float, scale: str) -> str:
    floor = _sd_floor(value, scale)
    where = "on the log scale" if scale == "log" else f"for a value of {value:g}"
    hint = "" if scale == "log" else ' If the sd is on the log scale, the record needs scale = "log".'
    return (
        f"implies an sd below {floor:g} {where} (better than 0.01% precision): check the number."
        + hint
    )


def citation(table, problems: ProblemCollector) -> Citation | None:
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
    for key in ("arxiv", "url", "venue", "locator"):
        if key in table and not isinstance(table[key], str):
            problems.add(f"citation.{key}", table[key], "must be text.")
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
