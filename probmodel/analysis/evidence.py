"""Provenance of a posterior: which evidence moved what, how much the data decides each parameter,
and which records disagree with the rest.

* **Influence** of a record: the posterior without it, by Pareto-smoothed importance sampling
  (PSIS) leave-one-record-out, against the posterior with it: shift of each parameter's median in
  posterior sds, and the ratio of 90% interval widths. The Pareto k of the weights says when the
  approximation is reliable (k <= 0.7); records with their own latent parameters (curves) are
  usually above it, and the table says so.
* **Data vs prior** per world parameter: the contraction on the unconstrained scale and ArviZ's
  power-scaling sensitivity to the prior (``psense``).
* **Conflict** per record (:func:`conflicts`): a leave-one-record-out predictive check of its
  data, adjusted by the false-discovery rate over all records; for records with study latents,
  the study's value against each other study of its population (:func:`disagreements`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from probmodel.constants import PARETO_K_RELIABLE, SAMPLE_DIMS
from probmodel.equations import NEW_DEPLOYMENT, WORLD_PARAMETERS, population_of
from probmodel.evidence import EVIDENCE_VARS, record_of

EXACT_ABOVE_SD = 1.0
"""``--exact`` also re-fits records whose PSIS shift is at least this many posterior sds."""
CONFLICT_P = 0.05
"""A record is flagged when its conflict p-value, adjusted for the number of records checked
(Benjamini-Hochberg false-discovery rate), is below this; a pair of studies disagrees when its
p-value, Bonferroni corrected over the pairs of its population, is below it."""


def _entries(tree: xr.DataTree, group: str):
    """(variable, dim, labels) for every evidence kind present in ``group``."""
    if group not in tree.children:
        return
    ds = tree[group].to_dataset()
    for name, dim in EVIDENCE_VARS.items():
        if name in ds:
            yield name, dim, [str(v) for v in ds[dim].values]


def record_entries(tree: xr.DataTree, group: str) -> dict[str, list[tuple[str, str, str]]]:
    """Per evidence record id, its entries ``(variable, dim, label)`` in ``group``, in order.

    A measurement or effect record has one entry; a meta record one or two (mean, between-study
    sd); a curve record one per point. Empty when ``group`` is absent.
    """
    out: dict[str, list[tuple[str, str, str]]] = {}
    for name, dim, labels in _entries(tree, group):
        for label in labels:
            out.setdefault(record_of(label), []).append((name, dim, label))
    return out


def pit(replicates: np.ndarray, observed: float, weights: np.ndarray | None = None) -> float:
    """Probability integral transform: the (weighted) share of replicates at or below the
    observed value; near 0 or 1 when the observation sits in a tail of its predictive."""
    replicates = np.asarray(replicates, dtype=float).ravel()
    if weights is None:
        return float(np.mean(replicates <= observed))
    return float(np.sum(weights * (replicates <= observed)) / np.sum(weights))


def record_log_likelihood(tree: xr.DataTree) -> xr.DataArray:
    """Log-likelihood of each evidence record per draw, dims ``(chain, draw, evidence_record)``."""
    ll = tree["log_likelihood"].to_dataset()
    parts: dict[str, xr.DataArray] = {}
    for name, dim, labels in _entries(tree, "log_likelihood"):
        owners = xr.DataArray([record_of(label) for label in labels], dims=dim)
        for record_id, da in ll[name].groupby(owners):
            parts[str(record_id)] = da.sum(dim)
    ids = list(parts)
    return (
        xr.concat([parts[i] for i in ids], dim="evidence_record")
        .assign_coords(evidence_record=ids)
        .transpose(*SAMPLE_DIMS, "evidence_record")
    )


def loo_log_weights(tree: xr.DataTree) -> tuple[xr.DataArray, xr.DataArray]:
    """PSIS log weights that remove one record each, and their Pareto k per record."""
    import arviz_stats  # noqa: F401 - registers the .azstats accessor (1-3 s: only when used)

    ll = record_log_likelihood(tree)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # arviz-stats' psislw takes log-likelihoods and weights draws by exp(-ll): leave-one-out
        log_w, k = ll.azstats.psislw(dim=list(SAMPLE_DIMS))
    return log_w, k


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    order = np.argsort(values)
    cdf = np.cumsum(weights[order])
    cdf /= cdf[-1]
    return np.interp(qs, cdf, values[order])


def _summary(values: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    if weights is None:
        weights = np.full(values.size, 1.0 / values.size)
    q05, q50, q95 = _weighted_quantiles(values, weights, [0.05, 0.5, 0.95])
    mean = float(np.sum(weights * values) / np.sum(weights))
    sd = float(np.sqrt(np.sum(weights * (values - mean) ** 2) / np.sum(weights)))
    return {"median": float(q50), "low": float(q05), "high": float(q95), "sd": sd}


def _parameters(tree: xr.DataTree) -> list[str]:
    post = tree["posterior"].to_dataset()
    names = [n for n in WORLD_PARAMETERS if n in post]
    return names + [n for n in NEW_DEPLOYMENT if n in post]


def influence(tree: xr.DataTree, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How far each record moves each parameter (leave-one-record-out by PSIS).

    Returns one dict per record, most influential first: ``pareto_k``, ``reliable`` (k <= 0.7),
    ``ess`` (importance-sampling effective draws), ``score`` (largest absolute shift, in posterior
    sds, of a parameter the record constrains) and ``moved``: ``{parameter, with, without,
    shift_sd, width_ratio}`` for each parameter on the record's likelihood path (the parameters it
    constrains and the new-deployment values drawn from them); other parameters can only move by
    Monte Carlo noise, whose floor ``2.5 / sqrt(ess)`` (about twice the standard error of a
    weighted median) is stated with each row. Shifts of an unreliable record (k > 0.7) are rough.
    """
    if "log_likelihood" not in tree.children:
        return []
    log_w, k = loo_log_weights(tree)
    post = tree["posterior"].to_dataset()
    names = _parameters(tree)
    values = {n: post[n].values.ravel() for n in names}
    full = {n: _summary(values[n]) for n in names}
    by_id = {r["id"]: r for r in records}
    rows = []
    for record_id in map(str, log_w["evidence_record"].values):
        record = by_id.get(record_id, {})
        direct = set(record.get("constrains", []))
        path = direct | {n for n in NEW_DEPLOYMENT if set(population_of(n)) & direct}
        w = np.exp(log_w.sel(evidence_record=record_id).values.ravel())
        ess = float(1.0 / np.sum(w**2))
        floor = 2.5 / np.sqrt(ess)
        moved = []
        for n in names:
            without = _summary(values[n], w)
            shift = (full[n]["median"] - without["median"]) / (full[n]["sd"] or 1.0)
            width_without = without["high"] - without["low"]
            ratio = (full[n]["high"] - full[n]["low"]) / width_without if width_without else 1.0
            if n in path:
                moved.append(
                    {
                        "parameter": n,
                        "direct": n in direct,
                        "with": full[n],
                        "without": without,
                        "shift_sd": float(shift),
                        "width_ratio": float(ratio),
                    }
                )
        moved.sort(key=lambda m: (not m["direct"], -abs(m["shift_sd"])))
        kval = float(k.sel(evidence_record=record_id))
        rows.append(
            {
                "id": record_id,
                "kind": record.get("kind", ""),
                "citation": record.get("citation", ""),
                "constrains": sorted(direct),
                "pareto_k": kval,
                "reliable": kval <= PARETO_K_RELIABLE,
                "ess": ess,
                "noise_floor_sd": float(floor),
                "score": max((abs(m["shift_sd"]) for m in moved if m["direct"]), default=0.0),
                "moved": moved,
            }
        )
    rows.sort(key=lambda r: -r["score"])
    return rows


