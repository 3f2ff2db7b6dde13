"""Rich renderings of library results (no computation beyond formatting)."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the analytics load with the command that renders them, not with every command
    from cxgap.drivers import DriverReport
    from cxgap.experiments import ExperimentResult, SampleSize
    from cxgap.gaps import GapReport
    from cxgap.impact.exposure import Exposure
    from cxgap.io import ImportSummary
    from cxgap.text.service import TextReport


def cell(value: object) -> str:
    """A table cell from a value read from a frame or a row: blank for a missing value (None, NaN, NaT),
    which rich cannot render and which a reader should not see as 'nan'."""
    import pandas as pd

    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def import_table(summary: ImportSummary) -> Table:
    """One import's reconciliation and its first quarantined rows."""
    table = Table(title=f"{summary.source} -> {summary.table}", show_header=False)
    if summary.unit != "record":  # Parquet has records, not lines
        skipped = f" ({summary.lines_skipped:,} header or blank)" if summary.lines_skipped else ""
        table.add_row("lines read", f"{summary.lines_read:,}{skipped}")
    table.add_row("read", f"{summary.rows_read:,}")
    table.add_row(
        "loaded",
        f"{summary.rows_loaded:,}"
        + (f" ({summary.rows_replaced:,} replaced)" if summary.rows_replaced else ""),
    )
    table.add_row("already present", f"{summary.rows_existing:,}")
    table.add_row("quarantined", f"{summary.rows_quarantined:,}")
    if summary.items_loaded:
        table.add_row("item ratings", f"{summary.items_loaded:,}")
    if summary.redacted:
        table.add_row("redacted", ", ".join(f"{n:,} {kind}" for kind, n in summary.redacted.items()))
    table.add_row("batch", summary.batch_id)
    if summary.unused_columns:
        shown = ", ".join(summary.unused_columns)
        table.add_row("not imported", shown)
    for problem in summary.problems[:5]:
        span = f"-{problem.end}" if problem.end > problem.row else ""
        table.add_row(f"{summary.unit} {problem.row}{span}", problem.reason)
    if (more := summary.rows_quarantined - len(summary.problems[:5])) > 0:
        table.add_row("", f"... and {more:,} more {summary.unit}{'s' if more != 1 else ''} quarantined")
    return table


def counts_table(counts: dict[str, int]) -> Table:
    """Rows per table."""
    table = Table("table", "rows")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    return table


SHOWN_ID = 12  # characters of a batch id shown: enough to tell batches apart (`cxgap batches remove`)


def batches_table(batches: list[dict[str, Any]]) -> Table:
    """The latest import batches (`Store.latest_batches`), each with the start of its id, which `cxgap
    batches remove` takes; a batch taken back out says when (a column shown once there is one)."""
    removals = any(row.get("removed_at") for row in batches)
    table = Table("finished", title="latest batches")
    table.add_column("batch", no_wrap=True, min_width=SHOWN_ID)  # as `cxgap batches remove` takes it
    for name in ("table", "source", "read", "loaded", "present", "quarantined"):
        table.add_column(name)
    if removals:
        table.add_column("removed")
    for row in batches:
        removed = _moment(row.get("removed_at"))
        table.add_row(
            f"{_moment(row['finished_at']):%Y-%m-%d %H:%M}",
            row["batch_id"][:SHOWN_ID],
            row["table_name"],
            row["source"],
            f"{row['rows_read']:,}",
            f"{row['rows_loaded']:,}",
            f"{row['rows_existing']:,}",
            f"{row['rows_quarantined']:,}",
            *([f"{removed:%Y-%m-%d %H:%M}" if removed else ""] if removals else []),
        )
    return table


