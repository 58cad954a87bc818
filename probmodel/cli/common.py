"""What every command shares: terminal safety, option types, parent parsers, output checks,
saving a run, flagging failed diagnostics (and the ``--strict`` exit code), and table printing.

Everything here prints or parses arguments; nothing below ``probmodel.cli`` does either.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from probmodel.errors import InvalidArgumentError

RESULTS_DIR = Path("results")
EXIT_DIAGNOSTICS = 4
"""Exit code of a command run with ``--strict`` whose run failed its MCMC diagnostics (after the
command has written its output)."""


# ------------------------------------------------------------------------------ terminal safety

_UNSAFE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b."  # any other escape
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]",  # controls, bidi
    re.DOTALL,
)


def clean_text(text: str) -> str:
    """``text`` without terminal control sequences or control characters (tabs and newlines
    kept): what spec files say (titles, notes, citations, file names) can never move the cursor,
    recolour, retitle or clear the user's terminal. Every printer's output passes through it
    (:class:`_CleanStream`; :func:`table` cleans its cells)."""
    return _UNSAFE.sub("", text)


class _CleanStream:
    """A text stream that passes everything written through :func:`clean_text`."""

    def __init__(self, raw):
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(clean_text(text))
        return len(text)

    def __getattr__(self, name):
        return getattr(self.raw, name)


def _raw(stream):
    return getattr(stream, "raw", stream) if isinstance(stream, _CleanStream) else stream


# ------------------------------------------------------------------------------ option checking

SEED_MAX = 2**32 - 1


def int_in(low: int, high: int | None = None):
    """An argparse type: an integer from ``low`` to ``high``, else a clean usage error (exit 2)."""

    def parse(text: str) -> int:
        allowed = (
            f"an integer from {low:,} to {high:,}" if high is not None else f"an integer >= {low:,}"
        )
        try:
            value = int(text.strip().replace("_", ""), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text[:40]!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text[:40]}")
        return value

    parse.__name__ = "integer"
    return parse


def float_in(low: float, high: float, closed: bool = False):
    """An argparse type: a finite number in (``low``, ``high``) (``closed``: [low, high])."""

    def parse(text: str) -> float:
        where = f"[{low:g}, {high:g}]" if closed else f"({low:g}, {high:g})"
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a number in {where}, got {text[:40]!r}"
            ) from None
        inside = low <= value <= high if closed else low < value < high
        if not math.isfinite(value) or not inside:
            raise argparse.ArgumentTypeError(f"must be a number in {where}, got {text[:40]}")
        return value

    parse.__name__ = "number"
    return parse


SEED = int_in(0, SEED_MAX)
DRAWS = int_in(1, 1_000_000)
TUNE = int_in(0, 1_000_000)
CHAINS = int_in(1, 64)
TOP = int_in(1, 100_000)
PROBABILITY = float_in(0.0, 1.0)
POSITIVE = float_in(0.0, math.inf)

OUTPUT_OPTIONS = {"out": "--out", "figure": "--figure"}
OUTPUT_FOLDERS = {"out_dir": "--out-dir", "figures": "--figures"}


def check_output_options(args) -> None:
    """Before any work: every output path given on the command line can be written and is none
    of the command's input files (see :func:`probmodel.io.check_output`)."""
    from probmodel import io

    inputs = [getattr(args, name, None) for name in ("run", "file", "grid_file")]
    for dest, option in OUTPUT_OPTIONS.items():
        if getattr(args, dest, None) is not None:
            io.check_output(getattr(args, dest), option, inputs)
    for dest, option in OUTPUT_FOLDERS.items():
        if getattr(args, dest, None) is not None:
            io.check_output_folder(getattr(args, dest), option)


def spec_inputs(scenario, evidence, priors_dir) -> list[Path]:
    """The spec files a run is made from (an output must never be one of them)."""
    from probmodel.specs.library import Library

    files = [Library.open(priors_dir).world_file, scenario.file]
    return [Path(f) for f in files + [r.file for r in evidence] if f]


