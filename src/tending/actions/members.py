"""Members: the listings (store + lib composed), and every change to a member: do-not-contact, tags, notes,
merges. Each do_* writes one audit event; audit details hold ids and counts, never names or e-mails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

if TYPE_CHECKING:
    pass

from tending.actions.outbox import do_skip
from tending.errors import NotFoundError, UsageError
from tending.lib import segments as seg
from tending.lib.lifecycle import (
    INACTIVE_KINDS,
    WENT_QUIET,
    LifecycleSettings,
    check_state,
    days_before,
    inactive_kind,
    is_inactive,
)
from tending.lib.settings import get_setting
from tending.models import Community, Identity, Member
from tending.store import dashboard
from tending.store import members as store
from tending.store import moderation as moderation_store
from tending.store import outbox as outbox_store
from tending.store.audit import record_event
from tending.store.checkins import Checkin, get_checkins, move_checkins
from tending.store.dashboard import MemberFilter as MemberFilter  # the web list's own filters
from tending.store.dashboard import MemberRow as _DashboardRow
from tending.store.dashboard import count_members as count_members
from tending.store.dashboard import get_matching_ids as get_matching_ids
from tending.store.dashboard import get_member_detail as get_member_detail
from tending.store.dashboard import get_member_events as get_member_events
from tending.store.dashboard import get_member_id_exists as get_member_id_exists
from tending.store.dashboard import (
    get_member_names as get_member_names,
)  # re-exported for the shells
from tending.store.dashboard import get_member_rows_by_ids as get_member_rows_by_ids
from tending.store.dashboard import get_members_page as get_members_page
from tending.store.dashboard import get_tags as get_tags
from tending.store.dashboard import get_timeline as get_timeline
from tending.store.dashboard import iter_members as iter_members
from tending.store.ingest import do_recompute_member_stats
from tending.store.members import MemberRow as MemberRow
from tending.store.members import get_members_by_id as get_members_by_id
from tending.store.members import resolve_member as resolve_member
from tending.timeutil import get_zone, utcnow

MAX_TAG_LENGTH = 100


def get_lifecycle_settings(community: Community) -> LifecycleSettings:
    return LifecycleSettings.from_settings(community.settings, get_zone(community.timezone))


def get_window_days(community: Community, window_days: int | None) -> int:
    days = (
        window_days
        if window_days is not None
        else get_setting(community.settings, "segments_window_days")
    )
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise UsageError(
            f"--window-days: the window must be a positive number of days, not {days!r}."
        )
    return days


# -- listings ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class MemberList:
    total: int
    rows: list[store.MemberRow]
    as_of: datetime
    inactive_days: int | None = None
    segment_of: dict[int, str] | None = None
    went_quiet: int | None = None  # with inactive_days: how many of all the inactive went quiet...
    never_contributed: int | None = None  # ...and how many never contributed
    offset: int = 0


def get_member_list(
    conn: Connection,
    community: Community,
    *,
    as_of: datetime,
    inactive_days: int | None = None,
    state: str | None = None,
    segment: str | None = None,
    window_days: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    kind: str | None = None,
) -> MemberList:
    """The members matching every filter given, as of `as_of` (merged-away members and bots never listed).
    With `inactive_days`, `kind` keeps one kind of inactive member: WENT_QUIET or NEVER_CONTRIBUTED (lib.lifecycle), and
    the list says how many of each there are."""
    lifecycle = get_lifecycle_settings(community)
    if inactive_days is not None and inactive_days < 0:
        raise UsageError("--inactive-days: the number of days cannot be negative.")
    if kind is not None and kind not in INACTIVE_KINDS:
        raise UsageError(f"--inactive-kind: '{kind}' is not one of {', '.join(INACTIVE_KINDS)}.")
    if kind is not None and inactive_days is None:
        raise UsageError(
            "--inactive-kind: give --inactive-days N as well (inactive for how long?)."
        )
    if state is not None:
        check_state(state)
    if segment is not None and segment not in seg.SEGMENTS:
        raise UsageError(
            f"--segment: '{segment}' is not a segment (choose from {', '.join(seg.SEGMENTS)})."
        )
    went_quiet = never = None
    if inactive_days is not None and state is None and segment is None:
        method = store.inactive_method(conn, community.id, as_of, lifecycle)
        split = store.get_inactive_counts(
            conn, community.id, as_of=as_of, days=inactive_days, lifecycle=lifecycle, method=method
        )
        total, rows = store.get_inactive_members(
            conn,
            community.id,
            as_of=as_of,
            days=inactive_days,
            lifecycle=lifecycle,
            limit=limit,
            offset=offset,
            method=method,
            kind=kind,
            counts=split if method != store.PYTHON else None,
        )
        return MemberList(
            total,
            rows,
            as_of,
            inactive_days=inactive_days,
            went_quiet=split.went_quiet,
            never_contributed=split.never_contributed,
            offset=offset,
        )
    rows = store.get_member_rows(conn, community.id, as_of=as_of, lifecycle=lifecycle)
    if inactive_days is not None:
        rows = [
            r
            for r in rows
            if is_inactive(r.facts, as_of=as_of, days=inactive_days, zone=lifecycle.zone)
        ]
        rows.sort(key=lambda r: store.inactive_order_key(r.facts))
    if state is not None:
        rows = [r for r in rows if r.state == state]
    segment_of = None
    if segment is not None:
        days = get_window_days(community, window_days)
        start = days_before(as_of, days, lifecycle.zone)
        counts = store.get_window_counts(
            conn, community.id, as_of=as_of, window_start=start, lifecycle=lifecycle
        )
        assigned = seg.assign_segments(counts)
        segment_of = {
            r.member.id: assigned.get(r.member.id, seg.LURKERS)
            for r in rows
            if store.in_population(r.facts, as_of=as_of, window_start=start)
        }
        rows = [r for r in rows if segment_of.get(r.member.id) == segment]
    if inactive_days is not None:
        went_quiet = sum(inactive_kind(r.facts) == WENT_QUIET for r in rows)
        never = len(rows) - went_quiet
        if kind is not None:
            rows = [r for r in rows if inactive_kind(r.facts) == kind]
    total = len(rows)
    end = None if limit is None else offset + limit
    return MemberList(
        total, rows[offset:end], as_of, inactive_days, segment_of, went_quiet, never, offset
    )


def get_segments_report(
    conn: Connection, community: Community, *, as_of: datetime, window_days: int | None = None
) -> seg.SegmentsReport:
    import numpy as np

    days = get_window_days(community, window_days)
    lifecycle = get_lifecycle_settings(community)
    start = days_before(as_of, days, lifecycle.zone)
    _, counts = store.get_window_count_arrays(
        conn, community.id, as_of=as_of, window_start=start, lifecycle=lifecycle
    )
    population = store.count_population(conn, community.id, as_of=as_of, window_start=start)
    histogram = np.bincount(counts) if len(counts) else np.zeros(1, dtype=np.int64)
    return seg.segments_of_histogram(
        {count: int(histogram[count]) for count in np.flatnonzero(histogram).tolist()},
        population=population,
        as_of=as_of,
        window_start=start,
        window_days=days,
    )


# -- changes to one member ------------------------------------------------------------------------------------


def _require(conn: Connection, community: Community, member_id: int) -> Member:
    member = store.get_member(conn, community.id, member_id)
    if member is None:
        raise NotFoundError(f"ID: no member #{member_id} in community '{community.name}'.")
    if member.merged_into is not None:
        raise UsageError(
            f"ID: member #{member_id} was merged into #{member.merged_into}; change that one."
        )
    return member


def do_set_do_not_contact(
    conn: Connection,
    community: Community,
    member_id: int,
    value: bool,
    *,
    actor: str,
    now: datetime | None = None,
) -> bool:
    """Mark (or unmark) a member as not to be contacted. Returns whether anything changed."""
    member = _require(conn, community, member_id)
    if member.do_not_contact == value:
        return False
    now = now or utcnow()
    store.update_member(conn, community.id, member_id, now=now, do_not_contact=value)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.do_not_contact_set" if value else "member.do_not_contact_cleared",
        member_id=member_id,
        at=now,
    )
    return True


def check_tag(tag: str) -> str:
    clean = tag.strip()
    if not clean or len(clean) > MAX_TAG_LENGTH:
        raise UsageError(f"--tag: a tag is 1 to {MAX_TAG_LENGTH} characters, not {len(clean)}.")
    return clean


def do_add_tag(
    conn: Connection,
    community: Community,
    member_id: int,
    tag: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> bool:
    _require(conn, community, member_id)
    tag = check_tag(tag)
    if not store.add_tag(conn, community.id, member_id, tag):
        return False
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.tag_added",
        member_id=member_id,
        details={"tag": tag},
        at=now,
    )
    return True


def do_remove_tag(
    conn: Connection,
    community: Community,
    member_id: int,
    tag: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> bool:
    _require(conn, community, member_id)
    if not store.remove_tag(conn, community.id, member_id, tag.strip()):
        return False
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.tag_removed",
        member_id=member_id,
        details={"tag": tag.strip()},
        at=now,
    )
    return True


def do_set_note(
    conn: Connection,
    community: Community,
    member_id: int,
    note: str | None,
    *,
    actor: str,
    now: datetime | None = None,
) -> bool:
    """Replace the member's private note (empty text clears it). The audit keeps the length, not the words."""
    member = _require(conn, community, member_id)
    note = (note or "").strip() or None
    if member.notes == note:
        return False
    now = now or utcnow()
    store.update_member(conn, community.id, member_id, now=now, notes=note)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.note_set",
        member_id=member_id,
        details={"length": len(note or "")},
        at=now,
    )
    return True


