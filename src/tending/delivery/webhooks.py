"""Webhooks out: POST one signed JSON payload to a URL (the only network code for webhooks).

The signature is GitHub's scheme: `X-Tending-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the exact
request body under the webhook's secret. A receiver recomputes it over the raw bytes it received and
compares in constant time (docs/web.md, "Webhooks"). Errors never carry the URL (it may hold a token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from tending.delivery.base import DeliveryError, PermanentError
from tending.delivery.http import client

SIGNATURE_HEADER = "X-Tending-Signature-256"
TIMEOUT = 10.0


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post_payload(
    http: httpx.Client, url: str, *, secret: str, event: str, delivery: str, payload: dict[str, Any]
) -> None:
    """Send one delivery; 2xx is success. Raises DeliveryError (retry) or PermanentError (a 4xx other than
    408 and 429: the receiver refuses it, and would refuse it again)."""
    body = body_of(payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Tending-Event": event,
        "X-Tending-Delivery": delivery,
        SIGNATURE_HEADER: sign(secret, body),
    }
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryError("webhook: timed out") from None
    except httpx.HTTPError as error:
        raise DeliveryError(f"webhook: {type(error).__name__}") from None
    if 200 <= response.status_code < 300:
        return
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        raise PermanentError(f"webhook: the receiver answered {response.status_code}")
    raise DeliveryError(f"webhook: the receiver answered {response.status_code}")


def webhook_client() -> httpx.Client:
    return client(timeout=TIMEOUT)
