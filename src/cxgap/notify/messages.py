"""What a notification says: a plain-text e-mail for a person (the case's redacted summary included, as
the person may see the case) and a Slack-compatible message for a chat channel, which many people read and
so never carries customer text: only the case id, touchpoint, team, deadline and a link."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CaseFacts:
    """The facts of a case a message may state."""

    case_id: str
    touchpoint: str | None
    team: str | None
    owner: str | None
    status: str
    due_at: dt.datetime | None
    summary: str | None


@dataclass(frozen=True)
class Message:
    """One notification's subject, its e-mail body and its webhook text (no customer text)."""

    subject: str
    email: str
    chat: str
    link: str


def link(base_url: str, path: str) -> str:
    """An absolute link into the server's pages."""
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


def when(moment: dt.datetime | None) -> str:
    """A moment as people read it (minutes, no seconds)."""
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "none"


HEADLINES = {
    "case_assigned": "Case {id} is yours ({whom})",
    "case_due": "Case {id} is due {due}",
    "case_overdue": "Case {id} is overdue (due {due})",
}


def case_message(event: str, case: CaseFacts, base_url: str) -> Message:
    """The message of a case event (assigned, due soon, overdue)."""
    whom = f"owner {case.owner}" if case.owner else f"team {case.team or 'none'}"
    headline = HEADLINES[event].format(id=case.case_id, whom=whom, due=when(case.due_at))
    url = link(base_url, f"cases/{case.case_id}")
    facts = [
        f"Touchpoint: {case.touchpoint or 'none'}",
        f"Team: {case.team or 'none'}",
        f"Deadline: {when(case.due_at)}",
    ]
    email = "\n".join(
        [headline + ".", "", *facts, f"Owner: {case.owner or 'none'}", f"Status: {case.status}"]
        + ([f"Summary: {case.summary}"] if case.summary else [])
        + ["", f"Open the case: {url}", ""]
    )
    return Message(f"[cxgap] {headline}", email, chat_text(headline, facts, url, "Open the case"), url)


def chat_text(headline: str, facts: list[str], url: str, label: str) -> str:
    """A Slack-compatible body: `text` for clients without blocks, and the same as blocks with a link."""
    text = f"{headline}. {'; '.join(facts)}. {url}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*\n" + "\n".join(facts)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{url}|{label}>"}]},
    ]
    return json.dumps({"text": text, "blocks": blocks}, ensure_ascii=False)


def plain_message(subject: str, lines: list[str], url: str, label: str) -> Message:
    """A message of aggregate facts only (an alert, a playbook run): the same words for both channels."""
    email = "\n".join([subject + ".", "", *lines, "", f"{label}: {url}", ""])
    return Message(f"[cxgap] {subject}", email, chat_text(subject, lines, url, label), url)
