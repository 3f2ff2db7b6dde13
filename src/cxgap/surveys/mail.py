"""Invitation e-mails: the subject and plain-text body of an invitation or a reminder (the survey's title in
the recipient's language, the link, how long it works, the opt-out link and the company's name), and
sending a run's claimed invitations over one SMTP connection (`cxgap.notify.send.Mailer`).

A refused send is given back as the invitation's failure (the server's reason, never a password); the
caller marks the row `failed`, so one bad address never stops the others."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cxgap.config import Settings
from cxgap.errors import CxgapError
from cxgap.notify.send import DeliveryFailed
from cxgap.surveys.definition import SurveyDefinition
from cxgap.surveys.links import url_of
from cxgap.surveys.tokens import sign_token

# the words around the survey's own wording, per language (English where a language has none yet)
PHRASES = {
    "en": {
        "reminder_subject": "Reminder: {subject}",
        "hello": "Hello,",
        "customers": "{company} would like to hear about your experience, in a short survey:",
        "staff": "{company} asks for your view, in a short survey that shows whether we see our customers "
        "as they see us:",
        "reminder": "We asked for your answers a few days ago and would still like to hear from you.",
        "link": "It takes a few minutes. Answer here:",
        "until": "The link is yours alone and works until {until}.",
        "opt_out": "Rather not be asked again? {url}",
        "we": "We",
    }
}


class Sender(Protocol):
    """What sends one e-mail: `cxgap.notify.send.Mailer`, or a stand-in with the same two methods."""

    def send(self, to: str, subject: str, body: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Mail:
    """One e-mail's subject and plain-text body."""

    subject: str
    body: str


@dataclass(frozen=True)
class Outgoing:
    """A claimed invitation to e-mail now: where it goes, which survey version, its link's expiry, and
    whether it is a reminder."""

    invitation_id: str
    survey: str
    version: int
    email: str
    language: str | None
    expires_at: dt.datetime
    reminder: bool = False


def compose(
    definition: SurveyDefinition,
    language: str | None,
    url: str,
    expires_at: dt.datetime,
    reminder: bool = False,
) -> Mail:
    """The e-mail inviting to (or reminding of) `definition` at `url`, in `language` where the survey has
    it (else its default language); the opt-out page is the link's `/opt-out`."""
    asked = _language(definition, language)
    words = PHRASES.get(asked.split("-")[0], PHRASES["en"])
    title = " ".join(definition.text(definition.title, asked).split())
    company = " ".join(definition.brand.company.split())
    subject = f"{company}: {title}" if company else title
    subject = words["reminder_subject"].format(subject=subject) if reminder else subject
    intro = words["staff" if definition.audience == "staff" else "customers"].format(
        company=company or words["we"]
    )
    lines = [words["hello"], "", intro, "", f"    {title}"]
    if reminder:
        lines += ["", words["reminder"]]
    lines += [
        "",
        words["link"],
        url,
        "",
        words["until"].format(until=f"{expires_at:%d %B %Y}"),
        "",
        words["opt_out"].format(url=url + "/opt-out"),
    ]
    if company:
        lines += ["", "-- ", company]
    return Mail(subject, "\n".join(lines).rstrip() + "\n")


def _language(definition: SurveyDefinition, language: str | None) -> str:
    """The survey's language closest to the recipient's (pt-BR, then pt), else its default one."""
    wanted = (language or "").lower()
    for candidate in (wanted, wanted.split("-")[0]):
        for known in definition.languages:
            if candidate and known.lower() == candidate:
                return known
    return definition.languages[0]


def send_all(
    sender: Sender,
    settings: Settings,
    secret: bytes,
    rows: list[Outgoing],
    definition: Callable[[str, int], SurveyDefinition],
) -> dict[str, str]:
    """E-mail every row (its link signed with `secret`); the rows refused, by invitation id, with why."""
    failed: dict[str, str] = {}
    for row in rows:
        url = url_of(settings, sign_token(secret, row.invitation_id, row.expires_at))
        try:
            asked = definition(row.survey, row.version)
            mail = compose(asked, row.language, url, row.expires_at, row.reminder)
            sender.send(row.email, mail.subject, mail.body)
        except (DeliveryFailed, CxgapError) as error:  # refused, or its wording cannot be read
            failed[row.invitation_id] = str(error)
    return failed
