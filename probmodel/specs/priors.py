"""Prior specs: one world parameter's distribution, unit, point value and provenance, as data.

A prior is written in TOML either with explicit parameters::

    [unit_cost_usd]
    distribution = "LogNormal"
    params = { mu = 11.5, sigma = 0.4 }

or as an interval holding ``mass`` of the probability (90% by default), as squigglepy's
``to(a, b)`` and @RISK's percentile forms do::

    interval = [25_000, 200_000]
    method = "exact"          # or "preliz-maxent"

``method = "exact"`` solves the equal-tailed interval in closed form (Normal, LogNormal: the
interval is the P5-P95 range). ``method = "preliz-maxent"`` asks PreliZ's ``maxent`` for the
maximum-entropy member of the family with that mass inside the interval (any family; the tails need
not be equal). The resolved parameters and the method are kept in the spec, so a saved run records
exactly which distribution was used. A parameter's unit comes from the model
(:data:`probmodel.equations.WORLD_UNITS`); a ``unit`` key in the file is optional and must agree.
"""

from __future__ import annotations

import atexit
import math
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from probmodel.elicitation import from_interval
from probmodel.equations import WORLD_UNITS, world_domain
from probmodel.errors import MISSING, ProblemCollector

FAMILIES: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "LogNormal": ("mu", "sigma"),
    "Beta": ("alpha", "beta"),
    "Gamma": ("alpha", "beta"),
    "HalfNormal": ("sigma",),
    "TruncatedNormal": ("mu", "sigma", "lower", "upper"),
    "Uniform": ("lower", "upper"),
    "Fixed": (),
}
"""Distribution families a prior may use, with their PreliZ/PyMC parameter names."""

POSITIVE_PARAMS = {"sigma", "alpha", "beta"}
TAIL_CHECK = 1e-4
MAX_MAGNITUDE = 1e100
"""A prior whose 0.01% or 99.99% quantile exceeds this in size would give infinite or NaN
outcomes in some draws (products of several parameters overflow float64 near 1e308)."""
EXACT_FAMILIES = {"Normal", "LogNormal"}
METHODS = ("exact", "preliz-maxent")
PRIOR_KEYS = {
    "distribution", "params", "interval", "mass", "method", "lower", "upper",
    "point", "unit", "description", "source", "reason",
}  # fmt: skip
DISTRIBUTION_KEYS = {"distribution", "params", "interval", "mass", "method", "lower", "upper"}
REQUIRED_TEXT = ("source", "reason")


