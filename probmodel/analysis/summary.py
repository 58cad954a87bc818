"""The risk summary of a run as an object a notebook can show and plot.

:class:`Summary` is the dict :func:`probmodel.pipeline.summarize` has always returned (JSON-able,
the command line and the report read it as before), with a short ``repr``, a small HTML table
for Jupyter, and two tidy views of its numbers, every value with its unit:

* :meth:`Summary.to_xarray`: one variable per outcome (units differ between outcomes, so each
  is its own variable with its own ``units`` and ``long_name``) over the dims ``distribution``
  (posterior, prior) and ``statistic`` (mean, P10, ..., the point estimate), plus the plan's risk
  probabilities: ``ds["cost_total_usd"].sel(distribution="posterior").plot()`` labels its axes;
* :meth:`Summary.to_dataframe`: one row per (distribution, outcome, statistic) with ``unit``.

Units and meanings come from :mod:`probmodel.equations`, the one place they are defined.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from probmodel.analysis.risk import JCL_LEVELS, RISK_MEASURES
from probmodel.equations import OUTCOMES, unit

if TYPE_CHECKING:
    import xarray as xr

DISTRIBUTIONS = ("posterior", "prior")
STATISTICS = {
    "mean": "mean",
    "sd": "standard deviation",
    "p10": "P10",
    "p50": "median (P50)",
    "p70": "P70",
    "p80": "P80",
    "p90": "P90",
    "ci_low": "lower end of the credible interval",
    "ci_high": "upper end of the credible interval",
    "mean_worst_10pct": "mean of the worst 10% of draws (the high tail of a cost, the low tail of success)",
    "point": "point estimate (every assumption at its point value)",
    "contingency": "contingency (the confidence percentile minus the point estimate)",
}
"""The statistics of an outcome a summary holds, in table order, with their meanings."""


def meaning(name: str) -> tuple[str, str]:
    """(meaning, unit) of an outcome, cost component or risk measure of a summary."""
    text = OUTCOMES.get(name) or RISK_MEASURES.get(name)
    if text is None and name.startswith("cost_"):
        text = f"cost component {name[5:].replace('_', ' ')} [USD]"
    if text is None and name.startswith("jcl") and name.endswith("_budget_usd"):
        text = f"budget for {name[3:-11]}% joint confidence of cost and deadline [USD]"
    if text is None:
        return name.replace("_", " "), unit(name)
    head, _, tail = text.rpartition(" [")
    return (head, tail.rstrip("]")) if head else (text, unit(name))


def _attrs(name: str) -> dict[str, str]:
    text, u = meaning(name)
    return {"long_name": text, "units": u}


class Summary(dict):
    """A run's risk summary (:func:`probmodel.pipeline.summarize`): a dict, plus short
    ``repr``, ``_repr_html_``, :meth:`to_xarray` and :meth:`to_dataframe`."""

    # ---------------------------------------------------------------- what people read

    def _cell(self, name: str, statistic: str, group: str = "posterior") -> float | None:
        row = self.get(group, {}).get("outcomes", {}).get(name)
        value = None if row is None else row.get(statistic)
        return None if value is None else float(value)

    def headline(self) -> list[str]:
        """The outcomes shown first: net cost for a deployed fleet, else total cost; years;
        success."""
        rows = self.get("posterior", {}).get("outcomes", {})
        cost = "cost_net_usd" if "cost_net_usd" in rows else "cost_total_usd"
        return [n for n in (cost, "years", "success_rate") if n in rows]

    def _verdict(self) -> str:
        d = self.get("diagnostics") or {}
        if "ok" not in d:
            return "diagnostics not checked"
        return "diagnostics ok" if d["ok"] else "diagnostics FAILED"

    def __repr__(self) -> str:
        from probmodel.formatting import fmt_pct, fmt_value

        parts = [
            f"{n} P50 {fmt_value(n, self._cell(n, 'p50'))} (P80 {fmt_value(n, self._cell(n, 'p80'))})"
            for n in self.headline()
        ]
        risk = self.get("posterior", {}).get("risk", {})
        probs = [
            f"{label} {fmt_pct(risk[key])}"
            for key, label in (
                ("p_cost_within_budget", "P(within budget)"),
                ("p_on_time", "P(on time)"),
                ("p_success_at_least_target", "P(success >= target)"),
            )
            if risk.get(key) is not None
        ]
        draws = self.get("posterior", {}).get("n_draws")
        return (
            f"<Summary of {self.get('scenario', '?')!r}: {'; '.join(parts)}"
            + (f"; {', '.join(probs)}" if probs else "")
            + f"; {self._verdict()}"
            + (f"; {draws:,} posterior draws" if draws else "")
            + ">"
        )

    def __str__(self) -> str:
        return repr(self)

    def _repr_html_(self) -> str:
        from probmodel.formatting import fmt_pct, fmt_value

        e = html.escape
        head = "".join(f"<th>{s}</th>" for s in ("", "P10", "P50", "P80", "P90", "point"))
        rows = []
        for n in self.headline():
            text, u = meaning(n)
            cells = "".join(
                f"<td>{e(fmt_value(n, self._cell(n, s)))}</td>"
                for s in ("p10", "p50", "p80", "p90", "point")
            )
            rows.append(f"<tr><th style='text-align:left'>{e(text)} [{e(u)}]</th>{cells}</tr>")
        risk = self.get("posterior", {}).get("risk", {})
        odds = [
            f"{e(meaning(k)[0])}: <b>{fmt_pct(v)}</b>"
            for k, v in risk.items()
            if k.startswith("p_") and v is not None
        ]
        ci = self.get("posterior", {}).get("credible_interval", {})
        return (
            f"<div><b>{e(str(self.get('scenario', '?')))}</b>: {e(str(self.get('title', '')))}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<div>{'; '.join(odds)}</div>" if odds else "")
            + f"<div><small>{e(self._verdict())}; posterior of "
            f"{self.get('posterior', {}).get('n_draws', 0):,} draws; credible intervals "
            f"{e(str(ci.get('mass', '')))} {e(str(ci.get('kind', '')))}. "
            "<code>.to_xarray()</code> / <code>.to_dataframe()</code> for every number."
            "</small></div></div>"
        )

    # ---------------------------------------------------------------- tidy numbers

    def outcome_names(self) -> list[str]:
        """Every outcome of the summary, posterior order first."""
        names: list[str] = []
        for group in DISTRIBUTIONS:
            for name in self.get(group, {}).get("outcomes", {}):
                if name not in names:
                    names.append(name)
        return names

    def to_xarray(self) -> xr.Dataset:
        """The summary's numbers as a Dataset with units on every variable.

        One variable per outcome, dims ``(distribution, statistic)``; the plan's risk
        probabilities and joint-confidence budgets as variables over ``distribution``.
        Every variable has ``units`` (the domain's: ``USD``, ``years``, ``fraction``,
        ``probability``...) and ``long_name``, so ``.plot()`` labels its axes; NaN where a
        distribution lacks a statistic.
        """
        import xarray as xr

        groups = [g for g in DISTRIBUTIONS if isinstance(self.get(g), dict)]
        stats = list(STATISTICS)
        data = {}
        for name in self.outcome_names():
            values = np.full((len(groups), len(stats)), np.nan)
            for i, group in enumerate(groups):
                row = self[group].get("outcomes", {}).get(name, {})
                for j, stat in enumerate(stats):
                    v = row.get(stat)
                    if v is not None:
                        values[i, j] = float(v)
            data[name] = (("distribution", "statistic"), values, _attrs(name))
        risk_names = [
            k
            for g in groups
            for k, v in self[g].get("risk", {}).items()
            if (k.startswith("p_") or k.endswith("_budget_usd")) and not isinstance(v, str)
        ]
        for name in dict.fromkeys(risk_names):
            values = np.array(
                [_number(self[g].get("risk", {}).get(name)) for g in groups], dtype=float
            )
            data[name] = (("distribution",), values, _attrs(name))
        ci = self.get("posterior", {}).get("credible_interval", {})
        ds = xr.Dataset(
            data,
            coords={
                "distribution": ("distribution", groups, {"long_name": "distribution"}),
                "statistic": ("statistic", stats, {"long_name": "statistic"}),
                "statistic_meaning": ("statistic", [STATISTICS[s] for s in stats]),
            },
        )
        ds.attrs.update(
            {
                "scenario": str(self.get("scenario", "")),
                "title": str(self.get("title", "")),
                "config_hash": str(self.get("config_hash", "")),
                "credible_interval": f"{ci.get('mass', '')} {ci.get('kind', '')}".strip(),
                "contingency_confidence": float(
                    self.get("posterior", {}).get("contingency_confidence", math.nan)
                ),
                "n_draws_posterior": int(self.get("posterior", {}).get("n_draws", 0)),
                "diagnostics": self._verdict(),
                "jcl_levels": list(JCL_LEVELS),
            }
        )
        return ds

    def to_dataframe(self):
        """One row per (distribution, outcome, statistic): ``value``, ``unit`` and ``meaning``."""
        import pandas as pd

        rows = []
        for group in DISTRIBUTIONS:
            for name, row in self.get(group, {}).get("outcomes", {}).items():
                text, u = meaning(name)
                for stat in STATISTICS:
                    if row.get(stat) is not None:
                        rows.append((group, name, stat, float(row[stat]), u, text))
        columns = ["distribution", "outcome", "statistic", "value", "unit", "meaning"]
        return pd.DataFrame(rows, columns=columns)


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)
