"""What the listening sources share: URL checks and plain text from a platform's HTML."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from tending.connectors.base import ConnectorError, host_path
from tending.importers.base import parse_iso

TAG_RE = re.compile(r"<[^>]*>")

MAX_PAGES = 10  # per keyword and run: a first run reads the newest pages, later runs what is new


def base_url(url: str | None, default: str, example: str) -> str:
    """An http(s) address without its query or trailing slash; the default when none is given."""
    value = (url or default).strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectorError(f"--url: '{host_path(value)}' is not an address (expected {example}).")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def text_of(rendered: str | None) -> str:
    """A platform's HTML as plain text; tags become spaces, so "<p>a</p><p>b</p>" keeps two words."""
    if not rendered:
        return ""
    return " ".join(html.unescape(TAG_RE.sub(" ", rendered)).split())


def instant(value: object) -> datetime | None:
    """An ISO 8601 string or Unix seconds as an aware UTC datetime; None when it is neither."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        try:
            return parse_iso(value)
        except ValueError:
            return None
    return None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
