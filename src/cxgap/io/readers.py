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

CHUNK_ROWS = 50_000
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class RowProblem:
    """A source row that could not be read into fields."""

    row: int
    reason: str
    raw: str


@dataclass
class RawChunk:
    """Up to CHUNK_ROWS rows: `values[column][i]` is the raw text (None when absent) of row `rows[i]`."""

    rows: list[int] = field(default_factory=list)
    values: dict[str, list[str | None]] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    bytes_read: int = 0

    @property
    def size(self) -> int:
        """Rows read in this chunk, readable or not."""
        return len(self.rows) + len(self.problems)


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


_BLOCK = 1 << 20


class _Lines:
    """Decoded physical lines of a text file (LF, CRLF or CR endings), counting line numbers.

    Lines are split a block at a time. A line longer than max_row_bytes is not kept: it is skipped up to
    its end, its size recorded in `oversized`, and an empty line stands in for it so the CSV reader can
    carry on.
    """

    def __init__(self, handle: BinaryIO, path: Path, options: SourceOptions) -> None:
        self.handle, self.path, self.options = handle, path, options
        self.line_no = 0
        self.bytes_read = 0
        self.oversized: dict[int, int] = {}
        self._lines = self._split()

    def _split(self) -> Iterator[bytes]:
        """Raw lines with their endings; an over-long line comes out as b"\\n" after noting its size."""
        limit = self.options.max_row_bytes
        carry = b""
        skipping = 0  # bytes of an over-long line seen so far (0: not skipping)
        while True:
            block = self.handle.read(_BLOCK)
            data = carry + block
            if not data:
                return
            pieces = data.splitlines(keepends=True)
            carry = b""
            if block and pieces and (not pieces[-1].endswith((b"\n", b"\r")) or pieces[-1].endswith(b"\r")):
                carry = pieces.pop()  # incomplete line, or a CR that may be the first half of CRLF
            for piece in pieces:
                if skipping:
                    skipping += len(piece)
                    self.bytes_read += len(piece)
                    self.oversized[self.line_no + 1] = skipping
                    skipping = 0
                    yield b"\n"
                elif len(piece) > limit:
                    self.bytes_read += len(piece)
                    self.oversized[self.line_no + 1] = len(piece)
                    yield b"\n"
                else:
                    self.bytes_read += len(piece)
                    yield piece
            if len(carry) > limit:
                skipping += len(carry)
                self.bytes_read += len(carry)
                carry = b""
            if not block:
                if skipping:
                    self.oversized[self.line_no + 1] = skipping
                    yield b"\n"
                return

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = next(self._lines)
        self.line_no += 1
        if (
            self.line_no == 1
            and raw.startswith(codecs.BOM_UTF8)
            and self.options.encoding.lower() in {"utf-8", "utf8"}
        ):
            raw = raw[len(codecs.BOM_UTF8) :]
        if self.line_no in self.oversized:
            return "\n"
        try:
            return raw.decode(self.options.encoding)
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 1].hex()
            hint = (
                ' if it was saved as Latin-1 (Windows), set encoding = "latin-1" in the mapping'
                if self.options.encoding.lower().startswith("utf")
                else ""
            )
            raise InputFileError(
                f"{self.path} line {self.line_no} is not valid {self.options.encoding} text (byte 0x{bad});{hint}."
            ) from None


def _refuse_utf16(path: Path, head: bytes) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputFileError(
            f"{path} is UTF-16 text (as Excel's 'Unicode text' saves it); save it as CSV UTF-8 and import again."
        )


def _header(path: Path, reader: Any, lines: _Lines, options: SourceOptions) -> list[str]:
    try:
        header = next(reader)
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
    names = [name.strip() for name in header]
    if not any(names):
        raise InputFileError(f"{path}: the first line is blank; expected the column names there.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputFileError(
            f"{path}: the header names column '{duplicates[0]}' more than once; column names must be unique."
        )
    for _ in range(options.header_rows - 1):
        try:
            next(reader)
        except StopIteration:
            break
    return names


