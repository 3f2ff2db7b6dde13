"""Read CSV, JSON Lines and Parquet files into chunks of raw text values, each row with its source position.

Readers never guess silently: a file that cannot be read at all raises InputFileError (one sentence);
a row that cannot be read (too long, wrong number of fields, not JSON) comes back as a `RowProblem`
so the importer can quarantine it. Every data row read is either in a chunk or a problem.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cxgap.errors import InputFileError
from cxgap.io.csv_reader import csv_records
from cxgap.io.lines import PhysicalLines
from cxgap.io.parquet_text import parquet_text

CHUNK_ROWS = 50_000
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class RowProblem:
    """A source row (lines `row`..`end`) that could not be read into fields."""

    row: int
    reason: str
    raw: str
    end: int = 0

    @property
    def last(self) -> int:
        """The row's last source line."""
        return max(self.row, self.end)


@dataclass
class RawChunk:
    """Up to CHUNK_ROWS rows: `values[column][i]` is the raw text (None when absent) of row `rows[i]`, which
    took source lines `rows[i]`..`ends[i]`. `cell_problems[column][i]` says why a value could not be read
    as text (a nested JSON value, bytes that are not UTF-8); it matters only for the columns a mapping uses.
    `skipped_lines` counts header and blank lines; `lines_read` and `bytes_read` run over the whole file."""

    rows: list[int] = field(default_factory=list)
    values: dict[str, list[str | None]] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    cell_problems: dict[str, dict[int, str]] = field(default_factory=dict)
    skipped_lines: int = 0
    lines_read: int = 0
    bytes_read: int = 0

    @property
    def size(self) -> int:
        """Rows read in this chunk, readable or not."""
        return len(self.rows) + len(self.problems)

    @property
    def lines_in_rows(self) -> int:
        """Source lines taken by this chunk's rows, readable or not."""
        spans = sum(max(start, end) - start + 1 for start, end in zip(self.rows, self.ends, strict=False))
        spans += len(self.rows) - min(len(self.rows), len(self.ends))  # rows without a span take one line
        return spans + sum(p.last - p.row + 1 for p in self.problems)


@dataclass(frozen=True)
class SourceOptions:
    """How to read one file (from the mapping)."""

    format: str
    delimiter: str = ","
    encoding: str = "utf-8"
    header_rows: int = 1
    max_row_bytes: int = 1_000_000


def detect_format(path: Path) -> str:
    """csv, jsonl or parquet, from the file name."""
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".jsonl" in suffixes or ".ndjson" in suffixes or ".json" in suffixes:
        return "jsonl"
    return "csv"


def _check_not_empty(path: Path) -> None:
    if not path.exists():
        raise InputFileError(f"{path}: file not found.")
    if path.is_dir():
        raise InputFileError(f"{path} is a folder; give the path of a file.")
    if path.stat().st_size == 0:
        raise InputFileError(
            f"{path} is empty (0 bytes); expected a header row naming the columns, then data rows."
        )


def _refuse_utf16(path: Path, head: bytes) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputFileError(
            f"{path} is UTF-16 text (as Excel's 'Unicode text' saves it); save it as CSV UTF-8 and import again."
        )


def _header(path: Path, reader: Any, lines: PhysicalLines, options: SourceOptions) -> list[str]:
    """The column names: the first header row's, each column of a question group named after its question
    and row label where there are two or more header rows (`grouped_names`); the other header rows are
    skipped. A header that names no column, or one column twice, is one sentence (InputFileError)."""
    names = [name.strip() for name in _header_row(path, reader, lines, options)]
    if not any(names):
        raise InputFileError(f"{path}: the first line is blank; expected the column names there.")
    if options.header_rows >= 2:
        labels = [label.strip() for label in _next_row(reader)]
        names = grouped_names(path, names, labels)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputFileError(
            f"{path}: the header names column '{duplicates[0]}' more than once; column names must be unique."
        )
    for _ in range(options.header_rows - 2):  # further rows (Qualtrics' import ids) name nothing
        _next_row(reader)
    return names


def _header_row(path: Path, reader: Any, lines: PhysicalLines, options: SourceOptions) -> list[str]:
    """The first header row's cells, or one sentence saying why there is none."""
    try:
        header: list[str] = next(reader)
    except StopIteration:
        raise InputFileError(
            f"{path} has no header row; expected the column names on its first line."
        ) from None
    except csv.Error as error:
        raise InputFileError(f"{path} line 1: the header cannot be read as CSV ({error}).") from None
    if 1 in lines.oversized:
        raise InputFileError(
            f"{path}: the header line is longer than {options.max_row_bytes:,} bytes; is this a CSV file?"
        )
    return header


