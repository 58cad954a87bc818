"""Constants shared across layers, each defined once.

Units of world parameters live with their priors (``world.toml``'s ``unit``) and outcomes with
:data:`probmodel.equations.OUTCOMES`; this module holds the few numbers that several layers use.
"""

from __future__ import annotations

from statistics import NormalDist

SAMPLE_DIMS: tuple[str, str] = ("chain", "draw")
"""The dimensions that index posterior draws in every DataTree group."""

DEFAULT_SEED = 20261121
"""Seed of sampling and of every Monte Carlo analysis when the user gives none."""

PARETO_K_RELIABLE = 0.7
"""Largest Pareto k at which Pareto-smoothed importance sampling is trusted (Vehtari et al.,
"Pareto smoothed importance sampling", JMLR 2024: above 0.7 the estimate's error falls too slowly
with the number of draws). Used by updates, leave-one-record-out checks and diagnostics alike."""

Z90 = NormalDist().inv_cdf(0.95)
"""Half-width of a central 90% interval of a standard normal (1.645)."""

TAIL_P = 0.05
"""A record whose posterior predictive p-value is below this is "in the tail" (model checks)."""

DEFAULT_SCENARIO = "seed-cotrain"
"""The scenario ``probmodel run`` samples when none is named."""

RESULTS_CACHE = ".probmodel-cache"
"""Folder beside a results file where what was computed from it is memoised (a report's decision
analysis, a summary): :func:`probmodel.cache.memoised`; safe to delete at any time."""
