"""What a user sees in the terminal: tables that fit it, units never cut, recommendations that
respect the target, integer plan variables, --version, CSV export, and every README command."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED

from probmodel.cli import main

CHEAP_ARM = """
id = "{id}"
title = "Illustrative: robot unit cost $30,000"
kind = "measurement"
quantity = "unit_cost_usd"
value = 30000.0
sd = 0.3
scale = "log"
robot_class = "humanoid"
confidence = "primary"

[citation]
authors = "probmodel tests"
title = "Illustrative record for tests (not a published result)"
year = 2026
venue = "test suite"
"""


def lines_of(text: str) -> list[str]:
    return text.splitlines()


# --------------------------------------------------------------------------- fast: no sampling


def test_version(capsys):
    import probmodel

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"probmodel {probmodel.__version__}"


@pytest.mark.parametrize("columns", [80, 120])
def test_point_and_evidence_list_fit_the_terminal(columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["point", "seed-cotrain"]) == 0
    out = capsys.readouterr().out
    assert max(map(len, lines_of(out))) <= columns
    assert "real-token equivalents" in out and "real-robot hours" in out  # units whole
    assert main(["evidence", "list"]) == 0
    out = capsys.readouterr().out
    assert max(map(len, lines_of(out))) <= columns
    shipped = sorted(p.stem for p in (SHIPPED / "evidence").glob("*.toml"))
    assert all(record_id in out for record_id in shipped)  # ids are never cut
    if columns == 80:
        assert "left out to fit 80 columns: confidence, title; --wide shows them" in out


def test_wide_prints_every_column(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["evidence", "list", "--wide"]) == 0
    out = capsys.readouterr().out
    assert "title" in out and "confidence" in out and "left out" not in out


def test_integer_plan_variables_stay_integers_in_grids():
    from probmodel.analysis.sweep import parse_axis
    from probmodel.equations import PLAN_VARIABLES
    from probmodel.errors import InvalidArgumentError

    assert {n for n, v in PLAN_VARIABLES.items() if v.integer} >= {"fleet_size", "sites", "embodiments"}
    sites = parse_axis("sites", "10:10000:5:log")
    assert sites.tolist() == [10.0, 56.0, 316.0, 1778.0, 10000.0]
    assert parse_axis("embodiments", "1:3:7").tolist() == [1.0, 2.0, 3.0]  # duplicates dropped
    assert parse_axis("real_share", "0.1:1:10")[1] == pytest.approx(0.2)  # shares stay real
    with pytest.raises(InvalidArgumentError, match="sites counts sites, so its values must be whole"):
        parse_axis("sites", "2.5,3")


def test_optimize_defaults_to_the_deadline_and_the_target(library):
    from probmodel.cli.plans import default_constraints

    plan = library.scenario("seed-cotrain").plan
    assert plan.deadline_years and plan.performance_target
    assert default_constraints(plan) == {"p_on_time": 0.8, "p_success_at_least_target": 0.8}


def test_every_evppi_zero_is_explained():
    from probmodel import formatting as fmt
    from probmodel.cli.sensitivity import zero_evppi_reason

    rows = [{"parameter": "x", "evppi": 0.0}]
    result = {"evppi": rows, "evpi": {"chosen": "a", "value": 0.0, "best_share": {"a": 1.0}}}
    assert "best plan in every posterior draw" in zero_evppi_reason(result, fmt)
    result["evpi"] = {"chosen": "a", "value": 5e6, "best_share": {"a": 0.9, "b": 0.1}}
    assert "no single parameter predicts" in zero_evppi_reason(result, fmt)
    assert zero_evppi_reason({**result, "evppi": [{"evppi": 1e6}]}, fmt) is None


# --------------------------------------------------------------------------- a fitted run


@pytest.fixture(scope="module")
def fitted(small_run, tmp_path_factory):
    """The session's small fit saved as a run file, a private copy of the spec folder (so that
    `evidence add` never writes into the shipped one) and a new record beside it."""
    folder = tmp_path_factory.mktemp("terminal")
    run_file = small_run.save(folder / "seed-cotrain.nc")
    priors = folder / "priors"
    shutil.copytree(SHIPPED, priors)
    record = folder / "new.toml"
    record.write_text(CHEAP_ARM.format(id="new"))
    return run_file, priors, record


@pytest.mark.fit
@pytest.mark.parametrize("columns", [80, 120])
def test_run_tables_fit_the_terminal_and_keep_units_whole(fitted, columns, monkeypatch, capsys):
    """summary, plans, update and compare at 80 and 120 columns: no line is wider than the
    terminal, units are printed whole (never "US/D//ro/bo/t"), and the headline outcomes of a
    comparison are always shown."""
    run_file, priors, record = fitted
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.chdir(run_file.parent)  # relative paths, as a user types them: a path longer
    run_file, priors, record = (Path(p.name) for p in fitted)  # than the terminal cannot fit
    updated = Path(f"updated-{columns}.nc")
    outputs = {}
    for name, argv in {
        "summary": ["summary", str(run_file)],
        "plans": ["plans", str(run_file), "--priors", str(priors)],
        "update": ["update", str(run_file), str(record), "--out", str(updated),
                   "--priors", str(priors)],
        "compare": ["compare", str(run_file), str(updated), "--priors", str(priors)],
    }.items():  # fmt: skip
        assert main(argv) == 0, name
        outputs[name] = capsys.readouterr().out
        widest = max(lines_of(outputs[name]), key=len)
        assert len(widest) <= columns, (name, widest)
    for name in ("update", "compare"):
        text = outputs[name]
        for head in ("cost_total_usd P50", "cost_total_usd P80", "years P50", "years P80",
                     "success_rate P50", "success_rate P20"):  # fmt: skip
            assert head in text, (name, head)
        assert re.search(r"unit_cost_usd .*USD/robot", text), name
    summary = outputs["summary"]
    for column in ("P10", "P50", "P80", "P90", "point"):
        assert column in summary
    if columns == 80:
        assert "--wide shows them" in summary


@pytest.mark.fit
def test_summary_csv_is_written_once(fitted, tmp_path, capsys):
    import csv

    run_file, _, _ = fitted
    out = tmp_path / "summary.csv"
    assert main(["summary", str(run_file), "--csv", str(out)]) == 0
    rows = {r["outcome"]: r for r in csv.DictReader(out.open())}
    success = rows["success_rate"]
    assert success["better"] == "higher" and success["contingency"] == ""
    assert float(success["mean_worst_10pct"]) < float(success["p10"])
    assert float(rows["cost_total_usd"]["mean_worst_10pct"]) > float(rows["cost_total_usd"]["p90"])
    capsys.readouterr()
    assert main(["summary", str(run_file), "--csv", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["summary", str(run_file), "--csv", str(out), "--force"]) == 0


SAMPLING = {"run", "sample", "sbc"}
"""README commands this test does not run, because they sample (MCMC, minutes): `run`,
`sample` and `check sbc`. `evidence influence --exact` runs without `--exact` (it re-fits)."""
SERVING = {"explore"}
"""README commands that serve until stopped: `explore` (tests/test_explore_browser.py starts the
command and drives its page in Chromium)."""


def readme_commands() -> list[str]:
    """Every `probmodel ...` command line of README.md's code blocks (continuations joined,
    comments dropped)."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "probmodel":
                commands.append(words)
    return commands


def test_the_readme_has_commands_to_check():
    names = {words[1] for words in readme_commands()}
    assert {"summary", "plans", "sweep", "optimize", "voi", "update", "compare"} <= names


@pytest.mark.fit
def test_every_readme_command_runs(fitted, tmp_path, monkeypatch, capsys):
    """Each README command, in README order, on the small fit (its path substituted for
    results/seed-cotrain.nc) and a private spec folder (for priors/): exit code 0 and output."""
    run_file, priors, record = fitted
    monkeypatch.chdir(tmp_path)
    shutil.copy(record, tmp_path / "new.toml")
    (tmp_path / "results").mkdir()
    shutil.copy(run_file, tmp_path / "results" / "seed-cotrain.nc")
    ran = []
    for words in readme_commands():
        if words[1] in SAMPLING | SERVING or words[1:3] == ["check", "sbc"]:
            continue
        argv = [w.replace("priors/", f"{priors}/") for w in words[1:] if w != "--exact"]
        argv += ["--priors", str(priors)]  # every command takes it
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 0, (words, captured.err[-2000:])
        assert captured.out.strip(), words
        ran.append(" ".join(words))
    assert len(ran) >= 15, ran
    assert Path("results/seed-cotrain-updated.nc").is_file()