def _next_row(reader: Any) -> list[str]:
    """The next header row's cells; none where the file ends first (then there are no data rows)."""
    try:
        row: list[str] = next(reader)
    except StopIteration:
        return []
    return row


def grouped_names(path: Path, names: list[str], labels: list[str]) -> list[str]:
    """Column names from two header rows, as SurveyMonkey writes a matrix or multiple-answer question: its
    question over the group's first column, blank cells over the others, and each column's row label (the
    matrix row, the option) in the second row. Every column of such a group is named "<question> - <label>"
    (the first one too, so the group reads alike); a column on its own keeps its first-row name. A blank
    first-row cell with no question to its left, or a blank label inside a group, is one sentence."""
    out = list(names)
    for start, end in question_groups(path, names):
        for column in range(start, end):
            label = labels[column] if column < len(labels) else ""
            if not label:
                raise InputFileError(
                    f"{path}: header column {column + 1} (under the question '{names[start][:60]}') has no "
                    "label in the second header row; each column of a matrix or multiple-answer question "
                    "needs its row or option label there."
                )
            out[column] = f"{names[start]} - {label}"
    return out


def question_groups(path: Path, names: list[str]) -> list[tuple[int, int]]:
    """The column ranges [start, end) of question groups: a named cell followed by one or more blank cells.
    A blank cell with nothing named to its left is one sentence."""
    groups: list[tuple[int, int]] = []
    start: int | None = None
    for column, name in enumerate(names):
        if name:
            start = column
        elif start is None:
            raise InputFileError(
                f"{path}: header column {column + 1} has no name in the first header row and no question "
                "to its left that it could belong to; name it in the first row."
            )
        elif groups and groups[-1][0] == start:
            groups[-1] = (start, column + 1)
        else:
            groups.append((start, column + 1))
    return groups


def read_csv(
    path: Path, options: SourceOptions, chunk_rows: int = CHUNK_ROWS
) -> tuple[list[str], Iterator[RawChunk]]:
    """The header and a lazy iterator of chunks; the file stays open until the iterator is exhausted."""
    _check_not_empty(path)
    handle = path.open("rb")
    try:
        lines, header = _read_header(path, handle, options)
    except BaseException:
        handle.close()
        raise
    return header, _csv_chunks(handle, lines, header, options.delimiter, chunk_rows)


def read_csv_header(path: Path, options: SourceOptions) -> tuple[list[str], int]:
    """The header of a CSV file as `read_csv` gives it, and the physical lines it took; the file is closed
    again (the vectorised import reads the rows with DuckDB)."""
    _check_not_empty(path)
    with path.open("rb") as handle:
        lines, header = _read_header(path, handle, options)
        return header, lines.line_no


def _read_header(path: Path, handle: BinaryIO, options: SourceOptions) -> tuple[PhysicalLines, list[str]]:
    """The file's physical lines, positioned after its header rows, and the header (refusing a UTF-16 file
    in one sentence)."""
    _refuse_utf16(path, handle.read(2))
    handle.seek(0)
    lines = PhysicalLines(handle, path, options.encoding, options.max_row_bytes)
    csv.field_size_limit(options.max_row_bytes + 1)
    reader = csv.reader(lines, delimiter=options.delimiter, strict=False)
    return lines, _header(path, reader, lines, options)


def _csv_chunks(
    handle: BinaryIO, lines: PhysicalLines, header: list[str], delimiter: str, chunk_rows: int
) -> Iterator[RawChunk]:
    width = len(header)
    with handle:
        chunk = RawChunk(skipped_lines=lines.line_no)  # the header's lines
        records: list[list[str]] = []

        def flush() -> RawChunk:
            columns = list(zip(*records, strict=True)) if records else [()] * width
            chunk.values = {name: list(col) for name, col in zip(header, columns, strict=True)}
            chunk.bytes_read, chunk.lines_read = lines.bytes_read, lines.line_no
            return chunk

        for record in csv_records(lines, width, delimiter):
            if record.fields is None:
                chunk.problems.append(RowProblem(record.start, record.reason, record.raw, record.end))
            elif not record.fields:
                chunk.skipped_lines += record.end - record.start + 1
                continue
            else:
                chunk.rows.append(record.start)
                chunk.ends.append(record.end)
                records.append(record.fields)
            if chunk.size >= chunk_rows:
                yield flush()
                chunk, records = RawChunk(), []
        yield flush()


_NESTED = {dict: "a JSON object", list: "a JSON list"}


