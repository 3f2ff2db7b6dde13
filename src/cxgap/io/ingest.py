"""Ingest records as they happen (webhooks): the same validation, quarantine, redaction and lineage as a
file import, idempotent by each record's key (a retried or duplicated delivery loads nothing twice). One
call is one batch, or calls that arrived together from one source are one batch (`ingest_deliveries`), each
told its own outcome. The rollups are marked stale rather than rebuilt per call."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cxgap.errors import CxgapError, WriteConflict
from cxgap.io.importer import import_file
from cxgap.io.mapping import ITEM_MEASURES, ItemColumn, mapping_from_dict
from cxgap.io.readers import as_text
from cxgap.io.summary import ImportSummary, RowOutcomes
from cxgap.store import Store
from cxgap.store.models import table_of

INGESTIBLE = {
    "responses": "response_id",
    "feedback": "feedback_id",
    "beliefs": "belief_id",
}  # beliefs: hosted surveys
RETRIES = 6
MOST_RECORDS = 5_000  # in one batch of several deliveries


NOUNS = {"responses": "response", "feedback": "feedback record", "beliefs": "belief"}
ITEMS_EXAMPLE = '{"reliability": {"perception": 5}}'
ITEM_NAME_LENGTH = 64  # response_items.item


def _json_kind(value: Any) -> str:
    """How a JSON value of the wrong type is named in a sentence: a JSON list, an object, a number..."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a JSON list" if isinstance(value, list) else "a JSON object"


def _not_unicode(value: Any) -> bool:
    """Whether a JSON value holds text that UTF-8 cannot carry (a lone surrogate, which JSON's "\\ud800"
    escape decodes to): the store, the staging file and the answer itself would all fail on it."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_not_unicode(k) or _not_unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_not_unicode(v) for v in value)
    return False


def _item_name_fault(code: str) -> str | None:
    """Why an item name cannot be stored as response_items.item (None when it can)."""
    if not code.strip():
        return "empty"
    if len(code) > ITEM_NAME_LENGTH:
        return f"{len(code)} characters long"
    if any(ord(c) < 32 or ord(c) == 127 for c in code):
        return "holds a control character"
    return None


def _check_record(table: str, number: int, record: Any, known: set[str]) -> None:
    """Refuse a record whose shape cannot be read, naming the record and the field: not an object, text
    that is not Unicode, an unknown field, a missing key or one that is a list, object or true/false, or
    `items` that is not an object of item name to ratings. Values of the right shape but wrong content
    (a rating of 12, a date that is not one) are left to the importer, which quarantines their record."""
    if not isinstance(record, dict):
        raise CxgapError(f"Record {number} is not a JSON object.")
    for field, value in record.items():
        if _not_unicode(field):
            raise CxgapError(
                f"Record {number} has a field whose name is not valid Unicode text (a lone surrogate "
                "escape such as \\ud800); send field names as UTF-8 text."
            )
        if _not_unicode(value):
            raise CxgapError(
                f"Record {number}: field '{field}' holds text that is not valid Unicode (a lone surrogate "
                "escape such as \\ud800); send UTF-8 text."
            )
    unknown = sorted(set(record) - known - ({"items"} if table == "responses" else set()))
    if unknown:
        raise CxgapError(
            f"Record {number} has field '{unknown[0]}', which is not a column of {table} ({', '.join(sorted(known))})."
        )
    key = INGESTIBLE[table]
    value = record.get(key)
    if isinstance(value, (bool, list, dict)) and value not in ([], {}):
        raise CxgapError(
            f"Record {number}: {key} must be text or a number (the record's key), not {_json_kind(value)}."
        )
    if value is None or value in ([], {}) or (isinstance(value, str) and not value.strip()):
        raise CxgapError(f"Record {number} has no {key}: every ingested record needs its key.")
    items = record.get("items")
    if items is not None and not isinstance(items, dict):
        raise CxgapError(
            f"Record {number}: items must be an object of item name to ratings, e.g. {ITEMS_EXAMPLE}, "
            f"not {_json_kind(items)}."
        )
    for code, ratings in (items or {}).items():
        if fault := _item_name_fault(code):
            raise CxgapError(
                f"Record {number}: items holds an item name that is {fault}; an item name is 1 to "
                f'{ITEM_NAME_LENGTH} characters of plain text, e.g. "reliability".'
            )
        if not isinstance(ratings, dict) or set(ratings) - set(ITEM_MEASURES):
            raise CxgapError(
                f'Record {number}: items.{code} must map {", ".join(ITEM_MEASURES)} to ratings, e.g. {{"perception": 5}}.'
            )


def _expected(column: sa.Column[Any]) -> str:
    """What a required column holds, in words for a caller: its values, or its meaning (and a date's form)."""
    if allowed := column.info.get("allowed"):
        return f"one of {', '.join(allowed)}"
    meaning = str(column.comment or column.name).rstrip(".")
    meaning = meaning[:1].lower() + meaning[1:]
    if isinstance(column.type, (sa.DateTime, sa.Date)):
        return f"{meaning}: a date in ISO 8601, e.g. 2024-03-31 or 2024-03-31T14:05:00"
    return meaning


def _check_required(table: str, records: list[dict[str, Any]]) -> None:
    """Refuse a delivery in which no record has a field every row needs, in the caller's terms (the
    field, the records and what it holds) rather than the file importer's (a mapping the caller does not
    have). Where only some records lack it, those records are quarantined with their own reasons."""
    for column in table_of(table).columns:
        required = not column.nullable and column.default is None and column.name != "batch_id"
        if required and not any(column.name in record for record in records):
            who = "Record 1 has" if len(records) == 1 else f"Records 1 to {len(records)} have"
            raise CxgapError(
                f"{who} no {column.name}, which every {NOUNS[table]} needs ({_expected(column)})."
            )


def _flatten(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, ItemColumn]]:
    """Records (already checked) with their `items` ({code: {perception: 5, ...}}) spread into one column
    per rating."""
    items: dict[str, ItemColumn] = {}
    flat = []
    for record in records:
        row = {k: v for k, v in record.items() if k != "items"}
        for code, ratings in (record.get("items") or {}).items():
            for measure, value in ratings.items():
                column = f"item:{code}:{measure}"
                items[column] = ItemColumn(item=code, measure=measure)
                row[column] = value
        flat.append(row)
    return flat, items


