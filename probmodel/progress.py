"""Progress of long computations, reported through one callback protocol.

Every long entry point (fitting, the report, sensitivity, value of information, sweeps,
simulation-based calibration) takes ``progress=``, a callable it calls as
``progress(step, done, total)``, and never prints: how progress is shown (a rich bar on a
terminal, a line per step in a log, a notebook cell) is the caller's business
(:mod:`probmodel.display` draws it).

The contract, per step:

* ``step`` names the stage in plain words ("sampling (NUTS)", "EVPPI per parameter");
* ``total`` (>= 1) is fixed for the step and ``done`` (0 to ``total``) never decreases;
* a step that finishes ends with a call where ``done == total``.

A long call is a sequence of steps. The callback must return quickly and must not raise; it may
be called from a sampler's worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from probmodel.errors import InvalidArgumentError


class Progress(Protocol):
    """A progress callback: ``progress(step, done, total)`` (see the module docstring)."""

    def __call__(self, step: str, done: int, total: int) -> None: ...


def silent(step: str, done: int, total: int) -> None:
    """The callback that shows nothing (the default of every pure analysis function)."""


def callback(progress: Progress | None) -> Progress:
    """``progress`` checked, or :func:`silent` for ``None``."""
    if progress is None:
        return silent
    if not callable(progress):
        raise InvalidArgumentError(
            f"progress = {progress!r}: expected a callable progress(step, done, total) or None."
        )
    return progress


def track[T](progress: Progress | None, step: str, items: Iterable[T]) -> Iterator[T]:
    """Yield ``items``, reporting ``step`` as 0 of n before the first and i of n after each."""
    progress = callback(progress)
    items = list(items)
    total = max(len(items), 1)
    progress(step, 0, total)
    for i, item in enumerate(items, 1):
        yield item
        progress(step, i, total)
    if not items:
        progress(step, 1, 1)


@contextmanager
def stage(progress: Progress | None, step: str) -> Iterator[None]:
    """A one-unit step: ``(step, 0, 1)`` on entry and ``(step, 1, 1)`` when the block succeeds."""
    progress = callback(progress)
    progress(step, 0, 1)
    yield
    progress(step, 1, 1)


def counter(progress: Progress | None, step: str, total: int) -> Callable[[int], None]:
    """A function that adds ``n`` finished units to ``step`` (of ``total``) and reports the
    running count, clipped at ``total``; reports ``(step, 0, total)`` at once."""
    progress = callback(progress)
    total = max(int(total), 1)
    done = [0]
    progress(step, 0, total)

    def advance(n: int = 1) -> None:
        done[0] = min(done[0] + int(n), total)
        progress(step, done[0], total)

    return advance
