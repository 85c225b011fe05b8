"""Serving behind a reverse proxy that terminates HTTPS (docs/web.md, "Behind a reverse proxy").

The proxy tells the origin what the browser used with X-Forwarded-Proto (https), X-Forwarded-Host (the
public name) and X-Forwarded-For (the client's address). They are believed only from the proxy's own
addresses (`forwarded_allow_ips`): anyone else could claim to be anyone. With them the origin check
compares the browser's Origin with the public https address, cookies are Secure, and login throttling
counts each real client rather than the proxy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from tending.errors import UsageError

Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def parse_allowed(text: str) -> list[Network] | None:
    """Comma-separated addresses or networks ("127.0.0.1,10.0.0.0/8"); "*" trusts every peer (None)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if "*" in parts:
        return None
    try:
        return [ipaddress.ip_network(p, strict=False) for p in parts]
    except ValueError as error:
        raise UsageError(f"--forwarded-allow-ips: {error}.") from None


class ProxyHeaders:
    """ASGI middleware: take scheme, host and client from X-Forwarded-* when the peer is trusted."""

    def __init__(self, app: ASGIApp, *, allowed: str = "127.0.0.1,::1") -> None:
        self.app = app
        self.allowed = parse_allowed(allowed)

    def trusts(self, address: str) -> bool:
        if self.allowed is None:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.allowed)

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if (
            scope["type"] in ("http", "websocket")
            and scope.get("client")
            and self.trusts(scope["client"][0])
        ):
            self._apply(scope)
        await self.app(scope, receive, send)

    def _apply(self, scope: Scope) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https"):
            scope["scheme"] = (
                proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
            )
        host = headers.get("x-forwarded-host", "").split(",")[0].strip()
        if host and HOST.match(host):
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"] + [
                (b"host", host.encode("latin-1"))
            ]
        client = self._client(headers.get("x-forwarded-for", ""))
        if client is not None:
            scope["client"] = (client, 0)

    def _client(self, forwarded_for: str) -> str | None:
        """The rightmost address that is not one of our proxies (the ones to its left are the client's
        own claims, which anyone can forge)."""
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return None
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else None
