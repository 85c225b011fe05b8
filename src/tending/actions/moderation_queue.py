"""The review queue for a team: filtered listings with "N of M", bulk decisions with a preview, claims
(a lease the store checks before any decision), assignment and hand-back, reopening (undo) and appeals,
each member's case file and the moderation log.

Every change here runs in the caller's transaction and writes one audit row per item. A bulk call is
checked whole before anything is written (unknown ids, closed items, items another moderator holds, too
many at once): it refuses with one sentence and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tending.actions.moderation import (
    ActResult,
    appeal_outcome,
    do_act_on_item,
    draft_reply,
    held_by_other,
    held_sentence,
    with_suggestions,
)
from tending.actions.moderation_rules import get_rules
from tending.errors import ConflictError, NotFoundError, UsageError
from tending.models import Community, QueueAppeal, QueueItem
from tending.moderation.escalation import (
    ACTIONS,
    NOT_COUNTED,
    PRIVATE_ACTIONS,
    SIGNALS,
    check_action,
    suggest_action,
)
from tending.store import audit as audit_store
from tending.store import moderation as store
from tending.store.audit import record_event
from tending.store.moderation import DONE, OPEN, SORTS, ItemFilter

MAX_BULK = 2000  # items one call may act on: a larger selection is narrowed or taken in pages
CLAIM_MINUTES = 30  # how long a claim holds by default
ASSIGN_MINUTES = 24 * 60  # an assignment: the assignee's claim, for a day
STATUSES = ("open", "done", "all")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.I)
_UNITS = {"m": 1 / 1440, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "w": 7.0}

__all__ = ["DONE", "OPEN", "SORTS", "ItemFilter"]


def parse_days(text: str, *, field: str) -> float:
    """'2d', '12h', '30m', '1w' -> days; a sentence naming `field` otherwise."""
    found = _DURATION.match(text or "")
    if not found:
        raise UsageError(
            f"{field}: '{text[:20]}' is not a duration (write it like 30m, 12h, 2d or 1w)."
        )
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


def build_filter(
    conn: Connection,
    community: Community,
    *,
    now: datetime,
    status: str = "open",
    signals: tuple[str, ...] = (),
    channels: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    min_score: float | None = None,
    max_score: float | None = None,
    members: tuple[str, ...] = (),
    older_than: str | None = None,
    newer_than: str | None = None,
    account_younger_than: str | None = None,
    claimed_by: str | None = None,
) -> ItemFilter:
    """The listing's filters, by the names the CLI and the web use, checked and resolved to ids."""
    if status not in STATUSES:
        raise UsageError(f"--status: '{status[:20]}' is not one of {', '.join(STATUSES)}.")
    for signal in signals:
        if signal not in SIGNALS:
            raise UsageError(
                f"--signal: '{signal[:30]}' is not a signal (choose from {', '.join(SIGNALS)})."
            )
    for name, value in (("--min-score", min_score), ("--max-score", max_score)):
        if value is not None and not 0 <= value <= 1:
            raise UsageError(f"{name}: a score is between 0 and 1.")
    return ItemFilter(
        status=None if status == "all" else status,
        signals=tuple(signals),
        channel_ids=_channel_ids(conn, community, channels),
        languages=tuple(lang.strip().lower() for lang in languages),
        min_score=min_score,
        max_score=max_score,
        member_ids=_member_ids(conn, community, members),
        occurred_before=now - timedelta(days=parse_days(older_than, field="--older-than"))
        if older_than
        else None,
        occurred_after=now - timedelta(days=parse_days(newer_than, field="--newer-than"))
        if newer_than
        else None,
        account_younger_than_days=parse_days(account_younger_than, field="--account-younger-than")
        if account_younger_than
        else None,
        claimed_by=claimed_by,
        claim_now=now,
    )


