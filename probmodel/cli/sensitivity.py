"""Commands that explain a run's outcomes: ``sensitivity`` and ``voi``."""

from __future__ import annotations

import json
import math
from pathlib import Path

from probmodel.cli.common import (
    POSITIVE,
    TOP,
    Parents,
    echo,
    flag_diagnostics,
    progress_shown,
    strict_exit,
    table,
)
from probmodel.errors import InvalidArgumentError
from probmodel.progress import stage


def register(sub, p: Parents) -> None:
    """Add this module's commands to the ``probmodel`` parser."""
    s = sub.add_parser(
        "sensitivity", parents=[p.priors, p.strict, p.json, p.wide],
        help="which assumption drives an outcome: tornado and variance-based ranking (SALib)",
        description="Which assumption drives an outcome: a one-at-a-time tornado and the "
        "variance-based ranking (first-order Sobol S1, SALib, bootstrapped per parameter). Takes "
        "~3 s on a 4,000-draw run on 2 quiet cores, up to ~15 s when they are shared, 1.5-10 "
        "min with --delta; progress on stderr.",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument(
        "--outcome", default="cost_total_usd", help="outcome to explain (cost_total_usd)"
    )
    s.add_argument("--scenario", help="explain this scenario's plan on the run's posterior")
    s.add_argument("--top", type=TOP, default=10, help="rows to show (10)")
    s.add_argument(
        "--delta", action="store_true",
        help="also Borgonovo's moment-independent delta (about twenty times slower)",
    )  # fmt: skip
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    s.set_defaults(handler=cmd_sensitivity)

    s = sub.add_parser(
        "voi", parents=[p.priors, p.strict, p.json, p.wide],
        help="value of information (EVPI, EVPPI per parameter, in USD) for a choice between plans",
        description="Value of information for a choice between plans: EVPI and the EVPPI of "
        "every parameter (regression on the posterior draws), with bootstrapped Monte Carlo "
        "errors for the top ones. Takes ~15-45 s for three plans on a 4,000-draw run (2 "
        "shared cores; the more load, the longer); progress on stderr.",
    )  # fmt: skip
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("scenarios", nargs="+", help="the plans to choose between (scenario names)")
    s.add_argument(
        "--penalty", type=POSITIVE,
        help="USD cost of missing a plan's deadline or performance target (default: the largest "
        "budget among the plans)",
    )  # fmt: skip
    s.add_argument("--top", type=TOP, default=10, help="rows to show (10)")
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    s.set_defaults(handler=cmd_voi)

def cmd_sensitivity(args) -> int:
    """``probmodel sensitivity RUN [--outcome NAME] [--scenario NAME] [--delta] [--json] [--top N]``."""
    import probmodel as pmod
    from probmodel import formatting as fmt
    from probmodel.analysis.sensitivity import DEFAULT_OUTCOME, tornado, variance_ranking
    from probmodel.cli.runs import print_judgement
    from probmodel.equations import NEW_DEPLOYMENT

    outcome = getattr(args, "outcome", None) or DEFAULT_OUTCOME
    top = getattr(args, "top", None) or 10
    if not isinstance(top, int) or top < 1:
        raise InvalidArgumentError(f"--top {top!r}: must be a positive integer.")

    run = pmod.load_run(args.run)
    diagnostics = flag_diagnostics(run)
    scenario_name = getattr(args, "scenario", None)
    overrides = []
    if scenario_name:
        scenario = pmod.api.Library.open(getattr(args, "priors", None)).scenario(scenario_name)
        plan, plan_name, overrides = scenario.plan, scenario_name, sorted(scenario.overrides)
    else:
        plan, plan_name = run.plan_spec, run.name
    posterior = run.tree["posterior"].to_dataset()
    constants = run.constants
    with_delta = bool(getattr(args, "delta", False))
    with progress_shown(args) as progress:
        bars = tornado(posterior, plan, outcome, constants, progress=progress)
        ranking = variance_ranking(
            posterior, plan, outcome, constants, with_delta=with_delta, progress=progress
        )
        with stage(progress, "judgement shares"):
            judgement = pmod.api.judgement(run).as_dict()
    if getattr(args, "json", False):
        print(
            json.dumps(
                {"run": run.name, "plan": plan_name, "outcome": outcome, "tornado": bars,
                 "ranking": ranking, "diagnostics": diagnostics, "judgement": judgement},
                indent=2,
            )
        )  # fmt: skip
        return strict_exit(args, diagnostics)

    def value(name, x):
        return fmt.fmt_value(name, x)

    base = bars[0]["base"] if bars else math.nan
    table(
        f"{outcome} of {plan_name} on the posterior of {run.name}: one parameter at a time from "
        f"P10 to P90, the others at their medians ({value(outcome, base)} with all at medians)",
        ["parameter", "P10", "P90", "outcome at P10", "outcome at P90", "swing"],
        [
            (r["parameter"], value(r["parameter"], r["value_low"]),
             value(r["parameter"], r["value_high"]), value(outcome, r["outcome_at_low"]),
             value(outcome, r["outcome_at_high"]), value(outcome, r["swing"]))
            for r in bars[:top]
        ],
        keep_first=True,
        optional=("P10", "P90", "outcome at P10", "outcome at P90"),
    )  # fmt: skip
    level = f"{ranking['conf_level']:.0%}"
    thinned = ""
    if with_delta and ranking["delta_draws"] < ranking["n_draws"]:
        thinned = f"; delta from {ranking['delta_draws']:,} evenly thinned draws"
    columns = ["parameter", "S1 (variance share)", f"± {level}"]
    if with_delta:
        columns += ["delta", f"± {level}"]
    rows = []
    for r in ranking["rows"][:top]:
        row = [r["parameter"], fmt.fmt_share(r["S1"]), fmt.fmt_share(r["S1_conf"])]
        if with_delta:
            row += [f"{r['delta']:.3f}", f"{r['delta_conf']:.3f}"]
        rows.append(tuple(row))
    table(
        f"share of the posterior variance of {outcome} each parameter explains "
        f"({ranking['n_draws']:,} draws{thinned})",
        columns,
        rows,
        keep_first=True,
    )
    echo(
        "S1: expected share of the variance that knowing the parameter exactly would remove "
        f"(correlated parameters share credit; the shares add up to {ranking['s1_sum']:.2f})."
        + (
            " delta: how far knowing it would move the whole distribution (0 = not at all)."
            if with_delta
            else " --delta adds Borgonovo's delta, which also catches effects on the tails."
        )
    )
    floor = ranking["noise_floor"]
    floor_delta = f" and delta {floor['delta']:.3f}" if with_delta else ""
    echo(
        f"Noise floor: a made-up input with no effect scores S1 {fmt.fmt_share(floor['S1'])}"
        f"{floor_delta} on these draws; rows near it are indistinguishable from no effect."
    )
    if overrides:
        echo(
            f"{plan_name} overrides priors ({', '.join(overrides)}); only its plan is scored here, "
            f"on the posterior of {run.name}."
        )
    if ranking["skipped"]:
        echo(f"Constant in the draws, not ranked: {', '.join(ranking['skipped'])}.")

    print_judgement(judgement)
    if any(n in posterior for n in NEW_DEPLOYMENT):
        echo(
            "The tornado moves the new deployment's values (*_new) directly; their "
            "populations' mean and sd act only through them and are ranked in the second table."
        )
    return strict_exit(args, diagnostics)


def cmd_voi(args) -> int:
    """``probmodel voi RUN SCENARIO [SCENARIO ...] [--penalty USD] [--json] [--top N]``."""
    import probmodel as pmod
    from probmodel import formatting as fmt
    from probmodel.analysis.voi import default_penalty, join_names, voi_table

    top = getattr(args, "top", None) or 10
    if not isinstance(top, int) or top < 1:
        raise InvalidArgumentError(f"--top {top!r}: must be a positive integer.")

    run = pmod.load_run(args.run)
    diagnostics = flag_diagnostics(run)
    lib = pmod.api.Library.open(getattr(args, "priors", None))
    scenarios = [lib.scenario(n) for n in args.scenarios]
    penalty = getattr(args, "penalty", None)
    if penalty is None:
        penalty, why = default_penalty([s.plan for s in scenarios])
    else:
        why = "given"
    with progress_shown(args) as progress:
        result = voi_table(run, scenarios, penalty, top=top, se_top=top, progress=progress)
    result["penalty_reason"] = why
    if getattr(args, "json", False):
        print(json.dumps({**result, "diagnostics": diagnostics}, indent=2))
        return strict_exit(args, diagnostics)

    perfect = result["evpi"]
    echo(
        f"Choosing between {join_names(result['plans'])} on the posterior of {run.name} "
        f"({result['n_draws']:,} draws). Penalty for missing a deadline or performance target: "
        f"{fmt.fmt_usd(penalty)} ({why})."
    )
    echo(
        f"EVPI: {fmt.fmt_usd(perfect['value'])} (± {fmt.fmt_usd(perfect['se'])} Monte Carlo "
        "error): the most that removing all uncertainty before choosing could be worth."
    )
    echo(f"Chosen under current information: {perfect['chosen']}.")
    for s in scenarios:
        if s.overrides:
            echo(
                f"{s.name} overrides priors ({', '.join(sorted(s.overrides))}); only its plan is "
                f"scored here, on the posterior of {run.name}."
            )
    table(
        "plans: net benefit = -(net cost) - penalty x P(missed deadline or target)",
        ["plan", "mean net cost", "P(missed)", "mean net benefit", "best in draws"],
        [
            (n, fmt.fmt_usd(result["expected_cost_net_usd"][n]), fmt.fmt_pct(result["p_missed"][n]),
             fmt.fmt_usd(perfect["expected_net_benefit"][n]), fmt.fmt_pct(perfect["best_share"][n]))
            for n in result["plans"]
        ],
        keep_first=True,
        optional=("best in draws", "mean net cost"),
    )  # fmt: skip
    table(
        f"value of learning one parameter first (EVPPI), top {len(result['evppi'])}",
        ["parameter", "EVPPI", "± MC error", "share of EVPI"],
        [
            (r["parameter"], fmt.fmt_usd(r["evppi"]),
             fmt.fmt_usd(r["se"]) if r["se"] is not None else "—",
             fmt.fmt_pct(r["share_of_evpi"]) if r["share_of_evpi"] is not None else "—")
            for r in result["evppi"]
        ],
        keep_first=True,
    )  # fmt: skip
    for row in result["evppi"][:3]:
        echo(row["explanation"])
    why_zero = zero_evppi_reason(result, fmt)
    if why_zero:
        echo(why_zero)
    for note in result["notes"]:
        echo(note)
    return strict_exit(args, diagnostics)


def zero_evppi_reason(result: dict, fmt) -> str | None:
    """Why every EVPPI of a :func:`probmodel.analysis.voi.voi_table` result is $0 (``None``
    when one is not): learning a parameter is worth something only if it could change the
    choice."""
    if not result["evppi"] or any(round(r["evppi"]) > 0 for r in result["evppi"]):
        return None
    perfect = result["evpi"]
    chosen = perfect["chosen"]
    if perfect["best_share"].get(chosen, 0.0) >= 1.0 or round(perfect["value"]) <= 0:
        return (
            f"Every EVPPI is $0 because {chosen} is the best plan in every posterior draw "
            f"(EVPI {fmt.fmt_usd(perfect['value'])}): no information could change the decision, "
            "so none is worth paying for."
        )
    return (
        f"Every EVPPI is $0 although perfect information is worth {fmt.fmt_usd(perfect['value'])}: "
        f"{chosen} loses to another plan only in draws that no single parameter predicts (the "
        "regression of net benefit on each parameter is flat), so learning one parameter alone "
        "would not change the choice; learning several together might."
    )
