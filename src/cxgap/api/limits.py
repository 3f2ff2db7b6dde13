"""Limits that protect the server: a token bucket per user (all of a user's tokens share it; `cxgap.limits`), and a
cap on request bodies that holds before a byte of an oversized body is read."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxgap.limits import RateLimited as RateLimited
from cxgap.limits import RateLimiter as RateLimiter


class BodyLimit:
    """A pure ASGI middleware, the outermost, that refuses request bodies over `max_bytes` with 413 before
    authentication or any route sees them: a declared Content-Length over the limit is refused at once,
    unread; a body without one (chunked) is counted as it streams in and refused as soon as it passes the
    limit. A request holds at most `max_bytes` of body however much someone sends."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def message(self) -> str:
        """The one sentence a refused sender reads."""
        return (
            f"The request body is larger than this server accepts ({self.max_bytes:,} bytes); "
            "send the data in smaller batches."
        )

    async def refuse(self, scope: Scope, send: Send) -> None:
        """Answer 413: one sentence as JSON under /api/, an HTML error page elsewhere; the connection is
        closed after it, so the rest of the body is never read."""
        path = str(scope.get("path", ""))
        if path.startswith("/api/"):
            body = json.dumps({"detail": self.message()}).encode()
            kind = b"application/json"
        else:
            from cxgap.web import pages  # here, not at the top: pages imports the routes that import this

            body = (
                pages.TEMPLATES.get_template("error.html.j2")
                .render(message=self.message(), pages=pages.PAGES, title="Too large", path=path)
                .encode()
            )
            kind = b"text/html; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        declared = headers.get(b"content-length")
        if declared is not None:
            # the server reads no more than the declared length, so checking it is enough
            if not declared.strip().isdigit() or int(declared) > self.max_bytes:
                await self.refuse(scope, send)
                return
            await self.app(scope, receive, send)
            return
        if b"transfer-encoding" not in headers:  # no body at all
            await self.app(scope, receive, send)
            return
        # a chunked body: read it here, counting, up to the limit (so at most max_bytes are held), and
        # hand it on only when it ended in time; the app and its token check never see a larger one
        chunks: list[bytes] = []
        size, last = 0, None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                last = message  # the client went away: the app hears of it after the body so far
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                chunks.clear()
                await self.refuse(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
        if last is not None:
            pending.append(last)
        chunks.clear()

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)
