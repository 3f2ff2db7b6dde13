"""Charts of journey and risk results (Altair specs, rendered offline by vl-convert), each with its data
table and rounded mark descriptions like the other charts; no data, no chart (None)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from cxgap.churn import RiskReport
from cxgap.journeys import JourneyReport
from cxgap.report.chart_parts import BETTER, NEUTRAL, WORSE, finish, number, rows_of, said, with_interval

INTERVAL = ["low (95%)", "high (95%)"]


def _percent(value: float, low: float, high: float, n: int) -> str:
    return with_interval(100 * value, 100 * low, 100 * high, 1, "%", n)


def calibration_chart(report: RiskReport) -> dict[str, Any]:
    """Held-out calibration: mean predicted churn against observed churn (Wilson intervals) per decile,
    for the chosen model, the baseline and the health score, against the diagonal (the diagonal alone,
    saying so, when no decile was scored: `cxgap risk --calibration` always writes a picture)."""
    rows = [
        {
            "model": score.name,
            "predicted": b.predicted,
            "observed": b.observed.value,
            "low": b.observed.low,
            "high": b.observed.high,
            "n": b.observed.n,
        }
        for score in (report.model, report.baseline, report.health)
        for b in score.calibration
    ]
    if not rows:
        diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(color="black", aria=False)
        empty = diagonal.encode(
            x=alt.X("x:Q", title="predicted churn"), y=alt.Y("y:Q", title="observed churn")
        )
        title = "Calibration: no held-out customers were scored"
        return finish(empty.properties(width=420, height=360), title, ["model", "predicted churn (%)"], [])
    frame = pd.DataFrame(rows)
    frame["text"] = [
        f"{r.model}, predicted {said(100 * r.predicted, 1, '%')}: observed {_percent(r.observed, r.low, r.high, r.n)}"
        for r in rows_of(frame)
    ]
    top = float(max(frame[["predicted", "high"]].max().max(), 0.05))
    axis = alt.Scale(domain=[0, min(1.0, top * 1.05)])
    names = [report.model.name, report.baseline.name, report.health.name]
    colour = alt.Color("model:N", scale=alt.Scale(domain=names, range=[BETTER, NEUTRAL, WORSE]), title=None)
    base = alt.Chart(frame).encode(
        x=alt.X("predicted:Q", scale=axis, axis=alt.Axis(format="%"), title="predicted churn (decile mean)")
    )
    y = alt.Y("observed:Q", scale=axis, axis=alt.Axis(format="%"), title="observed churn")
    line = base.mark_line(aria=False).encode(y=y, color=colour)
    dots = base.mark_point(filled=True, size=40).encode(y=y, color=colour, description="text:N")
    bars = base.mark_rule(opacity=0.6, aria=False).encode(y="low:Q", y2="high:Q", color=colour)
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0, top], "y": [0, top]}))
        .mark_line(color="black", strokeDash=[4, 4], aria=False)
        .encode(x="x:Q", y="y:Q")
    )
    table = [
        [
            r.model,
            number(100 * r.predicted, 1),
            number(100 * r.observed, 1),
            number(100 * r.low, 1),
            number(100 * r.high, 1),
            r.n,
        ]
        for r in rows_of(frame)
    ]
    return finish(
        (diagonal + bars + line + dots).properties(width=420, height=360),
        f"Calibration on {report.n_test:,} held-out customers",
        ["model", "predicted churn (%)", "observed churn (%)", *INTERVAL, "n"],
        table,
    )


def health_chart(report: RiskReport) -> dict[str, Any] | None:
    """The distribution of health scores per segment (current customers), on one shared share axis."""
    frame = report.scored[["segment", "health"]].dropna(subset=["health"]).copy()
    if frame.empty:
        return None
    frame["segment"] = frame["segment"].fillna("all customers")
    frame["band"] = (frame["health"] // 10 * 10).clip(upper=90).astype(int)
    counts = frame.groupby(["segment", "band"]).size().reset_index(name="customers")
    counts["share"] = counts["customers"] / counts.groupby("segment")["customers"].transform("sum")
    counts["segment_n"] = counts.groupby("segment")["customers"].transform("sum")
    counts["text"] = [
        f"{r.segment}, health {r.band}-{r.band + 9 if r.band < 90 else 100}: {said(100 * r.share, 1, '%')} "
        f"of {r.segment_n:,} customers ({r.customers:,})"
        for r in rows_of(counts)
    ]
    chart = (
        alt.Chart(counts)
        .mark_bar(color=BETTER)
        .encode(
            x=alt.X("band:O", title="health (0-100, in bands of 10)"),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="customers"),
            description="text:N",
        )
        .properties(width=180, height=160)
        .facet(column=alt.Column("segment:N", title=None))
        .resolve_scale(y="shared")
    )
    table = [
        [r.segment, f"{r.band}-{r.band + 9 if r.band < 90 else 100}", r.customers, number(100 * r.share, 1)]
        for r in rows_of(counts)
    ]
    return finish(
        chart, "Health by segment", ["segment", "health band", "customers", "share of segment (%)"], table
    )


def _flow_frames(report: JourneyReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    failed = pd.DataFrame(
        [
            {
                "touchpoint": s.touchpoint,
                "share": s.failed.value,
                "low": s.failed.low,
                "high": s.failed.high,
                "n": s.failed.n,
            }
            for s in report.flow
        ]
    )
    failed["text"] = [
        f"{r.touchpoint}: {_percent(r.share, r.low, r.high, r.n)} of customers met an incident here"
        for r in rows_of(failed)
    ]
    churn = pd.DataFrame(
        [
            {"touchpoint": s.touchpoint, "who": who, "share": e.value, "low": e.low, "high": e.high, "n": e.n}
            for s in report.flow
            for who, e in (
                ("after an incident there", s.churn_after_failure),
                ("without one", s.churn_otherwise),
            )
            if e.n > 0
        ],
        columns=["touchpoint", "who", "share", "low", "high", "n"],
    )
    churn["text"] = [
        f"{r.touchpoint}, {r.who}: {_percent(r.share, r.low, r.high, r.n)} churned" for r in rows_of(churn)
    ]
    return failed, churn


def flow_chart(report: JourneyReport) -> dict[str, Any] | None:
    """Where customers fall out: per touchpoint in journey order, the share meeting an incident there,
    and churn after an incident there against churn without one (Wilson intervals)."""
    if not report.flow:
        return None
    order = [s.touchpoint for s in report.flow]
    failed, churn = _flow_frames(report)
    x = alt.X("touchpoint:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30))
    met = alt.Chart(failed).encode(x=x)
    left = (
        met.mark_bar(color=WORSE).encode(
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="customers meeting an incident"),
            description="text:N",
        )
        + met.mark_rule(color="black", aria=False).encode(y="low:Q", y2="high:Q")
    ).properties(width=300, height=220, title=alt.TitleParams("Incidents along the journey", fontSize=13))
    colour = alt.Color(
        "who:N",
        scale=alt.Scale(domain=["after an incident there", "without one"], range=[WORSE, NEUTRAL]),
        title=None,
        legend=alt.Legend(orient="bottom"),
    )
    base = alt.Chart(churn).encode(x=x, xOffset="who:N")
    right = (
        base.mark_bar().encode(
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="churned"), color=colour, description="text:N"
        )
        + base.mark_rule(color="black", aria=False).encode(y="low:Q", y2="high:Q")
    ).properties(width=300, height=220, title=alt.TitleParams("Churn after an incident", fontSize=13))
    table = [
        [
            r.touchpoint,
            "met an incident here",
            number(100 * r.share, 1),
            number(100 * r.low, 1),
            number(100 * r.high, 1),
            r.n,
        ]
        for r in rows_of(failed)
    ] + [
        [
            r.touchpoint,
            f"churned {r.who}",
            number(100 * r.share, 1),
            number(100 * r.low, 1),
            number(100 * r.high, 1),
            r.n,
        ]
        for r in rows_of(churn)
    ]
    return finish(
        alt.hconcat(left, right),
        "Where customers fall out",
        ["touchpoint", "measure", "share (%)", *INTERVAL, "n"],
        table,
    )


def damage_chart(report: JourneyReport) -> dict[str, Any] | None:
    """Each incident's damage to the 0-10 likelihood-to-recommend answer (scale points, not NPS points)
    and the extra damage of every incident beyond the first, with intervals."""
    synergy = report.synergy
    terms = list(synergy.single.items())
    if synergy.per_extra_incident is not None:
        terms.append(("each incident beyond the first", synergy.per_extra_incident))
    if not terms:
        return None
    frame = pd.DataFrame(
        [{"incident": k, "value": e.value, "low": e.low, "high": e.high, "n": e.n} for k, e in terms]
    )
    frame["text"] = [
        f"{r.incident}: {with_interval(r.value, r.low, r.high, 2, n=r.n)} points on the 0-10 scale"
        for r in rows_of(frame)
    ]
    y = alt.Y("incident:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    x = alt.X("value:Q", title="change in the 0-10 recommend answer (scale points)", stack=None)
    bars = alt.Chart(frame).mark_bar(color=WORSE).encode(y=y, x=x, description="text:N")
    rules = alt.Chart(frame).mark_rule(color="black", aria=False).encode(y=y, x="low:Q", x2="high:Q")
    table = [
        [r.incident, number(r.value, 2), number(r.low, 2), number(r.high, 2), r.n] for r in rows_of(frame)
    ]
    return finish(
        (bars + rules).properties(width=480, height=28 * len(frame)),
        f"Damage per incident to the 0-10 recommend answer ({synergy.outcome} survey)",
        ["incident", "damage (0-10 scale points)", *INTERVAL, "n"],
        table,
    )
