"""`cxgap import`: load a file into the store through a mapping, quarantining what does not fit."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cxgap.config import load_settings
from cxgap.errors import CxgapError, InputFileError
from cxgap.io import PRESETS, load_mapping, mapping_from_dict
from cxgap.io import import_file as run_import
from cxgap.io.summary import ImportSummary, Problem, RepeatedBatch
from cxgap.store import Store

from .app import ConfigOption, _store_or_server, app, user_errors
from .output import Format, JsonOption, chosen, emit, err, format_option, out
from .render import import_table

if TYPE_CHECKING:
    from .handoff import LocalServer


@app.command("import")
@user_errors
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, JSON Lines (.jsonl) or Parquet file.")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="Mapping file (TOML) for this source.")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help=f"Use a preset mapping as is: {', '.join(PRESETS)}.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Load nothing if any row would be quarantined.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Read and check the whole file, show what would load and what would be quarantined "
            "(with the reasons), and write nothing to the store.",
        ),
    ] = False,
    fmt: Annotated[Format, format_option("the counts, one row")] = Format.table,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Import a file into the store through a mapping. Rows that do not fit are quarantined with reasons.

    Exit code 0: every row loaded or already present. 2: nothing loaded (bad file or mapping), or some
    rows quarantined (the others are loaded; see `cxgap status` and the quarantine table). With
    --dry-run nothing is written, and the exit code says what a real import would do.
    """
    fmt = chosen(fmt, as_json)
    if (mapping is None) == (preset is None):
        raise CxgapError("Give exactly one of --mapping FILE or --preset NAME.")
    picked = load_mapping(mapping) if mapping else mapping_from_dict({"preset": preset}, f"preset {preset}")
    size = file.stat().st_size if file.exists() else 0
    empty = _dry_run_store(config) if dry_run else None
    target = empty if empty is not None else _store_or_server(config)
    if not isinstance(target, Store):  # `cxgap serve` holds the store: it imports the file
        summary = _import_through(target, file, mapping, preset, strict, dry_run)
    else:
        with (
            target as store,  # closed on every path: a failed batch leaves nothing open or cached
            Progress(
                TextColumn("checking {task.description}" if dry_run else "importing {task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=not sys.stderr.isatty(),
            ) as bar,
        ):
            task = bar.add_task(file.name, total=size or None)
            summary = run_import(
                store,
                file,
                picked,
                strict=strict and not dry_run,
                dry_run=dry_run,
                progress=lambda rows, done: bar.update(task, completed=done),
            )
    _show(summary, fmt, dry_run)
    said = out if fmt is Format.table else err  # beside the table; never inside the CSV or JSON
    for note in _notes(summary, file, dry_run, picked.constants):
        said.print(note)
    if summary.rows_quarantined:
        raise InputFileError(_quarantined(summary, dry_run))


def _dry_run_store(config: Path | None) -> Store | None:
    """For a dry run where the DuckDB file does not exist yet: an empty store in memory to check against,
    so a dry run creates no file (None: use the configured store or server)."""
    url = load_settings(config).store.url
    if url.startswith("duckdb:///") and not url.startswith("duckdb:///:memory:"):
        if not Path(url.removeprefix("duckdb:///")).exists():
            return Store("duckdb:///:memory:")
    return None


def _show(summary: ImportSummary, fmt: Format, dry_run: bool) -> None:
    """The summary as a table (a dry run's with every reason it kept), CSV (the counts) or JSON."""
    data: dict[str, Any] = {"dry_run": dry_run} | {
        k: v for k, v in dataclasses.asdict(summary).items() if k != "rows"
    }
    frame = summary.to_frame().assign(dry_run=dry_run)
    emit(fmt, data, [_dry_run_table(summary) if dry_run else import_table(summary)], frame)


def _notes(
    summary: ImportSummary, file: Path, dry_run: bool, constants: dict[str, Any] | None = None
) -> list[str]:
    """What the counts alone do not say: a file with no rows under its header (a normal day of a
    scheduled export: not an error), rows kept as stored though the file says otherwise, and rows loaded
    that earlier batches hold already but for the mapping's constants (`constants`)."""
    notes = []
    if summary.rows_read == 0:
        notes.append(f"{file} has no data rows under its header: nothing to import.")
    if summary.rows_differing:
        kept = "would keep" if dry_run else "kept"
        notes.append(
            f"{summary.rows_differing:,} of the {summary.rows_existing:,} {summary.unit}s already present "
            f"hold other values in {file} than in the store; the import {kept} the stored ones (set "
            'on_existing = "replace" in the mapping to store the file\'s values instead).'
        )
    if summary.rows_repeating:
        notes.append(_repeating(summary, file, dry_run, constants or {}))
    return notes


def _repeating(summary: ImportSummary, file: Path, dry_run: bool, constants: dict[str, Any]) -> str:
    """One sentence on rows loaded that equal, in every column the file gives, rows earlier batches stored
    (a file without ids imported again under another mapping): how many, which batches, where they differ,
    and how to take the unwanted batch back out. The import itself stands: two sources may hold the same
    text, which the key (the content and the mapping's constants) keeps apart."""
    batches = summary.repeated_batches
    listed = [
        f"batch {b.batch_id} ({b.source}, imported {b.finished_at[:16]}"
        + (f", {b.rows:,} of them)" if len(batches) > 1 else ")")
        for b in batches[:3]
    ]
    more = f" and {len(batches) - 3:,} more" if len(batches) > 3 else ""
    stored = (
        f"rows {listed[0]} stored"
        if len(batches) == 1
        else f"rows {len(batches):,} earlier batches stored ({'; '.join(listed)}{more})"
    )
    columns = list(dict.fromkeys(c for b in batches for c in b.columns))
    described = [
        f"{c} (this mapping sets it to {constants[c]!r})"
        if c in constants
        else f"{c} (which this mapping leaves empty)"
        for c in columns
    ]
    differ = (
        f", and differ only in {', '.join(described)}" if described else ", and in every other column too"
    )
    times = "twice" if len(batches) == 1 and described else "more than once"
    unit = f"{summary.unit}{'s' if summary.rows_loaded != 1 else ''}"
    earlier = [b.batch_id for b in batches if b.batch_id]
    if dry_run:
        return (
            f"{summary.rows_repeating:,} of the {summary.rows_loaded:,} {unit} this import would load from "
            f"{file} hold the same values in every column the file gives as {stored}{differ}: "
            f"{summary.table} would hold each of them {times}; if the file was imported before under "
            f"another mapping, take {'that batch' if len(batches) == 1 else 'the one you do not want'} "
            "back out first"
            + (f" (`cxgap batches remove {earlier[0]}`)" if len(earlier) == 1 else "")
            + " or import the file with that mapping."
        )
    remove = ""
    if earlier:
        which = "the earlier one" if len(earlier) == 1 else "the first of the earlier ones"
        remove = (
            f": `cxgap batches remove {earlier[0]}` for {which}, "
            f"`cxgap batches remove {summary.batch_id}` for this one"
        )
    return (
        f"{summary.rows_repeating:,} of the {summary.rows_loaded:,} {unit} loaded from {file} hold the same "
        f"values in every column the file gives as {stored}{differ}: {summary.table} now holds each of them "
        f"{times}; if the file was imported before under another mapping, take the batch you do not want "
        f"back out{remove}."
    )


def _quarantined(summary: ImportSummary, dry_run: bool) -> str:
    """The sentence of the exit code 2: the first quarantined row (and, in a dry run, that nothing was
    written)."""
    first = summary.first_problem or "some rows were quarantined."
    if not dry_run:
        return first
    return f"{first[:-1]}; this was a dry run: nothing was written (run it without --dry-run to import)."


def _dry_run_table(summary: ImportSummary) -> Table:
    """What an import would do: the counts, then each quarantined row kept (the first 20) and its reasons."""
    table = Table(
        title=f"{summary.source} -> {summary.table} (dry run: nothing was written)", show_header=False
    )
    table.add_row("read", f"{summary.rows_read:,}")
    table.add_row("would load", f"{summary.rows_loaded:,}")
    if summary.rows_replaced:
        table.add_row("would replace", f"{summary.rows_replaced:,}")
    table.add_row("already present", f"{summary.rows_existing:,}")
    table.add_row("would be quarantined", f"{summary.rows_quarantined:,}")
    if summary.items_loaded:
        table.add_row("item ratings", f"{summary.items_loaded:,}")
    if summary.unused_columns:
        table.add_row("not imported", ", ".join(summary.unused_columns))
    for problem in summary.problems:
        span = f"-{problem.end}" if problem.end > problem.row else ""
        table.add_row(f"{summary.unit} {problem.row}{span}", problem.reason)
    if (more := summary.rows_quarantined - len(summary.problems)) > 0:
        table.add_row("", f"... and {more:,} more {summary.unit}s with problems")
    return table


def _import_through(
    server: LocalServer, file: Path, mapping: Path | None, preset: str | None, strict: bool, dry_run: bool
) -> ImportSummary:
    """Import (or check, `dry_run`) through the running server: upload the file in pieces within its body
    limit, then import it with the mapping's TOML text (or the preset); the summary a local import would
    have returned."""
    if not file.is_file():
        raise InputFileError(f"{file}: file not found.")
    with err.status(f"sending {file.name} to the cxgap server at {server.url}"):
        upload = server.upload(file)
        request = {
            "upload": upload,
            "source": str(file),
            "mapping": mapping.read_text(encoding="utf-8") if mapping else None,
            "mapping_name": str(mapping) if mapping else "mapping",
            "preset": preset,
            "strict": strict,
        } | ({"dry_run": True} if dry_run else {})
        try:
            answer = server.call("/api/admin/import", request)
        except KeyboardInterrupt:  # the server has the whole file and goes on without this process
            if not dry_run:
                err.print(
                    f"interrupted; the cxgap server at {server.url} had the whole file and finishes the import "
                    "on its own: `cxgap status` shows its batch once it has."
                )
                raise typer.Exit(130) from None
            raise
    answer["problems"] = tuple(Problem(**p) for p in answer["problems"])
    answer["unused_columns"] = tuple(answer["unused_columns"])
    answer["repeated_batches"] = tuple(RepeatedBatch.from_dict(b) for b in answer.get("repeated_batches", ()))
    return ImportSummary(**answer)
