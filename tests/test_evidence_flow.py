"""The evidence workflow: check and add a record by file alone; influence and conflict checks."""

from __future__ import annotations

import pytest

import probmodel as pmod
from probmodel.analysis.evidence import conflicts, data_vs_prior, influence, provenance
from probmodel.cli import main

NEW_CURVE = """
title = "Illustrative curve: success vs number of sites"
kind = "curve"
axis = "diversity"
x_unit = "sites"
x = [1, 3, 9, 27]
score = [0.2, 0.45, 0.7, 0.85]
confidence = "secondary"
[citation]
authors = "Example Lab"
title = "An illustrative scaling curve"
year = 2026
venue = "test fixture"
"""

CONFLICTING = """
title = "A control rate no robot runs at (deliberately conflicting)"
kind = "measurement"
quantity = "control_rate_hz"
value = 400.0
sd = 0.1
scale = "log"
confidence = "primary"
[citation]
authors = "Nobody"
title = "A deliberately wrong number"
year = 2026
venue = "test fixture"
"""


def test_check_and_add_a_new_curve_by_file_alone(spec_dir, tmp_path, capsys):
    root = spec_dir()
    new = tmp_path / "sites-curve.toml"
    new.write_text(NEW_CURVE)
    assert main(["evidence", "check", str(new), "--priors", str(root)]) == 0
    out = capsys.readouterr().out
    assert "valid curve record" in out and "diversity_exponent_mean" in out
    assert main(["evidence", "add", str(new), "--priors", str(root)]) == 0
    assert (root / "evidence" / "sites-curve.toml").read_text() == NEW_CURVE
    ids = {r.id for r in pmod.load_evidence(priors_dir=root)}
    assert "sites-curve" in ids
    # adding it again is refused (same id), unless forced
    assert main(["evidence", "add", str(new), "--priors", str(root)]) == 2
    assert "already used" in capsys.readouterr().err
    assert main(["evidence", "add", str(new), "--priors", str(root), "--force"]) == 0


def test_two_files_can_never_hold_one_record_id(spec_dir, tmp_path, capsys):
    """A second file claiming a shipped record's id is refused naming both files, by every command
    that reads the library; ``evidence add --force`` replaces the file named by the id, so it
    cannot create a second one either."""
    root = spec_dir()
    shipped = root / "evidence" / "onex-neo-price.toml"
    text = shipped.read_text()
    (root / "evidence" / "zz-copy.toml").write_text('id = "onex-neo-price"\n' + text)
    assert main(["evidence", "list", "--priors", str(root)]) == 2
    err = capsys.readouterr().err
    assert "zz-copy.toml: id = 'onex-neo-price': duplicate of the record in" in err
    assert "onex-neo-price.toml" in err.split("duplicate of the record in", 1)[1]
    (root / "evidence" / "zz-copy.toml").unlink()
    new = tmp_path / "elsewhere.toml"
    new.write_text('id = "onex-neo-price"\n' + text.replace("20000", "21000", 1))
    assert main(["evidence", "add", str(new), "--priors", str(root), "--force"]) == 0
    files = sorted(p.name for p in (root / "evidence").glob("*.toml") if "onex" in p.read_text())
    assert [f for f in files if f.startswith("onex-neo")] == ["onex-neo-price.toml"]
    assert main(["evidence", "list", "--priors", str(root)]) == 0


def test_new_curve_enters_the_model_as_a_new_study(spec_dir, tmp_path):
    from probmodel.model import build_model

    root = spec_dir(evidence=NEW_CURVE)
    scenario = pmod.load_scenario("seed-cotrain", root)
    model = build_model(scenario, pmod.load_evidence(scenario, root))
    assert "broken" in list(model.coords["curve_record"])  # the fixture names the file broken.toml


def test_influence_and_data_vs_prior_cover_every_record_and_parameter(small_run):
    rows = influence(small_run.tree, small_run.evidence)
    assert {r["id"] for r in rows} == set(small_run.meta["evidence_ids"])
    by_id = {r["id"]: r for r in rows}
    bridge = by_id["bridgedata-v2-control-rate"]  # 5 Hz: leaving it out raises the control rate
    move = next(m for m in bridge["moved"] if m["parameter"] == "control_rate_hz")
    assert move["shift_sd"] < 0 and bridge["reliable"]
    decided = {r["parameter"]: r for r in data_vs_prior(small_run.tree)}
    assert decided["data_exponent_mean"]["decided_by"] == "data"  # Sartor & Thompson, curves
    assert decided["maintenance_share"]["decided_by"] == "prior"  # no record measures it


@pytest.mark.fit
def test_a_conflicting_record_is_flagged_and_the_rest_are_not(spec_dir, tmp_path, capsys):
    root = spec_dir(evidence=CONFLICTING)
    run = pmod.fit("seed-cotrain", draws=400, tune=400, chains=2, prior_draws=4000, priors_dir=root)
    rows = {r["id"]: r for r in conflicts(run.tree, run.evidence)}
    assert rows["broken"]["conflict"], rows["broken"]
    # the records it outweighs are pulled away and may look odd; the unrelated ones stay clean
    for other in ("humanoid-list-prices", "tesla-operator-wage", "sartor-thompson-data-exponent"):
        assert not rows[other]["conflict"], rows[other]
    # far outside its prior predictive: flagged in every output like a failed diagnostic, and
    # --strict exits 4 (issue 14); the shipped records' smallest prior predictive p is ~0.1
    assert set(run.diagnostics["prior_conflicts"]) == {"broken"}
    path = run.save(tmp_path / "run.nc")
    capsys.readouterr()
    assert main(["summary", str(path), "--priors", str(root), "--strict"]) == 4
    err = capsys.readouterr().err
    assert "broken (p = " in err and "--strict" in err


def test_influence_command_prints_tables(small_run, tmp_path, capsys):
    path = small_run.save(tmp_path / "run.nc")
    assert main(["evidence", "influence", str(path)]) == 0
    out = capsys.readouterr().out
    assert "influence" in out and "conflict checks" in out and "data vs prior" in out
    result = provenance(small_run.tree, small_run.evidence)
    assert len(result["conflicts"]) == len(small_run.evidence)
