"""A respondent's side of a survey: opening a link, checking and saving answers so far, and submitting.

Submitted answers enter the store through the import path, as a webhook's records do: customers' answers
become one `responses` record (with its SERVQUAL `items`), staff answers `beliefs` records, so validation,
redaction, quarantine and the case rules apply at once (a detractor's answer opens a case). Every answer is
also kept as given in `survey_answers`, its free text redacted exactly as the stored comment.

A link answers once, certainly: the invitation is claimed by a conditional UPDATE before anything is
loaded, so of two submissions at the same moment (on either backend) one stores the answer and the other
hears `LinkUsed`; a load that fails gives the claim back, so the respondent can try again.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from cxgap.cases.intake import Intake, intake
from cxgap.config import Settings
from cxgap.errors import CxgapError, NotFound
from cxgap.io.ingest import Delivery, check_delivery
from cxgap.io.personal import redact_typed
from cxgap.store import Store
from cxgap.store.models import ROLES
from cxgap.surveys.catalog import definition_of
from cxgap.surveys.checks import (
    AnswerProblems,
    as_text,
    asked,
    belief_records,
    check_answers,
    response_record,
    valid_answers,
)
from cxgap.surveys.definition import SurveyDefinition
from cxgap.surveys.links import SurveyClosed, naive_utc
from cxgap.surveys.tokens import InvalidLink, read_link, survey_secret

__all__ = [
    "CONSENT",
    "AnswerProblems",
    "InvalidLink",
    "LinkExpired",
    "LinkUsed",
    "Load",
    "Respondent",
    "Submission",
    "SurveyClosed",
    "asked",
    "check_answers",
    "open_link",
    "record_consent",
    "save_partial",
    "submit",
]

T = TypeVar("T")
Load = Callable[[str, Delivery, str], Intake]
"""Loads one delivery (table, checked records, source) through the import path and runs the case rules:
by default `cxgap.cases.intake.intake` at once; a server may pass its group commit (`Dashboard.intake`)."""

CONSENT = "_consent"  # survey_answers' question for the follow-up consent (no question id starts with _)
RETRIES = 10


class LinkUsed(CxgapError):
    """The link's survey was answered already: a link answers once."""

    def __init__(self, message: str = "This survey was already answered with this link; thank you.") -> None:
        super().__init__(message)


class LinkExpired(CxgapError):
    """The link's time ran out (`[surveys] token_days` after it was made)."""

    def __init__(self, expired_at: dt.datetime) -> None:
        super().__init__(
            f"This survey link expired on {expired_at.day} {expired_at:%B %Y}; ask whoever sent it for a new one."
        )
        self.expired_at = expired_at


@dataclass(frozen=True)
class Respondent:
    """Whoever opened a link: the invitation, the survey version it asks (and its definition), who they
    are (`recipient_id` empty when anonymous), the touchpoint asked about, the language shown, and the
    answers saved so far. `expires_at`: when the link stops working."""

    invitation_id: str
    survey: str
    version: int
    definition: SurveyDefinition
    recipient_kind: str
    recipient_id: str | None
    touchpoint: str | None
    language: str
    partial: dict[str, Any] = field(default_factory=dict)
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class Submission:
    """A stored answer: its response id, the cases its answers opened, the version whose wording was asked."""

    response_id: str
    cases_opened: int
    version: int


# --- opening a link ---------------------------------------------------------------------------------


def _retrying(store: Store, write: Callable[[Connection], T]) -> T:
    """One short write in its own transaction, again after a write-write conflict (DuckDB) or a deadlock
    (PostgreSQL): another respondent's or a page's write to the same invitation came first."""
    for attempt in range(RETRIES):
        try:
            with store.begin() as conn:
                return write(conn)
        except sa.exc.DBAPIError as error:
            said = str(error.orig).lower()
            if attempt == RETRIES - 1 or not any(w in said for w in ("conflict", "deadlock", "serializ")):
                raise
            time.sleep(min(0.1, 0.002 * 2**attempt))
    raise AssertionError("unreachable")


def _invitation(conn: Connection, invitation_id: str) -> Row[Any] | None:
    return conn.execute(
        sa.text("SELECT * FROM survey_invitations WHERE invitation_id = :i"), {"i": invitation_id}
    ).one_or_none()


