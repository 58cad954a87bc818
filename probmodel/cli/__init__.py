"""Command line: ``probmodel run | point | scenarios | sample | summary | report | update | compare |
plans | sweep | optimize | sensitivity | voi | evidence list | check | add | influence |
check prior | ppc | sbc | explore``.

Every command lives in one module of this package and registers itself with ``register(sub,
parents)``; a handler takes the parsed arguments and returns its exit code. Input errors (bad spec
files, unknown names, damaged results) print one clear message and exit with code 2 (specs, names)
or 3 (results files), never a traceback. Every command that reads or writes a run flags one that
failed its MCMC diagnostics (a warning line on stderr, a ``diagnostics`` field in JSON output, a
banner in the report); with ``--strict`` it then exits with code 4.
"""

from __future__ import annotations

import argparse
import sys

from probmodel.cli import checks, evidence, explore, plans, runs, sensitivity
from probmodel.cli.common import (
    EXIT_DIAGNOSTICS,
    RESULTS_DIR,  # noqa: F401 - re-exported for scripts and tests
    _CleanStream,
    check_output_options,
    clean_text,  # noqa: F401 - re-exported for scripts and tests
    parents,
)
from probmodel.errors import ProbmodelError

COMMAND_MODULES = (runs, evidence, plans, sensitivity, checks, explore)
"""Where each command lives; a new command is a function and a ``register`` entry in one."""

EXIT_CODES = f"""exit codes:
  0  success
  1  optimize: no plan of the grid meets every constraint; check sbc: a parameter failed
  2  bad spec file, unknown name or bad option
  3  results file missing, foreign, damaged or edited
  {EXIT_DIAGNOSTICS}  --strict and the run failed its MCMC diagnostics (R-hat > 1.01, ESS < 400,
     divergences, or an unreliable PSIS update); the output is still written
"""


def main(argv: list[str] | None = None) -> int:
    """Run ``probmodel`` with ``argv`` (default: the process's arguments); returns the exit code."""
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _CleanStream(stdout), _CleanStream(stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def build_parser() -> argparse.ArgumentParser:
    """The ``probmodel`` parser, with every module's commands registered."""
    parser = argparse.ArgumentParser(
        prog="probmodel",
        description="Bayesian cost, timeline and data needs of robot foundation-model data plans.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"probmodel {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    shared = parents()
    for module in COMMAND_MODULES:
        module.register(sub, shared)
    return parser


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # a bad option: argparse has printed usage and the reason
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from probmodel.cli import common

    common.WIDE = bool(getattr(args, "wide", False))
    try:
        check_output_options(args)
        return args.handler(args)
    except ProbmodelError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was saved.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `probmodel summary RUN | head`: the reader has all it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())  # no error at exit
        return 0
    finally:
        common.WIDE = False


def _version() -> str:
    """The package's version: the one every saved run records (``probmodel.__version__``)."""
    from probmodel import __version__

    return __version__
