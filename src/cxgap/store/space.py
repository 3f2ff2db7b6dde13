"""A full disk under the store, told apart from every other database error.

Writes go through one transaction (`Store.begin`), so when the disk fills mid-import the backend rolls the
whole batch back; what is left to do is to say so in one sentence instead of a driver's traceback. Only
errors that really mean "out of space" qualify: an OS error with ENOSPC, EFBIG ("File too large", what a
file-size limit gives) or EDQUOT, PostgreSQL's SQLSTATE 53100 (disk_full), or a DuckDB/PostgreSQL message
saying the same ("No space left on device", "disk full", "could not extend file").
"""

from __future__ import annotations

import errno
import sys

import sqlalchemy as sa

from cxgap.errors import DiskFull
from cxgap.store.core import describe_url

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
DISK_FULL_SQLSTATE = "53100"
DISK_FULL_WORDS = (
    "no space left on device",
    "disk full",
    "file too large",
    "disk quota exceeded",
    "could not extend file",
)


def database_errors() -> tuple[type[BaseException], ...]:
    """The exception types a write to the store can raise: SQLAlchemy's, the drivers' own (DuckDB,
    psycopg; only those already imported, as no other can have been raised) and the OS's."""
    kinds: list[type[BaseException]] = [sa.exc.DBAPIError, OSError]
    for module_name in ("duckdb", "psycopg"):
        module = sys.modules.get(module_name)
        error = getattr(module, "Error", None) if module is not None else None
        if isinstance(error, type) and issubclass(error, BaseException):
            kinds.append(error)
    return tuple(kinds)


def _own_message(error: BaseException) -> str:
    """The error's own words, without the SQL statement and parameters SQLAlchemy adds to its message
    (a row's text could otherwise say "disk full" and be mistaken for the real thing)."""
    if isinstance(error, sa.exc.StatementError):
        return ""  # its own words are those of `error.orig`, looked at separately
    return str(error).lower()


def is_disk_full(error: BaseException) -> bool:
    """Whether `error`, or any error it wraps or was raised from, means the disk is out of space."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if getattr(current, "sqlstate", None) == DISK_FULL_SQLSTATE:
            return True
        if any(words in _own_message(current) for words in DISK_FULL_WORDS):
            return True
        for inner in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                pending.append(inner)
    return False


def disk_full(error: BaseException, url: str, again: str = "import again") -> DiskFull:
    """The one sentence for a write that ran out of space: the store's disk for a database error (the
    transaction was rolled back, so nothing of the batch is kept), or the file being written for an OS
    error outside the store. `again` is what to do once there is space ("import again")."""
    if isinstance(error, OSError):
        target = f"{error.filename} could not be written" if error.filename else "a file could not be written"
        return DiskFull(f"The disk is full: {target}; free space and {again}.")
    where = (
        f"the PostgreSQL server of {describe_url(url)}"
        if url.startswith("postgresql")
        else url.removeprefix("duckdb:///")
    )
    return DiskFull(
        f"The store's disk is full ({where}): free space and {again}; nothing from this batch was kept."
    )
