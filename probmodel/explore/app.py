"""The explorer's page (layout) and its server wiring (Shiny for Python).

Layout and wiring only: every number comes from :mod:`probmodel.analysis.whatif` (plans scored
on the run's draws, prior and evidence what-ifs by Pareto-smoothed importance reweighting, paired
comparisons), written with :mod:`probmodel.explore.text` and drawn by
:mod:`probmodel.explore.figures`. A re-sample runs :func:`probmodel.api.fit` on a worker thread
(a Shiny ``ExtendedTask``), so the page keeps answering while it runs.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shiny import App, reactive, render, req, ui

from probmodel import formatting as fmt
from probmodel.analysis import whatif
from probmodel.equations import PLAN_VARIABLES, WORLD_PARAMETERS, Plan
from probmodel.errors import ProbmodelError, SpecError
from probmodel.explore import figures, text
from probmodel.run import Run

LOG_SUFFIX = "_log10"
"""Input id suffix of a control that moves on a log scale (its value is log10 of the variable)."""
CONTROLS = (
    "fleet_size", "real_share", "video_share", "world_model_share", "sites", "embodiments",
    "model_params", "deadline_years", "budget_usd", "performance_target",
)  # fmt: skip
"""Plan variables with a control on the page, in the order shown; each one's label, unit, range
and scale come from :data:`probmodel.equations.PLAN_VARIABLES`."""
LIMITS = ("deadline_years", "budget_usd", "performance_target")
"""Plan variables that may be unset (a check box turns each on)."""
LINEAR_STEP = {"fraction": 0.01, "embodiments": 1.0, "years": 0.05}
"""Slider step by unit for linear controls."""
LOG_STEP = 0.0001
"""Step of a log-scale slider in log10 units (0.023% per step, finer than the 3 significant
figures the value is rounded to, so a scenario's own value, 5,000 robots say, sits on the
slider exactly)."""
THROTTLE_MS = 60
"""Sliders send their value at most this often while dragged, the first change at once (Shiny's
default is to wait until a slider has been still for 250 ms, more than the page's 200 ms budget
for an answer)."""


def from_log(value: float) -> float:
    """A log-scale slider's value (log10) as the plan value: 10**value to 3 significant figures
    (what the slider's label shows)."""
    return float(f"{10.0 ** float(value):.3g}")


def control_id(name: str) -> str:
    return name + LOG_SUFFIX if PLAN_VARIABLES[name].log_scale else name


@dataclass(frozen=True)
class ExploreOptions:
    """How the app was started: where a re-sampled run is saved (``None``: not saved)."""

    save_dir: Path | None = None


# ------------------------------------------------------------------------------------- layout

SCRIPT = """
(function(){
  var LOG = %(log)s;
  function short(v){ var s=Number(v.toPrecision(3)); return s.toLocaleString('en-US'); }
  function usd(v){
    var scales=[[1e12,'T'],[1e9,'B'],[1e6,'M'],[1e3,'k']];
    for (var i=0;i<scales.length;i++){ if (v>=scales[i][0]) {
      return '$'+String(Number((v/scales[i][0]).toPrecision(3)))+scales[i][1]; } }
    return '$'+String(Number(v.toPrecision(3)));
  }
  function pretty(kind){ return function(n){ var v=Number(Math.pow(10,n).toPrecision(3));
    if (kind==='usd') return usd(v);
    if (kind==='big') return usd(v).slice(1);
    return short(v); }; }
  var b = window.Shiny && Shiny.inputBindings && Shiny.inputBindings.bindingNames['shiny.sliderInput'];
  if (b) { b.binding.getRatePolicy = function(){ return {policy:'throttle', delay:%(throttle)d}; }; }
  $(document).on('shiny:bound', function(e){
    var id = e.target && e.target.id;
    if (id && LOG[id]) { var s=$(e.target).data('ionRangeSlider');
      if (s) { s.update({prettify: pretty(LOG[id])}); } }
  });
})();
"""

STYLE = """
.hl{margin:.25rem 0;font-size:1.05rem}.topic{font-weight:600}
.figs{display:flex;flex-wrap:wrap;gap:4px}.figs svg{background:#fff}
.warn{color:#a00;font-weight:600}.rough{opacity:.55}.ok{color:#2e7d32}.muted{color:#666;font-size:.9rem}
.resample{border:2px solid #c0392b;padding:.5rem .75rem;border-radius:6px;background:#fff5f5}
table.moved td,table.moved th,table.plan td{padding:1px 8px;font-size:.9rem}
.irs--shiny .irs-single{font-size:.8rem}
"""


def _control(name: str, plan: Plan) -> Any:
    var = PLAN_VARIABLES[name]
    lo, hi = var.span or (0.0, 1.0)
    value = getattr(plan, name)
    if value is None:
        value = {"deadline_years": 5.0, "budget_usd": 2e9, "performance_target": 0.8}.get(
            name, lo
        )
    lo, hi = min(lo, value), max(hi, value)
    label = f"{var.label} [{var.unit}]" if var.unit and var.unit != "fraction" else var.label
    if var.log_scale:
        return ui.input_slider(
            control_id(name), label, min=math.log10(lo), max=math.log10(hi),
            value=round(math.log10(value), 4), step=LOG_STEP, ticks=False,
        )  # fmt: skip
    step = LINEAR_STEP.get(var.unit, (hi - lo) / 100)
    return ui.input_slider(name, label, min=lo, max=hi, value=value, step=step, ticks=False)


def _sidebar(base: whatif.WhatIfBase) -> Any:
    plan = base.scenario.plan
    items: list[Any] = [
        ui.input_checkbox(
            "solve_fleet", "solve the fleet for the deadline", value=plan.fleet_size is None
        )
    ]
    for name in CONTROLS:
        if name == "model_params" and plan.model_params is None:
            items.append(ui.p("model size: fixed token target", class_="muted"))
            continue
        if name in LIMITS:
            var = PLAN_VARIABLES[name]
            items.append(
                ui.input_checkbox(f"use_{name}", f"set a {var.label.split(' (')[0]}",
                                  value=getattr(plan, name) is not None)  # fmt: skip
            )
        items.append(_control(name, plan))
    items.append(ui.output_ui("sim_share"))
    return ui.sidebar(ui.h5("Plan"), *items, width=330)


def _layout(base: whatif.WhatIfBase) -> Any:
    names = whatif.reweightable_parameters(base)
    default = "operators_per_robot" if "operators_per_robot" in names else names[0]
    records = _record_choices(base)
    kinds = {"USD": "usd", "parameters": "big"}  # how a log slider writes its value
    log_ids = {
        control_id(n): kinds.get(PLAN_VARIABLES[n].unit, "count")
        for n in CONTROLS
        if PLAN_VARIABLES[n].log_scale
    }
    import json

    return ui.page_sidebar(
        _sidebar(base),
        ui.tags.style(STYLE),
        ui.card(
            ui.card_header(f"What-if on run {base.run.name}: {base.scenario.title}"),
            *_diagnostics_banner(base.run),
            ui.output_ui("headline"),
            ui.output_ui("status"),
        ),
        ui.output_ui("figs"),
        ui.navset_card_tab(
            ui.nav_panel(
                "Assumptions (priors)",
                ui.p(
                    "Move a world parameter's prior: the posterior under the new prior is the "
                    "run's, reweighted by the ratio of the new to the old prior density "
                    "(Pareto-smoothed importance sampling; k-hat above 0.7 means re-sample).",
                    class_="muted",
                ),
                ui.input_select(
                    "prior_param", "world parameter",
                    {n: f"{n}: {WORLD_PARAMETERS[n]}" for n in names}, selected=default,
                    width="100%",
                ),  # fmt: skip
                ui.output_ui("prior_now"),
                ui.layout_columns(
                    ui.input_numeric("prior_low", "90% interval: low", value=None),
                    ui.input_numeric("prior_high", "high", value=None),
                ),
                ui.div(
                    ui.input_action_button("apply_prior", "Apply prior", class_="btn-primary"),
                    ui.input_action_button("reset_prior", "Back to the run's prior"),
                    class_="d-flex gap-2",
                ),
                ui.output_ui("prior_msg"),
            ),
            ui.nav_panel(
                "Evidence",
                ui.p(
                    "Switch a record off to see the posterior without it (leave-one-out: each "
                    "draw weighted by one over the record's likelihood, Pareto-smoothed).",
                    class_="muted",
                ),
                ui.output_ui("moved"),
                ui.input_checkbox_group(
                    "records_on", "records in the posterior", records,
                    selected=list(records), width="100%",
                ),  # fmt: skip
            ),
            ui.nav_panel(
                "Side by side",
                ui.p(
                    "Pin the current plan, change another, and compare the two on the same "
                    "draws (paired: the same world for both).",
                    class_="muted",
                ),
                ui.div(
                    ui.input_action_button("pin", "Pin this plan", class_="btn-primary"),
                    ui.input_action_button("unpin", "Unpin"),
                    class_="d-flex gap-2",
                ),
                ui.output_ui("side"),
            ),
            ui.nav_panel(
                "Save",
                ui.p(
                    "The current plan (with a moved prior and records switched off) as a "
                    "scenario file for `probmodel run` / `probmodel point`; the current view as "
                    "one self-contained HTML file; the scored draws as CSV.",
                    class_="muted",
                ),
                ui.div(
                    ui.download_button("save_scenario", "Scenario (.toml)"),
                    ui.download_button("save_snapshot", "Snapshot (.html)"),
                    ui.download_button("save_draws", "Draws (.csv)"),
                    class_="d-flex gap-2",
                ),
                ui.output_ui("plan_table"),
            ),
            id="tabs",
        ),
        ui.tags.script(SCRIPT % {"log": json.dumps(log_ids), "throttle": THROTTLE_MS}),
        title=f"probmodel explore: {base.run.name}",
        fillable=False,
    )


def _diagnostics_banner(run: Run) -> list[Any]:
    """The warnings every command gives for a run that failed its MCMC diagnostics or has
    evidence far outside its prior predictive, as a red line at the top of the page."""
    from probmodel.diagnostics import conflict_line, failure_line

    d = run.diagnostics
    lines = ([failure_line(run.name, d)] if not d["ok"] else []) + [conflict_line(run.name, d)]
    return [ui.p(line.removeprefix("warning: "), class_="warn", id="diagnostics-warning")
            for line in lines if line]  # fmt: skip


def _record_choices(base: whatif.WhatIfBase) -> dict[str, Any]:
    """A check box per evidence record of the run: its id, with its title on hover."""
    titles = {r["id"]: r.get("title", "") for r in base.run.evidence}
    return {i: ui.span(i, title=titles.get(i, "")) for i in base.record_ids}


# ------------------------------------------------------------------------------------- server


def _refit(scenario, records, settings) -> Run:
    """Re-sample the what-if's scenario with :func:`probmodel.api.fit` (runs on a thread): in
    the warm sampler worker, so compiling and sampling do not hold this process's GIL and a
    configuration compiled by an earlier command is reused."""
    from probmodel import api

    return api.fit(
        scenario, records, draws=settings.draws, tune=settings.tune, chains=settings.chains,
        prior_draws=settings.prior_draws, target_accept=settings.target_accept,
        seed=settings.seed, progress=False, worker=True,
    )  # fmt: skip


def _free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.nc``, or ``stem-2.nc`` ... : never an existing file."""
    path, i = folder / f"{stem}.nc", 2
    while path.exists():
        path, i = folder / f"{stem}-{i}.nc", i + 1
    return path


def create_app(run: Run, options: ExploreOptions | None = None) -> App:
    """The explorer app on ``run`` (a loaded, checked run)."""
    options = options or ExploreOptions()
    first = whatif.prepare(run)

    def server(input, output, session):  # noqa: A002 - Shiny's names
        base = reactive.value(first)
        applied_prior = reactive.value(None)
        prior_error = reactive.value("")
        pinned = reactive.value(None)
        refit_started = reactive.value(0.0)
        refit_note = reactive.value("")
        handled = reactive.value(None)

        # ---- plan
        @reactive.calc
        def plan_or_error() -> tuple[Plan | None, str]:
            b = base()
            changes: dict[str, Any] = {}
            for name in CONTROLS:
                if name == "model_params" and b.scenario.plan.model_params is None:
                    continue
                if name in LIMITS and not input[f"use_{name}"]():
                    changes[name] = None
                    continue
                value = input[control_id(name)]()
                if value is None:
                    return None, f"{name}: no value"
                value = float(value)
                value = from_log(value) if PLAN_VARIABLES[name].log_scale else value
                changes[name] = float(round(value)) if PLAN_VARIABLES[name].integer else value
            if input.solve_fleet():
                changes["fleet_size"] = None
            try:
                scenario = b.scenario.with_plan(**changes)
            except SpecError as err:  # the plan file's own checks, said without the file
                return None, "; ".join(f"{p.key} = {p.value!r}: {p.message}" for p in err.problems)
            return scenario.plan, ""

        def current_plan() -> Plan:
            plan, _ = plan_or_error()
            req(plan is not None)
            return plan

        # ---- what-ifs
        @reactive.calc
        def records_off() -> tuple[str, ...]:
            on = set(input.records_on() or ())
            return tuple(r for r in base().record_ids if r not in on)

        @reactive.calc
        def reweighting() -> whatif.Reweighting | None:
            return whatif.reweight(base(), applied_prior(), records_off())

        @reactive.calc
        def scored() -> whatif.ScoredPlan:
            return whatif.score_plan(base(), current_plan(), reweighting())

        @reactive.calc
        def scored_pinned() -> whatif.ScoredPlan | None:
            plan = pinned()
            return None if plan is None else whatif.score_plan(base(), plan, reweighting())

        # ---- plan outputs
        @render.ui
        def sim_share():
            plan, _ = plan_or_error()
            if plan is None:
                return ui.p("")
            return ui.p(f"simulation takes the rest: {fmt.fmt_share(plan.shares['sim'])}",
                        class_="muted")  # fmt: skip

        @render.ui
        def headline():
            plan, error = plan_or_error()
            if plan is None:
                return ui.HTML(f'<p class="warn" id="plan-error">{html.escape(error)}</p>')
            s = scored()
            fleet = ("solved for the deadline" if plan.fleet_size is None
                     else fmt.fmt_count(plan.fleet_size, "robots"))  # fmt: skip
            line = (
                f'<p class="muted">Plan: <span id="hl-fleet">{html.escape(fleet)}</span>, '
                f"{fmt.fmt_share(plan.real_share)} real, {fmt.fmt_number(plan.sites)} sites; "
                f"{s.headline.n_draws:,} posterior draws"
                + (" after reweighting" if s.reweighted else "") + ".</p>"
            )
            rw = reweighting()
            if rw is not None and rw.resample_needed:  # shown, but marked as rough
                return ui.HTML('<div class="rough" title="re-sample needed: rough numbers">'
                               + text.headline_html(s.headline) + line + "</div>")  # fmt: skip
            return ui.HTML(text.headline_html(s.headline) + line)

        @render.ui
        def figs():
            s = scored()
            return ui.HTML(f'<div class="figs" id="fig-panel" data-fleet="{_fleet_attr(s.plan)}">'
                           + "".join(_figures(s, scored_pinned())) + "</div>")  # fmt: skip

        # ---- what-if status and re-sample
        @render.ui
        def status():
            if refit_task.status() == "running":
                reactive.invalidate_later(0.5)
                elapsed = time.monotonic() - refit_started()
                return ui.div(
                    ui.p(f"Re-sampling in the background: {elapsed:.0f} s so far (compiling the "
                         "model takes ~15 s, then NUTS). The page keeps answering meanwhile.",
                         id="resample-progress"),  # fmt: skip
                    class_="resample",
                )
            note = refit_note()
            rw = reweighting()
            if rw is None:
                msg = f"Showing the run's posterior ({base().n_draws:,} draws)."
                return ui.HTML(f'<p class="muted" id="whatif-state">{html.escape(msg)} '
                               f"{html.escape(note)}</p>")  # fmt: skip
            k = "inf" if math.isinf(rw.pareto_k) else f"{rw.pareto_k:.2f}"
            state = (f'What-if: {html.escape(rw.describe())}. Pareto k-hat = <b id="khat">{k}</b>, '
                     f"effective draws {rw.ess:,.0f} of {base().n_draws:,}.")  # fmt: skip
            if rw.resample_needed:
                return ui.div(
                    ui.HTML(f'<p id="whatif-state">{state}</p>'),
                    ui.HTML('<p class="warn" id="resample-needed">Re-sample needed: the '
                            "reweighted draws cannot be trusted (k-hat above 0.7 or too few "
                            "effective draws); the numbers above are rough.</p>"),  # fmt: skip
                    ui.input_action_button("resample", "Re-sample with this what-if",
                                           class_="btn-danger"),  # fmt: skip
                    class_="resample",
                )
            return ui.HTML(f'<p id="whatif-state">{state} <span class="ok">Reliable '
                           "(k-hat <= 0.7).</span></p>")  # fmt: skip

        @reactive.extended_task
        async def refit_task(scenario, records, settings):
            return await asyncio.to_thread(_refit, scenario, records, settings)

        @reactive.effect
        @reactive.event(input.resample)
        def _start_refit():
            b, rw = base(), reweighting()
            if rw is None or refit_task.status() == "running":
                return
            scenario = whatif.whatif_scenario(b, current_plan(), rw.prior, rw.records_off,
                                              name=b.scenario.name)  # fmt: skip
            records = [r for r in b.run.records if r.id not in set(rw.records_off)]
            refit_started.set(time.monotonic())
            refit_task.invoke(scenario, records, b.run.settings)

        @reactive.effect
        def _refit_done():
            if refit_task.status() != "success":
                if refit_task.status() == "error":
                    refit_note.set("The re-sample failed; see the terminal.")
                return
            new_run = refit_task.value()
            if handled() is new_run:
                return
            handled.set(new_run)
            where = ""
            if options.save_dir is not None:
                path = _free_name(options.save_dir, f"{new_run.name}-explored")
                new_run.save(path)
                where = f" Saved as {path}."
            with reactive.isolate():
                describe = reweighting().describe() if reweighting() else ""
            base.set(whatif.prepare(new_run))
            applied_prior.set(None)
            ids = base().record_ids
            ui.update_checkbox_group("records_on", choices=_record_choices(base()), selected=ids)
            refit_note.set(f"Re-sampled ({describe}); now the base posterior.{where}")

        # ---- priors
        @reactive.effect
        @reactive.event(input.prior_param)
        def _fill_interval():
            spec = base().run.prior_specs[input.prior_param()]
            lo, hi = spec.quantiles([0.05, 0.95])
            ui.update_numeric("prior_low", value=float(f"{lo:.3g}"))
            ui.update_numeric("prior_high", value=float(f"{hi:.3g}"))

        @render.ui
        def prior_now():
            name = input.prior_param()
            b = base()
            spec = b.run.prior_specs[name]
            lo, hi = spec.quantiles([0.05, 0.95])
            post = whatif.parameter_quantiles(b, name)
            return ui.p(
                f"Run's prior: {spec.distribution}, 90% in [{lo:.3g}, {hi:.3g}] "
                f"{WORLD_PARAMETERS[name].rsplit('[', 1)[-1].rstrip(']')}; posterior 90% in "
                f"[{post[0]:.3g}, {post[2]:.3g}], median {post[1]:.3g}.",
                class_="muted",
            )

        @reactive.effect
        @reactive.event(input.apply_prior)
        def _apply_prior():
            low, high = input.prior_low(), input.prior_high()
            if low is None or high is None:
                prior_error.set("Enter both ends of the interval.")
                return
            try:
                change = whatif.prior_change(base(), input.prior_param(), float(low), float(high))
            except ProbmodelError as err:
                prior_error.set(str(err))
                return
            prior_error.set("")
            applied_prior.set(change)

        @reactive.effect
        @reactive.event(input.reset_prior)
        def _reset_prior():
            applied_prior.set(None)
            prior_error.set("")

        @render.ui
        def prior_msg():
            error = prior_error()
            if error:
                return ui.HTML(f'<pre class="warn" id="prior-error">{html.escape(error)}</pre>')
            change = applied_prior()
            return ui.p(f"Applied: {change.describe()}" if change else "", id="prior-applied")

        # ---- evidence: what moved
        @render.ui
        def moved():
            rw = reweighting()
            if rw is None:
                return ui.p("All records on: the run's posterior.", class_="muted")
            before = whatif.score_plan(base(), current_plan()).headline
            after = scored().headline
            rows = []
            fb, fa = text.headline_fields(before), text.headline_fields(after)
            for name in text.FIELDS:
                rows.append(f'<tr><td>{text.LABELS[name]}</td><td>{html.escape(fb[name])}</td>'
                            f'<td id="moved-{name}">{html.escape(fa[name])}</td></tr>')  # fmt: skip
            for shift in whatif.parameter_shifts(base(), rw):
                b5, b50, b95 = shift.before
                a5, a50, a95 = shift.after
                rows.append(f"<tr><td>{shift.parameter} (P5, P50, P95)</td>"
                            f"<td>{b5:.3g}, {b50:.3g}, {b95:.3g}</td>"
                            f"<td>{a5:.3g}, {a50:.3g}, {a95:.3g}</td></tr>")  # fmt: skip
            return ui.HTML(
                f"<p>What moved ({html.escape(rw.describe())}):</p>"
                '<table class="moved" id="moved-table"><thead><tr><th></th><th>run</th>'
                f"<th>what-if</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )

        # ---- side by side
        @reactive.effect
        @reactive.event(input.pin)
        def _pin():
            pinned.set(current_plan())

        @reactive.effect
        @reactive.event(input.unpin)
        def _unpin():
            pinned.set(None)

        @render.ui
        def side():
            p = scored_pinned()
            if p is None:
                return ui.p("No plan pinned.", class_="muted")
            c = scored()
            comparison = whatif.compare(c, p)
            fp, fc = text.headline_fields(p.headline), text.headline_fields(c.headline)
            rows = "".join(
                f"<tr><td>{text.LABELS[n]}</td><td>{html.escape(fp[n])}</td>"
                f"<td>{html.escape(fc[n])}</td></tr>"
                for n in text.FIELDS
            )
            return ui.HTML(
                text.comparison_html(comparison)
                + '<table class="moved"><thead><tr><th></th><th>pinned</th><th>current</th>'
                f"</tr></thead><tbody>{rows}</tbody></table>"
            )

        # ---- save
        @render.ui
        def plan_table():
            return ui.HTML(text.plan_table_html(current_plan()))

        def _saved_scenario():
            b, rw = base(), reweighting()
            return whatif.whatif_scenario(
                b, current_plan(), rw.prior if rw else None, rw.records_off if rw else ()
            )

        @render.download_button(filename=lambda: f"{base().scenario.name}-explored.toml")
        def save_scenario():
            from probmodel.io import toml_text

            yield toml_text(_saved_scenario().as_table())

        @render.download_button(filename=lambda: f"{base().scenario.name}-explored.html")
        def save_snapshot():
            s, rw = scored(), reweighting()
            state = "the run's posterior" if rw is None else (
                f"what-if: {rw.describe()}; k-hat {rw.pareto_k:.2f}"
                + (" (re-sample needed)" if rw.resample_needed else ""))  # fmt: skip
            p = scored_pinned()
            comparison = text.comparison_html(whatif.compare(s, p)) if p is not None else ""
            yield text.snapshot_html(
                base().run.name, s, _figures(s, p), html.escape(state), comparison,
                generated=f"Saved {time.strftime('%Y-%m-%d %H:%M')} by probmodel explore.",
            )  # fmt: skip

        @render.download_button(filename=lambda: f"{base().scenario.name}-explored-draws.csv")
        def save_draws():
            yield text.draws_csv(scored())

    return App(_layout(first), server)


def _figures(s: whatif.ScoredPlan, pinned: whatif.ScoredPlan | None) -> list[str]:
    """The four figures of a scored plan (and the pinned one, dashed grey, on the S-curves)."""
    h = s.headline

    def series(attr: str) -> list[figures.Series]:
        out = [figures.Series("current plan", getattr(s, attr), figures.CURRENT)]
        if pinned is not None:
            out.append(figures.Series("pinned plan", getattr(pinned, attr), figures.PINNED, True))
        return out

    return [
        figures.s_curve("Net cost: P(cost <= x)", "net cost", series("cost"), fmt.fmt_usd,
                        h.budget_usd, "budget"),
        figures.s_curve("Years: P(years <= x)", "years", series("years"), fmt.fmt_number,
                        h.deadline_years, "deadline"),
        figures.s_curve("Success on unseen tasks: P(success <= x)", "success rate",
                        series("success"), fmt.fmt_share, h.performance_target, "target"),
        figures.jcl_scatter(s.cost, s.years, h.budget_usd, h.deadline_years,
                            h.p_cost_and_years_within, h.jcl80_budget_usd),
    ]  # fmt: skip


def _fleet_attr(plan: Plan) -> str:
    """The fleet as the figures' ``data-fleet`` attribute (as JavaScript writes the number), so
    a benchmark can tell when the figures show a new plan."""
    return "solve" if plan.fleet_size is None else format(plan.fleet_size, ".12g")
