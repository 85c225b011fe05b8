"""Team notices: a short note to the team's own channel when something needs a moderator soon: a new
high-severity moderation item (its signal's severity in the moderation rules), an alert, an appeal.

A notice is an outbox row on the "staff" channel, approved and due at once (rule "team-notice", key
"notice:<kind>:<subject>", so the same event never posts twice); the delivery layer routes staff notes
to the team (docs/delivery.md: a Matrix `staff_room`, a Slack or Discord `staff_webhook_url`, or the
e-mail `staff_to`). It names the event (signal, score, item number, link), never the message's text
unless the community opts in (setting notify.include_text), and never a member's name. At most
notify.per_hour notices an hour: one over the limit is recorded as skipped ("rate_limited"), and the
next notice that goes out says how many were held back. Nothing happens unless notify.enabled.

For other areas (the queue's appeals):

    notify_team(conn, community, "appeal", subject="appeal:12", summary="An appeal on item 34 (toxic)",
                now=now, text=None, link="/c/1/moderation#item-34") -> int | None
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tending.actions.moderation_rules import get_rules
from tending.actions.outbox import do_draft_message, do_record_skipped
from tending.errors import UsageError
from tending.lib.settings import get_setting
from tending.models import Community
from tending.moderation.rules import Rules
from tending.store import moderation_rules as rules_store
from tending.store.communities import do_update_community_settings
from tending.store.notices import get_notices_since
from tending.store.outbox import SKIPPED, STAFF

NOTICE_RULE = "team-notice"
KINDS = ("item", "alert", "appeal", "test")
WINDOW = timedelta(hours=1)
TEXT_CHARS = 300
SHOWN_ITEMS = 3  # a scan's notice lists at most this many items, then counts the rest


def notify_team(
    conn: Connection,
    community: Community,
    kind: str,
    *,
    subject: str,
    summary: str,
    now: datetime,
    text: str | None = None,
    link: str | None = None,
) -> int | None:
    """Post a notice to the team's channel: the outbox row's id, or None when notices are off, the
    same notice was posted already, or the hour's limit was reached (recorded as skipped)."""
    if kind not in KINDS:
        raise ValueError(f"notice kind {kind!r} is not one of {', '.join(KINDS)}")
    if not get_setting(community.settings, "notify.enabled"):
        return None
    key = f"notice:{kind}:{subject}"[:200]
    recent = get_notices_since(conn, community.id, rule=NOTICE_RULE, since=now - WINDOW)
    posted = [status for _at, status in recent if status != SKIPPED]
    if len(posted) >= get_setting(community.settings, "notify.per_hour"):
        do_record_skipped(
            conn,
            community,
            member_ids=[],
            rule=NOTICE_RULE,
            channel=STAFF,
            due_at=now,
            key=key,
            reason="rate_limited",
            body=summary,
        )
        return None
    lines = [summary]
    if text and get_setting(community.settings, "notify.include_text"):
        lines.append("> " + " ".join(text.split())[:TEXT_CHARS])
    if link:
        lines.append(get_setting(community.settings, "notify.dashboard_url").rstrip("/") + link)
    held = _held_back(conn, community, now)
    if held:
        lines.append(
            f"({held} more notice{'s' if held > 1 else ''} held back by the hourly limit.)"
        )
    return do_draft_message(
        conn,
        community,
        member_ids=[],
        rule=NOTICE_RULE,
        channel=STAFF,
        due_at=now,
        key=key,
        body="\n".join(lines),
        subject=f"[{community.name}] {summary}"[:200],
        approved=True,
    )


def _held_back(conn: Connection, community: Community, now: datetime) -> int:
    """Notices skipped by the limit since the last one that went out (within a day)."""
    held = 0
    for _at, status in get_notices_since(
        conn, community.id, rule=NOTICE_RULE, since=now - timedelta(days=1)
    ):
        held = held + 1 if status == SKIPPED else 0
    return held


def notify_new_items(
    conn: Connection, community: Community, *, now: datetime, rules: Rules | None = None
) -> int | None:
    """After a scan (its items were created at `now`): one notice for the new items whose signal is of
    high severity in the rules in force."""
    if not get_setting(community.settings, "notify.enabled"):
        return None
    rules = rules or get_rules(conn, community)
    high = [name for name, rule in rules.signals.items() if rule.severity == "high"]
    items = rules_store.get_items_created(conn, community.id, at=now, signals=high)
    if not items:
        return None
    link = f"/c/{community.id}/moderation"
    if len(items) == 1:
        item = items[0]
        return notify_team(
            conn,
            community,
            "item",
            subject=f"item:{item['id']}",
            summary=f"New {item['signal']} item #{item['id']} to review (score {item['score']:.2f}).",
            now=now,
            text=(item["evidence"] or {}).get("text")
            if isinstance(item["evidence"], dict)
            else None,
            link=f"{link}#item-{item['id']}",
        )
    counts = Counter(i["signal"] for i in items)
    shown = ", ".join(f"#{i['id']}" for i in items[:SHOWN_ITEMS])
    more = f" and {len(items) - SHOWN_ITEMS} more" if len(items) > SHOWN_ITEMS else ""
    return notify_team(
        conn,
        community,
        "item",
        subject=f"scan:{items[0]['id']}-{items[-1]['id']}",
        summary=f"{len(items)} new high-severity items to review ("
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + f"): {shown}{more}.",
        now=now,
        link=link,
    )


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    enabled: bool
    include_text: bool
    per_hour: int
    dashboard_url: str


def get_notice_settings(community: Community) -> NoticeSettings:
    s = community.settings
    return NoticeSettings(
        get_setting(s, "notify.enabled"),
        get_setting(s, "notify.include_text"),
        get_setting(s, "notify.per_hour"),
        get_setting(s, "notify.dashboard_url"),
    )


def do_set_notice_settings(
    conn: Connection,
    community: Community,
    *,
    actor: str,
    enabled: bool | None = None,
    include_text: bool | None = None,
    per_hour: int | None = None,
    dashboard_url: str | None = None,
) -> Community:
    """Change the team notices' settings (those given); audited as a settings change."""
    changes = {
        key: value
        for key, value in (
            ("enabled", enabled),
            ("include_text", include_text),
            ("per_hour", per_hour),
            ("dashboard_url", dashboard_url),
        )
        if value is not None
    }
    if dashboard_url and not dashboard_url.startswith(("https://", "http://")):
        raise UsageError(f"--dashboard-url: '{dashboard_url[:80]}' is not an http(s) address.")
    if not changes:
        return community
    current = dict(community.settings.get("notify") or {})
    return do_update_community_settings(
        conn, community, {"notify": {**current, **changes}}, actor=actor
    )


def do_send_test_notice(conn: Connection, community: Community, *, now: datetime) -> int | None:
    """A notice that says only that notices work (on the staff channel, like the others); the worker
    or `tending outbox send ID` delivers it."""
    return notify_team(
        conn,
        community,
        "test",
        subject=now.isoformat(),
        summary=f"Test notice from tending for {community.name}: team notices reach this channel.",
        now=now,
    )
