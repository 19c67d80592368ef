"""The report as one self-contained, offline HTML page.

plotly.js is inlined once in the page head; each figure is a ``<div>`` with
its own small ``Plotly.newPlot`` call. No CDN, no external stylesheet or font:
the page works from a USB stick.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from plotly.offline import get_plotlyjs

from leptomarket import __version__

if TYPE_CHECKING:
    from leptomarket.report.build import ReportData, ReportTable, Section

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"scale": 2}}

CSS = """
:root { --ink:#1d2433; --muted:#5b6474; --line:#dde2ea; --accent:#0072B2; --bg:#f6f8fb; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
  sans-serif; color:var(--ink); background:#fff; line-height:1.5; font-size:15px; }
header.top { background:linear-gradient(120deg,#0b3d62,#0072B2); color:#fff;
  padding:28px 40px 22px; }
header.top h1 { margin:0 0 6px; font-size:26px; font-weight:650; }
header.top p { margin:2px 0; opacity:.9; font-size:14px; }
.layout { display:flex; align-items:flex-start; max-width:1320px; margin:0 auto; }
nav.toc { position:sticky; top:0; width:250px; flex:none; padding:24px 18px 24px 24px;
  max-height:100vh; overflow:auto; font-size:14px; }
nav.toc h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted);
  margin:0 0 8px; }
