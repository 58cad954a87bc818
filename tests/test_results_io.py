"""Saving and loading runs: round trip, and refusal of foreign, damaged or edited files."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import xarray as xr

import probmodel as pmod
from probmodel.cli import main
from probmodel.errors import ResultFileError


@pytest.fixture(scope="module")
def saved(small_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "run.nc"
    small_run.save(path)
    return path


def test_round_trip_keeps_draws_and_configuration(small_run, saved):
    loaded = pmod.load_run(saved)
    np.testing.assert_array_equal(
        loaded.tree["posterior"]["cost_total_usd"].values,
        small_run.tree["posterior"]["cost_total_usd"].values,
    )
    assert loaded.config_hash == small_run.config_hash
    assert loaded.meta["evidence_ids"] == small_run.meta["evidence_ids"]
    assert loaded.meta["version"] == pmod.__version__
    assert set(loaded.priors) == set(small_run.priors)
    assert {"posterior", "prior", "sample_stats", "point", "observed_data"} <= set(
        loaded.tree.children
    )


def test_a_loaded_run_rebuilds_its_typed_configuration(saved, library):
    """Scenario, plan, priors, evidence records and settings come back as the typed objects the
    run was drawn from (issue 12), not only as the JSON stored with it."""
    loaded = pmod.load_run(saved)
    scenario = library.scenario("seed-cotrain")
    typed = loaded.scenario_spec
    assert typed.plan == scenario.plan == loaded.plan_spec
    assert typed.priors == scenario.priors  # PriorSpec equality: family, parameters, point, ...
    assert loaded.constants == scenario.fixed_values()
    records = loaded.records
    assert [r.id for r in records] == loaded.meta["evidence_ids"]
    as_json = [json.loads(json.dumps(r.as_record())) for r in records]  # tuples stored as lists
    assert as_json == loaded.evidence
    assert loaded.settings == pmod.load_run(saved).settings and loaded.settings.chains == 2


def _copy(saved, tmp_path):
    target = tmp_path / "copy.nc"
    target.write_bytes(saved.read_bytes())
    return target


LOADERS = {"load_run": pmod.load_run, "RunConfig.read": lambda p: pmod.api.RunConfig.read(p)}
"""Both ways of reading a saved run: with its draws, and its configuration alone (``summary``)."""


@pytest.mark.parametrize("load", LOADERS.values(), ids=LOADERS.keys())
def test_edited_configuration_is_refused(saved, tmp_path, load):
    path = _copy(saved, tmp_path)
    with h5py.File(path, "r+") as f:
        text = f.attrs["probmodel_scenario"]
        f.attrs["probmodel_scenario"] = (
            text.decode() if isinstance(text, bytes) else text
        ).replace("5000.0", "50.0")
    with pytest.raises(ResultFileError, match="config_hash does not match"):
        load(path)


def test_edited_draws_are_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    with h5py.File(path, "r+") as f:
        f["posterior/cost_total_usd"][0, 0] = 1.0
    with pytest.raises(ResultFileError, match="data_hash does not match"):
        pmod.load_run(path)


@pytest.mark.parametrize("load", LOADERS.values(), ids=LOADERS.keys())
def test_foreign_netcdf_is_refused(tmp_path, load):
    path = tmp_path / "other.nc"
    xr.Dataset({"a": ("x", [1.0, 2.0])}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ResultFileError, match="not a probmodel result"):
        load(path)


@pytest.mark.parametrize("load", LOADERS.values(), ids=LOADERS.keys())
def test_truncated_file_is_refused(saved, tmp_path, load):
    path = tmp_path / "truncated.nc"
    path.write_bytes(saved.read_bytes()[:4000])
    with pytest.raises(ResultFileError, match="not a readable"):
        load(path)


def test_missing_file_and_cli_exit_code(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "absent.nc")]) == 3
    err = capsys.readouterr().err
    assert "no such results file" in err and "Traceback" not in err


def test_failed_save_leaves_the_earlier_file_intact(small_run, saved, tmp_path, monkeypatch):
    path = _copy(saved, tmp_path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", explode)
    with pytest.raises(OSError, match="disk full"):
        small_run.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["copy.nc"]  # no partial file left behind


def test_run_is_stale_once_its_spec_files_change(small_run, spec_dir):
    root = spec_dir()
    assert pmod.api.is_stale(small_run, root) is False
    world = root / "world.toml"
    world.write_text(world.read_text().replace("point = 0.10", "point = 0.15"))  # backup_share
    assert pmod.api.is_stale(small_run, root) is True


KILLED_WRITER = """
import sys, time
import probmodel as pm
run = pm.load_run(sys.argv[1])
print("ready", flush=True)
while True:
    run.save(sys.argv[1])
