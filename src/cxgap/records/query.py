"""The records behind a number as Ibis expressions: the responses, comments, interactions or customers of
a slice, narrowed, sorted and paged inside the backend, so a page fetches its 50 rows and a count, and an
export streams the whole set in chunks without holding it in memory."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from cxgap.config import Settings
from cxgap.engine import Engine, Filters, with_data_defaults
from cxgap.errors import CxgapError
from cxgap.gaps.operations import metric_of
from cxgap.journeys.incidents import incident_events
from cxgap.records.narrowing import OPERATIONAL_GAPS, SCORE_KINDS, SURVEY_GAPS, Narrowing, ThemeTexts

PAGE_SIZE = 50
CHUNK = 5_000  # rows per fetch while an export streams
# each kind's record id (the last sort key, so paging is stable) and its default order (newest first)
IDS = {"responses": "response_id", "comments": "comment_id", "interactions": "interaction_id"}
IDS["customers"] = "customer_id"
DEFAULT_SORT = {"responses": "-responded_at", "comments": "-at", "interactions": "-occurred_at"}
DEFAULT_SORT["customers"] = "customer_id"


@dataclass(frozen=True)
class RecordPage:
    """One page of a slice's records: the columns, the rows (plain Python values, None for missing), the
    total in the slice, and where this page sits."""

    records: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    total: int
    page: int
    page_size: int
    sort: str
    notes: tuple[str, ...] = field(default=())

    @property
    def pages(self) -> int:
        """How many pages the slice's records fill (at least one)."""
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first(self) -> int:
        """The position of this page's first row (1-based; 0 when there are none)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    def to_frame(self) -> pd.DataFrame:
        """This page's rows."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def _segments(engine: Engine) -> Any:
    c = engine.table("customers")
    return c.select(_cid=c.customer_id, segment=c.segment)


def _with_segment(t: Any, engine: Engine) -> Any:
    """`t` with its customer's segment (rows without a known customer keep a missing segment)."""
    if "segment" in t.columns:
        return t
    s = _segments(engine)
    return t.left_join(s, t.customer_id == s._cid).drop("_cid")


def _incident_ids(engine: Engine, settings: Settings, name: str, source: str) -> Any:
    """The record ids a journey incident rule calls `name`, from one source table (a subquery)."""
    found = incident_events(engine, settings)
    if found is None:
        raise CxgapError(f"No journey incident rule can find '{name}' in this store (see [journeys]).")
    found = found.filter((found.incident == name) & (found.source == source))
    return found.record_id


def responses(engine: Engine, settings: Settings, filters: Filters, narrow: Narrowing) -> Any:
    """Survey responses of the slice; with an item, a dimension or a survey gap kind, only those that rated
    it, with the (mean) perception, expectation and P - E of those items."""
    customers = engine.table("customers")
    r = filters.on_events(engine.table("responses"), "responded_at", customers, touchpoint=True)
    kind = narrow.kind or (SCORE_KINDS[narrow.metric] if narrow.metric else None)
    if narrow.metric:
        r = r.filter(r[narrow.metric].notnull())
    if kind and kind not in SURVEY_GAPS:
        r = r.filter(r.survey_kind == kind)
    if narrow.customer_id:
        r = r.filter(r.customer_id == narrow.customer_id)
    if narrow.incident:
        r = r.filter(r.response_id.isin(_incident_ids(engine, settings, narrow.incident, "responses")))
    columns = ["response_id", "responded_at", "customer_id", "segment", "survey_kind", "touchpoint"]
    columns += ["channel", "nps", "csat", "ces"]
    wanted = narrow.items(settings)
    if wanted is not None or kind in SURVEY_GAPS:
        items = engine.table("response_items")
        if wanted is not None:
            items = items.filter(items.item.isin(wanted))
        rated = items.group_by(_rid=items.response_id).aggregate(
            items_rated=items.count(),
            perception=items.perception.mean(),
            expectation=items.expectation.mean(),
        )
        r = r.inner_join(rated, r.response_id == rated._rid).drop("_rid")
        r = r.mutate(p_minus_e=r.perception - r.expectation)
        columns += ["items_rated", "perception", "expectation", "p_minus_e"]
    r = _with_segment(r, engine)
    return r.select(*columns, "comment")


