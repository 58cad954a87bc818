"""Point mode reproduces seed 004's arithmetic (DESIGN.md section 2), number by number."""

from __future__ import annotations

import json

import pytest

import probmodel as pmod
from probmodel.cli import main

EXACT = dict(rel=1e-9)


@pytest.fixture(scope="module")
def seed():
    return {name: pmod.point(name) for name in pmod.api.Library.open().scenario_names()}


def test_token_target_is_chinchilla_20_tokens_per_parameter_times_55b(seed):
    assert seed["seed-real-only"]["token_target"] == pytest.approx(1.1e12, **EXACT)


def test_tokens_per_robot_year_is_51_84m(seed):
    # 8 Hz x 3 tokens/step x 3600 s x 2 h/day x 300 days
    assert seed["seed-real-only"]["tokens_per_robot_year"] == pytest.approx(51.84e6, **EXACT)


def test_real_only_needs_about_21219_robot_years(seed):
    assert seed["seed-real-only"]["robot_years"] == pytest.approx(1.1e12 / 51.84e6, **EXACT)
    assert round(seed["seed-real-only"]["robot_years"]) == 21219


def test_years_with_1000_and_5000_robots(seed):
    assert seed["seed-real-only-1000"]["years"] == pytest.approx(21.219, abs=5e-4)
    assert seed["seed-real-only"]["years"] == pytest.approx(4.2438, abs=5e-5)


def test_capex_and_yearly_opex(seed):
    s = seed["seed-real-only"]
    assert s["cost_capex"] == pytest.approx(550e6, **EXACT)  # $100K x 5,000 x 1.10
    assert s["opex_usd_per_year"] == pytest.approx(323e6, **EXACT)
    # the opex parts: maintenance 20% of CAPEX, people, facilities, compute, storage
    years = s["years"]
    assert s["cost_maintenance"] / years == pytest.approx(110e6, **EXACT)
    assert s["cost_people"] / years == pytest.approx(150e6, **EXACT)
    assert s["cost_facilities"] / years == pytest.approx(30e6, **EXACT)
    assert s["cost_compute"] / years == pytest.approx(8e6, **EXACT)
    assert s["cost_storage"] / years == pytest.approx(25e6, **EXACT)
    assert s["cost_sim_compute"] == 0.0


def test_total_cost_real_only_is_about_1_9_billion(seed):
    s = seed["seed-real-only"]
    assert s["cost_total_usd"] == pytest.approx(550e6 + 323e6 * 1.1e12 / 51.84e6 / 5000, **EXACT)
    assert 1.85e9 < s["cost_total_usd"] < 1.95e9


def test_cotraining_splits_220b_real_and_880b_sim(seed):
    s = seed["seed-cotrain"]
    assert s["tokens_real"] == pytest.approx(220e9, **EXACT)
    assert s["tokens_sim"] == pytest.approx(880e9, **EXACT)


def test_cotraining_robot_years_and_years(seed):
    s = seed["seed-cotrain"]
    assert s["robot_years_sim"] == pytest.approx(880e9 / 518.4e6, **EXACT)
    assert round(s["robot_years_sim"]) == 1698
    assert round(s["robot_years_real"]) == 4244
    assert round(s["robot_years"]) == 5941
    assert s["years"] == pytest.approx(1.188, abs=5e-4)


def test_fleet_for_4_2_years_and_capex_saved(seed):
    s = seed["seed-cotrain-4.2y"]
    assert s["fleet_size"] == pytest.approx(220e9 / 4.2 / 51.84e6, **EXACT)
    assert round(s["fleet_size"]) == 1010
    assert s["years"] == pytest.approx(4.2, **EXACT)
    assert s["capex_saved_usd"] == pytest.approx((5000 - 220e9 / 4.2 / 51.84e6) * 100e3, **EXACT)
    assert 395e6 < s["capex_saved_usd"] < 405e6  # seed: "that saves $400M"


def test_paxton_70000_robot_years_for_2t_and_7_years_at_1t(seed):
    s = seed["paxton-2t"]
    assert s["robot_years"] == pytest.approx(70_000, **EXACT)
    assert s["tokens_per_robot_year"] == pytest.approx(2e12 / 70_000, **EXACT)
    at_1t = pmod.point(pmod.load_scenario("paxton-2t").with_plan(token_target=1e12))
    assert at_1t["years"] == pytest.approx(7.0, **EXACT)


def test_levine_about_10m_hours_per_year(seed):
    hours = seed["levine-mcdonalds"]["collection_hours_per_year"]
    assert hours == pytest.approx(13_500 * 2 * 365, **EXACT)
    assert hours == pytest.approx(10e6, rel=0.02)


def test_point_command_json_matches_api(capsys):
    assert main(["point", "seed-cotrain", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["outcomes"] == pytest.approx(pmod.point("seed-cotrain"), **EXACT)


def test_point_command_prints_table(capsys):
    assert main(["point", "seed-real-only"]) == 0
    out = capsys.readouterr().out
    assert "cost_total_usd" in out and "$1.92B" in out and "21,219" in out
