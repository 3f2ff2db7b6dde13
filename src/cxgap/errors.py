"""User-facing errors: one clear sentence, exit code 2, never a traceback."""

from __future__ import annotations


class CxgapError(Exception):
    """Base of every error cxgap expects a user can fix; its message is the one sentence they see."""

    exit_code = 2


class ConfigError(CxgapError):
    """`cxgap.toml` (or a mapping file) names an unknown key or a value of the wrong kind."""


class InputFileError(CxgapError):
    """A source file cannot be read at all (empty, wrong encoding or delimiter, missing column...)."""


class StoreError(CxgapError):
    """The store cannot be opened or is at a schema version this cxgap does not know."""


class WriteConflict(StoreError):
    """Another transaction wrote a table this one had read before it could take the table's writer lock:
    run it again (as a database reports a serialisation failure)."""


class StoreInUse(StoreError):
    """Another process holds the embedded store's file (DuckDB lets one process write a file at a time);
    `holder` names it where it could be told ("`cxgap text` (pid 123)")."""

    def __init__(self, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class DiskFull(StoreError):
    """The disk under the store (or under a file being written) ran out of space; the store's transaction
    was rolled back, so free space and run the same command again."""


class NotFound(CxgapError):
    """The customer, case or issue asked for does not exist (or is not one the caller may see)."""
