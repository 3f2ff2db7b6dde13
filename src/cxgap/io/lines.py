"""Physical lines of a text file, decoded and numbered, so every line a reader takes can be accounted for.

A line longer than max_row_bytes is not kept whole: its first bytes are kept for the quarantine record,
the rest skipped up to its end, and an empty line stands in for it so a reader can carry on.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cxgap.errors import InputFileError

BLOCK = 1 << 20
HEAD_BYTES = 100_000  # what an over-long line keeps of itself for its quarantine record


@dataclass(frozen=True)
class Oversized:
    """A line over the byte limit: its full size and its first HEAD_BYTES bytes."""

    size: int
    head: bytes


class PhysicalLines:
    """Decoded physical lines (LF, CRLF or CR endings) with their numbers (`line_no` is the last one given)."""

    def __init__(self, handle: BinaryIO, path: Path, encoding: str, max_row_bytes: int) -> None:
        self.handle, self.path, self.encoding, self.limit = handle, path, encoding, max_row_bytes
        self.line_no = 0
        self.bytes_read = 0
        self.oversized: dict[int, Oversized] = {}
        self._lines = self._split()

    def _split(self) -> Iterator[bytes]:
        """Raw lines with their endings; an over-long line comes out as b"\\n" after noting it."""
        carry = b""
        head, size = b"", 0  # an over-long line being skipped: its first bytes and its size so far
        while True:
            block = self.handle.read(BLOCK)
            data = carry + block
            if not data and not size:
                return
            pieces = data.splitlines(keepends=True)
            carry = b""
            if block and pieces and (not pieces[-1].endswith((b"\n", b"\r")) or pieces[-1].endswith(b"\r")):
                carry = pieces.pop()  # incomplete line, or a CR that may be the first half of CRLF
            for piece in pieces:
                self.bytes_read += len(piece)
                if size or len(piece) > self.limit:
                    head, size = (head + piece)[:HEAD_BYTES], size + len(piece)
                    self.oversized[self.line_no + 1] = Oversized(size, head)
                    head, size = b"", 0
                    yield b"\n"
                else:
                    yield piece
            if len(carry) > self.limit:
                self.bytes_read += len(carry)
                head, size = (head + carry)[:HEAD_BYTES], size + len(carry)
                carry = b""
            if not block:
                if size:
                    self.oversized[self.line_no + 1] = Oversized(size, head)
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
            and self.encoding.lower() in {"utf-8", "utf8"}
        ):
            raw = raw[len(codecs.BOM_UTF8) :]
        if self.line_no in self.oversized:
            return "\n"
        return self.decode(raw, self.line_no)

    def decode(self, raw: bytes, line_no: int) -> str:
        """One line's text; a byte the encoding cannot read is a file-level error naming the line."""
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 1].hex()
            hint = (
                ' if it was saved as Latin-1 (Windows), set encoding = "latin-1" in the mapping'
                if self.encoding.lower().startswith("utf")
                else ""
            )
            raise InputFileError(
                f"{self.path} line {line_no} is not valid {self.encoding} text (byte 0x{bad});{hint}."
            ) from None

    def oversized_text(self, line_no: int) -> str:
        """The kept start of an over-long line, decoded leniently (it is only shown, never loaded)."""
        return self.oversized[line_no].head.decode(self.encoding, errors="replace")
