"""Model checks: ``check prior | ppc | sbc``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from probmodel.cli.common import (
    CHAINS,
    DRAWS,
    PROBABILITY,
    SEED,
    TUNE,
    Parents,
    echo,
    flag_diagnostics,
    int_in,
    progress_shown,
    strict_exit,
    table,
)


def register(sub, p: Parents) -> None:
    """Add this module's commands to the ``probmodel`` parser."""
    from probmodel.constants import DEFAULT_SCENARIO

    s = sub.add_parser(
        "check",
        help="model checks: prior and posterior predictive checks of a run, simulation-based calibration",
    )
    ck = s.add_subparsers(dest="check_command", metavar="SUBCOMMAND", required=True)
    c = ck.add_parser(
        "prior", parents=[p.priors, p.strict, p.json, p.wide],
        help="do the seed's point estimates fall inside the prior predictive intervals? which do "
        "not, and why",
    )  # fmt: skip
    c.add_argument("run", type=Path, help="a saved run (.nc)")
    c.add_argument(
        "--mass", type=PROBABILITY, default=0.9, help="prior interval mass (0.9: P5-P95)"
    )
    c.set_defaults(handler=cmd_check_prior)
    c = ck.add_parser(
        "ppc", parents=[p.priors, p.strict, p.json, p.wide],
        help="posterior predictive check per evidence record (with prior predictive and "
        "leave-one-out conflict p-values)",
    )  # fmt: skip
    c.add_argument("run", type=Path, help="a saved run (.nc)")
    c.set_defaults(handler=cmd_check_ppc)
    c = ck.add_parser(
        "sbc",
        parents=[p.priors, p.json, p.wide],
        help="simulation-based calibration of the model with its evidence (exit 1 if any "
        "parameter fails)",
        description="Simulate the evidence from prior draws, fit each simulated set, and test "
        "that every parameter's rank among its posterior draws is uniform. The default is a "
        "quick check (200 simulations, ~5 min on 2 cores); for a thorough one use e.g. "
        "--sims 1000 on more workers or a Dask cluster (--scheduler).",
    )
    c.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    c.add_argument(
        "--sims", type=int_in(1, 100_000), default=200, help="simulated evidence sets (200)"
    )
    c.add_argument("--draws", type=DRAWS, default=500, help="posterior draws per chain (500)")
    c.add_argument("--tune", type=TUNE, default=500, help="tuning steps per chain (500)")
    c.add_argument("--chains", type=CHAINS, default=2, help="chains per fit (2)")
    c.add_argument(
        "--rank-draws", type=int_in(1, 1_000_000), default=100, help="thinned draws ranked (100)"
    )
    c.add_argument("--target-accept", type=PROBABILITY, default=0.99, help="NUTS target (0.99)")
    c.add_argument("--seed", type=SEED, default=0, help="random seed (0)")
    c.add_argument(
        "--workers", type=int_in(1, 4096), default=None,
        help="local worker processes (default: CPU count)",
    )  # fmt: skip
    c.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    c.add_argument("--out-dir", type=Path, default=Path("results"))
    c.add_argument("--no-figure", action="store_true", help="skip the rank ECDF figure")
    c.add_argument("--quiet", action="store_true", help="no progress output")
    c.set_defaults(handler=cmd_sbc)

def cmd_check_prior(args) -> int:
    """``probmodel check prior RUN [--mass 0.9] [--json]``."""
    import probmodel as pmod
    from probmodel import formatting as fmt
    from probmodel.analysis.checks import prior_predictive_check

    run = pmod.load_run(args.run)
    diagnostics = flag_diagnostics(run)
    result = prior_predictive_check(run, args.mass)
    if args.json:
        print(json.dumps({"run": run.name, **result, "diagnostics": diagnostics}, indent=2))
        return strict_exit(args, diagnostics)
    lo, hi = f"P{round(50 * (1 - args.mass))}", f"P{round(50 * (1 + args.mass))}"
    rows = [
        (
            r["outcome"],
            fmt.unit_of(r["outcome"]),
            *(fmt.fmt_value(r["outcome"], r[k], with_unit=False) for k in ("point", "low", "high")),
            "constant" if r["constant"] else fmt.fmt_share(r["percentile"]),
            "yes" if r["inside"] else f"NO ({r['side']})",
        )
        for r in result["outcomes"]
    ]
    table(
        f"{run.name}: point estimates (seed arithmetic) against the prior predictive "
        f"{args.mass:.0%} interval ({result['n_draws']:,} prior draws)",
        ["outcome", "unit", "point", lo, hi, "prior percentile", "inside"],
        rows,
        keep_first=True,
        optional=("unit", "prior percentile"),
        no_wrap=("unit", "inside"),
    )
    for r in result["outcomes"]:
        if not r["inside"]:
            echo(f"{r['outcome']}: {r['reason']}")
    if result["tail_parameters"]:
        shown = ", ".join(
            f"{t['parameter']} ({fmt.fmt_share(t['percentile'])})"
            for t in result["tail_parameters"]
        )
        echo(
            f"point values outside their own prior's {args.mass:.0%} interval (prior percentile): "
            f"{shown}"
        )
    echo(
        f"{result['n_outside']} of {len(result['outcomes'])} point estimates fall outside the prior "
        f"{args.mass:.0%} interval."
    )
    return strict_exit(args, diagnostics)


