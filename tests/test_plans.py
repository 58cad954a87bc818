"""Scoring several plans on one posterior: paired draws, the run's own plan reproduced."""

from __future__ import annotations

import json

import numpy as np
import pytest

import probmodel as pmod
from probmodel.analysis.plans import plan_rows, score_plans
from probmodel.cli import main

pytestmark = pytest.mark.fit


def test_the_runs_own_plan_scores_as_its_summary(library, small_run):
    rows = {r["scenario"]: r for r in plan_rows(small_run, [library.scenario("seed-cotrain")])}
    own = pmod.summarize(small_run)["posterior"]
    assert rows["seed-cotrain"]["success_p50"] == pytest.approx(
        own["outcomes"]["success_rate"]["p50"]
    )
    assert rows["seed-cotrain"]["p_success_at_least_target"] == pytest.approx(
        own["risk"]["p_success_at_least_target"]
    )


def test_plans_share_the_same_draws(library, small_run):
    names = ["seed-real-only", "seed-cotrain", "pathway-world-model"]
    scores = score_plans(small_run, [library.scenario(n) for n in names])
    assert list(scores["plan"].values) == names
    assert scores["success_rate"].dims == ("plan", "chain", "draw")
    # paired: P(co-training beats real-only) is computed draw by draw
    better = (scores["success_rate"].sel(plan="seed-cotrain") >
              scores["success_rate"].sel(plan="seed-real-only"))  # fmt: skip
    assert 0 < float(better.mean()) <= 1
    assert small_run.constants == {}  # seed-cotrain fixes no parameter


def test_plans_command_prints_every_scenario(library, small_run, tmp_path, capsys):
    path = small_run.save(tmp_path / "run.nc")
    assert main(["plans", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {r["scenario"] for r in out["plans"]} == set(library.scenario_names())
    levine = next(r for r in out["plans"] if r["scenario"] == "levine-mcdonalds")
    assert levine["prior_overrides"] == ["operating_days_per_year"]
    assert main(["plans", str(path), "seed-real-only", "seed-cotrain"]) == 0
    text = capsys.readouterr().out
    assert "seed-real-only" in text and "P(>=target)" in text
    assert np.isfinite(levine["success_p50"])
