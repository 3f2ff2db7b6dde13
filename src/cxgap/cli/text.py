"""`cxgap text`: what customers say, in sentiment, themes, their cost in NPS, and emerging issues."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cxgap.config import load_settings

from .main import ConfigOption, app, err, out, user_errors
from .render import text_tables


@app.command()
@user_errors
def text(
    discover: Annotated[bool, typer.Option(help="Also discover topics nobody configured.")] = True,
    config: ConfigOption = None,
) -> None:
    """Sentiment, themes (with the NPS of customers who raise them), emerging issues and discovered topics."""
    from cxgap.engine import Engine
    from cxgap.store import Store
    from cxgap.text.service import analyze_text, load_texts

    settings = load_settings(config)
    store = Store(settings.store.url)
    engine = Engine(store)
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
    store.close()
    for table in text_tables(report):
        out.print(table)
    for note in report.notes:
        out.print(f"[yellow]{note}[/]")
