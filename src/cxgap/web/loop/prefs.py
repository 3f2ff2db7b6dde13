"""Notification preferences: which events each signed-in person is told of, at once or in the daily digest
(or not at all), and the messages lately sent to them. Everyone signed in has this page, for themselves
only; the choices are `cxgap.notify`'s, which the sending run reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.api.auth import User, check_csrf, form_fields
from cxgap.api.routes import Board
from cxgap.config.notify import EVENTS
from cxgap.errors import CxgapError
from cxgap.notify import delivery_log, preferences, set_preference
from cxgap.notify.prefs import DIGESTIBLE
from cxgap.web.loop.page import loop_page

router = APIRouter()
Fields = Annotated[dict[str, str], Depends(form_fields)]
LABELS = {
    "case_assigned": "A case is assigned to me or my team",
    "case_due": "A case of mine is due soon",
    "case_overdue": "A case of mine is overdue",
    "emerging_issue": "An emerging-issue alert fires",
    "playbook_run": "A playbook run opens cases",
    "digest": "The daily digest e-mail",
}
RECENT = 20  # deliveries listed
CHOICES = {"now": (True, False), "digest": (True, True), "off": (False, False)}


def choices_of(event: str) -> tuple[str, ...]:
    """What a person may choose for an event: at once, in the digest (deadline events only), or off."""
    return ("now", "digest", "off") if event in DIGESTIBLE else ("now", "off")


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, dashboard: Board, who: User, saved: bool = False) -> HTMLResponse:
    """The person's choice for every event, and the latest messages queued or sent to them."""
    chosen = preferences(dashboard.store, who.user_id)
    rows = [
        {
            "event": p.event,
            "label": LABELS.get(p.event, p.event),
            "choices": choices_of(p.event),
            "current": "off" if not p.enabled else "digest" if p.in_digest else "now",
        }
        for p in chosen
    ]
    return loop_page(
        request,
        dashboard,
        "loop_prefs.html.j2",
        "/notifications",
        "Notifications",
        rows=rows,
        saved=saved,
        deliveries=delivery_log(dashboard.store, recipient=who.user_id, limit=RECENT),
        labels=LABELS,
    )


@router.post("/notifications")
def save(request: Request, dashboard: Board, who: User, fields: Fields) -> Response:
    """Record the person's choices (every event the form names), then show the page again."""
    check_csrf(request, fields)
    for event in EVENTS:
        picked = fields.get(event)
        if picked is None:
            continue
        if picked not in choices_of(event):
            raise CxgapError(
                f"'{picked[:20]}' is not a choice for {event}; choose {', '.join(choices_of(event))}."
            )
        enabled, in_digest = CHOICES[picked]
        set_preference(dashboard.store, who.user_id, event, enabled=enabled, in_digest=in_digest)
    return RedirectResponse("/notifications?saved=true", status_code=303)
