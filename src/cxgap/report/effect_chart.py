"""The closed loop's charts: a systemic issue's effect on its gap (the gap before and after the action, and
the change beside the same gap's change at the other touchpoints: the difference in differences), and a
team's accountability by month. Like every chart, each carries its data as a table and each mark a rounded
sentence; nothing to draw gives None."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from cxgap.cases.accountability import AccountabilityReport
from cxgap.cases.effect import IssueEffect
from cxgap.report.chart_parts import BETTER, NEUTRAL, WORSE, finish, number, said
from cxgap.stats import Difference

UNITS = {"share": "percentage points", "points": "points (1-7 scale)", "seconds": "seconds", "hours": "hours"}


def _scale(effect: IssueEffect) -> tuple[float, int, str]:
    """How the gap's values are shown: a factor (shares as points of a percentage), digits and the unit."""
    measured = effect.before or effect.after
    unit = measured.unit if measured else ""
    if unit == "share":
        return 100.0, 1, UNITS[unit]
    return 1.0, 0 if unit == "seconds" else 2, UNITS.get(unit, unit or "units")


def _verdict(low: float, high: float) -> str:
    """Narrower (better), wider (worse) or no clear change, from an interval of a change or a gap."""
    return "better" if low > 0 else "worse" if high < 0 else "none"


def _effect_rows(effect: IssueEffect) -> list[dict[str, Any]]:
    factor, digits, unit = _scale(effect)
    rows: list[dict[str, Any]] = []
    for label, gap, period in (
        ("gap before", effect.before, effect.before_period),
        ("gap after", effect.after, effect.after_period),
    ):
        if gap is not None and gap.value == gap.value and gap.low == gap.low:
            rows.append(
                {"panel": "the gap", "row": label, "period": f"{period[0]}..{period[1]}", "n": gap.n or None}
                | _values(factor * gap.value, factor * gap.low, factor * gap.high, digits)
            )
    changes: tuple[tuple[str, Difference | None], ...] = (
        ("change here", effect.change),
        (f"change at {effect.controls} other touchpoint(s)", effect.control),
        ("net change (difference in differences)", effect.net),
    )
    for label, diff in changes:
        if diff is not None:
            rows.append(
                {"panel": "the change", "row": label, "period": "", "n": None}
                | _values(factor * diff.value, factor * diff.low, factor * diff.high, digits)
            )
    for row in rows:
        text = f"{row['row']}: {said(row['value'], digits)} {unit} [{said(row['low'], digits)}, {said(row['high'], digits)}]"
        row["text"] = (
            text
            + (f", n = {row['n']:,}" if row["n"] else "")
            + (f", {row['period']}" if row["period"] else "")
        )
    return rows


def _values(value: float, low: float, high: float, digits: int) -> dict[str, Any]:
    return {
        "value": number(value, digits),
        "low": number(low, digits),
        "high": number(high, digits),
        "verdict": _verdict(low, high),
    }


def effect_chart(effect: IssueEffect) -> dict[str, Any] | None:
    """The issue's gap before and after its action with intervals (upper panel) and the change here, at
    the other touchpoints and net of them (lower panel); None when neither period could be measured."""
    rows = _effect_rows(effect)
    if not rows:
        return None
    _, _, unit = _scale(effect)
    frame = pd.DataFrame(rows)
    colour = alt.Color(
        "verdict:N",
        scale=alt.Scale(domain=["worse", "better", "none"], range=[WORSE, BETTER, NEUTRAL]),
        legend=alt.Legend(
            title=None,
            labelExpr="{'worse': 'worse or wider', 'better': 'better or narrower', 'none': 'no clear difference'}[datum.label]",
        ),
    )
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    x = alt.X("value:Q", title=f"{unit} (negative = shortfall or widening)")
    points = alt.Chart().mark_point(filled=True, size=90).encode(y=y, x=x, color=colour, description="text:N")
    rules = alt.Chart().mark_rule(color="black", aria=False).encode(y=y, x="low:Q", x2="high:Q")
    zero = alt.Chart().mark_rule(color="#555555", strokeDash=[4, 3], aria=False).encode(x=alt.datum(0))
    chart = (
        alt.layer(rules, points, zero, data=frame)
        .properties(width=420, height=alt.Step(30))
        .facet(
            row=alt.Row(
                "panel:N",
                title=None,
                sort=["the gap", "the change"],
                header=alt.Header(labelAngle=0, labelAlign="left"),
            )
        )
        .resolve_scale(y="independent")
    )
    table = [[r["row"], r["period"], r["value"], r["low"], r["high"], r["n"]] for r in rows]
    where = f"{effect.gap_kind} gap '{effect.gap_subject}' at {effect.touchpoint or 'all touchpoints'}"
    return finish(
        chart,
        f"Effect of the action on the {where}",
        ["row", "months", f"value ({unit})", "low (95%)", "high (95%)", "n"],
        table,
    )


def _trend_rows(report: AccountabilityReport) -> list[dict[str, Any]]:
    rows = []
    for g in report.groups:
        share = g.acted_on
        rows.append(
            {
                "month": (g.group or "")[:7],
                "cases": g.cases,
                "value": number(100 * share.value, 1) if share else None,
                "low": number(100 * share.low, 1) if share else None,
                "high": number(100 * share.high, 1) if share else None,
                "overdue": g.overdue,
                "first": number(g.hours_to_first_action[0], 1),
                "resolve": number(g.hours_to_resolve[0], 1),
            }
        )
    return rows


def accountability_trend(report: AccountabilityReport, title: str) -> dict[str, Any] | None:
    """Per month of opening: the share of cases acted on with its interval (months below the minimum n
    are in the table, not drawn), beside the cases, overdue and median hours in the table."""
    rows = _trend_rows(report)
    drawn = [r for r in rows if r["value"] is not None]
    if not drawn:
        return None
    frame = pd.DataFrame(drawn)
    frame["text"] = [
        f"{r['month']}: {said(r['value'], 1, '%')} acted on [{said(r['low'], 1)}, {said(r['high'], 1, '%')}], n = {r['cases']:,}"
        for r in drawn
    ]
    x = alt.X("month:O", title="month opened")
    y = alt.Y("value:Q", title="cases acted on (%)", scale=alt.Scale(domain=[0, 100]))
    line = alt.Chart().mark_line(point=True, color=BETTER).encode(x=x, y=y, description="text:N")
    bars = alt.Chart().mark_rule(color="black", aria=False).encode(x=x, y="low:Q", y2="high:Q")
    chart = alt.layer(bars, line, data=frame).properties(width=480, height=200)
    table = [
        [r["month"], r["cases"], r["value"], r["low"], r["high"], r["overdue"], r["first"], r["resolve"]]
        for r in rows
    ]
    columns = [
        "month",
        "cases",
        "acted on (%)",
        "low (95%)",
        "high (95%)",
        "overdue",
        "median hours to first action",
        "median hours to resolve",
    ]
    return finish(chart, title, columns, table)
