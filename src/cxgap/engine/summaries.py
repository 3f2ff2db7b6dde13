"""The summaries `analyze` reads, kept in the warehouse: the item and interaction rollups, the customer x
touchpoint summary and the context copies on the item ratings, with the keys and statistics of
store/context.py, computed by Ibis expressions on the warehouse's tables and materialised as Parquet under
`[engine] summaries`.

Refresh is incremental where it can be: a summary remembers the files it was built from (manifest.py);
when its sources only gained files, the new files are summarised alone and the sufficient statistics merged
into the stored summary (counts, sums and sums of squares add; first_at is a minimum, last_at a maximum).
A changed or vanished file, a catalog table whose row count moved, or new customers or responses that rows
already summarised refer to (their context would change) mean a rebuild.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from cxgap.engine.manifest import (
    LakeFiles,
    Stamp,
    gained_only,
    new_files,
    read_manifest,
    retire,
    sweep_orphans,
    write_manifest,
)
from cxgap.engine.warehouse import ITEM_CONTEXT, conform_frame
from cxgap.store.context import INTERACTION_KEYS, ITEM_KEYS
from cxgap.store.models import table_of

log = logging.getLogger(__name__)
SUMMARY_TABLES = ("rollup_items", "rollup_interactions", "customer_touchpoints")
_STATISTICS = ("n", "sum", "sumsq")


class Lake(Protocol):
    """What the summaries need from the engine: the warehouse's tables, their stamps, and views."""

    session: Any
    files: LakeFiles

    def stamp(self, name: str) -> Stamp:
        """The source's current files (or row count)."""
        ...

    def source_frame(self, name: str, files: list[str] | None = None) -> tuple[Any, list[str]]:
        """The conformed Spark frame of a mapped table (only `files`), and the cxgap columns it lacked."""
        ...

    def view(self, frame: Any, name: str | None = None) -> Any:
        """An Ibis table reading a Spark frame (a temporary view, `name` or a new one)."""
        ...

    def transient_views(self) -> AbstractContextManager[None]:
        """Unnamed views made inside are dropped at its end."""
        ...


@dataclass(frozen=True)
class Dimension:
    """A table a summary joins for context, its key, and the (table, column) pairs that refer to it: new
    rows of it may change the context of rows already summarised, which an incremental merge cannot fix."""

    table: str
    key: str
    referred_by: tuple[tuple[str, str], ...]


# per summary: the fact table whose new rows are summarised, and the dimensions joined to it
FACTS = {
    "rollup_items": "response_items",
    "rollup_interactions": "interactions",
    "customer_touchpoints": "interactions",
}
_RESPONSES = Dimension("responses", "response_id", (("response_items", "response_id"),))
_CUSTOMERS_OF_RESPONSES = Dimension("customers", "customer_id", (("responses", "customer_id"),))
_CUSTOMERS_OF_CONTACTS = Dimension("customers", "customer_id", (("interactions", "customer_id"),))


def month_of(column: Any) -> Any:
    """First day of the month of a timestamp, as a date (context.py's CAST(date_trunc('month', ...) AS DATE))."""
    return column.truncate("M").cast("date")


def items_in_context(items: Any, responses: Any, customers: Any) -> Any:
    """Item ratings with the copies of their response's touchpoint, survey kind, channel and month and
    their customer's segment, derived by the joins context.py's UPDATE makes."""
    segments = customers.select(seg_customer=customers.customer_id, seg=customers.segment)
    context = responses.left_join(segments, responses.customer_id == segments.seg_customer).select(
        ctx_response=responses.response_id,
        ctx_touchpoint=responses.touchpoint,
        ctx_survey_kind=responses.survey_kind,
        ctx_segment=segments.seg,
        ctx_channel=responses.channel,
        ctx_month=month_of(responses.responded_at),
    )
    joined = items.left_join(context, items.response_id == context.ctx_response)
    columns = [c.name for c in table_of("response_items").columns]
    return joined.select(*[joined[f"ctx_{c}"].name(c) if c in ITEM_CONTEXT else joined[c] for c in columns])


