"""Saved views: a person's named dashboard pages with their filters, kept in the store's `saved_views`.

Every read and write names its owner, so a person only ever lists, opens or deletes their own views. Saving
a name the person already uses replaces that view (the same name saved again means "update it").
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cxgap.access.sessions import utcnow
from cxgap.errors import CxgapError, NotFound
from cxgap.store import Store

MAX_NAME = 200  # the column's length
MAX_PATH = 200
MAX_QUERY = 2_000
MAX_VIEWS = 100  # per person: a list anyone can still read
COLUMNS = 'view_id, user_id, name, path, "query", created_at'


@dataclass(frozen=True)
class SavedView:
    """One saved view: its id, owner, name, the page's path and its filters as a URL query string."""

    view_id: str
    user_id: str
    name: str
    path: str
    query: str
    created_at: dt.datetime

    @property
    def url(self) -> str:
        """The page with its filters: what the view opens, and the link to share."""
        return self.path + (f"?{self.query}" if self.query else "")


def plain_text(value: str) -> bool:
    """Whether `value` is text a database keeps as it is: no control characters (PostgreSQL refuses NUL)
    and no lone surrogates (they have no UTF-8 form)."""
    return not any(unicodedata.category(c) in ("Cc", "Cs") for c in value)


def clean_name(name: str) -> str:
    """The name as stored (surrounding spaces removed), or one sentence on why it cannot be a name."""
    name = name.strip()
    if not name:
        raise CxgapError("A saved view needs a name; type one before saving.")
    if len(name) > MAX_NAME:
        raise CxgapError(f"A view's name has at most {MAX_NAME} characters; this one has {len(name)}.")
    if not plain_text(name):
        raise CxgapError("A view's name cannot hold control characters such as line breaks or tabs.")
    return name


def _view(row: sa.Row[Any]) -> SavedView:
    return SavedView(
        str(row.view_id), str(row.user_id), str(row.name), str(row.path), str(row.query), row.created_at
    )


def _known_form(view_id: str) -> None:
    """Refuse an id no view can have (too long, or not plain text) as not found, before any query."""
    if len(view_id) > 32 or not plain_text(view_id):
        raise NotFound("You have no saved view with that id.")


def list_views(store: Store, user_id: str) -> list[SavedView]:
    """The person's views, by name."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(f"SELECT {COLUMNS} FROM saved_views WHERE user_id = :u ORDER BY name, view_id"),
            {"u": user_id},
        ).all()
    return [_view(r) for r in rows]


def get_view(store: Store, user_id: str, view_id: str) -> SavedView:
    """One of the person's views; someone else's view is not found, as if it did not exist."""
    _known_form(view_id)
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text(f"SELECT {COLUMNS} FROM saved_views WHERE view_id = :v AND user_id = :u"),
            {"v": view_id, "u": user_id},
        ).first()
    if row is None:
        raise NotFound(f"You have no saved view '{view_id}'.")
    return _view(row)


def save_view(
    store: Store, user_id: str, name: str, path: str, query: str, now: dt.datetime | None = None
) -> SavedView:
    """Save the page `path` with its filters `query` under `name` (the surface checks the page and the
    filters); a name the person already has is replaced. At most MAX_VIEWS views per person."""
    name = clean_name(name)
    if len(path) > MAX_PATH or len(query) > MAX_QUERY:
        raise CxgapError("That page address is too long to save as a view.")
    if not (plain_text(path) and plain_text(query)):
        raise CxgapError("A view's page address cannot hold control characters.")
    now = now or utcnow()
    with store.begin() as conn:
        same = conn.execute(
            sa.text("SELECT view_id FROM saved_views WHERE user_id = :u AND name = :n"),
            {"u": user_id, "n": name},
        ).first()
        if same is not None:
            view = SavedView(str(same[0]), user_id, name, path, query, now)
            conn.execute(
                sa.text('UPDATE saved_views SET path = :p, "query" = :q, created_at = :t WHERE view_id = :v'),
                {"p": path, "q": query, "t": now, "v": view.view_id},
            )
            return view
        count = conn.execute(
            sa.text("SELECT count(*) FROM saved_views WHERE user_id = :u"), {"u": user_id}
        ).scalar_one()
        if int(count) >= MAX_VIEWS:
            raise CxgapError(f"You have {MAX_VIEWS} saved views, the most there can be; delete one first.")
        view = SavedView(secrets.token_urlsafe(12), user_id, name, path, query, now)
        conn.execute(
            sa.text(f"INSERT INTO saved_views ({COLUMNS}) VALUES (:v, :u, :n, :p, :q, :t)"),
            {"v": view.view_id, "u": user_id, "n": name, "p": path, "q": query, "t": now},
        )
    return view


def delete_view(store: Store, user_id: str, view_id: str) -> None:
    """Delete one of the person's views; someone else's view is not found, and is left alone (the row is
    looked up first: DuckDB's driver does not count the rows a DELETE removes)."""
    _known_form(view_id)
    where = {"v": view_id, "u": user_id}
    with store.begin() as conn:
        mine = conn.execute(
            sa.text("SELECT 1 FROM saved_views WHERE view_id = :v AND user_id = :u"), where
        ).first()
        if mine is None:
            raise NotFound(f"You have no saved view '{view_id}'.")
        conn.execute(sa.text("DELETE FROM saved_views WHERE view_id = :v AND user_id = :u"), where)
