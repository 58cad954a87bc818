"""Evidence commands: ``evidence list | check | add | influence``, ``update`` and ``compare``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from probmodel.cli.common import (
    PLAN_OPTIONAL,
    Parents,
    echo,
    flag_diagnostics,
    float_in,
    progress_shown,
    save_run,
    say,
    strict_exit,
    table,
)
from probmodel.errors import InvalidArgumentError


def register(sub, p: Parents) -> None:
    """Add this module's commands to the ``probmodel`` parser."""
    s = sub.add_parser("evidence", help="evidence records")
    ev = s.add_subparsers(dest="evidence_command", metavar="SUBCOMMAND", required=True)
    e = ev.add_parser("list", parents=[p.priors, p.json, p.wide], help="list the evidence records")
    e.set_defaults(handler=cmd_evidence_list)
    e = ev.add_parser(
        "check", parents=[p.priors], help="validate a new record and show what it will constrain"
    )
    e.add_argument("file", type=Path)
    e.set_defaults(handler=cmd_evidence_check)
    e = ev.add_parser(
        "add", parents=[p.priors], help="check a record and copy it into the library"
    )
    e.add_argument("file", type=Path)
    e.add_argument("--force", action="store_true", help="replace a record with the same id")
    e.set_defaults(handler=cmd_evidence_add)
    e = ev.add_parser(
        "influence",
        parents=[p.priors, p.strict, p.json, p.wide],
        help="what each record moved, data vs prior, conflicts",
    )
    e.add_argument("run", type=Path)
    e.add_argument(
        "--exact",
        action="store_true",
        help="re-fit without each record whose importance weights are unreliable (Pareto k > 0.7)"
        " or whose estimated shift is large (>= 1 sd, which reweighting understates)",
    )
    e.set_defaults(handler=cmd_evidence_influence)

    s = sub.add_parser(
        "update", parents=[p.priors, p.strict, p.wide],
        help="add one evidence record to a saved run: PSIS reweighting when reliable, else re-sample",
        description="Add one evidence record to a saved run: PSIS reweighting when reliable "
        "(seconds), else re-sample the scenario (~10 s to 2 min on 2 shared cores, with progress on "
        "stderr).",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("file", type=Path, help="the new evidence record (.toml)")
    s.add_argument("--out", type=Path, help="results file (default: RUN-updated.nc beside RUN)")
    s.add_argument(
        "--k-threshold", type=float_in(0.0, 0.7, closed=True), default=0.7,
        help="largest Pareto k at which reweighting is trusted, at most 0.7 (PSIS is unreliable "
        "above it); above it, re-sample (0.7)",
    )  # fmt: skip
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    s.set_defaults(handler=cmd_update)

    s = sub.add_parser(
        "compare", parents=[p.priors, p.strict, p.json, p.wide],
        help="RUN_B.nc: what moved between two runs; SCENARIO...: plans side by side on RUN's "
        "posterior with paired probabilities; several .nc: runs side by side",
    )  # fmt: skip
    s.add_argument(
        "run", type=Path, help="the reference run (A) whose posterior plans are scored on"
    )
    s.add_argument(
        "others", nargs="+", help="another run file, several run files, or scenario names"
    )
    s.add_argument(
        "--figure", type=Path, help="also save the side-by-side figure (.png, .svg, .pdf)"
    )
    s.set_defaults(handler=cmd_compare)

def cmd_evidence_list(args) -> int:
    import probmodel as pmod

    records = pmod.load_evidence(priors_dir=args.priors)
    if args.json:
        print(json.dumps([r.as_record() for r in records], indent=2))
        return 0
    rows = [(r.id, r.kind, r.confidence, ", ".join(r.constrains()), r.title) for r in records]
    table(
        f"{len(records)} evidence records",
        ["id", "kind", "confidence", "constrains", "title"],
        rows,
        keep_first=True,
        optional=("confidence", "title"),
        no_wrap=("kind", "confidence"),
    )
    return 0


def cmd_evidence_check(args) -> int:
    record = checked_record(args)
    echo(f"{args.file}: a valid {record.kind} record, id {record.id!r} ({record.confidence}).")
    echo(f"  {record.title}")
    echo(f"  cites: {record.citation}")
    echo(f"  constrains: {', '.join(record.constrains())}")
    echo(record_effect_text(record, args.priors))
    return 0


def cmd_evidence_add(args) -> int:
    from probmodel import io
    from probmodel.specs.library import Library

    record = checked_record(args, allow_existing=args.force)
    target = Library.open(args.priors).root / "evidence" / f"{record.id}.toml"
    io.write_text(target, io.read_spec_text(args.file))
    echo(f"added {record.kind} record {record.id!r} as {target}; it constrains "
          f"{', '.join(record.constrains())}. Re-fit (or `probmodel update RUN {target}`) to use it.")  # fmt: skip
    return 0


def checked_record(args, allow_existing: bool = False):
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


def record_effect_text(record, priors_dir) -> str:
    """The prior 90% interval of what the record constrains, beside what the record says."""
    from probmodel import formatting as fmt
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


def cmd_evidence_influence(args) -> int:
    import probmodel as pmod
    from probmodel.analysis.evidence import exact_influence, provenance

    run = pmod.load_run(args.run)
    diagnostics = flag_diagnostics(run)
    result = provenance(run.tree, run.evidence, run.priors)
    if args.exact:
        result["influence"] = exact_influence(run, result["influence"], args.priors)
    if args.json:
        result["diagnostics"] = diagnostics
        print(json.dumps(result, indent=2, default=float))
        return strict_exit(args, diagnostics)
    print_provenance(result)
    return strict_exit(args, diagnostics)


def print_provenance(result: dict) -> None:
    from probmodel import formatting as fmt

    rows = []
    for r in result["influence"]:
        moved = "; ".join(
            f"{m['parameter']} {m['shift_sd']:+.2f} sd (width x{m['width_ratio']:.2f})"
            for m in r["moved"][:3]
        )
        k = f"{r['pareto_k']:.2f}" + ("" if r["reliable"] else " (rough)")
        rows.append((r["id"], r["kind"], f"{r['score']:.2f}", k, r.get("method", "PSIS"), moved))
    table(
        "influence: how far each record moves what it constrains (posterior sds, with vs without it)",
        ["record", "kind", "influence", "Pareto k", "method", "largest moves"],
        rows,
        optional=("Pareto k", "kind", "method"),
        no_wrap=("kind", "method"),
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
    table(
        "data vs prior: contraction = 1 - var(posterior)/var(prior); psense = prior sensitivity",
        ["parameter", "contraction", "psense (prior)", "decided by"],
        rows,
    )
    flagged = [c for c in result["conflicts"] if c["conflict"]]
    rows = [
        (c["id"], f"{c['p_value']:.3f}", "CONFLICT" if c["conflict"] else "ok", c["method"])
        for c in result["conflicts"]
    ]
    table("conflict checks (p adjusted for the records and pairs checked)",
           ["record", "p", "status", "method"], rows)  # fmt: skip
    if result.get("disagreements"):
        table(
            "studies that disagree (their values differ beyond both studies' uncertainty)",
            ["population", "study", "other study", "ratio or difference", "p"],
            [(d["population"], d["study_a"], d["study_b"], fmt.fmt_number(d["difference"]),
              f"{d['p_value']:.3f}") for d in result["disagreements"]],  # fmt: skip
        )
    for c in flagged:
        against = f" (disagrees with {', '.join(c['disagrees_with'])})" if c["disagrees_with"] else ""
        echo(f"warning: {c['id']} disagrees with the rest of the evidence{against}"
              f" (p = {c['p_value']:.3f}): {c['citation']}", file=sys.stderr)  # fmt: skip
    if not flagged:
        echo(f"no record conflicts with the rest (all p >= {result['thresholds']['conflict_p']}).")


def cmd_update(args) -> int:
    """``probmodel update RUN FILE``: add the evidence record in FILE to the saved run RUN.

    Prints what was done and why, the time taken and what moved (against the original run), and
    saves the new run to ``--out`` (default: beside RUN, with ``-updated`` added to its name).
    """
    from probmodel import worker
    from probmodel.analysis.compare import compare_runs
    from probmodel.analysis.update import update_run
    from probmodel.api import load_run
    from probmodel.constants import PARETO_K_RELIABLE
    from probmodel.io import check_output

    run_file = Path(args.run)
    out = getattr(args, "out", None) or run_file.with_name(
        f"{run_file.stem}-updated{run_file.suffix}"
    )
    check_output(out, "--out", [run_file, args.file])  # before any work
    run = load_run(run_file)
    with progress_shown(args) as progress:
        result = update_run(
            run,
            Path(args.file),
            priors_dir=getattr(args, "priors", None),
            k_threshold=getattr(args, "k_threshold", PARETO_K_RELIABLE),
            progress=progress,
            refit=lambda *a, **k: worker.fit(*a, **k, on_notice=lambda t: say(args, t)),
        )
    echo(result.message)
    echo(f"({result.method}: took {result.seconds:.1f} s)")
    comparison = compare_runs(run, result.run)
    comparison["run_a"]["file"], comparison["run_b"]["file"] = str(run_file), str(out)
    print_comparison(comparison, title=f"what moved: {run_file} -> {out}")
    echo(f"saved {save_run(result.run, out)}")

    return strict_exit(args, flag_diagnostics(run, result.run))


def cmd_compare(args) -> int:
    """``probmodel compare RUN OTHER...``.

    With one other run file: what moved from run A to run B. With scenario names: those plans
    side by side on RUN's posterior, with paired probabilities that one is cheaper, faster or
    better than another. With several run files: their outcomes side by side (paired only when
    the runs share their world draws).
    """
    from probmodel.analysis.compare import compare_run_files, compare_runs
    from probmodel.api import Library, load_run

    others = list(args.others)
    runs = [o for o in others if str(o).endswith(".nc")]
    if runs and len(runs) != len(others):
        raise InvalidArgumentError(
            f"compare {args.run} {' '.join(map(str, others))}: give either run files (.nc) or "
            "scenario names after the run, not both."
        )

    base = load_run(args.run)
    loaded = [load_run(r) for r in runs]
    diagnostics = flag_diagnostics(base, *loaded)
    if len(runs) == 1:
        result = compare_runs(base, loaded[0])
        result["run_a"]["file"], result["run_b"]["file"] = str(args.run), str(runs[0])
        if getattr(args, "json", False):
            print(json.dumps({**result, "diagnostics": diagnostics}, indent=2))
        else:
            print_comparison(result)
        return strict_exit(args, diagnostics)
    if runs:
        result = compare_run_files([base, *loaded])
    else:
        from probmodel.analysis.plans import compare_plans

        lib = Library.open(getattr(args, "priors", None))
        result = compare_plans(base, [lib.scenario(name) for name in [base.name, *others]])
    if getattr(args, "json", False):
        shown = {k: v for k, v in result.items() if k not in ("draws", "limits")}
        print(json.dumps({**shown, "diagnostics": diagnostics}, indent=2, default=float))
    else:
        print_plan_comparison(result)
    if getattr(args, "figure", None):
        from probmodel.io import write_figure
        from probmodel.report.decision_plots import plan_comparison

        fig = plan_comparison(result["draws"], result["limits"])
        echo(f"wrote {write_figure(fig, args.figure)}", file=sys.stderr)
    return strict_exit(args, diagnostics)


def print_plan_comparison(result: dict[str, Any]) -> None:
    """Print plans side by side, then the paired pairwise probabilities."""
    from probmodel import formatting as fmt

    def pct(p):
        return fmt.fmt_pct(p) if p is not None else "—"

    table(
        f"Plans side by side on the posterior of {result['run']}"
        + ("" if result["paired"] else " (runs with different world draws: not paired)"),
        ["plan", "cost P50", "cost P80", "P(<=budget)", "years P50", "years P80",
         "success P10-P90", "P(>=target)"],
        [
            (r["scenario"], fmt.fmt_usd(r["cost_p50"]), fmt.fmt_usd(r["cost_p80"]),
             pct(r["p_cost_within_budget"]), fmt.fmt_number(r["years_p50"]),
             fmt.fmt_number(r["years_p80"]),
             f"{fmt.fmt_pct(r['success_p10'])}-{fmt.fmt_pct(r['success_p90'])}",
             pct(r["p_success_at_least_target"]))
            for r in result["plans"]
        ],
        keep_first=True,
        optional=PLAN_OPTIONAL,
    )  # fmt: skip
    for outcome, block in result.get("pairwise", {}).items():
        matrix = block["p_row_beats_column"]
        names = list(matrix)
        table(
            f"P(row is {block['meaning']} than column), paired draws ({outcome})",
            ["plan", *names],
            [(a, *(pct(matrix[a].get(b)) if a != b else "—" for b in names)) for a in names],
            keep_first=True,
        )
    if not result["paired"]:
        echo("These runs do not share their world draws, so no paired probabilities are given.")


def print_comparison(result: dict[str, Any], title: str | None = None) -> None:
    """Print a :func:`compare_runs` result: the headline outcomes (always), then the rows that
    moved (:func:`probmodel.analysis.compare.shown_rows`), with its notes."""
    from probmodel.analysis.compare import HEADLINE, MIN_SHIFT, MIN_WIDTH_CHANGE, shown_rows
    from probmodel.formatting import fmt_value, unit_of

    a, b = result["run_a"], result["run_b"]
    pct = f"{100 * result['interval_mass']:.0f}%"
    title = title or f"A = {a.get('file', a['scenario'])}  ->  B = {b.get('file', b['scenario'])}"
    if result.get("headline"):
        table(
            f"{title}: headline outcomes",
            ["outcome", "A", "B", "change", "unit"],
            [
                (f"{h['name']} {h['stat']}", fmt_value(h["name"], h["value_a"], with_unit=False),
                 fmt_value(h["name"], h["value_b"], with_unit=False),
                 _fmt_change(h["relative_change"]), _short_unit(unit_of(h["name"])))
                for h in result["headline"]
            ],
            no_wrap=("unit",),
            notes={"change": "change = B / A - 1; success P20: an 80% chance of at least that"},
        )  # fmt: skip
    shown = shown_rows(result)
    if shown:
        table(
            "what else moved: medians of A and B (A -> B)",
            ["quantity", "A", "B", "shift", "unit", "width B/A", f"{pct} A", f"{pct} B"],
            [
                (r["name"], fmt_value(r["name"], r["median_a"], with_unit=False),
                 fmt_value(r["name"], r["median_b"], with_unit=False), _fmt_shift(r["shift_sd"]),
                 _short_unit(unit_of(r["name"])),
                 "—" if r["width_ratio"] is None else f"{r['width_ratio']:.2f}",
                 _fmt_interval(r["name"], r["interval_a"]),
                 _fmt_interval(r["name"], r["interval_b"]))
                for r in shown
            ],
            optional=("width B/A", f"{pct} A", f"{pct} B"),
            no_wrap=("unit",),
            notes={"shift": "shift = (median B - median A) / sd A",
                   "width B/A": f"width = {pct} equal-tailed interval width"},
        )  # fmt: skip
    hidden = len([r for r in result["rows"] if r["name"] not in HEADLINE and r not in shown])
    if hidden > 0:
        echo(
            f"{hidden} more quantities moved less than {MIN_SHIFT:g} sd with a width change under "
            f"{100 * MIN_WIDTH_CHANGE:.0f}% (--json shows every row)."
        )
    for key, label in (("evidence_added", "added"), ("evidence_removed", "removed")):
        if result[key]:
            echo(f"evidence {label}: {', '.join(result[key])}")
    for note in result["notes"]:
        echo(f"note: {note}")


def _fmt_change(change: float | None) -> str:
    if change is None:
        return "from 0"
    text = f"{100 * change:+.1f}%"
    return "0%" if text in ("+0.0%", "-0.0%") else text


def _short_unit(unit: str) -> str:
    """A unit as a table cell: fractions are shown as percentages, so they need no unit."""
    return "" if unit == "fraction" else unit


def _fmt_shift(shift: float | None) -> str:
    if shift is None:
        return "A constant"
    text = f"{shift:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text


def _fmt_interval(name: str, interval: list[float]) -> str:
    from probmodel.formatting import fmt_value

    low, high = (fmt_value(name, x, with_unit=False) for x in interval)
    return f"{low}–{high}"

