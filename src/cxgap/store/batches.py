"""Import batches after the fact: which earlier batches hold rows a new batch loaded again, and taking a
batch back out of the store.

A file without ids is keyed by a hash of its content, the mapping's constants included (two review sources
that hold the same review stay two rows): imported again under another mapping, every row of it is loaded a
second time. An import cannot tell that from a second source, so it counts such rows (`earlier_copies`) and
the user decides; `remove_batch` takes a batch's rows back out, keeping its record in import_batches (with
`removed_at`) as the history of what was imported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.errors import CxgapError
from cxgap.store.bulk import batch_literal
from cxgap.store.context import refresh_derived, staged
from cxgap.store.core import Store
from cxgap.store.models import table_of
from cxgap.store.writers import hold_writers

_OWN = "_cxgap_own_rows"
_PAIRS = "_cxgap_copied_pairs"
_REMOVED = "_cxgap_removed_keys"

# how cases name the records that opened them (cases.trigger_kind and case_triggers.trigger_kind)
TRIGGER_KINDS = {"responses": "response", "feedback": "feedback", "interactions": "interaction"}


@dataclass(frozen=True)
class Copied:
    """Rows an earlier batch stored that rows of a new batch equal in every column its file gave; `columns`
    are the other columns, where they differ."""

    batch_id: str | None  # None: rows stored without a batch
    source: str | None
    finished_at: dt.datetime | None
    rows: int  # of the new batch's rows, those equal to one of this batch's
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Copies:
    """How many rows a batch loaded equal rows stored by earlier batches, and which batches those are."""

    rows: int
    batches: tuple[Copied, ...]


JOIN_MEMORY_KB = 256 * 1024
"""PostgreSQL's work_mem for the join of a batch's rows with the stored ones: at the default (4 MB) the
hash of 100,000 reviews is split in 16 parts written to disk with the stored rows they meet (2.4 s at 1M
stored reviews; 1.6 s in memory)."""


@contextlib.contextmanager
def _join_memory(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, at least JOIN_MEMORY_KB of work_mem for the block, within the transaction only."""
    if conn.dialect.name != "postgresql":
        yield
        return
    now = int(conn.execute(sa.text("SELECT setting FROM pg_settings WHERE name = 'work_mem'")).scalar_one())
    if now >= JOIN_MEMORY_KB:
        yield
        return
    conn.execute(sa.text(f"SET LOCAL work_mem = '{JOIN_MEMORY_KB}kB'"))
    yield  # (after an error the transaction is rolled back, and the setting with it)
    conn.execute(sa.text(f"SET LOCAL work_mem = '{now}kB'"))


def earlier_copies(conn: Connection, table_name: str, batch_id: str, given: Sequence[str]) -> Copies:
    """The rows batch `batch_id` loaded into `table_name` (a table keyed by content) that equal a row an
    earlier batch stored in every column of `given`, the columns the file gave (NULL equal to NULL), with
    the earlier batches and the other columns in which the rows differ.

    The batch's own rows are staged and joined once with the stored table: the stored rows are read once,
    their batch's own rows skipped (DuckDB prunes them by the batch id's statistics). A required column is
    compared with `=`, which both backends join by hashing; a nullable one with IS NOT DISTINCT FROM."""
    table = table_of(table_name)
    keys = [c.name for c in table.primary_key.columns]
    compared = [c for c in given if c not in keys and c != "batch_id"]
    others = [c.name for c in table.columns if c.name not in (*keys, "batch_id", *compared)]
    if len(keys) != 1 or not compared:
        return Copies(0, ())
    key = keys[0]
    batch = batch_literal(batch_id)
    own = f"SELECT {', '.join([key, *compared, *others])} FROM {table.name} WHERE batch_id = {batch}"
    with staged(conn, _OWN, own):
        if not conn.execute(sa.text(f"SELECT count(*) FROM {_OWN}")).scalar_one():
            return Copies(0, ())
        same = " AND ".join(
            f"s.{c} IS NOT DISTINCT FROM t.{c}" if table.columns[c].nullable else f"s.{c} = t.{c}"
            for c in compared
        )
        differ = "".join(f", s.{c} IS DISTINCT FROM t.{c} AS differs_{n}" for n, c in enumerate(others))
        pairs = (
            f"SELECT s.{key} AS row_key, t.batch_id AS earlier{differ} FROM {_OWN} s "
            f"JOIN {table.name} t ON {same} WHERE t.batch_id IS DISTINCT FROM {batch}"
        )
        with _join_memory(conn), staged(conn, _PAIRS, pairs):
            total = int(conn.execute(sa.text(f"SELECT count(DISTINCT row_key) FROM {_PAIRS}")).scalar_one())
            if not total:
                return Copies(0, ())
            flags = "".join(f", bool_or(p.differs_{n})" for n in range(len(others)))
            found = conn.execute(
                sa.text(
                    f"SELECT p.earlier, min(b.source), min(b.finished_at), count(DISTINCT p.row_key){flags} "
                    f"FROM {_PAIRS} p LEFT JOIN import_batches b ON b.batch_id = p.earlier GROUP BY p.earlier"
                )
            ).all()
    batches = [
        Copied(
            batch_id=row[0],
            source=row[1],
            finished_at=row[2],
            rows=int(row[3]),
            columns=tuple(c for c, differs in zip(others, row[4:], strict=True) if differs),
        )
        for row in found
    ]
    batches.sort(key=lambda b: (b.finished_at or dt.datetime.min, b.batch_id or ""))
    return Copies(total, tuple(batches))