def comments(
    engine: Engine, settings: Settings, filters: Filters, narrow: Narrowing, texts: ThemeTexts | None = None
) -> Any:
    """Feedback texts and survey comments of the slice (as the text analysis reads them: non-empty text);
    with a theme, those the analysis assigned to it (`texts`)."""
    customers = engine.table("customers")
    f = filters.on_events(engine.table("feedback"), "received_at", customers, touchpoint=True)
    r = filters.on_events(engine.table("responses"), "responded_at", customers, touchpoint=True)
    r = r.filter(r.comment.notnull())
    if narrow.incident:
        f = f.filter(f.feedback_id.isin(_incident_ids(engine, settings, narrow.incident, "feedback")))
        r = r.filter(r.response_id.isin(_incident_ids(engine, settings, narrow.incident, "responses")))
    shaped = [
        f.select(
            comment_id=f.feedback_id.cast("string"),
            kind=ibis.literal("feedback"),
            source=f.source.cast("string"),
            at=f.received_at.cast("timestamp"),
            customer_id=f.customer_id.cast("string"),
            touchpoint=f.touchpoint.cast("string"),
            channel=f.channel.cast("string"),
            rating=f.rating.cast("float64"),
            nps=ibis.null("float64"),
            text=f.text.cast("string"),
        ),
        r.select(
            comment_id=r.response_id.cast("string"),
            kind=ibis.literal("response"),
            source=(r.survey_kind.cast("string") + " survey"),
            at=r.responded_at.cast("timestamp"),
            customer_id=r.customer_id.cast("string"),
            touchpoint=r.touchpoint.cast("string"),
            channel=r.channel.cast("string"),
            rating=r.csat.cast("float64"),
            nps=r.nps.cast("float64"),
            text=r.comment.cast("string"),
        ),
    ]
    t = ibis.union(*shaped, distinct=False)
    t = t.filter(t.text.notnull() & (t.text.strip() != ""))
    if narrow.kind:
        t = t.filter(t.kind == narrow.kind)
    if narrow.customer_id:
        t = t.filter(t.customer_id == narrow.customer_id)
    if narrow.theme:
        if texts is None:
            raise CxgapError(f"The texts of theme '{narrow.theme}' were not given.")
        t = t.filter(_carrying(t, texts))
    t = _with_segment(t, engine)
    columns = ["comment_id", "kind", "source", "at", "customer_id", "segment", "touchpoint", "channel"]
    return t.select(*columns, "rating", "nps", "text")


def _carrying(t: Any, texts: ThemeTexts) -> Any:
    """Rows among `texts` (an empty list carries nothing: no backend is asked for `IN ()`)."""
    condition = ibis.literal(False)
    if texts.feedback_ids:
        condition |= (t.kind == "feedback") & t.comment_id.isin(list(texts.feedback_ids))
    if texts.response_ids:
        condition |= (t.kind == "response") & t.comment_id.isin(list(texts.response_ids))
    return condition


