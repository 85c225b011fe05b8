"""Listening: hear what is said about the community elsewhere (tending listen, tending mentions).

A query is a source (mastodon, bluesky, rss, hackernews), an address and keywords. A run of a query
fetches what is new since its cursor (connectors/listening), keeps the posts that tending's matcher
(lib/listening.py) finds among the community's queries of that source, reads the new ones with the
moderation models (sentiment, complaint, toxicity: the models shipped, never retrained here) and stores
each step's mentions with the query's cursor in one transaction: killed half-way, a run leaves whole
steps, and the next one starts from the cursor of the last step stored. A query that fails (a source
down, a feed that is not XML, a rate limit that outlasts the retries) is marked failing with its one
sentence and the others carry on; nothing it had stored is lost and its cursor stays where it was.

A mention is stored once whatever the query that heard it: (community, source, external id) is unique,
and hearing it again adds the keywords and queries that matched to the same row, never resets its state.
Its author is the platform's public handle, never matched with a member.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from tending.connectors.base import Backoff, Http
from tending.connectors.listening import SOURCES, get_source
from tending.errors import NotFoundError, TendingError, UsageError
from tending.lib.listening import (
    Matcher,
    Query,
    keyword_text,
    merge_keywords,
    parse_keywords,
    search_terms,
)
from tending.models import Community, HeardPost
from tending.moderation.classifier import shipped_classifier
from tending.moderation.replies import render_reply
from tending.moderation.sentiment import COMPLAINT_AT
from tending.store.audit import record_event
from tending.store.communities import resolve_community
from tending.store.listening import (
    ANSWERED,
    FAILING,
    IGNORED,
    NEW,
    OK,
    PAUSED,
    ROUTED,
    MentionRow,
    QueryRow,
    Scored,
    delete_query,
    erase_deleted,
    find_mention,
    find_query,
    get_known,
    get_mention_rows,
    get_query_rows,
    insert_mentions,
    insert_query,
    merge_matches,
    record_run,
    save_query_cursor,
    set_mention_state,
    set_query_state,
)
from tending.timeutil import isoformat_utc, utcnow

DEFAULT_INTERVAL_S = 600
ACTED_STATES = (ANSWERED, ROUTED, IGNORED)
SENTIMENTS = ("negative", "neutral", "positive")
MAX_NOTE = 2000

__all__ = [
    "ACTED_STATES",
    "FAILING",
    "NEW",
    "OK",
    "PAUSED",
    "SENTIMENTS",
    "SOURCES",
]


@dataclass(frozen=True, slots=True)
class ListenQueryInfo:
    id: int
    community: str
    source: str
    url: str
    keywords: list[str]
    state: str
    reason: str | None
    interval_s: int
    last_run_at: datetime | None
    last_ok_at: datetime | None
    cursor: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "community": self.community,
            "source": self.source,
            "url": self.url,
            "keywords": self.keywords,
            "state": self.state,
            "reason": self.reason,
            "interval_s": self.interval_s,
            "last_run_at": isoformat_utc(self.last_run_at),
            "last_ok_at": isoformat_utc(self.last_ok_at),
            "cursor": self.cursor,
        }


@dataclass(frozen=True, slots=True)
class Mention:
    """A mention as `tending mentions --format json` and the web page show it."""

    id: int
    source: str
    url: str | None
    author: str | None
    published_at: datetime
    text: str
    keywords: list[str]
    lang: str | None
    sentiment: str
    scores: dict[str, float]
    state: str
    note: str | None
    acted_at: datetime | None
    deleted: bool

    @property
    def complaint(self) -> bool:
        return self.scores["complaint"] >= COMPLAINT_AT

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "author": self.author,
            "published_at": isoformat_utc(self.published_at),
            "text": self.text,
            "keywords": self.keywords,
            "lang": self.lang,
            "sentiment": self.sentiment,
            "scores": self.scores,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class MentionsPage:
    total: int
    items: list[Mention]


@dataclass
class ListenResult:
    query_id: int
    community: str
    source: str
    ok: bool = True
    reason: str | None = None
    heard: int = 0  # posts the source gave
    added: int = 0  # new mentions
    again: int = 0  # mentions already stored, heard again
    erased: int = 0  # stored mentions whose post was deleted
    steps: int = 0
    requests: int = 0
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query_id,
            "community": self.community,
            "source": self.source,
            "state": OK if self.ok else FAILING,
            "reason": self.reason,
            "heard": self.heard,
            "added": self.added,
            "again": self.again,
            "erased": self.erased,
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
        }


def _info(row: QueryRow) -> ListenQueryInfo:
    return ListenQueryInfo(
        id=row.id,
        community=row.community,
        source=row.source,
        url=row.url,
        keywords=row.keywords,
        state=row.state,
        reason=row.reason,
        interval_s=row.interval_s,
        last_run_at=row.last_run_at,
        last_ok_at=row.last_ok_at,
        cursor=row.cursor,
    )


def _mention(row: MentionRow) -> Mention:
    return Mention(
        id=row.id,
        source=row.source,
        url=row.url,
        author=row.author,
        published_at=row.published_at,
        text=row.text,
        keywords=row.keywords,
        lang=row.lang,
        sentiment=row.sentiment,
        scores={
            "sentiment": row.score_sentiment,
            "complaint": row.score_complaint,
            "toxicity": row.score_toxicity,
        },
        state=row.state,
        note=row.note,
        acted_at=row.acted_at,
        deleted=row.deleted,
    )


# -- queries ------------------------------------------------------------------------------------------


def do_add_query(
    engine: Engine,
    *,
    community_name: str,
    keywords: list[str],
    source: str,
    url: str | None = None,
    interval_s: int = DEFAULT_INTERVAL_S,
    actor: str = "cli",
    now: datetime | None = None,
) -> ListenQueryInfo:
    """Record a listening query (checked here, not against the platform: the first run says what it hears)."""
    module = get_source(source)
    terms = parse_keywords(keywords)
    if interval_s < 60:
        raise UsageError("--interval: at least 60 seconds between two runs of a query.")
    try:
        address = module.normalise_url(url)
    except TendingError as error:  # a bad --url is the caller's mistake: exit code 2
        raise UsageError(str(error)) from None
    stored = [keyword_text(t) for t in terms]
    with engine.begin() as conn:
        community = resolve_community(conn, community_name)
        query_id = insert_query(
            conn,
            community.id,
            source=module.SOURCE,
            url=address,
            keywords=stored,
            interval_s=interval_s,
            now=now or utcnow(),
        )
        record_event(
            conn,
            community.id,
            actor=actor,
            action="listen.added",
            details={"query_id": query_id, "source": module.SOURCE, "keywords": len(stored)},
        )
        row = find_query(conn, query_id)
    assert row is not None
    return _info(row)


def get_listen_queries(
    engine: Engine, *, community_name: str | None = None
) -> list[ListenQueryInfo]:
    with engine.connect() as conn:
        community_id = resolve_community(conn, community_name).id if community_name else None
        return [_info(row) for row in get_query_rows(conn, community_id=community_id)]


def _existing(conn: Connection, query_id: int) -> QueryRow:
    row = find_query(conn, query_id)
    if row is None:
        raise NotFoundError(f"no listening query {query_id} (see tending listen list).")
    return row


def do_set_query_state(
    engine: Engine, query_id: int, state: str, *, actor: str = "cli"
) -> ListenQueryInfo:
    """Pause (state paused) or resume (state ok) a query."""
    with engine.begin() as conn:
        row = _existing(conn, query_id)
        set_query_state(conn, query_id, state)
        record_event(
            conn,
            row.community_id,
            actor=actor,
            action="listen.paused" if state == PAUSED else "listen.resumed",
            details={"query_id": query_id},
        )
        after = find_query(conn, query_id)
    assert after is not None
    return _info(after)


def do_remove_query(engine: Engine, query_id: int, *, actor: str = "cli") -> ListenQueryInfo:
    """Forget the query; the mentions it heard stay (they are the community's record)."""
    with engine.begin() as conn:
        row = _existing(conn, query_id)
        delete_query(conn, query_id)
        record_event(
            conn,
            row.community_id,
            actor=actor,
            action="listen.removed",
            details={"query_id": query_id, "source": row.source},
        )
    return _info(row)


# -- runs ---------------------------------------------------------------------------------------------


def _queries(rows: Iterable[QueryRow]) -> list[Query]:
    return [Query(row.id, tuple(parse_keywords(row.keywords))) for row in rows]


def get_due_queries(rows: list[QueryRow], *, now: datetime) -> list[QueryRow]:
    """The queries to run now: not paused, never run or run at least their interval ago."""
    return [
        row
        for row in rows
        if row.state != PAUSED
        and (row.last_run_at is None or row.last_run_at + timedelta(seconds=row.interval_s) <= now)
    ]


def do_listen(
    engine: Engine,
    *,
    community_name: str | None = None,
    query_id: int | None = None,
    backoff: Backoff | None = None,
    now: datetime | None = None,
    due_only: bool = False,
) -> list[ListenResult]:
    """One pass of every query not paused (or of the one named, even paused; or, due_only, those whose
    interval has passed: the worker's pass)."""
    moment = now or utcnow()
    with engine.connect() as conn:
        community_id = resolve_community(conn, community_name).id if community_name else None
        rows = get_query_rows(conn, community_id=community_id, query_id=query_id)
    if query_id is not None and not rows:
        raise NotFoundError(f"no listening query {query_id} (see tending listen list).")
    if due_only:
        rows = get_due_queries(rows, now=moment)
    elif query_id is None:
        rows = [r for r in rows if r.state != PAUSED]
    return [listen_one(engine, row, backoff=backoff, now=moment) for row in rows]


def listen_one(
    engine: Engine, row: QueryRow, *, backoff: Backoff | None = None, now: datetime | None = None
) -> ListenResult:
    """Run one query; a failure is recorded on it (state failing, one sentence), never raised."""
    result = ListenResult(query_id=row.id, community=row.community, source=row.source)
    clock = time.perf_counter()
    try:
        module = get_source(row.source)
        with engine.connect() as conn:
            siblings = [
                r
                for r in get_query_rows(conn, community_id=row.community_id, source=row.source)
                if r.state != PAUSED or r.id == row.id
            ]
        matcher = Matcher(_queries(siblings))
        keywords = search_terms(parse_keywords(row.keywords))
        with Http(backoff=backoff) as http:
            try:
                for posts, cursor in module.fetch(row.url, keywords, row.cursor, http=http):
                    _store_step(engine, row, matcher, posts, cursor, result, now=now or utcnow())
            finally:
                result.requests = http.requests
    except TendingError as error:
        result.ok, result.reason = False, str(error)
    except Exception as error:  # a source's bug must not stop the others, nor print what it read
        result.ok = False
        result.reason = f"the {row.source} source failed unexpectedly ({type(error).__name__})."
    result.duration_s = time.perf_counter() - clock
    with engine.begin() as conn:
        record_run(conn, row.id, at=now or utcnow(), ok=result.ok, reason=result.reason)
    return result


def _store_step(
    engine: Engine,
    row: QueryRow,
    matcher: Matcher,
    posts: list[HeardPost],
    cursor: dict[str, Any],
    result: ListenResult,
    *,
    now: datetime,
) -> None:
    """One step: its mentions (new, heard again, deleted) and the query's cursor, in one transaction."""
    result.heard += len(posts)
    unique: dict[str, HeardPost] = {}
    for post in posts:
        unique.setdefault(post.external_id, post)
    matched: dict[str, dict[int, tuple[str, ...]]] = {}
    for key, post in unique.items():
        if not post.deleted and (hits := matcher.match(post.text)):
            matched[key] = hits
    with engine.begin() as conn:
        known = get_known(conn, row.community_id, row.source, list(unique))
        for key, post in unique.items():
            mention = known.get(key)
            if post.deleted and mention is not None and not mention.deleted:
                erase_deleted(conn, mention.id)
                result.erased += 1
            elif mention is not None and key in matched:
                _merge(conn, mention, matched[key])
                result.again += 1
        fresh = [unique[k] for k in matched if k not in known]
        scored = _read(fresh, [matched[p.external_id] for p in fresh])
        insert_mentions(conn, row.community_id, scored, heard_at=now)
        save_query_cursor(conn, row.id, cursor)
        if scored:
            record_event(
                conn,
                row.community_id,
                actor="system",
                action="listen.heard",
                at=now,
                details={"query_id": row.id, "mentions": len(scored)},
            )
    result.added += len(scored)
    result.steps += 1


def _merge(conn: Connection, mention: MentionRow, hits: dict[int, tuple[str, ...]]) -> None:
    keywords = merge_keywords(mention.keywords, *hits.values())
    queries = sorted(set(mention.query_ids) | set(hits))
    if keywords != mention.keywords or queries != mention.query_ids:
        merge_matches(conn, mention.id, keywords=keywords, query_ids=queries)


def _read(posts: list[HeardPost], hits: list[dict[int, tuple[str, ...]]]) -> list[Scored]:
    """Sentiment, complaint and toxicity of the new mentions, by the moderation area's shipped models."""
    if not posts:
        return []
    readings = shipped_classifier().classify(
        [p.external_id for p in posts], [p.text for p in posts], [p.lang for p in posts]
    )
    return [
        Scored(
            post=post,
            lang=reading.lang,
            sentiment=reading.sentiment,
            score_sentiment=round(float(reading.mood_score), 4),
            score_complaint=float(reading.scores.get("complaint", 0.0)),
            score_toxicity=float(reading.scores.get("toxic", 0.0)),
            keywords=merge_keywords(*found.values()),
            query_ids=sorted(found),
        )
        for post, found, reading in zip(posts, hits, readings, strict=True)
    ]


# -- the inbox ----------------------------------------------------------------------------------------


def get_mentions(
    engine: Engine,
    *,
    community_name: str | None = None,
    since: datetime | None = None,
    sentiment: str | None = None,
    state: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> MentionsPage:
    """The mentions inbox of a community, newest first, filtered, one page of it with the total."""
    with engine.connect() as conn:
        community = resolve_community(conn, community_name)
        return get_mentions_page(
            conn,
            community,
            since=since,
            sentiment=sentiment,
            state=state,
            source=source,
            limit=limit,
            offset=offset,
        )


def get_mentions_page(
    conn: Connection,
    community: Community,
    *,
    since: datetime | None = None,
    sentiment: str | None = None,
    state: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> MentionsPage:
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise UsageError(f"--sentiment: one of {', '.join(SENTIMENTS)}.")
    total, rows = get_mention_rows(
        conn,
        community.id,
        since=since,
        sentiment=sentiment,
        state=state,
        source=source,
        limit=limit,
        offset=offset,
    )
    return MentionsPage(total, [_mention(row) for row in rows])


def do_act_on_mention(
    engine: Engine,
    mention_id: int,
    state: str,
    *,
    note: str | None = None,
    community_name: str | None = None,
    community_id: int | None = None,
    actor: str = "cli",
    now: datetime | None = None,
) -> Mention:
    """Mark a mention answered, routed (to the people who can help) or ignored, with an optional note."""
    if state not in ACTED_STATES:
        raise UsageError(f"STATE: one of {', '.join(ACTED_STATES)}.")
    if note is not None and len(note) > MAX_NOTE:
        raise UsageError(f"--note: at most {MAX_NOTE} characters.")
    moment = now or utcnow()
    with engine.begin() as conn:
        if community_name is not None:
            community_id = resolve_community(conn, community_name).id
        row = find_mention(conn, community_id, mention_id)
        if row is None:
            raise NotFoundError(f"no mention {mention_id} (see tending mentions).")
        set_mention_state(conn, mention_id, state=state, note=note or None, at=moment)
        record_event(
            conn,
            row.community_id,
            actor=actor,
            action="mention.acted",
            at=moment,
            details={"mention_id": mention_id, "state": state, "was": row.state},
        )
        after = find_mention(conn, None, mention_id)
    assert after is not None
    return _mention(after)


def get_suggested_reply(community: Community, mention: Mention) -> str | None:
    """A polite public reply to a complaint, in the mention's language (the moderation area's editable
    complaint template); None when the mention is no complaint."""
    if not mention.complaint or mention.deleted:
        return None
    return render_reply(
        "nudge",
        "complaint",
        mention.lang or community.language,
        {"name": mention.author, "community": community.name},
    )
