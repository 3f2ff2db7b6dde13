"""What every chart shares: readable type, a data table kept in the spec beside the marks, numbers rounded
for people (table, tooltip and screen reader read the same text), and text colours that stay readable."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from cxgap.colours import contrast as contrast
from cxgap.colours import luminance as luminance

WORSE, BETTER, NEUTRAL = "#c0392b", "#2e86c1", "#999999"
BLACK, WHITE = "#000000", "#ffffff"

# Every label at least 12 px: axes, legends, facet headers, titles and text marks.
CONFIG: dict[str, Any] = {
    "font": "sans-serif",
    "axis": {"labelFontSize": 12, "titleFontSize": 12},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 320},
    "header": {"labelFontSize": 12, "titleFontSize": 12},
    "title": {"fontSize": 15, "subtitleFontSize": 12, "anchor": "start", "offset": 10},
    "text": {"fontSize": 12},
}

Cell = str | int | float | None


def number(value: float | None, digits: int) -> float | None:
    """A value rounded for people; None for a missing or undefined one (NaN, infinity)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def said(value: float | None, digits: int, unit: str = "") -> str:
    """A value as text with its unit, '–' when there is none."""
    shown = number(value, digits)
    return "–" if shown is None else f"{shown:,.{digits}f}{unit}"


def with_interval(
    value: float, low: float, high: float, digits: int, unit: str = "", n: int | None = None
) -> str:
    """'-0.98 [-1.10, -0.85], n = 1,234': what a tooltip and a screen reader say of an estimate."""
    text = f"{said(value, digits, unit)} [{said(low, digits)}, {said(high, digits, unit)}]"
    return text + (f", n = {n:,}" if n is not None else "")


def finish(
    chart: Any, title: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]], subtitle: str = ""
) -> dict[str, Any]:
    """The chart's Vega-Lite spec as a plain dict, titled, with readable type, and its data as a table
    (`usermeta.table`: the alternative to the marks, and what the CSV download holds)."""
    spec: dict[str, Any] = dict(chart.to_dict())
    spec["title"] = {"text": title, **({"subtitle": subtitle} if subtitle else {})}
    spec["config"] = {**CONFIG, **spec.get("config", {})}
    table = {"columns": list(columns), "rows": [list(row) for row in rows]}
    spec["usermeta"] = {"title": title, "table": table}
    return spec


def ink_on(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (at least 4.5:1 on any colour)."""
    return BLACK if contrast(BLACK, fill) >= contrast(WHITE, fill) else WHITE


def _box(x: float, y: float, width: float, height: float, align: str) -> tuple[float, float, float, float]:
    left = {"left": x, "center": x - width / 2, "right": x - width}[align]
    return left, y - height / 2, left + width, y + height / 2


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_width(text: str, font_size: float = 12) -> float:
    """A generous width of `text` in a sans-serif font (0.62 em a character)."""
    return 0.62 * font_size * len(text) + 2


# Where a label may go around its point: right, left, above, below, then the diagonals, then further out.
OFFSETS = tuple(
    (dx * step, dy * step, align)
    for step in (1, 2, 3)
    for dx, dy, align in (
        (9, 0, "left"),
        (-9, 0, "right"),
        (0, -14, "center"),
        (0, 14, "center"),
        (7, -11, "left"),
        (7, 11, "left"),
        (-7, -11, "right"),
        (-7, 11, "right"),
    )
)


def place_labels(
    points: Sequence[tuple[float, float]],
    texts: Sequence[str],
    width: float,
    height: float,
    font_size: float = 12,
    radius: float = 6,
    obstacles: Sequence[tuple[float, float, float, float]] = (),
) -> list[tuple[float, float, str] | None]:
    """Pixel positions (x, y, align) for labels beside points so that no label overlaps another label, a
    point or an obstacle (left, top, right, bottom: an interval's line) and all stay inside the plot;
    None for a label with no free place (it is left out)."""
    placed: list[tuple[float, float, float, float]] = []
    dots = [(x - radius, y - radius, x + radius, y + radius) for x, y in points] + list(obstacles)
    out: list[tuple[float, float, str] | None] = []
    for (x, y), text in zip(points, texts, strict=True):
        spot = None
        for dx, dy, align in OFFSETS:
            box = _box(x + dx, y + dy, label_width(text, font_size), font_size + 2, align)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_overlaps(box, other) for other in (*placed, *dots)):
                spot = (x + dx, y + dy, align)
                placed.append(box)
                break
        out.append(spot)
    return out


def rows_of(frame: pd.DataFrame) -> list[Any]:
    """A frame's rows as named tuples (columns as attributes), for building labels and table rows."""
    return list(frame.itertuples(index=False))
