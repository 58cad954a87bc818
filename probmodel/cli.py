"""Command line: ``probmodel run | point | scenarios | sample | summary | report | update | compare |
plans | sweep | optimize | sensitivity | voi | evidence list | check | add | influence |
check prior | ppc``.

Input errors (bad spec files, unknown names, damaged results) print one clear message and exit with
code 2 (specs, names) or 3 (results files), never a traceback. Every command that reads or writes
a run flags one that failed its MCMC diagnostics (a warning line on stderr, a ``diagnostics``
field in JSON output, a banner in the report); with ``--strict`` it then exits with code 4.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

from probmodel.errors import InvalidArgumentError, ProbmodelError

RESULTS_DIR = Path("results")
EXIT_DIAGNOSTICS = 4
"""Exit code of a command run with ``--strict`` whose run failed its MCMC diagnostics (after the
command has written its output)."""
EXIT_CODES = f"""exit codes:
  0  success
  1  optimize: no plan of the grid meets every constraint
  2  bad spec file, unknown name or bad option
  3  results file missing, foreign, damaged or edited
  {EXIT_DIAGNOSTICS}  --strict and the run failed its MCMC diagnostics (R-hat > 1.01, ESS < 400,
     divergences, or an unreliable PSIS update); the output is still written
"""


def main(argv: list[str] | None = None) -> int:
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _CleanStream(stdout), _CleanStream(stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # a bad option: argparse has printed usage and the reason
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        _check_output_options(args)
        code = args.handler(args) or 0
    except ProbmodelError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was saved.", file=sys.stderr)
        return 130
    if code == 0 and getattr(args, "strict", False) and getattr(args, "diagnostics_failed", False):
        print(f"error: --strict: the run failed its MCMC diagnostics; exit code {EXIT_DIAGNOSTICS}.",
              file=sys.stderr)  # fmt: skip
        return EXIT_DIAGNOSTICS
    return code


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
    (:class:`_CleanStream`; :func:`_table` cleans its cells)."""
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


def _int_in(low: int, high: int | None = None):
    """An argparse type: an integer from ``low`` to ``high``, else a clean usage error (exit 2)."""

    def parse(text: str) -> int:
        allowed = f"an integer from {low:,} to {high:,}" if high is not None else f"an integer >= {low:,}"
        try:
            value = int(text.strip().replace("_", ""), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text[:40]!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text[:40]}")
        return value

    parse.__name__ = "integer"
    return parse


def _float_in(low: float, high: float, closed: bool = False):
    """An argparse type: a finite number in (``low``, ``high``) (``closed``: [low, high])."""

    def parse(text: str) -> float:
        where = f"[{low:g}, {high:g}]" if closed else f"({low:g}, {high:g})"
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number in {where}, got {text[:40]!r}") from None
        inside = low <= value <= high if closed else low < value < high
        if not math.isfinite(value) or not inside:
            raise argparse.ArgumentTypeError(f"must be a number in {where}, got {text[:40]}")
        return value

    parse.__name__ = "number"
    return parse


SEED = _int_in(0, SEED_MAX)
DRAWS = _int_in(1, 1_000_000)
TUNE = _int_in(0, 1_000_000)
CHAINS = _int_in(1, 64)
TOP = _int_in(1, 100_000)
PROBABILITY = _float_in(0.0, 1.0)
POSITIVE = _float_in(0.0, math.inf)

OUTPUT_OPTIONS = {"out": "--out", "figure": "--figure"}
OUTPUT_FOLDERS = {"out_dir": "--out-dir", "figures": "--figures"}


def _check_output_options(args) -> None:
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


def _spec_inputs(scenario, evidence, priors_dir) -> list[Path]:
    """The spec files a run is made from (an output must never be one of them)."""
    from probmodel.specs.library import Library

    files = [Library.open(priors_dir).world_file, scenario.file]
    return [Path(f) for f in files + [r.file for r in evidence] if f]


def save_run(run, path, option: str = "--out") -> Path:
    """Save a freshly computed run to ``path``; if that fails, keep it in a fallback file
    (:func:`probmodel.io.fallback_path`), say where, and raise an error (exit code 2)."""
    from probmodel import io

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


