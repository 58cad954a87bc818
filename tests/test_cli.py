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
    assert 0.0 <= post["risk"]["p_cost_over_budget"] <= 1.0
    assert 0.0 <= post["risk"]["p_years_over_deadline"] <= 1.0
    assert summary["stale"] is False
    assert set(summary["diagnostics"]) >= {"max_r_hat", "min_ess_bulk", "divergences", "ok"}


def test_summary_text(sampled, capsys):
    capsys.readouterr()
    assert main(["summary", str(sampled)]) == 0
    out = capsys.readouterr().out
    assert "90% equal-tailed CI" in out and "P(cost > budget $2B)" in out and "diagnostics:" in out


def test_report_is_written(sampled, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(sampled), "--out", str(out)]) == 0
    assert out.is_file() and "<html" in out.read_text().lower()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "seed-real-only", "--draws", "0"], "draws = 0"),
        (["sample", "seed-real-only", "--target-accept", "1.5"], "target_accept = 1.5"),
    ],
)
def test_bad_options_are_refused_before_sampling(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_ci_mass_is_refused(sampled, capsys):
    assert main(["summary", str(sampled), "--ci", "1.5"]) == 2
    assert "ci_prob = 1.5" in capsys.readouterr().err
