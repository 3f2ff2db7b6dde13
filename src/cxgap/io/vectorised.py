"""Load a whole scanned file at DuckDB speed, with the same rows, keys, reasons and counts as the row path.

SQL converts every value it can state exactly (io/sql_rules.py) and flags the rest; the flagged rows, a few
in a clean file, go through the row path's own conversion (io/chunks.py), which gives the refused rows their
reasons and loads the others. Keys repeated within the file are found with one window over the valid rows,
content keys are hashed exactly as the row path hashes them, free text is redacted once per distinct text
and author, and the valid rows are inserted in one statement inside the import's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.io import chunks
from cxgap.io.chunks import (
    TEXT_COLUMNS,
    Batch,
    Plan,
    constant_columns,
    content_keys,
    convert_chunk,
    item_frame,
)
from cxgap.io.convert import to_arrow
from cxgap.io.file_scan import Scan
from cxgap.io.personal import all_names_redactor, redactor_for
from cxgap.io.readers import RawChunk
from cxgap.io.sql_rules import build_typed
from cxgap.io.summary import Problem
from cxgap.store import delete_replaced, insert_new, insert_owned
from cxgap.store.bulk import arrow_type

Problems = dict[int, list[tuple[str | None, str]]]  # by position in the file (rowid)


def vectorisable(plan: Plan, track_rows: bool, chunk_rows: int) -> bool:
    """Whether the vectorised path gives exactly what the row path would: row-by-row outcomes (webhooks),
    chunks small enough to change which names the redactor knows, and keys that are not text take the row
    path."""
    keys = [plan.table.columns[k] for k in plan.key_columns if k != plan.hash_key]
    text_keys = all(isinstance(c.type, sa.String) for c in keys)
    return not track_rows and chunk_rows > chunks.SMALL_CHUNK and text_keys


def _raw_chunk(scan: Scan, positions: list[int]) -> RawChunk:
    """The raw text of the rows at `positions`, as the row path's reader gives it."""
    if not positions:
        return RawChunk(values={name: [] for name in scan.header})
    scan.duck.register("wanted", pa.table({"pos": pa.array(positions, pa.int64())}))
    names = ", ".join(f"c{i}" for i in range(len(scan.header)))
    table = (
        scan.duck.execute(
            f"SELECT rowid AS pos, {names} FROM raw WHERE rowid IN (SELECT pos FROM wanted) ORDER BY rowid"
        )
        .arrow()
        .read_all()
    )
    scan.duck.unregister("wanted")
    rows = [scan.row_number(p) for p in table.column("pos").to_pylist()]
    values = {name: table.column(f"c{i}").to_pylist() for i, name in enumerate(scan.header)}
    return RawChunk(rows=rows, ends=list(rows), values=values)


class _Judged:
    """The flagged rows as the row path judges them: problems, typed frame, and which loaded."""

    def __init__(self, plan: Plan, scan: Scan) -> None:
        flagged = scan.duck.execute("SELECT pos FROM typed WHERE bad ORDER BY pos").arrow().read_all()
        self.positions = flagged.column("pos").to_pylist()
        self.chunk = _raw_chunk(scan, self.positions)
        self.frame, local = convert_chunk(plan, self.chunk)
        if plan.mapping.items:
            item_frame(plan, self.chunk, local)  # the item values themselves come from SQL (exact lookups)
        self.problems: Problems = {self.positions[p]: reasons for p, reasons in local.items()}
        self.good = [p for p in range(len(self.positions)) if p not in local]


def _schema(plan: Plan, names: list[str]) -> pa.Schema:
    return pa.schema([(n, arrow_type(plan.table.columns[n])) for n in names])


def _with_constants(plan: Plan, table: pa.Table) -> pa.Table:
    """The SQL-typed rows with the mapping's constants (and customers.churned) added, as the row path does."""
    constants = constant_columns(plan, 1)
    if constants:
        row = to_arrow(pd.DataFrame(constants), plan.table)
        for name in row.column_names:
            table = table.append_column(name, pa.repeat(row.column(name)[0], table.num_rows))
    if plan.mapping.table == "customers":
        ended = "ended_at" in table.column_names
        derived = table.column("ended_at").is_valid() if ended else pa.repeat(False, table.num_rows)
        if "churned" not in table.column_names:
            return table.append_column("churned", derived)
        given = table.column("churned")  # a blank left to be derived from ended_at
        filled = pc.if_else(pc.is_null(given), derived, given)
        table = table.set_column(table.column_names.index("churned"), "churned", filled)
    return table


