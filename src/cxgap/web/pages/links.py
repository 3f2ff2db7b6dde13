"""Where the drill-down pages live: every number on a page links to the records behind it, with the page's
filters carried over, so a link shows the same slice's evidence."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from cxgap.engine import Filters

RECORD_KINDS = ("responses", "comments", "interactions", "customers")


def records_url(records: str, filters: Filters, /, **narrow: str | None) -> str:
    """The table of `records` (responses, comments, interactions, customers) in the slice, narrowed further
    (touchpoint, kind, item, dimension, theme, metric, customer_id, incident, sort, page). The first two are
    positional only, so `kind=` is free for the survey, gap or interaction kind that narrows the records."""
    if records not in RECORD_KINDS:
        raise ValueError(f"no records page for {records!r}; the kinds are {', '.join(RECORD_KINDS)}")
    params = filters.query() | {k: v for k, v in narrow.items() if v is not None and v != ""}
    return f"/records/{records}" + (f"?{urlencode(params)}" if params else "")


def customer_url(customer_id: str) -> str:
    """One customer's page: timeline, answers, comments, cases, risk with reasons."""
    return f"/customers/{quote(str(customer_id), safe='')}"
