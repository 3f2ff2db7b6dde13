"""Shared output of the benchmark scripts: print a Markdown section and optionally append it to a file."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path


def machine() -> str:
    """Date, architecture and core count, for a section heading."""
    return f"{dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores"


def emit(text: str, out: Path | None) -> None:
    """Print the section; append it to `out` when given."""
    print(text)
    if out:
        with out.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