# -- merges ------------------------------------------------------------------------------------------------------


def merged_fields(keep: Member, other: Member) -> dict[str, Any]:
    """The kept member's fields after a merge: the earliest join, still a member if either is, the strictest
    contact preference, and what the kept member lacked taken from the other."""
    joins = [(m.joined_at, m.joined_at_exact) for m in (keep, other) if m.joined_at is not None]
    joined_at, exact = min(joins, key=lambda pair: pair[0]) if joins else (None, False)
    left_at = (
        None if keep.left_at is None or other.left_at is None else max(keep.left_at, other.left_at)
    )
    notes = "\n".join(n for n in (keep.notes, other.notes) if n) or None
    return {
        "joined_at": joined_at,
        "joined_at_exact": exact,
        "left_at": left_at,
        "is_staff": keep.is_staff or other.is_staff,
        "is_bot": keep.is_bot or other.is_bot,
        "do_not_contact": keep.do_not_contact or other.do_not_contact,
        "notes": notes,
        "display_name": keep.display_name or other.display_name,
        "handle": keep.handle or other.handle,
        "language": keep.language or other.language,
    }


def do_merge_members(
    conn: Connection,
    community: Community,
    keep_id: int,
    merge_id: int,
    *,
    actor: str,
    now: datetime | None = None,
) -> dict[str, int]:
    """Join two members known to be one person: `merge_id`'s identities, activities, tags and check-ins move to
    `keep_id`, whose rollups are recomputed; `merge_id` stays as a row marked merged_into (so its old id still
    leads somewhere) and leaves every list. Returns what moved."""
    if keep_id == merge_id:
        raise UsageError("members merge: a member cannot be merged with themselves.")
    keep = _require(conn, community, keep_id)
    other = _require(conn, community, merge_id)
    now = now or utcnow()
    moved = store.move_member_history(conn, community.id, keep_id=keep_id, merge_id=merge_id)
    moved["checkins"] = move_checkins(conn, community.id, from_member=merge_id, to_member=keep_id)
    moved["messages"], moved["duplicates_skipped"] = _move_messages(
        conn, community, keep_id, merge_id, actor=actor
    )
    moved["moderation_items"] = moderation_store.move_member(
        conn, community.id, from_member=merge_id, to_member=keep_id
    )
    store.update_member(conn, community.id, keep_id, now=now, **merged_fields(keep, other))
    store.update_member(conn, community.id, merge_id, now=now, merged_into=keep_id)
    do_recompute_member_stats(conn, community.id, [keep_id, merge_id])
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.merged",
        member_id=keep_id,
        details={"merged": merge_id, **moved},
        at=now,
    )
    record_event(
        conn,
        community.id,
        actor=actor,
        action="member.merged_into",
        member_id=merge_id,
        details={"into": keep_id},
        at=now,
    )
    return moved