def _channel_ids(conn: Connection, community: Community, names: tuple[str, ...]) -> tuple[int, ...]:
    if not names:
        return ()
    found = store.get_channel_ids(conn, community.id, names)
    missing = [n for n in names if n.casefold() not in found]
    if missing:
        raise UsageError(
            f"--channel: the community '{community.name}' has no channel of that name "
            f"({len(missing)} not found); `tending moderate queue --format json` shows channel ids."
        )
    return tuple(sorted({i for ids in found.values() for i in ids}))


def _member_ids(
    conn: Connection, community: Community, members: tuple[str, ...], *, field: str = "--member"
) -> tuple[int, ...]:
    """Members as the members commands name them: the platform's id, PLATFORM:ID, or #N."""
    from tending.store.members import resolve_member

    ids = set()
    for ref in members:
        try:
            ids.add(resolve_member(conn, community, ref).id)
        except UsageError:
            raise UsageError(
                f"{field}: no such member in community '{community.name}' (give the platform's id, "
                "PLATFORM:ID, or #N for tending's number)."
            ) from None
    return tuple(sorted(ids))


def get_case_member(conn: Connection, community: Community, ref: str) -> int:
    """The member a case file is asked for (platform id, PLATFORM:ID or #N), named MEMBER when unknown."""
    (member_id,) = _member_ids(conn, community, (ref,), field="MEMBER")
    return member_id


def get_channel_list(conn: Connection, community: Community) -> list[str]:
    """The channel names the --channel filter knows, sorted."""
    return sorted({n for n in store.get_channel_names(conn, community.id).values() if n})


# -- listing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueListing:
    total: int  # items matching the filter
    offset: int
    items: list[
        QueueItem
    ]  # each with suggested_action, author (a name or None), held_by (a live claim)
    appeals: dict[int, list[QueueAppeal]] = field(default_factory=dict)

    @property
    def shown(self) -> int:
        return len(self.items)


def get_queue_listing(
    conn: Connection,
    community: Community,
    where: ItemFilter,
    *,
    now: datetime,
    sort: str = "newest",
    limit: int = 50,
    offset: int = 0,
) -> QueueListing:
    """One page of the queue matching `where`, and how many match in all."""
    if sort not in SORTS:
        raise UsageError(f"--sort: '{sort[:20]}' is not one of {', '.join(SORTS)}.")
    items = store.find_items(conn, community.id, where, sort=sort, limit=limit, offset=offset)
    total = (
        offset + len(items)
        if len(items) < limit and (items or offset == 0)
        else store.count_matching(conn, community.id, where)
    )
    _annotate(conn, community, items, now=now)
    appeals = store.get_appeals(conn, community.id, [i["id"] for i in items])
    return QueueListing(total, offset, items, appeals)


def _annotate(
    conn: Connection, community: Community, items: list[QueueItem], *, now: datetime
) -> None:
    from tending.store.dashboard import get_member_names

    people = {i["member_id"] for i in items if i["member_id"] is not None}
    names = get_member_names(conn, community.id, sorted(people)) if people else {}
    for item in with_suggestions(conn, community, items):
        item["author"] = names.get(item["member_id"]) if item["member_id"] is not None else None
        live = (
            item["claimed_by"] and item["claimed_until"] is not None and item["claimed_until"] > now
        )
        item["held_by"] = item["claimed_by"] if live else None


def short_evidence(item: QueueItem, *, width: int = 70) -> str:
    """The evidence in one line: the message's start, the week's share, or the exchange's size."""
    evidence = item["evidence"] if isinstance(item["evidence"], dict) else {}
    what = evidence.get("text") or (
        f"week of {evidence['week']}: {evidence['share']:.0%} unlike the community "
        f"(tolerance {evidence['tolerance']:.0%})"
        if "week" in evidence
        else ""
    )
    if item["signal"] == "heated":
        what = (
            f"{len(evidence.get('messages', []))} fast replies between "
            f"{len(evidence.get('members', []))} members"
        )
    what = " ".join(str(what).split())
    return what if len(what) <= width else what[: width - 1] + "…"


