"""Bad input is refused clearly: one deliberately broken file per error path (tests/broken/).

Each error names the file, the key and the bad value and says what is allowed; the command line
prints it without a traceback and exits non-zero; every problem of a file is reported at once.
"""

from __future__ import annotations

import pytest
from conftest import BROKEN

from probmodel.cli import main
from probmodel.errors import SpecError, UnknownNameError
from probmodel.specs.library import Library


def _world_error(spec_dir, name: str) -> SpecError:
    root = spec_dir(world_fragment=(BROKEN / "priors" / name).read_text())
    with pytest.raises(SpecError) as info:
        Library.open(root).world_priors()
    return info.value


def _cli_error(capsys, argv) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in captured.err + captured.out
    assert captured.err.startswith("error: ")
    return captured.err


@pytest.mark.parametrize(
    "broken, expected",
    [
        ("malformed-toml.toml", ["world.toml", "not valid TOML", "line"]),
        ("unknown-distribution.toml", ["control_rate_hz.distribution", "'LogNormall'", "Did you mean 'LogNormal'", "Allowed:"]),
        ("missing-scale.toml", ["control_rate_hz.params.sigma", "required number is missing"]),
        ("negative-scale.toml", ["control_rate_hz.params.sigma", "-0.5", "must be > 0"]),
        ("interval-reversed.toml", ["control_rate_hz.interval", "[20.0, 5.0]", "lower must be below upper"]),
        ("unknown-key.toml", ["control_rate_hz.unti", "Did you mean 'unit'"]),
        ("point-outside-support.toml", ["backup_share.point", "1.5", "takes values in [0, 1]"]),
    ],
)  # fmt: skip
def test_broken_prior_file_is_refused_with_file_key_value(spec_dir, broken, expected):
    err = _world_error(spec_dir, broken)
    text = str(err)
    assert "world.toml" in text
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


def test_every_error_in_a_file_is_reported_at_once(spec_dir):
    err = _world_error(spec_dir, "several-errors.toml")
    keys = {p.key for p in err.problems}
    assert {
        "control_rate_hz.params.sigma",
        "tokens_per_step.method",
        "unit_cost_usd.unit",
        "unit_cost_usd.point",
    } <= keys
    assert str(err).startswith(f"{len(err.problems)} problems")


def test_broken_world_from_the_command_line(spec_dir, capsys):
    root = spec_dir(world_fragment=(BROKEN / "priors" / "negative-scale.toml").read_text())
    err = _cli_error(capsys, ["point", "seed-real-only", "--priors", str(root)])
    assert "control_rate_hz.params.sigma = -0.5" in err


@pytest.mark.parametrize(
    "broken, expected",
    [
        ("unknown-plan-key.toml", ["broken.toml", "plan.fleet_sise", "Did you mean 'fleet_size'", "plan.fleet_size"]),
        ("unknown-override.toml", ["broken.toml", "priors.sim_transfers", "Did you mean 'sim_transfer'"]),
        ("shares-over-one.toml", ["plan.real_share", "= 1.2", "at most 1"]),
        ("deployment-without-hours.toml", ["plan.deployed = 'yes'", "true or false",
                                           "plan.performance_target = 1.5", "plan.sites = 0",
                                           "plan.data_goal = 'effective'", "effective_tokens"]),
        ("fixed-time-without-fleet.toml", ["plan.collection_years = 3", "real_share > 0"]),
    ],
)  # fmt: skip
def test_broken_scenario_is_refused(spec_dir, capsys, broken, expected):
    root = spec_dir(scenario=(BROKEN / "scenarios" / broken).read_text())
    err = _cli_error(capsys, ["point", "broken", "--priors", str(root)])
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in:\n{err}"


def test_evidence_naming_an_unknown_quantity_is_refused(spec_dir, capsys):
    root = spec_dir(evidence=(BROKEN / "evidence" / "unknown-quantity.toml").read_text())
    err = _cli_error(capsys, ["evidence", "list", "--priors", str(root)])
    assert "broken.toml: quantity = 'unit_cost'" in err
    assert "Did you mean 'unit_cost_usd'" in err


def test_evidence_with_several_problems_reports_all(spec_dir):
    root = spec_dir(evidence=(BROKEN / "evidence" / "negative-sd-no-citation.toml").read_text())
    with pytest.raises(SpecError) as info:
        Library.open(root).evidence()
    keys = {p.key for p in info.value.problems}
    assert {"sd", "confidence", "citation"} <= keys
    assert "'rumour'" in str(info.value) and "company-claim" in str(info.value)


def test_unknown_scenario_name(capsys):
    with pytest.raises(UnknownNameError, match="Did you mean 'seed-cotrain'"):
        Library.open().scenario("seed-cotrian")
    err = _cli_error(capsys, ["point", "seed-cotrian"])
    assert "unknown scenario 'seed-cotrian'" in err and "seed-real-only" in err


def test_missing_spec_folder(capsys, tmp_path):
    err = _cli_error(capsys, ["scenarios", "--priors", str(tmp_path / "nowhere")])
    assert "nowhere" in err and "not found" in err


@pytest.mark.parametrize(
    "broken, expected",
    [
        ("unknown-kind.toml", ["kind = 'curv'", "Did you mean 'curve'", "measurement, meta, curve, effect, outcome"]),
        ("curve-mismatched.toml", ["axis = 'environment'", "use 'diversity'", "has 3 values but x has 4"]),
        ("curve-score-above-max.toml", ["score", "score_max", "must lie in [0, 1]"]),
        ("effect-bad-pathway.toml", ["treatment.simm", "Did you mean 'sim'", "base_success"]),
        ("outcome-without-trials.toml", ["environments = 0", "setting = 'unseen'", "unseen-tasks, seen-tasks"]),
        ("curve-counts-above-trials.toml", ["successes", "whole numbers in [0, trials]"]),
        ("price-without-class.toml", ["robot_class", "which class of robot", "humanoid"]),
        ("meta-missing-se.toml", ["se: ", "give exactly one of `se`"]),
    ],
)  # fmt: skip
def test_broken_evidence_of_every_kind_is_refused(spec_dir, capsys, broken, expected):
    root = spec_dir(evidence=(BROKEN / "evidence" / broken).read_text())
    err = _cli_error(capsys, ["evidence", "list", "--priors", str(root)])
    assert "broken.toml" in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in:\n{err}"


def test_evidence_check_refuses_a_broken_file_and_add_leaves_the_library_alone(spec_dir, capsys):
    root = spec_dir()
    before = sorted(p.name for p in (root / "evidence").iterdir())
    broken = BROKEN / "evidence" / "effect-bad-pathway.toml"
    for command in ("check", "add"):
        err = _cli_error(capsys, ["evidence", command, str(broken), "--priors", str(root)])
        assert "simm" in err
    assert sorted(p.name for p in (root / "evidence").iterdir()) == before
