"""Compiled models are reused only where that is exact: scenarios that share a compile
(:func:`probmodel.sampling.density_key`) have the same log-density graph, shared data and
initial point. No MCMC: the graphs are compared structurally (``equal_computations``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np
from pytensor.graph.basic import equal_computations

from probmodel.evidence import for_fleet
from probmodel.sampling import density_key
from probmodel.specs.library import evidence_for


def _density(model):
    """The model's log density graph and the shared variables (data) it reads, by name."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors

    logp = model.logp()
    return logp, {v.name: v for v in ancestors([logp]) if isinstance(v, SharedVariable)}


def test_scenarios_that_share_a_compile_have_the_same_log_density(library):
    from probmodel.model import build_model

    groups = defaultdict(list)
    records = library.evidence()
    for name in library.scenario_names():
        scenario = library.scenario(name)
        evidence = for_fleet(evidence_for(scenario, records), scenario.plan.robot_class)
        groups[density_key(scenario, evidence)].append((scenario, evidence))
    shared_groups = [g for g in groups.values() if len(g) > 1]
    names = {s.name for g in shared_groups for s, _ in g}
    assert {"seed-cotrain", "seed-real-only"} <= names  # the check below is not vacuous
    for group in shared_groups:
        (first, first_evidence), *rest = group
        a = build_model(first, first_evidence)
        a_logp, a_shared = _density(a)
        for scenario, evidence in rest:
            assert scenario.plan != first.plan
            b = build_model(scenario, evidence)
            b_logp, b_shared = _density(b)
            assert [rv.name for rv in b.free_RVs] == [rv.name for rv in a.free_RVs]
            assert sorted(b_shared) == sorted(a_shared)
            for key, var in a_shared.items():
                np.testing.assert_array_equal(var.get_value(), b_shared[key].get_value())
            inputs_a = [a.rvs_to_values[rv] for rv in a.free_RVs] + list(a_shared.values())
            inputs_b = [b.rvs_to_values[rv] for rv in b.free_RVs] + [b_shared[k] for k in a_shared]
            assert equal_computations([a_logp], [b_logp], inputs_a, inputs_b), (
                f"{first.name} and {scenario.name} share a compile but not a log density"
            )
            if scenario.name == "seed-real-only":  # nutpie's starting points (one pair: slow)
                a_point, b_point = a.initial_point(0), b.initial_point(0)
                assert a_point.keys() == b_point.keys()
                for key in a_point:
                    np.testing.assert_array_equal(a_point[key], b_point[key])


def test_a_changed_prior_or_record_gets_its_own_compile(library):
    scenario = library.scenario("seed-cotrain")
    evidence = for_fleet(evidence_for(scenario, library.evidence()), scenario.plan.robot_class)
    key = density_key(scenario, evidence)
    assert density_key(scenario, evidence[1:]) != key
    spec = scenario.priors["unit_cost_usd"]
    params = {k: v * 1.01 for k, v in spec.params.items()}
    priors = {**scenario.priors, "unit_cost_usd": replace(spec, params=params)}
    assert density_key(replace(scenario, priors=priors), evidence) != key
    assert density_key(scenario.with_plan(fleet_size=2000), evidence) == key  # plan only
