"""Import one file into one table through a mapping: every row loaded, already present, or quarantined.

The whole file is one transaction (one batch): a failure or a kill part-way leaves nothing behind, and
the same file can simply be imported again. Keys make re-imports idempotent: a source id where the
mapping gives one, otherwise a content hash (with an occurrence number for identical rows in a file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.errors import ConfigError, InputFileError
from cxgap.io.chunks import Batch, Plan, load_chunk
from cxgap.io.chunks import as_whole_before as _as_whole_before  # noqa: F401 (kept for older imports)
from cxgap.io.file_scan import Scan, scan_csv, scan_parquet
from cxgap.io.mapping import Mapping, mapping_toml
from cxgap.io.readers import SourceOptions, detect_format, open_source, read_csv_header
from cxgap.io.summary import ImportSummary, RepeatedBatch, RowOutcomes
from cxgap.io.vectorised import load_scan, vectorisable
from cxgap.store import Store, refresh_derived
from cxgap.store.batches import Copies, earlier_copies
from cxgap.store.models import table_of
from cxgap.store.writers import hold_writers

Progress = Callable[[int, int], None]
"""Called after each chunk with (rows read so far, bytes read so far)."""

UNITS = {"csv": "row", "jsonl": "line", "parquet": "record"}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(
    store: Store,
    path: str | Path,
    mapping: Mapping,
    *,
    strict: bool = False,
    progress: Progress | None = None,
    chunk_rows: int = 50_000,
    source: str | None = None,
    defer_rollups: bool = False,
    track_rows: bool = False,
    dry_run: bool = False,
) -> ImportSummary:
    """Import `path` into `mapping.table` as one batch; with `strict`, load nothing if any row is quarantined.

    `source` names the batch's origin when it is not the file (an API ingest); `defer_rollups` marks the
    rollups stale instead of rebuilding them, for many small batches (the next analysis rebuilds once);
    `track_rows` adds the row-by-row outcome (`summary.rows`), for a table keyed by one source column.
    `dry_run` does everything but keep it: the summary says what would load, be already present or be
    quarantined (and why), and the store is left as it was (the transaction is rolled back).
    """
    path = Path(path)
    options = SourceOptions(
        format=mapping.format or detect_format(path),
        delimiter=mapping.delimiter,
        encoding=mapping.encoding,
        header_rows=mapping.header_rows,
        max_row_bytes=mapping.max_row_bytes,
    )
    try:
        "".encode(options.encoding)
    except LookupError:
        raise ConfigError(
            f"encoding = '{options.encoding}' is not an encoding Python knows (try utf-8 or latin-1)."
        ) from None
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    plan, scan = _scanned(path, options, mapping, track_rows, chunk_rows)
    batch = Batch(plan, UNITS[options.format], track_rows)
    with store.begin(keep=not dry_run) as conn, contextlib.closing(_Rows(scan)) as rows:
        # before it reads the store: it then sees every row a writer it waited for committed
        hold_writers(conn, mapping.table, *(["response_items"] if mapping.items else []))
        rows.load(conn, batch, path, options, chunk_rows, progress)
        copies = _earlier_copies(conn, batch)
        if dry_run:
            return _summary(batch, source or str(path), copies)
        replaced = batch.summary_counts["replaced"] > 0
        if mapping.table != "responses" or replaced or batch.summary_counts["items"]:
            # (derived data of responses is of their item ratings: a batch without any changes none)
            refresh_derived(
                conn, mapping.table, None if replaced else batch.batch_id, rollups=not defer_rollups
            )
        counts = batch.summary_counts
        if strict and counts["quarantined"]:
            first = batch.problems[0]
            raise InputFileError(
                f"{path} {batch.unit} {first.row}: {first.reason}; nothing was loaded because of --strict "
                f"({counts['quarantined']:,} of {counts['read']:,} rows have problems)."
            )
        _record_batch(conn, batch, source or str(path), path, started)
    return _summary(batch, source or str(path), copies)


def _earlier_copies(conn: Connection, batch: Batch) -> Copies:
    """For a table keyed by content (a file without ids), the rows this batch loaded that equal rows earlier
    batches stored in every column the file gave: the same file imported again under another mapping (whose
    constants are part of the key) is loaded again, and the user is told."""
    plan = batch.plan
    if plan.hash_key is None or not batch.summary_counts["loaded"]:
        return Copies(0, ())
    return earlier_copies(conn, plan.mapping.table, batch.batch_id, list(plan.sources))


def _scanned(
    path: Path, options: SourceOptions, mapping: Mapping, track_rows: bool, chunk_rows: int
) -> tuple[Plan, Scan | None]:
    """The mapping resolved against the file's header, and the file read by DuckDB where the vectorised
    path gives exactly what the row path would (None: the row path reads it)."""
    if options.format == "csv":
        header, header_lines = read_csv_header(path, options)
        plan = Plan(mapping, header, path, options)
        fits = vectorisable(plan, track_rows, chunk_rows)
        return plan, scan_csv(path, options, header, header_lines) if fits else None
    header, chunks = open_source(path, options, chunk_rows)
    plan = Plan(mapping, header, path, options)
    if options.format == "parquet" and vectorisable(plan, track_rows, chunk_rows):
        return plan, scan_parquet(path, header)
    return plan, None


class _Rows:
    """Loads the file's rows: the whole scanned file at once, or chunk by chunk on the row path."""

    def __init__(self, scan: Scan | None) -> None:
        self.scan = scan if scan is not None and scan.rows else None
        if scan is not None and self.scan is None:
            scan.close()  # no rows: the row path says so as it always has

    def load(
        self,
        conn: Connection,
        batch: Batch,
        path: Path,
        options: SourceOptions,
        chunk_rows: int,
        progress: Progress | None,
    ) -> None:
        if (scan := self.scan) is not None:
            report = (lambda: progress(scan.rows, scan.bytes_read)) if progress else None
            load_scan(conn, batch, scan, report)
            return
        _, chunks = open_source(path, options, chunk_rows)
        for chunk in chunks:
            load_chunk(conn, batch, chunk)
            if progress:
                progress(batch.summary_counts["read"], chunk.bytes_read)

    def close(self) -> None:
        if self.scan is not None:
            self.scan.close()


