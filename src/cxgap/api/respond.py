"""The respondents' JSON API, open to anyone (the signed token is the credential) and to any origin: the
embeddable widget (`/static/cxgap-widget.js`) runs on the company's own site.

- `POST /api/respond/widget/{survey}` `{"customer": "C123", "language": "en"}` (both optional): a fresh
  invitation (reason `widget`) to a published survey open to the public (`anonymous = true`) whose first
  question is NPS or CSAT; answers `{token, survey, question, scale, labels, thanks, brand, words}`.
- `POST /api/respond/{token}` `{"answers": {"nps": 9}}`: the answers, stored through the same validation,
  redaction and case rules as the pages; 422 with `problems` per question, 409 used, 410 expired or
  closed, 404 not a link, 429 too many from one address.

Both are limited per client address like the public links (`[surveys] anonymous_per_minute`)."""

from __future__ import annotations

import json
import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cxgap.api.dashboard import Dashboard
from cxgap.errors import CxgapError, NotFound
from cxgap.limits import RateLimited
from cxgap.surveys.anonymous import AnonymousGuard
from cxgap.surveys.answers import LinkExpired, LinkUsed, Load, open_link, submit
from cxgap.surveys.catalog import definition_of
from cxgap.surveys.checks import AnswerProblems
from cxgap.surveys.links import SurveyClosed, new_invitation
from cxgap.surveys.tokens import InvalidLink

router = APIRouter()
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
    "Cache-Control": "no-store",
    "Vary": "Origin",
}
STATUSES: tuple[tuple[type[Exception], int], ...] = (  # the most specific first
    (LinkUsed, 409),
    (LinkExpired, 410),
    (SurveyClosed, 410),
    (InvalidLink, 404),
    (NotFound, 404),
    (RateLimited, 429),
)
WIDGET_TYPES = ("nps", "csat")
NOT_PUBLIC = "The survey '{name}' is not open to the public; set anonymous = true in its definition to use it in the widget."
NOT_ONE_QUESTION = "The widget asks a survey's first question, which must be NPS or CSAT; the survey '{name}' starts with a {kind} question."
_GUARD_LOCK = threading.Lock()


def now_of(request: Request) -> Any:
    """The server's clock (naive UTC; tests move `app.state.clock`)."""
    return request.app.state.clock()


def client_of(request: Request) -> str:
    """The address a request came from (the proxy's own when behind one not passing it on)."""
    return request.client.host if request.client else "unknown"


def guard_of(request: Request) -> AnonymousGuard:
    """The app's one guard of open submissions per client address, made on first use (a test may set
    `app.state.survey_guard` with a clock of its own first)."""
    state = request.app.state
    with _GUARD_LOCK:
        guard: AnonymousGuard | None = getattr(state, "survey_guard", None)
        if guard is None:
            dashboard: Dashboard = state.dashboard
            guard = AnonymousGuard(dashboard.settings.surveys.anonymous_per_minute)
            state.survey_guard = guard
    return guard


def refused(error: CxgapError) -> JSONResponse:
    """A user error as JSON with its status, open to any origin."""
    status = next((code for kind, code in STATUSES if isinstance(error, kind)), 400)
    headers = dict(CORS)
    if isinstance(error, RateLimited):
        headers["Retry-After"] = f"{error.retry_after:.2f}"
    body: dict[str, Any] = {"detail": str(error)}
    if isinstance(error, AnswerProblems):
        status, body["problems"] = 422, dict(error.problems)
    return JSONResponse(body, status_code=status, headers=headers)


async def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object (empty when there is no body)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        found = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise CxgapError(f"The request to {request.url.path} is not JSON.") from None
    if not isinstance(found, dict):
        raise CxgapError(f"The request to {request.url.path} must be a JSON object.")
    return found


@router.options("/api/respond/widget/{survey}", include_in_schema=False)
@router.options("/api/respond/{token}", include_in_schema=False)
def preflight() -> Response:
    """A browser's CORS preflight for the widget on another site: any origin may post JSON here."""
    return Response(status_code=204, headers=CORS)


