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