def read_csv(
    path: Path, options: SourceOptions, chunk_rows: int = CHUNK_ROWS
) -> tuple[list[str], Iterator[RawChunk]]:
    """The header and a lazy iterator of chunks; the file stays open until the iterator is exhausted."""
    _check_not_empty(path)
    handle = path.open("rb")
    _refuse_utf16(path, handle.read(2))
    handle.seek(0)
    lines = _Lines(handle, path, options)
    csv.field_size_limit(options.max_row_bytes + 1)
    reader = csv.reader(lines, delimiter=options.delimiter, strict=False)
    header = _header(path, reader, lines, options)
    return header, _csv_chunks(handle, reader, lines, header, chunk_rows)


def _csv_chunks(
    handle: BinaryIO, reader: Any, lines: _Lines, header: list[str], chunk_rows: int
) -> Iterator[RawChunk]:
    width = len(header)
    limit = lines.options.max_row_bytes
    with handle:
        rows: list[int] = []
        records: list[list[str]] = []
        problems: list[RowProblem] = []

        def flush() -> RawChunk:
            columns = list(zip(*records, strict=True)) if records else [()] * width
            values: dict[str, list[str | None]] = {
                name: list(col) for name, col in zip(header, columns, strict=True)
            }
            return RawChunk(
                rows=list(rows), values=values, problems=list(problems), bytes_read=lines.bytes_read
            )

        while True:
            start = lines.line_no + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                problems.append(RowProblem(start, f"cannot be read as CSV ({error})", ""))
                continue
            if start in lines.oversized:
                size = lines.oversized[start]
                reason = (
                    f"is {size:,} bytes long, over the {limit:,}-byte limit (max_row_bytes in the mapping)"
                )
                problems.append(RowProblem(start, reason, ""))
            elif not record:
                continue  # an empty line is not a row; anything else is read and accounted for
            elif len(record) != width:
                raw = json.dumps(record, ensure_ascii=False)
                problems.append(
                    RowProblem(start, f"has {len(record)} fields but the header has {width}", raw)
                )
            else:
                rows.append(start)
                records.append(record)
            if len(rows) + len(problems) >= chunk_rows:
                yield flush()
                rows.clear()
                records.clear()
                problems.clear()
        yield flush()


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
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
        for line in _Lines(handle, path, options):
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


def _jsonl_chunks(
    path: Path, options: SourceOptions, header: list[str], chunk_rows: int
) -> Iterator[RawChunk]:
    with path.open("rb") as handle:
        lines = _Lines(handle, path, options)
        chunk = RawChunk(values={name: [] for name in header})
        for line in lines:
            row = lines.line_no
            if row in lines.oversized:
                size = lines.oversized[row]
                chunk.problems.append(
                    RowProblem(
                        row,
                        f"is {size:,} bytes long, over the {options.max_row_bytes:,}-byte limit (max_row_bytes in the mapping)",
                        "",
                    )
                )
            elif not line.strip():
                continue
            else:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as error:
                    chunk.problems.append(
                        RowProblem(
                            row, f"is not valid JSON ({error.msg} at column {error.colno})", line[:10_000]
                        )
                    )
                    continue
                if not isinstance(obj, dict):
                    chunk.problems.append(RowProblem(row, "is not a JSON object", line[:10_000]))
                    continue
                chunk.rows.append(row)
                for name in header:
                    chunk.values[name].append(_as_text(obj.get(name)))
            if chunk.size >= chunk_rows:
                chunk.bytes_read = lines.bytes_read
                yield chunk
                chunk = RawChunk(values={name: [] for name in header})
        chunk.bytes_read = lines.bytes_read
        yield chunk


def read_parquet(
    path: Path, options: SourceOptions, chunk_rows: int = CHUNK_ROWS
) -> tuple[list[str], Iterator[RawChunk]]:
    """Parquet: typed values are turned into text so one validation path serves every format."""
    import pyarrow as pa
    import pyarrow.compute as pc
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
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            chunk = RawChunk(rows=list(range(offset + 1, offset + batch.num_rows + 1)))
            for name, column in zip(batch.schema.names, batch.columns, strict=True):
                if pa.types.is_boolean(column.type):
                    column = pc.if_else(column, "true", "false")
                elif not pa.types.is_string(column.type):
                    column = pc.cast(column, pa.string())
                chunk.values[name] = column.to_pylist()
            offset += batch.num_rows
            chunk.bytes_read = 0
            yield chunk

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
