"""What-ifs on a run's draws (probmodel.analysis.whatif), without a browser and without MCMC.

The run is ``prior_run`` (1,000 prior draws of seed-cotrain standing in for a posterior) with a
constructed log-likelihood group where a test needs evidence: what is checked is the arithmetic
of scoring, reweighting and saving, which does not depend on how the draws were made.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import probmodel as pmod
from probmodel.analysis import whatif
from probmodel.analysis.plans import plan_rows
from probmodel.analysis.risk import joint_confidence_budget
from probmodel.errors import InvalidArgumentError, SpecError
from probmodel.io import toml_text
from probmodel.run import Run


@pytest.fixture(scope="module")
def base(prior_run):
    return whatif.prepare(prior_run)


@pytest.fixture(scope="module")
def evidence_base(prior_run):
    """A run conditioned on two constructed records: ``flat-record`` (the same likelihood on
    every draw) and ``unit-cost-record`` (log unit cost ~ Normal(log $50k, 0.5)). Its
    "posterior" is prior_run's draws resampled in proportion to the likelihood (sampling
    importance resampling, fixed seed), so leaving the record out should give back the prior."""
    from probmodel.analysis.update import systematic_resample

    prior = prior_run.tree["posterior"].to_dataset()
    x = np.log(prior["unit_cost_usd"].values.reshape(-1))
    informative = -0.5 * ((x - np.log(5e4)) / 0.5) ** 2
    index = systematic_resample(np.exp(informative - informative.max()), np.random.default_rng(3))
    post = prior.isel(draw=index).assign_coords(draw=np.arange(index.size))
    ll = np.stack([np.full(index.size, -1.3), informative[index]], axis=-1)[None]
    log_lik = xr.Dataset(
        {
            "evidence_measurement": xr.DataArray(
                ll, dims=("chain", "draw", "measurement"),
                coords={"measurement": ["flat-record", "unit-cost-record"]},
            )
        }
    )  # fmt: skip
    tree = xr.DataTree.from_dict({"posterior": post, "log_likelihood": log_lik})
    meta = dict(prior_run.meta)
    meta["evidence_ids"] = ["flat-record", "unit-cost-record"]
    meta["evidence"] = [
        {"id": "flat-record", "constrains": []},
        {"id": "unit-cost-record", "constrains": ["unit_cost_usd"]},
    ]
    return whatif.prepare(Run(tree=tree, meta=meta)), np.exp(x)


def test_headline_is_the_plans_table_on_the_same_draws(base, prior_run):
    """The numbers the explorer shows for a plan are exactly those of ``plan_rows`` (the API
    behind ``probmodel plans``) and of the shared JCL budget, for the run's plan and another."""
    for changes in ({}, {"fleet_size": 1234.0, "sites": 700.0, "real_share": 0.5}):
        scenario = base.scenario.with_plan(**changes)
        h = whatif.score_plan(base, scenario.plan).headline
        row = plan_rows(prior_run, [scenario])[0]
        for name in ("cost_p50", "cost_p80", "cost_p90", "years_p50", "years_p80",
                     "success_p10", "success_p50", "success_p90", "p_cost_within_budget",
                     "p_on_time", "p_success_at_least_target", "p_cost_and_years_within"):  # fmt: skip
            assert getattr(h, name) == row[name], name
        scored = whatif.score_plan(base, scenario.plan)
        assert h.jcl80_budget_usd == joint_confidence_budget(
            scored.cost, scored.years, scenario.plan.deadline_years, 0.8
        )
        assert h.n_draws == base.n_draws


def test_a_flat_records_leave_one_out_weights_are_uniform(evidence_base):
    base, _ = evidence_base
    rw = whatif.reweight(base, records_off=["flat-record"])
    n = base.n_draws
    assert np.allclose(rw.log_weights, -np.log(n))
    assert rw.pareto_k <= 0.7 and rw.ess == pytest.approx(n)
    assert not rw.resample_needed
    assert sorted(rw.index.tolist()) == list(range(n))  # every draw once


def test_leaving_out_a_record_gives_back_the_posterior_without_it(evidence_base):
    """The record pulled unit cost towards $50k; without it (weights ~ 1/likelihood) the
    median of log unit cost returns to the prior's, well within the distance the record moved
    it. Deterministic (fixed seeds): no false failures."""
    base, prior = evidence_base
    assert whatif.reweight(base) is None  # no what-if: the run's own draws
    rw = whatif.reweight(base, records_off=["unit-cost-record"])
    assert not rw.resample_needed
    (moved,) = whatif.parameter_shifts(base, rw)
    assert moved.parameter == "unit_cost_usd"
    with_record, without = np.log(moved.before[1]), np.log(moved.after[1])
    target = np.log(np.median(prior))
    assert abs(without - target) < 0.25 * abs(with_record - target)
    assert moved.after[2] - moved.after[0] > moved.before[2] - moved.before[0]  # wider again


