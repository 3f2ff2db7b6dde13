"""The gap map: every touchpoint against the six gaps, each cell the largest significant shortfall as an
effect size in Cohen's bands, and a cell where nothing was measured saying so rather than disappearing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from cxgap.gaps import GAP_KINDS, Gap, GapReport
from cxgap.report.chart_parts import finish, ink_on, number

NONE, UNMEASURED = "no significant shortfall", "not measured"
# Cohen's conventions for a standardised difference, lightest to darkest red
BANDS = (
    (0.2, "negligible (under 0.2)", "#fee5d9"),
    (0.5, "small (0.2-0.5)", "#fcae91"),
    (0.8, "medium (0.5-0.8)", "#e2412c"),
    (float("inf"), "large (0.8 or more)", "#99000d"),
)
FILLS = {NONE: "#ffffff", UNMEASURED: "#e6e6e6"} | {name: fill for _, name, fill in BANDS}
LEGEND = [name for _, name, _ in BANDS] + [NONE, UNMEASURED]


def band(size: float) -> str:
    """The Cohen band of a shortfall's standardised size."""
    return next(name for top, name, _ in BANDS if size < top)


def _touchpoints(report: GapReport, configured: Sequence[str]) -> list[str]:
    """'overall', every configured touchpoint in its order, then any other touchpoint a gap names."""
    found = sorted({g.touchpoint for g in report.gaps if g.touchpoint and g.touchpoint not in configured})
    return ["overall", *configured, *found]


def _cell(touchpoint: str, kind: str, gaps: list[Gap]) -> dict[str, Any]:
    shortfalls = [g for g in gaps if g.priority > 0]
    size = max((abs(g.effect_size) for g in shortfalls), default=None)
    status = UNMEASURED if not gaps else (NONE if size is None else band(size))
    shown = "not measured" if not gaps else ("none" if size is None else f"{size:.2f}")
    said = (
        f"nothing measured{'' if touchpoint == 'overall' else ' here'}"
        if not gaps
        else f"{len(shortfalls)} significant shortfall{'s' if len(shortfalls) != 1 else ''} of {len(gaps)} "
        f"gap{'s' if len(gaps) != 1 else ''} measured"
        + ("" if size is None else f", the largest {size:.2f} ({status.split(' (')[0]})")
    )
    return {
        "touchpoint": touchpoint,
        "gap": kind,
        "size": size,
        "status": status,
        "label": shown,
        "ink": ink_on(FILLS[status]),
        "measured": len(gaps),
        "shortfalls": len(shortfalls),
        "text": f"{touchpoint} · {kind}: {said}",
    }


def gap_map(report: GapReport, touchpoints: Sequence[str] = ()) -> dict[str, Any] | None:
    """Touchpoint x gap kind: the largest significant shortfall (effect size) of each cell. Every
    touchpoint given (the configured ones) has a row, measured or not; None when no gap was measured."""
    if not report.gaps:
        return None
    rows = _touchpoints(report, list(touchpoints))
    cells = [
        _cell(tp, kind, [g for g in report.gaps if g.kind == kind and (g.touchpoint or "overall") == tp])
        for tp in rows
        for kind in GAP_KINDS
    ]
    frame = pd.DataFrame(cells)
    base = alt.Chart(frame).encode(
        x=alt.X("gap:N", sort=list(GAP_KINDS), title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("touchpoint:N", sort=rows, title=None),
    )
    colour = alt.Color(
        "status:N",
        scale=alt.Scale(domain=LEGEND, range=[FILLS[name] for name in LEGEND]),
        title="largest shortfall (effect size)",
        legend=alt.Legend(orient="bottom", columns=3, symbolStrokeColor="#767676"),
    )
    rects = base.mark_rect(stroke="#767676", strokeWidth=0.5).encode(color=colour, description="text:N")
    labels = base.mark_text(fontSize=12, aria=False).encode(
        text="label:N", color=alt.Color("ink:N", scale=None, legend=None)
    )
    table = [
        [c["touchpoint"], c["gap"], number(c["size"], 2), c["status"], c["measured"], c["shortfalls"]]
        for c in cells
    ]
    columns = ["touchpoint", "gap", "largest shortfall (effect size)", "size", "gaps measured", "shortfalls"]
    return finish(
        (rects + labels).properties(width=600, height=34 * len(rows)),
        "Gap map: where the shortfalls are",
        columns,
        table,
        subtitle="largest significant shortfall of each touchpoint and gap, as an effect size",
    )
