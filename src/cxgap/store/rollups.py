"""The rollups' sufficient statistics, rebuilt from their source or merged with a batch's own rows.

A rollup cell holds, per value, the count of non-missing values, their sum and their sum of squares, so
cells add: merging the grouped statistics of a batch into the rollup gives what a rebuild would (to the
last bits of the floating point sums), at the cost of the batch and the rollup, not of the stored rows.
Rows that move cells (a new customer's segment reaching ratings already stored) are merged twice: once with
their old keys and a negative sign, once with their new keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.store.models import table_of

ITEM_KEYS = ("survey_kind", "touchpoint", "segment", "channel", "month", "item")
INTERACTION_KEYS = ("touchpoint", "kind", "segment", "channel", "month")
KEYS = {"rollup_items": ITEM_KEYS, "rollup_interactions": INTERACTION_KEYS}
# value expressions of the rollups' statistics (by name); anything else is the column of that name
_VALUES = {"gap": "perception - expectation"}
_FLAGS = ("handled", "resolved", "repeat_contact", "on_time")
_PARTS = ("n", "sum", "sumsq")
TINY = 1e-150  # values whose square is taken as 0 in the sums of squares
_MERGED = "_cxgap_merged"


@dataclass(frozen=True)
class Delta:
    """Rows to merge into a rollup: `source` is a FROM item (a table or an aliased subquery) holding the
    rollup's keys and value columns; `sign` -1 takes the rows' contribution out (they moved cells)."""

    source: str
    sign: int = 1


def statistics(rollup: str) -> list[str]:
    """The rollup's statistic columns (n_*, sum_*, sumsq_*), in table order."""
    return [c.name for c in table_of(rollup).columns if c.name.split("_", 1)[0] in _PARTS]


def _statistic(column: str) -> str:
    """The aggregate that computes one statistic column from the source rows."""
    part, name = column.split("_", 1)
    value = _VALUES.get(name, name)
    if name in _FLAGS:
        value = f"CAST({name} AS INTEGER)"
    # a square under 1e-300 counts as 0 (IEEE arithmetic rounds it to 0 or nearly; PostgreSQL refuses the
    # underflow outright, and a wait of 1e-300 seconds is a valid value)
    square = f"CASE WHEN abs({value}) < {TINY} THEN 0.0 ELSE ({value}) * ({value}) END"
    return {"n": f"count({value})", "sum": f"sum({value})", "sumsq": f"sum({square})"}[part]


def _lock(conn: Connection, rollup: str) -> None:
    """On PostgreSQL, one writer of a rollup at a time: a second import waits and then reads the first's
    committed cells (DuckDB has one writer anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"LOCK TABLE {rollup} IN SHARE ROW EXCLUSIVE MODE"))


def rebuild_rollup(conn: Connection, rollup: str, source: str) -> None:
    """Replace a rollup by the grouped statistics of its source (a table or an aliased subquery)."""
    keys = KEYS[rollup]
    stats = statistics(rollup)
    counted = ["interactions"] if _counted(rollup) else []
    select = ["row_number() OVER ()", *["count(*)" for _ in counted], *keys, *map(_statistic, stats)]
    _lock(conn, rollup)
    conn.execute(sa.text(f"DELETE FROM {rollup}"))
    conn.execute(
        sa.text(
            f"INSERT INTO {rollup} ({', '.join(['cell', *counted, *keys, *stats])}) "
            f"SELECT {', '.join(select)} FROM {source} GROUP BY {', '.join(keys)}"
        )
    )


def _delta_select(rollup: str, delta: Delta) -> str:
    """The delta's rows grouped by the rollup's keys, signed, in the merge's column order."""
    keys = KEYS[rollup]
    sign = "-" if delta.sign < 0 else ""
    stats = [f"{sign}{_statistic(c)}" for c in statistics(rollup)]
    return (
        f"SELECT CAST(NULL AS INTEGER) AS cell, {', '.join(keys)}, {sign}count(*) AS rows_, "
        f"{', '.join(stats)} FROM {delta.source} GROUP BY {', '.join(keys)}"
    )


