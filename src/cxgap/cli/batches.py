"""`cxgap batches remove BATCH_ID`: take an import batch back out of the store (a file imported under the
wrong mapping, or twice under two mappings), keeping its record as history. While `cxgap serve` holds the
DuckDB store, the server does it (see cxgap.cli.handoff). `cxgap batches quarantine [BATCH_ID]`: the rows
a batch quarantined, with their lines and reasons, to fix and import again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .app import ConfigOption, _store_or_server, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option

if TYPE_CHECKING:
    from cxgap.store.batches import Removal

batches_app = typer.Typer(
    help="Import batches: the rows one quarantined, or take one back out of the store.", no_args_is_help=True
)
app.add_typer(batches_app, name="batches")


@batches_app.command("remove")
@user_errors
def remove(
    batch_id: Annotated[
        str, typer.Argument(help="The batch's id, as `cxgap import` and `cxgap status` show it.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be taken out, and change nothing.")
    ] = False,
    fmt: Annotated[Format, format_option("what was taken out, one row")] = Format.table,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Take every row a batch loaded back out of its table (a survey batch's item ratings with its
    responses) and bring the summaries in step; the batch stays listed by `cxgap status`, as removed.

    Cases opened from its records stay (they are the loop's history) and are counted. Exit code 2: no
    such batch, a batch already removed, or one with no rows of its own left (it loaded none, or a later
    import replaced them all).
    """
    import dataclasses

    import pandas as pd

    from cxgap.store import Store
    from cxgap.store.batches import Removal, remove_batch

    fmt = chosen(fmt, as_json)
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            removal = remove_batch(store, batch_id, dry_run=dry_run)
    else:  # `cxgap serve` holds the store: it takes the batch out
        answer = target.call("/api/admin/batches/remove", {"batch_id": batch_id, "dry_run": dry_run})
        removal = Removal(**answer)
    data = dataclasses.asdict(removal)
    emit(fmt, data, lambda: [said(removal)], lambda: pd.DataFrame([data]))


def said(removal: Removal) -> str:
    """What was taken out (or would be, in a dry run), in one sentence."""
    rows = f"{removal.rows:,} row{'s' if removal.rows != 1 else ''} of {removal.table}"
    if removal.item_ratings:
        rows += f" and the {removal.item_ratings:,} item ratings of those responses"
    parts = [f"{rows} {'would be' if removal.dry_run else ''} taken out".replace("  ", " ")]
    if removal.replaced:
        parts.append(
            f"{removal.replaced:,} rows it loaded were replaced by a later import and stay, as that import's"
        )
    if removal.cases:
        cases = f"{removal.cases:,} case{'s' if removal.cases != 1 else ''}"
        stay = "stays" if removal.cases == 1 else "stay"
        parts.append(f"{cases} opened from those records {stay} (the closed loop's history)")
    about = f"batch {removal.batch_id} ({removal.table} from {removal.source}, imported {removal.imported_at[:16]})"
    if removal.dry_run:
        return (
            f"Would remove {about}: {'; '.join(parts)}; nothing was changed (run it without --dry-run to "
            "remove it)."
        )
    return f"Removed {about}: {'; '.join(parts)}."


@batches_app.command("quarantine")
@user_errors
def quarantine(
    batch_id: Annotated[
        str | None,
        typer.Argument(
            help="The batch's id (or its start); default: the latest batch that quarantined rows."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Rows shown in the table (CSV and JSON give all).")] = 50,
    fmt: Annotated[Format, format_option("one row per quarantined row, with its raw text")] = Format.table,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The rows an import quarantined: each with its source lines, the column at fault, every reason and
    the row as read, so the file (or those rows) can be fixed and imported again; the batch's loaded rows
    are kept either way. Exit code 2: no such batch, or no import has quarantined a row."""
    from rich.table import Table

    from cxgap.store.quarantine import quarantined

    from .app import _store
    from .render import cell

    fmt = chosen(fmt, as_json)
    with _store(config) as store:
        found = quarantined(store, batch_id, None if fmt is not Format.table else limit)
    frame = found.to_frame()

    def tables() -> list[Table | str]:
        table = Table("lines", "column", "reason", "row as read", title=f"{found.source} -> {found.table}")
        for row in frame.to_dict("records"):
            first, last = int(row["source_row"]), row["source_row_end"]
            end = f"-{int(last)}" if last is not None and last == last and int(last) > first else ""
            table.add_row(
                f"{first}{end}", cell(row["column_name"]), cell(row["reason"]), cell(row["raw"])[:120]
            )
        more = found.total - len(frame)
        counted = f"batch {found.batch_id}: {found.total:,} row{'s' if found.total != 1 else ''} quarantined"
        return [table, counted + (f"; {more:,} more with --limit or --format csv" if more > 0 else "") + "."]

    data = {"batch_id": found.batch_id, "table": found.table, "source": found.source, "total": found.total}
    emit(fmt, data | {"rows": frame.to_dict("records")}, tables, frame)
