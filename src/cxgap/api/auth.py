"""Who is asking: every page, API endpoint and the API docs need an identity unless explicitly opened.

- Systems call /api/ with `Authorization: Bearer cxg_...` (no cookies, so no CSRF). A signed-in person's
  session cookie also reads /api/ (the pages' "As JSON" links); a state-changing /api/ request that comes
  with the cookie and no token must carry the session's `X-CSRF-Token` header, or it is refused (403).
- People sign in at /sign-in and get a server-side session (an HttpOnly, SameSite=Lax cookie, Secure over
  https); pages ignore bearer tokens. Every POST from a page carries the session's CSRF token (a hidden
  field, or the `X-CSRF-Token` header htmx sends from the body's `hx-headers`).
- Anonymous requests get 401 JSON under /api/ and on the docs, a 303 to /sign-in?next=... on pages. Open:
  /sign-in, /static/ and /health. `[server] public_aggregates = true` opens the aggregate pages and API
  reads listed below (a kiosk), never customer-level data or the case loop.

The gate is ASGI middleware, so a route added later is closed until someone opens it on purpose.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

import anyio
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from cxgap.access import AccessDenied, Forbidden, Principal, authenticate, bearer_token
from cxgap.access.sessions import csrf_token, session_principal, sign_in, sign_out, utcnow
from cxgap.config import Settings
from cxgap.errors import NotFound
from cxgap.store import Store

SESSION_COOKIE = "cxgap_session"
SIGN_IN_COOKIE = "cxgap_sign_in"  # the sign-in form's own CSRF token (double submit: no session yet)
CSRF_HEADER = "x-csrf-token"
ANALYSTS = ("admin", "analyst")
OPEN = ("/sign-in", "/health")
OPEN_PREFIXES = ("/static/", "/s/", "/api/respond/")  # respondents hold a signed link, not an account
DOCS = ("/openapi.json", "/docs", "/redoc")
AGGREGATE_PAGES = frozenset(
    {"/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk"}
)
AGGREGATE_API = frozenset(
    {
        "/api/status",
        "/api/filters",
        "/api/gaps",
        "/api/gaps/act-first",
        "/api/scores",
        "/api/operations",
        "/api/drivers",
        "/api/text",
        "/api/journeys",
        "/api/risk",
    }
)
SAFE = ("GET", "HEAD", "OPTIONS")
NEEDS_TOKEN = "This needs an API token: send 'Authorization: Bearer cxg_...'."
BAD_CSRF = "This request lacks the session's CSRF token; reload the page and try again."
WITHHELD = "Customer-level detail is shown to analysts and admins only."
CASES_WITHHELD = (
    "Cases name their customers and quote them, so they are shown to analysts, admins and the team that works "
    "them; the loop's figures are at /team and /api/cases/accountability."
)

Clock = Callable[[], dt.datetime]


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path.startswith(DOCS)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


class Gate:
    """ASGI middleware that finds who is asking (token or session) and refuses anonymous requests except
    to the open paths; the principal (or None) is left in `request.state.principal`."""

    def __init__(self, app: ASGIApp, settings: Settings, store: Store, clock: Clock = utcnow) -> None:
        self.app, self.settings, self.store, self.clock = app, settings, store, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path, method = request.url.path, request.method
        state = scope.setdefault("state", {})
        state["principal"], state["session_id"] = None, None
        if path in OPEN or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        try:
            principal, session_id = await anyio.to_thread.run_sync(self.identify, request)
        except Forbidden as error:
            await JSONResponse({"detail": str(error)}, status_code=403)(scope, receive, send)
            return
        except AccessDenied as error:
            await self.refuse(request, str(error))(scope, receive, send)
            return
        if principal is None and not self.open_to_anyone(path, method):
            await self.refuse(request, NEEDS_TOKEN)(scope, receive, send)
            return
        state["principal"], state["session_id"] = principal, session_id
        await self.app(scope, receive, send)

    def open_to_anyone(self, path: str, method: str) -> bool:
        """A kiosk's aggregate reads, when `[server] public_aggregates` says so."""
        return (
            self.settings.server.public_aggregates
            and method in SAFE
            and (path in AGGREGATE_PAGES or path in AGGREGATE_API)
        )

    def identify(self, request: Request) -> tuple[Principal | None, str | None]:
        """The request's principal: a bearer token on /api/ and the docs, else a session cookie."""
        path = request.url.path
        authorization = request.headers.get("authorization")
        if _is_api(path) and authorization is not None:
            return authenticate(self.store, bearer_token(authorization)), None
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id:
            return None, None
        server = self.settings.server
        try:
            principal = session_principal(
                self.store,
                session_id,
                self.clock(),
                idle=dt.timedelta(minutes=server.session_idle_minutes),
                absolute=dt.timedelta(hours=server.session_hours),
            )
        except AccessDenied:
            return None, None  # an ended session is an anonymous request: sign in again
        if _is_api(path) and request.method not in SAFE:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent, csrf_token(session_id)):
                raise Forbidden(BAD_CSRF)
        return principal, session_id

    @staticmethod
    def refuse(request: Request, message: str) -> Response:
        """401 JSON for the API and docs; for pages, a 303 to the sign-in page that comes back here."""
        if _is_api(request.url.path):
            return JSONResponse(
                {"detail": message}, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="cxgap"'}
            )
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = f"/sign-in?next={quote(here, safe='')}"
        headers = {"HX-Redirect": target} if request.headers.get("hx-request") else None
        return RedirectResponse(target, status_code=303, headers=headers)


