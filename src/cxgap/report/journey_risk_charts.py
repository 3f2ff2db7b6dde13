"""Charts of journey and risk results (Altair specs, rendered offline by vl-convert)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from cxgap.churn import RiskReport
from cxgap.journeys import JourneyReport
from cxgap.report.charts import BETTER, NEUTRAL, WORSE, _spec


def calibration_chart(report: RiskReport) -> dict[str, Any]:
    """Held-out calibration: mean predicted churn against observed churn (Wilson intervals) per decile,
    for the chosen model, the baseline and the health score, against the diagonal."""
    rows = []
    for score in (report.model, report.baseline, report.health):
        for b in score.calibration:
            rows.append(
                {
                    "model": score.name,
                    "predicted": b.predicted,
                    "observed": b.observed.value,
                    "low": b.observed.low,
                    "high": b.observed.high,
                }
            )
    frame = pd.DataFrame(rows)
    top = float(max(frame[["predicted", "high"]].max().max(), 0.05))
    axis = alt.Scale(domain=[0, min(1.0, top * 1.05)])
    names = [report.model.name, report.baseline.name, report.health.name]
    colour = alt.Color("model:N", scale=alt.Scale(domain=names, range=[BETTER, NEUTRAL, WORSE]), title=None)
    base = alt.Chart(frame).encode(
        x=alt.X("predicted:Q", scale=axis, axis=alt.Axis(format="%"), title="predicted churn (decile mean)")
    )
    points = base.mark_line(point=True).encode(
        y=alt.Y("observed:Q", scale=axis, axis=alt.Axis(format="%"), title="observed churn"), color=colour
    )
    bars = base.mark_rule(opacity=0.6).encode(y="low:Q", y2="high:Q", color=colour)
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0, top], "y": [0, top]}))
        .mark_line(color="black", strokeDash=[4, 4])
        .encode(x="x:Q", y="y:Q")
    )
    title = f"Calibration on {report.n_test:,} held-out customers"
    return _spec((diagonal + bars + points).properties(width=420, height=360, title=title))


def health_chart(report: RiskReport) -> dict[str, Any]:
    """The distribution of health scores per segment (current customers)."""
    frame = report.scored[["segment", "health"]].copy()
    frame["segment"] = frame["segment"].fillna("all customers")
    frame["band"] = (frame["health"] // 10 * 10).clip(upper=90)
    counts = frame.groupby(["segment", "band"]).size().reset_index(name="customers")
    counts["share"] = counts["customers"] / counts.groupby("segment")["customers"].transform("sum")
    chart = (
        alt.Chart(counts)
        .mark_bar(color=BETTER)
        .encode(
            x=alt.X("band:O", title="health (0-100, in bands of 10)"),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="customers"),
            column=alt.Column("segment:N", title=None),
        )
    )
    return _spec(chart.properties(width=180, height=160, title="Health by segment"))


def flow_chart(report: JourneyReport) -> dict[str, Any] | None:
    """Where customers fall out: per touchpoint in journey order, the share meeting an incident there,
    and churn after an incident there against churn without one (Wilson intervals)."""
    if not report.flow:
        return None
    order = [s.touchpoint for s in report.flow]
    failed = pd.DataFrame(
        [
            {"touchpoint": s.touchpoint, "share": s.failed.value, "low": s.failed.low, "high": s.failed.high}
            for s in report.flow
        ]
    )
    churn = pd.DataFrame(
        [
            {"touchpoint": s.touchpoint, "who": who, "share": e.value, "low": e.low, "high": e.high}
            for s in report.flow
            for who, e in (
                ("after an incident there", s.churn_after_failure),
                ("without one", s.churn_otherwise),
            )
            if e.n > 0
        ]
    )
    x = alt.X("touchpoint:N", sort=order, title=None)
    met = alt.Chart(failed).encode(x=x)
    left = (
        met.mark_bar(color=WORSE).encode(
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="customers meeting an incident")
        )
        + met.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
    ).properties(width=300, height=220, title="Incidents along the journey")
    colour = alt.Color(
        "who:N",
        scale=alt.Scale(domain=["after an incident there", "without one"], range=[WORSE, NEUTRAL]),
        title=None,
    )
    base = alt.Chart(churn).encode(x=x, xOffset="who:N")
    right = (
        base.mark_bar().encode(y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="churned"), color=colour)
        + base.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
    ).properties(width=300, height=220, title="Churn after an incident")
    return _spec(alt.hconcat(left, right))
