"""Hostile input, generated: malformed prior, scenario and evidence files always get a clean error.

Property-based (hypothesis): each example takes the shipped spec folder, breaks one thing in one
file (a value of the wrong type or out of range, a missing key, an unknown key, or bytes that are
not TOML), and runs the command line on it. The run must either succeed (the change happened to
be valid) or exit with code 2 and a message that names the file and the key, with no traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
import tempfile
import tomllib
from pathlib import Path

from conftest import SHIPPED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probmodel.cli import main

HOSTILE_VALUES = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.booleans(),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.sampled_from(["mu", "sigma", "alpha", "x"]), st.floats(-5, 5), max_size=2),
)
ACTIONS = st.sampled_from(["set", "delete", "unknown"])
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def toml_document(doc: dict) -> str:
    """A TOML text for a dict of scalars, lists and one level of tables (inline below that)."""
    top = [f"{k} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    tables = []
    for name, table in doc.items():
        if not isinstance(table, dict):
            continue
        lines = [f"[{name}]"]
        for k, v in table.items():
            if isinstance(v, dict) and name in ("priors",):
                tables.append(
                    f"[{name}.{k}]\n" + "\n".join(f"{a} = {toml_value(b)}" for a, b in v.items())
                )
            else:
                lines.append(f"{k} = {toml_value(v)}")
        tables.append("\n".join(lines))
    return "\n".join(top) + "\n\n" + "\n\n".join(tables) + "\n"


def run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def mutate(doc: dict, data, keys_of) -> tuple[dict, str, str]:
    """Break one key of one table; returns the new doc, the table and the key."""
    table = data.draw(st.sampled_from(sorted(k for k, v in doc.items() if isinstance(v, dict))))
    action = data.draw(ACTIONS)
    entry = dict(doc[table])
    if action == "unknown" or not entry:
        key = data.draw(st.sampled_from(["sigmaa", "pointt", "unit_costs", "fleet"]))
        entry[key] = data.draw(HOSTILE_VALUES)
    else:
        key = data.draw(st.sampled_from(sorted(keys_of(entry))))
        if action == "delete":
            del entry[key]
        else:
            entry[key] = data.draw(HOSTILE_VALUES)
    return {**doc, table: entry}, table, key


def check(code: int, err: str, file_name: str, table: str, key: str) -> None:
    assert "Traceback" not in err
    assert code in (0, 2), (code, err)
    if code == 2:
        assert file_name in err, err
        if "not valid TOML" in err:  # a syntax error has no key to name: the line instead
            assert "line" in err, err
        else:
            assert table in err or key in err, err


@given(data=st.data())
@SETTINGS
def test_a_broken_world_prior_gets_a_clean_error(data):
    world = tomllib.loads((SHIPPED / "world.toml").read_text())
    broken, table, key = mutate(world, data, lambda entry: entry)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "priors"
        shutil.copytree(SHIPPED, root)
        (root / "world.toml").write_text(toml_document(broken))
        code, err = run_cli(["point", "seed-real-only", "--priors", str(root)])
    check(code, err, "world.toml", table, key)


@given(data=st.data())
@SETTINGS
def test_a_broken_scenario_gets_a_clean_error(data):
    scenario = tomllib.loads((SHIPPED / "scenarios" / "seed-cotrain.toml").read_text())
    scenario.setdefault("priors", {})["sim_transfer"] = {"point": 0.5}
    broken, table, key = mutate(scenario, data, lambda entry: entry)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "priors"
        shutil.copytree(SHIPPED, root)
        (root / "scenarios" / "hostile.toml").write_text(toml_document(broken))
        code, err = run_cli(["point", "hostile", "--priors", str(root)])
    check(code, err, "hostile.toml", table, key)


@given(
    record=st.sampled_from(sorted(p.name for p in (SHIPPED / "evidence").glob("*.toml"))),
    data=st.data(),
)
@SETTINGS
def test_a_broken_evidence_record_gets_a_clean_error(record, data):
    doc = tomllib.loads((SHIPPED / "evidence" / record).read_text())
    wrapped = {"record": {k: v for k, v in doc.items() if not isinstance(v, dict)}}
    broken, _, key = mutate(wrapped, data, lambda entry: entry)
    text = toml_document(
        {**broken["record"], **{k: v for k, v in doc.items() if isinstance(v, dict)}}
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "priors"
        shutil.copytree(SHIPPED, root)
        (root / "evidence" / record).write_text(text)
        code, err = run_cli(["evidence", "list", "--priors", str(root)])
    check(code, err, record, key, key)


@given(garbage=st.binary(min_size=1, max_size=200))
@SETTINGS
def test_bytes_that_are_not_toml_get_a_clean_error(garbage):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "priors"
        shutil.copytree(SHIPPED, root)
        (root / "scenarios" / "garbage.toml").write_bytes(garbage)
        code, err = run_cli(["point", "garbage", "--priors", str(root)])
    assert "Traceback" not in err and code in (0, 2), (code, err)
    if code == 2:
        assert "garbage.toml" in err


# ------------------------------------------------------------------------------------------------
# Fixed cases for the classes of issue 14: validate before work, never destroy a result, concurrent
# writers, bounded options, special files, terminal injection, litter and exit codes.

import hashlib  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402
from conftest import ROOT  # noqa: E402

from probmodel import io as pio  # noqa: E402


def cli(capsys, argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def run_file(prior_run, tmp_path):
    path = tmp_path / "run.nc"
    prior_run.save(path)
    return path


@pytest.fixture
def no_sampling(monkeypatch):
    """Make any sampling fail the test: validation must come before the work."""
    def refuse(*args, **kwargs):
        raise AssertionError("sampled before the output was checked")

    monkeypatch.setattr("probmodel.cli.runs.sample_run", refuse)
    monkeypatch.setattr("probmodel.analysis.update.update_run", refuse)
    monkeypatch.setattr("probmodel.analysis.sweep.sweep", refuse)


BAD_OUTPUTS = ["parent is a file", "unwritable folder", "name too long", "path too long", "a folder"]


def bad_outputs(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return {
        "parent is a file": a_file / "out.nc",
        "unwritable folder": Path("/proc/self/out.nc"),
        "name too long": tmp_path / ("n" * 256 + ".nc"),
        "path too long": tmp_path.joinpath(*["d" * 200] * 25, "out.nc"),
        "a folder": tmp_path,
    }


@pytest.mark.parametrize("case", BAD_OUTPUTS)
@pytest.mark.parametrize("command", ["sample", "report", "update", "sweep"])
def test_an_unwritable_output_is_refused_before_any_work(
    capsys, tmp_path, run_file, no_sampling, command, case
):
    out = bad_outputs(tmp_path)[case]
    record = SHIPPED / "evidence" / sorted(p.name for p in (SHIPPED / "evidence").iterdir())[0]
    argv = {
        "sample": ["sample", "seed-cotrain", "--out", out],
        "report": ["report", run_file, "--out", out],
        "update": ["update", run_file, record, "--out", out],
        "sweep": ["sweep", run_file, "--out", out],
    }[command]
    code, _, err = cli(capsys, argv)
    assert code == 2, err
    assert err.startswith("error: --out ") and str(out)[:30] in err


def test_run_checks_its_out_dir_before_sampling(capsys, tmp_path, no_sampling):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for out_dir in (a_file, Path("/proc/self/results"), tmp_path / ("n" * 256)):
        code, _, err = cli(capsys, ["run", "seed-cotrain", "--out-dir", out_dir])
        assert code == 2 and err.startswith("error: --out-dir"), err


def test_a_long_legal_name_is_written_although_its_temporary_name_would_be_too_long(tmp_path):
    path = tmp_path / ("L" * 250 + ".nc")  # 253 bytes: legal; ".NAME.host.pid.*.partial" is not
    assert pio.check_output(path, "--out") == path
    pio.write_text(path, "done")
    assert path.read_text() == "done"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("command", ["sweep", "report", "update-run", "update-file"])
def test_an_output_that_is_an_input_is_refused_and_the_input_survives(
    capsys, tmp_path, run_file, command
):
    record = tmp_path / "new.toml"
    record.write_bytes(next((SHIPPED / "evidence").glob("*.toml")).read_bytes())
    alias = tmp_path / "alias.nc"
    alias.symlink_to(run_file)
    argv = {
        "sweep": ["sweep", run_file, "--out", alias],  # the same file by another name
        "report": ["report", run_file, "--out", run_file],
        "update-run": ["update", run_file, record, "--out", run_file],
        "update-file": ["update", run_file, record, "--out", record],
    }[command]
    before = digest(run_file), digest(record)
    code, _, err = cli(capsys, argv)
    assert code == 2 and "would destroy it" in err, err
    assert (digest(run_file), digest(record)) == before


def test_sample_refuses_to_write_over_a_spec_file(capsys, spec_dir, no_sampling):
    root = spec_dir()
    before = digest(root / "world.toml")
    code, _, err = cli(capsys, ["sample", "seed-cotrain", "--priors", root, "--out", root / "world.toml"])  # fmt: skip
    assert code == 2 and "world.toml" in err and "would destroy it" in err
    assert digest(root / "world.toml") == before


def test_a_fit_whose_save_fails_is_kept_and_the_user_told(
    capsys, monkeypatch, tmp_path, prior_run
):
    import probmodel as pmod
    monkeypatch.setenv(pio.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr("probmodel.cli.runs.sample_run", lambda args, inputs=None, save_to=None: prior_run)
    target = tmp_path / "results" / "seed-cotrain.nc"
    real_save = pio.save_tree

    def failing(tree, meta, path):
        if Path(path) == target:
            raise OSError(28, "No space left on device")
        return real_save(tree, meta, path)

    monkeypatch.setattr(pio, "save_tree", failing)
    code, _, err = cli(capsys, ["sample", "seed-cotrain", "--out", target])
    assert code == 2 and "No space left on device" in err, err
    kept = list((tmp_path / "cache" / "unsaved").glob("*.nc"))
    assert len(kept) == 1 and str(kept[0]) in err
    assert pmod.load_run(kept[0]).name == prior_run.name
    assert not target.exists()


def test_temporary_files_of_other_hosts_and_live_writers_are_never_removed(tmp_path):
    path = tmp_path / "run.nc"
    host = pio._host()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    partials = {
        "other host": f".run.nc.{host}x.{dead}.abcdefgh.partial",
        "this host, live": f".run.nc.{host}.{os.getpid()}.abcdefgh.partial",
        "old layout": f".run.nc.{dead}.abcdefgh.partial",
        "this host, dead": f".run.nc.{host}.{dead}.abcdefgh.partial",
    }
    for name in partials.values():
        (tmp_path / name).write_text("half")
    pio.write_text(path, "new")
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"run.nc", *list(partials.values())[:3]}


def test_a_second_process_writing_the_same_file_never_breaks_either_writer(tmp_path):
    path = tmp_path / "shared.txt"
    a, b = "A" * 200_000, "B" * 200_000
    code = (
        "import sys; from probmodel import io\n"
        f"for _ in range(60): io.write_text({str(path)!r}, {b[:1]!r} * 200_000)\n"
    )
    other = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    for _ in range(60):
        pio.write_text(path, a)
        assert path.read_text() in (a, b)
    assert other.wait(timeout=120) == 0
    assert path.read_text() in (a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["shared.txt"]


@pytest.mark.parametrize(
    "argv, option",
    [
        (["sample", "seed-cotrain", "--seed", "-1"], "--seed"),
        (["sample", "seed-cotrain", "--seed", str(2**32)], "--seed"),
        (["sample", "seed-cotrain", "--seed", "1" * 5000], "--seed"),
        (["sample", "seed-cotrain", "--seed", "1.5"], "--seed"),
        (["run", "--draws", "0"], "--draws"),
        (["run", "--tune", "-5"], "--tune"),
        (["run", "--chains", "100000"], "--chains"),
        (["sample", "seed-cotrain", "--prior-draws", "10000000000"], "--prior-draws"),
        (["sample", "seed-cotrain", "--target-accept", "nan"], "--target-accept"),
        (["optimize", "run.nc", "--seed", "-3"], "--seed"),
        (["check", "sbc", "--sims", "0"], "--sims"),
        (["voi", "run.nc", "a", "--top", "0"], "--top"),
    ],
)
def test_out_of_range_options_are_refused_cleanly(capsys, no_sampling, argv, option):
    code, _, err = cli(capsys, argv)
    assert code == 2 and f"argument {option}" in err, err


@pytest.mark.parametrize(
    "grid", [["fleet_size=1:100:1000001"], ["fleet_size=1:100000:1001", "real_share=0.1:1:1000"]]
)
def test_a_grid_of_more_than_a_million_plans_is_refused(capsys, run_file, grid):
    code, _, err = cli(capsys, ["sweep", run_file, *sum((["--grid", g] for g in grid), [])])
    assert code == 2 and "1,000,000" in err, err


@pytest.fixture
def no_hang():
    """Fail instead of hanging when something opens a FIFO."""

    def timeout(*_):
        raise TimeoutError("hung reading a special file")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "oversized"])
@pytest.mark.parametrize("which", ["world", "scenario", "evidence"])
def test_special_and_oversized_spec_files_are_refused_unread(capsys, spec_dir, no_hang, kind, which):  # fmt: skip
    root = spec_dir()
    path = {
        "world": root / "world.toml",
        "scenario": root / "scenarios" / "special.toml",
        "evidence": root / "evidence" / "special.toml",
    }[which]
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_text("# padding\n" * 120_000)
    argv = {
        "world": ["point", "seed-cotrain"],
        "scenario": ["point", path],
        "evidence": ["evidence", "check", path],
    }[which]
    code, _, err = cli(capsys, [*argv, "--priors", root])
    assert code == 2, err
    assert path.name in err
    assert any(w in err for w in ("not a regular file", "is a folder", "larger than")), err


@pytest.mark.parametrize("which", ["world", "scenario", "evidence"])
def test_integers_of_hundreds_of_digits_are_refused(capsys, spec_dir, which):
    huge = "7" * 400
    if which == "world":
        root = spec_dir()
        world = root / "world.toml"
        world.write_text(world.read_text() + f"\n[extra_table]\nbig = {huge}\n")
        argv, name = ["point", "seed-cotrain"], "world.toml"
    elif which == "scenario":
        text = (SHIPPED / "scenarios" / "seed-cotrain.toml").read_text()
        root = spec_dir(scenario=text.replace("[plan]", f"[plan]\nfleet_sizes = {huge}", 1))
        argv, name = ["point", "broken"], "broken.toml"
    else:
        text = next((SHIPPED / "evidence").glob("*.toml")).read_text()
        root = spec_dir()
        (root / "big.toml").write_text(f"year = {huge}\n" + text)
        argv, name = ["evidence", "check", root / "big.toml"], "big.toml"
    code, _, err = cli(capsys, [*argv, "--priors", root])
    assert code == 2, err
    assert name in err and "400 digits" in err, err


ESCAPES = "\\u001b[2J\\u001b]0;owned\\u0007\\u001b[31mRED\\u001b[0m\\u009b1m\\u202e"


def test_text_from_spec_files_reaches_the_terminal_without_control_sequences(capsys, spec_dir):
    text = (SHIPPED / "scenarios" / "seed-cotrain.toml").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("title")]
    root = spec_dir(scenario=f'title = "evil {ESCAPES} title"\n' + "\n".join(lines) + "\n")
    record = next((root / "evidence").glob("*.toml"))
    doc = [  # the record's title and its citation's title
        f'title = "t {ESCAPES}"' if ln.startswith("title") else ln
        for ln in record.read_text().splitlines()
    ]
    evil = root.parent / "evil.toml"
    evil.write_text("\n".join(doc) + "\n")
    outputs = []
    for argv in (["scenarios"], ["evidence", "check", evil], ["point", "broken"]):
        code, out, err = cli(capsys, [*argv, "--priors", root])
        assert code == 0, err
        outputs.append(out + err)
    joined = "".join(outputs)
    assert "evil" in joined and "RED" in joined and "t [2J" not in joined
    assert not any(c in joined for c in "\x1b\x07\x9b\u202e"), repr(joined)


def test_clean_text_strips_every_kind_of_control_sequence():
    from probmodel.cli import clean_text

    assert clean_text("a\x1b[1;31mb\x1b[0m\x1b]8;;http://x\x1b\\c\x1bPq\x1b\\\r\x00\x7fd\n\te") == "abc" + "d\n\te"  # fmt: skip


def test_no_generated_source_lands_in_the_system_temporary_folder(tmp_path):
    """PyTensor writes the source of every numba function it compiles; probmodel sends it to the
    cache (here a fresh one) instead of one new file per function in /tmp."""
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    code = (
        "import probmodel, pytensor, pytensor.tensor as pt\n"
        "x = pt.dvector('x')\n"
        "f = pytensor.function([x], pt.exp(x) * 2 + 1, mode='NUMBA')\n"
        "assert abs(f([0.0])[0] - 3.0) < 1e-12\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp), pio.CACHE_ENV: str(cache)}
    env.pop("PYTENSOR_FLAGS", None)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=300)
    assert list(tmp.rglob("*")) == []
    assert list((cache / pio.GENERATED_SRC).glob("*.py"))


def test_a_stored_ok_that_its_own_statistics_contradict_is_not_believed(capsys):
    """A run file edited to say "diagnostics: ok" beside an R-hat and ESS that fail the thresholds
    is judged by the statistics (issue 14): the verdict is a failure and says why."""
    import xarray as xr

    from probmodel.diagnostics import run_diagnostics
    from probmodel.run import Run

    lying = {"ok": True, "max_r_hat": 1.2, "min_ess_bulk": 50.0, "min_ess_tail": 900.0,
             "divergences": 0, "problems": []}  # fmt: skip
    d = run_diagnostics(Run(tree=xr.DataTree(), meta={"diagnostics": lying}))
    assert d["ok"] is False and "edited" in d["problems"][-1] and "R-hat 1.200" in d["problems"][-1]
    honest = {**lying, "max_r_hat": 1.005, "min_ess_bulk": 900.0}
    assert run_diagnostics(Run(tree=xr.DataTree(), meta={"diagnostics": honest}))["ok"] is True


def test_an_impossibly_precise_evidence_sd_is_refused_at_check_time(tmp_path, capsys):
    """An sd of 5e-324 passed `evidence check` and crashed the sampler (issue 14): now any sd
    better than 0.01% of the value is refused at check time with file, key and value."""
    import re

    from probmodel.cli import main

    shipped = (SHIPPED / "evidence" / "bridgedata-v2-control-rate.toml").read_text()
    path = tmp_path / "tiny.toml"
    path.write_text(re.sub(r"(?m)^sd = .*$", "sd = 5e-324", shipped))
    assert main(["evidence", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "tiny.toml: sd = 5e-324" in err and "0.01%" in err and "Traceback" not in err


LOOPING_COMMAND = """
import contextlib, os, sys, time
from probmodel.cli import main
argv = sys.argv[1:]
with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
    start = time.perf_counter()
    assert main(argv) == 0
    seconds = time.perf_counter() - start
    print("ready", seconds, file=sys.__stdout__, flush=True)
    while True:
        main(argv)
