"""A chart as a page shows it: the Vega-Lite spec drawn as inline SVG with an accessible name, its title,
the finding written under it, and its data as a table and a CSV (the alternative to the picture)."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import vl_convert as vlc

ROOT = re.compile(r"<svg\b([^>]*)>")
NAMESPACES = re.compile(r'\s+xmlns(?::xlink)?="https?://[^"]*"')


def title_of(spec: dict[str, Any] | None) -> str:
    """The chart's title: what the chart module said it is, or the spec's own title."""
    if not spec:
        return ""
    meta = spec.get("usermeta") or {}
    title = meta.get("title") or spec.get("title") or ""
    return str(title.get("text", "") if isinstance(title, dict) else title)


def table_of(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """The chart's data as a table (columns and rows of rounded values), None when it has none."""
    table = ((spec or {}).get("usermeta") or {}).get("table")
    if not table or not table.get("columns"):
        return None
    return {"columns": list(table["columns"]), "rows": [[_cell(v) for v in row] for row in table["rows"]]}


def _cell(value: Any) -> str:
    """A table cell as text: blank for a missing value, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def as_csv(table: dict[str, Any]) -> str:
    """The data table as CSV text (the same rows the page's table shows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table["columns"])
    writer.writerows(table["rows"])
    return out.getvalue()


def accessible_svg(svg: str, name: str) -> str:
    """Inline SVG that reads as one image named by the chart's title and finding; the namespace
    declarations an HTML page does not need are left out (a saved page then names no outside URL)."""
    found = ROOT.search(svg)
    if found is None:
        return svg
    attributes = NAMESPACES.sub("", found.group(1)) if "xlink:" not in svg else found.group(1)
    opening = f'<svg{attributes} role="img" focusable="false" aria-label="{html.escape(name, quote=True)}">'
    return svg[: found.start()] + opening + svg[found.end() :]


def chart(spec: dict[str, Any] | None, finding: str, *, title: str | None = None) -> dict[str, Any]:
    """What chart.html.j2 renders: the spec, its accessible SVG (None when there is nothing to draw), the
    title, the finding, and the data as a table and as CSV text (None without a chart)."""
    shown = title or title_of(spec)
    table = table_of(spec) if spec else None
    svg = None
    if spec:
        name = f"{shown}. {finding}" if shown else finding
        svg = accessible_svg(vlc.vegalite_to_svg(spec), name)
    return {
        "spec": spec,
        "svg": svg,
        "title": shown,
        "finding": finding,
        "table": table,
        "csv": as_csv(table) if table else None,
    }
