"""`cxgap import`: load a file into the store through a mapping, quarantining what does not fit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from cxgap.errors import CxgapError, InputFileError
from cxgap.io import PRESETS, load_mapping, mapping_from_dict
from cxgap.io import import_file as run_import
from cxgap.io.summary import ImportSummary, Problem
from cxgap.store import Store

from .main import ConfigOption, _store_or_server, app, user_errors
from .output import err, out
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
    config: ConfigOption = None,
) -> None:
    """Import a file into the store through a mapping. Rows that do not fit are quarantined with reasons.

    Exit code 0: every row loaded or already present. 2: nothing loaded (bad file or mapping), or some
    rows quarantined (the others are loaded; see `cxgap status` and the quarantine table).
    """
    if (mapping is None) == (preset is None):
        raise CxgapError("Give exactly one of --mapping FILE or --preset NAME.")
    chosen = load_mapping(mapping) if mapping else mapping_from_dict({"preset": preset}, f"preset {preset}")
    size = file.stat().st_size if file.exists() else 0
    target = _store_or_server(config)
    if not isinstance(target, Store):  # `cxgap serve` holds the store: it imports the file
        summary = _import_through(target, file, mapping, preset, strict)
        out.print(import_table(summary))
        if summary.rows_quarantined:
            raise InputFileError(summary.first_problem or "some rows were quarantined")
        return
    with (
        target as store,  # closed on every path: a failed batch leaves nothing open or cached
        Progress(
            TextColumn("importing {task.description}"),
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
            store, file, chosen, strict=strict, progress=lambda rows, done: bar.update(task, completed=done)
        )
    out.print(import_table(summary))
    if summary.rows_quarantined:
        raise InputFileError(summary.first_problem or "some rows were quarantined")


def _import_through(
    server: LocalServer, file: Path, mapping: Path | None, preset: str | None, strict: bool
) -> ImportSummary:
    """Import through the running server: upload the file in pieces within its body limit, then import it
    with the mapping's TOML text (or the preset); the summary a local import would have returned."""
    if not file.is_file():
        raise InputFileError(f"{file}: file not found.")
    with err.status(f"sending {file.name} to the cxgap server at {server.url}"):
        upload = server.upload(file)
        answer = server.call(
            "/api/admin/import",
            {
                "upload": upload,
                "source": str(file),
                "mapping": mapping.read_text(encoding="utf-8") if mapping else None,
                "mapping_name": str(mapping) if mapping else "mapping",
                "preset": preset,
                "strict": strict,
            },
        )
    answer["problems"] = tuple(Problem(**p) for p in answer["problems"])
    answer["unused_columns"] = tuple(answer["unused_columns"])
    return ImportSummary(**answer)
