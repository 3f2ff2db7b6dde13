"""The JSON behind the drill-down pages: records of a slice and a customer's record, under the same roles
(customer ids and verbatim text are for analysts and admins only), with what both surfaces share: the
narrowing parameters, the page of records, and the CSV export streamed chunk by chunk."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from cxgap.access import Forbidden
from cxgap.api.auth import WITHHELD, person, sees_customers
from cxgap.api.dashboard import Dashboard
from cxgap.api.results import plain
from cxgap.api.routes import Board, Slice
from cxgap.engine import Filters
from cxgap.records import (
    PAGE_SIZE,
    CustomerRecord,
    Narrowing,
    RecordPage,
    ThemeTexts,
    customer_record,
    page_of,
    stream,
    theme_texts,
)

router = APIRouter(prefix="/api", tags=["api"])


def narrowing(
    kind: Annotated[
        str | None,
        Query(
            description="Survey kind or gap kind (responses), interaction kind or "
            "operational gap kind (interactions), feedback or response (comments), "
            "current or churned (customers)."
        ),
    ] = None,
    item: Annotated[str | None, Query(description="Responses that rated this item.")] = None,
    dimension: Annotated[
        str | None, Query(description="Responses that rated an item of this dimension.")
    ] = None,
    theme: Annotated[
        str | None, Query(description="Comments the text analysis assigned to this theme.")
    ] = None,
    metric: Annotated[
        str | None,
        Query(
            description="nps, csat or ces (responses); an operational metric "
            "such as wait_seconds@call (interactions)."
        ),
    ] = None,
    customer_id: Annotated[str | None, Query(description="One customer's records.")] = None,
    incident: Annotated[str | None, Query(description="Records a journey incident rule calls this.")] = None,
) -> Narrowing:
    """The narrowing parameters of a request (checked against the records kind when the records are read)."""
    return Narrowing(kind, item, dimension, theme, metric, customer_id, incident)  # fmt: skip


Narrow = Annotated[Narrowing, Depends(narrowing)]
Sort = Annotated[str | None, Query(description="A column to sort by; '-column' sorts descending.")]
PageNumber = Annotated[int, Query(ge=1, le=10_000_000, description="The page, 1 first (50 records a page).")]


def require_customer_level(request: Request) -> None:
    """Refuse (403 with the one sentence) anyone who may not see customer ids or verbatim text."""
    if not sees_customers(person(request)):
        raise Forbidden(WITHHELD)


def texts_of(dashboard: Dashboard, filters: Filters, narrow: Narrowing) -> ThemeTexts | None:
    """The texts of the narrowing's theme in the slice, from the dashboard's text analysis of it."""
    return theme_texts(dashboard.text(filters), narrow.theme) if narrow.theme else None


def record_page(
    dashboard: Dashboard, records: str, filters: Filters, narrow: Narrowing, sort: str | None, page: int
) -> RecordPage:
    """One page of the slice's records, as the page and the JSON both show it."""
    texts = texts_of(dashboard, filters, narrow)
    return page_of(
        dashboard.engine, dashboard.settings, records, filters, narrow, sort, page, PAGE_SIZE, texts
    )


def cell(value: Any) -> str:
    """A value as a CSV cell: empty for missing, ISO dates and times, true/false, numbers as Python writes
    them (so an export reads back to the very values the page and the JSON show)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def csv_stream(columns: tuple[str, ...], chunks: Iterator[tuple[dict[str, Any], ...]]) -> Iterator[str]:
    """CSV text, header first, one piece per chunk of rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    yield out.getvalue()
    for rows in chunks:
        out.seek(0)
        out.truncate()
        writer.writerows([cell(row[c]) for c in columns] for row in rows)
        yield out.getvalue()


def csv_response(
    name: str, columns: tuple[str, ...], chunks: Iterator[tuple[dict[str, Any], ...]]
) -> StreamingResponse:
    """A streamed CSV download called `name`.csv (characters a file name should not hold become '_')."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return StreamingResponse(
        csv_stream(columns, chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def records_csv(
    dashboard: Dashboard, records: str, filters: Filters, narrow: Narrowing, sort: str | None
) -> StreamingResponse:
    """Every record of the slice (not one page) in the page's order, streamed as CSV."""
    texts = texts_of(dashboard, filters, narrow)
    columns, chunks = stream(dashboard.engine, dashboard.settings, records, filters, narrow, sort, texts)
    return csv_response(f"cxgap-{records}", columns, chunks)


def page_json(found: RecordPage, filters: Filters, narrow: Narrowing) -> dict[str, Any]:
    """A page of records as JSON: the slice, the narrowing, the total, where the page sits, the rows."""
    return {
        "records": found.records,
        "filters": filters.query(),
        "narrowing": narrow.query(),
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "page_size": found.page_size,
        "sort": found.sort,
        "columns": list(found.columns),
        "rows": plain(
            [{k: cell(v) if isinstance(v, dt.datetime) else v for k, v in r.items()} for r in found.rows]
        ),
        "notes": list(found.notes),
    }


def customer_json(found: CustomerRecord) -> dict[str, Any]:
    """A customer's record as JSON: attributes, timeline, open cases, incidents and risk."""
    data = dict(plain(found))
    data["open_cases"] = [e["record_id"] for e in data["events"] if e["source"] == "case"
                          and e["record_id"] in {c.record_id for c in found.open_cases}]  # fmt: skip
    data["incident_count"] = found.incidents
    return data


@router.get("/records/{records}", dependencies=[Depends(require_customer_level)])
def records_json(
    dashboard: Board,
    slice_: Slice,
    narrow: Narrow,
    records: str,
    sort: Sort = None,
    page: PageNumber = 1,
    format: Annotated[  # noqa: A002
        Literal["json", "csv"], Query(description="json, or csv for every record of the slice.")
    ] = "json",
) -> Any:
    """The responses, comments, interactions or customers of a slice, narrowed, sorted, 50 a page with the
    total; `format=csv` streams the whole set (analysts and admins only: customer-level data)."""
    if format == "csv":
        return records_csv(dashboard, records, slice_, narrow, sort)
    return page_json(record_page(dashboard, records, slice_, narrow, sort, page), slice_, narrow)


@router.get("/customers/{customer_id}", dependencies=[Depends(require_customer_level)])
def customer(dashboard: Board, customer_id: str) -> dict[str, Any]:
    """One customer: attributes, timeline of interactions, answers with item ratings, comments and cases,
    open cases, and churn risk and health with their reasons (analysts and admins only)."""
    found = customer_record(dashboard.engine, dashboard.settings, customer_id, dashboard.risk())
    return customer_json(found)
