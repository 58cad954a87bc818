"""``probmodel explore`` in a real browser: Playwright driving Debian's Chromium.

The app runs in this process (uvicorn on a thread) on the session's small real fit. The test
moves the fleet slider with the mouse and checks the headline against the Python API for the
fleet the page says it used, switches an evidence record off, moves a prior far enough to need a
re-sample, saves the plan as a scenario and reads it back with ``probmodel point``. Screenshots
go to ``results/explore-*.png`` (the CI artefacts folder). Without Chromium the test fails and
says how to install it (``make test`` does, via ``scripts/ensure-browser``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from probmodel import formatting as fmt
from probmodel.analysis import whatif
from probmodel.analysis.plans import plan_rows, score_plans
from probmodel.analysis.risk import joint_confidence_budget
from probmodel.explore import app as explore_app
from probmodel.explore import bind, create_app, server_for, text

pytestmark = pytest.mark.fit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def app_url(small_run):
    """The explorer on ``small_run``, served on a free port of 127.0.0.1 from a thread."""
    sock = bind(0)
    server = server_for(create_app(small_run), sock)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the explorer's server did not start within 20 s"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def page(app_url, chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.outside = []  # requests that would leave this machine (none may)
    page.on("request", lambda r: None if r.url.startswith(app_url) or r.url.startswith(
        ("data:", "blob:")) else page.outside.append(r.url))  # fmt: skip
    page.goto(app_url)
    page.wait_for_selector("#hl-cost_p50")
    yield page
    context.close()


def shot(page, name: str, focus: str | None = None) -> None:
    """Screenshot into results/explore-NAME.png, with ``focus`` (a selector) scrolled into
    view."""
    RESULTS.mkdir(exist_ok=True)
    if focus:
        page.locator(focus).scroll_into_view_if_needed()
    page.screenshot(path=str(RESULTS / f"explore-{name}.png"), full_page=True)


def api_fields(run, **plan) -> dict[str, str]:
    """The headline numbers the Python API gives for the run's scenario with ``plan`` changes,
    written as the page writes them."""
    scenario = run.scenario_spec.with_plan(**plan)
    row = plan_rows(run, [scenario])[0]
    scores = score_plans(run, [scenario]).sel(plan=scenario.name)
    row["jcl80_budget_usd"] = joint_confidence_budget(
        scores["cost_net_usd"].values, scores["years"].values, scenario.plan.deadline_years, 0.8
    )
    return text.headline_fields(row)


def page_fields(page, prefix: str = "hl-") -> dict[str, str]:
    return {name: page.inner_text(f"#{prefix}{name}") for name in text.FIELDS}


def wait_idle(page) -> None:
    """Until Shiny has answered every input sent (no output recalculating)."""
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')")
    page.wait_for_timeout(100)
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')")


def drag_fleet(page, dx: float) -> float:
    """Drag the fleet slider's handle by ``dx`` pixels with the mouse; returns the fleet the
    page then says it used, once the page has answered."""
    handle = page.locator(".shiny-input-container:has(#fleet_size_log10) .irs-handle")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => { const s = document.querySelector("
        "'.shiny-input-container:has(#fleet_size_log10) .irs-single');"
        " const h = document.querySelector('#hl-fleet');"
        " return s && h && h.textContent === s.textContent + ' robots'; }"
    )
    wait_idle(page)
    return float(page.inner_text("#hl-fleet").removesuffix(" robots").replace(",", ""))


def test_explorer_in_a_browser(page, small_run, tmp_path, monkeypatch):
    base = whatif.prepare(small_run)
    fleet0 = base.scenario.plan.fleet_size
    assert page_fields(page) == api_fields(small_run)
    # a run that failed its MCMC diagnostics is flagged on the page, as by every command
    assert (page.locator("#diagnostics-warning").count() > 0) == (not small_run.diagnostics["ok"])
    shot(page, "start")

    # 1. Move the fleet slider with the mouse: the headline becomes the API's numbers for the
    #    fleet the page says it used.
    fleet = drag_fleet(page, -25)
    assert fleet < fleet0
    assert page_fields(page) == api_fields(small_run, fleet_size=fleet)
    shot(page, "fleet")

    # 2. Side by side: pin this plan, move the slider again, and the paired probabilities are
    #    the API's for the two plans on the same draws.
    page.get_by_role("tab", name="Side by side").click()
    page.click("#pin")
    page.wait_for_selector("#cmp-p_cheaper")
    pinned = fleet
    fleet = drag_fleet(page, 40)
    assert fleet > pinned
    plan = base.scenario.with_plan(fleet_size=fleet).plan
    c = whatif.compare(whatif.score_plan(base, plan),
                       whatif.score_plan(base, base.scenario.with_plan(fleet_size=pinned).plan))  # fmt: skip
    assert page.inner_text("#cmp-p_cheaper") == fmt.fmt_pct(c.p_cheaper)
    assert page.inner_text("#cmp-p_faster") == fmt.fmt_pct(c.p_faster)
    assert page.inner_text("#cmp-p_better") == fmt.fmt_pct(c.p_better)
    assert c.p_faster > 0.5  # more robots collect the data sooner
    shot(page, "side-by-side", "#side")
    page.click("#unpin")
    page.wait_for_selector("#cmp-p_cheaper", state="detached")

    # 3. Switch an evidence record off: the "what moved" table shows the API's leave-one-out
    #    numbers, and the record's parameter moves.
    record = "humanoid-list-prices"
    page.get_by_role("tab", name="Evidence").click()
    before = page_fields(page)
    page.locator(f"input[name='records_on'][value='{record}']").uncheck()
    page.wait_for_selector("#moved-table")
    wait_idle(page)
    rw = whatif.reweight(base, records_off=[record])
    expected = text.headline_fields(whatif.score_plan(base, plan, rw).headline)
    assert page_fields(page) == expected
    assert page_fields(page, "moved-") == expected
    assert expected != before  # leaving out the price record moves the headline
    assert "unit_cost_usd" in page.inner_text("#moved-table")
    assert f"{rw.pareto_k:.2f}" == page.inner_text("#khat")
    shot(page, "evidence-off", "#moved-table")
    page.locator(f"input[name='records_on'][value='{record}']").check()
    page.wait_for_function("() => !document.querySelector('#moved-table')")
    wait_idle(page)
    assert page_fields(page) == before

    # 4. A prior far from the posterior: k-hat above 0.7 and the "re-sample needed" state.
    page.get_by_role("tab", name="Assumptions (priors)").click()
    page.select_option("#prior_param", "operators_per_robot")
    wait_idle(page)
    page.fill("#prior_low", "20")
    page.fill("#prior_high", "30")
    page.wait_for_timeout(400)  # numeric inputs are debounced (250 ms)
    page.click("#apply_prior")
    page.wait_for_selector("#resample-needed")
    change = whatif.prior_change(base, "operators_per_robot", 20.0, 30.0)
    k = whatif.reweight(base, prior=change).pareto_k
    assert k > 0.7
    assert page.inner_text("#khat") == ("inf" if k == float("inf") else f"{k:.2f}")
    assert page.is_visible("#resample")
    shot(page, "resample-needed", "#status")

    # 5. Re-sample in the background: progress is shown and the page keeps answering (a slider
    #    moved meanwhile gets its headline). The fit itself (probmodel.api.fit, minutes) is
    #    replaced by one that waits until the slider has been answered and returns the run.
    asked, release = [], threading.Event()

    def fake_refit(scenario, records, settings):
        asked.append((scenario, records, settings))
        assert release.wait(60), "the page did not answer during the re-sample"
        return small_run

    monkeypatch.setattr(explore_app, "_refit", fake_refit)
    page.click("#resample")
    page.wait_for_selector("#resample-progress")
    during = drag_fleet(page, -15)
    assert page_fields(page) == text.headline_fields(whatif.score_plan(
        base, base.scenario.with_plan(fleet_size=during).plan, whatif.reweight(base, prior=change)
    ).headline)  # fmt: skip
    assert page.is_visible("#resample-progress")
    shot(page, "resampling", "#status")
    release.set()
    page.wait_for_selector("#whatif-state:has-text('Re-sampled')")
    ((scenario, records, settings),) = asked
    assert scenario.priors["operators_per_robot"].interval == (20.0, 30.0)
    assert scenario.overrides["operators_per_robot"]["interval"] == [20.0, 30.0]
    assert scenario.plan.fleet_size == fleet  # the plan when the button was pressed
    assert [r.id for r in records] == base.record_ids and settings == small_run.settings
    wait_idle(page)
    fleet = during
    assert page_fields(page) == api_fields(small_run, fleet_size=fleet)  # the new base run

    # 6. Save the plan as a scenario and read it back with `probmodel point`.
    page.get_by_role("tab", name="Save").click()
    with page.expect_download() as download:
        page.click("#save_scenario")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    result = subprocess.run(
        [sys.executable, "-m", "probmodel", "point", str(saved), "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["plan"]["fleet_size"] == fleet
    with page.expect_download() as download:
        page.click("#save_snapshot")
    snapshot = Path(download.value.path()).read_text()
    assert page_fields(page)["cost_p50"] in snapshot and "<svg" in snapshot
    assert "<script" not in snapshot and "http" not in snapshot.replace(
        "http://www.w3.org/2000/svg", ""
    )  # self-contained
    with page.expect_download() as download:
        page.click("#save_draws")
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0] == "posterior_draw,cost_net_usd,years,success_rate"
    assert len(rows) == 1 + base.n_draws
    shot(page, "save", "#plan_table")
    assert page.outside == []  # nothing fetched from the network


def test_a_damaged_run_is_refused_before_any_server_starts(tmp_path):
    """Exit code 3 and the loader's message, as every command that reads a run."""
    bad = tmp_path / "damaged.nc"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    for path in (bad, tmp_path / "missing.nc"):
        result = subprocess.run(
            [sys.executable, "-m", "probmodel", "explore", str(path), "--no-open"],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 3, result.stderr
        assert str(path.name) in result.stderr and "Traceback" not in result.stderr
        assert "http://" not in result.stdout


def test_the_command_serves_the_page_on_localhost(small_run, tmp_path):
    import urllib.request

    path = small_run.save(tmp_path / "run.nc")
    proc = subprocess.Popen(
        [sys.executable, "-m", "probmodel", "explore", str(path), "--no-open"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, proc.stderr.read() if proc.poll() is not None else line
        url = line.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            assert "probmodel explore" in response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
