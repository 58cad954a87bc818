"""Benchmark: how fast ``probmodel explore`` answers, measured in a real browser.

    .venv/bin/python bench/explore_latency.py [RUN] [--changes 20]

Starts ``probmodel explore RUN --no-open`` as its own process (default RUN:
results/seed-cotrain.nc, 4 chains x 1,000 draws; ``make run`` writes it), opens the page in
Debian's Chromium with Playwright and times, inside the page (``performance.now()``), from an
input change to the next animation frame after the page shows the answer:

* **plan change**: the fleet slider moved to a new value (through the slider's own update, so
  Shiny's rate policy applies as for a drag) until the headline names the new fleet and the
  figures are redrawn for it;
* **prior change**: "Apply prior" clicked with a new interval for operators_per_robot until the
  what-if line names it;
* **record switch**: an evidence record's check box clicked until the what-if line says it is
  off (or, switched back on, that the run's posterior is shown).

Prints the median, P90 and maximum of each over ``--changes`` changes, the machine's load
(``os.getloadavg``) before and after, and whether the issue's target (a plan change in
<= 200 ms, median) is met. Nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from probmodel import formatting as fmt

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PROBMODEL_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
TARGET_MS = 200.0

TIMED = """
async ([kind, arg, expect]) => {
  const done = () => {
    if (kind === 'plan') {
      const h = document.querySelector('#hl-fleet');
      const f = document.querySelector('#fig-panel');
      return h && f && h.textContent === expect && f.dataset.fleet === String(arg);
    }
    const s = document.querySelector('#whatif-state');
    return s && s.textContent.includes(expect);
  };
  const t0 = performance.now();
  if (kind === 'plan') {
    $('#fleet_size_log10').data('ionRangeSlider').update({from: Math.log10(arg)});
  } else if (kind === 'prior') {
    document.getElementById('apply_prior').click();
  } else {
    document.querySelector(`input[name='records_on'][value='${arg}']`).click();
  }
  await new Promise((resolve, reject) => {
    if (done()) { resolve(); return; }
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
    obs.observe(document.body, {subtree: true, childList: true, characterData: true,
                                attributes: true});
    setTimeout(() => { obs.disconnect(); reject(new Error(
      `no answer within 30 s to ${kind} ${arg}: waiting for ${expect}`)); }, 30000);
  });
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return performance.now() - t0;
}
"""


def summary(name: str, times: list[float]) -> str:
    p90 = float(np.quantile(times, 0.9))
    return (f"{name:<14} n={len(times):<3} median {statistics.median(times):6.1f} ms   "
            f"P90 {p90:6.1f} ms   max {max(times):6.1f} ms")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", nargs="?", default=str(ROOT / "results" / "seed-cotrain.nc"))
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"Chromium not found at {CHROMIUM}: run scripts/ensure-browser.")
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    server = subprocess.Popen(
        [sys.executable, "-m", "probmodel", "explore", args.run, "--no-open"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        line = server.stdout.readline()
        if "http://" not in line:
            sys.exit(f"the explorer did not start: {server.stderr.read()}")
        url = line.split(" at ", 1)[1].split()[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(60_000)
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#hl-cost_p50")
            first_paint = time.perf_counter() - started
            record = page.eval_on_selector(
                "input[name='records_on'][value='humanoid-list-prices']", "e => e.value"
            )
            # warm-up: the first what-ifs import PreliZ and arviz-stats and compile their code
            page.fill("#prior_low", "0.05")
            page.fill("#prior_high", "0.2")
            page.wait_for_timeout(400)
            page.evaluate(TIMED, ["prior", None, "operators_per_robot"])
            page.click("#reset_prior")
            page.wait_for_selector("#whatif-state:has-text(\"run's posterior\")")
            page.evaluate(TIMED, ["record", record, "without"])
            page.evaluate(TIMED, ["record", record, "run's posterior"])

            fleets = [float(f"{v:.3g}") for v in np.geomspace(800, 20000, args.changes)]
            fleets = fleets[::2] + fleets[1::2]  # alternate large and small moves
            plan = [page.evaluate(TIMED, ["plan", f, fmt.fmt_count(f, "robots")]) for f in fleets]

            prior = []
            for i in range(args.changes):
                lo, hi = (0.05, 0.2) if i % 2 == 0 else (0.1, 0.5)
                page.fill("#prior_low", str(lo))
                page.fill("#prior_high", str(hi))
                page.wait_for_timeout(400)  # numeric inputs are debounced (250 ms) before Apply
                prior.append(page.evaluate(TIMED, ["prior", None, f"in [{lo:g}, {hi:g}]"]))
            page.click("#reset_prior")
            page.wait_for_selector("#whatif-state:has-text(\"run's posterior\")")

            switch = []
            for i in range(args.changes):
                expect = "without" if i % 2 == 0 else "run's posterior"
                switch.append(page.evaluate(TIMED, ["record", record, expect]))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    load_after = os.getloadavg()
    median = statistics.median(plan)
    print(f"probmodel explore on {args.run} (4,000 draws unless the run has fewer); "
          f"Chromium {CHROMIUM}; {os.cpu_count()} CPUs")  # fmt: skip
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(f"first page load to headline: {first_paint * 1000:.0f} ms")
    print(summary("plan change", plan))
    print(summary("prior change", prior))
    print(summary("record switch", switch))
    met = "met" if median <= TARGET_MS else "NOT met"
    print(f"target: a plan change in <= {TARGET_MS:.0f} ms (median): {met} ({median:.0f} ms)")
    return 0 if math.isfinite(median) else 1


if __name__ == "__main__":
    sys.exit(main())