def data_vs_prior(tree: xr.DataTree, priors: dict[str, dict] | None = None) -> list[dict[str, Any]]:
    """Per parameter: how much the data rather than the prior decides it.

    ``contraction`` is :func:`probmodel.analysis.judgement.contraction`: ``1 - (IQR_post /
    IQR_prior)**2`` on the parameter's unconstrained (log or logit) scale (0: the prior alone, 1:
    the data alone). ``prior_sensitivity`` is ArviZ's power-scaling sensitivity to the prior
    (``psense``): high when tempering the prior moves the posterior.
    """
    import arviz as az

    from probmodel.analysis.judgement import contraction

    names = _parameters(tree)
    sense = {}
    if "log_prior" in tree.children:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = az.psense(tree, var_names=names, group="prior")
        sense = {n: float(result[n]) for n in names if n in result}
    shrink = contraction(tree, priors or {}, names)
    ess = az.ess(tree, var_names=names)
    rows = []
    for n in names:
        c = shrink.get(n, float("nan"))
        # Monte Carlo scatter of an IQR ratio squared: ~2.6 / sqrt(ess) (about 0.04 at 4,000).
        noise = float(2.6 / np.sqrt(float(ess[n])))
        rows.append(
            {
                "parameter": n,
                "contraction": c,
                "noise": noise,
                "prior_sensitivity": sense.get(n),
                "decided_by": _decided_by(c, noise),
            }
        )
    return rows


