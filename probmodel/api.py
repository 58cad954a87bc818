"""The Python API: load a scenario, evaluate it at point values, fit, summarise, save, load, report.

Each function is a thin, checked entry to one layer of the package, in data-flow order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probmodel.constants import RESULTS_CACHE
from probmodel.errors import ProbmodelError
from probmodel.evidence import Record
from probmodel.progress import Progress, stage
from probmodel.specs.library import Library, evidence_for
from probmodel.specs.scenario import Scenario

if TYPE_CHECKING:
    from probmodel.analysis.summary import Summary
    from probmodel.run import Run

_FROM_RUN = ("Run", "RunConfig", "SamplerSettings", "is_stale", "new_evidence", "reusable_run")
"""Names of :mod:`probmodel.run` the commands reach through the API, imported on first use: the run
module brings xarray (~1 s), which ``point``, ``scenarios`` and ``--help`` never need."""


def __getattr__(name: str) -> Any:
    if name in _FROM_RUN:
        from probmodel import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def list_scenarios(priors_dir: str | Path | None = None) -> list[Scenario]:
    """Every shipped (or ``priors_dir``) scenario, validated."""
    lib = Library.open(priors_dir)
    return [lib.scenario(name) for name in lib.scenario_names()]


def load_scenario(name_or_path: str | Path, priors_dir: str | Path | None = None) -> Scenario:
    """A scenario by name (``"seed-cotrain"``) or path to a TOML file, with world priors merged."""
    return Library.open(priors_dir).scenario(name_or_path)


def load_evidence(
    scenario: Scenario | None = None, priors_dir: str | Path | None = None
) -> list[Record]:
    """The evidence records (all, or those ``scenario`` uses)."""
    records = Library.open(priors_dir).evidence()
    return evidence_for(scenario, records) if scenario is not None else records


def point(scenario: Scenario | str) -> dict[str, float]:
    """Outcomes with every assumption at its point value: the seed's arithmetic, no sampling."""
    from probmodel.evaluate import point_table

    return point_table(load_scenario(scenario) if isinstance(scenario, str) else scenario)


def fit(
    scenario: Scenario | str,
    evidence: list[Record] | None = None,
    *,
    draws: int = 1000,
    tune: int = 1500,
    chains: int = 4,
    prior_draws: int = 4000,
    target_accept: float = 0.98,
    seed: int | None = None,
    progress: bool | Progress | None = None,
    priors_dir: str | Path | None = None,
    worker: bool = False,
) -> Run:
    """Sample prior and posterior of a scenario, conditioned on the shipped evidence by default.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario object, name or path.
    evidence : list of evidence records, optional
        Defaults to every record in ``priors/evidence/`` that the scenario does not exclude;
        pass ``[]`` for the prior-only model.
    draws, tune, chains, prior_draws, target_accept, seed
        Sampler settings (see :class:`probmodel.sampling.SamplerSettings`).
    progress : bool or callable, optional
        ``None`` (default): a progress bar on stderr when it is a terminal, or a line updated in
        place in a notebook, else nothing; ``True``: also a line per step elsewhere; ``False``:
        nothing; or a callback ``progress(step, done, total)`` (:mod:`probmodel.progress`).
        The default fit takes ~30 s on 2 cores, ~10 s of it compiling the model (~45 s while
        PyTensor's disk cache is empty); a process compiles a configuration once (a second fit
        of it, with any settings, skips that).
    worker : bool, default False
        Fit in the warm worker process that ``probmodel run`` uses (:mod:`probmodel.worker`),
        which keeps compiled models between processes; the draws are the same.
    """
    from probmodel.constants import DEFAULT_SEED
    from probmodel.sampling import fit as _fit

    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario, priors_dir)
    if evidence is None:
        evidence = load_evidence(scenario, priors_dir)
    from probmodel.run import SamplerSettings

    settings = SamplerSettings(
        draws=draws,
        tune=tune,
        chains=chains,
        prior_draws=prior_draws,
        target_accept=target_accept,
        seed=DEFAULT_SEED if seed is None else seed,
    )
    from probmodel.display import showing

    with showing(progress) as report:
        if worker:
            from probmodel import worker as warm

            return warm.fit(scenario, evidence, settings, report)
        return _fit(scenario, evidence, settings, progress=report)


def load_run(path: str | Path) -> Run:
    """Load a saved run (checks the file's hashes)."""
    from probmodel.run import Run

    return Run.load(path)


def summarize_saved(
    path: str | Path, ci_prob: float = 0.9, confidence: float = 0.8, run: Run | None = None
) -> Summary:
    """:func:`summarize` of the run saved at ``path``, memoised beside it.

    Why: a summary needs seconds of loading and checking the draws, and the same file is asked
    again and again. The entry (in ``RESULTS_CACHE`` beside the file) is keyed by the file's
    identity (device, inode, size, modification and change times: any write, copy or ``touch``
    gives a new one), the options and the code, so an edited file is loaded, and its hashes
    checked, again. ``run``: the run already loaded from ``path`` (saves reading it).
    """
    from probmodel import cache, io
    from probmodel.run import RunConfig

    path = Path(path)
    RunConfig.read(path)  # a missing, foreign or edited file is refused even on a cache hit
    key = {
        "what": "summary",
        "file": io.file_identity(path),
        "ci_prob": ci_prob,
        "confidence": confidence,
        "code": io.code_fingerprint(),
    }
    from probmodel.analysis.summary import Summary

    return Summary(
        cache.memoised(
            path.parent / RESULTS_CACHE,
            key,
            lambda: summarize(run if run is not None else load_run(path), ci_prob, confidence),
        )
    )