"""


def test_a_writer_killed_mid_save_leaves_the_earlier_result_intact(saved, tmp_path):
    """Kill (SIGKILL) a real process that is saving over a result: the result still loads, and
    the next save removes the dead writer's partial file."""
    import signal
    import subprocess
    import sys
    import time

    from probmodel.api import load_run

    path = tmp_path / "result.nc"
    path.write_bytes(saved.read_bytes())
    before = load_run(path).config_hash
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    import os

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's probmodel, not an installed one
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, env=env
    )
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(1.0)  # several saves in, most likely in the middle of one
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert load_run(path).config_hash == before  # complete: the old file or a whole new one
    load_run(path).save(path)
    assert not list(tmp_path.glob(".result.nc.*.partial"))


def test_a_summary_is_memoised_beside_its_file_until_the_file_changes(saved, tmp_path, monkeypatch):
    """``summary`` of an unchanged file answers from the memo without reading the draws (issue 16:
    under 1 s); any write to the file (even of the same bytes) gives it a new identity, so the
    draws are read, and their hash checked, again."""
    path = _copy(saved, tmp_path)
    first = pmod.api.summarize_saved(path)
    assert first == pmod.summarize(pmod.load_run(path))
    loads = []
    real_load = pmod.api.load_run
    monkeypatch.setattr(pmod.api, "load_run", lambda p: loads.append(p) or real_load(p))
    assert pmod.api.summarize_saved(path) == first and loads == []  # from the memo
    assert pmod.api.summarize_saved(path, ci_prob=0.8) != first and len(loads) == 1  # other options
    path.write_bytes(path.read_bytes())  # same bytes, new change time
    assert pmod.api.summarize_saved(path) == first and len(loads) == 2
    with h5py.File(path, "r+") as f:  # an edit of the draws is caught, not answered from the memo
        f["posterior/cost_total_usd"][0, 0] = 1.0
    with pytest.raises(ResultFileError, match="data_hash does not match"):
        pmod.api.summarize_saved(path)


def test_run_reuses_a_saved_fit_only_of_the_same_configuration(saved, tmp_path, monkeypatch):
    """``probmodel run`` reuses a saved fit when a new one would be identical; it reads the
    file's configuration first and the draws only on a match (issue 16: an unchanged run in < 3 s)."""
    from probmodel.run import Run, SamplerSettings, reusable_run

    path = _copy(saved, tmp_path)
    run = pmod.load_run(path)
    scenario, evidence, settings = run.scenario_spec, run.records, run.settings
    reused = reusable_run(path, scenario, evidence, settings)
    assert reused is not None and reused.config_hash == run.config_hash
    monkeypatch.setattr(Run, "load", lambda p: pytest.fail("the draws were read"))
    other = SamplerSettings(**{**vars(settings), "seed": settings.seed + 1})
    assert reusable_run(path, scenario, evidence, other) is None
    assert reusable_run(path, scenario, evidence[:-1], settings) is None
    assert reusable_run(tmp_path / "absent.nc", scenario, evidence, settings) is None
