"""Benchmark: conditioning on the shipped evidence with NUTS (nutpie on the PyMC model, the
default settings of `probmodel.sampling`) against squigglepy's way, rejection sampling, in effective
samples per second, measured in one process.

    .venv/bin/python bench/nuts_vs_rejection.py [--scenario seed-cotrain] [--budget 90]
        [--bayesnet 2000]

NUTS: effective sample size is ArviZ's bulk ESS of each free world parameter (min and median),
divided by the wall time with and without building and compiling the model.

Rejection: squigglepy's ``bayes.bayesnet(event_fn, conditional_on=...)`` keeps the prior draws
that satisfy a condition. For continuous evidence the exact version accepts a prior draw θ with
probability L(θ) / L_max, where L is the likelihood the PyMC model uses: the observed variables'
log-density, compiled from the model (transforms removed, vectorised over draws with
``vectorize_graph``). θ holds the world parameters (drawn by squigglepy, ``bench/_squiggle.py``)
and the study-level latents of curve and effect records (drawn from their priors by the model's
own random-variable ops). Accepted draws are independent, so ESS = number accepted.

L_max is the largest likelihood seen in a pilot of prior draws and in the NUTS posterior draws.
The true supremum can only be higher, which would lower the acceptance rate: this choice favours
the baseline. Two variants are timed: squigglepy's ``bayesnet`` itself (one event per call,
``--bayesnet`` draws), and the same algorithm vectorised in batches for ``--budget`` seconds (the
faster one, the headline). Its log-likelihood compile time is not counted. When nothing is
accepted, the rejection ESS/s is reported as an upper bound (95%, rule of three: fewer than 3
accepted in the draws made) and the ratio as a lower bound.
"""

import argparse
import time

import arviz as az
import numpy as np
import nutpie
import pytensor
import pytensor.tensor as pt
import squigglepy as sq
from _squiggle import squiggle_world
from pymc.model.transform.conditioning import remove_value_transforms
from pytensor.graph.replace import vectorize_graph
from squigglepy import bayes

import probmodel as pmod
from probmodel.equations import WORLD_PARAMETERS
from probmodel.evidence import AXES
from probmodel.model import build_model
from probmodel.sampling import SamplerSettings
from probmodel.specs.library import Library

BATCH = 100_000

parser = argparse.ArgumentParser()
parser.add_argument("--scenario", default="seed-cotrain")
parser.add_argument("--budget", type=float, default=90.0, help="seconds of vectorised rejection")
parser.add_argument("--pilot", type=int, default=1_000_000, help="prior draws to find L_max")
parser.add_argument("--bayesnet", type=int, default=2000, help="draws through bayes.bayesnet")
args = parser.parse_args()

scenario = Library.open().scenario(args.scenario)
evidence = pmod.load_evidence(scenario)
settings = SamplerSettings()
world = [n for n in WORLD_PARAMETERS if not scenario.priors[n].is_fixed]

# --- ours: NUTS ---------------------------------------------------------------------------
started = time.perf_counter()
model = build_model(scenario, evidence)
compiled = nutpie.compile_pymc_model(model)
compile_s = time.perf_counter() - started
started = time.perf_counter()
trace = nutpie.sample(
    compiled,
    draws=settings.draws,
    tune=settings.tune,
    chains=settings.chains,
    target_accept=settings.target_accept,
    seed=settings.seed,
    save_warmup=False,
    progress_bar=False,
)
nuts_s = time.perf_counter() - started
posterior = trace["posterior"].to_dataset()
ess = az.ess(posterior, var_names=world, method="bulk")
ess = np.array([float(ess[name]) for name in world])
ess_min, ess_median = float(ess.min()), float(np.median(ess))
divergent = int(trace["sample_stats"]["diverging"].sum())

# --- the likelihood, vectorised over draws of θ ---------------------------------------------
plain = remove_value_transforms(model)
values = plain.value_vars
batched = [pt.tensor(f"{v.name}_draws", shape=(None, *v.type.shape), dtype=v.dtype) for v in values]
loglik = pytensor.function(
    batched,
    vectorize_graph(plain.observedlogp, replace=dict(zip(values, batched, strict=True))),
    mode="NUMBA",
    on_unused_input="ignore",
)
names = [plain.values_to_rvs[v].name for v in values]

dists = squiggle_world(scenario)
dists.update({f"{axis}_exponent_new_z": dists.pop(f"{axis}_z") for axis in AXES})
latents = {}  # free variables squigglepy has no prior for: the study-level latents
for rv in plain.free_RVs:
    if rv.name not in dists:
        params = [p.eval() for p in rv.owner.op.dist_params(rv.owner)]
        latents[rv.name] = (rv.owner.op, params, tuple(rv.shape.eval()))
rng = np.random.default_rng(settings.seed)
sq.set_seed(settings.seed)


