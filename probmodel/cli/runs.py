"""Commands on one scenario or one run: ``run`` (the main job), ``point``, ``scenarios``,
``sample``, ``summary`` and ``report``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from probmodel.cli.common import (
    PROBABILITY,
    RESULTS_DIR,
    Parents,
    echo,
    flag_diagnostics,
    flag_verdicts,
    progress_shown,
    sample_run,
    sampling_inputs,
    save_run,
    say,
    spec_inputs,
    strict_exit,
    table,
)
from probmodel.errors import InvalidArgumentError


def register(sub, p: Parents) -> None:
    """Add this module's commands to the ``probmodel`` parser."""
    from probmodel.constants import DEFAULT_SCENARIO

    s = sub.add_parser(
        "run", parents=[p.priors, p.sampling, p.strict, p.wide],
        help="the main job: sample a scenario, print its summary, save results and write a report",
        description="The main job: sample a scenario (~40 s on 2 shared cores the first time, "
        "~10 s of it compiling, ~90 s while PyTensor's disk cache is empty; ~10 s when the sampler worker has compiled it already; reused "
        "when the same fit is saved), print its summary, save the run and "
        "write its HTML report (~10-15 s). Progress on stderr.",
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
    s.set_defaults(handler=cmd_run)

    s = sub.add_parser(
        "point", parents=[p.priors, p.json, p.wide], help="evaluate a scenario at point values (no sampling)"
    )
    s.add_argument("scenario")
    s.set_defaults(handler=cmd_point)

    s = sub.add_parser("scenarios", parents=[p.priors], help="list the scenarios, one line each")
    s.set_defaults(handler=cmd_scenarios)

    s = sub.add_parser(
        "sample", parents=[p.priors, p.sampling, p.strict, p.wide],
        help="sample prior and posterior, save a run",
        description="Sample prior and posterior of a scenario and save the run (~30 s on 2 "
        "shared cores with the default settings the first time, ~10 s of it compiling, ~45 s "
        "while PyTensor's disk cache is empty; ~10 s when the sampler worker has compiled it already). Progress on stderr.",
    )  # fmt: skip
    s.add_argument("scenario")
    s.add_argument("--out", type=Path, help="results file (results/SCENARIO.nc)")
    s.set_defaults(handler=cmd_sample)

    s = sub.add_parser(
        "summary",
        parents=[p.priors, p.strict, p.json, p.wide],
        help="risk summary of a saved run (warns if the specs changed)",
    )
    s.add_argument("run", type=Path)
    s.add_argument("--ci", type=PROBABILITY, default=0.9, help="credible-interval mass (0.9)")
    s.add_argument(
        "--confidence", type=PROBABILITY, default=0.8,
        help="confidence level for contingency (percentile - point estimate; 0.8)",
    )  # fmt: skip
    s.add_argument(
        "--csv", type=Path, metavar="FILE",
        help="also write the outcome table (every column, raw numbers in the outcome's unit) as "
        "CSV to FILE; refuses an existing FILE unless --force",
    )  # fmt: skip
    s.add_argument("--force", action="store_true", help="let --csv replace an existing file")
    s.set_defaults(handler=cmd_summary)

    s = sub.add_parser(
        "report", parents=[p.priors, p.strict, p.wide], help="write the HTML report of a saved run",
        description="Write the self-contained HTML report of a saved run: ~30-50 s on 2 shared "
        "cores for a new one, less with its decision analysis memoised, instant when nothing "
        "changed. Progress on stderr.",
    )
    s.add_argument("run", type=Path)
    s.add_argument("--out", type=Path, help="report file (beside the run, .html)")
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    s.set_defaults(handler=cmd_report)


def cmd_point(args) -> int:
    import probmodel as pmod
    from probmodel import formatting as fmt

    scenario = pmod.load_scenario(args.scenario, args.priors)
    values = pmod.point(scenario)
    if args.json:
        print(
            json.dumps(
                {"scenario": scenario.name, "plan": vars(scenario.plan), "outcomes": values},
                indent=2,
            )
        )
        return 0
    from probmodel.equations import OUTCOMES

    rows = []
    for k, v in values.items():
        unit = fmt.unit_of(k)
        meaning = OUTCOMES.get(k, f"cost component {k[5:]} [USD]").removesuffix(f" [{unit}]")
        shown = "USD" if unit.startswith("USD") else "" if unit == "fraction" else unit
        rows.append((k, fmt.fmt_value(k, v, with_unit=False), shown, meaning))
    table(
        f"{scenario.name}: point values (no sampling)",
        ["outcome", "value", "unit", "meaning"],
        rows,
        optional=("meaning",),
        no_wrap=("unit",),
    )
    return 0


def cmd_scenarios(args) -> int:
    import probmodel as pmod

    for scenario in pmod.list_scenarios(args.priors):
        print(f"{scenario.name:<22} {scenario.title}")  # one line each, whatever the width
    return 0


def cmd_sample(args) -> int:
    from probmodel import io

    inputs = sampling_inputs(args)
    out = args.out or RESULTS_DIR / f"{inputs[0].name}.nc"
    io.check_output(out, "--out", spec_inputs(*inputs[:2], args.priors))
    run = sample_run(args, inputs, save_to=out)
    path = save_run(run, out)
    print_diagnostics(run.diagnostics)
    verdict = flag_diagnostics(run)
    say(args, f"saved {path}")
    return strict_exit(args, verdict)


def cmd_summary(args) -> int:
    import probmodel as pmod

    if args.csv is not None:  # before any work
        pmod.io.check_output(args.csv, "--csv", [args.run])
        if args.csv.exists() and not args.force:
            raise InvalidArgumentError(
                f"--csv {args.csv}: the file exists; pass --force to replace it, or choose "
                "another name."
            )
    summary = summary_of(args.run, args.ci, args.priors, args.confidence)
    verdict = flag_verdicts([(summary["scenario"], summary["diagnostics"])])
    if args.json:
        print(json.dumps(summary, indent=2, default=float))
    else:
        print_summary(summary)
    if args.csv is not None:
        path = pmod.io.write_text(args.csv, summary_csv(summary))
        echo(f"wrote {path}", file=sys.stderr)
    return strict_exit(args, verdict)


CSV_COLUMNS = ("mean", "sd", "p10", "p50", "p70", "p80", "p90", "mean_worst_10pct", "ci_low",
               "ci_high", "point", "contingency")  # fmt: skip


def summary_csv(summary: dict) -> str:
    """The summary's outcome table as CSV: one row per outcome with its unit, the direction
    that is better, and raw numbers (no rounding, no $ or %) in that unit; empty where a
    statistic does not apply (a contingency for success, a point for a missing point group)."""
    import csv
    import io as text_io

    from probmodel.equations import higher_is_better, unit

    post = summary["posterior"]
    buffer = text_io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scenario", "group", "outcome", "unit", "better", *CSV_COLUMNS,
                     "ci_mass", "contingency_confidence"])  # fmt: skip
    for name, row in post["outcomes"].items():
        writer.writerow(
            [summary["scenario"], post.get("group", "posterior"), name, unit(name),
             "higher" if higher_is_better(name) else "lower",
             *(repr(float(row[c])) if row.get(c) is not None else "" for c in CSV_COLUMNS),
             post["credible_interval"]["mass"], post["contingency_confidence"]]
        )  # fmt: skip
    return buffer.getvalue()


