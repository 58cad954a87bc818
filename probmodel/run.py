"""A run: a fit's DataTree with the configuration that produced it, saved and loaded with a
config hash, and the questions asked of a saved run (is it stale, can it be reused).

A run's diagnostics are computed once, on first use (:mod:`probmodel.diagnostics`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probmodel import __version__, io
from probmodel.constants import DEFAULT_SEED
from probmodel.equations import Plan
from probmodel.errors import InvalidArgumentError, ProblemCollector, ProbmodelError
from probmodel.evidence import Record
from probmodel.specs.library import Library, evidence_for
from probmodel.specs.priors import PriorSpec
from probmodel.specs.scenario import Scenario

if TYPE_CHECKING:  # reading a run's configuration alone need not import xarray (~0.4 s)
    import xarray as xr


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS (nutpie) and prior-sampling settings; part of a run's configuration hash."""

    draws: int = 1000
    tune: int = 1500
    chains: int = 4
    prior_draws: int = 4000
    target_accept: float = 0.98
    seed: int = DEFAULT_SEED

    def __post_init__(self):
        for key in ("draws", "tune", "chains", "prior_draws"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise InvalidArgumentError(
                    f"sampler setting {key} = {value!r}: must be a positive integer."
                )
        if not 0.5 <= self.target_accept < 1:
            raise InvalidArgumentError(
                f"target_accept = {self.target_accept!r}: must be in [0.5, 1)."
            )


class _Configured:
    """What a run's configuration (``meta``: scenario, priors, evidence, sampler settings) says,
    typed; shared by a loaded :class:`Run` and a :class:`RunConfig` read without its draws."""

    meta: dict[str, Any]

    @property
    def scenario(self) -> dict[str, Any]:
        return self.meta["scenario"]

    @property
    def name(self) -> str:
        return self.meta["scenario"]["name"]

    @property
    def plan(self) -> dict[str, Any]:
        return self.meta["scenario"]["plan"]

    @property
    def plan_spec(self) -> Plan:
        """The run's plan as the typed :class:`probmodel.equations.Plan`."""
        return Plan(**self.plan)

    @property
    def settings(self) -> SamplerSettings:
        """The sampler settings the run was drawn with, typed."""
        return SamplerSettings(**self.meta["settings"])

    @property
    def priors(self) -> dict[str, dict[str, Any]]:
        return self.meta["priors"]

    @property
    def evidence(self) -> list[dict[str, Any]]:
        return self.meta["evidence"]

    @property
    def prior_specs(self) -> dict[str, PriorSpec]:
        """The priors the run was drawn from, typed (as resolved then, not as the files are now)."""
        return {name: PriorSpec.from_record(record) for name, record in self.priors.items()}

    @property
    def scenario_spec(self) -> Scenario:
        """The run's scenario, typed: its plan, its priors as drawn, its metadata."""
        return Scenario.from_record(self.scenario, self.prior_specs)

    @property
    def constants(self) -> dict[str, float]:
        """World parameters the run held fixed (not in its draws), at their fixed values."""
        return self.scenario_spec.fixed_values()

    @property
    def records(self) -> list[Record]:
        """The evidence records the run was conditioned on, typed: parsed again from the tables
        stored with the run, as they applied to its fleet."""
        from probmodel.evidence import for_fleet, parse_evidence
        from probmodel.specs.library import MEASURABLE

        tables = self.meta.get("evidence_tables")
        if tables is None:
            raise InvalidArgumentError(
                f"run {self.name!r} was saved without its evidence tables (by an earlier probmodel): "
                "re-sample it (`probmodel run --resample`) to use its records."
            )
        records = []
        for record_id, table in tables.items():
            problems = ProblemCollector(f"{self.name} (stored record {record_id})")
            record = parse_evidence(table, record_id, MEASURABLE, problems)
            problems.raise_if_any()
            records.append(record)
        return for_fleet(records, self.plan_spec.robot_class)

    @property
    def config_hash(self) -> str:
        return io.config_hash(self.meta)



@dataclass(frozen=True, repr=False)
class RunConfig(_Configured):
    """A saved run's configuration without its draws: read from the file's attributes in
    milliseconds (config hash checked; the draws' hash is checked only by :meth:`Run.load`)."""

    meta: dict[str, Any]

    def __repr__(self) -> str:
        return f"<RunConfig {self.name!r}: config hash {self.config_hash[:12]}>"

    @classmethod
    def read(cls, path: str | Path) -> RunConfig:
        """The configuration stored in the results file at ``path``."""
        return cls(meta=io.load_meta(path))


@dataclass(repr=False)
class Run(_Configured):
    """A fitted scenario: the DataTree and the configuration that produced it."""

    tree: xr.DataTree
    meta: dict[str, Any] = field(default_factory=dict)
    _diagnostics: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    """Cache of :func:`probmodel.diagnostics.run_diagnostics` (computed once per run)."""
    path: Path | None = field(default=None, init=False, repr=False, compare=False)
    """The file the run was loaded from or last saved to (``None``: only in memory)."""

    def __repr__(self) -> str:
        """One line: scenario, draws, evidence, diagnostics verdict, file (the DataTree is
        ``run.tree``)."""
        parts = [self._sampling_text(), f"{len(self.meta.get('evidence_ids', []))} evidence records"]
        update = self.meta.get("update")
        if update:
            parts.append(f"updated ({_update_text(update)})")
        parts.append(self._verdict())
        parts.append(f"file {self.path}" if self.path else "not saved")
        return f"<Run {self.meta.get('scenario', {}).get('name', '?')!r}: {'; '.join(parts)}>"

    def _repr_html_(self) -> str:
        """A small table for notebooks."""
        import html

        from probmodel.formatting import fmt_value

        plan = self.meta.get("scenario", {}).get("plan", {})
        shown = ("fleet_size", "real_share", "sites", "deadline_years", "budget_usd",
                 "performance_target")  # fmt: skip
        plan_text = ", ".join(
            f"{k} = {fmt_value(k, v) if k != 'real_share' else f'{v:g}'}"
            for k, v in plan.items()
            if k in shown and v is not None
        )
        rows = [
            ("scenario", f"{self.meta.get('scenario', {}).get('name', '?')}: "
                         f"{self.meta.get('scenario', {}).get('title', '')}"),
            ("plan", plan_text),
            ("draws", self._sampling_text()),
            ("evidence", f"{len(self.meta.get('evidence_ids', []))} records"),
            ("diagnostics", self._verdict()),
            ("file", str(self.path) if self.path else "not saved"),
            ("config hash", self.config_hash[:12]),
        ]  # fmt: skip
        if self.meta.get("update"):
            rows.insert(4, ("update", _update_text(self.meta["update"])))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>probmodel Run</caption><tbody>{body}</tbody></table>"

    def _sampling_text(self) -> str:
        s = self.meta.get("settings")
        if not s:
            return "sampler settings unknown"
        return (f"{s['chains']} chains x {s['draws']:,} draws (+{s['tune']:,} tuning), "
                f"{s['prior_draws']:,} prior draws")  # fmt: skip

    def _verdict(self) -> str:
        d = self.meta.get("diagnostics")
        if d is None:
            try:
                d = self.diagnostics
            except Exception:  # noqa: BLE001 - a repr must never fail
                return "diagnostics not available"
        if d.get("ok"):
            return "diagnostics ok"
        problems = "; ".join(d.get("problems", [])[:1])
        return "diagnostics FAILED" + (f" ({problems})" if problems else "")

    @property
    def diagnostics(self) -> dict[str, Any]:
        """R-hat, ESS and divergences with a verdict (``ok``) and advice (``problems``)."""
        from probmodel.diagnostics import run_diagnostics  # computed on first use only

        return run_diagnostics(self)

    def save(self, path: str | Path) -> Path:
        """Write the run to one netCDF file, atomically (an earlier file survives a failure)."""
        saved = io.save_tree(self.tree, self.meta, path)
        self.path = Path(saved)
        return saved

    @classmethod
    def load(cls, path: str | Path) -> Run:
        """Read a saved run; refuses foreign, corrupted or edited files with a clear message."""
        tree, meta = io.load_tree(path)
        run = cls(tree=tree, meta=meta)
        run.path = Path(path)
        return run


def _update_text(update: Any) -> str:
    """A run's ``update`` metadata in a few words."""
    if isinstance(update, dict):
        text = f"{update.get('method', 'reweighted')} with {update.get('added', '?')}"
        k = update.get("pareto_k")
        return text + (f", Pareto k {k:.2f}" if isinstance(k, (int, float)) else "")
    return str(update)[:80]


def run_meta(scenario: Scenario, evidence: list[Record], settings: SamplerSettings) -> dict:
    """The configuration of a run, stored in its file and hashed."""
    return {
        "version": __version__,
        "scenario": scenario.as_record(),
        "priors": {name: spec.as_record() for name, spec in scenario.priors.items()},
        "evidence": [r.as_record() for r in evidence],
        "evidence_ids": [r.id for r in evidence],
        "evidence_tables": {r.id: json.loads(json.dumps(r.raw, default=str)) for r in evidence},
        "settings": vars(settings),
        "code": io.code_fingerprint(),
    }



def is_stale(run: _Configured, priors_dir: str | Path | None = None) -> bool | None:
    """Whether ``run`` no longer matches the spec files (``None``: its scenario is gone).

    A run is stale when its scenario, priors, any of its own evidence records (edited or
    removed) or sampler settings differ from what the files now give. New records in the folder
    do not make it stale (see :func:`new_evidence`), nor do an earlier ``update`` of it and the
    diagnostics stored with it (results, not configuration).
    """
    try:
        library = Library.open(priors_dir)
        scenario = library.scenario(run.name)
        current = {r.id: r for r in evidence_for(scenario, library.evidence())}
    except ProbmodelError:
        return None
    ids = run.meta.get("evidence_ids", [])
    if any(i not in current for i in ids):
        return True
    meta = run_meta(scenario, [current[i] for i in ids], run.settings)
    meta["version"] = run.meta["version"]  # a new package version alone does not make it stale
    del meta["code"]  # nor new code
    base = {k: v for k, v in run.meta.items() if k not in ("update", "diagnostics", "code")}
    return io.config_hash(meta) != io.config_hash(base)


def new_evidence(run: _Configured, priors_dir: str | Path | None = None) -> list[str]:
    """Ids of the scenario's evidence records that ``run`` does not use yet."""
    try:
        library = Library.open(priors_dir)
        records = evidence_for(library.scenario(run.name), library.evidence())
    except ProbmodelError:
        return []
    used = set(run.meta.get("evidence_ids", []))
    return [r.id for r in records if r.id not in used]


def reusable_run(
    path: str | Path, scenario: Scenario, evidence: list[Record], settings: SamplerSettings
) -> Run | None:
    """The run saved at ``path`` if sampling again would reproduce it, else ``None``.

    Sampling is deterministic under a seed, so a saved fit of the same scenario, priors, evidence
    records, sampler settings and seed, by the same probmodel code and sampling stack
    (:func:`probmodel.io.code_fingerprint`), is exactly what a new fit would give. A file that
    is missing, unreadable, updated by reweighting or made otherwise is never reused."""
    path = Path(path)
    if not path.is_file():
        return None
    want = run_meta(scenario, evidence, settings)
    want_hash = io.config_hash(want)

    def same(meta: dict[str, Any]) -> bool:
        have = {k: meta[k] for k in want if k in meta}
        return "update" not in meta and io.config_hash(have) == want_hash

    try:  # the configuration first (milliseconds): the draws are read only for a match
        if not same(RunConfig.read(path).meta):
            return None
        run = Run.load(path)
    except ProbmodelError:
        return None
    return run if same(run.meta) else None

