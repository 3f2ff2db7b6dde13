"""`cxgap init`: write a starter configuration for the user's own data, or (`--from FILE...`) propose one
read from the user's exports: a commented mapping per file and a cxgap.toml naming what was found."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cxgap.config import CONFIG_FILE, load_settings, starter_config
from cxgap.errors import CxgapError
from cxgap.io.proposal import SAMPLE_ROWS, Proposal, propose

from .app import app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option, out, styled


@app.command()
@user_errors
def init(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Without --from: where to write the starter (default cxgap.toml). With --from: your export "
            "files (CSV, JSON Lines or Parquet), as many as you like.",
            show_default=False,
        ),
    ] = None,
    from_files: Annotated[
        bool,
        typer.Option(
            "--from",
            help="Propose a set-up from the files given: which table each feeds and the role of every column, "
            "written as a commented mapping per file and a cxgap.toml, for review.",
        ),
    ] = False,
    folder: Annotated[
        Path, typer.Option("--out", help="With --from: the folder to write cxgap.toml and the mappings into.")
    ] = Path("."),
    rows: Annotated[
        int, typer.Option("--rows", min=10, help="With --from: how many rows of each file to read.")
    ] = SAMPLE_ROWS,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    fmt: Annotated[
        Format, format_option("one row per source column, with its role and evidence")
    ] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Write a commented starter cxgap.toml; with --from FILE..., propose one from your own exports.

    `cxgap init --from exports/*.csv` reads the first rows of each file, recognises Qualtrics, SurveyMonkey,
    Typeform, Zendesk and Formbricks exports and plain tables, and writes <file>.mapping.toml for each (every
    line with the evidence it was proposed on) and cxgap.toml with the touchpoints and items found. Review
    them, then `cxgap import FILE --mapping FILE.mapping.toml --dry-run`.
    """
    fmt = chosen(fmt, as_json)
    if from_files:
        _propose(paths or [], folder, rows, force, fmt)
        return
    if paths and len(paths) > 1:
        raise CxgapError(
            "cxgap init writes one file; to propose a set-up from your exports use --from FILE..."
        )
    path = paths[0] if paths else Path(CONFIG_FILE)
    if path.suffix.lower() != ".toml":
        raise CxgapError(
            f"{path} is not a .toml file; to propose a set-up from your export, use cxgap init --from {path}."
        )
    if path.exists() and not force:
        raise CxgapError(f"{path} already exists; use --force to overwrite it.")
    path.write_text(starter_config(), encoding="utf-8")
    load_settings(path)
    out.print(f"Wrote {path}. Edit the touchpoints and items, then run `cxgap import` or `cxgap demo`.")


def _propose(paths: list[Path], folder: Path, rows: int, force: bool, fmt: Format) -> None:
    """Propose from `paths`, write the files into `folder`, and print what was proposed."""
    if not paths:
        raise CxgapError("--from needs the files to read, e.g. cxgap init --from exports/*.csv")
    proposal = propose(paths, rows)
    written = proposal.write(folder, force)
    said = [f"Wrote {path}." for path in written]
    emit(fmt, _data(proposal, written), lambda: _tables(proposal, written), proposal.to_frame(), said)


def _data(proposal: Proposal, written: list[Path]) -> dict[str, Any]:
    """The proposal as JSON: each file's table, mapping and notes, and every column's role."""
    return {
        "files": [
            {
                "file": str(fp.sample.path),
                "export": fp.sample.export,
                "table": fp.table,
                "why": fp.why,
                "mapping": str(mapping),
                "rows_read": fp.sample.rows,
                "notes": list(fp.notes),
            }
            for fp, mapping in zip(proposal.files, written, strict=False)
        ],
        "config": str(written[-1]),
        "touchpoints": proposal.touchpoints,
        "items": {item: dim for item, (dim, _) in proposal.items.items()},
        "columns": proposal.to_frame().to_dict("records"),
    }


def _tables(proposal: Proposal, written: list[Path]) -> list[Any]:
    """One table of every column's proposed role, then what was written and what to do next."""
    table = Table(title="Proposed set-up: review every line of the written files", title_justify="left")
    table.add_column("file", overflow="fold", max_width=18)
    table.add_column("column", overflow="fold", max_width=24)
    table.add_column("role (conversion)", overflow="fold", max_width=28)
    table.add_column("evidence", overflow="fold", ratio=1)
    last = ""
    for row in proposal.to_frame().to_dict("records"):
        file = f"{row['file']} -> {row['table']}" if row["file"] != last else ""
        last = str(row["file"])
        dim = "dim" if row["role"] == "not used" else ""
        role = Text(str(row["role"]), style=dim)
        if row["conversion"]:
            role.append(f" ({row['conversion']})", style="dim")
        table.add_row(
            Text(file), Text(str(row["column"]), style=dim), role, Text(str(row["evidence"]), style=dim)
        )
    shown: list[Any] = [table]
    for fp in proposal.files:
        shown += [styled(f"{fp.sample.path.name}: {note}", "yellow") for note in fp.notes]
    shown += [Text(f"Wrote {path}.") for path in written]
    first, mapping = proposal.files[0].sample.path, written[0]
    shown.append(Text(f"Next: review them, then cxgap import {first} --mapping {mapping} --dry-run"))
    return shown