@dataclass(frozen=True)
class Parents:
    """Parent parsers that commands share, so each option is declared once."""

    priors: argparse.ArgumentParser
    sampling: argparse.ArgumentParser
    strict: argparse.ArgumentParser
    json: argparse.ArgumentParser
    wide: argparse.ArgumentParser


def parents() -> Parents:
    """The shared parent parsers: ``--priors``, the sampler options, ``--strict``, ``--json``
    and ``--wide``."""
    priors = argparse.ArgumentParser(add_help=False)
    priors.add_argument(
        "--priors", metavar="DIR", help="spec folder (default: the repository's priors/)"
    )
    sampling = argparse.ArgumentParser(add_help=False)
    sampling.add_argument(
        "--draws", type=DRAWS, default=1000, help="posterior draws per chain (1000)"
    )
    sampling.add_argument("--tune", type=TUNE, default=1500, help="tuning steps per chain (1500)")
    sampling.add_argument("--chains", type=CHAINS, default=4, help="chains (4)")
    sampling.add_argument("--prior-draws", type=DRAWS, default=4000, help="prior draws (4000)")
    sampling.add_argument(
        "--target-accept", type=PROBABILITY, default=0.98, help="NUTS target acceptance (0.98)"
    )
    sampling.add_argument(
        "--seed", type=SEED, default=None, help="random seed (fixed default: reproducible)"
    )
    sampling.add_argument(
        "--no-evidence", action="store_true", help="prior-only model: ignore priors/evidence/"
    )
    sampling.add_argument("--quiet", action="store_true", help="no progress output")
    strict = argparse.ArgumentParser(add_help=False)
    strict.add_argument(
        "--strict", action="store_true",
        help=f"exit with code {EXIT_DIAGNOSTICS} (after writing the output) when the run fails its "
        "MCMC diagnostics (R-hat > 1.01, ESS < 400 or divergences)",
    )  # fmt: skip
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON")
    wide = argparse.ArgumentParser(add_help=False)
    wide.add_argument(
        "--wide", action="store_true",
        help="print every column of the tables, however wide (by default tables fit the "
        "terminal and say which columns they leave out)",
    )  # fmt: skip
    return Parents(priors, sampling, strict, as_json, wide)


# ------------------------------------------------------------------------------ runs and verdicts


def save_run(run, path, option: str = "--out") -> Path:
    """Save a freshly computed run to ``path`` (unless it was saved there already, by the
    worker); if that fails, keep it in a fallback file (:func:`probmodel.io.fallback_path`), say
    where, and raise an error (exit code 2)."""
    from probmodel import io

    if run.path is not None and Path(run.path) == Path(path):
        return Path(path)
    try:
        return run.save(path)
    except Exception as err:  # noqa: BLE001 - whatever failed, the fit must not be lost
        reason = f"{type(err).__name__}: {err}"
    kept = io.fallback_path(run.name)
    try:
        run.save(kept)
    except Exception:  # noqa: BLE001 - last resort: the posterior draws and meta, no pickle
        from probmodel import cache

        kept = kept.with_suffix(cache.SUFFIX)
        cache.store(kept, "unsaved-run", {"meta": run.meta,
                                          "posterior": run.tree["posterior"].to_dataset()})  # fmt: skip
    raise InvalidArgumentError(
        f"{option} {path}: could not save the run ({reason}). The fit is kept in {kept}; "
        f"copy it where you want it (e.g. `cp {kept} {path}` once the folder is writable)."
    )


def flag_diagnostics(*runs) -> dict:
    """Flag each run that failed its MCMC diagnostics with one warning line on stderr.

    Returns the short verdict for a JSON output's ``diagnostics`` field: one run's, or for several
    ``{"ok": all ok, "runs": [verdict with "run" name, ...]}``. A run's diagnostics are computed
    once (:func:`probmodel.diagnostics.run_diagnostics`).
    """
    return flag_verdicts([(run.name, run.diagnostics) for run in runs])


