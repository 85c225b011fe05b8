"""How a playbook rendered a public post: its template, language and context without the members named, so
that at send time the post can be rendered again without a member who may no longer be named (do-not-contact,
left, erased). Created by migration 0010_member_rights; one row per post, beside its outbox row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Connection, String, Table, delete, insert, select

from tending.store.outbox import outbox_recipients
from tending.store.schema import Key, community_fk, member_stats, members, metadata

outbox_renders = Table(
    "outbox_renders",
    metadata,
    # the outbox row's id; no foreign key, so this revision does not depend on the outbox's (0004) branch
    Column("outbox_id", Key, primary_key=True),
    community_fk(),
    Column("template", String(200), nullable=False),
    Column("language", String(8), nullable=False),
    Column("context", JSON, nullable=False),
)


def save_render(
    conn: Connection,
    community_id: int,
    outbox_id: int,
    *,
    template: str,
    language: str,
    context: dict[str, Any],
) -> None:
    conn.execute(
        insert(outbox_renders).values(
            outbox_id=outbox_id,
            community_id=community_id,
            template=template,
            language=language,
            context=context,
        )
    )


def get_render(
    conn: Connection, community_id: int, outbox_id: int
) -> tuple[str, str, dict[str, Any]] | None:
    row = conn.execute(
        select(outbox_renders).where(
            outbox_renders.c.community_id == community_id, outbox_renders.c.outbox_id == outbox_id
        )
    ).first()
    return None if row is None else (row.template, row.language, dict(row.context))


def get_people(conn: Connection, community_id: int, member_ids: list[int]) -> list[dict[str, Any]]:
    """The members as a template names them (name, handle, has_contributed), in the order given."""
    joined = members.outerjoin(member_stats, member_stats.c.member_id == members.c.id)
    query = (
        select(members.c.id, members.c.display_name, members.c.handle, member_stats.c.contributions)
        .select_from(joined)
        .where(members.c.community_id == community_id, members.c.id.in_(member_ids))
    )
    found = {
        row.id: {
            "name": row.display_name or row.handle,
            "handle": row.handle,
            "has_contributed": bool(row.contributions),
        }
        for row in conn.execute(query)
    }
    return [found[m] for m in member_ids if m in found]


def remove_recipients(
    conn: Connection, community_id: int, outbox_id: int, member_ids: list[int]
) -> int:
    return int(
        conn.execute(
            delete(outbox_recipients).where(
                outbox_recipients.c.community_id == community_id,
                outbox_recipients.c.outbox_id == outbox_id,
                outbox_recipients.c.member_id.in_(member_ids),
            )
        ).rowcount
    )