def get_suggested_replies(
    conn: Connection, community: Community, wanted: list[tuple[QueueItem, str]]
) -> dict[int, str | None]:
    """get_suggested_reply for many (item, action) pairs, the members and their counts read once:
    item id -> the reply (None: the action drafts none, or the member asked not to be contacted)."""
    people = {mid for item, _action in wanted if (mid := item["member_id"]) is not None}
    members = store.get_member_briefs(conn, community.id, people) if people else {}
    counts = store.get_offender_counts(conn, community.id, people) if people else {}
    found: dict[int, str | None] = {}
    for item, action in wanted:
        mid = item["member_id"]
        member = members.get(mid) if mid is not None else None
        private = action in PRIVATE_ACTIONS and bool(member and member["do_not_contact"])
        found[item["id"]] = (
            None
            if action not in ("nudge", "note", "warn") or private
            else draft_reply(community, item, member, counts.get(mid) if mid else None, action)
        )
    return found


# -- bulk decisions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkPreview:
    """What a bulk decision would do, before doing it."""

    action: str
    item_ids: list[int]
    by_signal: dict[str, int]
    members: int  # distinct members concerned
    replies: int  # replies it would draft (nudge, note, warn)
    counted: int  # findings it would count against their members (escalation)


def _selection(
    conn: Connection,
    community: Community,
    ids: list[int],
    where: ItemFilter | None,
) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    if where is not None:
        wanted += [
            i
            for i in store.find_item_ids(conn, community.id, where, limit=MAX_BULK + 1)
            if i not in set(wanted)
        ]
    if not wanted:
        raise UsageError("ITEM_ID: name at least one item, or a --where filter that matches some.")
    if len(wanted) > MAX_BULK:
        raise UsageError(
            f"ITEM_ID: {len(wanted) if where is None else 'more than ' + str(MAX_BULK)} items at once is too "
            f"many (at most {MAX_BULK}); narrow the selection or act in pages. Nothing was changed."
        )
    return wanted


def _checked_items(
    conn: Connection, community: Community, ids: list[int], *, holder: str | None, now: datetime
) -> dict[int, QueueItem]:
    """The items, each open and free for `holder` (None: claims not checked), or one sentence for all
    that are not."""
    items = store.get_items_by_id(conn, community.id, ids)
    missing = [i for i in ids if i not in items]
    if missing:
        raise NotFoundError(
            f"ITEM_ID: no queue item {_some(missing)} in community '{community.name}'; nothing was changed."
        )
    closed = [i for i in ids if items[i]["status"] != OPEN]
    if closed:
        raise ConflictError(
            f"ITEM_ID: {'item' if len(closed) == 1 else 'items'} {_some(closed)} "
            f"{'is' if len(closed) == 1 else 'are'} already closed (reopen with `tending moderate reopen`); "
            "nothing was changed."
        )
    held = [i for i in ids if holder is not None and held_by_other(items[i], holder, now)]
    if held:
        raise ConflictError(held_sentence(held, items[held[0]]["claimed_until"], community))
    return items