"""


@pytest.mark.parametrize("command", ["sweep", "report"])
def test_a_command_killed_while_it_writes_leaves_its_output_whole_and_the_run_untouched(
    small_run, tmp_path, command
):
    """SIGKILL a real ``sweep``/``report`` process that keeps re-writing its output, late in a
    cycle (where the save is): the output is the earlier whole file, the run is byte for byte
    the same, and the next write removes the dead writer's partial file. Deterministic in outcome:
    whatever instant the kill lands on, each assertion must hold."""
    import time

    run_file = small_run.save(tmp_path / "run.nc")
    out = tmp_path / ("sweep.nc" if command == "sweep" else "report.html")
    argv = [command, str(run_file), "--out", str(out)]
    if command == "sweep":
        argv += ["--grid", "fleet_size=500:20000:6:log", "--grid", "real_share=0.1:1:5"]
    before = digest(run_file)
    script = tmp_path / "loop.py"
    script.write_text(LOOPING_COMMAND)
    # No caches: every cycle really rebuilds and re-writes (an unchanged report is not rewritten)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROBMODEL_NO_CACHE": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script), *argv], stdout=subprocess.PIPE, env=env, cwd=tmp_path
    )
    try:
        ready, seconds = proc.stdout.readline().split()
        assert ready == b"ready"
        time.sleep(0.9 * float(seconds))  # ~90% into the first re-write, near its save
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert digest(run_file) == before
    if command == "sweep":
        assert pio.load_dataset(out).sizes["fleet_size"] == 6
    else:
        assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert main(argv) == 0
    assert not list(tmp_path.rglob("*.partial"))


SECOND_SAVER = """
import sys
import probmodel as pm
run = pm.load_run(sys.argv[1])
thinned = type(run)(tree=run.tree.isel(draw=slice(0, 100)), meta=run.meta)
for _ in range(int(sys.argv[3])):
    thinned.save(sys.argv[2])
"""


def test_a_second_process_saving_the_same_results_file_never_breaks_either(run_file, tmp_path):
    """Two real processes save different runs to one results file, over and over: every read
    in between loads a whole run (one or the other), and no temporary file is left."""
    from probmodel.api import load_run

    shared = tmp_path / "shared.nc"
    mine = load_run(run_file)
    draws = {mine.tree["posterior"].sizes["draw"], 100}
    script = tmp_path / "saver.py"
    script.write_text(SECOND_SAVER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    other = subprocess.Popen([sys.executable, str(script), str(run_file), str(shared), "40"], env=env)
    try:
        for _ in range(40):
            mine.save(shared)
            assert load_run(shared).tree["posterior"].sizes["draw"] in draws
    finally:
        assert other.wait(timeout=600) == 0
    assert load_run(shared).tree["posterior"].sizes["draw"] in draws
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc", "saver.py", "shared.nc"]