def _language(definition: SurveyDefinition, *wanted: str | None) -> str:
    """The first wanted language the survey has (`de-AT` finds `de`; a browser's `de-AT,de;q=0.9,en`
    works too), else the survey's default."""
    languages = {language.lower(): language for language in definition.languages}
    for choice in wanted:
        for part in (choice or "").split(","):
            tag = part.split(";")[0].strip().lower()
            for candidate in (tag, tag.split("-")[0]):
                if candidate in languages:
                    return languages[candidate]
    return definition.languages[0]


def _contact(conn: Connection, row: Row[Any]) -> Row[Any] | None:
    """The recipient's contact (language, role), if they are on the contact list."""
    if row.recipient_id is None or row.recipient_kind not in ("customer", "staff"):
        return None
    return conn.execute(
        sa.text("SELECT language, role FROM survey_contacts WHERE kind = :k AND recipient_id = :r"),
        {"k": row.recipient_kind, "r": row.recipient_id},
    ).one_or_none()


def _refuse(conn: Connection, row: Row[Any], expires_at: dt.datetime, now: dt.datetime) -> None:
    """Raise why a link cannot be answered now, if it cannot: answered, survey closed, or expired."""
    if row.answered_at is not None or row.status == "answered":
        raise LinkUsed()
    status = conn.execute(sa.text("SELECT status FROM surveys WHERE name = :n"), {"n": row.survey}).scalar()
    if status != "published":
        raise SurveyClosed("This survey is closed and takes no more answers; thank you all the same.")
    if now >= expires_at or row.status == "expired":
        raise LinkExpired(expires_at)


def open_link(
    store: Store,
    settings: Settings,
    token: str,
    now: dt.datetime,
    language: str | None = None,
    mark_opened: bool = True,
) -> Respondent:
    """The respondent a link opens, with the answers they saved so far; marks the invitation opened (the
    first time; a submission, which marks it when it claims it, passes `mark_opened=False` and writes once). Refuses with one sentence: `InvalidLink`, `LinkUsed`, `LinkExpired`, `SurveyClosed`.
    The language: `language` when the survey has it, else the contact's, else the survey's default."""
    now = naive_utc(now)
    invitation_id, token_expiry = read_link(survey_secret(store), token)
    with store.engine.connect() as conn:
        row = _invitation(conn, invitation_id)
        if row is None:
            raise InvalidLink()
        expires_at = min(token_expiry, row.expires_at or token_expiry)  # a link never outlives its row
        _refuse(conn, row, expires_at, now)
        contact = _contact(conn, row)
    definition = definition_of(store, row.survey, int(row.version))[0]
    if mark_opened and (row.opened_at is None or row.status in ("pending", "sent")):
        _retrying(store, lambda c: _mark_opened(c, invitation_id, now))
    partial = json.loads(row.partial) if row.partial else {}
    return Respondent(
        invitation_id=invitation_id,
        survey=row.survey,
        version=int(row.version),
        definition=definition,
        recipient_kind=row.recipient_kind,
        recipient_id=row.recipient_id,
        touchpoint=row.touchpoint,
        language=_language(definition, language, contact.language if contact else None),
        partial=partial if isinstance(partial, dict) else {},
        expires_at=expires_at,
    )


def _mark_opened(conn: Connection, invitation_id: str, now: dt.datetime) -> None:
    conn.execute(
        sa.text(
            "UPDATE survey_invitations SET opened_at = COALESCE(opened_at, :now), "
            "status = CASE WHEN status IN ('pending', 'sent') THEN 'opened' ELSE status END "
            "WHERE invitation_id = :i AND answered_at IS NULL"
        ),
        {"i": invitation_id, "now": now},
    )


# --- saving answers so far ----------------------------------------------------------------------------


