"""Members' rights (GDPR articles 15 and 17, and storage limitation): the export of everything tending holds
about a person, erasure with a tombstone, and the retention of message texts. See docs/privacy.md.

Audit events written here hold ids and counts only: never a name, an id from a platform, or a text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from tending.errors import UsageError
from tending.lib.settings import get_setting
from tending.models import Community
from tending.store import members as member_store
from tending.store import rights as store
from tending.store import tombstones
from tending.store.audit import record_event
from tending.store.communities import do_update_community_settings
from tending.timeutil import get_zone, isoformat_utc, utcnow

EXPORT_FORMAT = 1  # the version of the export's JSON layout
RETENTION_SETTING = "retention"  # community setting: {"text_days": N}
RETENTION_BATCH_IDS = (
    20_000  # activity ids per retention statement: each holds the write lock ~10-50 ms
)
# between two batches: a writer waiting on SQLite's busy handler polls every 50-100 ms at worst, and would
# otherwise miss the instants the lock is free (measured: 5.9 s of wait without a pause)
RETENTION_PAUSE_S = 0.1


# -- finding the person ----------------------------------------------------------------------------------------


def _ref_pairs(conn: Connection, community: Community, ref: str) -> list[tuple[str, str]]:
    """The (platform, id) pairs a reference may name, for looking it up among the tombstones."""
    ref = ref.strip()
    pairs = [(p, ref) for p in tombstones.known_platforms(conn, community.id)]
    if ":" in ref:
        platform, external_id = ref.split(":", 1)
        pairs.append((platform, external_id))
    return pairs


def check_not_erased(conn: Connection, community: Community, ref: str) -> None:
    """Refuse, in one sentence, a reference to a member who was erased (by platform id or #N)."""
    number = int(ref[1:]) if ref.strip().startswith("#") and ref.strip()[1:].isdigit() else None
    found = tombstones.find_tombstones(
        conn, community.id, pairs=_ref_pairs(conn, community, ref), member_id=number
    )
    if found:
        day = found[0].erased_at.astimezone(get_zone(community.timezone)).date().isoformat()
        raise UsageError(
            f"ID: this member was erased on {day} (tombstone {found[0].id}); "
            "nothing about them is left to show or erase."
        )


def resolve_person(conn: Connection, community: Community, ref: str) -> int:
    """The kept member a user names (as `members show` takes it), refusing erased members clearly."""
    check_not_erased(conn, community, ref)
    member = member_store.resolve_member(conn, community, ref)
    if member.external_id.startswith(
        "erased:"
    ):  # reached through an account merged into an erased member
        check_not_erased(conn, community, f"#{member.id}")
        raise UsageError("ID: this member was erased; nothing about them is left to show or erase.")
    return member.id


# -- export ------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class MemberExport:
    """Everything tending holds about one person, across their merged identities."""

    community: str
    language: str
    timezone: str
    generated_at: datetime
    member_id: int
    member_ids: list[int]
    profile: dict[str, Any]
    identities: list[dict[str, Any]]
    tags: list[str]
    notes: list[str]
    activities: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    checkins: list[dict[str, Any]]
    moderation: list[dict[str, Any]]
    moderation_counts: dict[str, int]
    audit: list[dict[str, Any]]
    extra_fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": EXPORT_FORMAT,
            "community": self.community,
            "generated_at": isoformat_utc(self.generated_at),
            "member_id": self.member_id,
            "member_ids": self.member_ids,
            "profile": self.profile,
            "identities": self.identities,
            "tags": self.tags,
            "notes": self.notes,
            "activities": self.activities,
            "messages": self.messages,
            "checkins": self.checkins,
            "moderation": {"findings": self.moderation, "counts": self.moderation_counts},
            "audit": self.audit,
        }


def _role_of(actor: str | None) -> str | None:
    """Who acted, without the team member's own address ("web:ana@example.org" -> "web")."""
    return None if actor is None else actor.split(":", 1)[0]


