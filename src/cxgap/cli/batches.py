"""`cxgap batches remove BATCH_ID`: take an import batch back out of the store (a file imported under the
wrong mapping, or twice under two mappings), keeping its record as history. While `cxgap serve` holds the
DuckDB store, the server does it (see cxgap.cli.handoff)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .app import ConfigOption, _store_or_server, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option

if TYPE_CHECKING:
    from cxgap.store.batches import Removal

batches_app = typer.Typer(help="Import batches: take one back out of the store.", no_args_is_help=True)
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
