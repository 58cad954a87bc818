"""Evidence records: published results as likelihood terms, one TOML file each in
``priors/evidence/``, written without code.

Each kind is one module here with the same small interface, registered in :data:`KINDS`:

* ``KIND``, ``KEYS`` (its file keys besides the common ones) and ``VARS`` (its observed
  variables and their dims);
* a frozen dataclass (a :class:`~probmodel.evidence.base.Record`) with ``constrains()`` (the world
  parameters its likelihood reaches) and ``says()`` (one sentence: what it claims);
* ``parse(table, ctx, problems)``: the kind's fields, every problem reported;
* ``needs(record)``: the study-level latents it uses (:mod:`probmodel.evidence.latents`);
* ``observations(world, records, latents, free)``: its observed vectors
  (:class:`~probmodel.evidence.observe.Observation`), computed on either backend: PyMC adds them
  to the model (the same variables simulate the kind's data for calibration and recovery), and
  :mod:`probmodel.densities` scores and draws them on all posterior draws at once in NumPy;
* optionally ``own_latents(records)``: free variables of its own
  (:class:`~probmodel.evidence.observe.Latent`), e.g. a curve's intercept.

A new kind is one new module added to :data:`KINDS`. The kinds: ``measurement`` (a published value
of a model quantity, or a bound), ``meta`` (a meta-analytic exponent), ``curve`` (one study's
scaling curve, in one or two variables), ``effect`` (success with one data mix against another:
co-training, pooling), ``outcome`` (a policy's absolute success at a stated data mix, environments
and model size). Success may be given as counts (k of n trials) wherever a score appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from probmodel.errors import MISSING, ProblemCollector, did_you_mean
from probmodel.evidence import curve, effect, measurement, meta, outcome
from probmodel.evidence.base import (  # noqa: F401 - the package's public names
    AXES,
    COMMON_KEYS,
    CONFIDENCE_WIDENING,
    PATHWAYS,
    SCORE_CLIP,
    SETTINGS,
    TRANSFER_OF,
    Z90,
    Citation,
    Record,
    Score,
    citation,
    one_of,
)
from probmodel.evidence.curve import Curve  # noqa: F401
from probmodel.evidence.effect import Effect  # noqa: F401
from probmodel.evidence.latents import DIMS, Latents, latent_labels, standard_normals
from probmodel.evidence.measurement import Measurement  # noqa: F401
from probmodel.evidence.meta import Meta  # noqa: F401
from probmodel.evidence.observe import Latent, Observation
from probmodel.evidence.outcome import Outcome  # noqa: F401

KINDS = {m.KIND: m for m in (measurement, meta, curve, effect, outcome)}
"""The registry: kind name -> its module."""
EVIDENCE_VARS: dict[str, str] = {name: dim for m in KINDS.values() for name, dim in m.VARS}
"""Every observed variable of every kind, with its dimension. Entries along the dimension are
labelled ``"<record id>"`` or ``"<record id>:<detail>"`` (:func:`record_of`)."""
FRACTION_VARS: tuple[str, ...] = tuple(n for m in KINDS.values() for n in getattr(m, "FRACTION_VARS", ()))
"""Observed variables whose values are scores in (0, 1) (Beta likelihoods)."""
TRANSFERS = tuple(TRANSFER_OF.values())
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


@dataclass(frozen=True)
class ParseContext:
    """What parsing needs to know about the model: the quantities a measurement may name."""

    quantities: frozenset[str]


def record_of(label: str) -> str:
    """The evidence record an entry label belongs to."""
    return label.split(":", 1)[0]


def parse_evidence(table: Any, file_id: str, quantities, problems: ProblemCollector):
    """Validate one evidence file's table; every problem is reported. ``None`` when invalid."""
    import re

    n_before = len(problems.problems)
    if not isinstance(table, dict):
        problems.add("", table, "an evidence file must be a TOML table.")
        return None
    kind = table.get("kind", MISSING)
    if not one_of(kind, KINDS):
        hint = did_you_mean(str(kind), KINDS) if isinstance(kind, str) else ""
        problems.add("kind", kind, f"unknown evidence kind.{hint} Allowed: {', '.join(KINDS)}.")
        return None
    module = KINDS[kind]
    problems.unknown_keys(table, COMMON_KEYS | module.KEYS, "")
    record_id = table.get("id", file_id)
    if not isinstance(record_id, str) or not re.match(ID_PATTERN, record_id):
        problems.add("id", record_id, "must be lower-case letters, digits and single hyphens.")
    study = table.get("study", "")
    if not isinstance(study, str) or (study and not re.match(ID_PATTERN, study)):
        problems.add("study", study, "must be lower-case letters, digits and single hyphens.")
    confidence = table.get("confidence", MISSING)
    if not one_of(confidence, CONFIDENCE_WIDENING):
        problems.add("confidence", confidence,
                     f"Allowed: {', '.join(CONFIDENCE_WIDENING)} (unverified numbers are not used).")  # fmt: skip
    for key in ("title", "notes"):
        if key in table and not isinstance(table[key], str):
            problems.add(key, table[key], "must be text.")
    cite = citation(table.get("citation", MISSING), problems)
    fields = module.parse(table, ParseContext(frozenset(quantities)), problems)
    if len(problems.problems) > n_before or fields is None or cite is None:
        return None
    cls = next(v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, Record) and v.__module__ == module.__name__)  # fmt: skip
    return cls(
        id=record_id, kind=kind, confidence=confidence, citation=cite,
        title=table.get("title", ""), notes=table.get("notes", ""), study=study,
        file=problems.file, raw=dict(table), **fields,
    )  # fmt: skip


