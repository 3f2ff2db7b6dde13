"""A data file (CSV, or JSON Lines or Parquet by its name) read whole as a table of text, the way `cxgap
import` reads one, for the analyses that read a flat file instead of the store (`cxgap drivers --file`,
`cxgap risk --file`): every row is needed there, so an empty file, a missing column or a row that cannot be
read is one sentence naming the file and row, never a partial analysis."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from cxgap.errors import InputFileError
from cxgap.io.file_scan import Scan, scan_csv
from cxgap.io.readers import (
    RawChunk,
    RowProblem,
    SourceOptions,
    detect_format,
    open_source,
    read_csv_header,
    suggest_delimiter,
)


def rows_said(count: int, unit: str = "row", what: str = "such ") -> str:
    """'1 such row', '3 such rows'."""
    return f"{count:,} {what}{unit}{'' if count == 1 else 's'}"


UNITS = {"csv": "row", "jsonl": "line", "parquet": "record"}  # what an import calls a file's rows


def read_text_table(
    path: Path, columns: Sequence[str], delimiter: str = ",", encoding: str = "utf-8"
) -> pd.DataFrame:
    """The `columns` of a data file (CSV, or JSON Lines or Parquet by its name) as text, read as `cxgap
    import` reads it, indexed by each row's number (the physical line a CSV row starts on); a blank or
    absent value is "". One sentence, naming the file, for an empty file, a column the file lacks (each
    once; the delimiter the file seems to use when its header came out as one column), a row that cannot be
    read (its number, why, and how many such rows: every row is needed), and a file with no data rows."""
    options = SourceOptions(format=detect_format(path), delimiter=delimiter, encoding=encoding)
    wanted = list(dict.fromkeys(columns))
    if options.format == "csv":
        header, header_lines = read_csv_header(path, options)
        _check_columns(path, header, wanted, options)
        scan = scan_csv(path, options, header, header_lines)
        if scan is not None:  # DuckDB reads the whole file as the row reader would: the fast way
            return _from_scan(path, scan, wanted)
    header, chunks = open_source(path, options)
    with _kept(chunks):
        _check_columns(path, header, wanted, options)
        return _from_chunks(path, chunks, wanted, UNITS[options.format])


@contextlib.contextmanager
def _kept(chunks: Iterator[RawChunk]) -> Iterator[Iterator[RawChunk]]:
    """The chunks, closed (and their file with them) however reading them ends."""
    try:
        yield chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _check_columns(path: Path, header: list[str], wanted: list[str], options: SourceOptions) -> None:
    """Every column the mapping names is in the header; else one sentence listing the missing ones once,
    or the delimiter the file seems to use when its header is one column (as an import says it)."""
    missing = [c for c in wanted if c not in header]
    if not missing:
        return
    if options.format == "csv" and (other := suggest_delimiter(header, options.delimiter)):
        shown, given = (d.replace("\t", "\\t") for d in (other, options.delimiter))
        raise InputFileError(
            f"{path}: the header has a single column, so the file does not look '{given}'-separated; it "
            f"seems to use '{shown}': set delimiter = \"{shown}\" in the mapping."
        )
    names = ", ".join(repr(c) for c in missing)
    listed = ", ".join(header[:12]) + (" ..." if len(header) > 12 else "")
    them = "it" if len(missing) == 1 else "them"
    raise InputFileError(
        f"{path} has no column {names} (the mapping names {them}); its columns are: {listed}."
    )


def _no_rows(path: Path) -> InputFileError:
    return InputFileError(
        f"{path} has no data rows under its header; expected a row per customer (or answer) below it."
    )


def _from_scan(path: Path, scan: Scan, wanted: list[str]) -> pd.DataFrame:
    """The wanted columns of a file DuckDB has read (`scan_csv`), in file order, the scan closed after."""
    try:
        if scan.rows == 0:
            raise _no_rows(path)
        picked = ", ".join(f"c{scan.header.index(c)} AS c{k}" for k, c in enumerate(wanted))
        frame = scan.duck.execute(f"SELECT {picked} FROM raw ORDER BY rowid").df()
    finally:
        scan.close()
    frame.columns = pd.Index(wanted)
    frame.index = pd.RangeIndex(scan.row_number(0), scan.row_number(scan.rows))
    return frame


def _from_chunks(path: Path, chunks: Iterator[RawChunk], wanted: list[str], unit: str) -> pd.DataFrame:
    """The wanted columns of a file read chunk by chunk (`cxgap.io.readers`). A row the reader could not
    split into the header's fields, or a value it could not read as text, is one sentence: the analysis
    needs every row, so none is dropped quietly."""
    values: dict[str, list[str]] = {c: [] for c in wanted}
    rows: list[int] = []
    first: RowProblem | None = None
    unreadable = 0
    for chunk in chunks:
        unreadable += len(chunk.problems)
        first = first or (chunk.problems[0] if chunk.problems else None)
        for column in wanted:
            if cells := chunk.cell_problems.get(column):
                position, why = min(cells.items())
                raise InputFileError(f"{path} {unit} {chunk.rows[position]}, column '{column}' {why}.")
            values[column].extend("" if v is None else v for v in chunk.values[column])
        rows.extend(chunk.rows)
    if first is not None:
        them = "it" if unreadable == 1 else "them"
        raise InputFileError(
            f"{path} {unit} {first.row} {first.reason}; {rows_said(unreadable, unit, '')} cannot be read, and "
            f"every {unit} is needed: correct or remove {them}."
        )
    if not rows:
        raise _no_rows(path)
    return pd.DataFrame(values, index=pd.Index(rows), dtype=object)