def interactions(engine: Engine, settings: Settings, filters: Filters, narrow: Narrowing) -> Any:
    """Operational events of the slice; with a metric, those it is measured on (the kinds it covers, a
    value recorded), as the operational gaps measure it."""
    customers = engine.table("customers")
    i = filters.on_events(engine.table("interactions"), "occurred_at", customers, touchpoint=True)
    if narrow.kind and narrow.kind not in OPERATIONAL_GAPS:
        i = i.filter(i.kind == narrow.kind)
    if narrow.metric:
        metric = metric_of(narrow.metric)
        if metric is None:
            raise CxgapError(f"metric = '{narrow.metric}' is not an operational metric cxgap measures.")
        only = narrow.metric.split("@", 1)[1] if "@" in narrow.metric else metric.only_kind
        if only:
            i = i.filter(i.kind == only)
        if metric.skip_kind:
            i = i.filter(i.kind != metric.skip_kind)
        i = i.filter(i[metric.column].notnull())
    if narrow.customer_id:
        i = i.filter(i.customer_id == narrow.customer_id)
    if narrow.incident:
        i = i.filter(i.interaction_id.isin(_incident_ids(engine, settings, narrow.incident, "interactions")))
    i = _with_segment(i, engine)
    columns = ["interaction_id", "occurred_at", "customer_id", "segment", "touchpoint", "channel", "kind"]
    columns += ["reason", "wait_seconds", "handled", "resolved", "repeat_contact", "on_time"]
    return i.select(*columns, "delay_minutes", "duration_seconds", "team", "agent")


def customers(engine: Engine, settings: Settings, filters: Filters, narrow: Narrowing) -> Any:
    """Customers of the slice: of its segment and, when a period, channel or touchpoint is chosen, with a
    response or interaction there; each with their responses and interactions in the slice."""
    c = engine.table("customers")
    if filters.segment:
        c = c.filter(c.segment == filters.segment)
    if narrow.kind:
        c = c.filter(c.churned) if narrow.kind == "churned" else c.filter(~c.churned)
    if narrow.customer_id:
        c = c.filter(c.customer_id == narrow.customer_id)
    r = filters.on_events(engine.table("responses"), "responded_at", touchpoint=True)
    i = filters.on_events(engine.table("interactions"), "occurred_at", touchpoint=True)
    r, i = r.filter(r.customer_id.notnull()), i.filter(i.customer_id.notnull())
    answered = r.group_by(_r=r.customer_id).aggregate(responses=r.count())
    met = i.group_by(_i=i.customer_id).aggregate(interactions=i.count())
    c = c.left_join(answered, c.customer_id == answered._r).left_join(met, c.customer_id == met._i)
    c = c.mutate(responses=c.responses.fill_null(0), interactions=c.interactions.fill_null(0))
    if filters.since or filters.until or filters.channel or filters.touchpoint:
        c = c.filter((c.responses > 0) | (c.interactions > 0))
    columns = ["customer_id", "name", "segment", "region", "started_at", "ended_at", "churned"]
    return c.select(*columns, "revenue", "value", "responses", "interactions")


def expression(
    engine: Engine,
    settings: Settings,
    records: str,
    filters: Filters,
    narrow: Narrowing,
    texts: ThemeTexts | None = None,
) -> Any:
    """The records of a slice as one unexecuted expression (the narrowing checked first)."""
    if narrow.item or narrow.dimension:  # the items the ratings hold, where cxgap.toml names none
        settings = with_data_defaults(engine, settings)
    narrow.check(records, settings)
    if records == "comments":
        return comments(engine, settings, filters, narrow, texts)
    build = {"responses": responses, "interactions": interactions, "customers": customers}[records]
    return build(engine, settings, filters, narrow)


def ordered(expr: Any, records: str, sort: str | None) -> tuple[Any, str]:
    """`expr` sorted by one of its columns ('-column': descending), the record id breaking ties so pages
    never overlap; a column the records lack is a user error that lists the ones they have."""
    sort = sort or DEFAULT_SORT[records]
    column = sort.removeprefix("-")
    if column not in expr.columns:
        raise CxgapError(
            f"sort = '{sort}' is not a column of {records}; sort by one of {', '.join(expr.columns)}."
        )
    key = ibis.desc(expr[column]) if sort.startswith("-") else ibis.asc(expr[column])
    keys = [key] if column == IDS[records] else [key, ibis.asc(expr[IDS[records]])]
    return expr.order_by(keys), sort