def _decided_by(contraction: float, noise: float) -> str:
    if not np.isfinite(contraction) or contraction < max(0.1, 2.0 * noise):
        return "prior"
    return "data" if contraction >= 0.5 else "prior and data"


def conflicts(tree: xr.DataTree, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two checks of every record; flags an adjusted p < :data:`CONFLICT_P`.

    * **Data** (every record): leave-one-record-out PIT of each entry (PSIS; the full posterior
      predictive where the weights are unreliable, which is conservative); a record's p is the
      smallest of its entries', Bonferroni corrected, then adjusted for the number of records
      checked (Benjamini-Hochberg false-discovery rate: a plain p < 0.05 would flag one or two
      of 33 consistent records by chance).
    * **Disagreement** (records with study latents): does the study's exponent or transfer value
      differ from another study's on the same population beyond both studies' uncertainty
      (:func:`disagreements`, Bonferroni corrected over the population's pairs)? Differences
      are expected (studies measure different tasks), so the flag says "these studies
      disagree, and the population is wide because of them"; of a disagreeing pair the odd one
      out carries it. (A study against the population's new-study draw, the check this
      replaces, had no power: the odd study widens the population it is compared with.)

    Each row: ``p_value`` (the smallest adjusted p of its checks), ``checks`` (each check's
    adjusted p), ``conflict``, ``disagrees_with`` (the studies it disagrees with), ``method``.
    """
    if "log_likelihood" not in tree.children or "posterior_predictive" not in tree.children:
        return []
    log_w, k = loo_log_weights(tree)
    pp = tree["posterior_predictive"].to_dataset()
    obs = tree["observed_data"].to_dataset()
    post = tree["posterior"].to_dataset()
    by_id = {r["id"]: r for r in records}
    entries = record_entries(tree, "posterior_predictive")
    pairs = disagreements(post)
    rows = []
    for record_id in log_w["evidence_record"].values:
        record_id = str(record_id)
        record = by_id.get(record_id, {})
        kval = float(k.sel(evidence_record=record_id))
        reliable = kval <= PARETO_K_RELIABLE
        w = np.exp(log_w.sel(evidence_record=record_id).values.ravel()) if reliable else None
        p_entries = []
        for name, dim, label in entries.get(record_id, []):
            u = pit(pp[name].sel({dim: label}).values, float(obs[name].sel({dim: label})), w)
            p_entries.append(2.0 * min(u, 1.0 - u))
        checks = {}
        methods = ["LOO-PIT (PSIS)" if reliable else "posterior predictive (PSIS unreliable)"]
        checks["data"] = min(1.0, len(p_entries) * min(p_entries)) if p_entries else 1.0
        study = str(record.get("study") or record_id)
        own = [pair for pair in pairs if study in (pair["study_a"], pair["study_b"])]
        if own:
            # the odd one out carries the flag: of a disagreeing pair, the study that disagrees
            # with the larger share of its population (both, when they tie)
            blamed = [pair for pair in own if study in pair["odd_one_out"]]
            checks["disagreement"] = min(pair["p_value"] for pair in blamed) if blamed else 1.0
            methods.append("pairwise study disagreement")
        rows.append(
            {
                "id": record_id,
                "kind": record.get("kind", ""),
                "citation": record.get("citation", ""),
                "pareto_k": kval,
                "method": " + ".join(methods),
                "checks": checks,
                "disagrees_with": sorted(
                    {
                        pair["study_b"] if pair["study_a"] == study else pair["study_a"]
                        for pair in own
                        if pair["disagree"] and study in pair["odd_one_out"]
                    }  # fmt: skip
                ),
            }
        )
    # Many records are checked at once: the data check is adjusted by the false-discovery rate
    # (Benjamini-Hochberg), which would otherwise flag one or two of 33 consistent records by
    # chance; the other two checks arrive adjusted over their own families.
    q = _fdr([r["checks"]["data"] for r in rows])
    for row, q_value in zip(rows, q, strict=True):
        row["checks"]["data"] = q_value
        row["p_value"] = min(row["checks"].values())
        row["conflict"] = row["p_value"] < CONFLICT_P
    rows.sort(key=lambda r: r["p_value"])
    return rows


_LATENT_POPULATIONS = (
    # (latent, its dim, scale: identity for exponents, log for transfer values)
    ("study_exponent", "study_axis", False),
    ("study_transfer", "study_pathway", True),
)


def _fdr(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false-discovery rate), in the input's order."""
    from scipy.stats import false_discovery_control  # scipy.stats: ~1 s, only when used

    return [float(q) for q in false_discovery_control(p_values)] if p_values else []


def disagreements(post: xr.Dataset) -> list[dict[str, Any]]:
    """Pairs of studies whose values on one population (an axis's exponent, a pathway's
    transfer value) differ beyond both studies' uncertainty.

    For each pair, the two-sided posterior probability that their order is the other way
    round (on the unconstrained scale; a Monte Carlo p-value, floored at ``2 / (draws + 1)``),
    Bonferroni corrected over the pairs of that population. Partial pooling already pulls the
    two towards each other, so a difference that survives it is one the studies' own data
    insist on. ``disagree`` is p < :data:`CONFLICT_P`; ``difference`` is the posterior median of
    value_a / value_b for transfer values (value_a - value_b for exponents); ``odd_one_out``
    names which of the two carries the flag (see :func:`_blame`).
    """
    rows = []
    for var, dim, is_log in _LATENT_POPULATIONS:
        if var not in post:
            continue
        groups: dict[str, list[str]] = {}
        for label in map(str, post[dim].values):
            groups.setdefault(label.rsplit(":", 1)[1], []).append(label)
        for name, labels in groups.items():
            n_pairs = len(labels) * (len(labels) - 1) // 2
            for i, a in enumerate(labels):
                for b in labels[i + 1 :]:
                    x = post[var].sel({dim: a}).values.ravel()
                    y = post[var].sel({dim: b}).values.ravel()
                    d = np.log(x) - np.log(y) if is_log else x - y
                    below, above = int(np.sum(d < 0)), int(np.sum(d > 0))
                    # Monte Carlo p-value with its floor: 0 draws beyond 0 reads 2 / (n + 1)
                    p_pair = 2.0 * (min(below, above) + 1) / (d.size + 1)
                    p = min(1.0, n_pairs * p_pair)
                    rows.append(
                        {
                            "population": f"{name} {'transfer' if is_log else 'exponent'}",
                            "study_a": a.rsplit(":", 1)[0],
                            "study_b": b.rsplit(":", 1)[0],
                            "difference": float(np.exp(np.median(d)) if is_log else np.median(d)),
                            "p_value": p,
                            "disagree": p < CONFLICT_P,
                        }
                    )
    _blame(rows)
    rows.sort(key=lambda r: r["p_value"])
    return rows


def _blame(pairs: list[dict[str, Any]]) -> None:
    """Set each pair's ``odd_one_out``: of two studies that disagree, the one that disagrees
    with the larger share of the other studies on that population (both when they tie, as for a
    population of two); empty for pairs that do not disagree."""
    studies: dict[str, set[str]] = {}
    against: dict[tuple[str, str], int] = {}
    for pair in pairs:
        for me in (pair["study_a"], pair["study_b"]):
            studies.setdefault(pair["population"], set()).add(me)
            against[pair["population"], me] = against.get((pair["population"], me), 0) + int(
                pair["disagree"]
            )
    for pair in pairs:
        share = {
            me: against[pair["population"], me] / max(1, len(studies[pair["population"]]) - 1)
            for me in (pair["study_a"], pair["study_b"])
        }
        top = max(share.values())
        pair["odd_one_out"] = (
            sorted(me for me, v in share.items() if v == top) if pair["disagree"] else []
        )


def provenance(
    tree: xr.DataTree, records: list[dict[str, Any]], priors: dict[str, dict] | None = None
) -> dict[str, Any]:
    """Influence, data-vs-prior and conflicts of a fitted tree, as one JSON-able dict."""
    return {
        "influence": influence(tree, records),
        "data_vs_prior": data_vs_prior(tree, priors),
        "conflicts": conflicts(tree, records),
        "disagreements": [
            r for r in disagreements(tree["posterior"].to_dataset()) if r["disagree"]
        ],
        "thresholds": {"pareto_k": PARETO_K_RELIABLE, "conflict_p": CONFLICT_P},
    }


def exact_influence(run, rows: list[dict[str, Any]], priors_dir=None) -> list[dict[str, Any]]:
    """Replace the PSIS estimate by an exact re-fit without the record, for every record whose
    weights are unreliable (k > 0.7) or whose estimated shift is large (>= 1 posterior sd:
    reweighting cannot reach far outside the draws it has, so it understates big moves; seen here:
    1.1 sd by PSIS with k = 0.54 against 3.5 sd by re-fit for the Sartor & Thompson record).

    Slower (one fit per such record) but exact up to Monte Carlo error; the fit uses the run's
    own sampler settings, scenario and evidence (as they are now in the spec files).
    """
    from probmodel.sampling import fit
    from probmodel.specs.library import Library, evidence_for

    library = Library.open(priors_dir)
    scenario = library.scenario(run.name)
    records = [r for r in evidence_for(scenario, library.evidence()) if r.id in run.meta["evidence_ids"]]
    settings = run.settings
    post = run.tree["posterior"].to_dataset()
    out = []
    for row in rows:
        if row["reliable"] and row["score"] < EXACT_ABOVE_SD:
            out.append({**row, "method": "PSIS"})
            continue
        refit = fit(scenario, [r for r in records if r.id != row["id"]], settings, progress=False)
        other = refit.tree["posterior"].to_dataset()
        moved = []
        for m in row["moved"]:
            n = m["parameter"]
            with_, without = _summary(post[n].values.ravel()), _summary(other[n].values.ravel())
            width = without["high"] - without["low"]
            moved.append({**m, "without": without,
                          "shift_sd": (with_["median"] - without["median"]) / (with_["sd"] or 1.0),
                          "width_ratio": (with_["high"] - with_["low"]) / width if width else 1.0})  # fmt: skip
        score = max((abs(m["shift_sd"]) for m in moved if m["direct"]), default=0.0)
        out.append({**row, "moved": moved, "score": score, "reliable": True, "method": "re-fit"})
    out.sort(key=lambda r: -r["score"])
    return out
