"""The records behind a number: responses, comments, interactions and customers of a slice, paged, sorted
and exportable as CSV (analysts and admins only: every row names a customer or quotes one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from cxgap.api.records import (
    Narrow,
    PageNumber,
    Sort,
    record_page,
    records_csv,
    require_customer_level,
)
from cxgap.api.routes import Board, Slice
from cxgap.engine import Filters
from cxgap.records import KINDS, Narrowing, RecordPage
from cxgap.web.pages.links import customer_url, records_url
from cxgap.web.pages.render import render_page

router = APIRouter()
# column headings in the words a CX analyst uses (a column not listed shows its own name)
LABELS = {
    "response_id": "response",
    "responded_at": "answered",
    "customer_id": "customer",
    "survey_kind": "survey",
    "nps": "NPS answer (0-10)",
    "csat": "CSAT (1-5)",
    "ces": "CES",
    "items_rated": "items rated",
    "p_minus_e": "P − E",
    "comment_id": "comment",
    "at": "when",
    "interaction_id": "interaction",
    "occurred_at": "when",
    "wait_seconds": "wait (s)",
    "repeat_contact": "repeat contact",
    "on_time": "on time",
    "delay_minutes": "delay (min)",
    "duration_seconds": "duration (s)",
    "started_at": "customer since",
    "ended_at": "left",
}
TITLES = {
    "responses": "Survey responses",
    "comments": "Comments and reviews",
    "interactions": "Interactions",
    "customers": "Customers",
}


def shown(value: Any) -> str:
    """A value as the table shows it: blank when missing, yes/no, minutes for times, two decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return (
            f"{value:%Y-%m-%d}"
            if (value.hour, value.minute, value.second) == (0, 0, 0)
            else f"{value:%Y-%m-%d %H:%M}"
        )
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) and abs(value) < 1e15 else f"{value:.2f}"
    return str(value)


def _link(records: str, filters: Filters, narrow: Narrowing, **more: str | None) -> str:
    return records_url(records, filters, **(narrow.query() | more))


def _headings(found: RecordPage, filters: Filters, narrow: Narrowing) -> list[dict[str, Any]]:
    """Each column's heading, with the link that sorts by it (descending first when already ascending)."""
    out = []
    for column in found.columns:
        current = found.sort.removeprefix("-") == column
        ascending = current and not found.sort.startswith("-")
        out.append(
            {
                "column": column,
                "label": LABELS.get(column, column.replace("_", " ")),
                "href": _link(found.records, filters, narrow, sort=f"-{column}" if ascending else column),
                "order": ("ascending" if ascending else "descending") if current else None,
            }
        )
    return out


def _pager(found: RecordPage, filters: Filters, narrow: Narrowing) -> dict[str, str | None]:
    """Links to the first, previous, next and last pages (None where there is none)."""

    def to(page: int) -> str:
        return _link(found.records, filters, narrow, sort=found.sort, page=str(page))

    last = found.pages
    return {
        "first": to(1) if found.page > 1 else None,
        "previous": to(found.page - 1) if found.page > 1 else None,
        "next": to(found.page + 1) if found.page < last else None,
        "last": to(last) if found.page < last else None,
    }


def page_context(records: str, found: RecordPage, filters: Filters, narrow: Narrowing) -> dict[str, Any]:
    """What records.html.j2 shows: the headings, the rows as shown (with customer links), the pager and the
    export and JSON links, all with the slice, the narrowing and the order carried over."""
    export = _link(records, filters, narrow, sort=found.sort, format="csv")
    json = "/api" + _link(records, filters, narrow, sort=found.sort, page=str(found.page))
    return {
        "title": TITLES[records] + (f" · {narrow.describe()}" if narrow.describe() else ""),
        "records": records,
        "found": found,
        "narrowing": narrow.query(),
        "sort": found.sort,
        "headings": _headings(found, filters, narrow),
        "rows": [
            {
                "cells": [(c, shown(row[c])) for c in found.columns],
                "customer": customer_url(row["customer_id"]) if row.get("customer_id") else None,
            }
            for row in found.rows
        ],
        "pager": _pager(found, filters, narrow),
        "export": export,
        "json": json,
        "others": {
            k: _link(k, filters, Narrowing(customer_id=narrow.customer_id)) for k in KINDS if k != records
        },
    }


@router.get("/records/{records}", response_class=HTMLResponse, dependencies=[Depends(require_customer_level)])
def records_page(
    request: Request,
    dashboard: Board,
    slice_: Slice,
    narrow: Narrow,
    records: str,
    sort: Sort = None,
    page: PageNumber = 1,
    format: str = "html",  # noqa: A002 - the query's name
) -> Response:
    """A slice's records as a sortable table, 50 a page with the total, the filters and the narrowing kept
    on every link; `format=csv` downloads every record of the slice (analysts and admins only)."""
    if records not in KINDS:
        raise HTTPException(404)
    if format == "csv":
        return records_csv(dashboard, records, slice_, narrow, sort)

    def build() -> dict[str, Any]:
        return page_context(
            records, record_page(dashboard, records, slice_, narrow, sort, page), slice_, narrow
        )

    extra = (*(f"{k}={v}" for k, v in sorted(narrow.query().items())), f"sort={sort}", f"page={page}")
    html = render_page(
        dashboard,
        request,
        f"/records/{records}",
        slice_,
        "records.html.j2",
        build,
        *extra,
        check_selection=records != "customers",  # a segment's customers exist without any answer
    )
    return HTMLResponse(html)