def contacts_in_context(interactions: Any, customers: Any) -> Any:
    """Interactions with their customer's segment and their month (the interactions rollup's source)."""
    segments = customers.select(seg_customer=customers.customer_id, segment=customers.segment)
    joined = interactions.left_join(segments, interactions.customer_id == segments.seg_customer)
    return joined.select(
        *[joined[c] for c in interactions.columns if c != "segment"],
        segment=joined.segment,
        month=month_of(joined.occurred_at),
    )


def _value(source: Any, name: str) -> Any:
    """The value a rollup statistic is taken of: the gap is perception - expectation, a flag counts as 0/1."""
    if name == "gap":
        return source.perception - source.expectation
    column = source[name]
    return column.cast("int32") if column.type().is_boolean() else column


def rollup(source: Any, name: str, keys: tuple[str, ...]) -> Any:
    """The grouped sufficient statistics of a rollup table from its source (context.py's rebuild_rollup)."""
    metrics: dict[str, Any] = {}
    for column in table_of(name).columns:
        part, _, value = column.name.partition("_")
        if column.name == "interactions":
            metrics["interactions"] = source.count()
        elif part in _STATISTICS:
            v = _value(source, value)
            metrics[column.name] = {"n": v.count(), "sum": v.sum(), "sumsq": (v * v).sum()}[part]
    return source.group_by(list(keys)).aggregate(**metrics)


def touchpoints(interactions: Any) -> Any:
    """Which customer touched which touchpoint, how often, first and last (context.py's _TOUCHES)."""
    known = interactions.filter(interactions.customer_id.notnull())
    return known.group_by(["customer_id", "touchpoint"]).aggregate(
        interactions=known.count(), first_at=known.occurred_at.min(), last_at=known.occurred_at.max()
    )


def merged(stored: Any, delta: Any, name: str) -> Any:
    """A stored summary and the summary of new rows as one: the statistics of equal keys combined."""
    keys = _keys(name)
    stored = stored.select(*delta.columns)
    both = stored.union(delta.cast(stored.schema()), distinct=False)  # counts are 32-bit when stored
    metrics: dict[str, Any] = {}
    for column in delta.columns:
        if column in keys:
            continue
        value = both[column]
        metrics[column] = (
            value.min() if column == "first_at" else value.max() if column == "last_at" else value.sum()
        )
    return both.group_by(list(keys)).aggregate(**metrics)


def _keys(name: str) -> tuple[str, ...]:
    return {
        "rollup_items": ITEM_KEYS,
        "rollup_interactions": INTERACTION_KEYS,
        "customer_touchpoints": ("customer_id", "touchpoint"),
    }[name]