def _typed_rows(plan: Plan, scan: Scan, judged: _Judged, every: bool) -> pa.Table:
    """Typed rows (pos first) in the row path's column order: the rows SQL passed, and the flagged rows the
    row path passed (`every`: the flagged rows it refused as well, with their values as it typed them)."""
    names = list(plan.sources)
    select = ", ".join(f'"{n}"' for n in names)
    clean = scan.duck.execute(f"SELECT pos, {select} FROM typed WHERE NOT bad").arrow().read_all()
    clean = _with_constants(plan, clean)
    columns = clean.column_names[1:]
    clean = clean.cast(pa.schema([("pos", pa.int64()), *_schema(plan, columns)]))
    keep = list(range(len(judged.positions))) if every else judged.good
    frame = judged.frame.iloc[keep].reset_index(drop=True)
    flagged = to_arrow(frame[columns], plan.table) if len(frame) else clean.slice(0, 0).drop_columns("pos")
    positions = pa.array([judged.positions[p] for p in keep], pa.int64())
    flagged = pa.Table.from_arrays([positions, *flagged.columns], names=["pos", *columns])
    rows = pa.concat_tables([clean, flagged.cast(clean.schema)])
    return rows.sort_by("pos") if every else rows


def _repeated_keys(plan: Plan, scan: Scan, batch: Batch, good: pa.Table) -> Problems:
    """Valid rows whose key repeats an earlier valid row's: 'repeats the <key> '<value>' of row <n>'."""
    if plan.hash_key:
        return {}
    names = plan.key_columns
    scan.duck.register("good", good.select(["pos", *names]))
    keys = ", ".join(f'"{n}"' for n in names)
    distinct = scan.duck.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM good)").fetchone()
    repeats: list[Any] = []
    if distinct is None or distinct[0] < good.num_rows:  # counting alone is about twice as fast as finding
        repeats = scan.duck.execute(
            f"WITH twice AS (SELECT {keys}, min(pos) AS first FROM good GROUP BY ALL HAVING count(*) > 1) "
            f"SELECT pos, first, {keys} FROM good JOIN twice USING ({keys}) WHERE pos > first ORDER BY pos"
        ).fetchall()
    scan.duck.unregister("good")
    label = ", ".join(names)
    problems: Problems = {}
    for pos, first, *values in repeats:
        shown = "\x1f".join(str(v) for v in values).replace(chr(31), ", ")
        problems[int(pos)] = [
            (None, f"repeats the {label} {shown!r} of {batch.unit} {scan.row_number(first)}")
        ]
    return problems


def _items_long(plan: Plan, scan: Scan) -> pd.DataFrame:
    """Every row's item ratings in long form (pos, item, measure, value), in the row path's order."""
    parts = []
    for number, spec in enumerate(plan.mapping.items.values()):
        rated = scan.duck.execute(
            f"SELECT pos, item{number} AS value FROM typed WHERE item{number} IS NOT NULL ORDER BY pos"
        ).df()
        parts.append(
            pd.DataFrame(
                {"pos": rated["pos"], "item": spec.item, "measure": spec.measure, "value": rated["value"]}
            )
        )
    return pd.concat(parts, ignore_index=True)


def _content_keys(plan: Plan, scan: Scan, batch: Batch, judged: _Judged) -> pa.Array:
    """The content key of every row of the file (refused rows too: they count among identical rows), from
    the values as the row path's frame holds them."""
    every = _typed_rows(plan, scan, judged, every=True).drop_columns("pos")
    dates = [n for n in every.column_names if pa.types.is_date32(every.schema.field(n).type)]
    for name in dates:  # the row path holds dates as midnight timestamps
        every = every.set_column(
            every.column_names.index(name), name, every.column(name).cast(pa.timestamp("us"))
        )
    frame = every.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    items = _items_long(plan, scan) if plan.mapping.items else pd.DataFrame()
    return pa.array(content_keys(frame, items, batch), pa.string())