def _move_messages(
    conn: Connection, community: Community, keep_id: int, merge_id: int, *, actor: str
) -> tuple[int, int]:
    """Readdress the merged account's messages to the kept member. A private message still waiting whose
    rule already reached the kept member (or is waiting for them) is skipped: one person, one welcome."""
    pending = (outbox_store.DRAFTED, outbox_store.APPROVED, outbox_store.FAILED)
    personal = (outbox_store.PRIVATE, outbox_store.EMAIL)
    kept_rules = outbox_store.get_rules_addressed_to(
        conn,
        community.id,
        keep_id,
        statuses=(*pending, outbox_store.SENDING, outbox_store.SENT),
        channels=personal,
    )
    moved = outbox_store.move_recipients(
        conn, community.id, from_member=merge_id, to_member=keep_id
    )
    skipped = 0
    for message in outbox_store.get_messages(conn, community.id, moved):
        if message.status in pending and message.channel in personal and message.rule in kept_rules:
            do_skip(conn, community, message.id, actor=actor, reason="merged_duplicate")
            skipped += 1
    return len(moved), skipped


@dataclass(frozen=True, slots=True)
class MergeSuggestion:
    reason: str  # same_email | same_handle
    member_ids: tuple[int, ...]
    platforms: tuple[str, ...]


