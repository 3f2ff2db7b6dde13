"""Read a sample of a user's export and recognise what produced it: Qualtrics, SurveyMonkey, Typeform,
Zendesk, Formbricks or a plain table.

The sample is read by the importer's own readers (`cxgap.io.readers`) with the options the proposal will
write into the mapping, so the columns and values seen here are exactly those `cxgap import` will see.
Only the header rows are looked at directly, to find how many there are and what they say.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cxgap.errors import InputFileError
from cxgap.io.readers import (
    CANDIDATE_DELIMITERS,
    SourceOptions,
    detect_format,
    open_source,
    question_groups,
)

SAMPLE_ROWS = 2_000
PEEK_BYTES = 1 << 20  # enough for the header rows of any export, question texts included
EXPORTS = ("qualtrics", "surveymonkey", "typeform", "zendesk", "formbricks", "plain")
SURVEYMONKEY_SUBHEADS = ("Response", "Open-Ended Response")


@dataclass(frozen=True)
class SampleColumn:
    """One column of the sample: its name (as the mapping names it), the question it asks when the export
    says (Qualtrics' second header row, SurveyMonkey's row labels), and its raw values, None for absent.
    A column of a SurveyMonkey matrix or multiple-answer question also has the question over its group
    (`group`) and its own row or option label (`label`); its name is "<group> - <label>"."""

    name: str
    text: str
    values: tuple[str | None, ...]
    open_ended: bool = False
    group: str = ""
    label: str = ""


@dataclass(frozen=True)
class Sample:
    """The first rows of one file, read as `cxgap import` reads them, and the export it comes from."""

    path: Path
    format: str
    export: str
    export_evidence: str
    delimiter: str
    encoding: str
    header_rows: int
    columns: tuple[SampleColumn, ...]
    rows: int

    def column(self, name: str) -> SampleColumn:
        """The sampled column called `name`."""
        return next(c for c in self.columns if c.name == name)


def read_sample(path: Path, rows: int = SAMPLE_ROWS) -> Sample:
    """The first `rows` rows of `path` (CSV, JSON Lines or Parquet) and the export it was recognised as;
    a file that cannot be read, or holds no data row, is one sentence (InputFileError)."""
    fmt = detect_format(path)
    delimiter, encoding, records = ",", "utf-8", list[list[str]]()
    if fmt == "csv":
        delimiter, encoding, records = _peek_csv(path)
    header_rows = _header_rows(records)
    options = SourceOptions(format=fmt, delimiter=delimiter, encoding=encoding, header_rows=header_rows)
    header, chunks = open_source(path, options, chunk_rows=rows)
    try:
        chunk = next(chunks)
    finally:
        chunks.close()  # type: ignore[attr-defined]  # a generator: closes the file
    if not chunk.rows:
        raise InputFileError(
            f"{path} has no data rows under its header; a proposal needs at least one row of answers."
        )
    groups = _groups(path, header, records, header_rows)
    texts = _question_texts(header, records, header_rows, set(groups))
    open_ended = _open_ended(header, records, header_rows)
    columns = tuple(
        SampleColumn(
            name,
            texts.get(name, ""),
            tuple(chunk.values[name]),
            name in open_ended,
            *groups.get(name, ("", "")),
        )
        for name in header
    )
    export, evidence = recognise(header, header_rows)
    return Sample(path, fmt, export, evidence, delimiter, encoding, header_rows, columns, len(chunk.rows))


def _decode(path: Path) -> tuple[str, str]:
    """The first PEEK_BYTES of a text file, decoded, and the encoding that decoded them (UTF-8 first;
    old Windows exports are cp1252)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(PEEK_BYTES)
    except OSError as error:
        raise InputFileError(f"{path} cannot be read ({error.strerror}).") from None
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "cp1252"):
        try:
            return codecs.getincrementaldecoder(encoding)().decode(head, final=False), encoding
        except UnicodeDecodeError:
            continue
    return head.decode("latin-1"), "latin-1"


def _peek_csv(path: Path) -> tuple[str, str, list[list[str]]]:
    """The delimiter, the encoding and the first records of a CSV file: the delimiter is the candidate that
    splits the first lines into the most columns, the same number on each."""
    if not path.is_file():
        open_source(path, SourceOptions(format="csv"))  # says what is wrong, in its own words
    text, encoding = _decode(path)
    best, best_width = ",", 1
    for candidate in CANDIDATE_DELIMITERS:
        records = _records(text, candidate, 20)
        widths = {len(r) for r in records if any(cell.strip() for cell in r)}
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best, best_width = candidate, width
    return best, encoding, _records(text, best, 3)


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= limit:
                break
    except csv.Error:
        pass  # a damaged line further down: the first records are enough here
    return records


