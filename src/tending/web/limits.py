"""Bodies are checked before they are read: their size, and for an upload the sender's role.

FastAPI reads a form (and spools an upload to disk) to fill a route's parameters, before the route's own
checks run: a viewer's 300 MB POST to the imports page was spooled whole before its 403. This middleware
answers first: 413 for a body larger than its route allows (by Content-Length, or counted as it streams
when there is none), 403 for an upload from anyone but a logged-in admin. The routes' own checks still run.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse

from tending.web.auth import current_session, role_at_least

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

FORM_BYTES = 1 << 20  # a form: a note, a message's text, a few fields
UPLOAD_BYTES = 2 * 1024**3 + (1 << 20)  # an export (2 GB) and the multipart framing around it
UPLOADS = re.compile(r"^/c/[^/]+/imports/?$")


class BodyLimits:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = bool(UPLOADS.match(scope["path"]))
        limit = UPLOAD_BYTES if upload else FORM_BYTES
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer(scope, receive, send, 413, "The request is too large.")
            return
        if upload and not self._admin(scope, receive):
            await _answer(scope, receive, send, 403, "Only an admin may upload an export.")
            return
        await _Counted(self.app, limit)(scope, receive, send)

    @staticmethod
    def _admin(scope: Scope, receive: Receive) -> bool:
        session = current_session(Request(scope, receive))
        return session is not None and role_at_least(session.user.role, "admin")


class _Counted:
    """A body without (or with a false) Content-Length: counted as it streams; past the limit, 413 is
    answered at once and the app is told the client left (what it would send then is dropped)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int) -> None:
        self.app, self.limit, self.seen, self.refused = app, limit, 0, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> MutableMapping[str, Any]:
            if self.refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self.seen += len(message.get("body", b""))
                if self.seen > self.limit:
                    self.refused = True
                    await _answer(scope, receive, send, 413, "The request is too large.")
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: MutableMapping[str, Any]) -> None:
            if not self.refused:
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not self.refused:
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    response = PlainTextResponse(text, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)