def _body_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """The JSON body a route reads itself (so that every refusal carries the CORS headers), documented."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {"requestBody": {"required": bool(required), "content": {"application/json": {"schema": schema}}}}


WIDGET_BODY = _body_schema(
    {"customer": {"type": "string", "maxLength": 128}, "language": {"type": "string", "maxLength": 128}}, []
)
ANSWER_BODY = _body_schema(
    {
        "answers": {"type": "object", "description": "question id -> answer (number, text, list, object)"},
        "language": {"type": "string", "maxLength": 128},
    },
    ["answers"],
)


@router.post("/api/respond/widget/{survey}", openapi_extra=WIDGET_BODY)
async def widget_invitation(request: Request, survey: str) -> Response:
    """A fresh invitation for the widget and the one question it shows."""
    try:
        body = await _body(request)
    except CxgapError as error:
        return refused(error)
    return await run_in_threadpool(_widget, request, survey, body)


def _text_or_none(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 128:
        raise CxgapError(f"The widget's {name} must be text of at most 128 characters.")
    return value


def _widget(request: Request, survey: str, body: dict[str, Any]) -> Response:
    dashboard: Dashboard = request.app.state.dashboard
    try:
        customer = _text_or_none(body.get("customer"), "customer")
        wanted = _text_or_none(body.get("language"), "language")
        guard_of(request).check(client_of(request))
        definition, _ = definition_of(dashboard.store, survey)
        if not definition.anonymous:
            raise NotFound(NOT_PUBLIC.format(name=survey))
        first = definition.questions[0]
        if first.type not in WIDGET_TYPES:
            raise CxgapError(NOT_ONE_QUESTION.format(name=survey, kind=first.type))
        with dashboard.writing():
            link = new_invitation(
                dashboard.store,
                dashboard.settings,
                survey,
                "customer" if customer else "anonymous",
                customer,
                "widget",
                now_of(request),
            )
    except CxgapError as error:
        return refused(error)
    from cxgap.web.surveys.respond_words import words  # the pages' words, in the survey's language

    language = wanted if wanted in definition.languages else definition.languages[0]
    said = words(language)
    low, high = (0, 10) if first.type == "nps" else (1, 5)
    answer = {
        "token": link.token,
        "survey": survey,
        "question": {"id": first.id, "type": first.type, "text": definition.text(first.text, language)},
        "scale": [low, high],
        "labels": {"low": said[f"{first.type}_low"], "high": said[f"{first.type}_high"]},
        "thanks": definition.text(definition.thanks, language),
        "brand": {"company": definition.brand.company, "primary": definition.brand.primary},
        "words": {"submit": said["submit"], "close": said["close"], "problem": said["problem_required"]},
        "language": language,
    }
    return JSONResponse(answer, headers=CORS)


@router.post("/api/respond/{token}", openapi_extra=ANSWER_BODY)
async def answer(request: Request, token: str) -> Response:
    """A respondent's answers as JSON (the widget's, or any client's holding a link)."""
    try:
        body = await _body(request)
    except CxgapError as error:
        return refused(error)
    return await run_in_threadpool(_answer, request, token, body)


def grouped(dashboard: Dashboard) -> Load:
    """Answers load through the server's group commit, as webhook deliveries do: the submissions that
    arrive while one batch is written go in together (one transaction, one case-rules run), instead of
    one import each queueing for DuckDB's single writer. Not inside `dashboard.writing()`: the group
    takes that lock itself."""
    return lambda table, delivery, source: dashboard.intake.submit((table, source), delivery)


def _answer(request: Request, token: str, body: dict[str, Any]) -> Response:
    dashboard: Dashboard = request.app.state.dashboard
    answers = body.get("answers")
    try:
        if not isinstance(answers, dict):
            raise CxgapError('Send the answers as a JSON object: {"answers": {"<question id>": <answer>}}.')
        language = _text_or_none(body.get("language"), "language")
        now = now_of(request)
        respondent = open_link(dashboard.store, dashboard.settings, token, now, language, mark_opened=False)
        if respondent.recipient_kind == "anonymous":
            guard_of(request).check(client_of(request))
        stored = submit(
            dashboard.store, dashboard.settings, respondent, answers, now, load=grouped(dashboard)
        )
    except CxgapError as error:
        return refused(error)
    definition = respondent.definition
    thanks = definition.text(definition.thanks, respondent.language)
    return JSONResponse({"stored": True, "version": stored.version, "thanks": thanks}, headers=CORS)