def _instants(row: dict[str, Any]) -> dict[str, Any]:
    return {k: isoformat_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


def _profile(rows: list[dict[str, Any]]) -> dict[str, Any]:
    kept = rows[0]
    return _instants(
        {
            "name": kept["display_name"],
            "handle": kept["handle"],
            "platform": kept["platform"],
            "id": kept["external_id"],
            "joined_at": kept["joined_at"],
            "joined_at_exact": bool(kept["joined_at_exact"]),
            "left_at": kept["left_at"],
            "language": kept["language"],
            "is_staff": bool(kept["is_staff"]),
            "is_bot": bool(kept["is_bot"]),
            "do_not_contact": bool(kept["do_not_contact"]),
            "first_seen_at": kept["created_at"],
            "merged_accounts": [
                {
                    "platform": r["platform"],
                    "id": r["external_id"],
                    "name": r["display_name"],
                    "handle": r["handle"],
                }
                for r in rows[1:]
            ],
        }
    )


def get_member_export(
    conn: Connection, community: Community, ref: str, *, now: datetime | None = None
) -> MemberExport:
    """Everything about the member `ref` names: profile, identities, tags, notes, every activity with its text,
    the messages drafted or sent to them, check-ins, moderation findings and decisions, audit rows."""
    member_id = resolve_person(conn, community, ref)
    ids = store.get_person_ids(conn, community.id, member_id)
    data = store.get_person_data(conn, community.id, ids)
    counts: dict[str, int] = {}
    for row in data["moderation_counts"]:
        for name in ("flags", "nudges", "notes", "warnings", "removals"):
            counts[name] = counts.get(name, 0) + int(row[name] or 0)
    keep = (
        "id",
        "signal",
        "score",
        "evidence",
        "occurred_at",
        "created_at",
        "status",
        "action",
        "reply",
        "note",
        "acted_by",
        "acted_at",
        "activity_id",
    )
    return MemberExport(
        community=community.name,
        language=community.language,
        timezone=community.timezone,
        generated_at=now or utcnow(),
        member_id=member_id,
        member_ids=ids,
        profile=_profile(data["members"]),
        identities=[{k: v for k, v in r.items() if k != "member_id"} for r in data["identities"]],
        tags=sorted({r["tag"] for r in data["tags"]}),
        notes=[r["notes"] for r in data["members"] if r["notes"]],
        activities=[
            _instants({k: v for k, v in r.items() if k != "member_id"}) for r in data["activities"]
        ],
        messages=[_instants(r) for r in data["messages"]],
        checkins=[
            _instants(
                {
                    **{k: v for k, v in r.items() if k not in ("community_id", "member_id")},
                    "actor": _role_of(r["actor"]),
                }
            )
            for r in data["checkins"]
        ],
        moderation=[
            _instants({**{k: r[k] for k in keep}, "acted_by": _role_of(r["acted_by"])})
            for r in data["moderation_items"]
        ],
        moderation_counts=counts,
        audit=[
            _instants(
                {
                    "occurred_at": r["occurred_at"],
                    "actor": _role_of(r["actor"]),
                    "action": r["action"],
                    "details": r["details"],
                }
            )
            for r in data["audit"]
        ],
    )


# -- erasure ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErasurePreview:
    member_id: int
    member_ids: list[int]
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class ErasureResult:
    member_id: int
    tombstones: int
    changed: dict[str, int]


def get_erasure_preview(conn: Connection, community: Community, ref: str) -> ErasurePreview:
    """What erasing the member `ref` names would remove or anonymise (for the confirmation)."""
    member_id = resolve_person(conn, community, ref)
    ids = store.get_person_ids(conn, community.id, member_id)
    return ErasurePreview(member_id, ids, store.get_erasure_counts(conn, community.id, ids))


def do_erase_member(
    conn: Connection, community: Community, ref: str, *, actor: str, now: datetime | None = None
) -> ErasureResult:
    """Erase a person: their names, handles, e-mail addresses, accounts, texts, notes, tags, messages and
    moderation findings are deleted or irreversibly anonymised; the rows the counts are made of stay, as one
    anonymous member. A tombstone per identity keeps later imports from bringing them back. One transaction."""
    now = now or utcnow()
    member_id = resolve_person(conn, community, ref)
    ids = store.get_person_ids(conn, community.id, member_id)
    pairs = store.get_identity_pairs(conn, community.id, ids)
    stones = tombstones.insert_tombstones(
        conn, community.id, pairs, member_id=member_id, at=now, actor=actor
    )
    changed = store.erase_rows(conn, community.id, ids, now=now)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.erased",
        member_id=member_id,
        details={"members": len(ids), "tombstones": stones, **changed},
        at=now,
    )
    return ErasureResult(member_id, stones, changed)


@dataclass(frozen=True, slots=True)
class TombstoneList:
    total: int
    rows: list[tombstones.Tombstone]


def get_tombstone_list(
    conn: Connection, community: Community, *, limit: int = 50, offset: int = 0
) -> TombstoneList:
    total, rows = tombstones.get_tombstones(conn, community.id, limit=limit, offset=offset)
    return TombstoneList(total, rows)


