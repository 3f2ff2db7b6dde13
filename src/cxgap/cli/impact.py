"""`cxgap impact`: what closing each gap is worth, every money figure in the `[company] currency`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxgap.config import load_settings

from .app import ConfigOption, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option, notes

if TYPE_CHECKING:
    from cxgap.impact import Exposure, ImpactReport


def _share(value: float, low: float, high: float, sign: str = "") -> str:
    if math.isnan(value):
        return ""
    return f"{value:{sign}.1%}" + ("" if math.isnan(low) else f" [{low:{sign}.1%}, {high:{sign}.1%}]")


def _exposure_table(exposures: list[Exposure], currency: str) -> Table:
    """Churn of customers who met a failure against the touchpoint's others, and the revenue at stake."""
    from cxgap.report.money import money_interval  # with the command, not at start-up: cxgap.report is big

    known = any(math.isfinite(e.revenue_at_stake) for e in exposures)
    columns = ["exposed to", "customers", "churn", "others", "difference"]
    table = Table(*columns, *(["yearly revenue at stake"] if known else []), title="Gap exposure and churn")
    for e in exposures:
        d = e.difference
        row = [e.label, f"{e.exposed.n:,}", _share(e.exposed.value, e.exposed.low, e.exposed.high)]
        row += [_share(e.others.value, e.others.low, e.others.high), _share(d.value, d.low, d.high, "+")]
        at_stake = money_interval(e.revenue_at_stake, e.revenue_low, e.revenue_high, currency)
        table.add_row(*row, *([at_stake] if known else []))
    table.columns[0].overflow = "fold"
    if not known:
        table.caption = "no revenue per customer is known, so no revenue at stake"
    return table


def impact_tables(report: ImpactReport, currency: str) -> list[Table]:
    """Outcomes by NPS group, exposure, then the yearly values, money in `currency`; a part with nothing
    in it is left out (the report's notes say what it needs)."""
    from cxgap.report.money import money_interval

    link = report.linkage
    growth = f"revenue growth {link.periods[0]} -> {link.periods[1]}" if link.periods else "revenue growth"
    groups = Table("NPS group", "customers", "churn", "yearly revenue", growth, title="Outcomes by NPS group")
    for g in link.groups:
        groups.add_row(
            g.group,
            f"{g.customers:,}",
            _share(g.churn.value, g.churn.low, g.churn.high),
            money_interval(g.revenue.value, g.revenue.low, g.revenue.high, currency),
            f"{_share(g.growth.value, g.growth.low, g.growth.high, '+')} (n={g.growth.n:,})",
        )
    values = Table(
        "what", "yearly value [interval]", "chain", title="What it is worth (if the links are causal)"
    )
    for v in report.values.values:
        values.add_row(v.what, money_interval(v.value, v.low, v.high, currency), v.chain)
    tables = [groups, values]
    if report.exposures:
        tables.insert(1, _exposure_table(list(report.exposures), currency))
    return [table for table in tables if table.row_count]


@app.command()
@user_errors
def impact(
    share: Annotated[
        float, typer.Option(help="Share of detractors moved to passive.", min=0.0, max=1.0)
    ] = 0.10,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("the yearly values, one row each")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Churn, revenue and growth by NPS group; the yearly value of moving detractors and of closing each gap."""
    fmt = chosen(fmt, as_json)
    from cxgap.engine import engine_for
    from cxgap.gaps import analyze
    from cxgap.impact import impact as run_impact
    from cxgap.store import Store

    settings = load_settings(config)
    with Store(settings.store.url) as store:
        engine = engine_for(store, settings)
        result = run_impact(engine, settings, analyze(engine, settings), share)
    currency = settings.company.currency
    emit(fmt, result, lambda: [*impact_tables(result, currency), *notes(result.notes)], said=result.notes)