def _header_rows(records: list[list[str]]) -> int:
    """3 for Qualtrics (its third row holds {"ImportId": ...} cells), 2 for SurveyMonkey (its second row says
    "Response" under a question, or labels the columns of a matrix or multiple-answer question whose first
    row is blank over all but the first), else 1."""
    if len(records) >= 3 and _share(records[2], lambda c: c.startswith('{"ImportId"')) >= 0.5:
        return 3
    if len(records) >= 2 and "Respondent ID" in records[0]:
        if any(cell in SURVEYMONKEY_SUBHEADS for cell in records[1]) or _labels_blank_names(records):
            return 2
    return 1


def _labels_blank_names(records: list[list[str]]) -> bool:
    """The second row labels a column the first row leaves blank (a matrix's row, an option)."""
    return any(
        not name.strip() and label.strip() for name, label in zip(records[0], records[1], strict=False)
    )


def _share(cells: list[str], test: Callable[[str], bool]) -> float:
    filled = [c for c in cells if c.strip()]
    return sum(1 for c in filled if test(c)) / len(filled) if filled else 0.0


def _subheads(header: list[str], records: list[list[str]], header_rows: int) -> list[tuple[str, str]]:
    if header_rows != 2 or len(records) < 2:
        return []
    return [(name, sub.strip()) for name, sub in zip(header, records[1], strict=False)]


def _open_ended(header: list[str], records: list[list[str]], header_rows: int) -> set[str]:
    """Columns the export marks as typed-in answers: SurveyMonkey's "Open-Ended Response", Qualtrics'
    import ids ending in _TEXT."""
    found = {name for name, sub in _subheads(header, records, header_rows) if sub == "Open-Ended Response"}
    if header_rows == 3 and len(records) >= 3:
        found |= {
            n for n, cell in zip(header, records[2], strict=False) if re.search(r'_TEXT"\s*}$', cell.strip())
        }
    return found


def _question_texts(
    header: list[str], records: list[list[str]], header_rows: int, grouped: set[str]
) -> dict[str, str]:
    """Each column's question as the export words it: Qualtrics' second row; SurveyMonkey's question
    with the option or row label under it (a matrix or multiple-answer column's name says both already);
    otherwise the column name itself."""
    texts = {name: name for name in header}
    if header_rows == 3 and len(records) >= 2:
        texts.update({n: " ".join(t.split()) for n, t in zip(header, records[1], strict=False) if t.strip()})
    for name, sub in _subheads(header, records, header_rows):
        if sub and sub not in SURVEYMONKEY_SUBHEADS and name not in grouped:
            texts[name] = f"{name} - {sub}"
    return texts


def _groups(
    path: Path, header: list[str], records: list[list[str]], header_rows: int
) -> dict[str, tuple[str, str]]:
    """Each column of a SurveyMonkey matrix or multiple-answer question (see `grouped_names` in the
    readers, which named them): the question over its group and its own row or option label."""
    if header_rows != 2 or len(records) < 2:
        return {}
    first = [cell.strip() for cell in records[0]]
    return {
        header[column]: (first[start], records[1][column].strip())
        for start, end in question_groups(path, first)
        for column in range(start, end)
    }


SIGNATURES: dict[str, tuple[tuple[str, ...], str]] = {
    "qualtrics": (("ResponseId", "RecordedDate"), "Qualtrics export (ResponseId, RecordedDate)"),
    "surveymonkey": (("Respondent ID", "Collector ID"), "SurveyMonkey export (Respondent ID, Collector ID)"),
    "typeform": (("#", "Submit Date (UTC)"), "Typeform export (#, Submit Date (UTC))"),
    "formbricks": (
        ("Response ID", "Formbricks ID (internal)"),
        "Formbricks export (Formbricks ID (internal))",
    ),
    "zendesk": (("Id", "Created at", "Requester"), "Zendesk ticket export (Id, Requester, Created at)"),
}


def recognise(header: list[str], header_rows: int = 1) -> tuple[str, str]:
    """The export a header comes from, and why; "plain" when it is none of the known ones."""
    names = set(header)
    if header_rows == 3:
        return "qualtrics", "Qualtrics export: three header rows (column ids, question texts, import ids)"
    for export, (needed, evidence) in SIGNATURES.items():
        if names.issuperset(needed):
            if export == "surveymonkey" and header_rows == 2:
                evidence += ": two header rows (questions, then Response or the option)"
            return export, evidence
    return "plain", "a plain table: one header row, one record per row"
