"""The web app: a JSON API under /api/ and server-rendered pages that show the very same results."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxgap.access import AccessDenied, Forbidden
from cxgap.access.sessions import utcnow
from cxgap.api import (
    admin,
    auth,
    docs,
    issues,
    loop,
    notify,
    progress,
    records,
    respond,
    routes,
    surveys,
    views,
)
from cxgap.api.dashboard import Dashboard
from cxgap.api.limits import BodyLimit, RateLimited
from cxgap.api.results import UpdatingHeader
from cxgap.cases import CaseConflict
from cxgap.config import Settings
from cxgap.errors import CxgapError, NotFound
from cxgap.store.space import database_errors, disk_full, is_disk_full
from cxgap.surveys.catalog import SurveyConflict
from cxgap.web import loop as loop_pages
from cxgap.web import pages
from cxgap.web import surveys as survey_pages
from cxgap.web.pages.selection import error_context
from cxgap.web.surveys.respond import refusal as survey_refusal

# the most specific first: Forbidden is an AccessDenied
STATUSES = (
    (Forbidden, 403),
    (AccessDenied, 401),
    (NotFound, 404),
    (CaseConflict, 409),
    (SurveyConflict, 409),
    (RateLimited, 429),
)
STATIC = (
    Path(__file__).parents[1] / "web" / "static"
)  # htmx, shipped in the package: nothing comes from a CDN


# an error page's heading by its status: what happened, in the person's words ("Not understood" otherwise)
TITLES = {403: "Not shown to you", 404: "Not found", 429: "Too many requests"}
REFUSED_REQUEST = (400, 422)  # the request itself was not understood: its filters may be what to change


def error_title(status: int) -> str:
    """The heading of an error page with this status."""
    return TITLES.get(status, "Something went wrong" if status >= 500 else "Not understood")


def _error_page(request: Request, message: str, status: int) -> Response:
    """The sentence inside the normal page, headed by what happened; only a refused request (400, 422)
    offers the page for the filters it kept and for all data, the links that can help there."""
    page = pages.TEMPLATES.get_template("error.html.j2").render(
        message=message,
        pages=pages.PAGES,
        title=error_title(status),
        path=request.url.path,
        refused=status in REFUSED_REQUEST,
        **error_context(request),
    )
    return HTMLResponse(page, status_code=status)


def create_app(settings: Settings) -> FastAPI:
    """An app on the configured store; results are cached per filters until the next import."""
    app = FastAPI(title="cxgap", description="The customer experience gap: API and dashboard.", docs_url=None)
    app.state.dashboard = Dashboard(settings)
    app.state.store = app.state.dashboard.store

    @app.exception_handler(CxgapError)
    def user_error(request: Request, error: CxgapError) -> Response:
        """A user's mistake (a malformed month, an unknown metric, a bad token, a stale version): the
        status that says which, and the one sentence that says what."""
        if request.url.path.startswith("/api/"):
            status = next((code for kind, code in STATUSES if isinstance(error, kind)), 400)
            headers = {"Retry-After": f"{error.retry_after:.2f}"} if isinstance(error, RateLimited) else None
            return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)
        status = next((code for kind, code in STATUSES if isinstance(error, kind) and code != 401), 400)
        return _error_page(request, str(error), status)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> Response:
        """A request whose body or parameters do not fit: where and what was expected, in one sentence,
        never the value sent (it may hold personal data)."""
        problems = [
            f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg', 'not valid')}"
            for problem in error.errors()[:3]
        ]
        message = f"The request to {request.url.path} does not fit: {'; '.join(problems)}."
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=422)
        return _error_page(request, message, 422)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> Response:
        """An unknown path or a method a path does not take: JSON under /api/, an HTML page elsewhere (a
        browser asking for a page that does not exist gets a page that says so)."""
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        if request.url.path.startswith("/s/"):  # a respondent sees the survey's plain frame, never the nav
            wrong = "This link does not work; check that the whole link was copied."
            page = survey_refusal(
                NotFound(wrong) if error.status_code == 404 else CxgapError(f"{error.detail}.")
            )
            page.status_code = error.status_code
            return page
        if error.status_code == 404:
            message = f"There is no page at {request.url.path}; the pages are listed at the top."
            return _error_page(request, message, 404)
        return _error_page(request, f"{error.detail}.", error.status_code)

    @app.exception_handler(Exception)
    def unexpected(request: Request, error: Exception) -> Response:
        """A full disk under the store is the one database error a person fixes (by freeing space): 507
        with its sentence. Anything else is a fault of cxgap's: a plain 500 that quotes nothing."""
        if isinstance(error, database_errors()) and is_disk_full(error):
            message = str(disk_full(error, settings.store.url, "send it again"))
            status = 507
        else:
            message, status = "Something went wrong on the server; the error is in its log.", 500
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=status)
        return _error_page(request, message, status)

    app.state.clock = utcnow  # tests move it to expire sessions without sleeping
    app.include_router(auth.router)
    app.include_router(routes.router)
    app.include_router(loop.router)
    app.include_router(issues.router)
    app.include_router(admin.router)  # issue 15: CLI writes sent by the local hand-off (cli/handoff.py)
    app.include_router(records.router)  # issue 17: the records behind a number, as JSON
    app.include_router(views.router)  # issue 17: saved views
    app.include_router(progress.router)  # issue 17: the default views computed after an import
    app.include_router(notify.router)  # issue 18: notification preferences, delivery log, scheduler
    app.include_router(
        surveys.router
    )  # issue 19: surveys for analysts (definitions, links, invitations, rates)
    app.include_router(
        respond.router
    )  # issue 19: the widget's answers (open: the signed token is the credential)
    app.include_router(pages.router)
    app.include_router(loop_pages.router)  # issue 18: the closed loop's screens
    app.include_router(survey_pages.router)  # issue 19: respondent pages (/s/...) and the survey editor
    app.include_router(docs.router)  # issue 15: /docs with Swagger UI from /static/swagger-ui/, no CDN
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(UpdatingHeader)  # answers built from a last result that is being recomputed say so
    app.add_middleware(auth.Gate, settings=settings, store=app.state.store, clock=lambda: app.state.clock())
    # issue 15: added last, so outermost: bodies over the limit are refused before auth reads anything
    app.add_middleware(BodyLimit, max_bytes=settings.server.max_body_bytes)
    return app
