"""The web app: a JSON API under /api/ and server-rendered pages that show the very same results."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cxgap.access import AccessDenied, Forbidden
from cxgap.api import issues, loop, pages, routes
from cxgap.api.dashboard import Dashboard
from cxgap.api.limits import RateLimited
from cxgap.cases import CaseConflict
from cxgap.config import Settings
from cxgap.errors import CxgapError, NotFound

# the most specific first: Forbidden is an AccessDenied
STATUSES = (
    (Forbidden, 403),
    (AccessDenied, 401),
    (NotFound, 404),
    (CaseConflict, 409),
    (RateLimited, 429),
)
STATIC = Path(__file__).parent / "static"  # htmx, shipped in the package: nothing comes from a CDN


def _error_page(request: Request, message: str, status: int) -> Response:
    page = pages.TEMPLATES.get_template("error.html.j2").render(
        message=message, pages=pages.PAGES, title="Not understood", path=request.url.path
    )
    return HTMLResponse(page, status_code=status)


def create_app(settings: Settings) -> FastAPI:
    """An app on the configured store; results are cached per filters until the next import."""
    app = FastAPI(title="cxgap", description="The customer experience gap: API and dashboard.")
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
        return _error_page(request, str(error), 400)

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

    app.include_router(routes.router)
    app.include_router(loop.router)
    app.include_router(issues.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