def _moment(value: object) -> dt.datetime | None:
    """A time as the store gives it, or as a server sends it (ISO text)."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value if isinstance(value, dt.datetime) else None


def six_gaps_table(report: GapReport, rank: str = "effect") -> Table:
    """All six gaps: the worst shortfall of each by `rank` (effect size x reach, or the shortfall in scale
    points), or the data that would measure it (user text as written, never read as markup)."""
    from cxgap.gaps import describe, figure

    worst = "worst by shortfall in points" if rank == "shortfall" else "worst by effect size x reach"
    table = Table("gap", "shortfalls", f"{worst} (or what is missing)", title="The six gaps")
    for s in report.summary(rank):
        if s.worst is not None:
            text = Text(f"{describe(s.worst)} {figure(s.worst)}")
            if s.needs:
                text.append(f"\nAlso missing: {'; '.join(s.needs)}.")
        elif s.measured:
            text = Text(
                "No significant shortfall." + (f"\nMissing: {'; '.join(s.needs)}." if s.needs else "")
            )
        elif s.needs:
            text = Text.assemble(("Not measured", "yellow"), ": needs " + "; ".join(s.needs) + ".")
        else:
            text = Text("Not measured.")
        table.add_row(s.kind, f"{s.shortfalls} of {s.measured}", text)
    return table


def headline_text(report: GapReport) -> Text:
    """The perception headline, or why it is absent."""
    from cxgap.gaps import headline_sentence

    if report.headline is None:
        return Text(
            "Perception headline: needs leaders' 'superior?' answers (beliefs) and customers' (responses.superior)."
        )
    return Text.assemble(("Perception headline: ", "bold"), headline_sentence(report.headline))


def _interval(value: float, low: float, high: float, fmt: str = ".2f") -> str:
    return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def _known(value: float, low: float, high: float, fmt: str = ".2f") -> str:
    """An estimate with its interval; blank when there is none (a driver that is no rating)."""
    if math.isnan(value):
        return ""
    return f"{value:{fmt}}" if math.isnan(low) else _interval(value, low, high, fmt)


def driver_table(report: DriverReport) -> Table | str:
    """Drivers by importance with their direction (correlation r), Shapley values, and performance with its
    quadrant where they apply; negative drivers said in words under the table. Without any driver, the
    sentence saying why (which answers are missing) instead of an empty table."""
    from cxgap.drivers import OUTCOMES

    if not report.drivers:
        outcome = OUTCOMES.get(report.outcome, report.outcome)
        return (
            f"Key drivers of {outcome} ({report.level}): "
            + "; ".join(report.notes or ("not measured",))
            + "."
        )
    title = (
        f"Key drivers of {OUTCOMES.get(report.outcome, report.outcome)} ({report.level}); R² = "
        f"{_interval(report.r_squared, report.r_squared_low, report.r_squared_high)}, n = {report.rows:,}"
    )
    rated = any(d.has_performance for d in report.drivers)
    columns = ["driver", "direction (r)", "importance", "Shapley R²"]
    columns += [f"performance ({report.scale}), quadrant" if report.scale else "performance"] if rated else []
    table = Table(*columns, title=title)
    for d in report.ranked():
        row = [
            d.name if d.group == d.name else f"{d.name} ({d.group})",
            _known(d.correlation, d.correlation_low, d.correlation_high, "+.2f")
            + (" (mixed)" if d.direction == "mixed" else ""),
            _known(d.share, d.share_low, d.share_high, ".0%"),
            _known(d.shapley, d.shapley_low, d.shapley_high, ".3f"),
        ]
        rating = _known(d.performance, d.performance_low, d.performance_high)
        table.add_row(*row, *([f"{rating}\n{d.quadrant}".strip()] if rated else []))
    table.columns[0].overflow = "fold"  # a long driver name wraps instead of being cut short
    against = [f"- {words}" for words in report.against()]
    lines = (["Read the signs:", *against] if against else []) + [f"Note: {note}." for note in report.notes]
    table.caption, table.caption_justify = "\n".join(lines) or None, "left"
    return table


def experiment_table(result: ExperimentResult) -> Table:
    """Both arms, the difference and the decision."""
    table = Table("", "estimate [interval]", "n", title=f"{result.metric}: {result.design}")
    for label, e in (("control", result.control), ("treatment", result.treatment)):
        table.add_row(label, _interval(e.value, e.low, e.high, ".3g"), f"{e.n:,}")
    d = result.difference
    table.add_row("difference", _interval(d.value, d.low, d.high, "+.3g") + f" p={d.p_value:.2g}", "")
    table.caption = f"Decision: {result.decision} ({result.reason})."
    return table


def sample_size_table(size: SampleSize) -> Table:
    """Answers per arm and in all."""
    table = Table(show_header=False, title="Sample size")
    table.add_row("to detect", f"{size.effect:g}")
    table.add_row("per arm", f"{size.per_arm:,}")
    table.add_row("in all", f"{size.total:,}")
    table.add_row("power / alpha", f"{size.power:.0%} / {size.alpha:g} (two-sided)")
    return table


def exposure_table(exposures: list[Exposure], outcome: str, currency: str) -> Table:
    """Outcome rate of exposed vs other customers, and the yearly revenue at stake (in `currency`) where
    revenue is known (without it the column is left out and the caption says so)."""
    money = any(math.isfinite(e.revenue_at_stake) for e in exposures)
    columns = ["exposed to", "customers", outcome, "others", "difference"]
    columns += [f"yearly revenue at stake ({currency})"] if money else []
    table = Table(*columns, title=f"Gap exposure and {outcome}")
    for e in exposures:
        d = e.difference
        row = [
            e.label,
            f"{e.exposed.n:,}",
            _known(e.exposed.value, e.exposed.low, e.exposed.high, ".1%"),
            _known(e.others.value, e.others.low, e.others.high, ".1%"),
            _known(d.value, d.low, d.high, "+.1%"),
        ]
        row += [_known(e.revenue_at_stake, e.revenue_low, e.revenue_high, ",.0f")] if money else []
        table.add_row(*row)
    table.columns[0].overflow = "fold"  # a long driver name wraps instead of being cut short
    if not money:
        table.caption = "no revenue per customer is known, so no revenue at stake"
    return table


def text_tables(report: TextReport) -> list[Table]:
    """Themes with their NPS impact, emerging-issue alerts and discovered topics; a table with nothing
    in it is left out (the report's notes say what it needs)."""
    mood = report.sentiment
    caption = f"{report.texts:,} texts; sentiment: {mood.mode}"
    if mood.evaluation:
        caption += f"\n{mood.evaluation.sentence()}"  # n, intervals and what it is compared with
    if report.themes:
        caption += f"\n{report.assignment.sentence()}"
    themes = Table(
        "theme",
        "touchpoint",
        "texts",
        "negative",
        "NPS of those who raise it vs others",
        "example",
        title="Themes",
        caption=caption,
    )
    themes.columns[0].overflow = "fold"  # theme names must stay readable in a narrow terminal
    for t in sorted(report.themes, key=lambda t: -t.texts):
        impact = t.nps_impact
        themes.add_row(
            t.theme,
            t.touchpoint or "",
            f"{t.texts:,} ({t.share:.0%})",
            f"{t.negative:.0%}" if t.texts else "",
            f"{impact.value:+.0f} [{impact.low:+.0f}, {impact.high:+.0f}] q={t.q_value:.2g}"
            if impact
            else "too few authors",
            t.examples[0][:80] if t.examples else "",
        )
    if not report.themes:  # still shown: its caption says how many texts and how sentiment was read
        themes.add_row("(none configured: see below)", "", "", "", "", "")
    watched = report.watch  # how the check ran: the caption, or the row when nothing rose
    scope = watched.sentence() if watched and report.alerts else None
    alerts = Table("emerging issue", title="Emerging issues", caption=scope)
    for a in report.alerts:
        alerts.add_row(a.sentence())
    if not report.alerts and report.alerts_checked:  # unchecked: left out, the notes say what it needs
        alerts.add_row(watched.sentence() if watched else "None: no theme rose beyond its usual variation.")
    tables = [table for table in (themes, alerts) if table.row_count and report.texts]
    if report.discovered is not None:
        found = Table(
            "discovered topic (distinctive words)",
            "texts",
            "most typical text",
            title="Topics found without configuration"
            + ("" if report.themes else " (proposed as themes below)"),
        )
        for row in report.discovered.to_frame().head(12).itertuples():
            found.add_row(str(row.topic), f"{row.texts:,}", str(row.examples).split(" | ")[0][:80])
        tables.append(found)
    return tables