@dataclass(frozen=True)
class Removal:
    """What taking a batch back out did (or, in a dry run, would do)."""

    batch_id: str
    table: str
    source: str
    imported_at: str  # when the batch was imported (ISO, to the second)
    rows: int  # rows of its table taken out
    item_ratings: int  # item ratings of those responses, taken out with them
    replaced: int  # rows it loaded that a later import replaced: they stay, as that import's
    cases: int  # cases pointing at records taken out: they stay (the loop's history)
    removed_at: str | None  # None in a dry run
    dry_run: bool = False


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "at an unknown time"


def remove_batch(store: Store, batch_id: str, *, dry_run: bool = False) -> Removal:
    """Take every row batch `batch_id` loaded back out of its table (a responses batch takes the item
    ratings of those responses along), bring the derived data in step as a replacing import does, and
    note the removal in import_batches; with `dry_run`, say what would go and change nothing. The id may
    be given by its start, as `cxgap status` shows it, where that names one batch.

    An unknown batch, one already removed, one that loaded no rows and one whose rows a later import all
    replaced are one sentence (CxgapError). Cases opened from the records taken out stay; they are counted.
    """
    batches = table_of("import_batches")
    with store.engine.connect() as conn:  # which table to lock, before the transaction reads anything
        first = find_batch(conn, batch_id)
    batch_id = str(first.batch_id)
    table = str(first.table_name)
    about = f"{table} from {first.source}, imported {_when(first.finished_at)}"
    if table == "cases":
        raise CxgapError(
            f"Batch {batch_id} ({about}) loaded cases, which the closed loop has worked on since (their logs, "
            "triggers and notifications point at them), so they stay: close them instead."
        )
    owned = ["response_items"] if table == "responses" else []
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with store.begin(keep=not dry_run) as conn:
        hold_writers(conn, table, *owned)
        claimed = conn.execute(
            sa.update(batches)
            .where(batches.c.batch_id == batch_id, batches.c.removed_at.is_(None))
            .values(removed_at=now)
            .returning(batches.c.batch_id)
        ).first()
        if claimed is None:  # removed meanwhile (another command or the server) or before
            removed = conn.execute(
                sa.select(batches.c.removed_at).where(batches.c.batch_id == batch_id)
            ).scalar_one()
            raise CxgapError(f"Batch {batch_id} ({about}) was already removed on {_when(removed)}.")
        keys = ", ".join(c.name for c in table_of(table).primary_key.columns)
        taken = f"SELECT {keys} FROM {table} WHERE batch_id = {batch_literal(batch_id)}"
        with staged(conn, _REMOVED, taken):
            rows = int(conn.execute(sa.text(f"SELECT count(*) FROM {_REMOVED}")).scalar_one())
            if not rows:
                raise CxgapError(_nothing_left(conn, batch_id, about, first))
            cases = _cases_pointing(conn, table, keys)
            items = 0
            if owned:
                ratings = f"response_items WHERE response_id IN (SELECT response_id FROM {_REMOVED})"
                items = int(conn.execute(sa.text(f"SELECT count(*) FROM {ratings}")).scalar_one())
                conn.execute(sa.text(f"DELETE FROM {ratings}"))
        conn.execute(sa.text(f"DELETE FROM {table} WHERE batch_id = {batch_literal(batch_id)}"))
        conn.execute(sa.text("DELETE FROM pending_batches WHERE batch_id = :b"), {"b": batch_id})
        refresh_derived(conn, table, None)  # what a replacing import of this table rebuilds
    return Removal(
        batch_id=batch_id,
        table=table,
        source=str(first.source),
        imported_at=first.finished_at.isoformat(sep=" ", timespec="seconds") if first.finished_at else "",
        rows=rows,
        item_ratings=items,
        replaced=max(0, int(first.rows_loaded or 0) - rows),
        cases=cases,
        removed_at=None if dry_run else now.isoformat(sep=" ", timespec="seconds"),
        dry_run=dry_run,
    )