def cmd_report(args) -> int:
    import probmodel as pmod

    out = args.out or args.run.with_suffix(".html")
    pmod.io.check_output(out, "--out", [args.run])
    run = pmod.load_run(args.run)
    verdict = flag_diagnostics(run)
    with progress_shown(args) as progress:
        html = pmod.write_report(
            run, out, priors_dir=args.priors, on_notice=_report_notice, progress=progress
        )
    echo(f"wrote {html}")
    return strict_exit(args, verdict)


def cmd_run(args) -> int:
    import probmodel as pmod

    started = time.perf_counter()
    scenario, evidence, settings = sampling_inputs(args)
    nc = args.out_dir / f"{scenario.name}.nc"
    for path in (nc, nc.with_suffix(".html")):  # before sampling: a fit is never thrown away
        pmod.io.check_output(path, "--out-dir", spec_inputs(scenario, evidence, args.priors))
    run = None if args.resample else pmod.api.reusable_run(nc, scenario, evidence, settings)
    kept = "reused" if run is not None else "saved"
    if run is not None:
        say(
            args,
            f"reusing {nc}: a fit of this scenario, its priors and evidence, these sampler "
            "settings and seed, by this code (a new fit would be identical; --resample to "
            "sample anyway)",
        )
    else:
        run = sample_run(args, (scenario, evidence, settings), save_to=nc)
        save_run(run, nc, "--out-dir")
    verdict = flag_diagnostics(run)
    print_summary(summary_of(nc, priors_dir=args.priors, run=run))
    with progress_shown(args) as progress:
        html = pmod.write_report(
            run, args.out_dir / f"{run.name}.html", priors_dir=args.priors,
            on_notice=_report_notice, progress=progress,
        )  # fmt: skip
    echo(f"\n{kept} {nc}\nwrote {html}\n(main job took {time.perf_counter() - started:.1f} s)")
    return strict_exit(args, verdict)


