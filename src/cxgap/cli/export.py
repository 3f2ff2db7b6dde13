"""`cxgap export parquet DIR`: the store as Parquet folders a warehouse (Spark, dbt, a data lake) reads,
and the `[engine.tables]` block that points cxgap's warehouse mode at them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxgap.config import load_settings
from cxgap.errors import StoreError, StoreInUse

from .app import ConfigOption, app, user_errors
from .output import Format, JsonOption, chosen, emit, err, format_option

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress

    from cxgap.store import Store
    from cxgap.store.export import ExportSummary

export_app = typer.Typer(help="Export the store for a warehouse or for automation.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("parquet")
@user_errors
def parquet(
    folder: Annotated[Path, typer.Argument(help="The folder to write (new or empty).")],
    tables: Annotated[
        list[str] | None,
        typer.Option("--table", help="Only this table (repeat for several; default: every table)."),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(help="Write into a folder that is not empty, replacing only the table folders written."),
    ] = False,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("the tables written, one row each")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Write every table of the store as Parquet, a folder per table: tables with a date partitioned by
    month (DIR/responses/month=2024-01/...), each column in its schema type; then print the \\[engine.tables]
    block (also written to DIR/engine.toml) that runs the analyses on Spark over the export. Derived
    summaries are rebuilt there, not exported. Secrets stay in the store: users' password hashes, API
    token and browser session hashes, and the key that signs survey links."""
    from cxgap.store.export import export_parquet

    url = load_settings(config).store.url
    with _opened(url) as store, _bar() as bar:
        task = bar.add_task("exporting", total=None)
        summary = export_parquet(
            store,
            folder,
            tables or None,
            progress=lambda name, rows: bar.update(task, description=f"exported {name}"),
            overwrite=overwrite,
        )
    emit(chosen(fmt, as_json), summary, lambda: _tables(summary), lambda: _frame(summary))


def _opened(url: str) -> Store:
    """The store, read directly (an export never goes through a server); while another process holds
    the DuckDB file, one sentence saying to stop it first."""
    from cxgap.store import Store, describe_url

    try:
        return Store(url)
    except StoreInUse as error:
        from .handoff import server_for

        server = server_for(url, error)  # one sentence of its own where no live server holds the store
        raise StoreError(
            f"The store {describe_url(url)} is held by `cxgap serve` (pid {server.pid}); an export reads "
            "the store itself: stop the server and export again."
        ) from None


def _bar() -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not sys.stderr.isatty(),
        transient=True,
    )


def _frame(summary: ExportSummary) -> pd.DataFrame:
    """One row per table written: its rows, files, the date it is partitioned by, and its folder."""
    import pandas as pd

    rows = [
        {
            "table": t.table,
            "rows": t.rows,
            "files": t.files,
            "partitioned_by": t.month_of,
            "folder": str(t.folder),
        }
        for t in summary.tables
    ]
    return pd.DataFrame(rows, columns=["table", "rows", "files", "partitioned_by", "folder"])


def _tables(summary: ExportSummary) -> list[Table | Text | str]:
    """What people read: rows and files per table, what was left out, and the block to paste."""
    table = Table("table", "rows", "files", "partitioned by month of", title=f"Exported to {summary.folder}")
    for t in summary.tables:
        table.add_row(t.table, f"{t.rows:,}", f"{t.files:,}", t.month_of or "")
    left_out = f"Secrets left in the store: {', '.join(summary.withheld)}."
    paste = (
        "To run the analyses on Spark over this export, paste this into cxgap.toml "
        f"(it is also in {summary.folder / 'engine.toml'}):"
    )
    return [table, Text(left_out), Text(paste), Text(summary.engine_tables.rstrip())]