MIN_PREFIX = 8  # characters of an id that may stand for it (`cxgap status` shows 12)


def find_batch(conn: Connection, given: str) -> sa.Row[Any]:
    """The import batch with the id `given`, or the one batch whose id starts with it (at least
    MIN_PREFIX characters, as `cxgap status` shows ids); else one sentence (CxgapError)."""
    batches = table_of("import_batches")
    found = conn.execute(sa.select(batches).where(batches.c.batch_id == given)).first()
    if found is not None:
        return found
    listed = "`cxgap status` lists the latest batches with their ids"
    if len(given) >= MIN_PREFIX:
        starting = batches.c.batch_id.startswith(given, autoescape=True)
        matches = conn.execute(sa.select(batches).where(starting).limit(2)).all()
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CxgapError(f"Several import batches have ids starting with {given!r}; give more of the id.")
    raise CxgapError(f"There is no import batch {given!r}; {listed}.")


def _cases_pointing(conn: Connection, table: str, keys: str) -> int:
    """Cases opened from (or joined by) the records staged in _REMOVED: by the record that triggered them,
    or, for customers, by the customer they concern."""
    if table == "customers":
        query = f"SELECT count(*) FROM cases WHERE customer_id IN (SELECT {keys} FROM {_REMOVED})"
        return int(conn.execute(sa.text(query)).scalar_one())
    kind = TRIGGER_KINDS.get(table)
    if kind is None:
        return 0
    records = f"trigger_kind = :kind AND trigger_id IN (SELECT {keys} FROM {_REMOVED})"
    query = (
        f"SELECT count(*) FROM (SELECT case_id FROM cases WHERE {records} "
        f"UNION SELECT case_id FROM case_triggers WHERE {records}) AS pointing"
    )
    return int(conn.execute(sa.text(query), {"kind": kind}).scalar_one())


def _nothing_left(conn: Connection, batch_id: str, about: str, batch: sa.Row[Any]) -> str:
    """Why a batch without rows of its own cannot be taken out: it loaded none (its rows were present, from
    the batch that first loaded the same file, where one did), or a later import replaced them all."""
    if batch.rows_loaded:
        return (
            f"The {batch.rows_loaded:,} rows batch {batch_id} ({about}) loaded were all replaced by a later "
            'import (on_existing = "replace" gives the rows it replaces its own batch id), so nothing of it '
            "is left to take out; remove that later batch instead (`cxgap status` lists it)."
        )
    batches = table_of("import_batches")
    same = conn.execute(
        sa.select(batches.c.batch_id, batches.c.finished_at)
        .where(
            batches.c.source_sha256 == batch.source_sha256,
            batches.c.table_name == batch.table_name,
            batches.c.batch_id != batch_id,
            batches.c.rows_loaded > 0,
            batches.c.removed_at.is_(None),
        )
        .order_by(batches.c.finished_at)
        .limit(1)
    ).first()
    held = (
        f"; they are batch {same.batch_id}'s (the same file, imported {_when(same.finished_at)})"
        if batch.source_sha256 is not None and same is not None
        else ""
    )
    return (
        f"Batch {batch_id} ({about}) loaded no rows: its {batch.rows_existing:,} rows were already present"
        f"{held}, so there is nothing to take out."
    )