def summary_of(path, ci: float = 0.9, priors_dir=None, confidence: float = 0.8, run=None) -> dict:
    """The summary of the run saved at ``path`` (memoised beside it), with whether the spec files
    have moved on since (stale, new evidence): those are asked of the files every time."""
    import probmodel as pmod

    summary = pmod.api.summarize_saved(path, ci_prob=ci, confidence=confidence, run=run)
    config = run if run is not None else pmod.api.RunConfig.read(path)
    summary["stale"] = pmod.api.is_stale(config, priors_dir)
    summary["new_evidence"] = pmod.api.new_evidence(config, priors_dir)
    return summary


SUMMARY_OPTIONAL = ("mean of worst 10%", "contingency", "mean", "P70", "90% CI")
"""Summary columns beyond P10/P50/P80/P90 and the point, most useful first: shown when the
terminal is wide enough (or with ``--wide``)."""


def print_summary(summary: dict) -> None:
    from probmodel import formatting as fmt

    post = summary["posterior"]
    ci = post["credible_interval"]
    level = round(100 * post["contingency_confidence"])
    ci_label = f"{100 * ci['mass']:.0f}% CI"
    rows = []
    for name, row in post["outcomes"].items():
        f = lambda x, n=name: fmt.fmt_value(n, x, with_unit=False)  # noqa: E731
        contingency = row.get("contingency")
        if contingency is None:
            reserve = "—"
        elif contingency <= 0:
            reserve = "none"  # the point estimate already lies at or above the percentile
        else:
            reserve = f(contingency)
        rows.append(
            (
                name,
                f(row["mean"]),
                f(row["p10"]),
                f(row["p50"]),
                f(row["p70"]),
                f(row["p80"]),
                f(row["p90"]),
                f(row["mean_worst_10pct"]),
                f"{f(row['ci_low'])} - {f(row['ci_high'])}",
                f(row.get("point")),
                reserve,
            )
        )
    header = ["outcome", "mean", "P10", "P50", "P70", "P80", "P90", "mean of worst 10%",
              ci_label, "point", "contingency"]  # fmt: skip
    optional = tuple(ci_label if h == "90% CI" else h for h in SUMMARY_OPTIONAL)
    table(
        f"{summary['scenario']}: {summary['title']} (posterior, {post['n_draws']} draws)",
        header,
        rows,
        optional=optional,
        notes={
            "mean of worst 10%": "worst 10% = the highest draws where less is better (cost, "
            "years), the lowest where more is better (success)",
            "contingency": f"contingency (costs and years) = P{level} - point, 'none' when the "
            f"point is already above P{level}",
            ci_label: f"CI {ci['kind']}",
        },
    )
    risk = post["risk"]
    prior_risk = summary["prior"]["risk"]
    if risk.get("p_cost_within_budget") is not None:
        echo(
            f"P(cost <= budget {fmt.fmt_usd(risk['budget_usd'])}) = "
            f"{fmt.fmt_pct(risk['p_cost_within_budget'])}"
            f"   (prior: {fmt.fmt_pct(prior_risk['p_cost_within_budget'])})"
        )
    if risk.get("p_on_time") is not None:
        echo(
            f"P(years <= deadline {risk['deadline_years']:g}) = {fmt.fmt_pct(risk['p_on_time'])}"
            f"   (prior: {fmt.fmt_pct(prior_risk['p_on_time'])})"
        )
    if risk.get("p_cost_and_years_within") is not None:
        echo(
            f"joint confidence P(cost <= {fmt.fmt_usd(risk['budget_usd'])} and years <= "
            f"{risk['deadline_years']:g}) = {fmt.fmt_pct(risk['p_cost_and_years_within'])}"
        )
    if risk.get("deadline_years"):
        for level in (70, 80):
            budget = risk.get(f"jcl{level}_budget_usd")
            text = fmt.fmt_usd(budget) if budget is not None else "not reachable at any budget"
            echo(f"budget for {level}% joint confidence of finishing by the deadline: {text}")
    if risk.get("p_cost_within_and_success_at_least_target") is not None:
        echo(
            f"P(cost <= budget and success >= target) = "
            f"{fmt.fmt_pct(risk['p_cost_within_and_success_at_least_target'])}"
        )
    if risk.get("p_success_at_least_target") is not None:
        echo(
            f"P(success rate >= target {fmt.fmt_share(risk['performance_target'])}) = "
            f"{fmt.fmt_pct(risk['p_success_at_least_target'])}"
            f"   (prior: {fmt.fmt_pct(prior_risk['p_success_at_least_target'])})"
        )
    if risk.get("note"):
        echo(risk["note"])
    if summary.get("judgement"):
        print_judgement(summary["judgement"])
    if summary.get("checks"):
        echo(checks_line(summary["checks"]))
    print_diagnostics(summary["diagnostics"])
    if summary.get("new_evidence"):
        echo(
            f"note: {len(summary['new_evidence'])} evidence record(s) in the library are not in "
            f"this run ({', '.join(summary['new_evidence'])}); `probmodel update RUN FILE` adds one.",
            file=sys.stderr,
        )
    if summary.get("stale"):
        echo(
            "warning: the scenario, priors or evidence files changed since this run was sampled; "
            f"re-run `probmodel sample {summary['scenario']}` for current results.",
            file=sys.stderr,
        )


