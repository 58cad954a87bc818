"""Building blocks of the HTML report: escaping, tables, sections, intervals, the style sheet."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from probmodel.equations import (
    OUTCOMES,
    WORLD_PARAMETERS,
)
from probmodel.formatting import (
    fmt_value,
    unit_of,
)

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 1180px; margin: 2rem auto; padding: 0 1.5rem; color: #1d2733; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; margin-top: 2.4rem; border-bottom: 2px solid #1f5fa8; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
nav { font-size: .9rem; margin: .8rem 0 1.2rem; }
nav a { margin-right: .9rem; color: #1f5fa8; }
.meta { color: #55606e; font-size: .92rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .86em;
       background: #f2f4f7; padding: 0 .25em; border-radius: 3px; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0 1.4rem; font-size: .9rem; }
th, td { padding: .32rem .6rem; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
th { background: #f4f6f8; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.wide { width: 100%; }
.scroll { overflow-x: auto; }
.columns { display: flex; flex-wrap: wrap; gap: 0 2.5rem; align-items: flex-start; }
td code, th code { white-space: nowrap; overflow-wrap: normal; color: #55606e; }
table.text td { font-size: .84rem; }
table.compact { font-size: .8rem; }
table.compact td, table.compact th { padding: .15rem .5rem; }
.callout { background: #f4f8fd; border-left: 4px solid #1f5fa8; padding: .7rem 1rem; margin: 1rem 0; }
.callout p { margin: .35rem 0; }
.big { font-size: 1.15rem; }
.bad { color: #b03a2e; font-weight: 600; }
.badge { display: inline-block; padding: .05rem .55rem; border-radius: 1rem; font-weight: 700;
         font-size: .85rem; color: white; }
.pass { background: #2e7d4f; }
.tag { background: #55606e; }
.fail { background: #b03a2e; }
.muted { color: #6b7683; font-size: .88rem; }
figure { margin: 1.2rem 0 1.8rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { color: #55606e; font-size: .88rem; margin-top: .3rem; }
ol.evidence > li { margin-bottom: 1.4rem; }
ol.evidence table { margin: .4rem 0 .2rem; }
.notes { color: #3d4753; font-size: .88rem; margin: .3rem 0; }
#answer h1 { margin-top: 0; }
#answer nav { margin: .4rem 0 .8rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: .9rem; }
.card { border: 1px solid #d5dbe3; border-radius: 6px; padding: .5rem .9rem .6rem; background: #f8fafc; }
.card h3 { margin: 0 0 .2rem; font-size: 1rem; }
.card p { margin: .2rem 0; font-size: .9rem; }
.card p.big { font-size: 1rem; }
.card p.big .answer-number { font-size: 1.7rem; }
.card p.drivers, .card p.judgement { color: #3d4753; font-size: .84rem; }
.joint-row { display: flex; flex-wrap: wrap; gap: 0 1.5rem; align-items: flex-start; margin-top: .6rem; }
.joint { flex: 1 1 420px; font-size: .92rem; }
.joint h3 { margin: .5rem 0 .2rem; }
.joint p { margin: .25rem 0; }
figure.jcl { flex: 0 0 auto; margin: .3rem 0 0; }
figure.jcl img { width: 600px; }
figure.jcl figcaption { max-width: 600px; font-size: .8rem; }
.banner { background: #fbeae8; border-left: 6px solid #b03a2e; padding: .7rem 1rem; margin: 0 0 1rem; }
"""


class Html(str):
    """A string that is already HTML: table cells built with it are not escaped again."""


def esc(value: Any) -> str:
    """Escape any value for HTML text and attributes (quotes included)."""
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def table(
    head: list[str] | None, rows: Iterable[list[Any]], numeric: Iterable[int] = (), css: str = ""
) -> str:
    """An HTML table (no header row when ``head`` is None).

    Columns in ``numeric`` are right-aligned; cells are escaped unless they are :class:`Html`.
    """
    numeric = set(numeric)

    def cell(tag: str, i: int, value: Any) -> str:
        cls = ' class="num"' if i in numeric else ""
        text = value if isinstance(value, Html) else esc(value)
        return f"<{tag}{cls}>{text}</{tag}>"

    header = "".join(cell("th", i, h) for i, h in enumerate(head or []))
    thead = f"<thead><tr>{header}</tr></thead>\n" if head else ""
    body = "\n".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    cls = f' class="{esc(css)}"' if css else ""
    return f"<table{cls}>\n{thead}<tbody>\n{body}\n</tbody>\n</table>"


def scroll(html_text: str) -> str:
    """Wrap a wide table so it scrolls sideways on a narrow screen instead of overflowing."""
    return f'<div class="scroll">{html_text}</div>'


def section(anchor: str, title: str, *parts: str) -> str:
    """A titled ``<section>`` with an id the navigation links to."""
    body = "\n".join(parts)
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{body}\n</section>'


def para(text: str, css: str = "") -> str:
    """A paragraph of plain (escaped) text."""
    cls = f' class="{esc(css)}"' if css else ""
    return f"<p{cls}>{esc(text)}</p>"


def linkify(text: str) -> Html:
    """Escape ``text`` and turn the http(s) URLs in it into links (citations carry URLs)."""
    parts = re.split(r"(https?://[^\s,;]+)", text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            url = part.rstrip(".)")
            out.append(f'<a href="{esc(url)}">{esc(url)}</a>{esc(part[len(url) :])}')
        else:
            out.append(esc(part))
    return Html("".join(out))


def label_of(name: str) -> str:
    """A readable label for an outcome row: its description without the unit."""
    if name.startswith("cost_") and name != "cost_total_usd":
        return f"cost: {name[5:]}"
    text = OUTCOMES.get(name) or WORLD_PARAMETERS.get(name) or name
    return text.split(" [")[0]


def interval_text(name: str, lo: float, hi: float, with_unit: bool = True) -> str:
    """An interval in the quantity's unit ("$397M – $7.05B", "0.37 – 5.3 years")."""
    unit = unit_of(name)
    text = f"{fmt_value(name, lo, False)} – {fmt_value(name, hi, False)}"
    if not with_unit or not unit or unit == "USD":
        return text
    if unit.startswith("USD/"):
        return f"{text} per {unit[4:]}"
    return f"{text} {unit}"


def interval_header(summary_group: dict[str, Any]) -> str:
    """The stated credible interval, e.g. "90% equal-tailed interval"."""
    ci = summary_group["credible_interval"]
    return f"{ci['mass'] * 100:g}% {ci['kind']} interval"


def notices_block(notices: list[str]) -> str:
    """What the report could not show and why, as a banner (empty when all was built)."""
    if not notices:
        return ""
    items = "".join(f"<li>{esc(n)}</li>" for n in notices)
    return (
        '<div class="banner"><span class="badge fail">INCOMPLETE</span> Some parts of this '
        f"report could not be built:<ul>{items}</ul></div>"
    )


KEY_META = "probmodel-report-key"
"""Name of the ``<meta>`` tag holding the hash of what a report shows (see ``api.write_report``)."""


def report_key_of(head: str) -> str | None:
    """The key stored in the head of a report's HTML, if any."""
    match = re.search(rf'<meta name="{KEY_META}" content="([0-9a-f]{{64}})">', head)
    return match.group(1) if match else None
