"""Tombstones of erased members: one row per platform identity of an erased member, keyed by
HMAC-SHA256(installation secret, platform + NUL + external id), never the id itself, so the ingest
(store/ingest.py) recognises a returning identity and leaves it out without tending keeping who it was.

The secret is generated once per installation, in the database (installation_secrets), so a copy of the
tombstones alone cannot be matched against a list of ids. Tables: migration 0010_member_rights.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
    update,
)

from tending.store.schema import Key, Timestamp, community_fk, metadata, upsert_dialect

TOMBSTONE_SECRET = "tombstone_key"

installation_secrets = Table(
    "installation_secrets",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

member_tombstones = Table(
    "member_tombstones",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("key", String(64), nullable=False),
    Column("platform", String(50), nullable=False),
    Column("member_id", Key),  # the anonymous member row that stays for the counts
    Column("erased_at", Timestamp, nullable=False),
    Column("actor", String(200), nullable=False),
    UniqueConstraint("community_id", "key"),
    Index(None, "community_id", "member_id"),
)

# -- the tombstones' key ------------------------------------------------------------------------------------


def get_installation_secret(
    conn: Connection, name: str = TOMBSTONE_SECRET, *, now: datetime
) -> bytes:
    """The installation's secret of that name, created (32 random bytes) the first time it is asked for."""
    dialect = upsert_dialect(conn)
    found = conn.execute(
        select(installation_secrets.c.value).where(installation_secrets.c.name == name)
    ).scalar()
    if found is None:
        conn.execute(
            dialect.insert(installation_secrets)
            .values(name=name, value=secrets.token_hex(32), created_at=now)
            .on_conflict_do_nothing()
        )
        found = conn.execute(
            select(installation_secrets.c.value).where(installation_secrets.c.name == name)
        ).scalar_one()
    return bytes.fromhex(found)


def tombstone_key(secret: bytes, platform: str, external_id: str) -> str:
    return hmac.new(secret, f"{platform}\x00{external_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Tombstone:
    id: int
    platform: str
    member_id: int | None
    erased_at: datetime
    actor: str


def _read_secret(conn: Connection, name: str = TOMBSTONE_SECRET) -> bytes | None:
    found = conn.execute(
        select(installation_secrets.c.value).where(installation_secrets.c.name == name)
    ).scalar()
    return None if found is None else bytes.fromhex(found)


class TombstoneCheck:
    """Answers "is this (platform, external id) erased?" for one ingest; free when nobody was erased."""

    def __init__(self, conn: Connection, community_id: int) -> None:
        self.keys = set(
            conn.execute(
                select(member_tombstones.c.key).where(
                    member_tombstones.c.community_id == community_id
                )
            ).scalars()
        )
        self.secret = (_read_secret(conn) or b"") if self.keys else b""
        self._seen: dict[tuple[str, str], bool] = {}

    def __bool__(self) -> bool:
        return bool(self.keys)

    def is_erased(self, platform: str, external_id: str | None) -> bool:
        if not self.keys or external_id is None:
            return False
        pair = (platform, external_id)
        answer = self._seen.get(pair)
        if answer is None:
            answer = self._seen[pair] = (
                tombstone_key(self.secret, platform, external_id) in self.keys
            )
        return answer


def insert_tombstones(
    conn: Connection,
    community_id: int,
    pairs: Iterable[tuple[str, str]],
    *,
    member_id: int,
    at: datetime,
    actor: str,
) -> int:
    secret = get_installation_secret(conn, now=at)
    dialect = upsert_dialect(conn)
    rows = {
        tombstone_key(secret, platform, external_id): platform for platform, external_id in pairs
    }
    for key, platform in rows.items():
        conn.execute(
            dialect.insert(member_tombstones)
            .values(
                community_id=community_id,
                key=key,
                platform=platform,
                member_id=member_id,
                erased_at=at,
                actor=actor,
            )
            .on_conflict_do_nothing()
        )
    return len(rows)


def find_tombstones(
    conn: Connection,
    community_id: int,
    *,
    pairs: Iterable[tuple[str, str]] = (),
    member_id: int | None = None,
    tombstone_id: int | None = None,
) -> list[Tombstone]:
    """Tombstones matching any of these identities, or this member number, or this tombstone number."""
    conditions: list[Any] = []
    found_pairs = list(pairs)
    if found_pairs:
        secret = _read_secret(conn)
        if secret is not None:
            conditions.append(
                member_tombstones.c.key.in_(
                    [
                        tombstone_key(secret, platform, external_id)
                        for platform, external_id in found_pairs
                    ]
                )
            )
    if member_id is not None:
        conditions.append(member_tombstones.c.member_id == member_id)
    if tombstone_id is not None:
        conditions.append(member_tombstones.c.id == tombstone_id)
    if not conditions:
        return []
    return _tombstones(
        conn,
        select(member_tombstones).where(
            member_tombstones.c.community_id == community_id, or_(*conditions)
        ),
    )


def get_tombstones(
    conn: Connection, community_id: int, *, limit: int, offset: int = 0
) -> tuple[int, list[Tombstone]]:
    total = int(
        conn.execute(
            select(func.count())
            .select_from(member_tombstones)
            .where(member_tombstones.c.community_id == community_id)
        ).scalar_one()
    )
    return total, _tombstones(
        conn,
        select(member_tombstones)
        .where(member_tombstones.c.community_id == community_id)
        .order_by(member_tombstones.c.id)
        .limit(limit)
        .offset(offset),
    )


def _tombstones(conn: Connection, query: Any) -> list[Tombstone]:
    return [
        Tombstone(
            id=r.id,
            platform=r.platform,
            member_id=r.member_id,
            erased_at=r.erased_at,
            actor=r.actor,
        )
        for r in conn.execute(query.order_by(member_tombstones.c.id))
    ]


def delete_tombstones(conn: Connection, community_id: int, ids: list[int]) -> int:
    return int(
        conn.execute(
            delete(member_tombstones).where(
                member_tombstones.c.community_id == community_id, member_tombstones.c.id.in_(ids)
            )
        ).rowcount
    )


def known_platforms(conn: Connection, community_id: int) -> list[str]:
    """Platforms a tombstone may be on (to look an id up without its platform)."""
    return sorted(
        set(
            conn.execute(
                select(member_tombstones.c.platform)
                .distinct()
                .where(member_tombstones.c.community_id == community_id)
            ).scalars()
        )
    )


def move_tombstones(conn: Connection, from_community_id: int, to_community_id: int) -> int:
    """Give one community's tombstones to another (the first is about to be deleted), so the identities
    erased there stay out of the other's imports. A key the other already holds is kept once; the moved rows
    no longer point at a member (theirs stay behind). Returns how many tombstones the other gained."""
    held = select(member_tombstones.c.key).where(
        member_tombstones.c.community_id == to_community_id
    )
    conn.execute(
        delete(member_tombstones).where(
            member_tombstones.c.community_id == from_community_id,
            member_tombstones.c.key.in_(held),
        )
    )
    return int(
        conn.execute(
            update(member_tombstones)
            .where(member_tombstones.c.community_id == from_community_id)
            .values(community_id=to_community_id, member_id=None)
        ).rowcount
    )