@dataclass(frozen=True)
class PriorSpec:
    """A validated prior for one world parameter.

    Attributes
    ----------
    name : str
        The world parameter (see :data:`probmodel.equations.WORLD_PARAMETERS`).
    distribution : str
        A family of :data:`FAMILIES`.
    params : dict
        Resolved parameters of the family (empty for ``Fixed``).
    point : float
        The point value (the seed's, where the seed has one) used by point mode.
    method : str
        ``"params"`` (given explicitly), ``"exact"`` or ``"preliz-maxent"`` (from an interval).
    interval, mass : the elicited interval and its probability mass, when given.
    unit : the parameter's unit, from :data:`probmodel.equations.WORLD_UNITS` (a file may
        repeat it in ``unit = ...`` and must agree).
    description, source, reason : provenance shown in reports.
    """

    name: str
    distribution: str
    params: dict[str, float]
    point: float
    method: str
    unit: str
    source: str
    reason: str
    description: str = ""
    interval: tuple[float, float] | None = None
    mass: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_fixed(self) -> bool:
        return self.distribution == "Fixed"

    def to_preliz(self):
        """The PreliZ distribution (not for ``Fixed``)."""
        import preliz as pz

        return getattr(pz, self.distribution)(**self.params)

    def sample(self, n: int, rng) -> np.ndarray:
        """``n`` independent draws with a ``numpy.random.Generator``: NumPy's own sampler where
        it is exact for the family (several times faster than going through PreliZ), rejection
        from the untruncated normal for a truncated normal that keeps at least half its mass,
        PreliZ's ``rvs`` otherwise (a truncated normal cut to a tail)."""
        p = self.params
        direct = {
            "Normal": lambda: rng.normal(p.get("mu"), p.get("sigma"), n),
            "LogNormal": lambda: _lognormal(rng, p.get("mu"), p.get("sigma"), n),
            "Beta": lambda: rng.beta(p.get("alpha"), p.get("beta"), n),
            "Gamma": lambda: rng.gamma(p.get("alpha"), 1.0 / p.get("beta"), n),
            "HalfNormal": lambda: _half_normal(rng, p.get("sigma"), n),
            "Uniform": lambda: rng.uniform(p.get("lower"), p.get("upper"), n),
        }
        if self.is_fixed:
            return np.full(n, self.point)
        if self.distribution in direct:
            return direct[self.distribution]()
        if self.distribution == "TruncatedNormal":
            lower, upper = self.support
            lower = -math.inf if lower is None else lower
            upper = math.inf if upper is None else upper
            mu, sigma = p.get("mu"), p.get("sigma")
            unit = NormalDist()
            inside = unit.cdf((upper - mu) / sigma) - unit.cdf((lower - mu) / sigma)
            if inside >= 0.5:
                return _truncated_normal(rng, mu, sigma, lower, upper, n)
        return np.asarray(self.to_preliz().rvs(n, random_state=rng), dtype=float)

    def log_density(self, x) -> np.ndarray:
        """Log prior density at ``x`` (``-inf`` outside the support), as PyMC's ``logp`` of the
        family computes it (:mod:`probmodel.log_densities`; equal to PreliZ's ``logpdf`` and
        PyMC's to rounding, tested, without PreliZ's import and numba compilation): the log
        prior of a fit's draws, and the ratio of two priors' densities that reweights posterior
        draws to the other prior (:mod:`probmodel.analysis.whatif`). Not defined for ``Fixed``
        (a point mass)."""
        from probmodel.log_densities import BY_FAMILY

        if self.is_fixed:
            raise ValueError(f"{self.name} is Fixed: a point mass has no density to compare.")
        x = np.asarray(x, dtype=float)
        params = dict(self.params)
        if self.distribution == "TruncatedNormal":
            params["lower"], params["upper"] = self.support
        return np.asarray(BY_FAMILY[self.distribution](x, **params), dtype=float).reshape(x.shape)

    def to_pymc(self, name: str | None = None, **kwargs):
        """Create the PyMC random variable in the current model context (PyMC's families and
        parameter names are PreliZ's, :data:`FAMILIES`)."""
        import pymc as pm

        return getattr(pm, self.distribution)(name or self.name, **self.params, **kwargs)

    def quantiles(self, qs) -> list[float]:
        """Quantiles at probabilities ``qs``: the standard library's normal quantile function or
        :mod:`scipy.special`'s inverse distribution functions. PreliZ and :mod:`scipy.stats` give
        the same (tested), but importing either costs every command that reads the specs 1-2 s."""
        if self.is_fixed:
            return [self.point for _ in qs]
        p, family = self.params, self.distribution
        q = np.asarray(list(qs), dtype=float)
        if family in ("Normal", "LogNormal", "HalfNormal"):  # the standard library suffices
            unit = NormalDist()
            if family == "HalfNormal":
                return [p["sigma"] * unit.inv_cdf((1.0 + v) / 2.0) for v in q]
            z = np.array([unit.inv_cdf(v) for v in q])
            with np.errstate(over="ignore"):  # a far tail beyond float range is inf: a fact
                x = p["mu"] + p["sigma"] * z if family == "Normal" else np.exp(p["mu"] + p["sigma"] * z)
            return [float(v) for v in x]
        if family == "Uniform":
            return [float(p["lower"] + v * (p["upper"] - p["lower"])) for v in q]
        from scipy import special

        if family == "Beta":
            x = special.betaincinv(p["alpha"], p["beta"], q)
        elif family == "Gamma":
            x = special.gammaincinv(p["alpha"], q) / p["beta"]
        elif family == "TruncatedNormal":
            lo, hi = self.support
            a, b = ((v - p["mu"]) / p["sigma"] for v in (lo, hi))
            if a > 0:  # both bounds above the mean: work in the mirrored (upper) tail
                z = -special.ndtri(special.ndtr(-a) - q * (special.ndtr(-a) - special.ndtr(-b)))
            else:
                z = special.ndtri(special.ndtr(a) + q * (special.ndtr(b) - special.ndtr(a)))
            x = p["mu"] + p["sigma"] * z
        else:
            x = self.to_preliz().ppf(q)
        return [float(v) for v in np.asarray(x, dtype=float)]

    @property
    def support(self) -> tuple[float, float]:
        """Lowest and highest values the distribution can take."""
        if self.is_fixed:
            return (self.point, self.point)
        p = self.params
        supports = {
            "Normal": (-math.inf, math.inf),
            "LogNormal": (0.0, math.inf),
            "HalfNormal": (0.0, math.inf),
            "Beta": (0.0, 1.0),
            "Gamma": (0.0, math.inf),
            "Uniform": (p.get("lower"), p.get("upper")),
            "TruncatedNormal": (p.get("lower"), p.get("upper")),
        }
        lo, hi = supports.get(self.distribution, (None, None))
        lo = -math.inf if lo is None else float(lo)
        hi = math.inf if hi is None else float(hi)
        return lo, hi

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PriorSpec:
        """The spec :meth:`as_record` described (a saved run's priors, typed again)."""
        return _spec_from_fields(record)

    def as_record(self) -> dict[str, Any]:
        """JSON-able description, stored in saved runs."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "params": dict(self.params),
            "point": self.point,
            "method": self.method,
            "interval": list(self.interval) if self.interval else None,
            "mass": self.mass,
            "unit": self.unit,
            "description": self.description,
            "source": self.source,
            "reason": self.reason,
        }


def merge_override(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Apply a scenario's override table to a base prior table.

    Keys in the override replace the base's. An override that names a ``distribution`` replaces
    the whole distribution (the base's distribution keys are dropped, so old parameters cannot
    leak into the new family). One that gives only ``params`` or an ``interval`` keeps the base's
    family (and its ``lower``/``upper`` bounds) and fits it anew, as a prior file does: the base's
    params, interval and mass are dropped (an interval without ``mass`` holds 90%), and so is its
    method when the override gives params or the base had none.
    """
    merged = dict(base)
    if "distribution" in override:
        for key in DISTRIBUTION_KEYS:
            merged.pop(key, None)
    elif {"params", "interval"} & override.keys():
        for key in ("params", "interval", "mass"):
            merged.pop(key, None)
        if "params" in override or "interval" not in base:
            merged.pop("method", None)
    merged.update(override)
    return merged


