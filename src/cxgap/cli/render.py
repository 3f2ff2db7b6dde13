"""Rich renderings of library results (no computation beyond formatting)."""

from __future__ import annotations

import sqlalchemy as sa
from rich.table import Table

from cxgap.gaps import GapReport, describe, figure, headline_sentence
from cxgap.io import ImportSummary
from cxgap.store import Store
from cxgap.store.models import table_of


def import_table(summary: ImportSummary) -> Table:
    """One import's reconciliation and its first quarantined rows."""
    table = Table(title=f"{summary.source} -> {summary.table}", show_header=False)
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
    table.add_row("batch", summary.batch_id)
    if summary.unused_columns:
        shown = ", ".join(summary.unused_columns[:8]) + (" ..." if len(summary.unused_columns) > 8 else "")
        table.add_row("not imported", shown)
    for problem in summary.problems[:5]:
        table.add_row(f"{summary.unit} {problem.row}", problem.reason)
    return table


def counts_table(counts: dict[str, int]) -> Table:
    """Rows per table."""
    table = Table("table", "rows")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    return table


def batches_table(store: Store, limit: int = 10) -> Table:
    """The latest import batches."""
    batches = table_of("import_batches")
    query = sa.select(batches).order_by(batches.c.finished_at.desc()).limit(limit)
    table = Table(
        "finished", "table", "source", "read", "loaded", "present", "quarantined", title="latest batches"
    )
    with store.engine.connect() as conn:
        for row in conn.execute(query).mappings():
            table.add_row(
                f"{row['finished_at']:%Y-%m-%d %H:%M}",
                row["table_name"],
                row["source"],
                f"{row['rows_read']:,}",
                f"{row['rows_loaded']:,}",
                f"{row['rows_existing']:,}",
                f"{row['rows_quarantined']:,}",
            )
    return table


def act_first_table(report: GapReport, limit: int = 10) -> Table:
    """The significant shortfalls, highest priority (size x reach) first."""
    table = Table("#", "gap", "where", "finding", "figure [95% interval]", "q", title="Where to act first")
    for rank, gap in enumerate(report.act_first(limit), 1):
        table.add_row(
            str(rank), gap.kind, gap.touchpoint or "overall", describe(gap), figure(gap), f"{gap.q_value:.1g}"
        )
    return table


def six_gaps_table(report: GapReport) -> Table:
    """All six gaps: the worst shortfall of each, or the data that would measure it."""
    table = Table("gap", "shortfalls", "worst (or what is missing)", title="The six gaps")
    for s in report.summary():
        if s.worst is not None:
            text = f"{describe(s.worst)} {figure(s.worst)}"
            if s.needs:
                text += f"\nAlso missing: {'; '.join(s.needs)}."
        elif s.measured:
            text = "No significant shortfall." + (f"\nMissing: {'; '.join(s.needs)}." if s.needs else "")
        else:
            text = (
                "[yellow]Not measured[/]: needs " + "; ".join(s.needs) + "." if s.needs else "Not measured."
            )
        table.add_row(s.kind, f"{s.shortfalls} of {s.measured}", text)
    return table


def headline_text(report: GapReport) -> str:
    """The perception headline, or why it is absent."""
    if report.headline is None:
        return "Perception headline: needs leaders' 'superior?' answers (beliefs) and customers' (responses.superior)."
    return "[bold]Perception headline:[/] " + headline_sentence(report.headline)
