"""Who invitations go to, and who never wants one: the contact list (customers' and staff's e-mail addresses,
imported from CSV) and opt-outs, kept forever.

An opt-out is recorded under two keys, `customer:<id>` (or `staff:<id>`) and `email:<sha256 of the address,
lowercased>`, so it still holds when the same person is re-imported under a new id or the address comes back
under another one; the address itself is never kept in the opt-out list."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from cxgap.access.tokens import EMAIL_FORM
from cxgap.errors import CxgapError, InputFileError
from cxgap.io.readers import SourceOptions, read_csv
from cxgap.store import Store, insert_new
from cxgap.store.models import ROLES

KINDS = ("customer", "staff")
OPT_OUT_HOW = ("link", "admin", "import")
COLUMNS = ("id", "email", "language", "role")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class ContactProblem:
    """A row left out of an import: its line in the file, the column at fault and why."""

    row: int
    column: str
    why: str

    def sentence(self) -> str:
        """The problem in one sentence, without the value (an address is personal data)."""
        return f"Row {self.row}, column {self.column}: {self.why}."


@dataclass(frozen=True)
class ContactImport:
    """What an import of contacts did: rows read, loaded (new or updated) and refused, and, for customers,
    how many loaded ids are not customers in the store (loaded anyway: the CRM may come later)."""

    kind: str
    read: int
    loaded: int
    problems: list[ContactProblem] = field(default_factory=list)
    not_customers: int = 0

    @property
    def refused(self) -> int:
        """Rows left out (read = loaded + refused)."""
        return len(self.problems)

    def sentence(self) -> str:
        """The import in words."""
        said = f"{self.read} {self.kind} contacts read: {self.loaded} loaded, {self.refused} refused."
        if self.not_customers:
            said += f" {self.not_customers} of them are not customers in the store (yet)."
        return said

    def to_frame(self) -> pd.DataFrame:
        """One row per refused row: row, column, why."""
        return pd.DataFrame(
            [(p.row, p.column, p.why) for p in self.problems], columns=["row", "column", "why"]
        )


def email_key(address: str) -> str:
    """The opt-out key of an e-mail address: its SHA-256, lowercased and trimmed first."""
    return "email:" + hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def email_key_sql(backend: str, column: str) -> str:
    """SQL computing `email_key` of an address column, on DuckDB or PostgreSQL."""
    if backend == "duckdb":
        return f"('email:' || sha256(lower(trim({column}))))"
    return f"('email:' || encode(sha256(convert_to(lower(trim({column})), 'UTF8')), 'hex'))"


def opted_out_sql(backend: str, kind: str, recipient: str, address: str) -> str:
    """An SQL condition: the recipient (`kind`, `recipient` columns) or its `address` has opted out (two
    lookups a backend answers with hash joins, not a scan per candidate)."""
    return (
        f"({kind} || ':' || {recipient} IN (SELECT opt_out_key FROM survey_opt_outs) "
        f"OR {email_key_sql(backend, address)} IN (SELECT opt_out_key FROM survey_opt_outs))"
    )


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise CxgapError(f"The contact kind '{kind[:20]}' is not one of {', '.join(KINDS)}.")
    return kind


def _header(path: Path, header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    for needed in ("id", "email"):
        if needed not in names:
            raise InputFileError(
                f"{path.name} has no '{needed}' column; a contact list has the columns {', '.join(COLUMNS)}."
            )
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise InputFileError(
            f"{path.name} has the column '{unknown[0][:40]}'; a contact list has only {', '.join(COLUMNS)}."
        )
    return names


def _check_row(
    kind: str, row: dict[str, str | None], line: int, seen: dict[str, int]
) -> tuple[dict[str, str | None] | None, ContactProblem | None]:
    """One row as a contact, or the first problem with it."""
    recipient, address = (row.get("id") or "").strip(), (row.get("email") or "").strip()
    language, role = (row.get("language") or "").strip(), (row.get("role") or "").strip().lower()
    if not recipient or len(recipient) > 128:
        return None, ContactProblem(line, "id", "empty or longer than 128 characters")
    if recipient in seen:
        return None, ContactProblem(line, "id", f"the same id as row {seen[recipient]}")
    if len(address) > 320 or not EMAIL_FORM.match(address):
        return None, ContactProblem(line, "email", "not an e-mail address (like name@example.com)")
    if language and not LANGUAGE.match(language):
        return None, ContactProblem(line, "language", "not a language code (like en, de or pt-BR)")
    if kind == "staff" and role not in ROLES:
        return None, ContactProblem(line, "role", f"not one of {', '.join(ROLES)}")
    seen[recipient] = line
    contact: dict[str, str | None] = {
        "recipient_id": recipient,
        "email": address,
        "language": language.lower().replace("_", "-") or None,
        "role": role if kind == "staff" else None,
    }
    return contact, None


def _check_utf8(path: Path) -> None:
    """A contact list is UTF-8 (there is no mapping to name another encoding): say where it is not."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise InputFileError(
            f"{path.name} is not UTF-8 text (line {line}); save the contact list as UTF-8 CSV."
        ) from None