def summarize(run: Run, ci_prob: float = 0.9, confidence: float = 0.8) -> Summary:
    """Risk summary of a run: posterior and prior outcomes, the chances of staying within budget,
    on time and on target (one by one and jointly), diagnostics, the model checks' counts and the judgement shares
    (:func:`probmodel.pipeline.summarize`); contingency is taken at ``confidence``. A dict with a
    short ``repr``, an HTML table in notebooks, and ``to_xarray()`` / ``to_dataframe()`` views
    with units (:class:`probmodel.analysis.summary.Summary`)."""
    from probmodel import pipeline

    return pipeline.summarize(run, ci_prob, confidence)


def summary_dataset(run: Run, ci_prob: float = 0.9, confidence: float = 0.8):
    """:func:`summarize` as a tidy ``xarray.Dataset``, units on every variable
    (:meth:`probmodel.analysis.summary.Summary.to_xarray`)."""
    return summarize(run, ci_prob, confidence).to_xarray()


def judgement(run: Run):
    """Which world parameters the run's records inform, and the share of each headline outcome's
    variance decided by the rest (:func:`probmodel.pipeline.judgement`)."""
    from probmodel import pipeline

    return pipeline.judgement(run)


def write_report(
    run: Run,
    path: str | Path,
    priors_dir: str | Path | None = None,
    on_notice: Callable[[str], None] | None = None,
    progress: bool | Progress | None = None,
) -> Path:
    """Write the self-contained HTML report of a run.

    With a readable spec folder, the report also scores every scenario's plan on the run's
    posterior (cost, years and success side by side) and answers the budget committee's
    questions (memoised beside the report for the same posterior, candidate plans and code). A
    scenario file that cannot be read is left out of those sections, and a section that cannot be
    built says why, in the report and through ``on_notice`` (the command line prints it).
    Every analysis runs once (:func:`probmodel.pipeline.report_inputs`); :mod:`probmodel.report`
    renders the result. ``progress`` is shown as :func:`fit`'s (a new report of the default
    run takes ~30-45 s on 2 shared cores, ~10 s with its decision analysis memoised; an unchanged
    one is returned at once).
    """
    from probmodel.display import showing

    with showing(progress) as report:
        return _write_report(run, path, priors_dir, on_notice, report)


def _write_report(run, path, priors_dir, on_notice, report: Progress) -> Path:
    from probmodel import cache

    scenarios, notices = [], []
    try:
        lib = Library.open(priors_dir)
        names = lib.scenario_names()
    except ProbmodelError as err:
        names, lib = [], None
        notices.append(f"the spec folder could not be read ({_first_line(err)}): no plans scored.")
    for name in names:
        try:
            scenarios.append(lib.scenario(name))
        except ProbmodelError as err:
            notices.append(f"scenario {name!r} left out of Plans and Decisions: {_first_line(err)}")
    key = _report_key(run, scenarios)
    if not notices and cache.enabled() and _report_is_current(path, key):
        return Path(path)  # an unchanged run and spec folder: the report on disk is this one
    from probmodel.pipeline import report_inputs  # Matplotlib and the analyses: ~2 s of imports
    from probmodel.report.html import write_report as render

    inputs = report_inputs(
        run, scenarios, memo_folder=Path(path).parent / RESULTS_CACHE, notices=notices,
        progress=report,
    )  # fmt: skip
    for notice in inputs.notices:
        if on_notice is not None:
            on_notice(notice)
    # A report with notices is always rebuilt, so its notices are said again on stderr.
    with stage(report, "rendering figures and HTML"):
        return render(run, inputs, path, key=None if inputs.notices else key)


REPORT_KEY_VERSION = 1


def _report_key(run: Run, scenarios: list[Scenario]) -> str:
    """Hash of everything a report shows: the run (configuration and draws), the candidate plans
    with their priors, and the code that renders it."""
    from probmodel import io

    return io.sha256(
        io.canonical_json(
            {
                "version": REPORT_KEY_VERSION,
                "run": run.config_hash,
                "draws": io.data_hash(run.tree),
                "candidates": [
                    [s.as_record(), {n: p.as_record() for n, p in s.priors.items()}]
                    for s in scenarios
                ],
                "code": io.code_fingerprint(),
            }
        )
    )


def _report_is_current(path: str | Path, key: str) -> bool:
    """Whether the file at ``path`` is a report written for ``key`` (its head carries the key)."""
    from probmodel.report.markup import report_key_of

    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
    except OSError:
        return False
    return report_key_of(head) == key


def _first_line(err: Exception) -> str:
    lines = [line.strip(" -") for line in str(err).splitlines() if line.strip()]
    return lines[-1] if len(lines) > 1 else (lines[0] if lines else type(err).__name__)
