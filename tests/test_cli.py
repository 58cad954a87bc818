"""The command-line flow: scenarios, sample, summary (text and JSON), report."""

from __future__ import annotations

import json

import pytest
from conftest import SHIPPED

from probmodel.cli import main


def test_scenarios_lists_one_line_each(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    names = [line.split()[0] for line in lines]
    shipped = sorted(p.stem for p in (SHIPPED / "scenarios").glob("*.toml"))
    assert names == shipped
    assert {"seed-real-only", "seed-cotrain", "pathway-world-model", "levine-mcdonalds"} <= set(
        names
    )


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "real-only.nc"
    argv = ["sample", "seed-real-only", "--draws", "200", "--tune", "300", "--chains", "2",
            "--prior-draws", "400", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    return out


def test_summary_json_has_the_risk_outputs(sampled, capsys):
    capsys.readouterr()
    assert main(["summary", str(sampled), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    post = summary["posterior"]
    assert post["credible_interval"] == {"kind": "equal-tailed", "mass": 0.9}
    cost = post["outcomes"]["cost_total_usd"]
    assert cost["p10"] < cost["p50"] < cost["p80"] < cost["p90"]
    assert cost["contingency_p80"] == pytest.approx(cost["p80"] - cost["point"])
    assert 0.0 <= post["risk"]["p_cost_within_budget"] <= 1.0
    assert 0.0 <= post["risk"]["p_on_time"] <= 1.0
    assert summary["stale"] is False
    assert set(summary["diagnostics"]) >= {"max_r_hat", "min_ess_bulk", "divergences", "ok"}


def test_summary_text(sampled, capsys):
    capsys.readouterr()
    assert main(["summary", str(sampled), "--wide"]) == 0
    out = capsys.readouterr().out
    assert "P(cost <= budget $2B)" in out and "diagnostics:" in out
    for column in ("90% CI", "CI equal-tailed", "mean of worst 10%", "contingency", "P70", "mean"):
        assert column in out


def test_report_is_written(sampled, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(sampled), "--out", str(out)]) == 0
    assert out.is_file() and "<html" in out.read_text().lower()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "seed-real-only", "--draws", "0"], "argument --draws: must be an integer from 1"),
        (["sample", "seed-real-only", "--target-accept", "1.5"], "argument --target-accept: must be a number in (0, 1), got 1.5"),
    ],
)
def test_bad_options_are_refused_before_sampling(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_ci_mass_is_refused(sampled, capsys):
    assert main(["summary", str(sampled), "--ci", "1.5"]) == 2
    assert "argument --ci: must be a number in (0, 1), got 1.5" in capsys.readouterr().err


# ------------------------------------------------------------------ diagnostics gating, --strict


@pytest.fixture(scope="module")
def gated_files(gating_runs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gating")
    return {kind: run.save(folder / f"{kind}.nc") for kind, run in gating_runs.items()}


def test_the_constructed_runs_pass_and_fail_as_built(gating_runs):
    from probmodel.diagnostics import diagnose

    assert diagnose(gating_runs["good"].tree).ok
    bad = diagnose(gating_runs["bad"].tree)
    assert bad.divergences == 7 and bad.max_rhat > 1.01 and not bad.ok


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "{run}", "--json"],
        ["plans", "{run}", "seed-cotrain", "--json"],
        ["compare", "{run}", "seed-real-only", "--json"],
        ["evidence", "influence", "{run}", "--json"],
        ["check", "prior", "{run}", "--json"],
        ["check", "ppc", "{run}", "--json"],
    ],
)
def test_a_failing_run_is_flagged_in_json_and_on_stderr(gated_files, argv, capsys):
    capsys.readouterr()
    assert main([a.format(run=gated_files["bad"]) for a in argv]) == 0
    captured = capsys.readouterr()
    d = json.loads(captured.out)["diagnostics"]
    assert d["ok"] is False and d["divergences"] == 7 and d["max_r_hat"] > 1.01
    assert any("divergent" in p for p in d["problems"])
    warning = [line for line in captured.err.splitlines() if "FAILED its MCMC diagnostics" in line]
    assert len(warning) == 1 and "7 divergences" in warning[0] and "R-hat" in warning[0]


