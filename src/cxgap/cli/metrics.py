"""`cxgap metrics`: NPS, CSAT and CES (and their top-box shares) by any grouping, every cell with n and its
interval, for the whole store or a slice: the figures `/api/scores` serves, as the same JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgap.config import Settings, load_settings
from cxgap.metrics import GROUPINGS, METRICS
from cxgap.store import Store

from .app import (
    ChannelOption,
    ConfigOption,
    SegmentOption,
    SinceOption,
    TouchpointOption,
    UntilOption,
    app,
    user_errors,
)
from .output import Format, JsonOption, chosen, emit, format_option

if TYPE_CHECKING:
    from cxgap.engine import Filters
    from cxgap.metrics import ScoreTable

TITLES = {
    "nps": "NPS",
    "csat": "CSAT 1-5",
    "csat_top2": "CSAT top-2 box (4-5)",
    "ces": "CES 1-7 (7 = very easy)",
    "ces_easy": "CES easy share (5-7)",
}


@app.command()
@user_errors
def metrics(
    metric: Annotated[str, typer.Option(help=f"One of {', '.join(METRICS)}.")] = "nps",
    by: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated groupings from {', '.join(GROUPINGS)} (survey kinds are always kept apart)."
        ),
    ] = "",
    period: Annotated[
        str, typer.Option(help="What --by period groups by: month, quarter or year.")
    ] = "month",
    since: SinceOption = None,
    until: UntilOption = None,
    segment: SegmentOption = None,
    channel: ChannelOption = None,
    touchpoint: TouchpointOption = None,
    fmt: Annotated[Format, format_option("one row per group")] = Format.table,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """A CX metric by any grouping: each group with n and its interval, or insufficient data below
    analysis.min_n answers; for the whole store or a slice (the same figures and JSON as /api/scores)."""
    from cxgap.engine import Filters
    from cxgap.plain import score_table_json  # the API's own JSON of a score table, so both say the same

    settings = load_settings(config)
    keys = tuple(b.strip() for b in by.split(",") if b.strip())
    table = score_table(settings, metric, keys, period, Filters(since, until, segment, channel, touchpoint))
    shown = score_table_json(table)
    emit(chosen(fmt, as_json), shown, lambda: [_table(table, settings)], table.to_frame)


def score_table(
    settings: Settings, metric: str, by: tuple[str, ...], period: str, slice_: Filters
) -> ScoreTable:
    """The metric by `by` on the slice (checked against the values the store holds), on the engine
    `[engine]` names, with the analysis settings' minimum n and confidence."""
    from cxgap.engine import engine_for
    from cxgap.engine.filters import checked
    from cxgap.metrics import score

    a = settings.analysis
    with Store(settings.store.url) as store:
        engine = engine_for(store, settings)
        try:
            chosen_slice = checked(slice_, engine, settings.touchpoints)
            return score(
                engine,
                metric,
                by,
                min_n=a.min_n,
                confidence=a.confidence,
                period=period,
                filters=chosen_slice,
            )
        finally:
            engine.close()


def _table(table: ScoreTable, settings: Settings) -> Table | Text:
    """Each group's keys and its figure (value [interval], n), or insufficient data below min_n."""
    title = TITLES.get(table.metric, table.metric)
    keys = list(dict.fromkeys(("survey_kind", *table.by)))
    if not table.scores:
        return Text(f"{title}: no answers in this slice.")
    shown = Table(*keys, f"value [{settings.analysis.confidence:.0%} interval], n", title=title)
    for s in table.scores:
        shown.add_row(*(Text(_key(s.group.get(k))) for k in keys), Text(s.figure()))
    shown.caption = f"Below {table.min_n} answers a score reads 'insufficient data' (analysis.min_n)."
    return shown


def _key(value: object) -> str:
    """A group's key as people read it: a period as its first day, a missing key as '(none)'."""
    if value is None or value != value:  # None, NaN
        return "(none)"
    return f"{value:%Y-%m-%d}" if hasattr(value, "strftime") else str(value)
