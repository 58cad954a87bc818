"""Model checks: the prior predictive check of the point estimates and the posterior predictive
check per evidence record (constructed draws; one real fit)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from conftest import prior_draws

from probmodel.analysis.checks import (
    TAIL_P,
    percentile_of,
    posterior_predictive_check,
    prior_predictive_check,
    record_predictive_p,
)
from probmodel.evaluate import point_outcomes
from probmodel.sampling import Run, SamplerSettings, run_meta


def test_percentile_is_mid_rank():
    draws = np.array([1.0, 2.0, 3.0, 4.0])
    assert percentile_of(draws, 0.0) == 0.0
    assert percentile_of(draws, 5.0) == 1.0
    assert percentile_of(draws, 2.0) == pytest.approx(0.375)  # one below, one tied
    assert percentile_of(np.full(10, 7.0), 7.0) == 0.5


@pytest.fixture(scope="module")
def moved_prior_run(spec_dir_module):
    """seed-cotrain with the unit-cost prior moved to $1M-$2M while its point stays at $100k."""
    from probmodel.specs.library import Library

    root = spec_dir_module(
        world_fragment='[unit_cost_usd]\nunit = "USD/robot"\ndistribution = "LogNormal"\n'
        'interval = [1000000.0, 2000000.0]\nmethod = "exact"\npoint = 100000.0\n'
        'source = "test"\nreason = "moved away from its point on purpose"\n'
    )
    scenario = Library.open(root).scenario("seed-cotrain")
    tree = xr.DataTree.from_dict(
        {"prior": prior_draws(scenario, 800, seed=9), "point": point_outcomes(scenario)}
    )
    return Run(tree=tree, meta=run_meta(scenario, [], SamplerSettings()))


@pytest.fixture(scope="module")
def spec_dir_module(tmp_path_factory):
    import shutil

    from conftest import SHIPPED, replace_world_tables

    root = tmp_path_factory.mktemp("moved") / "priors"
    shutil.copytree(SHIPPED, root)

    def build(world_fragment: str):
        world = root / "world.toml"
        world.write_text(replace_world_tables(world.read_text(), world_fragment))
        return root

    return build


def test_prior_check_flags_a_point_outside_its_moved_prior(moved_prior_run):
    result = prior_predictive_check(moved_prior_run)
    rows = {r["outcome"]: r for r in result["outcomes"]}
    capex = rows["cost_capex"]
    assert not capex["inside"] and capex["side"] == "below"
    assert capex["point"] == pytest.approx(550e6)  # the seed's CAPEX: the point did not move
    assert capex["point"] < capex["low"]
    assert capex["percentile"] < 0.05
    assert capex["drivers"][0]["parameter"] == "unit_cost_usd"
    assert capex["drivers"][0]["outcome_percentile_at_median"] == pytest.approx(0.5, abs=0.1)
    assert "below the prior P5" in capex["reason"] and "unit_cost_usd" in capex["reason"]
    assert "cost_capex" in result["outside"] and result["n_outside"] == len(result["outside"])
    assert any(t["parameter"] == "unit_cost_usd" for t in result["tail_parameters"])
    assert all(r["reason"] == "" for r in result["outcomes"] if r["inside"])


def test_prior_check_with_the_prior_around_its_point_keeps_capex_inside(gating_runs):
    rows = {r["outcome"]: r for r in prior_predictive_check(gating_runs["good"])["outcomes"]}
    assert rows["cost_capex"]["inside"] and rows["cost_capex"]["drivers"] == []


def test_prior_check_handles_constant_outcomes(gating_runs):
    run = gating_runs["good"]
    rows = {r["outcome"]: r for r in prior_predictive_check(run)["outcomes"]}
    fleet = rows["fleet_size"]  # a plan input echoed as an outcome
    assert fleet["constant"] and fleet["inside"] and fleet["percentile"] is None
    assert fleet["low"] == fleet["high"] == 5000.0
    # a point that disagrees with a constant prior is outside, and says why
    tree = run.tree.copy()
    point = tree["point"].to_dataset()
    point["fleet_size"] = point["fleet_size"] * 0 + 1000.0
    tree["point"] = xr.DataTree(point)
    moved = Run(tree=tree, meta=run.meta)
    fleet = {r["outcome"]: r for r in prior_predictive_check(moved)["outcomes"]}["fleet_size"]
    assert not fleet["inside"] and fleet["side"] == "below"
    assert "in every prior draw" in fleet["reason"]


def test_prior_check_refuses_a_bad_mass(gating_runs):
    from probmodel.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="mass = 1.5"):
        prior_predictive_check(gating_runs["good"], 1.5)


def test_single_entry_p_is_two_sided():
    reps = np.random.default_rng(0).normal(size=(4000, 1))
    p_mid, statistic, t, _ = record_predictive_p(reps, np.array([0.1]))
    assert statistic == "PIT" and t is None and p_mid > 0.5
    assert record_predictive_p(reps, np.array([3.5]))[0] < 0.01
    assert record_predictive_p(reps, np.array([-3.5]))[0] < 0.01


def test_chi_square_p_is_calibrated_for_correlated_entries():
    """Observations drawn from the predictive itself land in the 5% tail about 5% of the time,
    although the six entries share a common component (as a curve's points share an exponent)."""
    rng = np.random.default_rng(1)

    def draw(n):
        return rng.normal(size=(n, 1)) + 0.5 * rng.normal(size=(n, 6))

    reps = draw(4000)
    p = np.array([record_predictive_p(reps, y)[0] for y in draw(400)])
    assert 0.02 <= np.mean(p < TAIL_P) <= 0.09  # binomial 99% band around 0.05 for n = 400
    assert record_predictive_p(reps, reps.mean(axis=0) + 3 * reps.std(axis=0))[0] < TAIL_P


def _evidence_tree(observed_b: float, curve_shift: float) -> xr.DataTree:
    """Replicates and observations of two measurement records and one 5-point curve record."""
    rng = np.random.default_rng(2)
    meas = ["rec-a", "rec-b"]
    curve = [f"curve-x:{x}" for x in (1, 2, 4, 8, 16)]
    trend = np.linspace(0.3, 0.8, 5)
    pp = xr.Dataset(
        {
            "evidence_measurement": (("chain", "draw", "measurement"),
                                     rng.normal(size=(2, 1000, 2))),
            "evidence_curve": (("chain", "draw", "curve_point"),
                               trend + 0.05 * rng.normal(size=(2, 1000, 5))),
        },
        coords={"measurement": meas, "curve_point": curve},
    )  # fmt: skip
    obs = xr.Dataset(
        {
            "evidence_measurement": ("measurement", [0.2, observed_b]),
            "evidence_curve": ("curve_point", trend + curve_shift),
        },
        coords={"measurement": meas, "curve_point": curve},
    )
    return xr.DataTree.from_dict(
        {"posterior_predictive": pp, "prior_predictive": pp, "observed_data": obs}
    )


def test_ppc_flags_the_inconsistent_record_and_passes_the_others():
    records = [{"id": i, "kind": k} for i, k in
               (("rec-a", "measurement"), ("rec-b", "measurement"), ("curve-x", "curve"))]  # fmt: skip
    rows = {r["id"]: r for r in posterior_predictive_check(_evidence_tree(0.5, 0.0), records)}
    assert [r["verdict"] for r in rows.values()] == ["consistent"] * 3
    assert rows["curve-x"]["n_entries"] == 5 and rows["curve-x"]["statistic"] == "chi-square (5)"
    rows = {r["id"]: r for r in posterior_predictive_check(_evidence_tree(4.0, 0.15), records)}
    assert rows["rec-b"]["tail"] and rows["rec-b"]["verdict"] == "in the tail"
    assert rows["rec-b"]["max_pit"] > 0.99 and rows["rec-b"]["prior_tail"]
    assert rows["curve-x"]["tail"] and rows["curve-x"]["min_pit"] > 0.99
    assert not rows["rec-a"]["tail"] and rows["rec-a"]["conflict_p_value"] is None
    assert list(rows) == ["rec-a", "rec-b", "curve-x"]  # in the order of the records


def test_ppc_of_a_run_without_evidence_is_empty(gating_runs):
    assert posterior_predictive_check(gating_runs["good"].tree) == []


MEASUREMENT = """title = "{title}"
kind = "measurement"
quantity = "{quantity}"
value = {value}
sd = {sd}
scale = "log"
{robot_class}confidence = "primary"
[citation]
authors = "Test"
title = "{title}"
year = 2025
url = "https://example.org/{name}"
"""


@pytest.mark.fit
def test_ppc_of_a_real_fit_flags_two_contradicting_prices(tmp_path, library, capsys):
    """Two tight unit-cost records a factor of 100 apart cannot both be reproduced; a loose
    control-rate record at the seed's 8 Hz can."""
    import probmodel as pmod
    from probmodel.cli import main
    from probmodel.specs.library import read_evidence_file

    specs = {
        "cheap-robot": ("unit_cost_usd", 20000.0, 0.05),
        "dear-robot": ("unit_cost_usd", 2000000.0, 0.05),
        "control-rate": ("control_rate_hz", 8.0, 0.3),
    }
    records = []
    for name, (quantity, value, sd) in specs.items():
        path = tmp_path / f"{name}.toml"
        robot_class = 'robot_class = "humanoid"\n' if quantity == "unit_cost_usd" else ""
        path.write_text(MEASUREMENT.format(title=name, quantity=quantity, value=value, sd=sd,
                                           name=name, robot_class=robot_class))  # fmt: skip
        record, problems = read_evidence_file(path)
        assert not problems, problems
        records.append(record)
    run = pmod.fit(library.scenario("seed-cotrain"), records, draws=300, tune=300, chains=2,
                   prior_draws=500)  # fmt: skip
    rows = {r["id"]: r for r in posterior_predictive_check(run.tree, run.evidence)}
    assert rows["cheap-robot"]["tail"] and rows["dear-robot"]["tail"]
    assert not rows["control-rate"]["tail"]
    out = run.save(tmp_path / "run.nc")
    capsys.readouterr()
    assert main(["check", "ppc", str(out), "--json"]) == 0
    shown = {r["id"]: r for r in json.loads(capsys.readouterr().out)["records"]}
    assert shown["dear-robot"]["verdict"] == "in the tail"
    assert shown["dear-robot"]["conflict_p_value"] < 0.05  # LOO agrees: the rest disagrees
    assert main(["check", "ppc", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 of 3 records in the posterior predictive tail" in captured.out
    assert "does not reproduce dear-robot" in captured.err
