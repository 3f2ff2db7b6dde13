"""`cxgap analyze` and `cxgap report`: the six gaps, the scores and where to act first, printed or as
the HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cxgap.config import Settings, load_settings
from cxgap.store import Store

from .main import (
    ChannelOption,
    ConfigOption,
    SegmentOption,
    SinceOption,
    TouchpointOption,
    UntilOption,
    app,
    user_errors,
)
from .output import err, out
from .render import act_first_table, headline_text, six_gaps_table
from .slices import analysis_json, scores_line

if TYPE_CHECKING:
    from cxgap.engine import Filters


@app.command()
@user_errors
def analyze(
    top: Annotated[int, typer.Option(help="How many gaps to list under 'where to act first'.", min=1)] = 10,
    since: SinceOption = None,
    until: UntilOption = None,
    segment: SegmentOption = None,
    channel: ChannelOption = None,
    touchpoint: TouchpointOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scores, headline and gaps as JSON instead of tables.")
    ] = False,
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
    """Measure all six gaps and print where to act first (significance corrected across every test), for
    the whole store or a slice: the same figures as the dashboard and the report for the same filters."""
    from cxgap.engine import Filters

    slice_ = Filters(since, until, segment, channel, touchpoint)
    print_analysis(load_settings(config), top, slice_, as_json, weighted)


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
    config: ConfigOption = None,
) -> None:
    """Write the gap report: one self-contained HTML file that opens offline, charts with findings; for
    the whole store or a slice (the same figures as the dashboard for the same filters)."""
    from cxgap.engine import Filters

    slice_ = Filters(since, until, segment, channel, touchpoint)
    write_report(load_settings(config), output, png_dir, slice_)


def write_report(
    settings: Settings, output: Path, png_dir: Path | None, slice_: Filters | None = None
) -> None:
    from cxgap.engine import ALL, Engine
    from cxgap.engine.filters import checked
    from cxgap.report import build_report, write_html

    with Store(settings.store.url) as store:
        engine = Engine(store)
        chosen = checked(slice_ or ALL, engine, settings.touchpoints)
        with err.status("analysing and drawing charts"):
            written = write_html(build_report(engine, settings, chosen), output, png_dir)
        engine.close()
    out.print(f"Report written to {written}" + (f" (charts as PNG in {png_dir})" if png_dir else "") + ".")


def print_analysis(
    settings: Settings, top: int, slice_: Filters | None = None, as_json: bool = False, weighted: bool = False
) -> None:
    from cxgap.engine import ALL, Engine
    from cxgap.engine.filters import checked
    from cxgap.gaps import analyze as run_analysis
    from cxgap.gaps.scores import headline_scores
    from cxgap.surveys.weighted import weighted_scores

    from .weighted import weighted_json, weighted_notes, weighted_table

    with Store(settings.store.url) as store:
        engine = Engine(store)
        chosen = checked(slice_ or ALL, engine, settings.touchpoints)
        result = run_analysis(engine, settings, filters=chosen)
        scores = headline_scores(engine, settings, chosen) if as_json or chosen.active else None
        raked = weighted_scores(engine, settings, chosen) if weighted else None
        engine.close()
    if as_json:
        shown = analysis_json(result, scores or {}, chosen, top)
        out.print_json(data=shown | ({"weighted": weighted_json(raked)} if raked else {}))
        return
    if chosen.active:
        out.print(f"Slice: {chosen.describe()}.", highlight=False)
    if scores and not raked:
        out.print(scores_line(scores), highlight=False)
    if raked:
        out.print(weighted_table(raked))
        for note in weighted_notes(raked):
            out.print(note, highlight=False)
    out.print(headline_text(result))
    out.print(act_first_table(result, top))
    out.print(six_gaps_table(result))
