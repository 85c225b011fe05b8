"""One HTTP client for the JSON APIs (Matrix, Discord, Discourse, Slack), turning transport failures into
DeliveryError texts that never contain the URL (a Discord webhook URL is a credential)."""

from __future__ import annotations

import json as jsonlib
from typing import Any

import httpx

from tending.delivery.base import DeliveryError, PermanentError, http_error

USER_AGENT = "tending (community onboarding; +https://example.org/tending)"


def client(
    base_url: str = "", headers: dict[str, str] | None = None, timeout: float = 30.0
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=timeout,
        follow_redirects=False,
    )


def request(
    http: httpx.Client,
    transport: str,
    method: str,
    url: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
    ok: tuple[int, ...] = (200,),
) -> httpx.Response:
    """Send JSON (UTF-8, declared as such: Slack warns without the charset) and check the status."""
    body = None if json is None else jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
    headers = {} if json is None else {"Content-Type": "application/json; charset=utf-8"}
    try:
        response = http.request(method, url, content=body, params=params, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryError(f"{transport}: timed out") from None
    except httpx.HTTPError as error:
        raise DeliveryError(f"{transport}: {type(error).__name__}") from None
    if response.status_code not in ok:
        raise http_error(transport, response.status_code, _detail(response))
    return response


def _detail(response: httpx.Response) -> str | None:
    """The platform's own error code or message, if it gave one (errcode, errors, error, message)."""
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in ("errcode", "error", "errors", "message"):
        if key in data:
            value = data[key]
            return "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return None


def json_of(response: httpx.Response, transport: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise PermanentError(f"{transport}: the server did not answer JSON") from None
    if not isinstance(data, dict):
        raise PermanentError(f"{transport}: unexpected answer")
    return data