@dataclass(frozen=True)
class Delivery:
    """One webhook call's records, checked and flattened (item ratings spread into columns), with each
    record's key as the store will hold it."""

    rows: list[dict[str, Any]]
    items: dict[str, ItemColumn]
    keys: tuple[str, ...]

    def joins(self, group: Sequence[Delivery], most: int = MOST_RECORDS) -> bool:
        """Whether this delivery can be loaded in one batch with `group`: no key twice in the batch (a key
        this delivery repeats stays its own problem, reported on its own record numbers) and not too big."""
        if len(set(self.keys)) < len(self.keys):
            return not group
        if sum(len(d.keys) for d in group) + len(self.keys) > most:
            return not group
        return all(set(self.keys).isdisjoint(d.keys) for d in group)


def check_delivery(table: str, records: list[dict[str, Any]]) -> Delivery:
    """The records of one call, checked (the table, a key on every record, known fields of a JSON type
    they can be read with, every required field present in some record) and flattened; a CxgapError names
    the first record at fault and the field, so a webhook caller gets a 400 it can act on."""
    if table not in INGESTIBLE:
        raise CxgapError(f"Cannot ingest into '{table}'; choose one of {', '.join(INGESTIBLE)}.")
    if not records:
        raise CxgapError("Nothing to ingest: send one record or a list of records.")
    known = {c.name for c in table_of(table).columns} - {"batch_id"}
    for number, record in enumerate(records, start=1):
        _check_record(table, number, record, known)
    _check_required(table, records)
    rows, items = _flatten(records)
    key = INGESTIBLE[table]
    return Delivery(rows, items, tuple((as_text(row[key]) or "").strip() for row in rows))