def flag_verdicts(named: list[tuple[str, dict]]) -> dict:
    """:func:`flag_diagnostics` for runs given as (name, diagnostics) pairs (a memoised summary
    carries its run's diagnostics; the draws need not be loaded to flag them)."""
    from probmodel.diagnostics import conflict_line, failure_line, verdict

    verdicts = []
    for name, d in named:
        if not d["ok"]:
            print(failure_line(name, d), file=sys.stderr)
        if d.get("prior_conflicts"):
            print(conflict_line(name, d), file=sys.stderr)
        verdicts.append({"run": name, **verdict(d)})
    if len(verdicts) == 1:
        return verdicts[0]
    return {
        "ok": all(v["ok"] for v in verdicts),
        "prior_conflicts": {
            k: p for v in verdicts for k, p in v.get("prior_conflicts", {}).items()
        },
        "runs": verdicts,
    }


def strict_exit(args, verdict: dict, code: int = 0) -> int:
    """The exit code of a command that has written its output: ``code``, or
    :data:`EXIT_DIAGNOSTICS` when ``--strict`` was given and ``verdict`` (from
    :func:`flag_diagnostics`) says a run failed its diagnostics or has evidence that conflicts
    with its prior predictive."""
    if code != 0 or not getattr(args, "strict", False):
        return code
    if not verdict.get("ok", True):
        print(f"error: --strict: the run failed its MCMC diagnostics; exit code {EXIT_DIAGNOSTICS}.",
              file=sys.stderr)  # fmt: skip
        return EXIT_DIAGNOSTICS
    if verdict.get("prior_conflicts"):
        print(f"error: --strict: evidence conflicts with its prior predictive "
              f"({', '.join(verdict['prior_conflicts'])}); exit code {EXIT_DIAGNOSTICS}.",
              file=sys.stderr)  # fmt: skip
        return EXIT_DIAGNOSTICS
    return code


def sampling_inputs(args):
    """The scenario, evidence records and sampler settings the arguments ask for."""
    import probmodel as pmod
    from probmodel.constants import DEFAULT_SEED
    from probmodel.run import SamplerSettings

    scenario = pmod.load_scenario(args.scenario, args.priors)
    evidence = [] if args.no_evidence else pmod.load_evidence(scenario, args.priors)
    settings = SamplerSettings(
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        prior_draws=args.prior_draws,
        target_accept=args.target_accept,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
    )
    return scenario, evidence, settings


def sample_run(args, inputs=None, save_to=None):
    """Fit the scenario the arguments ask for (through the warm worker, :mod:`probmodel.worker`),
    saying what it does and how long it took."""
    from probmodel import worker

    scenario, evidence, settings = inputs or sampling_inputs(args)
    say(
        args,
        f"sampling {scenario.name}: {args.chains} chains x {args.draws} draws (+{args.tune} tuning), "
        f"{len(evidence)} evidence records; compiling the model takes ~10 s of it (~45 s "
        "the first time on a machine) unless the sampler worker has compiled it already",
    )
    started = time.perf_counter()
    with progress_shown(args) as progress:
        run = worker.fit(
            scenario, evidence, settings, progress, lambda t: say(args, t), save_to=save_to
        )
    say(args, f"sampled in {time.perf_counter() - started:.1f} s")
    return run


# ------------------------------------------------------------------------------ printing

WIDE = False
"""``--wide``: print every column of every table, however wide (set by :func:`probmodel.cli.main`
for one command)."""
TEXT_COLUMNS = ("meaning", "title", "id", "constrains", "description", "quantity", "plan",
                "largest moves", "decided by")  # fmt: skip
"""Headers of free-text columns: left-justified, and the only cells that may wrap."""
WRAP_AT = 24
"""Narrowest a free-text column is wrapped to before optional columns are left out instead."""
NARROWEST = 12
"""Narrowest a free-text column is folded to when the essential columns do not fit otherwise."""


def terminal_width() -> int:
    """The width that tables and notes must fit: the terminal's (``COLUMNS`` if set; 80 when
    the output is not a terminal), as rich measures it."""
    from rich.console import Console

    return Console(file=_raw(sys.stdout)).width


