"""Member edits made from the dashboard: do-not-contact, notes, tags. Each writes one audit event.

tending.actions.members (the members capability) may offer the same verbs; the dashboard uses these until
then (see docs/web.md). The audit details never copy the note's text: notes may hold personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from tending.errors import UsageError
from tending.store import members_web as store
from tending.store.audit import record_event

MAX_TAG_LENGTH = 100
MAX_NOTES_LENGTH = 10_000


def check_tag(tag: str) -> str:
    cleaned = " ".join(tag.split())
    if not cleaned or len(cleaned) > MAX_TAG_LENGTH:
        raise UsageError(f"tag: between 1 and {MAX_TAG_LENGTH} characters, please.")
    return cleaned


def do_set_do_not_contact(conn: Connection, community_id: int, member_id: int, *, value: bool, actor: str,
                          now: datetime) -> None:
    store.set_member_fields(conn, community_id, member_id, at=now, do_not_contact=value)
    record_event(conn, community_id, actor=actor, action="member.do_not_contact_set" if value
                 else "member.do_not_contact_cleared", member_id=member_id, at=now)


def do_set_notes(conn: Connection, community_id: int, member_id: int, *, notes: str, actor: str,
                 now: datetime) -> None:
    if len(notes) > MAX_NOTES_LENGTH:
        raise UsageError(f"notes: at most {MAX_NOTES_LENGTH} characters, please.")
    store.set_member_fields(conn, community_id, member_id, at=now, notes=notes.strip() or None)
    record_event(conn, community_id, actor=actor, action="member.notes_changed", member_id=member_id, at=now,
                 details={"length": len(notes.strip())})


def do_add_tag(conn: Connection, community_id: int, member_id: int, *, tag: str, actor: str,
               now: datetime) -> bool:
    """Returns False when the member already had the tag (nothing written)."""
    tag = check_tag(tag)
    if tag in store.get_member_tags(conn, community_id, member_id):
        return False
    store.add_member_tag(conn, community_id, member_id, tag)
    record_event(conn, community_id, actor=actor, action="member.tag_added", member_id=member_id, at=now,
                 details={"tag": tag})
    return True


def do_remove_tag(conn: Connection, community_id: int, member_id: int, *, tag: str, actor: str,
                  now: datetime) -> bool:
    if tag not in store.get_member_tags(conn, community_id, member_id):
        return False
    store.remove_member_tag(conn, community_id, member_id, tag)
    record_event(conn, community_id, actor=actor, action="member.tag_removed", member_id=member_id, at=now,
                 details={"tag": tag})
    return True
