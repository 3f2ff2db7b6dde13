"""How commands print: the consoles, and `--format table|csv|json` for every command that prints results."""

from __future__ import annotations

import enum
from typing import Annotated

import typer
from rich.console import Console


class Format(enum.StrEnum):
    """What a command prints its results as: tables for people, CSV or JSON for tools."""

    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format", help="table (for people), csv or json (for tools: the same typed result the API serves)."
    ),
]

out = Console()
err = Console(stderr=True)
