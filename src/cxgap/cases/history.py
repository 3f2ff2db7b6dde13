"""A case's audit log read by people: each event's detail as a dictionary, and as one readable sentence.

The stored detail stays the JSON text the workflow wrote (the log is append-only and never rewritten);
`detail_of` parses it for the JSON API and the pages, so no surface sends JSON inside JSON, and
`describe_event` turns a line into what the history on a case page says ("sam started the case").
"""

from __future__ import annotations

import json
from typing import Any

from cxgap.cases.workflow import CaseEvent

_VERBS = {
    "created": "opened the case",
    "started": "started the case",
    "resolved": "resolved it",
    "closed": "closed it",
    "reopened": "reopened it",
    "noted": "added a note",
    "follow_up": "recorded the customer's follow-up",
    "trigger_added": "added a trigger",
}


def detail_of(event: CaseEvent) -> dict[str, Any]:
    """The event's detail as a dictionary (empty when it has none; a note's text is under "note"). A
    detail that is not a JSON object (written by hand, or by an old version) comes back under "text"."""
    if not event.detail:
        return {}
    try:
        value = json.loads(event.detail)
    except ValueError:
        return {"text": event.detail}
    return value if isinstance(value, dict) else {"text": str(value)}


def _assigned(detail: dict[str, Any]) -> str:
    parts = []
    if detail.get("team"):
        parts.append(f"team {detail['team']}")
    if detail.get("owner"):
        parts.append(str(detail["owner"]))
    return "assigned it to " + (" and ".join(parts) or "nobody")


def _what(event: CaseEvent, detail: dict[str, Any]) -> str:
    """The verb phrase of one event, with what its detail adds."""
    action = event.action
    if action == "assigned":
        return _assigned(detail)
    if action == "created":
        rule = f" by rule {detail['rule']}" if detail.get("rule") else ""
        team = f" for team {detail['team']}" if detail.get("team") else ""
        return f"opened the case{rule}{team}"
    if action == "trigger_added":
        return "added a trigger" + (f": {detail['summary']}" if detail.get("summary") else "")
    if action == "follow_up" and detail.get("score") is not None:
        return f"recorded the customer's follow-up: {detail['score']:g}"
    phrase = _VERBS.get(action, action.replace("_", " "))
    if detail.get("root_cause"):
        phrase += f": root cause {detail['root_cause']}"
    return phrase


def describe_event(event: CaseEvent) -> str:
    """One audit line as a sentence: "sam started the case", "ana resolved it: root cause staffing",
    "rules added a trigger: NPS 3 (relational)"; a note's text follows in quotes."""
    detail = detail_of(event)
    sentence = f"{event.actor} {_what(event, detail)}"
    note = detail.get("note")
    if note and event.action != "noted":
        sentence += f' (note: "{note}")'
    elif note:
        sentence += f': "{note}"'
    elif detail.get("text"):
        sentence += f" ({detail['text']})"
    return sentence