def get_merge_suggestions(conn: Connection, community: Community) -> list[MergeSuggestion]:
    """Members who may be one person: the same e-mail address on several identities, or the same handle on
    different platforms. Suggestions only: tending never merges by itself."""
    seen: set[tuple[int, ...]] = set()
    found = []
    for reason, owners in store.get_merge_candidates(conn, community.id):
        ids = tuple(sorted({member_id for member_id, _ in owners}))
        if len(ids) < 2 or ids in seen:
            continue
        seen.add(ids)
        found.append(MergeSuggestion(reason, ids, tuple(sorted({p for _, p in owners}))))
    return found


ListedMember = _DashboardRow  # a row of the web's members list (name, dates, flags), without facts


@dataclass
class MemberProfile:
    """One member as both shells show them: who they are, their state as of one instant, their accounts
    (e-mail addresses left out) and their latest check-ins."""

    member: Member
    row: (
        MemberRow | None
    )  # facts and state as of the instant asked for; None for a member merged away
    identities: list[Identity]
    checkins: list[Checkin]

    @property
    def state(self) -> str | None:
        return None if self.row is None else self.row.state


def get_member_profile(
    conn: Connection, community: Community, member_id: int, *, as_of: datetime, checkins: int = 20
) -> MemberProfile | None:
    """The profile of `tending members show` and of the member's page; None when there is no such member."""
    member = store.get_member(conn, community.id, member_id)
    if member is None:
        return None
    rows = store.get_member_rows(
        conn,
        community.id,
        as_of=as_of,
        lifecycle=get_lifecycle_settings(community),
        member_ids=[member_id],
    )
    row = rows[0] if rows else None
    if row is not None:
        row.member.tags = member.tags
    return MemberProfile(
        member=member,
        row=row,
        identities=store.get_identities(conn, community.id, member_id),
        checkins=get_checkins(conn, community.id, member_id=member_id, limit=checkins),
    )


# -- the members list with the dashboard's filters ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberPage:
    total: int
    rows: list[dashboard.MemberRow]
    as_of: datetime
    order: str  # "inactive" (the most recently silent first) or "newest" (the latest to join first)


def _newest_first(row: store.MemberRow) -> tuple[float, int]:
    joined = row.facts.joined_at.timestamp() if row.facts.joined_at is not None else float("-inf")
    return -joined, -row.member.id


def get_member_page(
    conn: Connection,
    community: Community,
    *,
    as_of: datetime,
    wanted: MemberFilter,
    inactive_days: int | None = None,
    state: str | None = None,
    segment: str | None = None,
    limit: int,
    offset: int,
) -> MemberPage:
    """The members list of the dashboard, uncached: name/handle search, tag and who (wanted), with the
    lifecycle filters of get_member_list (inactive for N days, state, segment) as of `as_of`."""
    if inactive_days is None and state is None and segment is None:
        rows = dashboard.get_members_page(conn, community.id, wanted, offset=offset, limit=limit)
        return MemberPage(
            dashboard.count_members(conn, community.id, wanted), rows, as_of, "newest"
        )
    listing = get_member_list(
        conn, community, as_of=as_of, inactive_days=inactive_days, state=state, segment=segment
    )
    found = listing.rows if inactive_days is not None else sorted(listing.rows, key=_newest_first)
    ids = [row.member.id for row in found]
    if wanted.narrows_people:
        keep = dashboard.get_matching_ids(conn, community.id, wanted)
        ids = [i for i in ids if i in keep]
    page = dashboard.get_member_rows_by_ids(conn, community.id, ids[offset : offset + limit])
    return MemberPage(len(ids), page, as_of, "inactive" if inactive_days is not None else "newest")
