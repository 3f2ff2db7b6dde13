"""Rich renderings of library results (no computation beyond formatting)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from rich.table import Table

from cxgap.drivers import OUTCOMES, DriverReport
from cxgap.experiments import ExperimentResult, SampleSize
from cxgap.gaps import GapReport, describe, figure, headline_sentence
from cxgap.impact import ImpactReport
from cxgap.impact.exposure import Exposure
from cxgap.io import ImportSummary
from cxgap.text.service import TextReport


def cell(value: object) -> str:
    """A table cell from a value read from a frame or a row: blank for a missing value (None, NaN, NaT),
    which rich cannot render and which a reader should not see as 'nan'."""
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
        shown = ", ".join(summary.unused_columns[:8]) + (" ..." if len(summary.unused_columns) > 8 else "")
        table.add_row("not imported", shown)
    for problem in summary.problems[:5]:
        span = f"-{problem.end}" if problem.end > problem.row else ""
        table.add_row(f"{summary.unit} {problem.row}{span}", problem.reason)
    return table


def counts_table(counts: dict[str, int]) -> Table:
    """Rows per table."""
    table = Table("table", "rows")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    return table


def batches_table(batches: list[dict[str, Any]]) -> Table:
    """The latest import batches (`Store.latest_batches`)."""
    table = Table(
        "finished", "table", "source", "read", "loaded", "present", "quarantined", title="latest batches"
    )
    for row in batches:
        finished = row["finished_at"]
        if isinstance(finished, str):  # as a server sends it
            finished = dt.datetime.fromisoformat(finished)
        table.add_row(
            f"{finished:%Y-%m-%d %H:%M}",
            row["table_name"],
            row["source"],
            f"{row['rows_read']:,}",
            f"{row['rows_loaded']:,}",
            f"{row['rows_existing']:,}",
            f"{row['rows_quarantined']:,}",
        )
    return table


def act_first_table(report: GapReport, limit: int = 10) -> Table | str:
    """The significant shortfalls, highest priority (size x reach) first; when there are none, the
    sentence saying why (no gap measured, or none a significant shortfall) instead of an empty table."""
    why = report.nothing_to_act_on()
    if why is not None:
        return f"[bold]Where to act first[/]\n{why}"
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


def _interval(value: float, low: float, high: float, fmt: str = ".2f") -> str:
    return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def driver_table(report: DriverReport) -> Table | str:
    """Drivers by importance with both methods' intervals, performance and quadrant; without any driver,
    the sentence saying why (which answers are missing) instead of an empty table."""
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
    table = Table(
        "driver", "importance", "relative weight", "Shapley", "performance", "quadrant", title=title
    )
    for d in report.ranked():
        table.add_row(
            d.name if d.group == d.name else f"{d.name} ({d.group})",
            f"{d.share:.0%} [{d.share_low:.0%}, {d.share_high:.0%}]",
            _interval(d.relative_weight, d.relative_low, d.relative_high, ".3f"),
            _interval(d.shapley, d.shapley_low, d.shapley_high, ".3f"),
            _interval(d.performance, d.performance_low, d.performance_high),
            d.quadrant,
        )
    for note in report.notes:
        table.caption = (table.caption + "; " if table.caption else "") + note
    return table


def impact_tables(report: ImpactReport) -> list[Table]:
    """Outcomes by NPS group, exposure, then the yearly values; a part with nothing in it is left out (the
    report's notes say what it needs)."""
    link = report.linkage
    growth = f"revenue growth {link.periods[0]} -> {link.periods[1]}" if link.periods else "revenue growth"
    groups = Table("NPS group", "customers", "churn", "yearly revenue", growth, title="Outcomes by NPS group")
    for g in link.groups:
        groups.add_row(
            g.group,
            f"{g.customers:,}",
            f"{g.churn.value:.1%} [{g.churn.low:.1%}, {g.churn.high:.1%}]",
            _interval(g.revenue.value, g.revenue.low, g.revenue.high, ",.0f"),
            f"{g.growth.value:+.1%} [{g.growth.low:+.1%}, {g.growth.high:+.1%}] (n={g.growth.n:,})",
        )
    values = Table(
        "what", "yearly value [interval]", "chain", title="What it is worth (if the links are causal)"
    )
    for v in report.values.values:
        values.add_row(v.what, _interval(v.value, v.low, v.high, ",.0f"), v.chain)
    tables = [groups, values]
    if report.exposures:
        tables.insert(1, exposure_table(list(report.exposures), "churn"))
    return [table for table in tables if table.row_count]


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


def exposure_table(exposures: list[Exposure], outcome: str) -> Table:
    """Outcome rate of exposed vs other customers and the yearly revenue at stake."""
    table = Table(
        "exposed to",
        "customers",
        outcome,
        "others",
        "difference",
        "yearly revenue at stake",
        title=f"Gap exposure and {outcome}",
    )
    for e in exposures:
        d = e.difference
        table.add_row(
            e.label,
            f"{e.exposed.n:,}",
            f"{e.exposed.value:.1%} [{e.exposed.low:.1%}, {e.exposed.high:.1%}]",
            f"{e.others.value:.1%} [{e.others.low:.1%}, {e.others.high:.1%}]",
            f"{d.value:+.1%} [{d.low:+.1%}, {d.high:+.1%}]",
            _interval(e.revenue_at_stake, e.revenue_low, e.revenue_high, ",.0f"),
        )
    return table


def text_tables(report: TextReport) -> list[Table]:
    """Themes with their NPS impact, emerging-issue alerts and discovered topics; a table with nothing
    in it is left out (the report's notes say what it needs)."""
    mood = report.sentiment
    caption = f"{report.texts:,} texts; sentiment: {mood.mode}"
    if mood.evaluation:
        e = mood.evaluation
        caption += (
            f" (held out: macro-F1 {e.macro_f1:.2f}, accuracy {e.accuracy:.2f}; lexicon alone "
            f"{e.lexicon_macro_f1:.2f} / {e.lexicon_accuracy:.2f}, n={e.test:,})"
        )
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
    alerts = Table("emerging issue", title="Emerging issues")
    for a in report.alerts:
        alerts.add_row(a.sentence())
    if not report.alerts and report.alerts_checked:
        alerts.add_row("None: no theme rose beyond its usual variation.")
    tables = [table for table in (themes, alerts) if table.row_count and report.texts]
    if report.discovered is not None:
        found = Table(
            "discovered topic (distinctive words)",
            "texts",
            "example",
            title="Topics found without configuration",
        )
        for row in report.discovered.to_frame().head(12).itertuples():
            found.add_row(str(row.topic), f"{row.texts:,}", str(row.examples).split(" | ")[0][:80])
        tables.append(found)
    return tables