def _prepare_redactor(conn: Connection, batch: Batch, scan: Scan, plan: Plan, refused: list[int]) -> None:
    """The redactor the row path would use: for a file without free text, the names its refused rows could
    contain (loading every customer's name grew an import's cost with the store); for a file of one small
    chunk, the names its text and refused rows could contain; otherwise every customer's name."""
    if plan.mapping.table not in TEXT_COLUMNS:
        return
    texts = [plan.sources[c] for c in TEXT_COLUMNS[plan.mapping.table] if c in plan.sources]
    if not texts:  # no free text is loaded: only refused rows, kept raw in quarantine, could hold a name
        if refused:
            raw = _raw_chunk(scan, refused)
            strings = [v for column in raw.values.values() for v in column if isinstance(v, str)]
            batch.redactor, batch.authors = redactor_for(conn, strings)
        return
    if scan.rows > chunks.SMALL_CHUNK:
        batch.redactor, batch.authors = all_names_redactor(conn)
        batch.full_names = True
        return
    every = _raw_chunk(scan, list(range(scan.rows)))
    strings = [v for source in texts for v in every.values[source] if isinstance(v, str)]
    strings += [v for pos in refused for column in every.values.values() if isinstance(v := column[pos], str)]
    ids = every.values[plan.sources["customer_id"]] if "customer_id" in plan.sources else []
    if strings:
        batch.redactor, batch.authors = redactor_for(conn, strings, [i for i in ids if isinstance(i, str)])


def _quarantined(scan: Scan, batch: Batch, problems: Problems) -> list[Problem]:
    """The refused rows as the row path records them: first column at fault, every reason, the raw row."""
    raw = _raw_chunk(scan, sorted(problems))
    out = []
    for index, pos in enumerate(sorted(problems)):
        reasons = problems[pos]
        row = {name: values[index] for name, values in raw.values.items()}
        out.append(
            Problem(
                row=scan.row_number(pos),
                end=scan.row_number(pos),
                column=reasons[0][0],
                reason=batch.redact_raw("; ".join(f"column '{c}': {r}" if c else r for c, r in reasons)),
                raw=batch.redact_raw(json.dumps(row, ensure_ascii=False, default=str))[:100_000],
            )
        )
    return out


def _authors(batch: Batch, rows: pa.Table) -> pa.Array:
    """Each row's author (the customer's name the redactor leaves in their own text), or null."""
    if not batch.authors or "customer_id" not in rows.column_names:
        return pa.nulls(rows.num_rows, pa.string())
    ids = pa.array(list(batch.authors), pa.string())
    names = pa.array(list(batch.authors.values()), pa.string())
    return names.take(pc.index_in(rows.column("customer_id").combine_chunks(), value_set=ids))