def flag_diagnostics(args, *runs) -> dict:
    """Flag each run that failed its MCMC diagnostics with one warning line on stderr, and mark
    ``args`` so that ``--strict`` makes :func:`main` exit with :data:`EXIT_DIAGNOSTICS`.

    Returns the short verdict for a JSON output's ``diagnostics`` field: one run's, or for several
    ``{"ok": all ok, "runs": [verdict with "run" name, ...]}``. A run's diagnostics are computed
    once (:func:`probmodel.analysis.diagnostics.run_diagnostics`).
    """
    from probmodel.analysis.diagnostics import failure_line, verdict

    verdicts = []
    for run in runs:
        d = run.diagnostics
        if not d["ok"]:
            print(failure_line(run.name, d), file=sys.stderr)
            args.diagnostics_failed = True
        verdicts.append({"run": run.name, **verdict(d)})
    if len(verdicts) == 1:
        return verdicts[0]
    return {"ok": all(v["ok"] for v in verdicts), "runs": verdicts}


def _lazy(module: str, function: str):
    """A handler that imports ``module`` only when its command runs (keeps start-up fast)."""

    def handler(args) -> int:
        import importlib

        return getattr(importlib.import_module(module), function)(args)

    return handler


def _parser() -> argparse.ArgumentParser:
    from probmodel.specs.library import DEFAULT_SCENARIO

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
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
    gated = argparse.ArgumentParser(add_help=False)
    gated.add_argument(
        "--strict", action="store_true",
        help=f"exit with code {EXIT_DIAGNOSTICS} (after writing the output) when the run fails its "
        "MCMC diagnostics (R-hat > 1.01, ESS < 400 or divergences)",
    )  # fmt: skip

    p = argparse.ArgumentParser(
        prog="probmodel",
        description="Bayesian cost, timeline and data needs of robot foundation-model data plans.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser(
        "run", parents=[common, sampling, gated],
        help="the main job: sample a scenario, print its summary, save results and write a report",
    )  # fmt: skip
    s.add_argument(
        "scenario", nargs="?", default=DEFAULT_SCENARIO, help=f"name or path ({DEFAULT_SCENARIO})"
    )
    s.add_argument("--out-dir", type=Path, default=RESULTS_DIR, help="where results go (results/)")
    s.add_argument(
        "--resample",
        action="store_true",
        help="sample even when OUT_DIR/SCENARIO.nc already holds a fit of exactly this "
        "configuration (by default it is reused: the same seed would draw it again bit for bit)",
    )
    s.set_defaults(handler=_cmd_run)

    s = sub.add_parser(
        "point", parents=[common], help="evaluate a scenario at point values (no sampling)"
    )
    s.add_argument("scenario")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(handler=_cmd_point)

    s = sub.add_parser("scenarios", parents=[common], help="list the scenarios, one line each")
    s.set_defaults(handler=_cmd_scenarios)

    s = sub.add_parser(
        "sample", parents=[common, sampling, gated], help="sample prior and posterior, save a run"
    )
    s.add_argument("scenario")
    s.add_argument("--out", type=Path, help="results file (results/SCENARIO.nc)")
    s.set_defaults(handler=_cmd_sample)

    s = sub.add_parser(
        "summary",
        parents=[common, gated],
        help="risk summary of a saved run (warns if the specs changed)",
    )
    s.add_argument("run", type=Path)
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--ci", type=PROBABILITY, default=0.9, help="credible-interval mass (0.9)")
    s.add_argument(
        "--confidence", type=PROBABILITY, default=0.8,
        help="confidence level for contingency (percentile - point estimate; 0.8)",
    )  # fmt: skip
    s.set_defaults(handler=_cmd_summary)

    s = sub.add_parser(
        "report", parents=[common, gated], help="write the HTML report of a saved run"
    )
    s.add_argument("run", type=Path)
    s.add_argument("--out", type=Path, help="report file (beside the run, .html)")
    s.set_defaults(handler=_cmd_report)

    s = sub.add_parser(
        "update", parents=[common, gated],
        help="add one evidence record to a saved run: PSIS reweighting when reliable, else re-sample",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("file", type=Path, help="the new evidence record (.toml)")
    s.add_argument("--out", type=Path, help="results file (default: RUN-updated.nc beside RUN)")
    s.add_argument(
        "--k-threshold", type=_float_in(0.0, 0.7, closed=True), default=0.7,
        help="largest Pareto k at which reweighting is trusted, at most 0.7 (PSIS is unreliable "
        "above it); above it, re-sample (0.7)",
    )  # fmt: skip
    s.set_defaults(handler=_lazy("probmodel.analysis.update", "cmd_update"))

    s = sub.add_parser(
        "compare", parents=[common, gated],
        help="RUN_B.nc: what moved between two runs; SCENARIO...: plans side by side on RUN's "
        "posterior with paired probabilities; several .nc: runs side by side",
    )  # fmt: skip
    s.add_argument(
        "run", type=Path, help="the reference run (A) whose posterior plans are scored on"
    )
    s.add_argument(
        "others", nargs="+", help="another run file, several run files, or scenario names"
    )
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument(
        "--figure", type=Path, help="also save the side-by-side figure (.png, .svg, .pdf)"
    )
    s.set_defaults(handler=_lazy("probmodel.analysis.compare", "cmd_compare"))

    s = sub.add_parser(
        "plans", parents=[common, gated],
        help="score scenarios' plans on one saved run's posterior: cost, years, success side by side",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("scenarios", nargs="*", help="scenario names (default: every scenario)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(handler=_lazy("probmodel.analysis.plans", "cmd_plans"))

    grid_help = (
        "a sweep axis NAME=SPEC: 'a,b,c', 'start:stop:num' or 'start:stop:num:log' over a plan "
        "variable (fleet_size, real_share, sites, deadline_years, ...); repeatable"
    )
    s = sub.add_parser(
        "sweep", parents=[common, gated],
        help="score a grid of plans on a saved run's posterior (no re-sampling) and save it",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("--grid", action="append", metavar="NAME=SPEC", help=grid_help)
    s.add_argument("--grid-file", type=Path, help="a TOML file with a [grid] table of axes")
    s.add_argument("--scenario", help="vary this scenario's plan (default: the run's)")
    s.add_argument("--out", type=Path, help="results file (default: RUN-sweep.nc beside RUN)")
    s.add_argument(
        "--figures", type=Path,
        help="folder for heat maps of P80 cost, P(on time) and P(success >= target) over the "
        "first two axes (the others at their middle values)",
    )  # fmt: skip
    s.set_defaults(handler=_lazy("probmodel.analysis.sweep", "cmd_sweep"))

    s = sub.add_parser(
        "optimize", parents=[common, gated],
        help="the plan of a grid that minimises a risk measure subject to chance constraints",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("--grid", action="append", metavar="NAME=SPEC", help=grid_help)
    s.add_argument("--grid-file", type=Path, help="a TOML file with a [grid] table of axes")
    s.add_argument("--scenario", help="vary this scenario's plan (default: the run's)")
    s.add_argument(
        "--minimize", default="cost_p80",
        help="risk measure: cost_p50, cost_p80, cost_p90, years_p50, years_p80 (cost_p80)",
    )  # fmt: skip
    s.add_argument(
        "--require", action="append", metavar="NAME>=LEVEL",
        help="chance constraint, e.g. on_time>=0.8, success>=0.7, within_budget>=0.8, "
        "joint>=0.7 (repeatable; default on_time>=0.8)",
    )  # fmt: skip
    s.add_argument("--seed", type=SEED, default=0, help="bootstrap seed (0)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(handler=_lazy("probmodel.analysis.optimize", "cmd_optimize"))

    s = sub.add_parser(
        "sensitivity", parents=[common, gated],
        help="which assumption drives an outcome: tornado and variance-based ranking (SALib)",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument(
        "--outcome", default="cost_total_usd", help="outcome to explain (cost_total_usd)"
    )
    s.add_argument("--scenario", help="explain this scenario's plan on the run's posterior")
    s.add_argument("--top", type=TOP, default=10, help="rows to show (10)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(handler=_lazy("probmodel.analysis.sensitivity", "cmd_sensitivity"))

    s = sub.add_parser(
        "voi", parents=[common, gated],
        help="value of information (EVPI, EVPPI per parameter, in USD) for a choice between plans",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("scenarios", nargs="+", help="the plans to choose between (scenario names)")
    s.add_argument(
        "--penalty", type=POSITIVE,
        help="USD cost of missing a plan's deadline or performance target (default: the largest "
        "budget among the plans)",
    )  # fmt: skip
    s.add_argument("--top", type=TOP, default=10, help="rows to show (10)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(handler=_lazy("probmodel.analysis.voi", "cmd_voi"))

    s = sub.add_parser("evidence", help="evidence records")
    ev = s.add_subparsers(dest="evidence_command", metavar="SUBCOMMAND", required=True)
    e = ev.add_parser("list", parents=[common], help="list the evidence records")
    e.add_argument("--json", action="store_true")
    e.set_defaults(handler=_cmd_evidence_list)
    e = ev.add_parser(
        "check", parents=[common], help="validate a new record and show what it will constrain"
    )
    e.add_argument("file", type=Path)
    e.set_defaults(handler=_cmd_evidence_check)
    e = ev.add_parser("add", parents=[common], help="check a record and copy it into the library")
    e.add_argument("file", type=Path)
    e.add_argument("--force", action="store_true", help="replace a record with the same id")
    e.set_defaults(handler=_cmd_evidence_add)
    e = ev.add_parser(
        "influence",
        parents=[common, gated],
        help="what each record moved, data vs prior, conflicts",
    )
    e.add_argument("run", type=Path)
    e.add_argument("--json", action="store_true")
    e.add_argument(
        "--exact",
        action="store_true",
        help="re-fit without each record whose importance weights are unreliable (Pareto k > 0.7)"
        " or whose estimated shift is large (>= 1 sd, which reweighting understates)",
    )
    e.set_defaults(handler=_cmd_evidence_influence)

    s = sub.add_parser(
        "check",
        help="model checks: prior and posterior predictive checks of a run, simulation-based calibration",
    )
    ck = s.add_subparsers(dest="check_command", metavar="SUBCOMMAND", required=True)
    c = ck.add_parser(
        "prior", parents=[common, gated],
        help="do the seed's point estimates fall inside the prior predictive intervals? which do "
        "not, and why",
    )  # fmt: skip
    c.add_argument("run", type=Path, help="a saved run (.nc)")
    c.add_argument("--mass", type=PROBABILITY, default=0.9, help="prior interval mass (0.9: P5-P95)")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(handler=_lazy("probmodel.analysis.checks", "cmd_check_prior"))
    c = ck.add_parser(
        "ppc", parents=[common, gated],
        help="posterior predictive check per evidence record (with prior predictive and "
        "leave-one-out conflict p-values)",
    )  # fmt: skip
    c.add_argument("run", type=Path, help="a saved run (.nc)")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(handler=_lazy("probmodel.analysis.checks", "cmd_check_ppc"))
    c = ck.add_parser(
        "sbc",
        parents=[common],
        help="simulation-based calibration of the model with its evidence (exit 1 if any "
        "parameter fails)",
        description="Simulate the evidence from prior draws, fit each simulated set, and test "
        "that every parameter's rank among its posterior draws is uniform. The default is a "
        "quick check (200 simulations, ~5 min on 2 cores); for a thorough one use e.g. "
        "--sims 1000 on more workers or a Dask cluster (--scheduler).",
    )
    c.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    c.add_argument("--sims", type=_int_in(1, 100_000), default=200, help="simulated evidence sets (200)")
    c.add_argument("--draws", type=DRAWS, default=500, help="posterior draws per chain (500)")
    c.add_argument("--tune", type=TUNE, default=500, help="tuning steps per chain (500)")
    c.add_argument("--chains", type=CHAINS, default=2, help="chains per fit (2)")
    c.add_argument("--rank-draws", type=_int_in(1, 1_000_000), default=100, help="thinned draws ranked (100)")
    c.add_argument("--target-accept", type=PROBABILITY, default=0.99, help="NUTS target (0.99)")
    c.add_argument("--seed", type=SEED, default=0, help="random seed (0)")
    c.add_argument(
        "--workers", type=_int_in(1, 4096), default=None, help="local worker processes (default: CPU count)"
    )
    c.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    c.add_argument("--out-dir", type=Path, default=Path("results"))
    c.add_argument("--no-figure", action="store_true", help="skip the rank ECDF figure")
    c.add_argument("--json", action="store_true")
    c.add_argument("--quiet", action="store_true", help="no progress output")
    c.set_defaults(handler=_lazy("probmodel.analysis.calibration", "cmd_sbc"))
    return p


# ---------------------------------------------------------------------------------------- commands


def _cmd_point(args) -> int:
    import probmodel as pmod
    from probmodel.report import formatting as fmt

    scenario = pmod.load_scenario(args.scenario, args.priors)
    table = pmod.point(scenario)
    if args.json:
        print(
            json.dumps(
                {"scenario": scenario.name, "plan": vars(scenario.plan), "outcomes": table},
                indent=2,
            )
        )
        return 0
    from probmodel.equations import OUTCOMES

    rows = [
        (k, fmt.fmt_value(k, v), OUTCOMES.get(k, f"cost component {k[5:]} [USD]"))
        for k, v in table.items()
    ]
    _table(f"{scenario.name}: point values (no sampling)", ["outcome", "value", "meaning"], rows)
    return 0


def _cmd_scenarios(args) -> int:
    import probmodel as pmod

    for scenario in pmod.list_scenarios(args.priors):
        print(f"{scenario.name:<22} {scenario.title}")
    return 0


def _cmd_sample(args) -> int:
    from probmodel import io

    inputs = _sampling_inputs(args)
    out = args.out or RESULTS_DIR / f"{inputs[0].name}.nc"
    io.check_output(out, "--out", _spec_inputs(*inputs[:2], args.priors))
    run = _sample(args, inputs)
    path = save_run(run, out)
    _print_diagnostics(run.diagnostics)
    flag_diagnostics(args, run)
    _say(args, f"saved {path}")
    return 0


def _cmd_summary(args) -> int:
    import probmodel as pmod

    run = pmod.load_run(args.run)
    flag_diagnostics(args, run)
    summary = _summary(run, args.ci, args.priors, args.confidence)
    if args.json:
        print(json.dumps(summary, indent=2, default=float))
    else:
        _print_summary(summary)
    return 0


def _cmd_report(args) -> int:
    import probmodel as pmod

    out = args.out or args.run.with_suffix(".html")
    pmod.io.check_output(out, "--out", [args.run])
    run = pmod.load_run(args.run)
    flag_diagnostics(args, run)
    print(f"wrote {pmod.write_report(run, out, priors_dir=args.priors)}")
    return 0


def _cmd_run(args) -> int:
    import probmodel as pmod

    started = time.perf_counter()
    scenario, evidence, settings = _sampling_inputs(args)
    nc = args.out_dir / f"{scenario.name}.nc"
    for path in (nc, nc.with_suffix(".html")):  # before sampling: a fit is never thrown away
        pmod.io.check_output(path, "--out-dir", _spec_inputs(scenario, evidence, args.priors))
    run = None if args.resample else pmod.api.reusable_run(nc, scenario, evidence, settings)
    kept = "reused" if run is not None else "saved"
    if run is not None:
        _say(
            args,
            f"reusing {nc}: a fit of this scenario, its priors and evidence, these sampler "
            "settings and seed, by this code (a new fit would be identical; --resample to "
            "sample anyway)",
        )
    else:
        run = _sample(args, (scenario, evidence, settings))
        save_run(run, nc, "--out-dir")
    flag_diagnostics(args, run)
    _print_summary(_summary(run, priors_dir=args.priors))
    html = pmod.write_report(run, args.out_dir / f"{run.name}.html", priors_dir=args.priors)
    print(f"\n{kept} {nc}\nwrote {html}\n(main job took {time.perf_counter() - started:.1f} s)")
    return 0


def _cmd_evidence_list(args) -> int:
    import probmodel as pmod

    records = pmod.load_evidence(priors_dir=args.priors)
    if args.json:
        print(json.dumps([r.as_record() for r in records], indent=2))
        return 0
    rows = [(r.id, r.kind, ", ".join(r.constrains()), r.confidence, r.title) for r in records]
    _table(
        f"{len(records)} evidence records",
        ["id", "kind", "constrains", "confidence", "title"],
        rows,
    )
    return 0


def _cmd_evidence_check(args) -> int:
    record = _checked_record(args)
    print(f"{args.file}: a valid {record.kind} record, id {record.id!r} ({record.confidence}).")
    print(f"  {record.title}")
    print(f"  cites: {record.citation}")
    print(f"  constrains: {', '.join(record.constrains())}")
    print(_record_effect_text(record, args.priors))
    return 0


def _cmd_evidence_add(args) -> int:
    from probmodel import io
    from probmodel.specs.library import Library

    record = _checked_record(args, allow_existing=args.force)
    target = Library.open(args.priors).root / "evidence" / f"{record.id}.toml"
    io.write_text(target, io.read_spec_text(args.file))
    print(f"added {record.kind} record {record.id!r} as {target}; it constrains "
          f"{', '.join(record.constrains())}. Re-fit (or `probmodel update RUN {target}`) to use it.")  # fmt: skip
    return 0


def _checked_record(args, allow_existing: bool = False):
    """The new record in ``args.file``, validated, and not a duplicate of a library record."""
    from probmodel.errors import SpecError, UnknownNameError
    from probmodel.specs.library import Library, read_evidence_file

    if not args.file.exists():  # anything else (a folder, a FIFO) is refused unread by io
        raise UnknownNameError(f"{args.file}: no such evidence file.")
    record, problems = read_evidence_file(args.file)
    if problems:
        raise SpecError(problems)
    library = Library.open(args.priors)
    existing = {r.id: r for r in library.evidence()}
    same_file = library.root / "evidence" / f"{record.id}.toml"
    if record.id in existing and not allow_existing and args.file.resolve() != same_file.resolve():
        raise UnknownNameError(
            f"{args.file}: id {record.id!r} is already used by {existing[record.id].file}; "
            "choose another id (the file name, or `id = ...`), or pass --force to replace it."
        )
    return record


def _record_effect_text(record, priors_dir) -> str:
    """The prior 90% interval of what the record constrains, beside what the record says."""
    from probmodel.report import formatting as fmt
    from probmodel.specs.library import Library

    priors = Library.open(priors_dir).world_priors()
    lines = []
    for name in record.constrains():
        spec = priors.get(name)
        if spec is not None and not spec.is_fixed:
            lo, hi = spec.quantiles([0.05, 0.95])
            lines.append(
                f"  prior 90% interval of {name}: {fmt.fmt_value(name, lo)} - {fmt.fmt_value(name, hi)}"
            )
    lines.append(f"  the record says: {record.says()}")
    return "\n".join(lines)


def _cmd_evidence_influence(args) -> int:
    import probmodel as pmod
    from probmodel.analysis.evidence import exact_influence, provenance

    run = pmod.load_run(args.run)
    diagnostics = flag_diagnostics(args, run)
    result = provenance(run.tree, run.evidence, run.priors)
    if args.exact:
        result["influence"] = exact_influence(run, result["influence"], args.priors)
    if args.json:
        result["diagnostics"] = diagnostics
        print(json.dumps(result, indent=2, default=float))
        return 0
    _print_provenance(result)
    return 0


def _print_provenance(result: dict) -> None:
    from probmodel.report import formatting as fmt

    rows = []
    for r in result["influence"]:
        moved = "; ".join(
            f"{m['parameter']} {m['shift_sd']:+.2f} sd (width x{m['width_ratio']:.2f})"
            for m in r["moved"][:3]
        )
        k = f"{r['pareto_k']:.2f}" + ("" if r["reliable"] else " (rough)")
        rows.append((r["id"], r["kind"], f"{r['score']:.2f}", k, r.get("method", "PSIS"), moved))
    _table(
        "influence: how far each record moves what it constrains (posterior sds, with vs without it)",
        ["record", "kind", "influence", "Pareto k", "method", "largest moves"],
        rows,
    )
    rows = [
        (
            r["parameter"],
            f"{r['contraction']:.2f}",
            fmt.fmt_number(r["prior_sensitivity"]),
            r["decided_by"],
        )  # fmt: skip
        for r in result["data_vs_prior"]
    ]
    _table(
        "data vs prior: contraction = 1 - var(posterior)/var(prior); psense = prior sensitivity",
        ["parameter", "contraction", "psense (prior)", "decided by"],
        rows,
    )
    flagged = [c for c in result["conflicts"] if c["conflict"]]
    rows = [
        (c["id"], f"{c['p_value']:.3f}", "CONFLICT" if c["conflict"] else "ok", c["method"])
        for c in result["conflicts"]
    ]
    _table("conflict checks (p adjusted for the records and pairs checked)",
           ["record", "p", "status", "method"], rows)  # fmt: skip
    if result.get("disagreements"):
        _table(
            "studies that disagree (their values differ beyond both studies' uncertainty)",
            ["population", "study", "other study", "ratio or difference", "p"],
            [(d["population"], d["study_a"], d["study_b"], fmt.fmt_number(d["difference"]),
              f"{d['p_value']:.3f}") for d in result["disagreements"]],  # fmt: skip
        )
    for c in flagged:
        against = f" (disagrees with {', '.join(c['disagrees_with'])})" if c["disagrees_with"] else ""
        print(f"warning: {c['id']} disagrees with the rest of the evidence{against}"
              f" (p = {c['p_value']:.3f}): {c['citation']}", file=sys.stderr)  # fmt: skip
    if not flagged:
        print(f"no record conflicts with the rest (all p >= {result['thresholds']['conflict_p']}).")


# ----------------------------------------------------------------------------------------- helpers


def _sampling_inputs(args):
    """The scenario, evidence records and sampler settings the arguments ask for."""
    import probmodel as pmod
    from probmodel.constants import DEFAULT_SEED
    from probmodel.fit import SamplerSettings

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


def _sample(args, inputs=None):
    from probmodel.fit import fit

    scenario, evidence, settings = inputs or _sampling_inputs(args)
    _say(
        args,
        f"sampling {scenario.name}: {args.chains} chains x {args.draws} draws (+{args.tune} tuning), "
        f"{len(evidence)} evidence records; compiling the model takes ~15 s of it",
    )
    started = time.perf_counter()
    run = fit(scenario, evidence, settings, progress=not args.quiet and sys.stderr.isatty())
    _say(args, f"sampled in {time.perf_counter() - started:.1f} s")
    return run


def _summary(run, ci: float = 0.9, priors_dir=None, confidence: float = 0.8) -> dict:
    import probmodel as pmod

    summary = pmod.summarize(run, ci_prob=ci, confidence=confidence)
    summary["stale"] = pmod.api.is_stale(run, priors_dir)
    summary["new_evidence"] = pmod.api.new_evidence(run, priors_dir)
    return summary


def _print_summary(summary: dict) -> None:
    from probmodel.report import formatting as fmt

    post = summary["posterior"]
    ci = post["credible_interval"]
    ci_label = f"{100 * ci['mass']:.0f}% {ci['kind']} CI"
    rows = []
    for name, row in post["outcomes"].items():
        f = lambda x, n=name: fmt.fmt_value(n, x, with_unit=False)  # noqa: E731
        rows.append(
            (
                name,
                f(row["mean"]),
                f(row["p10"]),
                f(row["p50"]),
                f(row["p70"]),
                f(row["p80"]),
                f(row["p90"]),
                f(row["es_p90"]),
                f"{f(row['ci_low'])} - {f(row['ci_high'])}",
                f(row.get("point")),
                f(row.get("contingency")),
            )
        )
    _table(
        f"{summary['scenario']}: {summary['title']} (posterior, {post['n_draws']} draws)",
        [
            "outcome",
            "mean",
            "P10",
            "P50",
            "P70",
            "P80",
            "P90",
            "mean beyond P90",
            ci_label,
            "point",
            f"contingency (P{round(100 * post['contingency_confidence'])}-point)",
        ],
        rows,
    )
    risk = post["risk"]
    prior_risk = summary["prior"]["risk"]
    if risk["budget_usd"]:
        print(
            f"P(cost > budget {fmt.fmt_usd(risk['budget_usd'])}) = {fmt.fmt_pct(risk['p_cost_over_budget'])}"
            f"   (prior: {fmt.fmt_pct(prior_risk['p_cost_over_budget'])})"
        )
    if risk.get("p_years_over_deadline") is not None:
        print(
            f"P(years > deadline {risk['deadline_years']:g}) = {fmt.fmt_pct(risk['p_years_over_deadline'])}"
            f"   (prior: {fmt.fmt_pct(prior_risk['p_years_over_deadline'])})"
        )
    if risk.get("p_cost_and_years_within") is not None:
        print(
            f"joint confidence P(cost <= {fmt.fmt_usd(risk['budget_usd'])} and years <= "
            f"{risk['deadline_years']:g}) = {fmt.fmt_pct(risk['p_cost_and_years_within'])}"
        )
    if risk.get("deadline_years"):
        for level in (70, 80):
            budget = risk.get(f"jcl{level}_budget_usd")
            text = fmt.fmt_usd(budget) if budget is not None else "not reachable at any budget"
            print(f"budget for {level}% joint confidence of finishing by the deadline: {text}")
    if risk.get("p_cost_within_and_success_at_least_target") is not None:
        print(
            f"P(cost <= budget and success >= target) = "
            f"{fmt.fmt_pct(risk['p_cost_within_and_success_at_least_target'])}"
        )
    if risk.get("p_success_at_least_target") is not None:
        print(
            f"P(success rate >= target {fmt.fmt_share(risk['performance_target'])}) = "
            f"{fmt.fmt_pct(risk['p_success_at_least_target'])}"
            f"   (prior: {fmt.fmt_pct(prior_risk['p_success_at_least_target'])})"
        )
    if risk.get("note"):
        print(risk["note"])
    if summary.get("judgement"):
        _print_judgement(summary["judgement"])
    if summary.get("checks"):
        from probmodel.analysis.checks import checks_line

        print(checks_line(summary["checks"]))
    _print_diagnostics(summary["diagnostics"])
    if summary.get("new_evidence"):
        print(
            f"note: {len(summary['new_evidence'])} evidence record(s) in the library are not in "
            f"this run ({', '.join(summary['new_evidence'])}); `probmodel update RUN FILE` adds one.",
            file=sys.stderr,
        )
    if summary.get("stale"):
        print(
            "warning: the scenario, priors or evidence files changed since this run was sampled; "
            f"re-run `probmodel sample {summary['scenario']}` for current results.",
            file=sys.stderr,
        )


def _print_judgement(j: dict) -> None:
    """One line per headline outcome: the share of its variance decided by judgement."""
    for outcome, row in j["outcomes"].items():
        drivers = ", ".join(f"{n} {100 * v:.0f}%" for n, v in list(row["drivers"].items())[:4])
        scale = " (log scale)" if row["scale"] == "log" else ""
        print(f"{outcome}{scale}: decided by judgement {100 * row['share']:.0f}%"
              + (f" ({drivers})" if drivers else ""))  # fmt: skip
    print(f"informed by records (contraction >= {j['threshold']:g} on the log/logit scale): "
          f"{len(j['informed'])} of {len(j['informed']) + len(j['judgement'])} world parameters")


def _print_diagnostics(d: dict) -> None:
    verdict = "ok" if d["ok"] else "PROBLEMS"
    print(
        f"diagnostics: {verdict}: max R-hat {d['max_r_hat']:.4f} (<= {d['thresholds']['r_hat_max']}), "
        f"min bulk ESS {d['min_ess_bulk']:.0f}, min tail ESS {d['min_ess_tail']:.0f} "
        f"(>= {d['thresholds']['ess_min']}), divergences {d['divergences']}"
    )
    for problem in d["problems"]:
        print(f"warning: {problem}", file=sys.stderr)


def _table(title: str, header: list[str], rows: list[tuple], keep_first: bool = False) -> None:
    """A rich table; ``keep_first`` keeps the first column on one line (e.g. scenario names)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, h in enumerate(header):
        table.add_column(
            h,
            justify="left" if i == 0 or h in ("meaning", "title", "id") else "right",
            no_wrap=i == 0 and keep_first,
        )
    for row in rows:
        table.add_row(*(escape(clean_text(str(c))) for c in row))
    table.title = clean_text(title)
    out = _raw(sys.stdout)  # cells are clean; rich may colour the table on a terminal
    Console(file=out, width=max(150, Console(file=out).width)).print(table)


def _say(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