_PARSED: dict[str, PriorSpec] | None = None
"""Valid priors already parsed, by name, table and code: a library of 18 scenarios parses the
same 41 world tables 18 times, and checking them needs PreliZ (a 2.7 s import) and its ``maxent``
fits (~2 s). Kept in this process and in the user's cache folder (:func:`probmodel.io.cache_dir`),
so an unchanged spec folder is read in milliseconds by the next process too."""


def _parsed() -> dict[str, PriorSpec]:
    global _PARSED
    if _PARSED is None:
        from probmodel import cache, io

        stored = cache.load(io.cache_dir() / _CACHE_FILE, _cache_key()) or {}
        try:
            _PARSED = {key: _spec_from_fields(fields) for key, fields in stored.items()}
        except (TypeError, ValueError, KeyError):  # a foreign or outdated entry: start afresh
            _PARSED = {}
    return _PARSED


def _spec_from_fields(fields: dict[str, Any]) -> PriorSpec:
    interval = fields.get("interval")
    return PriorSpec(**{**fields, "interval": tuple(interval) if interval else None})


_CACHE_FILE = "parsed-priors.npz"
_CACHE_SIZE = 2000
"""Parsed priors kept in the cache file (~1 kB each)."""
_UNSAVED = False
"""Whether this process parsed priors that the cache file does not hold yet (written once, at
exit: writing the whole file after each of a library's ~90 new priors cost ~10 s)."""


def _cache_key() -> str:
    """The cache file's key: the code's fingerprint, so that the file holds only what this code
    parsed (a new version starts afresh instead of piling up entries no one will read)."""
    from probmodel import io

    return f"parsed-priors/{io.code_fingerprint()}"


def _save_parsed() -> None:
    """Write the parsed priors to the cache file (registered with :mod:`atexit`)."""
    global _UNSAVED
    if _UNSAVED and _PARSED:
        from probmodel import cache, io

        fields = {k: asdict(v) for k, v in _PARSED.items()}
        cache.store(io.cache_dir() / _CACHE_FILE, _cache_key(), fields)
    _UNSAVED = False


def parse_prior(name: str, table: Any, problems: ProblemCollector) -> PriorSpec | None:
    """Validate one prior table; record every problem found and return ``None`` if any."""
    from probmodel import io

    key = None
    if isinstance(table, dict):
        try:
            key = io.sha256(f"{name}\x1f{io.canonical_json(table)}\x1f{io.code_fingerprint()}")
        except (TypeError, ValueError):  # an unhashable oddity: parse it, and report it, below
            key = None
    parsed = _parsed()
    if key in parsed:
        return parsed[key]
    spec = _parse_prior(name, table, problems)
    if spec is not None and key is not None:
        parsed[key] = spec
        for stale in list(parsed)[: max(0, len(parsed) - _CACHE_SIZE)]:
            del parsed[stale]  # the oldest first: a spec folder edited for years stays small
        global _UNSAVED
        if not _UNSAVED:
            _UNSAVED = True
            atexit.register(_save_parsed)
    return spec


