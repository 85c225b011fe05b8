"""Listening sources: public posts outside the community, found by keyword (tending listen).

One module per source, each with SOURCE, DESCRIPTION, DEFAULT_URL and:
- `normalise_url(url) -> str`: the address as stored (the instance, the API base, the feed), or
  ConnectorError;
- `fetch(url, keywords, cursor, *, http) -> Iterator[(posts, new_cursor)]`: the posts that are new since
  the cursor, in steps, as HeardPost records; each step's mentions and cursor are stored together
  (actions/listening.py), so a cursor never moves past what was not stored.
A platform's own search only narrows what is fetched: tending's matcher (lib/listening.py) decides what
is a mention, with the same rules for every source. No database here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tending.errors import UsageError

SOURCES: dict[str, str] = {
    "mastodon": "tending.connectors.listening.mastodon",
    "bluesky": "tending.connectors.listening.bluesky",
    "rss": "tending.connectors.listening.rss",
    "hackernews": "tending.connectors.listening.hackernews",
}


def get_source(name: str) -> ModuleType:
    module = SOURCES.get(name.lower())
    if module is None:
        raise UsageError(
            f"--source: '{name}' is not a listening source tending knows "
            f"(sources: {', '.join(SOURCES)})."
        )
    return importlib.import_module(module)