nav.toc ol { margin:0; padding-left:20px; }
nav.toc li { margin:4px 0; }
nav.toc a { color:var(--ink); text-decoration:none; }
nav.toc a:hover { color:var(--accent); text-decoration:underline; }
main { flex:1; min-width:0; padding:8px 40px 60px 24px; }
section { border-bottom:1px solid var(--line); padding:18px 0 26px; }
section h2 { font-size:21px; margin:10px 0 10px; color:#0b3d62; }
h3 { font-size:15px; margin:18px 0 4px; }
p { margin:6px 0 10px; max-width:980px; }
.note { color:var(--muted); font-size:13px; margin:0 0 6px; }
.cards { display:flex; flex-wrap:wrap; gap:14px; margin:14px 0 18px; }
.card { background:var(--bg); border:1px solid var(--line); border-left:4px solid var(--accent);
  border-radius:6px; padding:12px 16px; min-width:200px; }
.card .label { font-size:12px; text-transform:uppercase; letter-spacing:.04em;
  color:var(--muted); }
.card .value { font-size:24px; font-weight:650; margin:2px 0; }
.card .detail { font-size:12px; color:var(--muted); }
.figure { margin:10px 0 18px; border:1px solid var(--line); border-radius:6px; padding:6px; }
.table-wrap { overflow-x:auto; margin:4px 0 16px; }
table.data { border-collapse:collapse; font-size:13px; min-width:50%; }
table.data th { background:var(--bg); text-align:left; font-weight:600;
  border-bottom:2px solid var(--line); padding:6px 10px; vertical-align:bottom; }
table.data td { border-bottom:1px solid var(--line); padding:5px 10px; vertical-align:top; }
table.data td.num, table.data th.num { text-align:right; font-variant-numeric:tabular-nums;
  white-space:nowrap; }
table.data tr:hover td { background:#fafcff; }
table.data td.long { min-width:320px; max-width:560px; }
table.data td.nw { white-space:nowrap; }
details { margin:8px 0 14px; }
details > summary { cursor:pointer; color:var(--accent); font-weight:600; }
ol.refs { padding-left:24px; font-size:14px; }
ol.refs li { margin:0 0 8px; }
ol.refs .key { color:var(--muted); font-size:12px; }
a { color:var(--accent); }
footer { color:var(--muted); font-size:12px; padding:20px 0; }
@media (max-width: 900px) { .layout { display:block; } nav.toc { position:static; width:auto; }
  main { padding:8px 16px; } }
@media print { nav.toc { display:none; } .figure { break-inside:avoid; } }
"""

NUMERIC_KINDS = frozenset({"int", "dec1", "dec2", "pct", "year", "row"})


def format_value(value: object, kind: str) -> str:
    """Text of a table cell: thousands separators, fixed decimals, percentages; blank for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "bool":
        return "yes" if bool(value) else "no"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "dec1":
        return f"{value:,.1f}"
    if kind == "dec2":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "year":
        return f"{value:.0f}"
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


def _cell(value: object, kind: str) -> str:
    text = html.escape(format_value(value, kind))
    if kind == "url" and text.startswith(("http://", "https://")):
        return f'<td><a href="{text}">{text}</a></td>'
    if kind in NUMERIC_KINDS and isinstance(value, int | float) and not isinstance(value, bool):
        raw = "" if math.isnan(float(value)) else repr(float(value))
        return f'<td class="num" data-value="{raw}">{text}</td>'
    if len(text) > 60:
        return f'<td class="long">{text}</td>'
    return f'<td class="nw">{text}</td>' if len(text) <= 24 else f"<td>{text}</td>"


def table_html(table: ReportTable, table_id: str) -> str:
    """A report table as an HTML ``<table>`` (rows limited to ``html_max_rows``)."""
    columns = table.columns
    frame = table.frame
    limit = table.html_max_rows if table.html_max_rows is not None else len(frame)
    head = "".join(
        f'<th class="{"num" if table.format_of(c) in NUMERIC_KINDS else ""}">'
        f"{html.escape(table.header(c))}</th>"
        for c in columns
    )
    body = []
    for i in range(min(limit, len(frame))):
        cells = "".join(_cell(frame[c].iloc[i], table.format_of(c, i)) for c in columns)
        body.append(f"<tr>{cells}</tr>")
    parts = [
        f"<h3>{html.escape(table.title)}</h3>",
        f'<p class="note">{html.escape(table.note)}</p>' if table.note else "",
        f'<div class="table-wrap"><table class="data" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>",
    ]
    if not len(frame):
        parts[-1] = '<p class="note">(no rows)</p>'
    block = "".join(parts)
    if table.collapsed and len(frame):
        summary = f"{html.escape(table.title)} ({len(frame):,} rows) — show"
        return f"<details><summary>{summary}</summary>{block}</details>"
    return block


def references_html(sources: pd.DataFrame) -> str:
    """Sources as a numbered reference list (authors, year, title, publisher, link)."""
    items = []
    for row in sources.itertuples(index=False):
        link = ""
        if row.url:
            url = html.escape(row.url)
            link = f' <a href="{url}">{url}</a>'
        note = f" {html.escape(row.note)}" if row.note else ""
        items.append(
            f'<li id="src-{html.escape(row.key)}">{html.escape(row.authors)} ({row.year}). '
            f"<em>{html.escape(row.title)}</em>. {html.escape(row.publisher)}.{link}{note} "
            f'<span class="key">[{html.escape(row.key)}; cited by {html.escape(row.cited_by)}]'
            "</span></li>"
        )
    return f'<ol class="refs">{"".join(items)}</ol>'


def section_html(section: Section, index: int) -> str:
    """One report section: heading, text, key-figure cards, figures and tables."""
    parts = [f'<section id="{section.anchor}"><h2>{index}. {html.escape(section.title)}</h2>']
    parts += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
    if section.cards:
        cards = "".join(
            f'<div class="card"><div class="label">{html.escape(label)}</div>'
            f'<div class="value">{html.escape(value)}</div>'
            f'<div class="detail">{html.escape(detail)}</div></div>'
            for label, value, detail in section.cards
        )
        parts.append(f'<div class="cards">{cards}</div>')
    for number, (_title, fig) in enumerate(section.figures):
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            config=PLOTLY_CONFIG,
            div_id=f"fig-{section.anchor}-{number}",
        )
        parts.append(f'<div class="figure">{div}</div>')
    if section.references is not None:
        parts.append(references_html(section.references))
    for number, table in enumerate(section.tables):
        parts.append(table_html(table, f"table-{section.anchor}-{number}"))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(sections: list[Section], data: ReportData) -> str:
    """The full page: head with CSS and plotly.js (once), title block, contents, sections."""
    k = data.knowledge
    record = data.record
    title = f"{k.indication.title}: market report"
    toc = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections)
    body = "\n".join(section_html(s, i) for i, s in enumerate(sections, start=1))
    meta = (
        f"Scenario <b>{html.escape(record.scenario)}</b> · {record.n_draws:,} draws "
        f"({html.escape(record.method)}, seed {record.seed}) · run {html.escape(record.run_id)} · "
        f"built {data.created_at.strftime('%Y-%m-%d %H:%M UTC')} · leptomarket {__version__}"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{CSS}</style>",
            f'<script type="text/javascript">{get_plotlyjs()}</script>',
            "</head><body>",
            f'<header class="top"><h1>{html.escape(title)}</h1><p>{meta}</p>'
            "<p>Money in US dollars per year; intervals are 5th–95th percentiles of the "
            "Monte Carlo draws.</p></header>",
            '<div class="layout"><nav class="toc"><h2>Contents</h2>',
            f"<ol>{toc}</ol></nav><main>",
            body,
            "<footer>Generated by leptomarket, an open and reproducible forecasting system. "
            "Every figure traces to the sources listed above or to a stated assumption. "
            "The same tables are in report.xlsx.</footer>",
            "</main></div></body></html>",
        ]
    )


def write_html(path: str | Path, sections: list[Section], data: ReportData) -> Path:
    """Write the page to ``path`` (UTF-8) and return its absolute path."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(sections, data), encoding="utf-8")
    return path