def prior_batch(n: int) -> list[np.ndarray]:
    """``n`` prior draws of every free variable, in the order ``loglik`` takes them."""
    draws = {
        k: np.atleast_1d(sq.sample(d, n=n, verbose=False)) for k, d in dists.items() if k in names
    }
    for name, (op, params, shape) in latents.items():
        draws[name] = op.rng_fn(rng, *params, size=(n, *shape))
    return [np.asarray(draws[name], dtype=float) for name in names]


loglik(*prior_batch(10))  # compile (numba), not timed
started = time.perf_counter()
pilot = np.concatenate([loglik(*prior_batch(BATCH)) for _ in range(args.pilot // BATCH)])
pilot_s = time.perf_counter() - started
post_values = [posterior[n].values.reshape(-1, *posterior[n].shape[2:]) for n in names]
post_loglik = loglik(*post_values)
loglik_max = float(max(pilot.max(), post_loglik.max()))

# --- rejection, vectorised, for a fixed time budget ------------------------------------------
drawn, accepted, expected, largest = 0, 0, 0.0, 0.0
started = time.perf_counter()
while time.perf_counter() - started < args.budget:
    ratio = np.exp(loglik(*prior_batch(BATCH)) - loglik_max)
    accepted += int(np.sum(rng.uniform(size=BATCH) < ratio))
    expected += float(ratio.sum())
    largest = max(largest, float(ratio.max()))
    drawn += BATCH
rejection_s = time.perf_counter() - started


# --- squigglepy's bayesnet, one event per call ------------------------------------------------
def event():
    theta = prior_batch(1)
    return {"accept": sq.event(min(1.0, float(np.exp(loglik(*theta)[0] - loglik_max))))}


started = time.perf_counter()
try:
    kept = len(bayes.bayesnet(event, n=args.bayesnet, find=lambda e: e, conditional_on=lambda e: e["accept"], raw=True, memcache=False))  # fmt: skip
except ValueError:  # "insufficient samples for condition": nothing accepted
    kept = 0
bayesnet_s = time.perf_counter() - started

# --- report -------------------------------------------------------------------------------------
n_nuts = settings.chains * settings.draws
print(f"scenario {scenario.name}, {len(evidence)} evidence records, {len(world)} free world "
      f"parameters, {len(names)} free variables in all")  # fmt: skip
print(f"NUTS (nutpie, {settings.chains} chains x {settings.draws} draws after {settings.tune} "
      f"tuning, target_accept {settings.target_accept}): build + compile {compile_s:.1f} s, "
      f"sampling {nuts_s:.1f} s, {divergent} divergences")  # fmt: skip
print(f"  bulk ESS over the world parameters: min {ess_min:.0f} ({world[int(ess.argmin())]}), median {ess_median:.0f} "
      f"(of {n_nuts:,} draws)")  # fmt: skip
nuts_rate = {"with compile": ess_min / (compile_s + nuts_s), "sampling only": ess_min / nuts_s}
print(f"  ESS/s (min ESS): {nuts_rate['with compile']:.1f} with compile, "
      f"{nuts_rate['sampling only']:.1f} sampling only; (median ESS): "
      f"{ess_median / (compile_s + nuts_s):.1f} with compile, {ess_median / nuts_s:.1f} sampling only")  # fmt: skip
print(f"log-likelihood of the evidence: max {pilot.max():.1f} over {pilot.size:,} pilot prior "
      f"draws ({pilot_s:.1f} s), max {post_loglik.max():.1f} over the {post_loglik.size:,} NUTS "
      f"draws; L_max = exp({loglik_max:.1f}); median over prior draws {np.median(pilot):.1f}")  # fmt: skip
print(f"rejection, vectorised: {drawn:,} prior draws in {rejection_s:.1f} s "
      f"({drawn / rejection_s:,.0f} draws/s), {accepted} accepted; expected acceptance "
      f"E[L/L_max] estimated {expected / drawn:.2e} (largest L/L_max seen {largest:.2e})")  # fmt: skip
print(f"rejection, squigglepy bayes.bayesnet: {args.bayesnet:,} events in {bayesnet_s:.1f} s "
      f"({args.bayesnet / bayesnet_s:,.0f} draws/s), {kept} accepted")  # fmt: skip
if accepted:
    rej_rate, bound = accepted / rejection_s, ""
else:
    rej_rate, bound = 3.0 / rejection_s, "< "
print(
    f"rejection ESS/s: {bound}{rej_rate:.3g}"
    + (" (95% upper bound: fewer than 3 accepted in the draws made)" if bound else "")
)
for label, rate in nuts_rate.items():
    print(f"ratio (NUTS min-ESS/s {label} / rejection ESS/s): "
          f"{'> ' if bound else ''}{rate / rej_rate:,.0f}x")  # fmt: skip
if expected > 0:
    print(f"ratio with the expected acceptance instead (NUTS with compile / rejection): "
          f"{nuts_rate['with compile'] / (expected / rejection_s):.3g}x")  # fmt: skip