def _plain(value: Any, dtype: Any) -> Any:
    """One value as plain Python by its column's type: None for anything missing."""
    if value is None or (not isinstance(value, str | bytes) and bool(pd.isna(value))):
        return None
    if dtype.is_timestamp() or dtype.is_date():
        return pd.Timestamp(value).to_pydatetime()
    if dtype.is_boolean():
        return bool(value)
    if dtype.is_integer():
        return int(value)
    if dtype.is_floating() or dtype.is_decimal():
        return float(value)
    return str(value)


def plain_rows(rows: list[Any], schema: Any) -> tuple[dict[str, Any], ...]:
    """Rows (tuples in the schema's column order) as dicts of plain Python values, whichever backend or
    driver read them, so a page and its export show the very same values."""
    names, types = list(schema.names), list(schema.types)
    return tuple(
        {name: _plain(value, dtype) for name, value, dtype in zip(names, row, types, strict=True)}
        for row in rows
    )


def page_of(
    engine: Engine,
    settings: Settings,
    records: str,
    filters: Filters,
    narrow: Narrowing,
    sort: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    texts: ThemeTexts | None = None,
) -> RecordPage:
    """One page of a slice's records, sorted in the backend, with the slice's total (a page past the last
    shows the last)."""
    expr = expression(engine, settings, records, filters, narrow, texts)
    total = int(expr.count().execute())
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 1), pages)
    sorted_expr, sort = ordered(expr, records, sort)
    frame = pd.DataFrame(sorted_expr.limit(page_size, offset=(page - 1) * page_size).execute())
    rows = plain_rows(list(frame.itertuples(index=False, name=None)), expr.schema())
    notes: tuple[str, ...] = ()
    if texts is not None and texts.available > texts.read:
        notes = (
            f"Themes are assigned to the {texts.read:,} texts the text analysis read (a deterministic "
            f"sample of the slice's {texts.available:,}); the theme's other texts are not listed.",
        )
    return RecordPage(records, tuple(expr.columns), rows, total, page, page_size, sort, notes)


def stream(
    engine: Engine,
    settings: Settings,
    records: str,
    filters: Filters,
    narrow: Narrowing,
    sort: str | None = None,
    texts: ThemeTexts | None = None,
    chunk: int = CHUNK,
) -> tuple[tuple[str, ...], Iterator[tuple[dict[str, Any], ...]]]:
    """Every record of the slice in the page's order, `chunk` rows at a time: the columns, and an iterator
    of row chunks read from one cursor of a connection of its own (the query runs once; PostgreSQL keeps
    the rows on the server until they are fetched)."""
    expr, _ = ordered(expression(engine, settings, records, filters, narrow, texts), records, sort)
    sql = str(engine.con.compile(expr))
    columns, schema = tuple(expr.columns), expr.schema()
    if engine.backend == "pyspark":  # warehouse mode: Spark hands the rows over a partition at a time
        return columns, _spark_chunks(engine.con.raw_sql(sql), schema, chunk)

    def chunks() -> Iterator[tuple[dict[str, Any], ...]]:
        raw = engine.store.engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            cursor = driver.cursor(name="cxgap_export") if engine.backend == "postgresql" else raw.cursor()
            cursor.execute(sql)
            while rows := cursor.fetchmany(chunk):
                yield plain_rows(list(rows), schema)
            cursor.close()
        finally:
            if engine.backend == "postgresql":
                raw.rollback()
            raw.close()

    return columns, chunks()


def _spark_chunks(frame: Any, schema: Any, chunk: int) -> Iterator[tuple[dict[str, Any], ...]]:
    """The rows of a Spark query, `chunk` at a time, holding one partition in memory at most."""
    rows = frame.toLocalIterator()
    while batch := list(itertools.islice(rows, chunk)):
        yield plain_rows([tuple(row) for row in batch], schema)