def save_partial(store: Store, respondent: Respondent, answers: Mapping[str, Any], now: dt.datetime) -> None:
    """Keep the answers given so far (valid ones only, free text redacted), so that opening the link again
    restores them; the invitation's status becomes 'partial'. `LinkUsed` once answered."""
    now = naive_utc(now)
    if respondent.expires_at is not None and now >= respondent.expires_at:
        raise LinkExpired(respondent.expires_at)
    kept = valid_answers(respondent.definition, answers)

    def write(conn: Connection) -> Any:
        for question in respondent.definition.questions:
            if question.type == "comment" and question.id in kept:
                kept[question.id] = redact_typed(conn, kept[question.id])
        return conn.execute(
            sa.text(
                "UPDATE survey_invitations SET partial = :p, status = 'partial' "
                "WHERE invitation_id = :i AND answered_at IS NULL AND status IN ('pending', 'sent', 'opened', 'partial') "
                "RETURNING invitation_id"
            ),
            {"p": json.dumps(kept), "i": respondent.invitation_id},
        ).first()

    if _retrying(store, write) is None:
        _why_not(store, respondent.invitation_id, now)


def _why_not(store: Store, invitation_id: str, now: dt.datetime) -> None:
    """Raise why an invitation takes no answer (after a write found it answered, expired or closed)."""
    with store.engine.connect() as conn:
        row = _invitation(conn, invitation_id)
        if row is None:
            raise InvalidLink()
        _refuse(conn, row, row.expires_at or now + dt.timedelta(days=1), now)
    raise LinkUsed()  # not reached unless a claim was given back in between: it was taken then


# --- submitting ---------------------------------------------------------------------------------------


def submit(
    store: Store,
    settings: Settings,
    respondent: Respondent,
    answers: Mapping[str, Any],
    now: dt.datetime,
    consent: bool | None = None,
    load: Load | None = None,
) -> Submission:
    """Check the answers, claim the link (once, whoever else submits it at the same moment), load them
    through the import path with the case rules, and keep each answer in `survey_answers`.

    `AnswerProblems` before anything is stored; `LinkUsed`, `LinkExpired` or `SurveyClosed` when the link
    takes no answer; a load that fails gives the claim back and raises its error. `consent`: the
    follow-up consent, when the page asked it with the answers (else `record_consent` later)."""
    now = naive_utc(now)
    checked = check_answers(respondent.definition, answers)
    if not checked:
        first = asked(respondent.definition, answers)[0]
        raise AnswerProblems({first.id: "Please answer at least one question."})
    response_id = f"svy-{respondent.invitation_id}"
    _claim(store, respondent.invitation_id, response_id, now)
    try:
        cases = _load(store, settings, respondent, checked, response_id, now, load)
    except BaseException as error:
        try:
            _retrying(store, lambda c: _release(c, respondent.invitation_id, response_id))
        except sa.exc.DBAPIError:
            error.add_note(f"the survey link's claim ({respondent.invitation_id}) could not be given back")
        raise
    _retrying(store, lambda c: _keep_answers(c, respondent, checked, response_id, consent))
    return Submission(response_id, cases, respondent.version)


def _claim(store: Store, invitation_id: str, response_id: str, now: dt.datetime) -> None:
    """Mark the invitation answered if nobody did before and its survey still collects: one UPDATE whose
    condition only one submission can meet. Raises why not otherwise."""
    claim = sa.text(
        "UPDATE survey_invitations SET status = 'answered', answered_at = :now, response_id = :r, "
        "opened_at = COALESCE(opened_at, :now) "
        "WHERE invitation_id = :i AND answered_at IS NULL AND status NOT IN ('answered', 'expired') "
        "AND (expires_at IS NULL OR expires_at > :now) "
        "AND EXISTS (SELECT 1 FROM surveys s WHERE s.name = survey_invitations.survey AND s.status = 'published') "
        "RETURNING invitation_id"
    )
    params = {"i": invitation_id, "r": response_id, "now": now}
    if _retrying(store, lambda conn: conn.execute(claim, params).first()) is None:
        _why_not(store, invitation_id, now)


def _release(conn: Connection, invitation_id: str, response_id: str) -> None:
    """Give a claim back after a failed load: the link can be answered again."""
    conn.execute(
        sa.text(
            "UPDATE survey_invitations SET answered_at = NULL, response_id = NULL, "
            "status = CASE WHEN partial IS NULL THEN 'opened' ELSE 'partial' END "
            "WHERE invitation_id = :i AND response_id = :r"
        ),
        {"i": invitation_id, "r": response_id},
    )