BEARER = HTTPBearer(auto_error=False, description="An API token: cxg_<id>_<secret> (`cxgap users token`).")


def person(request: Request) -> Principal | None:
    """Who the gate found (None: an anonymous kiosk reader of aggregates)."""
    found: Principal | None = getattr(request.state, "principal", None)
    return found


def user(request: Request, _: Annotated[Any, Depends(BEARER)] = None) -> Principal:
    """Someone known; an anonymous request is refused (401)."""
    found = person(request)
    if found is None:
        raise AccessDenied(NEEDS_TOKEN)
    return found


Person = Annotated[Principal | None, Depends(person)]
User = Annotated[Principal, Depends(user)]


def sees_customers(principal: Principal | None) -> bool:
    """Whether this principal may see customer-level data (one customer's records, named lists, verbatims)."""
    return principal is not None and principal.role in ANALYSTS


def customer_level(request: Request, _: Annotated[Any, Depends(BEARER)] = None) -> Principal:
    """Someone allowed customer-level data: analysts and admins, and team members (for their team's
    customers only, which the route checks); viewers and anonymous readers are refused."""
    found = user(request)
    found.require(*ANALYSTS, "team_lead", "team_member")
    return found


Analyst = Annotated[Principal, Depends(customer_level)]


def team_cases_elsewhere(store: Store, customer_id: str, scope: str | None) -> set[str]:
    """For a team member (`scope`), the customer's cases of other teams, to leave out; a customer with no
    case of their team answers 404 as if it did not exist. Nothing to leave out for everyone else."""
    if scope is None:
        return set()
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT case_id, team FROM cases WHERE customer_id = :c"), {"c": customer_id}
        ).all()
    if not any(row.team == scope for row in rows):
        raise NotFound(f"There is no customer '{customer_id}' with a case of team {scope}.")
    return {str(row.case_id) for row in rows if row.team != scope}


def csrf_of(request: Request) -> str:
    """The CSRF token of the request's session ('' without one), for a page's forms and htmx."""
    session_id: str | None = getattr(request.state, "session_id", None)
    return csrf_token(session_id) if session_id else ""


async def form_fields(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (first value of each); a page's forms post nothing else."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def check_csrf(request: Request, fields: dict[str, str]) -> None:
    """Refuse (403) a page POST whose CSRF token (form field or header) does not match its session's."""
    expected = csrf_of(request)
    sent = fields.get("csrf_token") or request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden(BAD_CSRF)


router = APIRouter(include_in_schema=False)


def _sign_in_page(request: Request, next_: str, message: str | None, status: int = 200) -> Response:
    from cxgap.web.pages import TEMPLATES  # the pages import this module's dependencies

    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    html = TEMPLATES.get_template("sign_in.html.j2").render(
        title="Sign in", next=next_, message=message, form_token=token, pages=(), path="/sign-in"
    )
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(
        SIGN_IN_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response


@router.get("/health")
def health() -> dict[str, str]:
    """Whether the server answers (open: load balancers ask it without credentials)."""
    return {"status": "ok"}


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query's name
    """The sign-in form (user name and password)."""
    return _sign_in_page(request, safe_next(next), None)


@router.post("/sign-in")
async def sign_in_submit(request: Request) -> Response:
    """Check the password, open a session and go where the person was headed; one sentence otherwise."""
    fields = await form_fields(request)
    next_ = safe_next(fields.get("next"))
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(fields.get("form_token", ""), expected):
        raise Forbidden(BAD_CSRF)
    app = request.app
    try:
        session_id = await anyio.to_thread.run_sync(
            sign_in,
            app.state.store,
            fields.get("username", "").strip(),
            fields.get("password", ""),
            app.state.clock(),
        )
    except AccessDenied as error:
        return _sign_in_page(request, next_, str(error), status=401)
    response = RedirectResponse(next_, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=app.state.dashboard.settings.server.session_hours * 3600,
    )
    response.delete_cookie(SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out_submit(request: Request) -> Response:
    """End the session (POST with the CSRF token, so no other site can sign a person out) and go to
    the sign-in page."""
    check_csrf(request, await form_fields(request))
    session_id = request.state.session_id
    if session_id:
        await anyio.to_thread.run_sync(sign_out, request.app.state.store, session_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
