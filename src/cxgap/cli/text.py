"""`cxgap text`: what customers say, in sentiment, themes, their cost in NPS, and emerging issues; with
`--out`, every text's own results in a CSV file a user can check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cxgap.config import load_settings
from cxgap.errors import CxgapError

from .app import ConfigOption, app, user_errors
from .output import Format, JsonOption, chosen, emit, err, format_option, notes, out
from .render import text_tables

if TYPE_CHECKING:
    from cxgap.text.service import TextReport


@app.command()
@user_errors
def text(
    discover: Annotated[bool, typer.Option(help="Also discover topics nobody configured.")] = True,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write one CSV row per text: id, kind, sentiment and score, held_out, the themes it "
            "carries and every theme's score.",
        ),
    ] = None,
    config: ConfigOption = None,
    fmt: Annotated[
        Format, format_option("the themes, one row each; --out writes every text's results")
    ] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Sentiment, themes (with the NPS of customers who raise them), emerging issues and discovered topics."""
    fmt = chosen(fmt, as_json)
    from cxgap.engine import engine_for
    from cxgap.store import Store
    from cxgap.text.service import analyze_text, load_texts

    if out_file is not None and not out_file.parent.is_dir():  # say so before the analysis, not after
        raise CxgapError(f"Cannot write {out_file}: the folder {out_file.parent} does not exist.")
    settings = load_settings(config)
    with Store(settings.store.url) as store:
        engine = engine_for(store, settings)
        total = len(load_texts(engine)[0])
        with Progress(
            TextColumn("embedding texts"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("embed", total=total)
            report = analyze_text(engine, settings, discover, progress=lambda n: bar.advance(task, n))
    written = _write_per_text(report, out_file) if out_file is not None else None
    emit(
        fmt,
        _text_json(report),
        lambda: [*text_tables(report), *notes(report.notes)],
        report.to_frame,
        said=report.notes,
    )
    if fmt is Format.table:
        _print_proposed_themes(report)
    if written is not None:
        (out if fmt is Format.table else err).print(f"Wrote {written:,} texts, one row each, to {out_file}.")


def _text_json(report: TextReport) -> dict[str, object]:
    """The report as the API serves it (/api/text), with the topics found without configuration."""
    from cxgap.api.routes import text_summary

    found = report.discovered
    return text_summary(report) | {"discovered": found.to_frame() if found is not None else None}


def _print_proposed_themes(report: TextReport) -> None:
    """Without configured themes, the discovered topics as a [themes] section to paste into cxgap.toml."""
    if report.themes or report.discovered is None:
        return
    snippet = report.discovered.themes_toml()
    if snippet:
        out.print("\n# Proposed themes: paste into cxgap.toml, rename, and describe each in your words.")
        out.print(snippet, soft_wrap=True)


def _write_per_text(report: TextReport, path: Path) -> int:
    """Every text's results as CSV at `path` (how many rows); a path that cannot be written is one sentence."""
    if report.per_text is None:
        raise CxgapError("There are no per-text results to write.")
    frame = report.per_text.to_frame()
    try:
        frame.to_csv(path, index=False)
    except OSError as error:
        raise CxgapError(f"Could not write {path}: {error.strerror or error}.") from None
    return len(frame)