def _merged_select(rollup: str, deltas: list[Delta]) -> str:
    """Stored cells and signed deltas summed per cell (GROUP BY matches NULL keys with NULL keys).

    A statistic whose count drops to zero has no sum, as in a rebuild. `rows_` is the cell's rows where the
    rollup counts them (interactions), else the net change in rows; `stored` says whether the cell existed,
    `touched` whether any delta reached it."""
    keys = KEYS[rollup]
    stats = statistics(rollup)
    rows = "interactions" if _counted(rollup) else "0"
    stored = f"SELECT cell, {', '.join(keys)}, {rows} AS rows_, {', '.join(stats)} FROM {rollup}"
    parts = [stored, *(_delta_select(rollup, d) for d in deltas)]
    sums = []
    for column in stats:
        part, name = column.split("_", 1)
        total = f"sum({column})"
        sums.append(total if part == "n" else f"CASE WHEN sum(n_{name}) > 0 THEN {total} END")
    return (
        f"SELECT min(cell) AS cell, {', '.join(keys)}, sum(rows_) AS rows_, count(cell) AS stored, "
        "count(*) - count(cell) AS touched, "
        + ", ".join(f"{expr} AS {column}" for expr, column in zip(sums, stats, strict=True))
        + f" FROM ({' UNION ALL '.join(parts)}) AS u GROUP BY {', '.join(keys)}"
    )


def _counted(rollup: str) -> bool:
    """Whether the rollup counts its rows (the interactions rollup does, the items rollup does not)."""
    return "interactions" in table_of(rollup).columns


def merge_rollup(conn: Connection, rollup: str, deltas: list[Delta]) -> None:
    """Add the deltas' statistics to the rollup: touched cells are updated in place, new cells appended
    (numbered after the last), cells left without rows removed. Costs the rollup plus the deltas."""
    keys = KEYS[rollup]
    stats = statistics(rollup)
    counted = ["interactions"] if _counted(rollup) else []
    _lock(conn, rollup)
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {_MERGED}"))
    conn.execute(sa.text(f"CREATE TEMP TABLE {_MERGED} AS {_merged_select(rollup, deltas)}"))
    assigned = [f"{c} = m.{c}" for c in stats] + [f"{c} = m.rows_" for c in counted]
    conn.execute(
        sa.text(
            f"UPDATE {rollup} SET {', '.join(assigned)} FROM {_MERGED} m "
            f"WHERE m.cell = {rollup}.cell AND m.touched > 0"
        )
    )
    empty = _empty_cells(conn, rollup)
    if empty:
        conn.execute(sa.text(f"DELETE FROM {rollup} WHERE cell IN ({', '.join(map(str, empty))})"))
    columns = ["cell", *counted, *keys, *stats]
    values = [
        f"(SELECT coalesce(max(cell), 0) FROM {rollup}) + row_number() OVER ()",
        *(["m.rows_"] if counted else []),
        *(f"m.{c}" for c in [*keys, *stats]),
    ]
    conn.execute(
        sa.text(
            f"INSERT INTO {rollup} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {_MERGED} m "
            "WHERE m.cell IS NULL AND m.rows_ > 0"
        )
    )
    conn.execute(sa.text(f"DROP TABLE {_MERGED}"))


def _empty_cells(conn: Connection, rollup: str) -> list[int]:
    """Stored cells a delta left without rows. The interactions rollup counts its rows; the items rollup
    does not, so a stored cell that lost rows and kept no value at all is looked up in its source."""
    if _counted(rollup):
        rows = conn.execute(sa.text(f"SELECT cell FROM {_MERGED} WHERE stored > 0 AND rows_ <= 0"))
        return [int(r[0]) for r in rows]
    valueless = " AND ".join(f"{c} = 0" for c in statistics(rollup) if c.startswith("n_"))
    keys = KEYS[rollup]
    doubtful = conn.execute(
        sa.text(
            f"SELECT cell, {', '.join(keys)} FROM {_MERGED} WHERE stored > 0 AND rows_ < 0 AND {valueless}"
        )
    ).all()
    match = " AND ".join(f"{k} IS NOT DISTINCT FROM :{k}" for k in keys)
    empty = []
    for row in doubtful:  # rare: ratings without any value
        found = conn.execute(
            sa.text(f"SELECT 1 FROM response_items WHERE {match} LIMIT 1"),
            dict(zip(keys, row[1:], strict=True)),
        ).first()
        if found is None:
            empty.append(int(row[0]))
    return empty
