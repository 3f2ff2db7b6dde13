"""Saved views as JSON: list, save, read and delete a person's named views (their own only).

A view is a dashboard page and its filters. What is saved is checked first: the page must be one of the
dashboard's, the filters must be filters the data holds, and the address is kept in one canonical form, so
opening a view can never lead off the site or to a page that refuses its own filters.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from cxgap.access import views as saved
from cxgap.api.auth import User
from cxgap.api.routes import Board
from cxgap.engine import Filters
from cxgap.engine.filters import NAMES, check_known
from cxgap.errors import CxgapError
from cxgap.web.pages.links import RECORD_KINDS
from cxgap.web.pages.render import PAGES

PARAMETER = re.compile(r"[a-z][a-z_]{0,31}")  # a page's own narrowing parameters (kind, item, sort, page...)
CUSTOMER_PAGE = re.compile(r"/customers/[^/?#]{1,128}")


class ViewIn(BaseModel):
    """A view to save: its name, the page's path and the page's query string (the filters); any other
    field is refused (a `filters` object used to be dropped, saving a view of nothing)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="What to call the view, e.g. 'Enterprise risk, this quarter'.")
    path: str = Field(description="The dashboard page, such as /risk; a path with '?query' is split.")
    query: str = Field("", description="The page's URL query string, such as segment=enterprise.")


def dashboard_pages() -> tuple[str, ...]:
    """The pages a view can open: every page in the navigation and every records table."""
    return tuple(path for path, _ in PAGES) + tuple(f"/records/{kind}" for kind in RECORD_KINDS)


def checked_path(path: str) -> str:
    """The page's path, or one sentence on why it is not a dashboard page a view can open."""
    pages = dashboard_pages()
    if path in pages or (CUSTOMER_PAGE.fullmatch(path) and saved.plain_text(path)):
        return path
    shown = f"'{path[:80]}'" if saved.plain_text(path) else "a path with a control character"
    raise CxgapError(f"{shown} is not a dashboard page; save a view of one of: {', '.join(pages)}.")


def checked_query(dashboard: Any, query: str) -> str:
    """The query in canonical form (filters first, in their usual order, then the page's own parameters),
    or one sentence on what is wrong with it; empty values are dropped (an 'all' in the filter form)."""
    if not saved.plain_text(query):
        raise CxgapError("The view's address holds a control character; save it from the page itself.")
    pairs = [(k, v) for k, v in parse_qsl(query.removeprefix("?"), keep_blank_values=True) if v != ""]
    values = dict(pairs)
    for name, value in pairs:
        if name not in NAMES and (
            not PARAMETER.fullmatch(name) or not saved.plain_text(value) or len(value) > 200
        ):
            shown = f"'{name[:40]}'" if saved.plain_text(name) else "with a control character"
            raise CxgapError(f"The view's address holds a parameter {shown} that no page takes.")
    filters = Filters(**{name: values.get(name) for name in NAMES})  # refuses bad or inverted periods
    if filters.segment or filters.channel or filters.touchpoint:
        known, held = dashboard.choices(), not dashboard.empty()
        check_known("segment", filters.segment, known.segments, held)
        check_known("channel", filters.channel, known.channels, held)
        check_known("touchpoint", filters.touchpoint, known.touchpoints, held)
    rest = {k: v for k, v in values.items() if k not in NAMES}
    return urlencode(filters.query() | rest)


def view_json(view: saved.SavedView) -> dict[str, Any]:
    """A view as JSON: `url` is the page with its filters (the link to share: whoever opens it sees the same
    slice under their own role); `open` is the owner's own short link to it."""
    return {
        "view_id": view.view_id,
        "name": view.name,
        "path": view.path,
        "query": view.query,
        "url": view.url,
        "open": f"/views/{view.view_id}",
        "created_at": view.created_at.isoformat(timespec="seconds"),
    }


router = APIRouter(prefix="/api", tags=["api"])


@router.get("/views")
def list_views(dashboard: Board, who: User) -> dict[str, Any]:
    """Your saved views, by name (nobody else's)."""
    return {"views": [view_json(v) for v in saved.list_views(dashboard.store, who.user_id)]}


@router.post("/views", status_code=201)
def save_view(dashboard: Board, who: User, view: ViewIn) -> dict[str, Any]:
    """Save a page and its filters under a name (saving a name you already use replaces that view); a page
    that is not the dashboard's, or filters the data does not hold, are refused in one sentence (400)."""
    path, _, inline = view.path.strip().partition("?")
    path = checked_path(path)
    query = checked_query(dashboard, "&".join(q for q in (inline, view.query) if q))
    with dashboard.writing():
        kept = saved.save_view(dashboard.store, who.user_id, view.name, path, query)
    return view_json(kept)


@router.get("/views/{view_id}")
def get_view(dashboard: Board, who: User, view_id: str) -> dict[str, Any]:
    """One of your saved views (someone else's is not found)."""
    return view_json(saved.get_view(dashboard.store, who.user_id, view_id))


@router.delete("/views/{view_id}", status_code=204)
def delete_view(dashboard: Board, who: User, view_id: str) -> Response:
    """Delete one of your saved views (someone else's is not found, and stays)."""
    with dashboard.writing():
        saved.delete_view(dashboard.store, who.user_id, view_id)
    return Response(status_code=204)
