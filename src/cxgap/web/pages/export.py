"""A whole view to keep: the page as self-contained HTML (styles inline, charts as inline SVG, no script,
no link to anything outside the file) or printed to PDF by the browser (charts.css's print styles)."""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from cxgap.errors import CxgapError

router = APIRouter()
STATIC = Path(__file__).parents[1] / "static"
STYLES = ("cxgap.css", "charts.css")
# What a kept file has no use for: behaviour, navigation, controls and the page's own tool bars.
DROPPED_TAGS = {
    "script",
    "noscript",
    "nav",
    "form",
    "button",
    "link",
    "template",
    "iframe",
    "object",
    "embed",
}
DROPPED_CLASSES = {"chart-tools", "view-tools", "skip", "account", "controls", "saved-views", "updating-note"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
NOT_EXPORTED = ("/export", "/api/", "/static/", "/sign-in", "/sign-out", "/docs")


class SelfContained(HTMLParser):
    """Rewrites a page into a file that stands alone: drops scripts, external styles, navigation, forms
    and buttons, and every link or attribute that would reach outside the file; puts `css` inline."""

    def __init__(self, css: str, note: str) -> None:
        super().__init__(convert_charrefs=True)
        self.css, self.note = css, note
        self.out: list[str] = []
        self.skipping: str | None = None
        self.depth = 0

    def _dropped(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        classes = set((dict(attrs).get("class") or "").split())
        return tag in DROPPED_TAGS or bool(classes & DROPPED_CLASSES)

    @staticmethod
    def _kept(name: str, value: str | None) -> bool:
        if name.startswith(("hx-", "on")) or name in ("action", "src", "srcset", "formaction"):
            return False
        if name == "href":
            return bool(value) and str(value).startswith("#")
        return "://" not in (value or "") and not (value or "").lstrip().lower().startswith("javascript:")

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], close: str = ">") -> str:
        kept = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"'
            for name, value in attrs
            if self._kept(name, value)
        )
        return f"<{tag}{kept}{close}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping is not None:
            self.depth += tag == self.skipping and tag not in VOID
            return
        if self._dropped(tag, attrs):
            if tag not in VOID:
                self.skipping, self.depth = tag, 1
            return
        self.out.append(self._open(tag, attrs))
        if tag == "head":
            self.out.append(f"<style>\n{self.css}\n</style>")
        elif tag == "body":
            self.out.append(f'<p class="export-note">{html.escape(self.note)}</p>')

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping is None and not self._dropped(tag, attrs):
            self.out.append(self._open(tag, attrs, "/>"))

    def handle_endtag(self, tag: str) -> None:
        if self.skipping is not None:
            if tag == self.skipping:
                self.depth -= 1
                self.skipping = None if self.depth == 0 else self.skipping
            return
        if tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.skipping is None:  # a style element's text is CSS, kept as it is; other text is escaped again
            self.out.append(data if self.lasttag == "style" else html.escape(data, quote=False))

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def self_contained(page: str, note: str) -> str:
    """A page as one file that opens anywhere: styles inline, charts inline, no script, no outside URL."""
    css = "\n".join(
        (STATIC / name).read_text(encoding="utf-8") for name in STYLES if (STATIC / name).exists()
    )
    css = re.sub(r"@import[^;]*;|url\([^)]*\)", "", css)
    rewriter = SelfContained(css, note)
    rewriter.feed(page)
    rewriter.close()
    return "".join(rewriter.out)


def checked_page(page: str) -> str:
    """The page to export: a path on this site with its query (the filters), never another site or an
    endpoint that is not a page."""
    parts = urlsplit(page)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or page.startswith("//"):
        raise CxgapError(f"page must be a path on this site such as /gaps?segment=consumer, not {page!r}")
    if parts.path.startswith(NOT_EXPORTED):
        raise CxgapError(f"{parts.path} is not a dashboard page; export a page such as / or /gaps")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def file_name(page: str) -> str:
    """A file name that says which view and when: cxgap-gaps-segment-consumer-2025-01-31.html."""
    words = re.sub(r"[^A-Za-z0-9]+", "-", page).strip("-") or "overview"
    return f"cxgap-{words[:80]}-{dt.date.today():%Y-%m-%d}.html"


@router.get("/export/view.html")
async def export_view(request: Request, page: str = "/") -> Response:
    """The page `page` (with its filters) as the person sees it, as one self-contained HTML file to keep
    or send: fetched in-process with the person's own sign-in, so it shows only what they may see."""
    target = checked_page(page)
    forwarded = {k: v for k, v in request.headers.items() if k in ("cookie", "authorization")}
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as client:
        answer = await client.get(target, headers=forwarded, timeout=None)
    if answer.status_code != 200 or not answer.headers.get("content-type", "").startswith("text/html"):
        kept = {k: v for k, v in answer.headers.items() if k in ("content-type", "location", "retry-after")}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
    note = f"Kept from cxgap on {dt.datetime.now():%Y-%m-%d %H:%M}: the view {target}."
    return HTMLResponse(
        self_contained(answer.text, note),
        headers={"Content-Disposition": f'attachment; filename="{file_name(target)}"'},
    )
