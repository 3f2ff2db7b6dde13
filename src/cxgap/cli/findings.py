"""The tables `cxgap analyze` prints for people: the scores per survey kind, and the gaps listed (where to
act first, or every gap) with the rule they are ranked by. Formatting only; user text (touchpoints, items,
segments) is never read as markup."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from cxgap.gaps import Gap, GapReport, describe, figure, q_text, ranking_sentence
from cxgap.metrics import Score

from .slices import NAMES, Listing

VERDICTS = {"worse": "shortfall", "better": "better than needed", "none": "no clear gap"}


def scores_table(scores: tuple[Score, ...], min_n: int) -> Table | Text:
    """NPS, CSAT and CES per survey kind, each with its 95% interval and n, or insufficient data below
    `min_n` answers; without any answer, the sentence saying so."""
    if not scores:
        return Text("Scores: no NPS, CSAT or CES answers in this slice.")
    table = Table("score", "survey kind", "value [95% interval], n", title="Scores")
    for s in scores:
        table.add_row(Text(NAMES[s.metric]), Text(str(s.group.get("survey_kind"))), Text(s.figure()))
    table.caption = f"Below {min_n} answers a score reads 'insufficient data' (analysis.min_n)."
    return table


def _where(gap: Gap) -> str:
    """Where a gap is: its touchpoint (or overall), and its segment."""
    where = gap.touchpoint or "overall"
    return f"{where} ({gap.segment})" if gap.segment else where


def _verdict(gap: Gap) -> str:
    """A gap's verdict after correction: a shortfall, better than needed, or no clear gap."""
    if not (gap.significant or gap.q_value != gap.q_value):  # NaN q: fixed values, no test
        return "no clear gap"
    return VERDICTS[gap.direction]


def gaps_table(report: GapReport, listing: Listing) -> Group | Text:
    """The gaps the listing shows (where to act first, or every gap), numbered in ranking order, with the
    ranking rule and the corrections said under it; when there is nothing to list, the sentence saying
    why instead of an empty table."""
    gaps = listing.gaps(report)
    kind = f"{listing.kind} " if listing.kind else ""
    title = (
        f"Every {kind}gap"
        if listing.every
        else f"Where to act first{f' ({kind.strip()} gaps)' if kind else ''}"
    )
    if not gaps:
        why = report.nothing_to_act_on() if not listing.kind else None
        return Text.assemble((title, "bold"), "\n", why or f"No {kind}gap to list in this slice.")
    columns = ["#", "gap", "where", "finding", "figure [95% interval]", "n", "q"]
    table = Table(*columns, *(["verdict"] if listing.every else []), title=title)
    for rank, gap in enumerate(gaps, 1):
        q = q_text(gap.q_value) or "fixed"
        row = [str(rank), gap.kind, _where(gap), describe(gap), figure(gap), f"{gap.n:,}", q]
        table.add_row(*(Text(cell) for cell in row), *([Text(_verdict(gap))] if listing.every else []))
    return Group(
        table, Text(_caption(report, gaps, listing))
    )  # below, not a caption: never wrapped to the table


def _caption(report: GapReport, gaps: list[Gap], listing: Listing) -> str:
    """How the list is ordered and corrected, and what it leaves out, in sentences."""
    lines = [ranking_sentence(listing.rank)]
    if not listing.every:
        lines.append(
            "The top shortfall of each gap kind and touchpoint comes first, then the other significant "
            "shortfalls; --all lists every gap."
        )
    if any(g.dimension for g in gaps):
        lines.append(
            "Per-item gaps (item of a dimension) are corrected together as a family of their own "
            f"(Benjamini-Hochberg, q <= {report.alpha:g}); the others across every test of the run."
        )
    if listing.every:
        lines += [
            f"Insufficient data: {m.needs}." for m in report.items_thin if listing.kind in (None, m.kind)
        ]
    return "\n".join(lines)
