"""Charts of result objects as Altair (Vega-Lite) specs; rendering to SVG/PNG happens offline (vl-convert).
Each spec carries its data as a table (`usermeta.table`) and each mark a rounded description, so a chart
reads the same as a picture, a tooltip, a table and to a screen reader. No data: no chart (None)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from cxgap.drivers import DriverReport
from cxgap.gaps import Gap, GapReport
from cxgap.impact import ValueReport
from cxgap.metrics import ScoreTable
from cxgap.report.chart_parts import (
    BETTER,
    NEUTRAL,
    WORSE,
    finish,
    number,
    place_labels,
    rows_of,
    said,
    with_interval,
)
from cxgap.report.gap_map import gap_map
from cxgap.text.service import TextReport

__all__ = [
    "BETTER",
    "NEUTRAL",
    "WORSE",
    "gap_bars",
    "gap_map",
    "headline_chart",
    "quadrant_chart",
    "theme_chart",
    "trend_chart",
    "value_chart",
]

INTERVAL = ["low (95%)", "high (95%)"]


def headline_chart(report: GapReport) -> dict[str, Any] | None:
    """Leaders who believe the experience is superior vs customers who agree, with Wilson intervals."""
    h = report.headline
    if h is None or not h.sufficient:  # below the minimum n the share is not drawn as if it were known
        return None
    rows: list[dict[str, Any]] = [
        {"who": who, "share": e.value, "low": e.low, "high": e.high, "n": e.n}
        for who, e in (("leaders believe", h.leaders), ("customers agree", h.customers))
    ]
    frame = pd.DataFrame(rows)
    frame["text"] = [
        f"{r['who']}: {with_interval(100 * r['share'], 100 * r['low'], 100 * r['high'], 0, '%', r['n'])}"
        for r in rows
    ]
    x = alt.X("share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    base = alt.Chart(frame).encode(y=alt.Y("who:N", title=None, sort=None))
    bars = base.mark_bar(color=BETTER).encode(x=x.title("share saying 'superior'"), description="text:N")
    rules = base.mark_rule(color="black", aria=False).encode(x="low:Q", x2="high:Q")
    table = [
        [r["who"], number(100 * r["share"], 1), number(100 * r["low"], 1), number(100 * r["high"], 1), r["n"]]
        for r in rows
    ]
    return finish(
        (bars + rules).properties(width=520, height=90),
        "Is our experience superior? Leaders vs customers",
        ["who", "share saying 'superior' (%)", *INTERVAL, "n"],
        table,
    )


UNIT_LABEL = {
    "share": "percentage points",
    "points": "points (1-7 scale)",
    "seconds": "seconds",
    "hours": "hours",
}


def _bar_row(gap: Gap, label: str) -> dict[str, Any]:
    scale = 100.0 if gap.unit == "share" else 1.0
    unit = UNIT_LABEL.get(gap.unit, gap.unit or "units")
    digits = 0 if gap.unit == "seconds" else (1 if gap.unit in ("share", "hours") else 2)
    value, low, high = scale * gap.value, scale * gap.low, scale * gap.high
    n = gap.n or None  # a fixed comparison (a standard against an expectation) has no sample
    return {
        "gap": label,
        "value": value,
        "low": low,
        "high": high,
        "verdict": gap.direction,
        "unit": unit,
        "digits": digits,
        "n": n,
        "text": f"{label}: {said(value, digits)} {unit} [{said(low, digits)}, {said(high, digits)}]"
        + (f", n = {n:,}" if n else "")
        + f"; {gap.direction}",
    }


def gap_bars(
    report: GapReport, kinds: tuple[str, ...], title: str, role: str | None = None
) -> dict[str, Any] | None:
    """Signed gaps of some kinds with their intervals (negative = shortfall), one bar per gap of the whole
    base (the segments' own gaps are not drawn on top of it), one panel per unit."""
    rows = []
    for gap in report.gaps:
        if gap.kind not in kinds or gap.segment is not None or gap.value != gap.value:
            continue
        if role is not None and not gap.subject.endswith(f"({role})"):
            continue
        if role is None and gap.subject.endswith(")"):
            continue
        subject = gap.subject.replace(f" ({role})", "") if role else gap.subject
        prefix = f"{gap.kind} · " if len(kinds) > 1 else ""
        rows.append(_bar_row(gap, f"{prefix}{gap.touchpoint or 'overall'} · {subject}"))
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    color = alt.Color(
        "verdict:N",
        scale=alt.Scale(domain=["worse", "better", "none"], range=[WORSE, BETTER, NEUTRAL]),
        title=None,
    )
    y = alt.Y("gap:N", title=None, sort=None, axis=alt.Axis(labelLimit=360))
    x = alt.X("value:Q", title="gap (negative = shortfall)", stack=None)
    bars = alt.Chart().mark_bar().encode(y=y, x=x, color=color, description="text:N")
    rules = alt.Chart().mark_rule(color="black", aria=False).encode(y=y, x="low:Q", x2="high:Q")
    per_unit = frame.groupby("unit")["gap"].nunique().max()
    chart = (
        alt.layer(bars, rules, data=frame.drop(columns="digits"))
        .properties(width=480, height=max(40, 24 * int(per_unit)))
        .facet(row=alt.Row("unit:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
        .resolve_scale(x="independent", y="independent")
    )
    table = [
        [
            r["gap"],
            r["unit"],
            number(r["value"], r["digits"]),
            number(r["low"], r["digits"]),
            number(r["high"], r["digits"]),
            r["n"],
            r["verdict"],
        ]
        for r in rows
    ]
    return finish(chart, title, ["gap", "unit", "value", *INTERVAL, "n", "verdict"], table)


METRIC_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def _trend_frame(tables: Sequence[ScoreTable]) -> pd.DataFrame:
    frames = [t.to_frame() for t in tables]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame["period"] = pd.to_datetime(frame["period"])
    frame["series"] = (
        frame["metric"].map(lambda m: METRIC_NAMES.get(m, m)) + " (" + frame["survey_kind"] + ")"
    )
    frame["digits"] = [0 if m == "nps" else 2 for m in frame["metric"]]
    order = {metric: i for i, metric in enumerate(dict.fromkeys(frame["metric"]))}  # the tables' order
    frame["order"] = frame["metric"].map(order)
    frame = frame.sort_values(["order", "survey_kind", "period"], kind="stable").drop(columns="order")
    return frame.reset_index(drop=True)


def trend_chart(tables: list[ScoreTable], title: str) -> dict[str, Any] | None:
    """Metrics over time with their intervals, one panel per metric on one shared time axis; periods below
    the minimum n are left out of the lines (no number dressed as fact) and said so in the table."""
    frame = _trend_frame(tables)
    shown = frame[frame["status"] == "ok"].copy() if not frame.empty else frame
    if shown.empty:  # no answers at all, or none in a period with enough of them
        return None
    shown["text"] = [
        f"{r.series}, {r.period:%b %Y}: {with_interval(r.value, r.low, r.high, r.digits, n=int(r.n))}"
        for r in rows_of(shown)
    ]
    first, last = shown["period"].min(), shown["period"].max()
    domain = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in (first, last)]
    x = alt.X("period:T", title=None, scale=alt.Scale(domain=domain), axis=alt.Axis(format="%b %Y"))
    color = alt.Color("series:N", title=None)
    panels = []
    for metric, group in shown.groupby("metric", sort=False):
        base = alt.Chart(group.drop(columns="digits")).encode(x=x, color=color)
        band = base.mark_area(opacity=0.2, aria=False).encode(
            y=alt.Y("low:Q", title=METRIC_NAMES.get(str(metric), str(metric)), scale=alt.Scale(zero=False)),
            y2="high:Q",
        )
        line = base.mark_line(aria=False).encode(y="value:Q")
        dots = base.mark_point(filled=True, size=40).encode(y="value:Q", description="text:N")
        panels.append((band + line + dots).properties(width=520, height=140))
    table = [
        [
            r.series,
            f"{r.period:%Y-%m}",
            number(r.value, r.digits),
            number(r.low, r.digits),
            number(r.high, r.digits),
            int(r.n),
            "" if r.status == "ok" else r.status,
        ]
        for r in rows_of(frame)
    ]
    chart = alt.vconcat(*panels).resolve_scale(x="shared")
    return finish(chart, title, ["score", "period", "value", *INTERVAL, "n", "note"], table)


QUADRANTS = ["concentrate here", "keep up the good work", "low priority", "possible overkill"]


def _quadrant_frame(
    report: DriverReport, width: int, height: int
) -> tuple[pd.DataFrame, list[float], list[float]]:
    """The drivers with each label's place (data units) chosen so that no two labels overlap."""
    frame = report.to_frame()
    top = float(max(frame["share_high"].max(), frame["share"].max()))
    x_domain = [0.0, (top if top == top else 1.0) * 1.08 or 1.0]
    low, high = float(frame["performance"].min()), float(frame["performance"].max())
    pad = max(0.1 * (high - low), 0.05)
    y_domain = [low - pad, high + pad]

    def px(share: float, performance: float) -> tuple[float, float]:
        return (
            (share - x_domain[0]) / (x_domain[1] - x_domain[0]) * width,
            height - (performance - y_domain[0]) / (y_domain[1] - y_domain[0]) * height,
        )

    where = [px(s, p) for s, p in zip(frame["share"], frame["performance"], strict=True)]
    lines = [
        (px(low, p)[0], y - 2, px(high, p)[0], y + 2)
        for low, high, p, (_, y) in zip(
            frame["share_low"], frame["share_high"], frame["performance"], where, strict=True
        )
    ]
    spots = place_labels(where, list(frame["name"]), width, height, obstacles=lines)
    frame["label_x"] = [
        x_domain[0] + s[0] / width * (x_domain[1] - x_domain[0]) if s else None for s in spots
    ]
    frame["label_y"] = [
        y_domain[0] + (height - s[1]) / height * (y_domain[1] - y_domain[0]) if s else None for s in spots
    ]
    frame["align"] = [s[2] if s else "none" for s in spots]
    return frame, x_domain, y_domain


def _quadrant_text(d: Any, scale: str) -> str:
    share = with_interval(100 * d.share, 100 * d.share_low, 100 * d.share_high, 0, "%")
    performance = with_interval(d.performance, d.performance_low, d.performance_high, 2, n=int(d.answers))
    return f"{d.name}: importance {share}; performance {performance} ({scale}); {d.quadrant}; {d.in_words}"


def quadrant_chart(report: DriverReport) -> dict[str, Any] | None:
    """Importance (share of explained variance) against performance, split at the drivers' means; labels
    placed beside their points where they overlap nothing (a label with no room is in the table)."""
    if not report.drivers or not report.drivers[0].quadrant:
        return None
    width, height = 520, 320
    frame, x_domain, y_domain = _quadrant_frame(report, width, height)
    frame["text"] = [_quadrant_text(d, report.scale) for d in rows_of(frame)]
    x_scale = alt.Scale(domain=x_domain, nice=False, zero=False)
    y_scale = alt.Scale(domain=y_domain, nice=False, zero=False)
    x = alt.X(
        "share:Q",
        scale=x_scale,
        axis=alt.Axis(format="%"),
        title="importance (share of what the drivers explain)",
    )
    y = alt.Y("performance:Q", scale=y_scale, title=f"performance (mean rating, {report.scale})")
    color = alt.Color(
        "quadrant:N", scale=alt.Scale(domain=QUADRANTS, range=[WORSE, BETTER, NEUTRAL, "#f39c12"])
    )
    points = alt.Chart(frame).encode(x=x, y=y)
    dots = points.mark_circle(size=90, opacity=1).encode(color=color, description="text:N")
    bars = points.mark_rule(color="black", aria=False).encode(x="share_low:Q", x2="share_high:Q")
    labels = [
        alt.Chart(frame[frame["align"] == align])
        .mark_text(align=align, baseline="middle", fontSize=12, aria=False)
        .encode(x=alt.X("label_x:Q", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale), text="name:N")
        for align in ("left", "center", "right")
        if (frame["align"] == align).any()
    ]
    mid = {"x": [frame["share"].mean()], "y": [frame["performance"].mean()]}
    x_mid = (
        alt.Chart(pd.DataFrame(mid))
        .mark_rule(strokeDash=[4, 4], aria=False)
        .encode(x=alt.X("x:Q", scale=x_scale))
    )
    y_mid = (
        alt.Chart(pd.DataFrame(mid))
        .mark_rule(strokeDash=[4, 4], aria=False)
        .encode(y=alt.Y("y:Q", scale=y_scale))
    )
    chart = alt.layer(bars, dots, *labels, x_mid, y_mid).properties(width=width, height=height)
    table = [
        [
            d.name,
            number(100 * d.share, 1),
            number(100 * d.share_low, 1),
            number(100 * d.share_high, 1),
            number(d.performance, 2),
            number(d.performance_low, 2),
            number(d.performance_high, 2),
            int(d.answers),
            d.quadrant,
            d.direction,
        ]
        for d in rows_of(frame)
    ]
    columns = [
        "driver",
        "importance (%)",
        "importance low (95%)",
        "importance high (95%)",
        "performance",
        "performance low (95%)",
        "performance high (95%)",
        "n",
        "quadrant",
        "direction",
    ]
    title = f"Importance vs performance ({report.outcome}, {report.level})"
    unlabelled = int((frame["align"] == "none").sum())
    subtitle = (
        f"{unlabelled} label{'s' if unlabelled != 1 else ''} left out for room: see the table"
        if unlabelled
        else ""
    )
    return finish(chart, title, columns, table, subtitle)


def value_chart(values: ValueReport, currency: str | None = None) -> dict[str, Any] | None:
    """Yearly money values with their intervals (in `currency` where the company has one configured)."""
    if not values.values:
        return None
    frame = values.to_frame()
    unit = f" {currency}" if currency else ""
    frame["text"] = [
        f"{r.what}: {with_interval(r.value, r.low, r.high, 0, unit)} a year" for r in rows_of(frame)
    ]
    y = alt.Y("what:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    x = alt.X("value:Q", title=f"yearly revenue{f' ({currency})' if currency else ''}", stack=None)
    bars = alt.Chart(frame).mark_bar(color=BETTER).encode(y=y, x=x, description="text:N")
    rules = alt.Chart(frame).mark_rule(color="black", aria=False).encode(y=y, x="low:Q", x2="high:Q")
    table = [
        [r.what, number(r.value, 0), number(r.low, 0), number(r.high, 0), r.chain] for r in rows_of(frame)
    ]
    return finish(
        (bars + rules).properties(width=480, height=28 * len(frame)),
        "What it is worth per year",
        ["value", f"yearly{unit}", *INTERVAL, "how"],
        table,
    )


def theme_chart(report: TextReport) -> dict[str, Any] | None:
    """Each theme's NPS impact (authors who raise it minus the other authors) with its interval."""
    rows = [
        {
            "theme": f"{t.theme} ({t.texts:,})",
            "name": t.theme,
            "texts": t.texts,
            "impact": t.nps_impact.value,
            "low": t.nps_impact.low,
            "high": t.nps_impact.high,
            "authors": t.nps_impact.n_b,
            "others": t.nps_impact.n_a,
            "negative": t.negative,
        }
        for t in report.themes
        if t.nps_impact is not None
    ]
    if not rows:
        return None
    frame = pd.DataFrame(rows).sort_values("impact", kind="stable")
    frame["text"] = [
        f"{r.name}: NPS {with_interval(r.impact, r.low, r.high, 0)} points against other authors; "
        f"{r.authors:,} authors raise it, {r.others:,} do not; {said(100 * r.negative, 0, '%')} negative"
        for r in rows_of(frame)
    ]
    y = alt.Y("theme:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    color = alt.Color(
        "negative:Q",
        scale=alt.Scale(scheme="redblue", reverse=True, domain=[0, 1]),
        title="share negative",
        legend=alt.Legend(format="%"),
    )
    x = alt.X("impact:Q", title="NPS of authors who raise it minus other authors (NPS points)", stack=None)
    bars = alt.Chart(frame).mark_bar().encode(y=y, x=x, color=color, description="text:N")
    rules = alt.Chart(frame).mark_rule(color="black", aria=False).encode(y=y, x="low:Q", x2="high:Q")
    table = [
        [
            r.name,
            r.texts,
            number(r.impact, 1),
            number(r.low, 1),
            number(r.high, 1),
            r.authors,
            r.others,
            number(100 * r.negative, 0),
        ]
        for r in rows_of(frame)
    ]
    columns = [
        "theme",
        "texts",
        "NPS impact (points)",
        *INTERVAL,
        "authors raising it",
        "other authors",
        "negative (%)",
    ]
    return finish(
        (bars + rules).properties(width=480, height=26 * len(frame)),
        "What customers say, and what it costs",
        columns,
        table,
    )
