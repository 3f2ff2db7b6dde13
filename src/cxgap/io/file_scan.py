"""A whole CSV or Parquet file read into an in-memory DuckDB table of raw text, for the vectorised import.

The table `raw` holds one VARCHAR column per header column (c0, c1, ...) in file order, so `rowid` is the
row's position. A CSV file is read by DuckDB's own reader only where it reads every row exactly as the row
path (io/readers.py, Python's csv module) would: one physical line per row, no blank lines, no line over
the byte limit, no NUL byte, no quote next to a space that the two readers treat differently, and nothing
DuckDB refuses (ragged rows, unbalanced quotes, bytes that are not UTF-8). Any doubt returns None and the
file takes the row path, which attributes each of those problems to its row with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxgap.io.readers import SourceOptions

BLOCK = 64 << 20  # bytes per block of the line check
NULL_TEXT = "\x01\x02cxgap-null\x02\x01"  # DuckDB's null string, so that '' stays ''
MARK = NULL_TEXT.encode()[:8]  # a file holding it takes the row path
UTF8 = frozenset({"utf-8", "utf8"})


@dataclass
class Scan:
    """A file's rows as raw text in `duck`'s table `raw`, with the counts the import summary reports."""

    duck: duckdb.DuckDBPyConnection
    header: list[str]
    header_lines: int  # physical lines before the first row (0 for Parquet)
    rows: int
    lines_read: int
    bytes_read: int

    def row_number(self, position: int) -> int:
        """The row's number as the row path gives it: its physical line (CSV) or record number (Parquet)."""
        return self.header_lines + position + 1

    def close(self) -> None:
        """Free the in-memory database."""
        self.duck.close()


@dataclass(frozen=True)
class _Lines:
    count: int
    longest: int
    plain: bool  # no NUL byte, no lone CR, no null marker, no quote beside a space where the readers disagree


def _quote_beside_space(delimiter: str) -> re.Pattern[bytes]:
    """A quote that opens after spaces or closes before spaces: DuckDB trims those spaces, Python keeps
    them (`a, "b"` reads ' "b"' in Python, 'b' in DuckDB)."""
    d = re.escape(delimiter.encode())
    return re.compile(rb"(?:^|" + d + rb'|\n)[ \t]+"|"[ \t]+(?:' + d + rb"|\r|\n|$)", re.MULTILINE)


def _space_beside_quote(window: bytes) -> bool:
    """Whether a quote has a space or tab on either side (only then is the exact pattern sought). Windows
    overlap by the previous block's tail, so a quote at a window's edge is judged in the next one."""
    codes = np.frombuffer(window, dtype=np.uint8)
    quotes = np.flatnonzero(codes == 34)
    if not len(quotes):
        return False
    before = codes[np.maximum(quotes - 1, 0)]
    after = codes[np.minimum(quotes + 1, len(codes) - 1)]
    return bool((np.isin(before, (9, 32)) | np.isin(after, (9, 32))).any())


def _check_lines(path: Path, delimiter: str) -> _Lines:
    """Physical lines (LF or CRLF endings) and the longest line's bytes, counted in blocks with numpy."""
    suspicious = _quote_beside_space(delimiter)
    count, longest, last_end, offset = 0, 0, 0, 0
    returns, pairs, plain, tail = 0, 0, True, b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            window = tail + block
            plain = plain and b"\x00" not in block and MARK not in window
            if b"\r" in window:
                returns += block.count(b"\r")
                pairs += block.count(b"\r\n") + (tail.endswith(b"\r") and block.startswith(b"\n"))
            if plain and _space_beside_quote(window) and suspicious.search(window):
                plain = False
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10) + offset
            if len(ends):
                longest = max(longest, int(ends[0]) + 1 - last_end, int(np.diff(ends).max(initial=0)))
                last_end = int(ends[-1]) + 1
                count += len(ends)
            offset += len(block)
            tail = block[-64:]
    if offset > last_end:
        count += 1
        longest = max(longest, offset - last_end)
    return _Lines(count, longest, plain and returns == pairs)  # a lone CR ends a line for the row path


def scan_csv(path: Path, options: SourceOptions, header: list[str], header_lines: int) -> Scan | None:
    """The CSV file's rows after its header in DuckDB, or None where only the row path reads it faithfully."""
    if options.encoding.lower() not in UTF8 or options.delimiter in '"\r\n':
        return None
    if header_lines != options.header_rows:
        return None  # a header cell spanning lines: DuckDB's skip counts lines differently
    lines = _check_lines(path, options.delimiter)
    if not lines.plain or lines.longest > options.max_row_bytes:
        return None
    duck = _database()
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    try:
        duck.execute(
            "CREATE TABLE raw AS SELECT * FROM read_csv(?, header = false, skip = ?, auto_detect = false, "
            f"columns = {{{columns}}}, delim = ?, quote = '\"', escape = '\"', nullstr = ?, "
            "strict_mode = true, null_padding = false, max_line_size = ?)",
            [str(path), header_lines, options.delimiter, NULL_TEXT, options.max_row_bytes + 2],
        )
    except duckdb.Error:
        duck.close()
        return None  # a row DuckDB refuses: the row path quarantines it with its reason
    rows = _count(duck, "SELECT count(*) FROM raw")
    if rows + header_lines != lines.count:
        duck.close()
        return None  # blank lines, or fields over several lines
    if len(header) == 1 and _count(duck, "SELECT count(*) FROM raw WHERE c0 = ''"):
        duck.close()
        return None  # a one-column file: an empty row is a blank line to the row path
    return Scan(duck, header, header_lines, rows, lines.count, path.stat().st_size)


def _database() -> duckdb.DuckDBPyConnection:
    """An in-memory database whose tables keep the file's order (`rowid` is the row's position)."""
    return duckdb.connect(config={"preserve_insertion_order": True})


def _count(duck: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = duck.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _text_column(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A Parquet column as the text `parquet_text` gives, vectorised; None for the types it reads value by
    value (binary, nested, anything Arrow cannot cast to text), which take the row path with its reasons."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return None
    if pa.types.is_nested(kind):
        return None
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def scan_parquet(path: Path, header: list[str]) -> Scan | None:
    """The Parquet file's records as text in DuckDB, or None where a column needs the row path."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return None  # the row path names the record where reading fails
    texts = []
    for column in table.columns:
        text = _text_column(column)
        if text is None:
            return None
        texts.append(text)
    raw = pa.Table.from_arrays(texts, names=[f"c{i}" for i in range(len(header))])
    duck = _database()
    duck.register("raw_arrow", raw)
    duck.execute("CREATE TABLE raw AS SELECT * FROM raw_arrow")
    duck.unregister("raw_arrow")
    has_nul = " OR ".join(f"contains(c{i}, chr(0))" for i in range(len(header)))
    if _count(duck, f"SELECT count(*) FROM raw WHERE {has_nul}"):
        duck.close()
        return None
    return Scan(duck, header, 0, table.num_rows, table.num_rows, path.stat().st_size)
