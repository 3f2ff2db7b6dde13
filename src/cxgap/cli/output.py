"""How commands print: the consoles, and `--format table|csv|json` for every command that prints results.

User text is never read as markup: the consoles have markup, emoji codes and highlighting off, so a
touchpoint, comment or message holding "[values]" or "[red]x[/red]" prints as written, and our own styling
comes as rich `Text` objects (`styled`, `notes`). Off a terminal (a pipe, a file, a test runner) the consoles
are as wide as their lines, so nothing is cut or wrapped at 80 columns; `COLUMNS`, when set, is the width
everywhere (on a terminal and off it)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, ConsoleDimensions, RenderableType
from rich.text import Text

from cxgap.plain import plain

if TYPE_CHECKING:
    import pandas as pd

WIDE = 1_000_000  # the width off a terminal: no line of a table or a sentence is ever wrapped or cut


class Format(enum.StrEnum):
    """What a command prints its results as: tables for people, CSV or JSON for tools."""

    table = "table"
    csv = "csv"
    json = "json"


FORMAT_HELP = (
    "table (for people), csv or json (for tools: json is the same typed result the API serves, csv its "
    "main table{csv})."
)


def format_option(csv: str = "") -> Any:
    """The `--format` option of a command; `csv` says which table CSV gives when the command prints
    several (e.g. "the drivers, one row each")."""
    return typer.Option("--format", help=FORMAT_HELP.format(csv=f": {csv}" if csv else ""))


FormatOption = Annotated[Format, format_option()]
JsonOption = Annotated[bool, typer.Option("--json", help="The same as --format json.")]


def chosen(fmt: Format, as_json: bool = False) -> Format:
    """The format asked for, `--json` being the older spelling of `--format json`."""
    return Format.json if as_json else fmt


def _columns_set(environ: Mapping[str, str]) -> bool:
    return environ.get("COLUMNS", "").isdigit()


class Screen(Console):
    """A console that prints user text as written (no markup, emoji codes or highlighting) and, off a
    terminal, at full width (`WIDE`) unless COLUMNS says otherwise."""

    def __init__(self, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, markup=False, emoji=False, highlight=False)

    @property
    def size(self) -> ConsoleDimensions:
        """The terminal's size; off a terminal, WIDE columns (a fixed or COLUMNS width wins)."""
        natural = Console.size.fget(self)  # type: ignore[attr-defined]
        isatty = getattr(self.file, "isatty", None)
        on_terminal = bool(isatty and isatty())
        if self._width is None and not _columns_set(self._environ) and not on_terminal:
            return ConsoleDimensions(WIDE, natural.height)
        return natural  # type: ignore[no-any-return]

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


out = Screen()
err = Screen(stderr=True)


def styled(text: str, style: str) -> Text:
    """`text` printed in `style` (e.g. "bold", "yellow"), never read as markup."""
    return Text(text, style=style)


def notes(lines: Iterable[str]) -> list[Text]:
    """A result's notes (what could not be measured and why), in yellow."""
    return [styled(line, "yellow") for line in lines]


def plain_data(value: Any) -> Any:
    """A result as JSON-ready data, made plain as the API makes it (cxgap.plain: NaN as null, fields
    kept out of a dataclass's repr left out); frames and times are written by `json_text`."""
    return plain(value)


def _json_default(value: Any) -> Any:
    """What json.dumps cannot write by itself: frames as records, times in ISO 8601, paths as text."""
    import pandas as pd

    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.DataFrame):  # a frame inside a result: its rows as records
        return plain_data(value.to_dict("records"))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if hasattr(value, "tolist"):  # numpy arrays
        return value.tolist()
    return str(value) if isinstance(value, Path | enum.Enum) else repr(value)


def json_text(data: Any) -> str:
    """`data` as indented JSON text (the plain data of a result; NaN as null)."""
    return json.dumps(plain_data(data), indent=2, ensure_ascii=False, default=_json_default)


def csv_frame(data: Any) -> pd.DataFrame:
    """The table CSV gives of `data`: its `.to_frame()`, else one row per item (or one row) of its plain
    data, nested objects flattened (`share.value`, `share.low`, ...)."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_frame"):
        return data.to_frame()  # type: ignore[no-any-return]
    rows = plain_data(data)
    return pd.json_normalize(rows if isinstance(rows, list) else [rows])


def _csv_value(value: Any) -> Any:
    """A CSV cell: a list or object as JSON text, a missing number blank."""
    if isinstance(value, list | tuple | dict):
        return json.dumps(plain_data(value), ensure_ascii=False, default=_json_default)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def emit(
    fmt: Format,
    data: Any,
    tables: Iterable[RenderableType] | Callable[[], Iterable[RenderableType]],
    frame: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    said: Iterable[str] = (),
) -> None:
    """Print a command's result: `tables` (renderables, or a function making them) for people; for tools
    `data` as JSON (made plain as the API makes it), or `frame` (default: `csv_frame(data)`) as CSV on
    stdout, with the sentences `said` (notes, what could not be measured) on stderr, where they do not
    break the CSV."""
    if fmt is Format.json:
        out.file.write(json_text(data) + "\n")
    elif fmt is Format.csv:
        table = frame() if callable(frame) else frame
        table = csv_frame(data) if table is None else table
        if len(table.columns):  # a result with nothing in it and no columns known: no CSV at all
            out.file.write(table.map(_csv_value).to_csv(index=False))
        for line in said:
            err.print(line, soft_wrap=True)
    else:
        for renderable in tables() if callable(tables) else tables:
            out.print(renderable)
    out.file.flush()


CSV_PART_ROWS = 100_000  # rows formatted at a time by one thread


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A frame as CSV, written by Arrow: ten times pandas' speed on a million scored customers. Parts of
    CSV_PART_ROWS rows are formatted side by side on the cores (Arrow formats numbers without holding
    Python's lock) and written in order: the same bytes as one pass, a few parts in memory at a time."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame, preserve_index=False)

    def part(start: int) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        options = pacsv.WriteOptions(include_header=start == 0, quoting_style="needed")
        pacsv.write_csv(table.slice(start, CSV_PART_ROWS), sink, options)
        return sink.getvalue()

    starts = list(range(0, max(table.num_rows, 1), CSV_PART_ROWS))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = max(1, min(4, cores))
    with path.open("wb") as file, ThreadPoolExecutor(workers) as pool:
        for group in range(0, len(starts), workers):
            for buffer in pool.map(part, starts[group : group + workers]):
                file.write(buffer)