def do_lift_tombstone(
    conn: Connection, community: Community, ref: str, *, actor: str, now: datetime | None = None
) -> int:
    """Let an erased identity be imported again (the person came back and asked). `ref` is a tombstone number
    (`tombstones list` shows them) or the identity as the import gives it (ID or PLATFORM:ID). Returns how many
    tombstones were lifted. What was erased stays erased: only future imports bring the person back."""
    ref = ref.strip()
    number = int(ref) if ref.isdigit() else None
    found = tombstones.find_tombstones(
        conn, community.id, pairs=_ref_pairs(conn, community, ref), tombstone_id=number
    )
    if not found:
        raise UsageError(
            "tombstones lift: no tombstone matches (give a number from `tombstones list`, "
            "or the id the import gives, as PLATFORM:ID if need be)."
        )
    lifted = tombstones.delete_tombstones(conn, community.id, [t.id for t in found])
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.tombstone_lifted",
        member_id=found[0].member_id,
        details={"tombstones": [t.id for t in found]},
        at=now,
    )
    return lifted


# -- retention -------------------------------------------------------------------------------------------------


def get_retention_days(community: Community) -> int | None:
    """The community's `retention.text_days` (None: texts are kept; the registry's 0 says the same)."""
    days = get_setting(community.settings, "retention.text_days")
    return int(days) if days else None


def do_set_retention_days(
    conn: Connection, community: Community, days: int | None, *, actor: str
) -> Community:
    """Set (or with None, clear) how many days message texts are kept."""
    if days is not None and (isinstance(days, bool) or days < 1 or days > 36_500):
        raise UsageError("retention.text_days: a whole number of days between 1 and 36500.")
    section = dict(community.settings.get(RETENTION_SETTING) or {})
    if days is None:
        section.pop("text_days", None)
    else:
        section["text_days"] = days
    return do_update_community_settings(conn, community, {RETENTION_SETTING: section}, actor=actor)


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    days: int | None
    cutoff: datetime | None
    texts: int
    message_bodies: int


def get_retention_plan(
    conn: Connection, community: Community, *, now: datetime | None = None
) -> RetentionPlan:
    """What the retention pass would remove now (nothing when the community keeps texts)."""
    days = get_retention_days(community)
    if days is None:
        return RetentionPlan(None, None, 0, 0)
    cutoff = (now or utcnow()) - timedelta(days=days)
    counts = store.count_texts_before(conn, community.id, before=cutoff)
    return RetentionPlan(days, cutoff, counts["texts"], counts["message_bodies"])


@dataclass(frozen=True, slots=True)
class RetentionResult:
    days: int | None
    cutoff: datetime | None
    texts: int
    message_bodies: int
    batches: int
    longest_batch_s: float


def do_apply_retention(
    engine: Engine,
    community: Community,
    *,
    now: datetime | None = None,
    actor: str = "worker",
    batch_ids: int = RETENTION_BATCH_IDS,
    pause_s: float = RETENTION_PAUSE_S,
) -> RetentionResult:
    """Remove the texts older than `retention.text_days`, in batches of activity ids, one short transaction
    each (a statement over a primary-key range), so other writers wait at most one batch. Counts, rollups,
    threads and instants stay: every metric is unchanged. Audited once, with the counts."""
    import time

    now = now or utcnow()
    days = get_retention_days(community)
    if days is None:
        with engine.begin() as conn:
            store.set_last_retention_run(conn, community.id, at=now, cleared=0)
        return RetentionResult(None, None, 0, 0, 0, 0.0)
    cutoff = now - timedelta(days=days)
    with engine.connect() as conn:
        low, high = store.get_activity_id_range(conn, community.id)
    texts, batches, longest = 0, 0, 0.0
    position = low - 1
    while position < high:
        started = time.perf_counter()
        with engine.begin() as conn:
            texts += store.clear_texts_in_range(
                conn, community.id, before=cutoff, low_id=position, high_id=position + batch_ids
            )
        longest = max(longest, time.perf_counter() - started)
        position += batch_ids
        batches += 1
        if pause_s and position < high:
            time.sleep(pause_s)
    with engine.begin() as conn:
        bodies = store.clear_message_bodies(conn, community.id, before=cutoff)
        store.set_last_retention_run(conn, community.id, at=now, cleared=texts + bodies)
        record_event(
            conn,
            community.id,
            actor=actor,
            action="retention.applied",
            at=now,
            details={
                "text_days": days,
                "cutoff": isoformat_utc(cutoff),
                "texts": texts,
                "message_bodies": bodies,
            },
        )
    return RetentionResult(days, cutoff, texts, bodies, batches, longest)


def is_retention_due(conn: Connection, community: Community, *, now: datetime) -> bool:
    """Once a day: due when the pass has not run yet on the community's current local date."""
    last = store.get_last_retention_run(conn, community.id)
    if last is None:
        return True
    zone = get_zone(community.timezone)
    return last.astimezone(zone).date() < now.astimezone(zone).date()


def do_nightly_retention(
    engine: Engine, community: Community, *, now: datetime
) -> RetentionResult | None:
    """The worker's hook: apply retention when it has not run today (None when it was not due)."""
    with engine.connect() as conn:
        due = is_retention_due(conn, community, now=now)
    return do_apply_retention(engine, community, now=now) if due else None
