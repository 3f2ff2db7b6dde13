"""`cxgap journeys`: where journeys break (incident load, damage, fall-out points, channel switches)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgap.config import load_settings

from .app import ConfigOption, _store, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option, notes, plain_data, styled
from .render import _interval

if TYPE_CHECKING:
    from cxgap.journeys import CustomerJourney, JourneyReport
    from cxgap.stats import Difference, Estimate


def _ci(e: Estimate | Difference, fmt: str = ".2f") -> str:
    return _interval(e.value, e.low, e.high, fmt)


def journey_tables(report: JourneyReport) -> list[Table]:
    """The journey report as terminal tables (formatting only)."""
    load = Table(title="Incidents per customer journey")
    for column in ("customers", "n", "mean", "none", "one", "two", "three or more"):
        load.add_column(column)
    for g in report.load:
        shares = [f"{g.shares[b].value:.0%}" for b in ("0", "1", "2", "3+")]
        load.add_row(g.group, f"{g.customers:,}", _ci(g.mean), *shares)
    s = report.synergy
    damage = Table(title=f"Damage to {s.outcome} (points; n = {s.n:,})")
    damage.add_column("incident")
    damage.add_column("damage [95% CI]")
    for name, e in s.single.items():
        damage.add_row(name, _ci(e))
    if s.per_extra_incident is not None:
        damage.add_row(styled("each incident beyond the first", "bold"), _ci(s.per_extra_incident))
    else:
        damage.add_row("each incident beyond the first", s.status)
    upstream = Table(
        title="Upstream causes: an earlier failure raises the chance of a later one (BH q <= 0.05)"
    )
    for column in ("upstream -> downstream", "fails after upstream failure", "otherwise", "rise [CI]", "q"):
        upstream.add_column(column)
    for u in report.top_upstream(10):
        upstream.add_row(
            f"{u.upstream} -> {u.downstream}",
            _ci(u.after_failure, ".1%"),
            _ci(u.otherwise, ".1%"),
            _ci(u.difference, "+.1%"),
            f"{u.q_value:.2g}",
        )
    channels = Table(title="Same need, online vs offline: share resolved (significant after BH)")
    for column in ("touchpoint: reason", "online", "offline", "difference [CI]"):
        channels.add_column(column)
    for c in (c for c in report.channels if c.significant):
        channels.add_row(
            f"{c.touchpoint}: {c.reason}",
            _ci(c.online, ".0%"),
            _ci(c.offline, ".0%"),
            _ci(c.difference, "+.1%"),
        )
    repeats = Table(title="Asked the same again (next contact about the same reason within the window)")
    for column in ("touchpoint", "contacts", "asked again", "after unresolved", "after resolved"):
        repeats.add_column(column)
    for r in report.repeats:
        repeats.add_row(
            r.touchpoint,
            f"{r.contacts:,}",
            _ci(r.asked_again, ".1%"),
            _ci(r.after_unresolved, ".1%"),
            _ci(r.after_resolved, ".1%"),
        )
    return [load, damage, upstream, channels, repeats]


@app.command()
@user_errors
def journeys(
    customer: Annotated[str | None, typer.Option(help="Show this customer's journey, step by step.")] = None,
    config: ConfigOption = None,
    fmt: Annotated[
        Format, format_option("one row per measure (with --customer, one row per event)")
    ] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Critical incidents across the journey: how many, how they compound, which upstream failure causes
    a downstream one, online vs offline outcomes, and customers asking the same again."""
    fmt = chosen(fmt, as_json)
    from cxgap.engine import engine_for
    from cxgap.journeys import analyze_journeys, customer_journey

    settings = load_settings(config)
    if customer is not None:
        with _store(config) as store:
            journey = customer_journey(engine_for(store, settings), settings, customer)
        shown = plain_data(journey) | {"incident_count": journey.incidents}  # as /api/journeys/customers/ID
        emit(fmt, shown, lambda: [_journey_table(journey)], journey.to_frame)
        return
    with _store(config) as store:
        report = analyze_journeys(engine_for(store, settings), settings)
    tables = journey_tables(report) if report.measured else []
    emit(fmt, report, lambda: [*tables, *notes(report.notes)], said=report.notes)


def _journey_table(journey: CustomerJourney) -> Table:
    """One customer's events, oldest first, their incidents in red."""
    table = Table(title=f"The journey of {journey.customer_id} ({journey.incidents} incidents)")
    for column in ("when", "what", "touchpoint", "channel", "incident"):
        table.add_column(column, overflow="fold")
    for e in journey.events:
        flag = Text(", ".join(e.incidents), style="red")
        table.add_row(f"{e.at:%Y-%m-%d %H:%M}", e.what, e.touchpoint or "", e.channel or "", flag)
    return table
