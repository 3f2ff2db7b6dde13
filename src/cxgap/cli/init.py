"""`cxgap init`: write a starter configuration for the user's own data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxgap.config import CONFIG_FILE, load_settings, starter_config
from cxgap.errors import CxgapError

from .main import app, user_errors
from .output import out


@app.command()
@user_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter configuration.")] = Path(
        CONFIG_FILE
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter cxgap.toml (touchpoints, dimensions, items, store)."""
    if path.exists() and not force:
        raise CxgapError(f"{path} already exists; use --force to overwrite it.")
    path.write_text(starter_config(), encoding="utf-8")
    load_settings(path)
    out.print(f"Wrote {path}. Edit the touchpoints and items, then run `cxgap import` or `cxgap demo`.")
