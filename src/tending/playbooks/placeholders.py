"""Placeholders: what a playbook's texts and links must not still hold when it starts reaching real members.

A placeholder is a web address on a domain reserved for documentation (RFC 2606: example.com, example.net,
example.org and their subdomains; the .example and .invalid top-level domains). The built-in playbook's
"Start here" (https://example.org/start) is one, on purpose: enabling the playbook is refused until the
community has its own link (`tending communities set NAME --start-url URL`, or the first-run page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "invalid")
_URL = re.compile(r"https?://[^\s<>\"'`)\]]+", re.IGNORECASE)


def is_placeholder_url(url: str) -> bool:
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if not host:
        return False
    if any(host == d or host.endswith("." + d) for d in RESERVED_DOMAINS):
        return True
    return host.rsplit(".", 1)[-1] in RESERVED_TLDS


@dataclass(frozen=True, slots=True)
class Placeholder:
    where: str  # "links", or "<language>/<template>"
    value: str


def find_placeholders(
    links: Iterable[Mapping[str, str]], texts: Mapping[str, str]
) -> list[Placeholder]:
    """The placeholders among the links offered and in the texts (named `<language>/<template>`)."""
    found = [
        Placeholder("links", str(link.get("url", "")))
        for link in links
        if is_placeholder_url(str(link.get("url", "")))
    ]
    for where, text in texts.items():
        found += [Placeholder(where, url) for url in _URL.findall(text) if is_placeholder_url(url)]
    return found
