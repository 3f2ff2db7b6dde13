"""What an import did, in numbers that always reconcile: read = loaded + already present + quarantined."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One quarantined source row: where it was, the first column at fault, every reason, the raw row."""

    row: int
    column: str | None
    reason: str
    raw: str | None = None
    end: int = 0  # the row's last source line, when it spans several


@dataclass(frozen=True)
class RowOutcomes:
    """Row by row, what a batch did: the keys it loaded, the item ratings loaded per key, every quarantined
    row. A batch made of several webhook deliveries uses it to tell each sender its own outcome."""

    loaded: frozenset[str]
    items: dict[str, int]
    quarantined: tuple[Problem, ...]


@dataclass(frozen=True)
class RepeatedBatch:
    """An earlier batch that stored rows equal to rows this batch loaded, in every column the file gave,
    under other keys: a file without ids imported again under another mapping (its constants are part of a
    row's key) holds those rows twice. `columns` are where they differ: the mapping's constants, or columns
    one mapping imports and the other does not."""

    batch_id: str
    source: str
    finished_at: str  # when it was imported (ISO), to tell it from others of the same file
    rows: int  # of this batch's loaded rows, those equal to one of its rows
    columns: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RepeatedBatch:
        """One read back from JSON (an import done by the server)."""
        return cls(**(data | {"columns": tuple(data["columns"])}))


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of one import batch."""

    source: str
    table: str
    batch_id: str
    unit: str
    rows_read: int
    rows_loaded: int
    rows_replaced: int
    rows_existing: int
    rows_quarantined: int
    items_loaded: int
    problems: tuple[Problem, ...]
    unused_columns: tuple[str, ...]
    redacted: dict[str, int] = field(default_factory=dict)
    lines_read: int = 0
    lines_skipped: int = 0
    lines_in_rows: int = 0
    rows: RowOutcomes | None = None  # with import_file(track_rows=True)
    rows_differing: int = 0  # of rows_existing, those kept as stored though the file's values differ
    # of rows_loaded (rows without ids, keyed by content), those equal in every column the file gave to a
    # row an earlier batch stored (NULL equal to NULL), and the batches that stored them
    rows_repeating: int = 0
    repeated_batches: tuple[RepeatedBatch, ...] = ()

    @property
    def reconciles(self) -> bool:
        """True when every row read is accounted for, and every source line is a header or blank line or
        belongs to exactly one row (Parquet has records, not lines: each counts as one)."""
        rows = self.rows_read == self.rows_loaded + self.rows_existing + self.rows_quarantined
        return rows and self.lines_read == self.lines_skipped + self.lines_in_rows

    @property
    def first_problem(self) -> str | None:
        """The first quarantined row as one sentence, or None when nothing was quarantined."""
        if not self.problems:
            return None
        first = self.problems[0]
        more = self.rows_quarantined - 1
        tail = f" ({more:,} more {self.unit}{'s' if more != 1 else ''} quarantined)" if more else ""
        return f"{self.source} {self.unit} {first.row}: {first.reason}{tail}."

    def to_frame(self) -> pd.DataFrame:
        """The counts as a one-row frame."""
        return pd.DataFrame(
            [
                {
                    "source": self.source,
                    "table": self.table,
                    "batch_id": self.batch_id,
                    "lines_read": self.lines_read,
                    "read": self.rows_read,
                    "loaded": self.rows_loaded,
                    "replaced": self.rows_replaced,
                    "already_present": self.rows_existing,
                    "already_present_differing": self.rows_differing,
                    "loaded_repeating_earlier": self.rows_repeating,
                    "repeated_batches": ";".join(b.batch_id for b in self.repeated_batches),
                    "quarantined": self.rows_quarantined,
                    "item_ratings": self.items_loaded,
                }
            ]
        )

    def problems_frame(self) -> pd.DataFrame:
        """The first quarantined rows (up to 20) with their reasons."""
        return pd.DataFrame([{"row": p.row, "column": p.column, "reason": p.reason} for p in self.problems])