def ingest_records(store: Store, table: str, records: list[dict[str, Any]], source: str) -> ImportSummary:
    """Load records (schema column names; responses may carry `items`) into `table` as one batch.

    Every record needs its key; records already stored under that key are counted as existing. On
    PostgreSQL a concurrent delivery of the same key can collide; the batch is then retried.
    """
    return ingest_deliveries(store, table, [check_delivery(table, records)], source)[0]


def ingest_deliveries(
    store: Store, table: str, deliveries: Sequence[Delivery], source: str
) -> list[ImportSummary]:
    """Load several deliveries from one source as one batch (one transaction): what a server does with the
    webhook calls that arrived while it was writing. Each delivery gets its own summary, its records
    numbered from 1 as it sent them, and its rows' outcomes (`summary.rows`: the keys it loaded, which the
    case rules look up by key instead of scanning the table for the batch); the summaries share the batch
    id. The deliveries must fit together (`Delivery.joins`)."""
    for n, delivery in enumerate(deliveries):
        if not delivery.joins(deliveries[:n], most=10**9):
            raise ValueError("deliveries loaded as one batch must not share a key")
    if len(deliveries) == 1:
        return [_import(store, table, deliveries[0].rows, deliveries[0].items, source)]
    items = {k: v for d in deliveries for k, v in d.items.items()}
    merged = _import(store, table, [row for d in deliveries for row in d.rows], items, source)
    summaries, start = [], 0
    for delivery in deliveries:
        summaries.append(_part(merged, delivery, start))
        start += len(delivery.rows)
    return summaries


def _part(merged: ImportSummary, delivery: Delivery, start: int) -> ImportSummary:
    """One delivery's share of a merged batch, its rows renumbered from 1."""
    assert merged.rows is not None
    n = len(delivery.rows)
    problems = [
        replace(p, row=p.row - start, end=p.end - start if p.end else 0)
        for p in merged.rows.quarantined
        if start < p.row <= start + n
    ]
    bad = {p.row for p in problems}
    good = [key for pos, key in enumerate(delivery.keys, start=1) if pos not in bad]
    loaded = frozenset(key for key in good if key in merged.rows.loaded)
    return replace(
        merged,
        rows_read=n,
        lines_read=n,
        lines_in_rows=n,
        lines_skipped=0,
        rows_loaded=len(loaded),
        rows_replaced=0,
        rows_existing=len(good) - len(loaded),
        rows_quarantined=len(problems),
        items_loaded=sum(merged.rows.items.get(key, 0) for key in good),
        problems=tuple(problems[:20]),
        redacted={},  # counted per batch, not per delivery
        rows=RowOutcomes(
            loaded, {key: merged.rows.items[key] for key in good if key in merged.rows.items}, tuple(problems)
        ),
    )


def _import(
    store: Store,
    table: str,
    flat: list[dict[str, Any]],
    items: dict[str, ItemColumn],
    source: str,
) -> ImportSummary:
    """Flattened records through the file importer (the same validation, quarantine and redaction), with
    their row by row outcomes."""
    key = INGESTIBLE[table]
    columns = sorted({k for row in flat for k in row} - set(items))
    mapping = mapping_from_dict(
        {
            "table": table,
            "format": "jsonl",
            "columns": {key: key},
            "optional_columns": {c: c for c in columns if c != key},
            "items": {k: v.model_dump() for k, v in items.items()},
        },
        source,
    )
    with tempfile.TemporaryDirectory(prefix="cxgap-ingest-") as folder:
        path = Path(folder) / f"{table}.jsonl"
        path.write_text("\n".join(json.dumps(row, default=str) for row in flat) + "\n", encoding="utf-8")
        for attempt in range(RETRIES):
            try:
                return import_file(store, path, mapping, source=source, defer_rollups=True, track_rows=True)
            except (sa.exc.DBAPIError, WriteConflict):  # a concurrent batch took the same key, or wrote first
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")
