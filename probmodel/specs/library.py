"""The spec library: the folder of world priors, scenarios and evidence records.

Layout (``priors/`` in the repository, or any folder given by ``--priors`` / ``PROBMODEL_PRIORS``)::

    world.toml              one [table] per world parameter
    scenarios/NAME.toml     plans plus prior overrides
    evidence/ID.toml        published results (likelihood terms)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from probmodel import io
from probmodel.equations import MEASURABLE_DERIVED, WORLD_PARAMETERS
from probmodel.errors import (
    MISSING,
    Problem,
    ProblemCollector,
    SpecError,
    UnknownNameError,
    did_you_mean,
)
from probmodel.evidence import Record, for_fleet, parse_evidence
from probmodel.specs.priors import parse_prior
from probmodel.specs.scenario import Scenario, parse_scenario

MEASURABLE = set(WORLD_PARAMETERS) | set(MEASURABLE_DERIVED)


def default_root() -> Path:
    """``$PROBMODEL_PRIORS`` if set, else the repository's ``priors/`` folder."""
    env = os.environ.get("PROBMODEL_PRIORS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "priors"


@dataclass(frozen=True)
class Library:
    """Reads and validates the spec files under ``root``."""

    root: Path

    @classmethod
    def open(cls, root: str | Path | None = None) -> Library:
        path = Path(root) if root is not None else default_root()
        if not path.is_dir():
            raise SpecError([Problem(str(path), "", MISSING, "spec folder not found.")])
        return cls(path)

    @property
    def world_file(self) -> Path:
        return self.root / "world.toml"

    def world_tables(self) -> dict[str, dict]:
        """Raw prior tables of ``world.toml``, checked for unknown and missing parameters."""
        table = io.read_toml(self.world_file)
        problems = ProblemCollector(self.world_file)
        for key in table:
            if key not in WORLD_PARAMETERS:
                problems.add(
                    key,
                    MISSING,
                    f"not a world parameter.{did_you_mean(key, list(WORLD_PARAMETERS))}",
                )
        for key in WORLD_PARAMETERS:
            if key not in table:
                problems.add(
                    key, MISSING, f"world parameter has no prior ({WORLD_PARAMETERS[key]})."
                )
        problems.raise_if_any()
        return table

    def world_priors(self, tables: dict[str, dict] | None = None):
        """Validated priors of ``world.toml`` (every problem reported at once); ``tables`` are its
        raw tables when the caller has already read them."""
        tables = self.world_tables() if tables is None else tables
        problems = ProblemCollector(self.world_file)
        priors = {name: parse_prior(name, tables[name], problems) for name in WORLD_PARAMETERS}
        problems.raise_if_any()
        return priors

    def scenario_names(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "scenarios").glob("*.toml"))

    def scenario(self, name_or_path: str | Path) -> Scenario:
        """Load a scenario by name (``seed-cotrain``) or by path to a TOML file."""
        path = Path(name_or_path)
        if path.suffix != ".toml":
            path = self.root / "scenarios" / f"{name_or_path}.toml"
            if not path.is_file():
                names = self.scenario_names()
                raise UnknownNameError(
                    f"unknown scenario {str(name_or_path)!r}.{did_you_mean(str(name_or_path), names)} "
                    f"Shipped scenarios: {', '.join(names)} (or give a path to a .toml file)."
                )
        tables = self.world_tables()
        world = self.world_priors(tables)  # world.toml's problems are reported against it
        table = io.read_toml(path)
        problems = ProblemCollector(path)
        scenario = parse_scenario(path.stem, table, tables, world, problems)
        problems.raise_if_any()
        return scenario

    def evidence_files(self) -> list[Path]:
        return sorted((self.root / "evidence").glob("*.toml"))

    def evidence(self, files: list[Path] | None = None) -> list[Record]:
        """Validated evidence records; all problems of all files reported at once."""
        records, problems = [], []
        for path in files if files is not None else self.evidence_files():
            record, found = read_evidence_file(path)
            problems.extend(found)
            if record is not None:
                records.append(record)
        seen: dict[str, str] = {}
        for r in records:
            if r.id in seen:
                problems.append(
                    Problem(r.file, "id", r.id, f"duplicate of the record in {seen[r.id]}.")
                )
            seen[r.id] = r.file
        if problems:
            raise SpecError(problems)
        return records


def read_evidence_file(path: Path) -> tuple[Record | None, list[Problem]]:
    """Parse one evidence file, returning the record (or None) and its problems."""
    try:
        table = io.read_toml(path)
    except SpecError as err:
        return None, err.problems
    problems = ProblemCollector(path)
    record = parse_evidence(table, path.stem, MEASURABLE, problems)
    return record, problems.problems


def evidence_for(scenario: Scenario, records: list[Record]) -> list[Record]:
    """The records a scenario uses: all but its excluded ones, as they apply to its fleet's robot
    class (a price of another class becomes a bound or is left out); unknown exclusions are
    errors."""
    ids = {r.id for r in records}
    problems = ProblemCollector(scenario.file)
    for rid in scenario.evidence_exclude:
        if rid not in ids:
            problems.add(
                "evidence.exclude", rid, f"no such evidence record.{did_you_mean(rid, ids)}"
            )
    problems.raise_if_any()
    kept = [r for r in records if r.id not in scenario.evidence_exclude]
    return for_fleet(kept, scenario.plan.robot_class)