def _parse_prior(name: str, table: Any, problems: ProblemCollector) -> PriorSpec | None:
    n_before = len(problems.problems)
    if not isinstance(table, dict):
        problems.add(name, table, "must be a table of prior settings ([name] with keys below it).")
        return None
    problems.unknown_keys(table, PRIOR_KEYS, name)

    for key in REQUIRED_TEXT:
        if not isinstance(table.get(key), str) or not table.get(key, "").strip():
            problems.add(f"{name}.{key}", table.get(key, MISSING), "required text is missing.")
    unit = WORLD_UNITS.get(name, table.get("unit", ""))  # unknown names are reported elsewhere
    if "unit" in table and table["unit"] != unit:
        problems.add(
            f"{name}.unit",
            table["unit"],
            f"the model measures {name} in {unit!r}: write that, or leave the key out "
            "(units come from probmodel.equations).",
        )

    family = table.get("distribution", MISSING)
    if family is MISSING:
        problems.add(f"{name}.distribution", MISSING, f"required. Allowed: {', '.join(FAMILIES)}.")
        return None
    if not (isinstance(family, str) and family in FAMILIES):
        from probmodel.errors import did_you_mean

        problems.add(
            f"{name}.distribution",
            family,
            f"unknown distribution.{did_you_mean(str(family), list(FAMILIES))} "
            f"Allowed: {', '.join(FAMILIES)}.",
        )
        return None

    point = _number(table, "point", name, problems, required=True)
    params, method, interval, mass = _resolve(name, family, table, problems)
    if len(problems.problems) > n_before or params is None or point is None:
        return None

    spec = PriorSpec(
        name=name,
        distribution=family,
        params=params,
        point=point,
        method=method,
        unit=unit,
        source=table["source"],
        reason=table["reason"],
        description=table.get("description", ""),
        interval=interval,
        mass=mass,
        raw=dict(table),
    )
    low, high = world_domain(name) if name in WORLD_UNITS else (-math.inf, math.inf)
    domain = f"[{low:g}, {high:g}]" if math.isfinite(high) else f"[{low:g}, inf)"
    if not low <= point <= high:
        problems.add(f"{name}.point", point, f"{name} takes values in {domain}.")
        return None
    if not spec.is_fixed:
        lo, hi = spec.support
        if lo < low or hi > high:
            problems.add(
                f"{name}.distribution",
                family,
                f"{_describe(spec)} puts probability on [{lo:g}, {hi:g}], but {name} takes values "
                f"in {domain}. Use a family whose support lies inside it ("
                + ("Beta, or Uniform/TruncatedNormal with bounds in [0, 1])." if high == 1.0
                   else "LogNormal, Gamma, HalfNormal, or TruncatedNormal with lower >= 0).")
            )  # fmt: skip
            return None
        if not lo <= point <= hi:
            problems.add(
                f"{name}.point", point, f"outside the support [{lo}, {hi}] of {_describe(spec)}."
            )
            return None
        if math.isfinite(lo) and math.isfinite(hi):
            return spec  # bounded: no draw can overflow
        q_lo, q_hi = spec.quantiles([TAIL_CHECK, 1 - TAIL_CHECK])
        if not all(math.isfinite(q) and abs(q) <= MAX_MAGNITUDE for q in (q_lo, q_hi)):
            key = "interval" if interval is not None else "params"
            problems.add(
                f"{name}.{key}",
                table.get(key),
                f"{_describe(spec)} puts 1 in {1 / TAIL_CHECK:,.0f} draws beyond "
                f"[{q_lo:.3g}, {q_hi:.3g}]: draws that large overflow the model's arithmetic. "
                f"Narrow the interval (or raise its mass) so the range stays within +-{MAX_MAGNITUDE:g}.",
            )
            return None
    return spec


