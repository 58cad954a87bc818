"""Showing progress to people: the renderers of :mod:`probmodel.progress` callbacks.

* on a terminal (the stream is a TTY): a transient rich bar (spinner, step, bar, count, elapsed
  time) that disappears when the work is done, so tables printed after it stay clean;
* in a Jupyter notebook: one output line, updated in place;
* elsewhere (a log, a pipe, CI): one line per step as it starts.

Progress always goes to stderr (or the stream given), never to stdout, so ``--json`` output and
pipes stay clean. :func:`showing` picks the renderer for the API's and the CLI's ``progress=``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from probmodel.errors import InvalidArgumentError
from probmodel.progress import Progress, silent


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel with an IPython shell attached."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LinePerStep:
    """Writes ``probmodel: STEP`` once when a step starts: progress a log file can keep."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, step: str, done: int, total: int) -> None:
        with self._lock:
            if step in self._seen:
                return
            self._seen.add(step)
        stream = self.stream or sys.stderr
        size = f" ({total:,})" if total > 1 else ""
        print(f"probmodel: {step}{size}...", file=stream, flush=True)


class RichBar:
    """A transient rich progress bar on ``stream`` (a terminal); one row, reset at each step."""

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream),
            transient=True,
        )
        self._task = None
        self._step = None
        self._lock = threading.Lock()

    def __enter__(self) -> RichBar:
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()

    def __call__(self, step: str, done: int, total: int) -> None:
        with self._lock:
            if self._task is None:
                self._task = self._bar.add_task(step, total=total, completed=done)
            elif step != self._step:
                self._bar.reset(self._task, total=total, completed=done, description=step)
            else:
                self._bar.update(self._task, total=total, completed=done)
            self._step = step


class NotebookLine:
    """One output line of a notebook cell, updated in place (at most ~5 times a second)."""

    def __init__(self):
        from IPython.display import display

        self._handle = display(self._text("starting", 0, 1), display_id=True)
        self._started = self._last = time.monotonic()
        self._lock = threading.Lock()

    def _text(self, step: str, done: int, total: int):
        from IPython.display import HTML

        bar = f'<progress value="{done}" max="{total}" style="width:12em"></progress>'
        return HTML(f"<code>{bar} {step}: {done:,} of {total:,}</code>")

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        with self._lock:
            if done < total and now - self._last < 0.2:
                return
            self._last = now
        self._handle.update(self._text(step, done, total))

    def close(self) -> None:
        from IPython.display import HTML

        self._handle.update(HTML(f"<code>done in {time.monotonic() - self._started:.1f} s</code>"))


@contextmanager
def showing(progress: bool | Progress | None = None, stream: TextIO | None = None) -> Iterator[Progress]:
    """The callback to hand to a long computation, shown as ``progress`` asks.

    ``None`` (auto): a rich bar when ``stream`` (default stderr) is a terminal, a line in place in
    a notebook, else nothing. ``True``: the same, but a line per step on any other stream.
    ``False``: nothing. A callable is used as it is.
    """
    if progress is False:
        yield silent
        return
    if callable(progress) and not isinstance(progress, bool):
        yield progress
        return
    if progress is not None and progress is not True:
        raise InvalidArgumentError(
            f"progress = {progress!r}: expected True, False, None (auto) or a callable "
            "progress(step, done, total)."
        )
    stream = stream or sys.stderr
    raw = getattr(stream, "raw", stream)  # the CLI wraps stderr in a cleaning stream
    if _is_terminal(raw):
        with RichBar(raw) as bar:
            yield bar
    elif in_notebook():
        line = NotebookLine()
        yield line
        line.close()
    elif progress is True:
        yield LinePerStep(stream)
    else:
        yield silent
