"""Redactors that know the store's customer names: every name for a whole file, or only the names a few
texts could contain (a webhook, a case note), looked up in SQL so a small write never loads every name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.io.redact import Redactor, name_candidates

CANDIDATES_PER_CHAR = 0.7
"""Runs of two to five words a text of n characters yields, about (four runs per word of ~6 characters)."""


def all_names_redactor(conn: Connection) -> tuple[Redactor, dict[str, str]]:
    """A redactor knowing every customer's name, and each customer's name by id (for the author's own)."""
    rows = conn.execute(sa.text("SELECT customer_id, name FROM customers WHERE name IS NOT NULL")).all()
    return Redactor(name for _, name in rows), {str(cid): str(name) for cid, name in rows}


def _lookup(conn: Connection, sql: str, values: list[str]) -> list[Any]:
    query = sa.text(sql).bindparams(sa.bindparam("values", expanding=True))
    rows: list[Any] = []
    for start in range(0, len(values), 1_000):
        rows += conn.execute(query, {"values": values[start : start + 1_000]}).all()
    return rows


def redactor_for(
    conn: Connection, strings: Iterable[str], ids: Iterable[str] | None = None
) -> tuple[Redactor, dict[str, str]]:
    """A redactor knowing the customer names that `strings` could contain, and the names of the customers
    whose ids appear among `ids` (default: among the strings). Names are matched in SQL by lower(); the
    redactor then matches them exactly as the full one does. When the texts are long enough to hold more
    candidate names than the store has customers (a 1 MB comment), loading every name at once is the
    cheaper way."""
    strings = [s for s in strings if s]
    possible_ids = strings if ids is None else [i for i in ids if i]
    named = conn.execute(sa.text("SELECT count(*) FROM customers WHERE name IS NOT NULL")).scalar_one()
    if named and CANDIDATES_PER_CHAR * sum(len(s) for s in strings) >= named:
        return all_names_redactor(conn)
    keys = sorted(name_candidates(strings)) if named else []
    spaced = r"lower(regexp_replace(trim(name), '\s+', ' ', 'g'))"
    found = _lookup(conn, f"SELECT customer_id, name FROM customers WHERE {spaced} IN :values", keys)
    authors = _lookup(
        conn,
        "SELECT customer_id, name FROM customers WHERE name IS NOT NULL AND customer_id IN :values",
        sorted({s for s in possible_ids if len(s) <= 128 and "\x00" not in s}),  # could be a customer id
    )
    return Redactor(name for _, name in found), {str(cid): str(name) for cid, name in authors}


def redact_typed(conn: Connection, text: str | None) -> str | None:
    """One free-text or identifier value a person typed (a note, a title, an owner), redacted before storing."""
    if not text:
        return text
    redactor, _ = redactor_for(conn, [text], ids=())  # no author: typed text is nobody's own words
    return redactor.redact(text).text
