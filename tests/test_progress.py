"""Progress of long work: the callback protocol (probmodel.progress), its renderers
(probmodel.display) and the command line (progress on stderr, never on stdout)."""

from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import pytest
from conftest import SHIPPED

from probmodel.errors import InvalidArgumentError


def check_protocol(calls):
    """Every step's calls are consecutive, its total is fixed, done never decreases and the
    step ends with done == total; returns the steps in order."""
    assert calls, "the callback was never called"
    steps, seen = [], set()
    for step, done, total in calls:
        assert isinstance(step, str) and step
        assert isinstance(done, int) and isinstance(total, int)
        assert total >= 1 and 0 <= done <= total, (step, done, total)
        if not steps or steps[-1][0] != step:
            assert step not in seen, f"step {step!r} came back after another step"
            seen.add(step)
            steps.append([step, done, total])
        else:
            last = steps[-1]
            assert total == last[2], f"{step!r}: total changed from {last[2]} to {total}"
            assert done >= last[1], f"{step!r}: done went back from {last[1]} to {done}"
            last[1] = done
    for step, done, total in steps:
        assert done == total, f"step {step!r} ended at {done} of {total}"
    return [s[0] for s in steps]


def test_track_stage_and_counter_keep_the_protocol():
    from probmodel.progress import counter, stage, track

    calls = []
    record = lambda *c: calls.append(c)  # noqa: E731
    assert list(track(record, "items", "abc")) == ["a", "b", "c"]
    list(track(record, "nothing", []))
    with stage(record, "one"):
        pass
    advance = counter(record, "chunks", 10)
    for n in (4, 4, 4):  # overshoot is clipped at the total
        advance(n)
    assert check_protocol(calls) == ["items", "nothing", "one", "chunks"]
    assert calls[:4] == [("items", 0, 3), ("items", 1, 3), ("items", 2, 3), ("items", 3, 3)]
    with pytest.raises(InvalidArgumentError, match="progress = 3"):
        list(track(3, "x", [1]))


def test_variance_ranking_reports_each_parameter_and_gives_the_same_numbers(prior_run):
    from probmodel.analysis.sensitivity import sampled_parameters, tornado, variance_ranking

    post = prior_run.tree["posterior"].to_dataset()
    plan, constants = prior_run.plan_spec, prior_run.constants
    calls = []
    bars = tornado(post, plan, "years", constants, progress=lambda *c: calls.append(c))
    with_progress = variance_ranking(
        post, plan, "years", constants, num_resamples=5, progress=lambda *c: calls.append(c)
    )
    steps = check_protocol(calls)
    assert steps == ["tornado of years", "scoring years on the draws", "S1 bootstrap per parameter"]
    varied = len(sampled_parameters(post)) - len(with_progress["skipped"])
    assert calls[-1] == ("S1 bootstrap per parameter", varied + 1, varied + 1)  # + noise input
    assert bars == tornado(post, plan, "years", constants)
    assert with_progress == variance_ranking(post, plan, "years", constants, num_resamples=5)


def test_voi_and_sweep_report_progress(prior_run, library):
    from probmodel.analysis.sweep import sweep
    from probmodel.analysis.voi import voi_table

    calls = []
    scenarios = [library.scenario("seed-cotrain"), library.scenario("seed-real-only")]
    parameters = ["unit_cost_usd", "sim_transfer", "operators_per_robot"]
    voi_table(prior_run, scenarios, 1e9, parameters, se_top=2, n_boot=2,
              progress=lambda *c: calls.append(c))  # fmt: skip
    steps = check_protocol(calls)
    assert steps[0] == "scoring 2 plans on the draws" and "EVPPI per parameter" in steps
    assert ("EVPPI per parameter", 3, 3) in calls
    assert calls[-1][0].startswith("Monte Carlo error") and calls[-1][1:] == (2, 2)

    calls.clear()
    axes = {"fleet_size": "500:20000:7:log", "real_share": "0.2,0.5,1"}
    sweep(prior_run, scenarios[0], axes, chunk_size=4, progress=lambda *c: calls.append(c))
    assert check_protocol(calls) == ["scoring 21 plans on 1,000 draws"]
    assert [c[1] for c in calls] == [0, 4, 8, 12, 16, 20, 21]


def test_nuts_draws_are_forwarded_while_sampling():
    """Without MCMC: the callback handed to nutpie reports the draws finished by all chains."""
    from probmodel.sampling import SAMPLING, draws_forwarder

    calls = []
    forward = draws_forwarder(lambda *c: calls.append(c), total=30)
    for finished in ((3, 0), (3, 0), (9, 7), (15, 15), (16, 16)):
        forward([SimpleNamespace(finished_draws=f) for f in finished])
    assert check_protocol(calls) == [SAMPLING]
    assert [c[1] for c in calls] == [
        0,
        3,
        16,
        30,
    ]  # only growth, clipped at chains x (draws + tune)
    assert all(c[2] == 30 for c in calls)


def test_showing_picks_a_renderer_and_never_guesses_a_bad_value():
    from probmodel.display import LinePerStep, showing
    from probmodel.progress import silent

    log = io.StringIO()  # not a terminal
    with showing(None, stream=log) as progress:
        assert progress is silent  # auto: nothing in a log
    with showing(False, stream=log) as progress:
        assert progress is silent
    with showing(True, stream=log) as progress:
        assert isinstance(progress, LinePerStep)
        for done in range(3):
            progress("scoring plans", done, 2)
        progress("rendering", 0, 1)
    assert log.getvalue() == "probmodel: scoring plans (2)...\nprobmodel: rendering...\n"
    mine = lambda *c: None  # noqa: E731
    with showing(mine) as progress:
        assert progress is mine
    with pytest.raises(InvalidArgumentError, match="progress = 'yes'"):
        with showing("yes"):
            pass


@pytest.fixture(scope="module")
def good_file(gating_runs, tmp_path_factory):
    return gating_runs["good"].save(tmp_path_factory.mktemp("progress") / "good.nc")


def test_a_long_command_writes_progress_to_stderr_and_only_json_to_stdout(good_file, capsys):
    from probmodel.cli import main

    argv = ["sensitivity", str(good_file), "--json", "--priors", str(SHIPPED)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)  # stdout is the JSON document and nothing else
    assert result["outcome"] == "cost_total_usd"
    assert "probmodel: S1 bootstrap per parameter" in captured.err
    assert "probmodel:" not in captured.out


def test_quiet_silences_progress(good_file, tmp_path, capsys):
    from probmodel.cli import main

    argv = ["sweep", str(good_file), "--grid", "fleet_size=1000,2000", "--priors", str(SHIPPED),
            "--out", str(tmp_path / "s.nc")]  # fmt: skip
    assert main(argv) == 0
    assert "probmodel: scoring 2 plans" in capsys.readouterr().err
    assert main([*argv, "--quiet"]) == 0
    assert "probmodel:" not in capsys.readouterr().err


def test_long_commands_state_their_expected_time_in_help():
    from probmodel.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for name in ("run", "sample", "report", "sensitivity", "voi", "sweep", "update"):
        text = " ".join(sub[name].format_help().split())
        assert re.search(r"~\d+(\.\d+)?(-\d+(\.\d+)?)? (s|min)\b", text), name
        assert "progress on stderr" in text.lower(), name
