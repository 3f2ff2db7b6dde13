"""/docs without the internet: Swagger UI's page, with its script and style sheet served from the
`swagger-ui-py` package (Swagger UI 5, Apache-2.0) instead of a CDN, so the API reference opens on a
server that reaches nothing outside. The files are under /static/swagger-ui/ (open, like every static
asset: they hold no data), so this router goes before the app's /static mount."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS = Path(str(resources.files("swagger_ui") / "static"))
FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """The interactive API reference, every asset from this server."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="cxgap API",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
    )


@router.get("/static/swagger-ui/{name}")
def asset(name: str) -> FileResponse:
    """One of Swagger UI's files; only the few the page uses (a 404 for anything else)."""
    if name not in FILES:
        raise HTTPException(404)
    return FileResponse(ASSETS / name, media_type=FILES[name])