def for_fleet(records, robot_class: str) -> list[Record]:
    """The records as they apply to a fleet of ``robot_class``: a price of another class becomes
    the bound its record states, or is left out (:meth:`Measurement.for_fleet`); idempotent."""
    out = []
    for record in records:
        if isinstance(record, Measurement):
            record = record.for_fleet(robot_class)
        if record is not None:
            out.append(record)
    return out


def latent_variables(records: list[Record]) -> list[Latent]:
    """The free variables the records add to the model, in the model's order: the studies'
    standard-normal latents (:mod:`.latents`), then each kind's own (``own_latents``)."""
    out = standard_normals(_latent_labels(records))
    for kind, module in KINDS.items():
        own = getattr(module, "own_latents", None)
        if own is not None:
            out += own([r for r in records if r.kind == kind])
    return out


def observations(world, records: list[Record], free, latents: Latents | None = None
                 ) -> list[Observation]:  # fmt: skip
    """Every record's observations (grouped by kind, in :data:`KINDS` order) given the world
    parameters and the values of :func:`latent_variables` (``free``, by name): PyTensor variables
    in the model, NumPy draws after sampling. ``latents``: the study latents, if already made."""
    latents = latents or Latents(world, _latent_labels(records), free)
    return [o for kind, module in KINDS.items()
            for o in module.observations(world, [r for r in records if r.kind == kind], latents,
                                         free)]  # fmt: skip


def study_latents(world, records: list[Record], free) -> dict[str, object]:
    """The study latents (``study_exponent``, ``study_transfer``, ``study_level``: those the
    records need) given the world parameters and the values of :func:`latent_variables`."""
    latents = Latents(world, _latent_labels(records), free)
    return {f"study_{kind}": value for kind, value in latents.values.items()}


def _latent_labels(records: list[Record]) -> dict[str, list[str]]:
    return latent_labels(n for r in records for n in KINDS[r.kind].needs(r))


def add_likelihoods(world, records: list[Record]) -> None:
    """Every record's likelihood in the current PyMC model, with the study-level latents they
    share (``study_<kind>`` Deterministics)."""
    import pymc as pm

    free = {v.name: v.to_pymc() for v in latent_variables(records)}
    latents = Latents(world, _latent_labels(records), free)
    for kind, value in latents.values.items():
        latents.values[kind] = pm.Deterministic(f"study_{kind}", value, dims=DIMS[kind])
    for observation in observations(world, records, free, latents):
        observation.to_pymc()