def cmd_check_ppc(args) -> int:
    """``probmodel check ppc RUN [--json]``."""
    import probmodel as pmod
    from probmodel.analysis.checks import TAIL_P, posterior_predictive_check
    from probmodel.analysis.evidence import conflicts

    run = pmod.load_run(args.run)
    diagnostics = flag_diagnostics(run)
    rows = posterior_predictive_check(run.tree, run.evidence, conflicts(run.tree, run.evidence))
    if args.json:
        print(json.dumps({"run": run.name, "tail_p": TAIL_P, "records": rows,
                          "diagnostics": diagnostics}, indent=2))  # fmt: skip
        return strict_exit(args, diagnostics)
    if not rows:
        echo(f"run {run.name!r} has no evidence records (or no posterior predictive draws).")
        return strict_exit(args, diagnostics)

    def p(x):
        return "—" if x is None else f"{x:.3f}"

    table(
        f"{run.name}: posterior predictive check per evidence record (tail: p < {TAIL_P})",
        ["record", "kind", "entries", "statistic", "PIT min-max", "PPC p", "verdict",
         "prior pred. p", "LOO conflict p"],
        [
            (r["id"], r["kind"], r["n_entries"], r["statistic"],
             f"{r['min_pit']:.2f}-{r['max_pit']:.2f}", p(r["p_value"]), r["verdict"],
             p(r["prior_p_value"]), p(r["conflict_p_value"]))
            for r in rows
        ],
        keep_first=True,
        optional=("LOO conflict p", "prior pred. p", "kind", "statistic", "PIT min-max", "entries"),
        no_wrap=("kind", "statistic", "verdict"),
    )  # fmt: skip
    tail = [r for r in rows if r["tail"]]
    for r in tail:
        echo(
            f"warning: the fitted model does not reproduce {r['id']} (PPC p = {r['p_value']:.3f}): "
            f"{r['citation']}",
            file=sys.stderr,
        )
    echo(
        f"{len(tail)} of {len(rows)} records in the posterior predictive tail. PPC p: the record "
        "against the fit that includes it (misfit); prior pred. p: against the priors alone; "
        "LOO conflict p: against the rest of the evidence (probmodel evidence influence)."
    )
    return strict_exit(args, diagnostics)


def cmd_sbc(args) -> int:
    """``probmodel check sbc [SCENARIO] [--sims N] [--workers N | --scheduler ADDRESS] ...``."""
    from dataclasses import asdict

    from probmodel import __version__, io
    from probmodel.analysis.calibration import SBCSettings, plot_ranks, sbc, summary
    from probmodel.specs.library import Library

    library = Library.open(getattr(args, "priors", None))
    scenario = library.scenario(args.scenario)
    records = library.evidence()
    settings = SBCSettings(
        n_sims=args.sims, draws=args.draws, tune=args.tune, chains=args.chains,
        rank_draws=args.rank_draws, target_accept=args.target_accept, seed=args.seed,
    )  # fmt: skip
    quiet = getattr(args, "quiet", False) or getattr(args, "json", False)
    if not quiet:
        where = f"Dask cluster at {args.scheduler}" if args.scheduler else "local processes"
        echo(
            f"SBC of {scenario.name} with {len(records)} evidence records: {settings.n_sims} "
            f"simulations on {where} (the model compiles once per worker, ~15 s)",
            file=sys.stderr,
        )
    with progress_shown(args) as progress:
        tree = sbc(scenario, records, settings, workers=args.workers, scheduler=args.scheduler,
                   progress=progress)  # fmt: skip
    meta = {
        "version": __version__,
        "kind": "sbc",
        "scenario": scenario.as_record(),
        "evidence_ids": [r.id for r in records],
        "evidence": [r.as_record() for r in records],
        "sbc_settings": asdict(settings),
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    nc = io.save_tree(tree, meta, args.out_dir / f"sbc-{scenario.name}.nc")
    figure = None
    if not args.no_figure:
        figure = io.write_figure(
            plot_ranks(tree), args.out_dir / f"sbc-{scenario.name}.png", dpi=80
        )
    result = summary(tree)
    if args.json:
        print(json.dumps({**result, "file": str(nc), "figure": str(figure) if figure else None},
                         indent=2))  # fmt: skip
    else:
        print_sbc(result, scenario.name, nc, figure)
    return 0 if result["passed"] else 1


def print_sbc(result: dict[str, Any], name: str, nc, figure) -> None:
    """Print an SBC summary: rank uniformity per parameter, counts and where files went."""
    rows = sorted(result["rows"], key=lambda r: r["p_value"])
    table(
        f"rank uniformity per parameter ({result['n_sims']} simulations, "
        f"{result['settings_rank_draws']} ranked draws each; fail below p = "
        f"{result['fail_below']:.2g}, watch below 0.05), lowest p first",
        ["parameter", "p (pot_c)", "mean PIT", "spread", "verdict"],
        [(r["parameter"], f"{r['p_value']:.3g}", f"{r['mean_pit']:.2f}", f"{r['pit_spread']:.2f}",
          r["verdict"]) for r in rows],
        keep_first=True,
    )  # fmt: skip
    c = result["counts"]
    echo(
        f"\n{name}: {c['pass']} pass, {c['watch']} watch, {c['fail']} fail of "
        f"{result['n_parameters']} parameters -> {'CALIBRATED' if result['passed'] else 'NOT CALIBRATED'}"
        "\n  mean PIT 0.5 = unbiased; spread 1 = calibrated width (< 1 posteriors too wide, "
        "> 1 too narrow)"
        f"\n  fits: {result['divergent_sims']} of {result['n_sims']} with divergences "
        f"({result['total_divergences']} in all), worst R-hat {result['max_rhat']:.3f}, "
        f"lowest bulk ESS {result['min_ess_bulk']:.0f}; {result['clipped_points']} simulated "
        "curve scores clipped"
        f"\n  {result['engine']}: {result['seconds'].get('total', float('nan')):.0f} s"
        f"\nsaved {nc}" + (f"\nwrote {figure}" if figure else "")
    )
