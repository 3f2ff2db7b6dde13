"""Charts of result objects as Altair (Vega-Lite) specs; rendering to SVG/PNG happens offline (vl-convert)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from cxgap.drivers import DriverReport
from cxgap.gaps import GAP_KINDS, GapReport
from cxgap.impact import ValueReport
from cxgap.metrics import ScoreTable
from cxgap.text.service import TextReport

WORSE, BETTER, NEUTRAL = "#c0392b", "#2e86c1", "#999999"


def _spec(chart: Any) -> dict[str, Any]:
    """The Vega-Lite specification of a chart, as a plain dict."""
    return dict(chart.to_dict())


def headline_chart(report: GapReport) -> dict[str, Any] | None:
    """Leaders who believe the experience is superior vs customers who agree, with Wilson intervals."""
    h = report.headline
    if h is None:
        return None
    frame = pd.DataFrame(
        [
            {
                "who": "leaders believe",
                "share": h.leaders.value,
                "low": h.leaders.low,
                "high": h.leaders.high,
            },
            {
                "who": "customers agree",
                "share": h.customers.value,
                "low": h.customers.low,
                "high": h.customers.high,
            },
        ]
    )
    base = alt.Chart(frame).encode(y=alt.Y("who:N", title=None, sort=None))
    bars = base.mark_bar(color=BETTER).encode(
        x=alt.X(
            "share:Q",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
            title="share saying 'superior'",
        )
    )
    rules = base.mark_rule(color="black").encode(
        x=alt.X("low:Q", title="share saying 'superior'"), x2="high:Q"
    )
    return _spec((bars + rules).properties(width=520, height=90, title="Is our experience superior?"))


def gap_map(report: GapReport) -> dict[str, Any] | None:
    """Touchpoint x gap kind: the largest standardised shortfall of each cell."""
    rows = []
    for gap in report.gaps:
        if gap.priority > 0:
            rows.append(
                {
                    "touchpoint": gap.touchpoint or "overall",
                    "gap": gap.kind,
                    "shortfall": abs(gap.effect_size),
                    "count": 1,
                }
            )
    if not rows:
        return None
    frame = (
        pd.DataFrame(rows)
        .groupby(["touchpoint", "gap"], as_index=False)
        .agg(shortfall=("shortfall", "max"), count=("count", "sum"))
    )
    base = alt.Chart(frame).encode(
        x=alt.X("gap:N", sort=list(GAP_KINDS), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("touchpoint:N", title=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "shortfall:Q", scale=alt.Scale(scheme="reds"), title="largest shortfall (effect size)"
        )
    )
    labels = base.mark_text(fontSize=11).encode(text=alt.Text("shortfall:Q", format=".2f"))
    return _spec(
        (cells + labels).properties(width=560, height=220, title="Gap map: where the shortfalls are")
    )


UNIT_LABEL = {
    "share": "percentage points",
    "points": "points (1-7 scale)",
    "seconds": "seconds",
    "hours": "hours",
}


def gap_bars(
    report: GapReport, kinds: tuple[str, ...], title: str, role: str | None = None
) -> dict[str, Any] | None:
    """Signed gaps of some kinds with their intervals (negative = shortfall), one panel per unit."""
    rows = []
    for gap in report.gaps:
        if gap.kind not in kinds or gap.value != gap.value or (gap.p_value != gap.p_value):
            continue
        if role is not None and not gap.subject.endswith(f"({role})"):
            continue
        if role is None and gap.subject.endswith(")"):
            continue
        scale = 100.0 if gap.unit == "share" else 1.0
        subject = gap.subject.replace(f" ({role})", "") if role else gap.subject
        prefix = f"{gap.kind} · " if len(kinds) > 1 else ""
        rows.append(
            {
                "gap": f"{prefix}{gap.touchpoint or 'overall'} · {subject}",
                "value": scale * gap.value,
                "low": scale * gap.low,
                "high": scale * gap.high,
                "verdict": gap.direction,
                "unit": UNIT_LABEL.get(gap.unit, gap.unit or "units"),
            }
        )
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    color = alt.Color(
        "verdict:N",
        scale=alt.Scale(domain=["worse", "better", "none"], range=[WORSE, BETTER, NEUTRAL]),
        title=None,
    )
    y = alt.Y("gap:N", title=None, sort=None, axis=alt.Axis(labelLimit=360))
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(y=y, x=alt.X("value:Q", title="gap (negative = shortfall)"), color=color)
    )
    rules = alt.Chart().mark_rule(color="black").encode(y=y, x=alt.X("low:Q"), x2="high:Q")
    per_unit = frame.groupby("unit")["gap"].nunique().max()
    chart = (
        alt.layer(bars, rules, data=frame)
        .properties(width=480, height=max(40, 22 * int(per_unit)))
        .facet(
            row=alt.Row("unit:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")), title=title
        )
        .resolve_scale(x="independent", y="independent")
    )
    return _spec(chart)


def trend_chart(tables: list[ScoreTable], title: str) -> dict[str, Any] | None:
    """Metrics over time with their intervals; insufficient cells are left out (no number dressed as fact)."""
    parts = [f[f.status == "ok"] for f in (t.to_frame() for t in tables) if not f.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:  # no answers at all, or none in a period with enough of them
        return None
    frame["period"] = pd.to_datetime(frame["period"])
    frame["series"] = frame["metric"] + " (" + frame["survey_kind"] + ")"
    charts = []
    for metric, group in frame.groupby("metric", sort=False):
        base = alt.Chart(group).encode(
            x=alt.X("period:T", title=None), color=alt.Color("series:N", title=None)
        )
        band = base.mark_area(opacity=0.2).encode(
            y=alt.Y("low:Q", title=str(metric), scale=alt.Scale(zero=False)), y2="high:Q"
        )
        line = base.mark_line(point=True).encode(y="value:Q")
        charts.append((band + line).properties(width=520, height=140))
    return _spec(alt.vconcat(*charts, title=title))


def quadrant_chart(report: DriverReport) -> dict[str, Any] | None:
    """Importance (share of explained variance) against performance, split at the drivers' means."""
    if not report.drivers or not report.drivers[0].quadrant:
        return None
    frame = report.to_frame()
    points = alt.Chart(frame).encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%"), title="importance (share of what the drivers explain)"),
        y=alt.Y(
            "performance:Q", scale=alt.Scale(zero=False), title=f"performance (mean rating, {report.scale})"
        ),
    )
    color = alt.Color(
        "quadrant:N",
        scale=alt.Scale(
            domain=["concentrate here", "keep up the good work", "low priority", "possible overkill"],
            range=[WORSE, BETTER, NEUTRAL, "#f39c12"],
        ),
    )
    tips = ["name", "share", "performance", "in_words"]
    dots = points.mark_circle(size=90).encode(color=color, tooltip=tips)
    labels = points.mark_text(align="left", dx=7, dy=-9, fontSize=10).encode(text="name:N")
    bars = points.mark_rule(color="black").encode(x="share_low:Q", x2="share_high:Q")
    x_mid = (
        alt.Chart(pd.DataFrame({"x": [frame["share"].mean()]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    )
    y_mid = (
        alt.Chart(pd.DataFrame({"y": [frame["performance"].mean()]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(y="y:Q")
    )
    title = f"Importance vs performance ({report.outcome}, {report.level})"
    return _spec((bars + dots + labels + x_mid + y_mid).properties(width=520, height=320, title=title))


def value_chart(values: ValueReport) -> dict[str, Any] | None:
    """Yearly money values with their intervals."""
    if not values.values:
        return None
    frame = values.to_frame()
    y = alt.Y("what:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    bars = alt.Chart(frame).mark_bar(color=BETTER).encode(y=y, x=alt.X("value:Q", title="yearly revenue"))
    rules = alt.Chart(frame).mark_rule(color="black").encode(y=y, x="low:Q", x2="high:Q")
    return _spec(
        (bars + rules).properties(width=480, height=26 * len(frame), title="What it is worth per year")
    )


def theme_chart(report: TextReport) -> dict[str, Any] | None:
    """Each theme's NPS impact (authors who raise it minus the other authors) with its interval."""
    rows = [
        {
            "theme": f"{t.theme} ({t.texts:,})",
            "impact": t.nps_impact.value,
            "low": t.nps_impact.low,
            "high": t.nps_impact.high,
            "negative": t.negative,
        }
        for t in report.themes
        if t.nps_impact is not None
    ]
    if not rows:
        return None
    frame = pd.DataFrame(rows).sort_values("impact")
    y = alt.Y("theme:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("impact:Q", title="NPS of authors who raise it minus other authors (points)"),
            color=alt.Color(
                "negative:Q",
                scale=alt.Scale(scheme="redblue", reverse=True, domain=[0, 1]),
                title="share negative",
                legend=alt.Legend(format="%"),
            ),
        )
    )
    rules = alt.Chart(frame).mark_rule(color="black").encode(y=y, x="low:Q", x2="high:Q")
    return _spec(
        (bars + rules).properties(
            width=480, height=24 * len(frame), title="What customers say, and what it costs"
        )
    )
