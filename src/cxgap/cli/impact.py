"""`cxgap impact`: what closing each gap is worth."""

from __future__ import annotations

from typing import Annotated

import typer

from cxgap.config import load_settings

from .main import ConfigOption, app, out, user_errors
from .render import impact_tables


@app.command()
@user_errors
def impact(
    share: Annotated[
        float, typer.Option(help="Share of detractors moved to passive.", min=0.0, max=1.0)
    ] = 0.10,
    config: ConfigOption = None,
) -> None:
    """Churn, revenue and growth by NPS group; the yearly value of moving detractors and of closing each gap."""
    from cxgap.engine import Engine
    from cxgap.gaps import analyze
    from cxgap.impact import impact as run_impact
    from cxgap.store import Store

    settings = load_settings(config)
    store = Store(settings.store.url)
    engine = Engine(store)
    result = run_impact(engine, settings, analyze(engine, settings), share)
    store.close()
    for table in impact_tables(result):
        out.print(table)
    for note in result.notes:
        out.print(f"[yellow]{note}[/]")
