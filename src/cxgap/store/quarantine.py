"""The rows an import quarantined, read back: each with its source line span, the column at fault, every
reason and the raw row as read, so a user can fix the file (or those rows alone) and import it again."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from cxgap.errors import CxgapError
from cxgap.store.batches import find_batch
from cxgap.store.core import Store
from cxgap.store.models import table_of

COLUMNS = ("source_row", "source_row_end", "column_name", "reason", "raw")


@dataclass(frozen=True)
class Quarantined:
    """One batch's quarantined rows (the first `limit` by source row) and how many it quarantined."""

    batch_id: str
    table: str
    source: str
    total: int
    rows: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The rows shown, one per quarantined source row."""
        return self.rows


def quarantined(store: Store, given: str | None = None, limit: int | None = 50) -> Quarantined:
    """The quarantined rows of batch `given` (its id or a prefix of it), or of the latest batch that
    quarantined any; one sentence when there is none."""
    batches, rows = table_of("import_batches"), table_of("quarantine")
    with store.engine.connect() as conn:
        if given is None:
            latest = (
                sa.select(batches)
                .where(batches.c.rows_quarantined > 0)
                .order_by(batches.c.finished_at.desc())
                .limit(1)
            )
            batch = conn.execute(latest).first()
            if batch is None:
                raise CxgapError(
                    "No import has quarantined a row: every row read was loaded or already present."
                )
        else:
            batch = find_batch(conn, given)
        mine = rows.c.batch_id == batch.batch_id
        total = int(conn.execute(sa.select(sa.func.count()).select_from(rows).where(mine)).scalar_one())
        query = sa.select(*(rows.c[c] for c in COLUMNS)).where(mine).order_by(rows.c.source_row)
        frame = pd.DataFrame(
            conn.execute(query.limit(limit) if limit else query).all(), columns=list(COLUMNS)
        )
    return Quarantined(str(batch.batch_id), str(batch.table_name), str(batch.source), total, frame)
