"""Benchmark: the passes after NUTS, PyMC's per-draw loops against :mod:`probmodel.forward` (one
vectorised compiled function per purpose, what ``fit`` used until 2026-12-05) and
:mod:`probmodel.densities` (NumPy, what ``fit`` uses now), measured in one process.

    .venv/bin/python bench/post_nuts.py [RUN.nc] [--repeats 5]
    .venv/bin/python bench/post_nuts.py [RUN.nc] --modes [--repeats 3]

On the posterior draws of a saved run (default ``results/seed-cotrain.nc``, written by
``probmodel run``; 4 chains x 1,000 draws) and 4,000 prior draws, five parts are timed, each the
way :func:`probmodel.sampling.fit` ran it with PyMC's functions, with the forward functions, and
runs it now (NumPy):

- ``log_prior``: ``pm.stats.compute_log_prior``, :func:`probmodel.forward.log_prior`,
  :func:`probmodel.densities.log_prior`;
- ``log_likelihood``: ``pm.compute_log_likelihood``, :func:`~probmodel.forward.log_likelihood`,
  :func:`~probmodel.densities.evidence` + :func:`~probmodel.densities.log_likelihood`;
- ``posterior_predictive``: ``pm.sample_posterior_predictive``,
  :func:`~probmodel.forward.predictive`, :func:`~probmodel.densities.predictive`;
- ``prior_tree``: NumPy prior draws of the world + the latents' and the evidence's prior
  predictive (PyMC's ``sample_posterior_predictive``, :func:`~probmodel.forward.predictive`,
  :func:`probmodel.sampling.prior_tree`);
- ``deterministics``: the study-level Deterministics of every draw (``pm.compute_deterministics``,
  :func:`~probmodel.forward.deterministics`, :func:`~probmodel.densities.derived`).

Each repeat builds a new model for each side, so each pays its compile as a first fit does.
Repeats are interleaved; medians are printed with the load average before and after, and a
one-line ``SUMMARY``.

``--modes`` instead times, in fresh processes, compile + evaluate of the four forward functions
for each candidate PyTensor mode, with PyTensor's disk caches warm (the default compile dir,
after one warm-up run) and cold (an empty temporary ``base_compiledir``, so C modules and numba
functions are built from scratch): the numbers behind :data:`probmodel.forward.FORWARD_MODE`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("FAST_COMPILE", "CVM", "NUMBA")
PARTS = ("log_prior", "log_likelihood", "posterior_predictive", "prior_tree", "deterministics")


def _load(path: str):
    """Scenario, evidence, the posterior draws of the free variables and a model builder."""
    import xarray as xr

    import probmodel.api as api
    from probmodel.evidence import for_fleet
    from probmodel.model import build_model

    run = api.load_run(path)
    scenario = api.load_scenario(run.meta["scenario"]["name"])
    evidence = for_fleet(api.load_evidence(scenario), scenario.plan.robot_class)
    model = build_model(scenario, evidence)
    free = [rv.name for rv in model.free_RVs]
    post = run.tree["posterior"].to_dataset()[free].load()
    if post.sizes["chain"] * post.sizes["draw"] < 1000:
        print(f"note: only {post.sizes['chain'] * post.sizes['draw']} draws in {path}")
    return scenario, evidence, post, lambda: build_model(scenario, evidence), xr


def _old(model, scenario, post, seed: int) -> dict[str, float]:
    """The PyMC calls ``fit`` made before (``prior_tree`` inlined as it was)."""
    import numpy as np
    import pymc as pm
    import xarray as xr

    from probmodel.equations import OUTCOMES
    from probmodel.evaluate import outcome_dataset, prior_draws

    compile_kwargs = {"mode": "FAST_COMPILE"}
    tree = xr.DataTree.from_dict({"posterior": post})
    times = {}
    t = time.perf_counter()
    pm.stats.compute_log_prior(tree, model=model, progressbar=False, extend_inferencedata=False)
    times["log_prior"] = time.perf_counter() - t
    t = time.perf_counter()
    pm.compute_log_likelihood(tree, model=model, progressbar=False, extend_inferencedata=False)
    times["log_likelihood"] = time.perf_counter() - t
    t = time.perf_counter()
    pm.sample_posterior_predictive(
        tree, model=model, random_seed=seed, progressbar=False, compile_kwargs=compile_kwargs
    )
    times["posterior_predictive"] = time.perf_counter() - t
    t = time.perf_counter()
    values = prior_draws(scenario, 4000, seed)
    dims = ("chain", "draw")
    parameters = xr.Dataset(
        {k: (dims, v[None, :]) for k, v in values.items()},
        coords={"chain": [0], "draw": np.arange(4000)},
    )
    parameters.merge(
        outcome_dataset({k: v[None, :] for k, v in values.items()}, scenario.plan, dims)
    )
    free = [rv.name for rv in model.free_RVs if rv.name in parameters]
    pm.sample_posterior_predictive(
        xr.DataTree.from_dict({"posterior": parameters[free]}),
        model=model,
        var_names=[rv.name for rv in model.observed_RVs],
        random_seed=seed,
        progressbar=False,
        compile_kwargs=compile_kwargs,
    )
    times["prior_tree"] = time.perf_counter() - t
    small = [d.name for d in model.deterministics if d.name not in (*OUTCOMES, "cost")]
    t = time.perf_counter()
    pm.compute_deterministics(
        post, var_names=small, model=model, progressbar=False, compile_kwargs=compile_kwargs
    )
    times["deterministics"] = time.perf_counter() - t
    return times


def _forward(model, scenario, post, seed: int) -> dict[str, float]:
    """The vectorised compiled functions of :mod:`probmodel.forward` that ``fit`` used until
    the NumPy densities (``prior_tree`` inlined as it was)."""
    from probmodel import forward
    from probmodel.equations import OUTCOMES
    from probmodel.evaluate import prior_draws

    times = {}
    t = time.perf_counter()
    forward.log_prior(model, post)
    times["log_prior"] = time.perf_counter() - t
    t = time.perf_counter()
    forward.log_likelihood(model, post)
    times["log_likelihood"] = time.perf_counter() - t
    t = time.perf_counter()
    forward.predictive(model, post, seed)
    times["posterior_predictive"] = time.perf_counter() - t
    t = time.perf_counter()
    import numpy as np
    import xarray as xr

    values = prior_draws(scenario, 4000, seed)
    given = xr.Dataset({k: (("chain", "draw"), v[None]) for k, v in values.items()
                        if k in {rv.name for rv in model.free_RVs}},
                       coords={"chain": [0], "draw": np.arange(4000)})  # fmt: skip
    rest = [rv.name for rv in model.free_RVs if rv.name not in given]
    given = given.merge(forward.predictive(model, given, [seed, 1], var_names=rest))
    forward.predictive(model, given, seed)
    times["prior_tree"] = time.perf_counter() - t
    small = [d.name for d in model.deterministics if d.name not in (*OUTCOMES, "cost")]
    t = time.perf_counter()
    forward.deterministics(model, post, small)
    times["deterministics"] = time.perf_counter() - t
    return times


def _numpy(model, scenario, evidence, post, seed: int) -> dict[str, float]:
    """The calls ``fit`` makes now: :mod:`probmodel.densities` in NumPy for the log densities,
    the evidence draws and the study Deterministics."""
    from probmodel import densities, forward
    from probmodel.equations import OUTCOMES
    from probmodel.sampling import prior_tree

    times = {}
    t = time.perf_counter()
    values, sample = forward.flat_draws(model, post)
    forward.dataset(model, densities.log_prior(scenario, evidence, values), sample)
    times["log_prior"] = time.perf_counter() - t
    t = time.perf_counter()
    terms = densities.evidence(scenario, evidence, values)
    forward.dataset(model, densities.log_likelihood(terms), sample)
    times["log_likelihood"] = time.perf_counter() - t
    t = time.perf_counter()
    forward.dataset(model, densities.predictive(terms, seed), sample)
    times["posterior_predictive"] = time.perf_counter() - t
    t = time.perf_counter()
    prior_tree(model, scenario, evidence, 4000, seed)
    times["prior_tree"] = time.perf_counter() - t
    small = [d.name for d in model.deterministics if d.name not in (*OUTCOMES, "cost")]
    t = time.perf_counter()
    derived = densities.derived(scenario, evidence, values)
    forward.dataset(model, {k: derived[k] for k in small}, sample)
    times["deterministics"] = time.perf_counter() - t
    return times


def _load_line(label: str) -> str:
    return (
        f"load average {label} (1, 5, 15 min): "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        + f" on {os.cpu_count()} cores"
    )


SIDES = ("pymc", "forward", "numpy")


def compare(path: str, repeats: int) -> None:
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("pymc").setLevel(logging.WARNING)
    print(_load_line("before"))
    scenario, evidence, post, build, _ = _load(path)
    n = post.sizes["chain"] * post.sizes["draw"]
    rows = {side: {p: [] for p in PARTS} for side in SIDES}
    for r in range(repeats):  # interleaved; every side on a model of its own (a first fit)
        for side, times in (
            ("pymc", _old(build(), scenario, post, 3 + r)),
            ("forward", _forward(build(), scenario, post, 3 + r)),
            ("numpy", _numpy(build(), scenario, evidence, post, 3 + r)),
        ):
            for p in PARTS:
                rows[side][p].append(times[p])
        print(f"repeat {r + 1}: " + "; ".join(
            f"{side} {sum(rows[side][p][-1] for p in PARTS):.2f} s" for side in rows
        ))  # fmt: skip
    med = {
        side: {p: statistics.median(v) for p, v in parts.items()} for side, parts in rows.items()
    }
    print(f"\n{n:,} posterior draws, 4,000 prior draws; medians of {repeats} (seconds), each "
          "side on a new model (its first call, compile included)")  # fmt: skip
    print(f"{'part':<22}{'PyMC per draw':>15}{'forward':>10}{'numpy':>10}{'fwd/np':>8}")
    for p in PARTS:
        print(f"{p:<22}{med['pymc'][p]:>15.2f}{med['forward'][p]:>10.2f}{med['numpy'][p]:>10.3f}"
              f"{med['forward'][p] / med['numpy'][p]:>7.1f}x")  # fmt: skip
    total = {side: sum(v.values()) for side, v in med.items()}
    print(f"{'total':<22}{total['pymc']:>15.2f}{total['forward']:>10.2f}{total['numpy']:>10.3f}"
          f"{total['forward'] / total['numpy']:>7.1f}x")  # fmt: skip
    print(_load_line("after"))
    print(
        f"SUMMARY post-NUTS passes of a first fit ({n:,} draws): PyMC per draw "
        f"{total['pymc']:.1f} s, compiled forward functions {total['forward']:.1f} s, NumPy "
        f"densities {total['numpy']:.2f} s ({total['forward'] / total['numpy']:.0f}x faster than "
        f"forward, {total['pymc'] / total['numpy']:.0f}x than PyMC); medians of {repeats}"
    )


# ----------------------------------------------------------------------------------- --modes


def _child(path: str, mode: str) -> None:
    """In a fresh process: compile + evaluate the four forward functions in ``mode``."""
    import warnings

    warnings.simplefilter("ignore")
    from probmodel import forward
    from probmodel.evaluate import prior_draws

    forward.FORWARD_MODE = mode
    scenario, _, post, build, xr = _load(path)
    model = build()
    free = [rv.name for rv in model.free_RVs]
    world = prior_draws(scenario, 4000, 5)
    given = xr.Dataset({k: (("chain", "draw"), v[None]) for k, v in world.items() if k in free})
    started = time.perf_counter()
    forward.log_prior(model, post)
    forward.log_likelihood(model, post)
    forward.predictive(model, post, 3)
    forward.predictive(model, given, 5)
    print(json.dumps({"mode": mode, "seconds": time.perf_counter() - started}))


def modes(path: str, repeats: int) -> None:
    print(_load_line("before"))
    script = str(Path(__file__).resolve())
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}

    def child(mode: str, flags: str | None = None) -> float:
        run_env = dict(env)
        if flags:
            run_env["PYTENSOR_FLAGS"] = ",".join(filter(None, [env.get("PYTENSOR_FLAGS"), flags]))
        out = subprocess.run(
            [sys.executable, script, path, "--child", mode],
            env=run_env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]

    warm = {m: [] for m in MODES}
    cold = {m: [] for m in MODES}
    for m in MODES:
        child(m)  # warm the disk caches
    for _ in range(repeats):  # interleaved
        for m in MODES:
            warm[m].append(child(m))
            folder = tempfile.mkdtemp(prefix="pytensor-cold-")
            try:
                cold[m].append(child(m, f"base_compiledir={folder}"))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\nfresh process, compile + evaluate of the four forward functions; medians of {repeats}"
    )
    for m in MODES:
        print(f"{m:<14} warm {statistics.median(warm[m]):6.1f} s   cold {statistics.median(cold[m]):6.1f} s"
              f"   (warm {', '.join(f'{v:.1f}' for v in warm[m])}; "
              f"cold {', '.join(f'{v:.1f}' for v in cold[m])})")  # fmt: skip
    print(_load_line("after"))
    best = min(MODES, key=lambda m: statistics.median(warm[m]))
    print(
        "SUMMARY forward modes, fresh process, warm/cold caches (s): "
        + "; ".join(
            f"{m} {statistics.median(warm[m]):.1f}/{statistics.median(cold[m]):.1f}" for m in MODES
        )
        + f"; fastest warm: {best}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("run", nargs="?", default="results/seed-cotrain.nc")
    parser.add_argument("--repeats", type=int, default=None, help="default: 5 (3 with --modes)")
    parser.add_argument("--modes", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.run, args.child)
    elif args.modes:
        modes(args.run, args.repeats or 3)
    else:
        compare(args.run, args.repeats or 5)