def test_unknown_records_are_refused(evidence_base):
    with pytest.raises(InvalidArgumentError, match="no-such-record"):
        whatif.reweight(evidence_base[0], records_off=["no-such-record"])


def test_the_same_prior_gives_uniform_weights(base):
    spec = base.run.prior_specs["operators_per_robot"]
    change = whatif.prior_change(base, "operators_per_robot", *spec.interval)
    assert change.new.params == pytest.approx(change.old.params)
    rw = whatif.reweight(base, prior=change)
    assert np.ptp(rw.log_weights) < 1e-9
    assert rw.pareto_k <= 0.5 and not rw.resample_needed


def test_the_new_prior_is_made_as_a_prior_file_makes_it(base, library):
    """The what-if prior equals the one a scenario override ``interval = [..]`` gives, and the
    saved scenario reads back with it (plan, prior and excluded records)."""
    change = whatif.prior_change(base, "operators_per_robot", 0.05, 0.2)
    assert change.new.interval == (0.05, 0.2) and change.new.distribution == "LogNormal"
    plan = base.scenario.with_plan(fleet_size=2500.0).plan
    scenario = whatif.whatif_scenario(base, plan, change, ["humanoid-list-prices"], name="mine")
    path = pmod.io.cache_dir() / "test-tmp" / "whatif-mine.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(toml_text(scenario.as_table()))
    back = pmod.load_scenario(path)
    assert back.plan == plan
    assert back.priors["operators_per_robot"].params == pytest.approx(change.new.params)
    assert back.evidence_exclude == ("humanoid-list-prices",)
    assert pmod.point(back)["fleet_size"] == 2500.0


def test_a_moved_prior_reweights_towards_it(base):
    change = whatif.prior_change(base, "operators_per_robot", 0.05, 0.2)
    rw = whatif.reweight(base, prior=change)
    x = base.flat("operators_per_robot")
    assert np.median(x[rw.index]) < np.median(x)
    assert 0.05 < np.median(x[rw.index]) < 0.3
    cheaper = whatif.score_plan(base, base.scenario.plan, rw).headline
    assert cheaper.cost_p50 < whatif.score_plan(base, base.scenario.plan).headline.cost_p50


def test_an_extreme_prior_asks_for_a_resample(base):
    change = whatif.prior_change(base, "operators_per_robot", 20.0, 30.0)
    rw = whatif.reweight(base, prior=change)
    assert rw.resample_needed and rw.pareto_k > 0.7


def test_bad_prior_what_ifs_are_refused_with_the_prior_files_messages(base):
    with pytest.raises(SpecError, match="lower must be below upper"):
        whatif.prior_change(base, "operators_per_robot", 0.2, 0.05)
    with pytest.raises(SpecError, match="positive"):
        whatif.prior_change(base, "operators_per_robot", -1.0, 0.2)
    with pytest.raises(InvalidArgumentError, match="not a world parameter"):
        whatif.prior_change(base, "fleet_size", 1.0, 2.0)


def test_paired_comparison(base):
    a = whatif.score_plan(base, base.scenario.plan)
    same = whatif.compare(a, a)
    assert (same.p_cheaper, same.p_faster, same.p_better) == (0.5, 0.5, 0.5)  # ties count half
    bigger = whatif.score_plan(base, base.scenario.with_plan(fleet_size=20000.0).plan)
    c = whatif.compare(bigger, a)
    assert c.p_faster > 0.9  # four times the robots collect the same data sooner
    change = whatif.prior_change(base, "operators_per_robot", 0.05, 0.2)
    other = whatif.score_plan(base, base.scenario.plan, whatif.reweight(base, prior=change))
    with pytest.raises(InvalidArgumentError, match="different draws"):
        whatif.compare(other, a)


def test_toml_text_round_trips_and_refuses_what_toml_cannot_hold():
    import tomllib

    table = {"title": 'a "quoted" — title', "plan": {"fleet_size": "solve", "sites": 1e3,
             "deployed": False}, "priors": {"x": {"interval": [0.05, 0.2]}}}  # fmt: skip
    assert tomllib.loads(toml_text(table)) == table
    with pytest.raises(ValueError, match="finite"):
        toml_text({"plan": {"budget_usd": float("inf")}})
