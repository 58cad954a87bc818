"""Job 2: credible intervals for budgets.

Fit the seed's real-only and co-training plans, read P50/P80/P90 cost and years, the chance of
exceeding a budget, and score other fleet sizes on the same posterior draws without re-sampling
(the NumPy path runs the same outcome equations as the PyMC model).

    python examples/budget_intervals.py
"""

import numpy as np

import probmodel as pmod

for name in ("seed-real-only", "seed-cotrain"):
    run = pmod.fit(name)
    summary = pmod.summarize(run)
    cost = summary["posterior"]["outcomes"]["cost_total_usd"]
    years = summary["posterior"]["outcomes"]["years"]
    risk = summary["posterior"]["risk"]
    print(f"\n{name}: {summary['title']}")
    print(
        f"  cost  P50 ${cost['p50'] / 1e9:.2f}B  P80 ${cost['p80'] / 1e9:.2f}B  P90 ${cost['p90'] / 1e9:.2f}B"
        f"  (point ${cost['point'] / 1e9:.2f}B, contingency at P80 ${cost['contingency_p80'] / 1e9:.2f}B)"
    )
    print(f"  years P50 {years['p50']:.1f}  P80 {years['p80']:.1f}  P90 {years['p90']:.1f}")
    print(f"  80% interval of total cost: ${cost['p10'] / 1e9:.2f}B - ${cost['p90'] / 1e9:.2f}B")
    print(
        f"  P(cost <= ${risk['budget_usd'] / 1e9:.0f}B) = {risk['p_cost_within_budget']:.0%}, "
        f"P(years <= {risk['deadline_years']:g}) = {risk['p_on_time']:.0%}"
    )

    # Other fleet sizes, scored on the same posterior draws (no re-sampling).
    scenario = pmod.load_scenario(name)
    posterior = run.tree["posterior"].to_dataset()
    for fleet in (2_000, 10_000):
        alt = pmod.draws_outcomes(posterior, scenario.with_plan(fleet_size=fleet).plan)
        on_time = float(np.mean(alt["years"].values <= risk["deadline_years"]))
        print(
            f"  with {fleet:,} robots: P80 cost ${np.quantile(alt['cost_total_usd'], 0.8) / 1e9:.2f}B, "
            f"P(on time) {on_time:.0%}"
        )