def _resolve(name, family, table, problems):
    """Return (params, method, interval, mass) from explicit params or an interval."""
    has_params, has_interval = "params" in table, "interval" in table
    if family == "Fixed":
        if has_params or has_interval:
            problems.add(name, MISSING, "a Fixed prior takes only `point`, no params or interval.")
        return {}, "params", None, None
    if has_params == has_interval:
        problems.add(
            name,
            MISSING,
            "give exactly one of `params = {...}` or `interval = [lower, upper]` "
            f"(found {'both' if has_params else 'neither'}).",
        )
        return None, None, None, None

    bounds = {k: _number(table, k, name, problems) for k in ("lower", "upper") if k in table}
    needed = FAMILIES[family]
    if has_params:
        raw = table["params"]
        if not isinstance(raw, dict):
            problems.add(
                f"{name}.params", raw, "must be an inline table, e.g. { mu = 0, sigma = 1 }."
            )
            return None, None, None, None
        problems.unknown_keys(raw, set(needed), f"{name}.params")
        params = {**bounds}
        for key in needed:
            if key in params and key not in raw:
                continue
            value = _number(raw, key, f"{name}.params", problems, required=True)
            if value is not None:
                params[key] = value
        _check_params(name, family, params, problems)
        return params, "params", None, None

    interval = table["interval"]
    if (
        not isinstance(interval, list)
        or len(interval) != 2
        or not all(_is_number(x) for x in interval)
    ):
        problems.add(f"{name}.interval", interval, "must be two numbers [lower, upper].")
        return None, None, None, None
    lo, hi = float(interval[0]), float(interval[1])
    if not lo < hi:
        problems.add(f"{name}.interval", interval, "lower must be below upper.")
        return None, None, None, None
    mass = _number(table, "mass", name, problems) if "mass" in table else 0.9
    if mass is not None and not 0.0 < mass < 1.0:
        problems.add(f"{name}.mass", mass, "must be a probability between 0 and 1 (e.g. 0.9).")
        return None, None, None, None
    method = table.get("method", "exact" if family in EXACT_FAMILIES else "preliz-maxent")
    if not (isinstance(method, str) and method in METHODS):
        problems.add(f"{name}.method", method, f"unknown method. Allowed: {', '.join(METHODS)}.")
        return None, None, None, None
    if method == "exact" and family not in EXACT_FAMILIES:
        problems.add(
            f"{name}.method",
            method,
            f"no closed form for {family}; exact works for {', '.join(sorted(EXACT_FAMILIES))}. "
            'Use method = "preliz-maxent".',
        )
        return None, None, None, None
    if family == "LogNormal" and lo <= 0:
        problems.add(f"{name}.interval", interval, "a LogNormal interval must be positive.")
        return None, None, None, None
    if mass is None or any(v is None for v in bounds.values()):
        return None, None, None, None
    try:
        params = from_interval(family, lo, hi, mass, method, tuple(sorted(bounds.items())))
    except Exception as err:  # PreliZ optimiser failure: report, do not crash
        problems.add(f"{name}.interval", interval, f"could not fit a {family} to it: {err}")
        return None, None, None, None
    return params, method, (lo, hi), mass


def _check_params(name, family, params, problems) -> None:
    for key, value in params.items():
        if key in POSITIVE_PARAMS and value <= 0:
            problems.add(
                f"{name}.params.{key}", value, f"a scale or shape must be > 0 for {family}."
            )
    if "lower" in params and "upper" in params and not params["lower"] < params["upper"]:
        problems.add(f"{name}.lower", params["lower"], f"must be below upper = {params['upper']}.")


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _number(table, key, prefix, problems, required=False):
    if key not in table:
        if required:
            problems.add(f"{prefix}.{key}", MISSING, "required number is missing.")
        return None
    value = table[key]
    if not _is_number(value):
        problems.add(f"{prefix}.{key}", value, "must be a finite number.")
        return None
    return float(value)


def _describe(spec: PriorSpec) -> str:
    args = ", ".join(f"{k}={v:.4g}" for k, v in spec.params.items())
    return f"{spec.distribution}({args})"


def _lognormal(rng, mu: float, sigma: float, n: int) -> np.ndarray:
    """``rng.lognormal(mu, sigma, n)``, bit for bit (the same standard normals, ``exp(mu + sigma
    * z)``), with NumPy's vectorised ``exp`` in place: ~13% less CPU than the generator's loop."""
    z = rng.standard_normal(n)
    z *= sigma
    z += mu
    return np.exp(z, out=z)


def _half_normal(rng, sigma: float, n: int) -> np.ndarray:
    """``abs(rng.normal(0, sigma, n))``, bit for bit (``|sigma z| = sigma |z|`` exactly for
    ``sigma > 0``), in place: one array instead of two."""
    z = rng.standard_normal(n)
    np.abs(z, out=z)
    z *= sigma
    return z


def _truncated_normal(rng, mu: float, sigma: float, lower: float, upper: float, n: int):
    """Normal draws, those outside ``[lower, upper]`` drawn again until inside: exactly the
    truncated normal, ~3x less CPU than PreliZ's ``rvs`` when most of the mass is inside (the
    caller checks that at least half is, so each round redraws at most half as many)."""
    x = rng.normal(mu, sigma, n)
    redo = np.flatnonzero((x < lower) | (x > upper))
    while redo.size:
        y = rng.normal(mu, sigma, redo.size)
        x[redo] = y
        redo = redo[(y < lower) | (y > upper)]
    return x
