"""`cxgap analyze` and `cxgap report`: the six gaps, the scores and where to act first, printed or as
the HTML report."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import RenderableType

from cxgap.config import Settings, load_settings

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
from .output import Format, JsonOption, chosen, emit, err, format_option, out
from .render import headline_text, six_gaps_table

if TYPE_CHECKING:
    from cxgap.engine import Filters
    from cxgap.gaps import GapReport
    from cxgap.metrics import Score
    from cxgap.surveys.weighted import WeightedScores

    from .slices import Listing


class GapKind(enum.StrEnum):
    """A gap kind `--kind` narrows the lists to (the same as cxgap.gaps.GAP_KINDS; a test holds them equal)."""

    perception = "perception"
    knowledge = "knowledge"
    design = "design"
    implementation = "implementation"
    communication = "communication"
    customer = "customer"


class Rank(enum.StrEnum):
    """How `--rank` orders the gaps (the same as cxgap.gaps.RANKS; see Gap.rank_key)."""

    effect = "effect"
    shortfall = "shortfall"


@app.command()
@user_errors
def analyze(
    top: Annotated[int, typer.Option(help="How many gaps to list under 'where to act first'.", min=1)] = 10,
    every: Annotated[
        bool,
        typer.Option(
            "--all",
            help="List every gap instead of where to act first: every kind, touchpoint, segment and item "
            "(per-item P - E even inside a dimension), each with its verdict.",
        ),
    ] = False,
    kind: Annotated[
        GapKind | None, typer.Option("--kind", help="Only gaps of this kind (the lists; the six gaps stay).")
    ] = None,
    rank: Annotated[
        Rank,
        typer.Option(
            "--rank",
            help="effect: by effect size (shortfall / SD) x reach; shortfall: by the shortfall in scale points.",
        ),
    ] = Rank.effect,
    since: SinceOption = None,
    until: UntilOption = None,
    segment: SegmentOption = None,
    channel: ChannelOption = None,
    touchpoint: TouchpointOption = None,
    fmt: Annotated[
        Format, format_option("the gaps listed, one row each; the scores on stderr")
    ] = Format.table,
    as_json: JsonOption = False,
    weighted: Annotated[
        bool,
        typer.Option(
            "--weighted",
            help="Also show NPS, CSAT and CES weighted to the customer base (raking), beside the "
            "unweighted figures, with effective n and design effect.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Measure all six gaps and print the scores per survey kind and where to act first (significance
    corrected across every test; the ranking rule said), or every gap with --all, for the whole store or a
    slice: the same figures as the dashboard and the report for the same filters."""
    from cxgap.engine import Filters

    from .slices import Listing

    slice_ = Filters(since, until, segment, channel, touchpoint)
    listing = Listing(top, every, str(kind) if kind else None, str(rank))
    print_analysis(load_settings(config), top, slice_, chosen(fmt, as_json), weighted, listing)


@app.command()
@user_errors
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "cxgap-report.html"
    ),
    png_dir: Annotated[
        Path | None, typer.Option("--png-dir", help="Also write each chart as PNG into this folder.")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    segment: SegmentOption = None,
    channel: ChannelOption = None,
    touchpoint: TouchpointOption = None,
    rank: Annotated[
        Rank,
        typer.Option(
            "--rank",
            help="How 'where to act first' is ranked: effect (effect size x reach) or shortfall (scale points).",
        ),
    ] = Rank.effect,
    config: ConfigOption = None,
) -> None:
    """Write the gap report: one self-contained HTML file that opens offline, charts with findings; for
    the whole store or a slice (the same figures as the dashboard for the same filters)."""
    from cxgap.engine import Filters

    slice_ = Filters(since, until, segment, channel, touchpoint)
    write_report(load_settings(config), output, png_dir, slice_, str(rank))


def write_report(
    settings: Settings,
    output: Path,
    png_dir: Path | None,
    slice_: Filters | None = None,
    rank: str = "effect",
) -> None:
    from cxgap.engine import ALL, engine_for
    from cxgap.engine.filters import checked
    from cxgap.report import build_report, write_html
    from cxgap.store import Store

    with Store(settings.store.url) as store:
        engine = engine_for(store, settings)
        chosen = checked(slice_ or ALL, engine, settings.touchpoints)
        with err.status("analysing and drawing charts"):
            report = build_report(engine, settings, chosen, rank)
            written = write_html(report, output, png_dir)
        engine.close()
    charts = sum(1 for section in report.sections if section.spec)
    pngs = (
        f"{charts} chart{'s' if charts != 1 else ''} as PNG in {png_dir}"
        if charts
        else "no chart to save as PNG"
    )
    out.print(f"Report written to {written}" + (f" ({pngs})" if png_dir else "") + ".")


def print_analysis(
    settings: Settings,
    top: int,
    slice_: Filters | None = None,
    fmt: Format = Format.table,
    weighted: bool = False,
    listing: Listing | None = None,
) -> None:
    """Analyse the slice and print it in `fmt`: the scores per survey kind, the perception headline, the
    gaps the listing asks for (where to act first, `top` rows, by default) and the six gaps."""
    from cxgap.engine import ALL, engine_for
    from cxgap.engine.filters import checked
    from cxgap.gaps import analyze as run_analysis
    from cxgap.gaps.scores import headline_of, scores_by_kind
    from cxgap.store import Store
    from cxgap.surveys.weighted import weighted_scores

    from .slices import Listing, analysis_json, gaps_frame, scores_said
    from .weighted import weighted_json

    listing = listing or Listing(top)
    with Store(settings.store.url) as store:
        engine = engine_for(store, settings)
        chosen_slice = checked(slice_ or ALL, engine, settings.touchpoints)
        result = run_analysis(engine, settings, filters=chosen_slice)
        by_kind = scores_by_kind(engine, settings, chosen_slice)
        raked = weighted_scores(engine, settings, chosen_slice) if weighted else None
        engine.close()
    data = analysis_json(result, headline_of(by_kind), chosen_slice, listing, by_kind)
    data |= {"weighted": weighted_json(raked)} if raked else {}
    tables = _tables(result, by_kind, chosen_slice, listing, raked, settings.analysis.min_n)
    frame = gaps_frame(listing.gaps(result))
    unmeasured = [
        f"{s.kind} gap not measured: needs {'; '.join(s.needs)}."
        for s in result.summary(listing.rank)
        if not s.measured and s.needs
    ]
    emit(fmt, data, tables, frame, said=[*scores_said(by_kind), *unmeasured])


def _tables(
    result: GapReport,
    by_kind: tuple[Score, ...],
    slice_: Filters,
    listing: Listing,
    raked: WeightedScores | None,
    min_n: int,
) -> list[RenderableType]:
    """What people read: the slice, the scores, the weighted scores, the headline, the gaps listed and
    the six gaps."""
    from .findings import gaps_table, scores_table
    from .weighted import weighted_notes, weighted_table

    shown: list[Any] = [f"Slice: {slice_.describe()}."] if slice_.active else []
    shown.append(scores_table(by_kind, min_n))
    if raked:
        shown += [weighted_table(raked), *weighted_notes(raked)]
    return [*shown, headline_text(result), gaps_table(result, listing), six_gaps_table(result, listing.rank)]
