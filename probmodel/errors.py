"""Errors that users see: every one names the file, the key, the bad value and what is allowed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


class ProbmodelError(Exception):
    """Base class for errors caused by input (files, names, options), not by a bug.

    The command line prints these without a traceback and exits non-zero.
    """

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one key of one spec file."""

    file: str
    key: str
    value: object
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        shown = "" if self.value is _MISSING else f" = {self.value!r}"
        return f"{where}{shown}: {self.message}"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
MISSING = _MISSING


class SpecError(ProbmodelError):
    """All problems found in one or more spec files, reported at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the spec files:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class ResultFileError(ProbmodelError):
    """A results file that is missing, not a probmodel result, corrupted or tampered with."""

    exit_code = 3


class InvalidArgumentError(ProbmodelError, ValueError):
    """An argument outside its allowed range (draws <= 0, a probability above 1, ...)."""


class UnknownNameError(ProbmodelError):
    """An unknown scenario, evidence record or outcome name."""


def did_you_mean(name: str, allowed: list[str] | set[str] | tuple[str, ...]) -> str:
    """Return ' Did you mean 'x'?' for the closest allowed name, or ''."""
    close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


class ProblemCollector:
    """Collects the problems of one file so that all are reported together."""

    def __init__(self, file: str | Path):
        self.file = str(file)
        self.problems: list[Problem] = []

    def add(self, key: str, value: object, message: str) -> None:
        self.problems.append(Problem(self.file, key, value, message))

    def unknown_keys(self, table: dict, allowed: set[str] | list[str], prefix: str) -> None:
        """Report every key of `table` that is not in `allowed`, with a did-you-mean hint."""
        for key in table:
            if key not in allowed:
                self.add(
                    _join(prefix, key),
                    table[key] if not isinstance(table[key], dict) else MISSING,
                    f"unknown key.{did_you_mean(key, allowed)} Allowed: {', '.join(sorted(allowed))}.",
                )

    def raise_if_any(self) -> None:
        if self.problems:
            raise SpecError(self.problems)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