def _redacted(plan: Plan, batch: Batch, rows: pa.Table) -> pa.Table:
    """The rows with their free-text columns redacted, each distinct text and author once."""
    authors = _authors(batch, rows).dictionary_encode()
    author_codes = authors.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
    for column in TEXT_COLUMNS.get(plan.mapping.table, ()):
        if column not in rows.column_names:
            continue
        texts = rows.column(column).combine_chunks().dictionary_encode()
        text_codes = texts.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        given = text_codes >= 0
        pairs = text_codes * (len(authors.dictionary) + 1) + author_codes
        distinct, inverse, times = np.unique(pairs[given], return_inverse=True, return_counts=True)
        unique_texts = texts.dictionary.take(pa.array(distinct // (len(authors.dictionary) + 1)))
        unique_authors = [
            None if code == 0 else authors.dictionary[code - 1].as_py()
            for code in (distinct % (len(authors.dictionary) + 1)).tolist()
        ]
        done = batch.redact_distinct(unique_texts.to_pylist(), unique_authors, times.tolist())
        positions = np.full(len(text_codes), -1, dtype=np.int64)
        positions[given] = inverse
        redacted = pa.array(done, pa.string()).take(pa.array(positions, mask=~given))
        rows = rows.set_column(rows.column_names.index(column), column, redacted)
    return rows


def _item_rows(plan: Plan, scan: Scan, loaded: pa.Table, key: str, batch_id: str) -> pa.Table:
    """Long-form item ratings of the loaded rows: one row per response and item, a column per measure (the
    first rating column wins where two give the same item and measure, as the row path's pivot does)."""
    scan.duck.register("loaded", loaded.select(["pos", key]))
    specs = list(plan.mapping.items.values())
    measures = list(dict.fromkeys(s.measure for s in specs))
    selects = []
    for item in dict.fromkeys(s.item for s in specs):
        ratings = []
        for measure in measures:
            sources = [f"t.item{n}" for n, s in enumerate(specs) if s.item == item and s.measure == measure]
            ratings.append(
                f"coalesce({', '.join(sources)}) AS {measure}" if sources else f"NULL::DOUBLE AS {measure}"
            )
        given = " OR ".join(f"t.item{n} IS NOT NULL" for n, s in enumerate(specs) if s.item == item)
        quoted = "'" + item.replace("'", "''") + "'"
        selects.append(
            f'SELECT l."{key}" AS response_id, {quoted} AS item, {", ".join(ratings)} FROM loaded l '
            f"JOIN typed t USING (pos) WHERE {given}"
        )
    items = scan.duck.execute(" UNION ALL ".join(selects)).arrow().read_all()
    scan.duck.unregister("loaded")
    return items.append_column("batch_id", pa.repeat(pa.scalar(batch_id, pa.string()), items.num_rows))


def load_scan(conn: Connection, batch: Batch, scan: Scan, report: Callable[[], None] | None = None) -> None:
    """Validate and load the whole scanned file as the batch's rows, counting as `load_chunk` counts;
    `report` is called when every row is validated and again when the valid rows are inserted."""
    plan = batch.plan
    build_typed(scan, plan)
    judged = _Judged(plan, scan)
    good = _typed_rows(plan, scan, judged, every=False)
    if plan.hash_key:
        keys = _content_keys(plan, scan, batch, judged)
        good = good.append_column(plan.hash_key, keys.take(good.column("pos")))  # pos: the row's index
    problems = {**judged.problems, **_repeated_keys(plan, scan, batch, good)}
    _prepare_redactor(conn, batch, scan, plan, sorted(problems))
    quarantined = _quarantined(scan, batch, problems)
    if problems:
        refused = pa.array(sorted(problems), pa.int64())
        good = good.filter(pc.invert(pc.is_in(good.column("pos"), value_set=refused)))
    if report:
        report()
    loaded = _redacted(plan, batch, good)
    rows = loaded.drop_columns("pos").append_column(
        "batch_id", pa.repeat(pa.scalar(batch.batch_id, pa.string()), loaded.num_rows)
    )
    replace = plan.mapping.on_existing == "replace"
    counts = insert_new(conn, plan.mapping.table, rows, replace_existing=replace, compare=True)
    batch.summary_counts["loaded"] += counts.new + counts.replaced
    batch.summary_counts["replaced"] += counts.replaced
    batch.summary_counts["existing"] += counts.existing - counts.replaced
    batch.summary_counts["differing"] += counts.differing
    if plan.mapping.items and loaded.num_rows:
        items = _item_rows(plan, scan, loaded, plan.key_columns[0], batch.batch_id)
        if counts.replaced:
            delete_replaced(
                conn, "response_items", owner="responses", key="response_id", batch_id=batch.batch_id
            )
        item_counts = insert_owned(
            conn, "response_items", items, owner="responses", key="response_id", batch_id=batch.batch_id
        )
        batch.summary_counts["items"] += item_counts.new
    batch.quarantine(conn, quarantined)
    if report:
        report()
    batch.summary_counts["read"] += scan.rows
    batch.summary_counts["lines_read"] = scan.lines_read
    batch.summary_counts["lines_skipped"] += scan.header_lines
    batch.summary_counts["lines_in_rows"] += scan.rows