def as_text(value: Any) -> str | None:
    """A JSON value as the text a CSV cell would hold (true/false for booleans)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_jsonl(
    path: Path, options: SourceOptions, chunk_rows: int = CHUNK_ROWS
) -> tuple[list[str], Iterator[RawChunk]]:
    """JSON Lines: one object per line; the header is every key seen in the file (one pass to find them)."""
    _check_not_empty(path)
    with path.open("rb") as handle:
        _refuse_utf16(path, handle.read(2))
        handle.seek(0)
        keys: dict[str, None] = {}
        for line in PhysicalLines(handle, path, options.encoding, options.max_row_bytes):
            try:
                obj = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(obj))
    if not keys:
        raise InputFileError(f"{path} holds no JSON object; expected one JSON object per line.")
    header = list(keys)
    return header, _jsonl_chunks(path, options, header, chunk_rows)


def _json_row(chunk: RawChunk, header: list[str], row: int, obj: dict[str, Any]) -> None:
    pos = len(chunk.rows)
    chunk.rows.append(row)
    chunk.ends.append(row)
    for name in header:
        value = obj.get(name)
        if isinstance(value, dict | list):
            where = chunk.cell_problems.setdefault(name, {})
            where[pos] = f"holds {_NESTED[type(value)]} where a single value is expected"
            value = None
        chunk.values[name].append(as_text(value))


def _jsonl_chunks(
    path: Path, options: SourceOptions, header: list[str], chunk_rows: int
) -> Iterator[RawChunk]:
    with path.open("rb") as handle:
        lines = PhysicalLines(handle, path, options.encoding, options.max_row_bytes)
        chunk = RawChunk(values={name: [] for name in header})
        for line in lines:
            row = lines.line_no
            if row in lines.oversized:
                size = lines.oversized[row].size
                reason = f"is {size:,} bytes long, over the {options.max_row_bytes:,}-byte limit (max_row_bytes in the mapping)"
                chunk.problems.append(RowProblem(row, reason, lines.oversized_text(row), row))
            elif not line.strip():
                chunk.skipped_lines += 1
                continue
            else:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as error:
                    reason = f"is not valid JSON ({error.msg} at column {error.colno})"
                    chunk.problems.append(RowProblem(row, reason, line.rstrip("\r\n"), row))
                    continue
                if not isinstance(obj, dict):
                    chunk.problems.append(RowProblem(row, "is not a JSON object", line.rstrip("\r\n"), row))
                    continue
                _json_row(chunk, header, row, obj)
            if chunk.size >= chunk_rows:
                chunk.bytes_read, chunk.lines_read = lines.bytes_read, lines.line_no
                yield chunk
                chunk = RawChunk(values={name: [] for name in header})
        chunk.bytes_read, chunk.lines_read = lines.bytes_read, lines.line_no
        yield chunk


def read_parquet(
    path: Path, options: SourceOptions, chunk_rows: int = CHUNK_ROWS
) -> tuple[list[str], Iterator[RawChunk]]:
    """Parquet: typed values are turned into text so one validation path serves every format."""
    import pyarrow.parquet as pq

    _check_not_empty(path)
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise InputFileError(
            f"{path} is not a readable Parquet file ({str(error).splitlines()[0]})."
        ) from None
    header = list(parquet.schema_arrow.names)

    def chunks() -> Iterator[RawChunk]:
        offset = 0
        try:
            for batch in parquet.iter_batches(batch_size=chunk_rows):
                rows = list(range(offset + 1, offset + batch.num_rows + 1))
                chunk = RawChunk(rows=rows, ends=list(rows))
                for name, column in zip(batch.schema.names, batch.columns, strict=True):
                    chunk.values[name] = parquet_text(column, chunk.cell_problems.setdefault(name, {}))
                offset += batch.num_rows
                chunk.lines_read = offset
                yield chunk
        except OSError as error:  # pyarrow's errors for damaged pages derive from it
            raise InputFileError(
                f"{path} record {offset + 1} onwards cannot be read as Parquet ({str(error).splitlines()[0]})."
            ) from None

    return header, chunks()


def open_source(
    path: Path, options: SourceOptions, chunk_rows: int = CHUNK_ROWS
) -> tuple[list[str], Iterator[RawChunk]]:
    """Header and chunks of any supported file."""
    readers = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
    return readers[options.format](path, options, chunk_rows)


def suggest_delimiter(header: list[str], delimiter: str) -> str | None:
    """When a CSV header came out as a single column, the delimiter it seems to use instead."""
    if len(header) != 1:
        return None
    for candidate in CANDIDATE_DELIMITERS:
        if candidate != delimiter and candidate in header[0]:
            return candidate
    return None