class Summaries:
    """The warehouse's summaries of one engine: each refreshed on its first use, then read as a view."""

    def __init__(self, lake: Lake, folder: str) -> None:
        self.lake = lake
        self.folder = folder.rstrip("/")
        self._views: dict[str, Any] = {}
        self.last_refresh: dict[str, str] = {}  # summary -> 'kept' | 'merged' | 'rebuilt' (for tests, logs)

    def table(self, name: str) -> Any:
        """The summary `name` as an Ibis table, brought up to date with its sources first."""
        if name not in self._views:
            self._views[name] = self.lake.view(self._read(self.refresh(name)), f"summary_{name}")
        return self._views[name]

    def _dimensions(self, name: str, derived: bool) -> tuple[Dimension, ...]:
        if name == "rollup_items":
            return (_RESPONSES, _CUSTOMERS_OF_RESPONSES) if derived else ()
        return (_CUSTOMERS_OF_CONTACTS,) if name == "rollup_interactions" else ()

    def _derived(self) -> bool:
        """Whether the mapped item ratings lack the context copies (then they are joined in)."""
        _, missing = self.lake.source_frame("response_items")
        return any(c in missing for c in ITEM_CONTEXT)

    def refresh(self, name: str) -> str:
        """Bring the summary `name` up to date; the folder its data now lies in."""
        derived = self._derived() if name == "rollup_items" else False
        dimensions = self._dimensions(name, derived)
        sources = (FACTS[name], *(d.table for d in dimensions))
        stamps = {source: self.lake.stamp(source) for source in sources}
        manifest = read_manifest(self.lake.files, self.folder)
        entry = manifest.get(name, {})
        shape = {"columns": [c.name for c in table_of(name).columns], "derived": derived}
        same_shape = entry.get("shape") == shape and self.lake.files.exists(entry.get("data", ""))
        if same_shape and entry.get("sources") == stamps:
            self.last_refresh[name] = "kept"
            return str(entry["data"])
        fact = FACTS[name]
        with self.lake.transient_views():  # the build's views are done with once it is written
            if same_shape and self._mergeable(entry["sources"], stamps, dimensions):
                added = new_files(entry["sources"][fact], stamps[fact])
                data = self._merge(name, entry["data"], added, derived) if added else str(entry["data"])
                self.last_refresh[name] = "merged"
            else:
                data = self._write(name, self._build(name, None, derived))
                self.last_refresh[name] = "rebuilt"
        old = entry.get("data")
        manifest = read_manifest(self.lake.files, self.folder)
        manifest[name] = {"data": data, "sources": stamps, "shape": shape}
        now = dt.datetime.now(dt.UTC)
        if old and old != data:
            retire(manifest, str(old), now, self.lake.files.delete)
        write_manifest(self.lake.files, self.folder, manifest)
        try:
            sweep_orphans(self.lake.files, self.folder, manifest, now)
        except Exception:  # housekeeping only: the refresh itself is done and recorded
            log.warning("deleting old summary folders in %s failed", self.folder, exc_info=True)
        return data

    def _mergeable(
        self, old: dict[str, Stamp], new: dict[str, Stamp], dimensions: tuple[Dimension, ...]
    ) -> bool:
        """Whether the new files can be merged: every source only gained files, and no new customer or
        response is one already there or one that rows already summarised refer to."""
        if set(old) != set(new) or not all(gained_only(old[s], new[s]) for s in new):
            return False
        return not any(self._touches_summarised(d, old, new) for d in dimensions)

    def _touches_summarised(self, dimension: Dimension, old: dict[str, Stamp], new: dict[str, Stamp]) -> bool:
        added = new_files(old[dimension.table], new[dimension.table])
        if not added:
            return False
        frame, _ = self.lake.source_frame(dimension.table, added)
        keys = frame.select(dimension.key).distinct()
        referring = ((dimension.table, dimension.key), *dimension.referred_by)
        for table, column in referring:
            before = sorted(old[table]["files"])
            if not before:
                continue
            rows, _ = self.lake.source_frame(table, before)
            refs = rows.select(rows[column].alias(dimension.key))
            if refs.join(keys, dimension.key, "left_semi").limit(1).count():
                return True
        return False

    def _build(self, name: str, files: list[str] | None, derived: bool) -> Any:
        """The summary of the fact table's rows (only `files`, when given) as an Ibis expression."""
        fact = self.lake.view(self.lake.source_frame(FACTS[name], files)[0])
        if name == "customer_touchpoints":
            return touchpoints(fact)
        customers = self.lake.view(self.lake.source_frame("customers")[0])
        if name == "rollup_interactions":
            return rollup(contacts_in_context(fact, customers), name, INTERACTION_KEYS)
        if derived:
            responses = self.lake.view(self.lake.source_frame("responses")[0])
            fact = items_in_context(fact, responses, customers)
        return rollup(fact, name, ITEM_KEYS)

    def _merge(self, name: str, data: str, added: list[str], derived: bool) -> str:
        stored = self.lake.view(self._read(data))
        return self._write(name, merged(stored, self._build(name, added, derived), name))

    def _read(self, data: str) -> Any:
        return conform_frame(self.lake.session.read.parquet(data), self._name_of(data))

    def _name_of(self, data: str) -> str:
        """The summary a data folder holds (`<folder>/<summary>.<id>`)."""
        return data.rsplit("/", 1)[-1].split(".", 1)[0]

    def _write(self, name: str, expr: Any) -> str:
        """Materialise a summary expression as Parquet in a new folder (with `cell` numbered by its keys
        where the table has one); the folder."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        frame = self.lake.session.sql(expr.get_backend().compile(expr))
        if "cell" in [c.name for c in table_of(name).columns]:
            frame = frame.withColumn("cell", F.row_number().over(Window.orderBy(*_keys(name))))
        target = f"{self.folder}/{name}.{uuid.uuid4().hex[:12]}"
        self.lake.files.make_folder(self.folder)
        conform_frame(frame, name).write.mode("overwrite").parquet(target)
        return target
