"""Caches never run code: entries are .npz read without pickle, keyed and checked by hash."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import xarray as xr

from probmodel import cache

MARKER = "probmodel-pickle-payload-ran"


def _malicious_pickle(target) -> bytes:
    """A pickle that, when loaded, creates ``target`` (via ``pathlib.Path.touch``)."""
    import pathlib

    class Touch:
        def __reduce__(self):
            return (pathlib.Path.touch, (pathlib.Path(target),))

    return pickle.dumps(Touch())


def test_round_trip_of_the_types_the_caches_hold(tmp_path):
    ds = xr.Dataset(
        {"cost": (("plan", "draw"), np.arange(6.0).reshape(2, 3), {"units": "USD"})},
        coords={"plan": ["a", "b"], "draw": [0, 1, 2]},
        attrs={"note": "x"},
    )
    value = {
        "answers": {"p": 0.25, "names": ["a", "b"], "pair": (1, 2.5), "none": None},
        "draws": np.array([1.0, np.nan, np.inf]),
        "table": ds,
        "one": ds["cost"].sel(plan="a"),
    }
    path = tmp_path / "entry.npz"
    assert cache.store(path, "key", value)
    back = cache.load(path, "key")
    assert back["answers"] == value["answers"]
    np.testing.assert_array_equal(back["draws"], value["draws"])
    xr.testing.assert_identical(back["table"], ds)
    xr.testing.assert_identical(back["one"], value["one"])
    assert cache.load(path, "another key") is None  # an entry for another key is ignored


def test_a_planted_pickle_runs_nothing_where_each_old_cache_lived(tmp_path, monkeypatch):
    """The old caches (parsed priors in the user's cache folder, the report memo beside the
    results) were pickles: a planted file ran code. Plant one under every old and new name."""
    from probmodel import io
    from probmodel.specs import priors

    target = tmp_path / MARKER
    payload = _malicious_pickle(target)
    home = tmp_path / "cache"
    home.mkdir()
    monkeypatch.setenv("PROBMODEL_CACHE_DIR", str(home))
    for name in ("parsed-priors.pkl", "parsed-priors.npz"):
        (home / name).write_bytes(payload)
    monkeypatch.setattr(priors, "_PARSED", None)
    assert io.cache_dir() == home
    assert priors._parsed() == {}  # ignored, not loaded
    memo = tmp_path / "results" / ".probmodel-cache"
    memo.mkdir(parents=True)
    key = {"what": "test"}
    name = io.sha256(io.canonical_json(key))[:24]
    for suffix in (".pkl", ".npz"):
        (memo / f"{name}{suffix}").write_bytes(payload)
    assert cache.memoised(memo, key, lambda: {"fresh": 1.0}) == {"fresh": 1.0}
    assert cache.memoised(memo, key, lambda: {"fresh": 2.0}) == {"fresh": 1.0}  # now cached
    assert not target.exists()


def test_a_damaged_or_tampered_entry_is_recomputed(tmp_path):
    path = tmp_path / "e.npz"
    key = {"k": 1}
    assert cache.memoised(tmp_path, key, lambda: {"v": np.arange(3)})["v"].tolist() == [0, 1, 2]
    (entry,) = tmp_path.glob("*.npz")
    data = dict(np.load(entry, allow_pickle=False))
    data["a0"] = np.array([9, 9, 9])  # payload edited: the digest no longer matches
    np.savez(entry, **data)
    assert cache.memoised(tmp_path, key, lambda: {"v": np.arange(2)})["v"].tolist() == [0, 1]
    entry.write_bytes(b"not a zip file")
    assert cache.memoised(tmp_path, key, lambda: {"v": np.arange(1)})["v"].tolist() == [0]
    assert not path.exists()


def test_the_off_switch_turns_every_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.OFF_SWITCH, "1")
    calls = []
    for _ in range(2):
        cache.memoised(tmp_path, {"k": 1}, lambda: calls.append(1) or {"v": 1})
    assert len(calls) == 2 and not list(tmp_path.iterdir())


def test_objects_the_format_cannot_hold_are_not_cached(tmp_path):
    assert not cache.store(tmp_path / "x.npz", "k", {"f": object()})
    assert not cache.store(tmp_path / "y.npz", "k", np.array([object()]))
    assert cache.load(tmp_path / "missing.npz", "k") is None


def test_parsed_priors_are_written_once_per_process_and_read_by_the_next(tmp_path, monkeypatch):
    """A process that parses new priors writes the cache file once, at exit (writing it after
    each of ~90 priors cost ~10 s), keyed by the code's fingerprint; the next process reads them
    without parsing."""
    import subprocess
    import sys

    from probmodel import io
    from probmodel.specs import priors

    home = tmp_path / "cache"
    env = {**os.environ, "PROBMODEL_CACHE_DIR": str(home)}
    script = "from probmodel.specs.library import Library; Library.open(None).scenario('seed-cotrain')"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=300)
    assert (home / priors._CACHE_FILE).is_file()
    monkeypatch.setenv("PROBMODEL_CACHE_DIR", str(home))
    monkeypatch.setattr(priors, "_PARSED", None)
    assert priors._cache_key().endswith(io.code_fingerprint())
    parsed = priors._parsed()
    assert len(parsed) >= 40  # the world priors of one scenario
    monkeypatch.setattr(priors, "_parse_prior", lambda *a: pytest.fail("parsed again"))
    from probmodel.specs.library import Library

    Library.open(None).scenario("seed-cotrain")
