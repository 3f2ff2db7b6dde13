"""Ingest records as they happen (webhooks): the same validation, quarantine, redaction and lineage as a
file import, one batch per call, idempotent by each record's key (a retried or duplicated delivery loads
nothing twice). The rollups are marked stale rather than rebuilt per call."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cxgap.errors import CxgapError
from cxgap.io.importer import import_file
from cxgap.io.mapping import ITEM_MEASURES, ItemColumn, mapping_from_dict
from cxgap.io.summary import ImportSummary
from cxgap.store import Store
from cxgap.store.models import table_of

INGESTIBLE = {"responses": "response_id", "feedback": "feedback_id"}
RETRIES = 6


def _flatten(table: str, records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, ItemColumn]]:
    """Records with their `items` ({code: {perception: 5, ...}}) spread into one column per rating."""
    known = {c.name for c in table_of(table).columns} - {"batch_id"}
    items: dict[str, ItemColumn] = {}
    flat = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise CxgapError(f"Record {number} is not a JSON object.")
        unknown = sorted(set(record) - known - ({"items"} if table == "responses" else set()))
        if unknown:
            raise CxgapError(
                f"Record {number} has field '{unknown[0]}', which is not a column of {table} ({', '.join(sorted(known))})."
            )
        row = {k: v for k, v in record.items() if k != "items"}
        for code, ratings in (record.get("items") or {}).items():
            if not isinstance(ratings, dict) or set(ratings) - set(ITEM_MEASURES):
                raise CxgapError(
                    f'Record {number}: items.{code} must map {", ".join(ITEM_MEASURES)} to ratings, e.g. {{"perception": 5}}.'
                )
            for measure, value in ratings.items():
                column = f"item:{code}:{measure}"
                items[column] = ItemColumn(item=code, measure=measure)
                row[column] = value
        flat.append(row)
    return flat, items


def ingest_records(store: Store, table: str, records: list[dict[str, Any]], source: str) -> ImportSummary:
    """Load records (schema column names; responses may carry `items`) into `table` as one batch.

    Every record needs its key; records already stored under that key are counted as existing. On
    PostgreSQL a concurrent delivery of the same key can collide; the batch is then retried.
    """
    if table not in INGESTIBLE:
        raise CxgapError(f"Cannot ingest into '{table}'; choose one of {', '.join(INGESTIBLE)}.")
    if not records:
        raise CxgapError("Nothing to ingest: send one record or a list of records.")
    key = INGESTIBLE[table]
    missing = [n for n, r in enumerate(records, start=1) if isinstance(r, dict) and not r.get(key)]
    if missing:
        raise CxgapError(f"Record {missing[0]} has no {key}: every ingested record needs its key.")
    flat, items = _flatten(table, records)
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
                return import_file(store, path, mapping, source=source, defer_rollups=True)
            except sa.exc.DBAPIError:  # a concurrent batch took the same key (or a serialisation failure)
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")
