"""Whether a selection of filters holds any data, and what an error page needs to sit inside the normal
page: a page never shows numbers of an empty slice (nor the previous slice's), and a refused filter is
answered in the page, with its filter form, so the person can change it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from cxgap.api.dashboard import Dashboard, FilterChoices
from cxgap.engine import Filters
from cxgap.engine.filters import has_control, parse_month, slice_rows
from cxgap.errors import CxgapError
from cxgap.store import describe_url

log = logging.getLogger(__name__)


def selection_state(dashboard: Dashboard, filters: Filters) -> str | None:
    """One sentence when the slice holds no survey answers, feedback or interactions (so nothing can be
    measured in it), else None. Counted by the backend once per store version and filters."""
    if not filters.active:
        return None
    rows = dashboard.cache.get(("selection", filters), lambda: slice_rows(dashboard.engine, filters))
    if any(rows.values()):
        return None
    return (
        f"No data for this selection: {filters.describe()} holds no survey answers, feedback or "
        "interactions. Widen the period or clear a filter to see figures."
    )


def salvage(query: Mapping[str, str], choices: FilterChoices) -> Filters:
    """The filters of a refused request that can still be shown: well-formed months in order and values
    the store holds; the refused ones are left out (the page's sentence says what was wrong)."""
    months: dict[str, str | None] = {}
    for name in ("since", "until"):
        value = query.get(name) or None
        try:
            months[name] = value if value and parse_month(value, name) else None
        except CxgapError:
            months[name] = None
    since, until = months["since"], months["until"]
    if since and until and parse_month(since, "since") > parse_month(until, "until"):
        until = None
    known = {"segment": choices.segments, "channel": choices.channels, "touchpoint": choices.touchpoints}
    kept = {
        name: value if value and not has_control(value) and value in allowed else None
        for name, allowed in known.items()
        for value in [query.get(name)]
    }
    return Filters(since, until, kept["segment"], kept["channel"], kept["touchpoint"])


def error_context(request: Request) -> dict[str, Any]:
    """For an error page of the dashboard: the store and the filter form (the request's filters that
    can be kept, the values the store holds), so the sentence appears inside the normal page. Empty for
    the JSON API, a store without data, or a store that cannot answer (the error page must render
    whatever failed)."""
    dashboard: Dashboard | None = getattr(request.app.state, "dashboard", None)
    if dashboard is None or request.url.path.startswith("/api/"):
        return {}
    try:
        context: dict[str, Any] = {"store": describe_url(dashboard.store.url)}
        if dashboard.empty():
            return context
        choices = dashboard.choices()
    except Exception:  # an error page must render whatever failed; the cause goes to the log
        log.exception("the error page of %s shows no filter form", request.url.path)
        return {}
    return context | {"choices": choices, "filters": salvage(request.query_params, choices)}