def _record_batch(conn: Connection, batch: Batch, source: str, path: Path, started: dt.datetime) -> None:
    """The batch's row in import_batches: where it came from, the mapping used, and its counts."""
    counts = batch.summary_counts
    conn.execute(
        sa.insert(table_of("import_batches")).values(
            batch_id=batch.batch_id,
            table_name=batch.plan.mapping.table,
            source=source,
            source_sha256=_file_sha256(path),
            mapping=mapping_toml(batch.plan.mapping),
            started_at=started,
            finished_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            rows_read=counts["read"],
            lines_read=counts["lines_read"],
            rows_loaded=counts["loaded"],
            rows_existing=counts["existing"],
            rows_quarantined=counts["quarantined"],
        )
    )


def _summary(batch: Batch, source: str, copies: Copies) -> ImportSummary:
    """What the batch did (or, in a dry run, would do), in counts that reconcile."""
    counts = batch.summary_counts
    repeated = tuple(
        RepeatedBatch(
            batch_id=copied.batch_id or "",
            source=copied.source or "",
            finished_at=f"{copied.finished_at:%Y-%m-%d %H:%M:%S}" if copied.finished_at else "",
            rows=copied.rows,
            columns=copied.columns,
        )
        for copied in copies.batches
    )
    return ImportSummary(
        source=source,
        table=batch.plan.mapping.table,
        batch_id=batch.batch_id,
        unit=batch.unit,
        rows_read=counts["read"],
        lines_read=counts["lines_read"],
        lines_skipped=counts["lines_skipped"],
        lines_in_rows=counts["lines_in_rows"],
        rows_loaded=counts["loaded"],
        rows_replaced=counts["replaced"],
        rows_existing=counts["existing"],
        rows_differing=counts["differing"],
        rows_repeating=copies.rows,
        repeated_batches=repeated,
        rows_quarantined=counts["quarantined"],
        items_loaded=counts["items"],
        redacted=dict(batch.redacted),
        problems=tuple(batch.problems),
        unused_columns=tuple(batch.plan.unused),
        rows=RowOutcomes(frozenset(batch.loaded_keys), dict(batch.item_keys), tuple(batch.quarantined))
        if batch.track_rows
        else None,
    )