def test_strict_exits_4_after_writing_its_output(gated_files, capsys):
    from probmodel.cli import EXIT_DIAGNOSTICS

    assert EXIT_DIAGNOSTICS == 4
    capsys.readouterr()
    assert main(["summary", str(gated_files["bad"]), "--strict"]) == EXIT_DIAGNOSTICS
    captured = capsys.readouterr()
    assert "diagnostics: PROBLEMS" in captured.out  # the summary was still printed
    assert "--strict" in captured.err
    assert main(["check", "prior", str(gated_files["bad"]), "--strict", "--json"]) == 4
    assert json.loads(capsys.readouterr().out)["outcomes"]


def test_a_good_run_is_not_flagged_and_strict_exits_0(gated_files, capsys):
    capsys.readouterr()
    for argv in (["summary", "--strict"], ["check", "prior", "--strict"], ["plans", "--strict"]):
        assert main([*argv, str(gated_files["good"])]) == 0, argv
        assert "FAILED" not in capsys.readouterr().err
    assert main(["summary", str(gated_files["good"]), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["diagnostics"]["ok"] is True
    checks = summary["checks"]["prior_predictive"]
    assert checks["n_outcomes"] > 30 and checks["n_outside"] == len(checks["outside"])
    assert summary["checks"]["ppc"] is None  # no evidence, nothing to check


def test_the_report_of_a_failing_run_opens_with_a_banner(gating_runs):
    from probmodel.pipeline import report_inputs
    from probmodel.report.html import render_report

    def render(run):
        return render_report(run, report_inputs(run))

    bad = render(gating_runs["bad"])
    body = bad[bad.index("<body>") :]
    assert body.index("DIAGNOSTICS FAILED") < body.index("<h1>")
    assert "7 divergences" in body and 'id="checks"' in body
    assert "DIAGNOSTICS FAILED" not in render(gating_runs["good"])


def test_diagnostics_are_computed_once_per_run(gated_files, monkeypatch, capsys):
    import probmodel as pmod
    from probmodel import diagnostics

    calls = []
    real = diagnostics.diagnose
    monkeypatch.setattr(diagnostics, "diagnose", lambda tree: calls.append(1) or real(tree))
    run = pmod.load_run(gated_files["bad"])
    for _ in range(3):
        assert run.diagnostics["ok"] is False
    pmod.summarize(run)
    assert len(calls) == 1


def test_strict_is_documented_with_its_exit_code(capsys):
    assert main(["--help"]) == 0  # argparse's exit becomes main's return value
    text = capsys.readouterr().out
    assert "4  --strict and the run failed its MCMC diagnostics" in text
    assert main(["summary", "--help"]) == 0
    assert "--strict" in capsys.readouterr().out


def test_a_sweep_of_a_failing_run_carries_the_verdict(gated_files, tmp_path, capsys):
    from probmodel.io import load_dataset

    out = tmp_path / "sweep.nc"
    argv = ["sweep", str(gated_files["bad"]), "--grid", "fleet_size=1000,5000", "--out", str(out)]
    assert main([*argv, "--strict"]) == 4
    assert "FAILED its MCMC diagnostics" in capsys.readouterr().err
    verdict = json.loads(load_dataset(out).attrs["run_diagnostics"])
    assert verdict["ok"] is False and verdict["divergences"] == 7


def test_a_closed_pipe_ends_a_command_quietly():
    """``probmodel scenarios | head -1``: the reader leaving early is not an error (no traceback)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "probmodel", "scenarios"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    proc.stdout.close()  # no reader left: the command's first write meets a broken pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