def read_contacts(path: Path, kind: str) -> tuple[list[dict[str, str | None]], list[ContactProblem], int]:
    """The file's good rows as contacts, its refused rows, and how many rows were read. The import's own
    CSV reader accounts for every line: an unbalanced quote or a ragged row costs that row only."""
    if not path.is_file():
        raise InputFileError(f"There is no contact list at {path}.")
    contacts: list[dict[str, str | None]] = []
    problems: list[ContactProblem] = []
    seen: dict[str, int] = {}
    read = 0
    _check_utf8(path)
    header, chunks = read_csv(path, SourceOptions(format="csv", encoding="utf-8-sig"))
    names = _header(path, header)
    for chunk in chunks:
        for problem in chunk.problems:
            read += 1
            problems.append(ContactProblem(problem.row, "(the whole row)", problem.reason))
        for i, line in enumerate(chunk.rows):
            read += 1
            row = {name: chunk.values[raw][i] for name, raw in zip(names, header, strict=True)}
            contact, refused = _check_row(kind, row, line, seen)
            if contact is not None:
                contacts.append(contact)
            if refused is not None:
                problems.append(refused)
    problems.sort(key=lambda problem: problem.row)
    return contacts, problems, read


def import_contacts(store: Store, path: Path, kind: str, now: dt.datetime) -> ContactImport:
    """Load a contact list (CSV: id, email, language, and role for staff) into `survey_contacts`, new ids
    added and known ones updated; rows with a bad address, role or language are named and left out."""
    contacts, problems, read = read_contacts(path, _kind(kind))
    data = pa.Table.from_pylist(
        [{"kind": kind, **c, "added_at": now} for c in contacts],
        schema=pa.schema(
            [(name, pa.string()) for name in ("kind", "recipient_id", "email", "language", "role")]
            + [("added_at", pa.timestamp("us"))]
        ),
    )
    with store.begin() as conn:
        insert_new(conn, "survey_contacts", data, replace_existing=True)
        strangers = 0
        if kind == "customer" and contacts:
            strangers = int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM survey_contacts c WHERE c.kind = 'customer' "
                        "AND c.added_at = :now AND NOT EXISTS "
                        "(SELECT 1 FROM customers k WHERE k.customer_id = c.recipient_id)"
                    ),
                    {"now": now},
                ).scalar_one()
            )
    return ContactImport(kind, read, len(contacts), problems, strangers)


def opt_out(
    store: Store, kind: str, recipient_id: str | None, email: str | None, how: str, now: dt.datetime
) -> int:
    """Record that this person is never to be surveyed again, by id and by address (given, or else their
    address in the contact list, so the opt-out follows the address to any new id); the number of keys
    newly recorded (0: already opted out)."""
    if how not in OPT_OUT_HOW:
        raise CxgapError(f"An opt-out is recorded by {', '.join(OPT_OUT_HOW)}, not '{how[:20]}'.")
    if recipient_id and not (email and email.strip()):
        email = (contact_of(store, _kind(kind), recipient_id) or (None, None))[0]
    keys = [f"{_kind(kind)}:{recipient_id}"] if recipient_id else []
    keys += [email_key(email)] if email and email.strip() else []
    if not keys:
        raise CxgapError("An opt-out needs the person's id or e-mail address.")
    insert = sa.text(
        "INSERT INTO survey_opt_outs (opt_out_key, opted_out_at, how) VALUES (:k, :at, :how) "
        "ON CONFLICT DO NOTHING RETURNING opt_out_key"
    )
    with store.begin() as conn:
        added = [conn.execute(insert, {"k": key, "at": now, "how": how}).first() for key in keys]
    return sum(row is not None for row in added)


def is_opted_out(store: Store, kind: str, recipient_id: str | None, email: str | None = None) -> bool:
    """Whether this person (by id) or this address has ever opted out."""
    keys = [f"{_kind(kind)}:{recipient_id}"] if recipient_id else []
    keys += [email_key(email)] if email and email.strip() else []
    if not keys:
        return False
    query = sa.text("SELECT 1 FROM survey_opt_outs WHERE opt_out_key IN :keys").bindparams(
        sa.bindparam("keys", expanding=True)
    )
    with store.engine.connect() as conn:
        return conn.execute(query, {"keys": keys}).first() is not None


def contact_of(store: Store, kind: str, recipient_id: str) -> tuple[str, str | None] | None:
    """A contact's address and language, or None when the list has none for them."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT email, language FROM survey_contacts WHERE kind = :k AND recipient_id = :r"),
            {"k": kind, "r": recipient_id},
        ).first()
    return (str(row[0]), row[1]) if row is not None else None


@dataclass(frozen=True)
class Recipient:
    """Who an invitation was for: its survey and version, the recipient's kind and id, and their address
    now (None for an anonymous link, or a contact no longer listed)."""

    survey: str
    version: int | None
    kind: str
    recipient_id: str | None
    email: str | None

    @property
    def personal(self) -> bool:
        """Whether the invitation went to a known person (an anonymous link has no one to opt out)."""
        return self.kind in KINDS and self.recipient_id is not None


def recipient_of(store: Store, invitation_id: str) -> Recipient | None:
    """The invitation's recipient, or None when there is no such invitation."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT v.survey, v.version, v.recipient_kind, v.recipient_id, c.email "
                "FROM survey_invitations v LEFT JOIN survey_contacts c "
                "ON c.kind = v.recipient_kind AND c.recipient_id = v.recipient_id "
                "WHERE v.invitation_id = :i"
            ),
            {"i": invitation_id},
        ).first()
    if row is None:
        return None
    return Recipient(str(row[0]), row[1], str(row[2]), row[3], row[4])


def opt_out_recipient(store: Store, recipient: Recipient, how: str, now: dt.datetime) -> int:
    """Opt an invitation's recipient out, by id and by their address (see `opt_out`)."""
    if not recipient.personal:
        raise CxgapError("This link was not sent to anyone in particular, so there is no one to opt out.")
    return opt_out(store, recipient.kind, recipient.recipient_id, recipient.email, how, now)
