"""Listening: the queries a community listens with, and the mentions they heard.

A mention is unique by (community, source, external id): the same post heard through two queries, or
twice through one, is one row whose keywords and queries are the union of what matched it. Its state
(new, answered, routed, ignored) is changed by people only; hearing it again never resets it. A query's
cursor is written in the same transaction as the mentions it stands for (actions/listening.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)

from tending.lib.listening import Heard, outside_figures
from tending.models import HeardPost, OutsideReport
from tending.store.connectors import record_outcome
from tending.store.schema import Key, Timestamp, communities, community_fk, metadata

OK, FAILING, PAUSED = "ok", "failing", "paused"
NEW, ANSWERED, ROUTED, IGNORED = "new", "answered", "routed", "ignored"
MENTION_STATES = (NEW, ANSWERED, ROUTED, IGNORED)
LOOKUP_CHUNK = 500

listen_queries = Table(
    "listen_queries",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("source", String(20), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("keywords", JSON, nullable=False),  # as typed: "word", "\"a phrase\"", "-excluded"
    Column("state", String(10), nullable=False),
    Column("reason", Text),
    Column("interval_s", Integer, nullable=False),
    Column("cursor", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("last_run_at", Timestamp),
    Column("last_ok_at", Timestamp),
    Index(None, "community_id"),
)

mentions = Table(
    "mentions",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("source", String(20), nullable=False),
    Column("external_id", String(500), nullable=False),
    Column("url", String(2000)),
    Column("author", String(300)),
    Column("published_at", Timestamp, nullable=False),
    Column("heard_at", Timestamp, nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(10)),
    Column("sentiment", String(10), nullable=False),
    Column("score_sentiment", Float, nullable=False),
    Column("score_complaint", Float, nullable=False),
    Column("score_toxicity", Float, nullable=False),
    Column("keywords", JSON, nullable=False),
    Column("query_ids", JSON, nullable=False),
    Column("state", String(10), nullable=False),
    Column("note", Text),
    Column("acted_at", Timestamp),
    Column("deleted", Boolean, nullable=False),
    UniqueConstraint("community_id", "source", "external_id"),
    Index(None, "community_id", "published_at"),
)


@dataclass(frozen=True, slots=True)
class QueryRow:
    id: int
    community_id: int
    community: str
    source: str
    url: str
    keywords: list[str]
    state: str
    reason: str | None
    interval_s: int
    cursor: dict[str, Any]
    created_at: datetime
    last_run_at: datetime | None
    last_ok_at: datetime | None


@dataclass(frozen=True, slots=True)
class MentionRow:
    id: int
    community_id: int
    source: str
    external_id: str
    url: str | None
    author: str | None
    published_at: datetime
    heard_at: datetime
    text: str
    lang: str | None
    sentiment: str
    score_sentiment: float
    score_complaint: float
    score_toxicity: float
    keywords: list[str]
    query_ids: list[int]
    state: str
    note: str | None
    acted_at: datetime | None
    deleted: bool


@dataclass(frozen=True, slots=True)
class Scored:
    """A post heard and read: what goes into a new mention."""

    post: HeardPost
    lang: str | None
    sentiment: str
    score_sentiment: float
    score_complaint: float
    score_toxicity: float
    keywords: list[str]
    query_ids: list[int]


# -- queries -----------------------------------------------------------------------------------------


def _query(row: Any) -> QueryRow:
    return QueryRow(
        id=row.id,
        community_id=row.community_id,
        community=row.community_name,
        source=row.source,
        url=row.url,
        keywords=list(row.keywords or []),
        state=row.state,
        reason=row.reason,
        interval_s=row.interval_s,
        cursor=dict(row.cursor or {}),
        created_at=row.created_at,
        last_run_at=row.last_run_at,
        last_ok_at=row.last_ok_at,
    )


def insert_query(
    conn: Connection,
    community_id: int,
    *,
    source: str,
    url: str,
    keywords: list[str],
    interval_s: int,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(listen_queries).values(
            community_id=community_id,
            source=source,
            url=url,
            keywords=keywords,
            state=OK,
            interval_s=interval_s,
            cursor={},
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_query_rows(
    conn: Connection,
    *,
    community_id: int | None = None,
    query_id: int | None = None,
    source: str | None = None,
) -> list[QueryRow]:
    query = (
        select(listen_queries, communities.c.name.label("community_name"))
        .join(communities, communities.c.id == listen_queries.c.community_id)
        .order_by(listen_queries.c.id)
    )
    if community_id is not None:
        query = query.where(listen_queries.c.community_id == community_id)
    if query_id is not None:
        query = query.where(listen_queries.c.id == query_id)
    if source is not None:
        query = query.where(listen_queries.c.source == source)
    return [_query(row) for row in conn.execute(query)]


def find_query(conn: Connection, query_id: int) -> QueryRow | None:
    found = get_query_rows(conn, query_id=query_id)
    return found[0] if found else None


def set_query_state(conn: Connection, query_id: int, state: str) -> None:
    conn.execute(
        update(listen_queries)
        .where(listen_queries.c.id == query_id)
        .values(state=state, reason=None)
    )


def save_query_cursor(conn: Connection, query_id: int, cursor: dict[str, Any]) -> None:
    """Inside the transaction that stored the mentions the cursor stands for."""
    conn.execute(
        update(listen_queries).where(listen_queries.c.id == query_id).values(cursor=cursor)
    )


def record_run(
    conn: Connection, query_id: int, *, at: datetime, ok: bool, reason: str | None
) -> None:
    """A run ended: ok or failing with its reason; a paused query stays paused."""
    record_outcome(
        conn, listen_queries, query_id, at_column="last_run_at", at=at, ok=ok, reason=reason
    )


def delete_query(conn: Connection, query_id: int) -> None:
    conn.execute(delete(listen_queries).where(listen_queries.c.id == query_id))


# -- mentions ----------------------------------------------------------------------------------------


def _mention(row: Any) -> MentionRow:
    return MentionRow(
        id=row.id,
        community_id=row.community_id,
        source=row.source,
        external_id=row.external_id,
        url=row.url,
        author=row.author,
        published_at=row.published_at,
        heard_at=row.heard_at,
        text=row.text,
        lang=row.lang,
        sentiment=row.sentiment,
        score_sentiment=float(row.score_sentiment),
        score_complaint=float(row.score_complaint),
        score_toxicity=float(row.score_toxicity),
        keywords=list(row.keywords or []),
        query_ids=[int(q) for q in row.query_ids or []],
        state=row.state,
        note=row.note,
        acted_at=row.acted_at,
        deleted=bool(row.deleted),
    )


def get_known(
    conn: Connection, community_id: int, source: str, external_ids: Sequence[str]
) -> dict[str, MentionRow]:
    """The mentions already stored among these posts, by external id (one query per 500)."""
    found: dict[str, MentionRow] = {}
    unique = sorted(set(external_ids))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        rows = conn.execute(
            select(mentions).where(
                mentions.c.community_id == community_id,
                mentions.c.source == source,
                mentions.c.external_id.in_(chunk),
            )
        )
        found.update({row.external_id: _mention(row) for row in rows})
    return found


def insert_mentions(
    conn: Connection, community_id: int, scored: Sequence[Scored], *, heard_at: datetime
) -> None:
    if not scored:
        return
    conn.execute(
        insert(mentions),
        [
            {
                "community_id": community_id,
                "source": s.post.source,
                "external_id": s.post.external_id,
                "url": s.post.url,
                "author": s.post.author,
                "published_at": s.post.published_at,
                "heard_at": heard_at,
                "text": s.post.text,
                "lang": s.lang,
                "sentiment": s.sentiment,
                "score_sentiment": s.score_sentiment,
                "score_complaint": s.score_complaint,
                "score_toxicity": s.score_toxicity,
                "keywords": s.keywords,
                "query_ids": s.query_ids,
                "state": NEW,
                "deleted": False,
            }
            for s in scored
        ],
    )


def merge_matches(
    conn: Connection, mention_id: int, *, keywords: list[str], query_ids: list[int]
) -> None:
    conn.execute(
        update(mentions)
        .where(mentions.c.id == mention_id)
        .values(keywords=keywords, query_ids=query_ids)
    )


def erase_deleted(conn: Connection, mention_id: int) -> None:
    """The platform says the post is gone: its text goes; the row (and what was done about it) stays."""
    conn.execute(update(mentions).where(mentions.c.id == mention_id).values(text="", deleted=True))


def find_mention(conn: Connection, community_id: int | None, mention_id: int) -> MentionRow | None:
    query = select(mentions).where(mentions.c.id == mention_id)
    if community_id is not None:
        query = query.where(mentions.c.community_id == community_id)
    row = conn.execute(query).first()
    return _mention(row) if row else None


def _filtered(
    query: Any,
    community_id: int,
    *,
    since: datetime | None,
    sentiment: str | None,
    state: str | None,
    source: str | None,
) -> Any:
    query = query.where(mentions.c.community_id == community_id)
    if since is not None:
        query = query.where(mentions.c.published_at >= since)
    if sentiment is not None:
        query = query.where(mentions.c.sentiment == sentiment)
    if state is not None:
        query = query.where(mentions.c.state == state)
    if source is not None:
        query = query.where(mentions.c.source == source)
    return query


def get_mention_rows(
    conn: Connection,
    community_id: int,
    *,
    since: datetime | None = None,
    sentiment: str | None = None,
    state: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[MentionRow]]:
    """(how many match, one page of them, newest first)."""
    options: dict[str, Any] = {
        "since": since,
        "sentiment": sentiment,
        "state": state,
        "source": source,
    }
    total = conn.execute(
        _filtered(select(func.count()).select_from(mentions), community_id, **options)
    ).scalar_one()
    rows = conn.execute(
        _filtered(select(mentions), community_id, **options)
        .order_by(mentions.c.published_at.desc(), mentions.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return int(total), [_mention(row) for row in rows]


def set_mention_state(
    conn: Connection, mention_id: int, *, state: str, note: str | None, at: datetime
) -> None:
    conn.execute(
        update(mentions)
        .where(mentions.c.id == mention_id)
        .values(state=state, note=note, acted_at=at)
    )


# -- figures (health, alerts) ------------------------------------------------------------------------


def heard_between(
    conn: Connection, community_id: int, *, start: datetime, end: datetime
) -> list[Heard]:
    """The mentions published in (start, end]: what the health report's "outside" counts."""
    rows = conn.execute(
        select(
            mentions.c.source,
            mentions.c.published_at,
            mentions.c.sentiment,
            mentions.c.state,
            mentions.c.acted_at,
        ).where(
            mentions.c.community_id == community_id,
            mentions.c.published_at > start,
            mentions.c.published_at <= end,
        )
    )
    return [Heard(r.source, r.published_at, r.sentiment, r.state, r.acted_at) for r in rows]


def outside_report(
    conn: Connection, community_id: int, *, start: datetime, end: datetime
) -> OutsideReport:
    """The health report's "outside" section (lib/listening.py outside_figures)."""
    both = heard_between(conn, community_id, start=start - (end - start), end=end)
    window = [m for m in both if m.published_at > start]
    previous = [m for m in both if m.published_at <= start]
    return outside_figures(window, previous, start=start, end=end)


def listening_since(conn: Connection, community_id: int) -> datetime | None:
    """When the community's oldest listening query still recorded was added."""
    found: datetime | None = conn.execute(
        select(func.min(listen_queries.c.created_at)).where(
            listen_queries.c.community_id == community_id
        )
    ).scalar_one()
    return found


def negative_mentions(
    conn: Connection, community_id: int, *, start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(id, published_at) of the negative mentions published in (start, end], oldest first."""
    rows = conn.execute(
        select(mentions.c.id, mentions.c.published_at)
        .where(
            mentions.c.community_id == community_id,
            mentions.c.sentiment == "negative",
            mentions.c.published_at > start,
            mentions.c.published_at <= end,
        )
        .order_by(mentions.c.published_at, mentions.c.id)
    )
    return [(int(row.id), row.published_at) for row in rows]
