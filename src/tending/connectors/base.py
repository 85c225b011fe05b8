"""What every connector shares: its declared fields, what a check saw, and one polite HTTP client.

The client honours 429 with Retry-After and backs off on 5xx and network errors, a bounded number of
times; its errors are one sentence naming the host and the path, never a query string, a header or a
credential (an RSS feed URL may carry a token in its query).
"""

from __future__ import annotations

import email.utils
import functools
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from tending.errors import TendingError
from tending.models import ImportRecord

USER_AGENT = "tending (community workbench; live connector)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DECODED = (
    "content-encoding",
    "content-length",
)  # headers that no longer describe the body once read
MAX_BYTES = 20 << 20  # a page larger than this is refused, not read into memory

Step = tuple[list[ImportRecord], dict[str, Any]]
Steps = Iterator[Step]


class ConnectorError(TendingError):
    """The platform cannot be read right now: one sentence, no credential. The connector is marked failing."""


@dataclass(frozen=True, slots=True)
class Field:
    """One thing `tending connect` takes as NAME=VALUE. A secret is given by reference only:
    env:VARIABLE or config:KEY (a key of the config file's [connectors] table)."""

    name: str
    help: str
    secret: bool = False
    required: bool = False


@dataclass(frozen=True, slots=True)
class Seen:
    """What a check saw on the platform, in one sentence, and the figures behind it."""

    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Backoff:
    """attempts: tries per request; base_s: the first wait after a 5xx or a network error, doubled each
    time; max_wait_s: the longest wait, Retry-After included (after a longer one's last try, the sync
    fails and the next one tries again)."""

    attempts: int = 4
    base_s: float = 1.0
    max_wait_s: float = 120.0


def host_path(url: str) -> str:
    """The host and path of a URL, for messages: never its query, which may carry a token."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the certificate store took 0.12 s of each sync with nothing
    new (benchmarks/connector_speed.py), more than the rest of the sync together."""
    return httpx.create_ssl_context()


class Http:
    """A client for one connector's sync (GET; POST only where a platform's method asks for it),
    counting its requests (tests and the benchmark check that a sync with nothing new makes one
    request per page it must check)."""

    def __init__(
        self,
        *,
        headers: dict[str, str] | None = None,
        backoff: Backoff | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        follow_redirects: bool = True,
    ) -> None:
        """follow_redirects: False when the headers carry a credential (an Api-Key header would follow a
        redirect to another host); a redirect then fails the request with one sentence."""
        self.backoff = backoff or Backoff()
        self.requests = 0
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            follow_redirects=follow_redirects,
            transport=transport,
            verify=tls_context(),
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
        max_bytes: int = MAX_BYTES,
    ) -> httpx.Response:
        """GET with bounded retries; raises ConnectorError naming the host and path."""
        return self._request("GET", url, params, headers, ok, max_bytes)

    def post(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        """POST without a body (Slack's apps.connections.open), with the retries of get()."""
        return self._request("POST", url, None, headers, ok, MAX_BYTES)

    def _request(
        self,
        method: str,
        url: str,
        params: Any,
        headers: dict[str, str] | None,
        ok: tuple[int, ...],
        max_bytes: int,
    ) -> httpx.Response:
        where = host_path(url)
        for attempt in range(1, self.backoff.attempts + 1):
            last = attempt == self.backoff.attempts
            try:
                response = self._get(url, params, headers, max_bytes, method)
            except httpx.TimeoutException:
                if last:
                    raise ConnectorError(
                        f"{where} did not answer in time ({self.backoff.attempts} tries)."
                    ) from None
                self._sleep(self._wait(attempt))
                continue
            except httpx.HTTPError as error:
                if last:
                    raise ConnectorError(
                        f"cannot reach {where} ({type(error).__name__}, "
                        f"{self.backoff.attempts} tries)."
                    ) from None
                self._sleep(self._wait(attempt))
                continue
            if response.status_code in ok:
                self._respect_remaining(response)
                return response
            if response.is_redirect:
                raise ConnectorError(
                    f"{where} redirects to {host_path(response.headers.get('Location', ''))}; "
                    "with credentials tending follows no redirect: connect to that address."
                )
            if response.status_code in RETRY_STATUSES and not last:
                self._sleep(self._wait_for(response, attempt))
                continue
            raise status_error(response.status_code, where, self.backoff.attempts)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _get(
        self,
        url: str,
        params: Any,
        headers: dict[str, str] | None,
        max_bytes: int,
        method: str = "GET",
    ) -> httpx.Response:
        self.requests += 1
        with self.client.stream(method, url, params=params, headers=headers) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise ConnectorError(
                        f"{host_path(url)} answered more than {max_bytes} bytes; refused."
                    )
            kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in DECODED]
            # the body as read (decoded, bounded), in a response of its own: .json() and .text read it
            return httpx.Response(
                response.status_code, headers=kept, content=bytes(body), request=response.request
            )

    def _wait(self, attempt: int) -> float:
        return min(self.backoff.max_wait_s, self.backoff.base_s * 2 ** (attempt - 1))

    def _wait_for(self, response: httpx.Response, attempt: int) -> float:
        if response.status_code != 429:
            return self._wait(attempt)
        asked = retry_after(response.headers.get("Retry-After"))
        if asked is None:
            asked = _body_retry_after(response)
        if asked is None:
            return self._wait(attempt)
        return min(asked, self.backoff.max_wait_s)

    def _respect_remaining(self, response: httpx.Response) -> None:
        """A bucket emptied (X-RateLimit-Remaining: 0, as Discord sends): wait for its reset
        (X-RateLimit-Reset-After, seconds) before the next request, instead of earning a 429."""
        if response.headers.get("X-RateLimit-Remaining", "").strip() != "0":
            return
        try:
            wait = float(response.headers.get("X-RateLimit-Reset-After", ""))
        except ValueError:
            return
        if wait > 0:
            self._sleep(min(wait, self.backoff.max_wait_s))

    @staticmethod
    def _sleep(seconds: float) -> None:
        time.sleep(seconds)


def _body_retry_after(response: httpx.Response) -> float | None:
    """Discord's 429 body: {"message": ..., "retry_after": 64.57, "global": false} (seconds, a float)."""
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("retry_after") if isinstance(data, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def status_error(status: int, where: str, attempts: int) -> ConnectorError:
    if status in (401, 403):
        return ConnectorError(
            f"{where} refused access (HTTP {status}): the credentials are missing, wrong or "
            "expired, or the content is not public."
        )
    if status == 404:
        return ConnectorError(f"{where} was not found (HTTP 404): check the URL or id.")
    if status == 429:
        return ConnectorError(
            f"{where} still limits the rate after {attempts} tries (HTTP 429); "
            "the next sync will try again."
        )
    if status >= 500:
        return ConnectorError(
            f"{where} has a server error (HTTP {status}, {attempts} tries); "
            "the next sync will try again."
        )
    return ConnectorError(f"{where} answered HTTP {status}.")


def json_of(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ConnectorError(
            f"{host_path(str(response.request.url))} did not answer JSON ({what})."
        ) from None
