"""What people type into the closed loop is redacted before any write stores it.

Notes, owners, teams, issue titles and actions, root causes no configured list checks, the actor named with
`--as`, and the teams, owners and actions of routes and playbooks in cxgap.toml are all text a person wrote:
any of it may hold an e-mail address, a phone or card number, an IBAN or a customer's name. Every write in
`cases` and `playbooks` passes such values through `TypedText` inside its transaction, before the value
reaches a column or the JSON detail of an audit line, so the CLI, the JSON API and the web pages all store
the same redacted text and no surface redacts on its own. The redaction itself is
`cxgap.io.personal.redact_typed`, the one entry point for text typed after import.
"""

from __future__ import annotations

from typing import Any, overload

from sqlalchemy.engine import Connection

from cxgap.io.personal import redact_typed

KEPT_FIELDS = frozenset({"case_id", "issue_id", "status", "gap_kind", "gap_subject", "touchpoint"})
"""Fields left as they are: ids and statuses the code itself makes (an id that happens to look like a phone
number is never mangled), gap kinds checked against a fixed list, and the identifiers that must equal data
the loop matches them with: a touchpoint (the imported cases an issue links) and a gap subject (the gap the
engine measures; 'wait_seconds@call' reads as an e-mail address to the redactor). Every other string a
write carries counts as typed, so a field added later is redacted without anyone having to remember."""


class TypedText:
    """Redacts typed values for one write, on the write's own connection, each distinct text once (a value
    copied from a column into its audit detail costs one lookup of the customer names it could contain)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._done: dict[str, str] = {}

    @overload
    def text(self, value: str) -> str: ...

    @overload
    def text(self, value: None) -> None: ...

    def text(self, value: str | None) -> str | None:
        """One typed value with its personal data replaced by [EMAIL], [PHONE], [CARD], [IBAN], [NAME]."""
        if value is None:
            return None
        if value not in self._done:
            self._done[value] = redact_typed(self.conn, value) or ""
        return self._done[value]

    def fields(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` (columns to set, or an audit detail) with every typed string redacted; numbers, dates
        and the fields in `KEPT_FIELDS` are kept as they are."""
        return {
            key: self.text(value) if isinstance(value, str) and key not in KEPT_FIELDS else value
            for key, value in values.items()
        }