def checks_line(checks: dict) -> str:
    """The summary's one line on the model checks."""
    parts = []
    prior = checks.get("prior_predictive")
    if prior is not None:
        names = f" ({', '.join(prior['outside'])})" if prior["outside"] else ""
        parts.append(
            f"{prior['n_outside']} of {prior['n_outcomes']} point estimates outside the prior "
            f"{prior['mass']:.0%} interval{names}"
        )
    ppc = checks.get("ppc")
    if ppc is not None:
        ids = f" ({', '.join(ppc['tail'])})" if ppc["tail"] else ""
        parts.append(
            f"{ppc['n_tail']} of {ppc['n_records']} evidence records in the posterior predictive "
            f"tail (p < {ppc['tail_p']}){ids}"
        )
    if not parts:
        return "model checks: not available (the run has no prior draws or evidence)."
    return "model checks: " + "; ".join(parts) + ". Details: probmodel check prior|ppc RUN."


def print_judgement(j: dict) -> None:
    """One line per headline outcome: the share of its variance decided by judgement."""
    for outcome, row in j["outcomes"].items():
        drivers = ", ".join(f"{n} {100 * v:.0f}%" for n, v in list(row["drivers"].items())[:4])
        scale = " (log scale)" if row["scale"] == "log" else ""
        echo(f"{outcome}{scale}: decided by judgement {100 * row['share']:.0f}%"
              + (f" ({drivers})" if drivers else ""))  # fmt: skip
    echo(f"informed by records (contraction >= {j['threshold']:g} on the log/logit scale): "
          f"{len(j['informed'])} of {len(j['informed']) + len(j['judgement'])} world parameters")


def print_diagnostics(d: dict) -> None:
    verdict = "ok" if d["ok"] else "PROBLEMS"
    echo(
        f"diagnostics: {verdict}: max R-hat {d['max_r_hat']:.4f} (<= {d['thresholds']['r_hat_max']}), "
        f"min bulk ESS {d['min_ess_bulk']:.0f}, min tail ESS {d['min_ess_tail']:.0f} "
        f"(>= {d['thresholds']['ess_min']}), divergences {d['divergences']}"
    )
    for problem in d["problems"]:
        echo(f"warning: {problem}", file=sys.stderr)


def _report_notice(message: str) -> None:
    """A part of the report that could not be built, said on stderr as well as in the report."""
    echo(f"warning: report: {message}", file=sys.stderr)  # stderr is cleaned (common.clean_text)
