"""The opt-out page, `/s/<token>/opt-out`: the link at the foot of every invitation e-mail. A person can
always opt out, so it works for a link that was used or has expired too (only its signature must hold). A
GET shows a confirm button, the POST records the opt-out (`cxgap.surveys.contacts`: by id and by address,
forever), in the survey's own colours with none of the dashboard's frame."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from cxgap.api.dashboard import Dashboard
from cxgap.api.respond import now_of
from cxgap.errors import CxgapError
from cxgap.surveys.catalog import definition_of
from cxgap.surveys.contacts import Recipient, is_opted_out, opt_out_recipient, recipient_of
from cxgap.surveys.definition import SurveyDefinition
from cxgap.surveys.tokens import InvalidLink, read_token, survey_secret
from cxgap.web.pages.render import TEMPLATES
from cxgap.web.surveys.respond import colours, refusal

router = APIRouter(include_in_schema=False)
NOBODY = "This link was not sent to anyone in particular, so there is no one to opt out."


def _recipient(dashboard: Dashboard, token: str) -> tuple[Recipient, SurveyDefinition | None]:
    """Whose link this is (`InvalidLink` unless cxgap signed it and the invitation exists), and its
    survey's definition for the colours (None if it cannot be read)."""
    store = dashboard.store
    recipient = recipient_of(store, read_token(survey_secret(store), token))
    if recipient is None:
        raise InvalidLink()
    try:
        definition: SurveyDefinition | None = definition_of(store, recipient.survey, recipient.version)[0]
    except CxgapError:
        definition = None
    return recipient, definition


def _page(definition: SurveyDefinition | None, token: str, state: str) -> HTMLResponse:
    """The page in one of its states: ask (the confirm button), done, already (opted out before), nobody."""
    nonce = secrets.token_urlsafe(12)
    company = definition.brand.company if definition else ""
    context: dict[str, Any] = {
        "language": "en",
        "nonce": nonce,
        "colours": colours(definition),
        "company": company,
        "page_title": f"Survey invitations · {company}" if company else "Survey invitations",
        "who": company or "we",
        "state": state,
        "action": f"/s/{token}/opt-out",
        "nobody": NOBODY,
    }
    policy = (
        "default-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; "
        f"style-src 'self' 'nonce-{nonce}'"
    )
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": policy,
    }
    html = TEMPLATES.get_template("survey_opt_out.html.j2").render(**context)
    return HTMLResponse(html, headers=headers)


@router.get("/s/{token}/opt-out")
def opt_out_page(request: Request, token: str) -> Response:
    """Ask to confirm (or say it is already done)."""
    dashboard: Dashboard = request.app.state.dashboard
    try:
        recipient, definition = _recipient(dashboard, token)
    except CxgapError as error:
        return refusal(error)
    if not recipient.personal:
        state = "nobody"
    elif is_opted_out(dashboard.store, recipient.kind, recipient.recipient_id, recipient.email):
        state = "already"
    else:
        state = "ask"
    return _page(definition, token, state)


@router.post("/s/{token}/opt-out")
def opt_out_confirmed(request: Request, token: str) -> Response:
    """Record the opt-out (the link itself is the credential: nobody else holds it)."""
    dashboard: Dashboard = request.app.state.dashboard
    try:
        recipient, definition = _recipient(dashboard, token)
        if not recipient.personal:
            return _page(definition, token, "nobody")
        with dashboard.writing():
            opt_out_recipient(dashboard.store, recipient, "link", now_of(request))
    except CxgapError as error:
        return refusal(error)
    return _page(definition, token, "done")
