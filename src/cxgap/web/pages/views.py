"""Saved views: a person's named pages with their filters, and a link that opens the same view.

Every page's cached HTML holds the same "Save this view" form and an empty "My views" box; the box is filled
per person from /views/mine (so one person's views never land in a page cached for everybody). A view's own
link, /views/<id>, opens it for its owner; the link to share is the plain page address with its filters, so
whoever opens it sees the same slice under their own role.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.access import views as saved
from cxgap.api.auth import User
from cxgap.api.routes import Board
from cxgap.engine import Filters
from cxgap.engine.filters import NAMES
from cxgap.errors import CxgapError, NotFound
from cxgap.web.pages.render import PAGES, TEMPLATES

router = APIRouter()


def shown(view: saved.SavedView) -> dict[str, Any]:
    """A view as the list shows it: its name, where it opens, what it shows in words, its links."""
    page = dict(PAGES).get(view.path) or view.path
    values = dict(parse_qsl(view.query))
    try:
        what = Filters(**{name: values.get(name) for name in NAMES}).describe()
    except CxgapError:  # saved before the data changed; the page itself will say what is wrong
        what = view.query
    return {"view": view, "page": page, "what": what, "open": f"/views/{view.view_id}"}


@router.get("/views/mine", response_class=HTMLResponse)
def my_views(dashboard: Board, who: User) -> str:
    """The signed-in person's saved views as the list every page shows under "My views"."""
    views = [shown(v) for v in saved.list_views(dashboard.store, who.user_id)]
    return TEMPLATES.get_template("saved_views_list.html.j2").render(views=views)


@router.get("/views/{view_id}")
def open_view(dashboard: Board, who: User, view_id: str) -> Response:
    """Open one of your saved views: its page with its filters (someone else's view is not found: 404)."""
    try:
        view = saved.get_view(dashboard.store, who.user_id, view_id)
    except NotFound as error:
        page = TEMPLATES.get_template("error.html.j2").render(
            message=f"{error} Your views are listed under My views on every page.",
            pages=PAGES,
            title="Not found",
            path="/views",
        )
        return HTMLResponse(page, status_code=404)
    return RedirectResponse(view.url, status_code=303)