def table(
    title: str,
    header: list[str],
    rows: list[tuple],
    keep_first: bool = False,
    optional: tuple[str, ...] = (),
    no_wrap: tuple[str, ...] = (),
    notes: dict[str, str] | None = None,
) -> None:
    """A rich table that fits the terminal.

    Numbers (right-justified) and the columns in ``no_wrap`` (units, short labels; left-justified)
    are never wrapped or cut; free text (the first column and :data:`TEXT_COLUMNS`) wraps. The headers in ``optional`` (most important first) are
    left out, least important first, until the table fits :func:`terminal_width`, and a note
    names them; with ``--wide`` (:data:`WIDE`) every column is printed at its natural width.
    ``keep_first`` keeps the first column on one line (e.g. scenario names). ``notes`` (header
    -> what the column means) become the table's caption, for the columns shown.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = _raw(sys.stdout)  # cells are clean; rich may colour the table on a terminal
    width = terminal_width()
    plain = [[clean_text(str(c)) for c in row] for row in rows]
    text = [i == 0 or h in TEXT_COLUMNS for i, h in enumerate(header)]
    fixed = [(i == 0 and keep_first) or h in no_wrap or not text[i] for i, h in enumerate(header)]
    longest = [max([len(h), *(len(r[i]) for r in plain)]) for i, h in enumerate(header)]

    def build(keep: list[int]) -> Table:
        t = Table(title=clean_text(title), title_justify="left")
        for i in keep:
            t.add_column(
                header[i],
                justify="left" if text[i] or header[i] in no_wrap else "right",
                no_wrap=fixed[i],
                overflow="fold",
                min_width=longest[i] if fixed[i] else None,
            )
        for row in plain:
            t.add_row(*(escape(row[i]) for i in keep))
        shown = [notes[header[i]] for i in keep if header[i] in (notes or {})]
        if shown:
            t.caption, t.caption_justify = clean_text("; ".join(shown)), "left"
        return t

    def needed(keep: list[int], wrap_at: int | None) -> int:
        """Width of the table with its free-text columns wrapped at ``wrap_at`` (None: not)."""
        cols = (min(longest[i], wrap_at) if wrap_at and not fixed[i] else longest[i] for i in keep)
        return sum(cols) + 3 * len(keep) + 1  # a border and two spaces of padding per column

    keep = list(range(len(header)))
    hidden: list[str] = []
    if WIDE:
        width = max(width, needed(keep, None))
    else:
        for h in reversed([h for h in optional if h in header]):
            if needed(keep, WRAP_AT) <= width:
                break
            keep.remove(header.index(h))
            hidden.insert(0, h)
        # Numbers and units are never cut: free text is folded down to NARROWEST characters, and a
        # table whose essential columns still cannot fit is printed wider than the terminal
        # (which wraps it) rather than cropped.
        width = max(width, needed(keep, NARROWEST))
    t = build(keep)
    Console(file=out, width=width).print(t)
    if hidden:
        echo(f"(left out to fit {width} columns: {', '.join(hidden)}; --wide shows them)")


PLAN_OPTIONAL = ("cost P50", "P(<=budget)", "success P10-P90", "years P50")
"""Columns of a plan table beyond cost P80, years P80 and P(>=target), most useful first."""


def echo(text: str, file=None) -> None:
    """Print prose wrapped to :func:`terminal_width` (continuation lines indented), so that no
    line of a command's output is wider than the terminal."""
    import textwrap

    width = max(terminal_width(), 20)
    lines = []
    for line in str(text).split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        lines.append(
            textwrap.fill(
                line,
                width,
                subsequent_indent=" " * (indent + 2),
                break_on_hyphens=False,
                break_long_words=False,
            )  # fmt: skip
            if len(line) > width
            else line
        )
    print("\n".join(lines), file=file or sys.stdout)


def progress_shown(args):
    """A context manager giving the progress callback of a long command: a transient rich bar
    on stderr when it is a terminal, else one line per step on stderr; nothing with ``--quiet``.
    Never on stdout, so ``--json`` output stays clean (:func:`probmodel.display.showing`)."""
    from probmodel.display import showing

    return showing(not getattr(args, "quiet", False), stream=sys.stderr)


def say(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)