def _some(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown if len(ids) <= 5 else f"{shown} and {len(ids) - 5} more"


def get_bulk_preview(
    conn: Connection,
    community: Community,
    ids: list[int],
    action: str,
    *,
    holder: str,
    now: datetime,
    where: ItemFilter | None = None,
) -> BulkPreview:
    """What `do_act_on_items` would do, checked the same way (it refuses what it would refuse)."""
    check_action(action)
    selection = _selection(conn, community, ids, where)
    items = _checked_items(conn, community, selection, holder=holder, now=now)
    chosen = [items[i] for i in selection]
    by_signal: dict[str, int] = {}
    for item in chosen:
        by_signal[item["signal"]] = by_signal.get(item["signal"], 0) + 1
    return BulkPreview(
        action=action,
        item_ids=selection,
        by_signal=dict(sorted(by_signal.items())),
        members=len({i["member_id"] for i in chosen if i["member_id"]}),
        replies=len(chosen) if action in ("nudge", "note", "warn") else 0,
        counted=0
        if action == "leave"
        else sum(1 for i in chosen if i["member_id"] and i["signal"] not in NOT_COUNTED),
    )


def do_act_on_items(
    conn: Connection,
    community: Community,
    ids: list[int],
    action: str,
    *,
    actor: str,
    holder: str,
    now: datetime,
    where: ItemFilter | None = None,
    note: str | None = None,
) -> list[ActResult]:
    """One decision on many items, in the caller's transaction, one audit row per item; checked whole
    first, so a refusal changes nothing. The same records as do_act_on_item's, in batches: the
    members, their counts and appeals read once, the items without a reply closed by one UPDATE."""
    check_action(action)
    selection = _selection(conn, community, ids, where)
    items = _checked_items(conn, community, selection, holder=holder, now=now)
    if len(selection) == 1 and where is None:  # the single decision, with its own checks again
        return [
            do_act_on_item(
                conn,
                community,
                selection[0],
                action,
                actor=actor,
                holder=holder,
                now=now,
                note=note,
            )
        ]
    people = {mid for i in selection if (mid := items[i]["member_id"]) is not None}
    members = store.get_member_briefs(conn, community.id, people)
    counts = store.get_offender_counts(conn, community.id, people)
    existing = set(counts)
    appeals = store.get_appeals(conn, community.id, selection)
    results, events, plain, touched = [], [], [], set()
    rules = get_rules(conn, community)
    for item_id in selection:
        item = items[item_id]
        mid = item["member_id"]
        member = members.get(mid) if mid is not None else None
        history = counts.get(mid) if mid is not None else None
        suggested = suggest_action(item["signal"], history, rules)
        not_contacted = action in PRIVATE_ACTIONS and bool(member and member["do_not_contact"])
        reply = None
        if action in ("nudge", "note", "warn") and not not_contacted:
            reply = draft_reply(community, item, member, history, action)
        if reply is None:
            plain.append(item_id)
        elif not store.decide_item(
            conn, item_id, action=action, actor=actor, holder=holder, at=now, reply=reply, note=note
        ):
            raise ConflictError(f"ITEM_ID: item {item_id} was decided or claimed meanwhile.")
        if action != "leave" and mid and item["signal"] not in NOT_COUNTED:
            _count(counts, mid, action)
            touched.add(mid)
        events.append(
            _decision_event(community, item, action, actor, now, suggested, not_contacted)
        )
        events += _appeal_events(
            conn, community, item, appeals.get(item_id, []), action, actor, now
        )
        results.append(ActResult(item_id, action, reply, suggested, not_contacted))
    closed = store.decide_items(
        conn, plain, action=action, actor=actor, holder=holder, at=now, note=note
    )
    if closed < len(plain):
        raise ConflictError(
            "ITEM_ID: some items were decided or claimed meanwhile; nothing was changed."
        )
    store.save_offender_counts(
        conn, community.id, {m: counts[m] for m in touched}, existing=existing, at=now
    )
    audit_store.bulk_record_events(conn, events)
    return results


def _count(counts: dict[int, dict[str, int]], member_id: int, action: str) -> None:
    current = counts.setdefault(
        member_id, {"flags": 0, "nudges": 0, "notes": 0, "warnings": 0, "removals": 0}
    )
    current["flags"] += 1
    current[store.OFFENDER_COUNTERS[action]] += 1


def _decision_event(
    community: Community,
    item: QueueItem,
    action: str,
    actor: str,
    now: datetime,
    suggested: str,
    not_contacted: bool,
) -> dict[str, Any]:
    return {
        "community_id": community.id,
        "actor": actor,
        "action": f"moderation.{action}",
        "member_id": item["member_id"],
        "occurred_at": now,
        "details": {
            "item_id": item["id"],
            "signal": item["signal"],
            "suggested": suggested,
            "not_contacted": not_contacted,
            "reply_edited": False,
        },
    }


def _appeal_events(
    conn: Connection,
    community: Community,
    item: QueueItem,
    appeals: list[QueueAppeal],
    action: str,
    actor: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Deciding an appealed item records the appeal's outcome (as do_act_on_item does)."""
    pending = [a for a in appeals if a["outcome"] is None]
    if not pending:
        return []
    appeal = pending[-1]
    outcome = appeal_outcome(appeal["original_action"], action)
    store.decide_appeal(
        conn, appeal["id"], outcome=outcome, decided_action=action, decided_by=actor, decided_at=now
    )
    return [
        {
            "community_id": community.id,
            "actor": actor,
            "action": "moderation.appeal_decided",
            "member_id": item["member_id"],
            "occurred_at": now,
            "details": {
                "item_id": item["id"],
                "appeal_id": appeal["id"],
                "outcome": outcome,
                "original": appeal["original_action"],
                "decided": action,
            },
        }
    ]


# -- claims ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimResult:
    item_ids: list[int]
    holder: str | None
    until: datetime | None


def do_claim_items(
    conn: Connection,
    community: Community,
    ids: list[int],
    *,
    holder: str,
    actor: str,
    now: datetime,
    minutes: int | None = None,
) -> ClaimResult:
    """Claim open items for `holder` (the actor's own claim, or an assignment when they differ): a lease
    others see and the store honours. Refused whole when any is closed or held by someone else than
    the actor or the holder."""
    if not holder.strip():
        raise UsageError("--as: give who holds the claim (an e-mail or a name).")
    selection = _selection(conn, community, ids, None)
    items = _checked_items(conn, community, selection, holder=None, now=now)
    others = [
        i
        for i in selection
        if held_by_other(items[i], actor, now) and held_by_other(items[i], holder, now)
    ]
    if others:
        raise ConflictError(held_sentence(others, items[others[0]]["claimed_until"], community))
    assigned = holder != actor
    until = now + timedelta(minutes=minutes or (ASSIGN_MINUTES if assigned else CLAIM_MINUTES))
    changed = set()
    for free_for in {holder, actor}:
        changed |= store.set_claims(
            conn, community.id, selection, holder=holder, until=until, free_for=free_for, now=now
        )
    if len(changed) < len(selection):  # claimed by someone else between the check and the update
        raise ConflictError(held_sentence(sorted(set(selection) - changed), None, community))
    for item_id in selection:
        record_event(
            conn,
            community.id,
            actor=actor,
            action="moderation.assigned" if assigned else "moderation.claimed",
            member_id=items[item_id]["member_id"],
            at=now,
            details={"item_id": item_id, "holder": holder, "until": until.isoformat()},
        )
    return ClaimResult(selection, holder, until)


def do_release_items(
    conn: Connection,
    community: Community,
    ids: list[int],
    *,
    holder: str,
    actor: str,
    now: datetime,
) -> ClaimResult:
    """Hand items back to the queue: only the holder's own claims (an expired claim needs none)."""
    selection = _selection(conn, community, ids, None)
    items = _checked_items(conn, community, selection, holder=holder, now=now)
    mine = [i for i in selection if items[i]["claimed_by"] == holder]
    store.set_claims(conn, community.id, mine, holder=None, until=None, free_for=holder, now=now)
    for item_id in mine:
        record_event(
            conn,
            community.id,
            actor=actor,
            action="moderation.released",
            member_id=items[item_id]["member_id"],
            at=now,
            details={"item_id": item_id},
        )
    return ClaimResult(mine, None, None)


# -- reopening and appeals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReopenResult:
    item_id: int
    previous_action: str
    appeal_id: int | None = None
    original_reply: str | None = None  # the reply the undone decision drafted (the warning's text)


def _closed_item(conn: Connection, community: Community, item_id: int) -> QueueItem:
    item = store.get_items_by_id(conn, community.id, [item_id]).get(item_id)
    if item is None:
        raise NotFoundError(f"ITEM_ID: no queue item {item_id} in community '{community.name}'.")
    if item["status"] != DONE:
        raise ConflictError(f"ITEM_ID: item {item_id} is open: there is no decision to undo.")
    return item


def decision_of(item: QueueItem) -> tuple[str, datetime]:
    """A closed item's action and when it was taken (a done row always has both)."""
    action, at = item["action"], item["acted_at"]
    if action is None or at is None:
        raise ConflictError(f"ITEM_ID: item {item['id']} records no decision; nothing was changed.")
    return action, at


def _undo(conn: Connection, community: Community, item: QueueItem) -> None:
    if not store.reopen_item(conn, item["id"]):
        raise ConflictError(
            f"ITEM_ID: item {item['id']} was reopened meanwhile; nothing was changed."
        )
    action, _at = decision_of(item)
    if action != "leave" and item["member_id"] and item["signal"] not in NOT_COUNTED:
        store.unbump_offender(conn, community.id, item["member_id"], action=action)


def do_reopen_item(
    conn: Connection,
    community: Community,
    item_id: int,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> ReopenResult:
    """Undo a decision: the item is open again, the finding no longer counts against the member, and
    the decision undone stays in the audit log (moderation.reopened names it)."""
    item = _closed_item(conn, community, item_id)
    _undo(conn, community, item)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="moderation.reopened",
        member_id=item["member_id"],
        at=now,
        details={
            "item_id": item_id,
            "previous_action": item["action"],
            "previous_by": item["acted_by"],
            "reason": (reason or "")[:500] or None,
        },
    )
    return ReopenResult(item_id, decision_of(item)[0])


def do_open_appeal(
    conn: Connection,
    community: Community,
    item_id: int,
    *,
    actor: str,
    now: datetime,
    statement: str | None = None,
) -> ReopenResult:
    """A member disputes a decision: the item reopens with the decision and its reply (the warning's
    text) kept on the appeal; the next decision on the item records the appeal's outcome."""
    item = _closed_item(conn, community, item_id)
    if item["action"] == "leave":
        raise ConflictError(
            f"ITEM_ID: item {item_id} was left alone: there is no decision against the member to appeal."
        )
    appeal_id = store.insert_appeal(
        conn,
        community.id,
        {
            "item_id": item_id,
            "member_id": item["member_id"],
            "statement": (statement or "").strip()[:5000] or None,
            "opened_by": actor,
            "opened_at": now,
            "original_action": item["action"],
            "original_reply": item["reply"],
            "original_by": item["acted_by"],
            "original_at": item["acted_at"],
        },
    )
    _undo(conn, community, item)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="moderation.appealed",
        member_id=item["member_id"],
        at=now,
        details={"item_id": item_id, "appeal_id": appeal_id, "original": item["action"]},
    )
    return ReopenResult(item_id, decision_of(item)[0], appeal_id, item["reply"])


UNDO_WITHIN = timedelta(hours=1)  # a decision older than this is reopened by its id, not "undo"


@dataclass(frozen=True, slots=True)
class LastDecision:
    item_ids: list[int]
    action: str
    at: datetime


def get_last_decision(
    conn: Connection, community: Community, *, actor: str, now: datetime
) -> LastDecision | None:
    """The actor's latest decision of the last hour (one item, or all of a bulk decision)."""
    items = store.get_last_decided(conn, community.id, actor=actor, since=now - UNDO_WITHIN)
    if not items:
        return None
    action, at = decision_of(items[0])
    return LastDecision([i["id"] for i in items], action, at)


def do_undo_last_decision(
    conn: Connection, community: Community, *, actor: str, now: datetime
) -> LastDecision:
    """Reopen every item of the actor's latest decision (one audit row each)."""
    last = get_last_decision(conn, community, actor=actor, now=now)
    if last is None:
        raise ConflictError("there is no decision of yours from the last hour to undo.")
    for item_id in last.item_ids:
        do_reopen_item(conn, community, item_id, actor=actor, now=now, reason="undo")
    return last


# -- the moderation log and the case file ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    at: datetime
    actor: str
    action: str  # without the "moderation." prefix
    item_id: int | None
    member_id: int | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LogPage:
    total: int
    offset: int
    entries: list[LogEntry]


LOG_ACTIONS = (
    *ACTIONS,
    "claimed",
    "assigned",
    "released",
    "reopened",
    "appealed",
    "appeal_decided",
    "scanned",
)


def get_moderation_log(
    conn: Connection,
    community: Community,
    *,
    actor: str | None = None,
    actions: tuple[str, ...] = (),
    item_id: int | None = None,
    member_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LogPage:
    """Who did what, when, to which item: the moderation events of the audit log, newest first."""
    for action in actions:
        if action not in LOG_ACTIONS:
            raise UsageError(
                f"--action: '{action[:20]}' is not a moderation event (choose from {', '.join(LOG_ACTIONS)})."
            )
    query = audit_store.EventQuery(
        prefix="moderation.",
        actions=tuple(f"moderation.{a}" for a in actions),
        actor=actor,
        item_id=item_id,
        member_id=member_id,
        since=since,
        until=until,
    )
    rows = audit_store.find_events(conn, community.id, query, limit=limit, offset=offset)
    total = audit_store.count_events(conn, community.id, query)
    return LogPage(total, offset, [_entry(row) for row in rows])


def _entry(row: dict[str, Any]) -> LogEntry:
    details = row["details"] if isinstance(row["details"], dict) else {}
    item_id = details.get("item_id")
    return LogEntry(
        id=row["id"],
        at=row["occurred_at"],
        actor=row["actor"],
        action=row["action"].removeprefix("moderation."),
        item_id=int(item_id) if isinstance(item_id, int) else None,
        member_id=row["member_id"],
        details=details,
    )


@dataclass(frozen=True, slots=True)
class CaseEntry:
    at: datetime
    kind: str  # finding, or the audit action (moderation.warn, outbox.sent, checkin..., member...)
    actor: str | None
    item_id: int | None
    summary: str  # short, no message text: the signal, the action, the rule


@dataclass(frozen=True, slots=True)
class CaseFile:
    member_id: int
    entries: list[CaseEntry]  # newest first
    open_items: int
    offender: dict[str, int]
    total: int  # entries in the whole file
    offset: int  # entries before the first shown


def get_case_file(
    conn: Connection, community: Community, member_id: int, *, limit: int = 500, offset: int = 0
) -> CaseFile:
    """One member's moderation story across the platforms merged into them: every finding, decision,
    warning, note, reopening and appeal, message drafted or sent, and check-in, newest first; the
    `limit` entries after the newest `offset`."""
    findings = store.get_member_items(conn, community.id, member_id)
    events = audit_store.get_events(conn, community.id, member_id=member_id, limit=offset + limit)
    counted = audit_store.count_events(
        conn, community.id, audit_store.EventQuery(member_id=member_id)
    )
    entries = [
        CaseEntry(
            i["occurred_at"], "finding", None, i["id"], f"{i['signal']} (score {i['score']:.2f})"
        )
        for i in findings
    ]
    for event in events:
        details = event["details"] if isinstance(event["details"], dict) else {}
        entries.append(
            CaseEntry(
                event["occurred_at"],
                event["action"],
                event["actor"],
                details.get("item_id") if isinstance(details.get("item_id"), int) else None,
                _event_summary(event["action"], details),
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    counts = store.get_offender_counts(conn, community.id, [member_id]).get(member_id) or {}
    return CaseFile(
        member_id,
        entries[offset : offset + limit],
        sum(1 for i in findings if i["status"] == OPEN),
        counts,
        len(findings) + counted,
        offset,
    )


def _event_summary(action: str, details: dict[str, Any]) -> str:
    parts = [action]
    for key in ("signal", "rule", "channel", "previous_action", "original", "outcome", "reason"):
        value = details.get(key)
        if isinstance(value, str) and value:
            parts.append(f"{key}={value}")
    return " ".join(parts)
