"""CSV records with the physical lines each one took, so a quote fault costs one row and merges nothing.

Python's csv module, left alone, lets an unbalanced quote swallow every following line into one field.
Here the reader is fed one physical line at a time: when a record asks for another line (a quoted field
is still open) that line is checked first. If it reads as a whole row on its own, or the record runs past
the byte limit or the end of the file, the record's first line is refused with the reason and the lines
after it are read again, each as a row of its own. Every line ends in exactly one record, or is blank.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from cxgap.io.lines import PhysicalLines


@dataclass(frozen=True)
class Record:
    """A CSV record read from lines `start`..`end`: its fields, or the reason it could not be read."""

    start: int
    end: int
    fields: list[str] | None
    reason: str = ""
    raw: str = ""


class _OpenQuote(Exception):
    """The record's quoted field cannot be closed honestly; `why` says how it ran on."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class _Feed:
    """Physical lines for the csv reader, with a queue of lines to read again; watches each record's lines."""

    def __init__(self, lines: PhysicalLines, width: int, delimiter: str) -> None:
        self.lines, self.width, self.delimiter = lines, width, delimiter
        self.again: deque[tuple[int, str]] = deque()  # lines to read again, each as a record of its own
        self.taken: list[tuple[int, str]] = []
        self.alone = False  # whether the current record came from `again` (it may not span lines)
        self.size = 0

    def begin(self) -> None:
        self.taken, self.size, self.alone = [], 0, False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if not self.taken:
            if self.again:
                number, text = self.again.popleft()
                self.alone = True
            else:
                text = next(self.lines)  # StopIteration: the reader stops cleanly between records
                number = self.lines.line_no
            return self._take(number, text)
        if self.alone:
            raise _OpenQuote("opens a quoted field that is not closed on this line")
        try:
            text = next(self.lines)
        except StopIteration:
            raise _OpenQuote("opens a quoted field that is never closed before the end of the file") from None
        number = self.lines.line_no
        if number in self.lines.oversized or self.size + len(text) > self.lines.limit:
            self.again.append((number, text))
            raise _OpenQuote(
                f"opens a quoted field that runs past {self.lines.limit:,} bytes without closing"
            )
        if self.whole_row(text):
            self.again.append((number, text))
            raise _OpenQuote(
                f"opens a quoted field that is still open at line {number}, which reads as a row of its own"
            )
        return self._take(number, text)

    def _take(self, number: int, text: str) -> str:
        self.taken.append((number, text))
        self.size += len(text)
        return text

    def whole_row(self, text: str) -> bool:
        """Whether a line, read alone, is a complete record with the header's number of fields whose quotes
        all open fields (as an export writes them), rather than a line closing a quoted field."""
        if '"' not in text:
            return text.count(self.delimiter) == self.width - 1
        first = text.index('"')
        if first > 0 and text[first - 1] != self.delimiter:
            return False  # a quote inside a field: this line can close the open field honestly
        probe = _Probe(text)
        try:
            fields = next(csv.reader(probe, delimiter=self.delimiter, strict=True))
        except (csv.Error, StopIteration, _OpenQuote):
            return False
        return not probe.asked and len(fields) == self.width


class _Probe:
    """One line for a throwaway csv reader; notes whether the reader wanted more (an open quote)."""

    def __init__(self, text: str) -> None:
        self.text: str | None = text
        self.asked = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.text is None:
            self.asked = True
            raise _OpenQuote("")
        text, self.text = self.text, None
        return text


def csv_records(lines: PhysicalLines, width: int, delimiter: str) -> Iterator[Record]:
    """Every record after the header; a blank line comes as a record with no fields."""
    feed = _Feed(lines, width, delimiter)
    reader = csv.reader(feed, delimiter=delimiter, strict=False)
    while True:
        feed.begin()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except _OpenQuote as problem:
            yield _refused_first_line(feed, problem.why)
            continue
        except csv.Error as error:
            yield _refused(feed, f"cannot be read as CSV ({error})")
            continue
        start, end = feed.taken[0][0], feed.taken[-1][0]
        if start in lines.oversized:
            size = lines.oversized[start].size
            reason = (
                f"is {size:,} bytes long, over the {lines.limit:,}-byte limit (max_row_bytes in the mapping)"
            )
            yield Record(start, end, None, reason, _fields_json(lines.oversized_text(start), delimiter))
        elif not fields:
            yield Record(start, end, [])  # a blank line: the caller counts it
        elif len(fields) != width:
            reason = f"has {len(fields)} fields but the header has {width}"
            yield Record(start, end, None, reason, raw_json(fields))
        else:
            yield Record(start, end, fields)


def _fields_json(text: str, delimiter: str) -> str:
    """Text that could not be a record, split into fields as well as it goes (an open quote runs to the
    end), kept as JSON like every quarantined row: each value can then be redacted on its own."""
    fields: list[str] = []
    try:
        for row in csv.reader(text.splitlines(), delimiter=delimiter, strict=False):
            fields += row
    except csv.Error:  # a field over the size limit: split on the delimiter alone
        fields = text.rstrip("\r\n").split(delimiter)
    return raw_json(fields)


def _refused(feed: _Feed, reason: str) -> Record:
    text = "".join(line for _, line in feed.taken)
    return Record(feed.taken[0][0], feed.taken[-1][0], None, reason, _fields_json(text, feed.delimiter))


def _refused_first_line(feed: _Feed, why: str) -> Record:
    """Refuse the record's first line alone; the lines it tried to take are read again as rows of their own."""
    (number, text), rest = feed.taken[0], feed.taken[1:]
    feed.again.extendleft(reversed(rest))
    reason = f"{why}; the quote on this line is probably not closed (the lines after it are read as rows of their own)"
    return Record(number, number, None, reason, _fields_json(text, feed.delimiter))


def raw_json(fields: list[str]) -> str:
    """A record's fields as the JSON list kept in quarantine."""
    return json.dumps(fields, ensure_ascii=False)
