"""The company's own tables as cxgap tables: `[engine.tables]` read by Spark, renamed and cast to cxgap's
schema, so every analysis's Ibis expression behaves on them as on the store's tables.

Reading is plumbing (Spark DataFrames); the analyses and the summaries compute through Ibis only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from cxgap.config import WarehouseTable
from cxgap.errors import StoreError
from cxgap.store import Store
from cxgap.store.bulk import arrow_type
from cxgap.store.models import table_of

# the tables a company keeps in its warehouse: an analysis that reads one needs it mapped
WAREHOUSE_TABLES = ("customers", "responses", "response_items", "feedback", "interactions", "outcomes")
# the copies of the response's and customer's context kept on every item rating (store/context.py)
ITEM_CONTEXT = ("touchpoint", "survey_kind", "segment", "channel", "month")


def spark_type(column: sa.Column[Any]) -> Any:
    """The Spark type a cxgap column has in the warehouse: the store's own (bulk.arrow_type, INTEGER as
    32-bit as the stores keep it, timestamps without a time zone), so Ibis sees the schema it sees on DuckDB."""
    from pyspark.sql.pandas.types import from_arrow_type

    kind = (
        pa.int32()
        if isinstance(column.type, sa.Integer) and not isinstance(column.type, sa.BigInteger)
        else arrow_type(column)
    )
    return from_arrow_type(kind, prefer_timestamp_ntz=True)


def spark_schema(name: str) -> Any:
    """The Spark StructType of a cxgap table."""
    from pyspark.sql.types import StructField, StructType

    return StructType([StructField(c.name, spark_type(c), nullable=True) for c in table_of(name).columns])


@dataclass(frozen=True)
class Source:
    """Where one cxgap table lives in the warehouse (an `[engine.tables]` entry, normalised)."""

    name: str
    table: str | None
    path: str | None
    format: str
    columns: dict[str, str]

    @property
    def where(self) -> str:
        """The path or catalog table, for messages."""
        return self.path or self.table or ""


def source_of(name: str, entry: str | WarehouseTable) -> Source:
    """The Source an `[engine.tables]` entry names: a string with a slash, a scheme or a .parquet ending is
    a path (Delta when it holds a _delta_log), any other string a catalog table."""
    if isinstance(entry, WarehouseTable):
        return Source(name, entry.table, entry.path, entry.format, dict(entry.columns))
    if "/" in entry or "://" in entry or entry.endswith(".parquet"):
        local = entry.removeprefix("file://")
        from pathlib import Path

        kind = "delta" if (Path(local) / "_delta_log").is_dir() else "parquet"
        return Source(name, None, entry, kind, {})
    return Source(name, entry, None, "parquet", {})


def read_raw(session: Any, source: Source, files: list[str] | None = None) -> Any:
    """The warehouse table as Spark reads it (`files`: only those files of a Parquet folder, partition
    columns still discovered from the folder)."""
    try:
        if source.table is not None:
            return session.table(source.table)
        if source.format == "delta":
            return session.read.format("delta").load(source.path)
        if files is not None:
            return session.read.option("basePath", source.path).parquet(*files)
        return session.read.parquet(source.path)
    except Exception as error:  # Spark's analysis errors name the missing path or table
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        hint = (
            " (Delta needs the delta-spark package on Spark's classpath)" if source.format == "delta" else ""
        )
        raise StoreError(
            f"[engine.tables] {source.name} = '{source.where}' cannot be read by Spark{hint}: {first[:300]}."
        ) from None


def conformed(source: Source, raw: Any) -> tuple[Any, list[str]]:
    """The raw frame as the cxgap table: warehouse names renamed per `columns`, every cxgap column cast to
    its store type, other columns (partition folders, extras) dropped; a nullable column the warehouse lacks
    is null. Returns the frame and the cxgap columns that were missing."""
    from pyspark.sql import functions as F

    present = {c.lower(): c for c in raw.columns}
    for ours, theirs in source.columns.items():
        if theirs.lower() not in present:
            raise StoreError(
                f"[engine.tables] {source.name}: columns maps {ours} to '{theirs}', which '{source.where}' "
                f"lacks (it has {', '.join(raw.columns)})."
            )
    selected, missing = [], []
    for column in table_of(source.name).columns:
        theirs = source.columns.get(column.name, column.name).lower()
        kind = spark_type(column)
        if theirs in present:
            selected.append(F.col(f"`{present[theirs]}`").cast(kind).alias(column.name))
            continue
        if column.primary_key or not column.nullable:
            raise StoreError(
                f"[engine.tables] {source.name}: '{source.where}' has no column {column.name}; name the "
                f'warehouse\'s column in columns = {{{column.name} = "..."}}.'
            )
        missing.append(column.name)
        selected.append(F.lit(None).cast(kind).alias(column.name))
    return raw.select(*selected), missing


def conform_frame(frame: Any, name: str) -> Any:
    """A computed frame cast to the cxgap table `name`'s columns, in its order."""
    from pyspark.sql import functions as F

    return frame.select(*[F.col(c.name).cast(spark_type(c)).alias(c.name) for c in table_of(name).columns])


def from_store(session: Any, store: Store, name: str) -> Any:
    """A closed-loop table (small) brought from cxgap's store into Spark, with the store's types."""
    table = table_of(name)
    with store.engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(sa.select(table))]
    return session.createDataFrame(rows, schema=spark_schema(name))


def unmapped(name: str) -> StoreError:
    """The one sentence for a warehouse table an analysis needs but `[engine.tables]` does not map."""
    return StoreError(
        f"This analysis reads {name}, which [engine.tables] does not map; add "
        f'{name} = "<Parquet/Delta path or catalog table>" under [engine.tables] in cxgap.toml.'
    )