def _load(
    store: Store,
    settings: Settings,
    respondent: Respondent,
    checked: dict[str, Any],
    response_id: str,
    now: dt.datetime,
    load: Load | None,
) -> int:
    """Load the answers as `responses` (customers) or `beliefs` (staff) records; the cases they opened."""
    source = f"survey:{respondent.survey}"
    base: dict[str, Any] = {"response_id": response_id, "survey": respondent.survey}
    base["survey_version"] = respondent.version
    if respondent.definition.audience == "staff":
        base |= {"respondent_id": respondent.recipient_id or f"anonymous-{respondent.invitation_id}"}
        base |= {"role": _role(store, respondent), "surveyed_at": now.date().isoformat()}
        table, records = "beliefs", belief_records(respondent.definition, checked, base, settings.items)
    else:
        customer = respondent.recipient_id if respondent.recipient_kind == "customer" else None
        base |= {"customer_id": customer, "responded_at": now.isoformat(sep=" ")}
        base |= {"survey_kind": respondent.definition.kind, "channel": respondent.definition.channel}
        base |= {"touchpoint": respondent.touchpoint or respondent.definition.touchpoint}
        table, records = "responses", [response_record(respondent.definition, checked, base)]
    if not records:
        return 0  # a staff survey answered only with comments and choices: survey_answers holds them
    loader = load or (lambda t, d, s: intake(store, settings, t, [d], s)[0])
    done = loader(table, check_delivery(table, records), source)
    if done.summary.rows_quarantined:
        raise CxgapError(
            "Your answers could not be stored (the store's checks refused them); the link still works."
        )
    return done.cases_opened


def _role(store: Store, respondent: Respondent) -> str:
    """A staff respondent's role (beliefs.role): their contact's, else 'other'."""
    with store.engine.connect() as conn:
        row = _invitation(conn, respondent.invitation_id)
        contact = _contact(conn, row) if row is not None else None
    return str(contact.role) if contact is not None and contact.role in ROLES else "other"


def _keep_answers(
    conn: Connection,
    respondent: Respondent,
    checked: dict[str, Any],
    response_id: str,
    consent: bool | None,
) -> None:
    """Every answer as given into `survey_answers`; the comment loaded into `responses` is copied as the
    import redacted it, other free text is redacted here. The saved partial answers are dropped."""
    stored = conn.execute(
        sa.text("SELECT comment FROM responses WHERE response_id = :r"), {"r": response_id}
    ).scalar()
    rows, first_comment = [], respondent.definition.audience == "customers"
    for question in respondent.definition.questions:
        value = checked.get(question.id)
        if value is None:
            continue
        text: str | None = as_text(value)
        if question.type == "comment":
            text = str(stored) if first_comment and stored is not None else redact_typed(conn, text)
            first_comment = False
        rows.append({"question": question.id, "value": text})
    if consent is not None:
        rows.append({"question": CONSENT, "value": "yes" if consent else "no"})
    base = {"r": response_id, "s": respondent.survey, "v": respondent.version}
    conn.execute(
        sa.text(
            "INSERT INTO survey_answers (response_id, question, survey, version, value) "
            "VALUES (:r, :question, :s, :v, :value) ON CONFLICT (response_id, question) DO NOTHING"
        ),
        [base | row for row in rows],
    )
    conn.execute(
        sa.text(
            "UPDATE survey_invitations SET partial = NULL WHERE invitation_id = :i AND partial IS NOT NULL"
        ),
        {"i": respondent.invitation_id},
    )


def record_consent(store: Store, invitation_id: str, consent: bool) -> None:
    """Keep the follow-up consent given on the thank-you page (`survey_answers` question `_consent`);
    NotFound when the link has no stored answer yet."""

    def write(conn: Connection) -> None:
        row = _invitation(conn, invitation_id)
        if row is None or row.response_id is None:
            raise NotFound("There is no answer to this survey link yet to add your consent to.")
        conn.execute(
            sa.text(
                "INSERT INTO survey_answers (response_id, question, survey, version, value) "
                "VALUES (:r, :q, :s, :v, :value) "
                "ON CONFLICT (response_id, question) DO UPDATE SET value = excluded.value"
            ),
            {
                "r": row.response_id,
                "q": CONSENT,
                "s": row.survey,
                "v": row.version,
                "value": "yes" if consent else "no",
            },
        )

    _retrying(store, write)
