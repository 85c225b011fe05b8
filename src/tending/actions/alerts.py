"""Scoring recent messages and raising early-warning alerts: the state changes of the health area.

do_score_messages(conn, community, *, since, until, limit) scores contributions with text not yet scored
(sentiment, toxicity and complaints from tending.moderation's shipped models). It is bounded by
`limit` per run so a huge backlog never stalls a command; the newest messages go first.

do_raise_alerts(conn, community, *, as_of, deliver) evaluates lib/alerts.py over the history ending at
as_of, stores new alerts (unique by dedupe key "<kind>:<subject>:<UTC day>", at most
`alerts.per_kind_per_day` per kind and day), audits each, and with deliver=True drafts a message to every
staff member through the onboarding outbox when it is installed:

    tending.actions.do_draft_message(conn, community, *, member_ids, rule, channel, body, due_at, key,
                                            subject=None, approved=False, actor="system") -> int | None

with rule "health-alert" and approved=True (alerts go out without review): by default one note per alert
on the outbox's "staff" channel (key "alert:<alert id>", member_ids = the members concerned, e.g. the
people in a heated thread; delivery routes staff notes to the team), or, when the community setting
`alerts.channel` names a personal channel ("email", "private"), one message per staff member who is not
do-not-contact (key "alert:<alert id>:<member id>"). The keys make a second run harmless. Without the
outbox, alerts are only stored (`tending alerts` lists them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tending.actions.notices import notify_team
from tending.actions.outbox import do_draft_message
from tending.errors import TendingError
from tending.lib.alerts import (
    AlertCandidate,
    AlertSettings,
    evaluate,
    negative_mentions_alert,
    summary_in,
)
from tending.lib.listening import daily_counts
from tending.lib.settings import get_setting
from tending.models import Alert, AlertDetails, AlertsRun, Community, RaisedAlert
from tending.moderation import drift
from tending.moderation.classifier import Classifier, shipped_classifier
from tending.store import alerts as alert_store
from tending.store import health as health_store
from tending.store import listening as listening_store
from tending.store import moderation as moderation_store
from tending.store.audit import record_event
from tending.store.outbox import STAFF
from tending.texts import T_, translate
from tending.timeutil import (
    MICROS_PER_DAY,
    ensure_utc,
    from_micros,
    isoformat_utc,
    to_micros,
    utcnow,
)

SCORE_LIMIT = 5000
ALERT_RULE = "health-alert"


def _toxicity_model() -> Classifier | None:
    """The moderation area's shipped classifier; None when no model is shipped (toxicity stays unknown)."""
    try:
        return shipped_classifier()
    except (
        TendingError
    ):  # no model file, or a file that is not a model: say nothing rather than guess
        return None


def _offtopic_profile(conn: Connection, community: Community) -> Any | None:
    """The moderation area's off-topic profile of the community (a TF-IDF centroid of its own
    contributions), when the community has enough text; else None."""
    sample = [t for t in moderation_store.sample_texts(conn, community.id, limit=20_000) if t]
    return drift.Profile(sample) if len(sample) >= drift.MIN_WEEKLY else None


def _off_topic(profile: Any | None, texts: list[str | None]) -> list[bool | None]:
    if profile is None:
        return [None] * len(texts)
    present = [i for i, t in enumerate(texts) if t and t.strip()]
    flags: list[bool | None] = [None] * len(texts)
    if present:
        similarity = profile.similarity([texts[i] for i in present])
        for i, value in zip(present, similarity, strict=True):
            flags[i] = bool(value < profile.cutoff)
    return flags


def _spam_threads(conn: Connection, community: Community, thread_ids: list[int]) -> set[int]:
    """Threads whose first post has an open spam finding: the unanswered backlog leaves them out."""
    return moderation_store.get_threads_with_open_findings(
        conn, community.id, signal="spam", thread_ids=thread_ids
    )


def _flags_of(extra: Any) -> int:
    if isinstance(extra, dict):
        for key in ("flags", "flag_count"):
            value = extra.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(value, 0)
    return 0


def do_score_messages(
    conn: Connection,
    community: Community,
    *,
    since: datetime,
    until: datetime,
    limit: int = SCORE_LIMIT,
    actor: str = "system",
) -> int:
    """Score up to `limit` unscored contributions in (since, until]. Returns how many were scored.

    Sentiment comes from the moderation area's models (tending.moderation.sentiment): `sentiment` is
    P(positive) - P(negative) in [-1, 1], and `negative` means the model calls the message negative
    with confidence (P(negative) at its confident cut), so alerts quote only those."""
    rows = health_store.unscored_messages(conn, community.id, since=since, until=until, limit=limit)
    if not rows:
        return 0
    model = _toxicity_model()
    if model is None:
        raise TendingError(
            "the moderation models are not installed: messages cannot be scored; "
            "run tending train --data ../shared/data --out src/tending/moderation/models."
        )
    classified = model.classify(
        [r["id"] for r in rows],
        [r["text"] for r in rows],
        [r["language"] or community.language for r in rows],
    )
    scorer = "sentiment-model+moderation"
    off_topic = _off_topic(_offtopic_profile(conn, community), [r["text"] for r in rows])
    if any(flag is not None for flag in off_topic):
        scorer += "+drift"
    scores = []
    for row, reading, is_off_topic in zip(rows, classified, off_topic, strict=True):
        extra = row["extra"]
        if isinstance(extra, str):
            extra = json.loads(extra)
        scores.append(
            {
                "activity_id": row["id"],
                "community_id": community.id,
                "occurred_at": from_micros(int(row["occurred_at"])),
                "thread_id": row["thread_id"],
                "member_id": row["member_id"],
                "sentiment": reading.mood_score,
                "negative": reading.confident_negative,
                "toxic": "toxic" in reading.labels,
                "off_topic": is_off_topic,
                "flags": _flags_of(extra),
                "scorer": scorer,
            }
        )
    health_store.insert_scores(conn, scores)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="health.messages_scored",
        details={"count": len(scores), "scorer": scorer},
    )
    return len(scores)


def get_alert_candidates(
    conn: Connection, community: Community, *, as_of: datetime, settings: AlertSettings
) -> list[AlertCandidate]:
    days = settings.history_days + 1
    series = health_store.daily_slices(conn, community.id, as_of=as_of, days=days)
    today = health_store.recent_messages(
        conn, community.id, since=as_of - timedelta(days=1), until=as_of
    )
    end = to_micros(as_of)
    history_start = end - (days + settings.backlog_days) * MICROS_PER_DAY
    starts = [
        (t.thread_id, t.started_at, t.first_response_at)
        for t in health_store.threads_started(conn, community.id, history_start, end, until=end)
    ]
    spam = _spam_threads(
        conn, community, [tid for tid, _at, first in starts if first is None or first > end]
    )
    starts = [s for s in starts if s[0] not in spam]  # an unanswered spam thread is no one waiting
    found = evaluate(series=series, today=today, starts=starts, as_of=end, s=settings)
    outside = _negative_mentions(conn, community, as_of=as_of, settings=settings)
    return found + ([outside] if outside else [])


def _negative_mentions(
    conn: Connection, community: Community, *, as_of: datetime, settings: AlertSettings
) -> AlertCandidate | None:
    """A rise of negative mentions outside (tending listen), over the days the community listened."""
    since = listening_store.listening_since(conn, community.id)
    if since is None or since >= as_of:
        return None
    days = min(settings.history_days + 1, int((as_of - since).total_seconds() // 86_400) + 1)
    heard = listening_store.negative_mentions(
        conn, community.id, start=as_of - timedelta(days=days), end=as_of
    )
    series = daily_counts([at for _, at in heard], end=as_of, days=days)
    today = [mid for mid, at in heard if at > as_of - timedelta(days=1)]
    return negative_mentions_alert(series, today, settings)


def do_raise_alerts(
    conn: Connection,
    community: Community,
    *,
    as_of: datetime,
    deliver: bool = False,
    score: bool = True,
    now: datetime | None = None,
    actor: str = "system",
) -> AlertsRun:
    """Evaluate, store and (optionally) deliver the alerts as of `as_of`. Returns what happened."""
    as_of = ensure_utc(as_of)
    now = now or utcnow()
    settings = AlertSettings.from_settings(community.settings)
    scored = 0
    if score:
        scored = do_score_messages(
            conn,
            community,
            since=as_of - timedelta(days=settings.history_days + 1),
            until=as_of,
            actor=actor,
        )
    day = to_micros(as_of) // MICROS_PER_DAY
    day_label = as_of.date().isoformat()
    raised: list[RaisedAlert] = []
    duplicates = limited = 0
    for candidate in get_alert_candidates(conn, community, as_of=as_of, settings=settings):
        key = f"{candidate.kind}:{candidate.subject}:{day_label}"
        if alert_store.alert_exists(conn, community.id, key):
            duplicates += 1
            continue
        if (
            alert_store.count_alerts_on_day(conn, community.id, candidate.kind, day)
            >= settings.per_kind_per_day
        ):
            limited += 1
            continue
        details: AlertDetails = {
            "threads": candidate.thread_ids,
            "messages": candidate.message_ids,
            "figures": candidate.figures,
        }
        titles = health_store.thread_titles(conn, community.id, candidate.thread_ids[:5])
        alert_id = alert_store.insert_alert(
            conn,
            community.id,
            kind=candidate.kind,
            dedupe_key=key,
            day=day,
            as_of=as_of,
            created_at=now,
            severity=candidate.severity,
            summary=candidate.summary,
            details=details,
        )
        record_event(
            conn,
            community.id,
            actor=actor,
            action="alert.raised",
            at=now,
            details={"alert_id": alert_id, "kind": candidate.kind, "key": key},
        )
        raised.append(
            {
                "id": alert_id,
                "key": key,
                "as_of": isoformat_utc(as_of),
                "kind": candidate.kind,
                "subject": candidate.subject,
                "severity": candidate.severity,
                "summary": candidate.summary,
                "thread_ids": candidate.thread_ids,
                "message_ids": candidate.message_ids,
                "figures": candidate.figures,
                "titles": {str(k): v for k, v in titles.items()},
            }
        )
    delivered = _deliver(conn, community, raised, now=now, actor=actor) if deliver and raised else 0
    _notify(conn, community, raised, now=now, drafted_to_staff=deliver)
    return {
        "as_of": isoformat_utc(as_of),
        "scored": scored,
        "raised": raised,
        "duplicates": duplicates,
        "rate_limited": limited,
        "drafted": delivered,
    }


def _deliver(
    conn: Connection,
    community: Community,
    raised: list[RaisedAlert],
    *,
    now: datetime,
    actor: str,
) -> int:
    """Draft the alerts in the onboarding outbox: one staff note per alert (the delivery settings route
    staff notes to the team's e-mail, room or webhook), or, when `alerts.channel` names a personal
    channel, one message per staff member. Returns how many drafts were made."""
    staff_channel = STAFF
    channel = get_setting(community.settings, "alerts.channel") or staff_channel
    drafted = 0
    for alert in raised:
        common: dict[str, Any] = {
            "rule": ALERT_RULE,
            "channel": channel,
            "body": _body(alert, community.language),
            "due_at": now,
            "approved": True,
            "subject": f"[{community.name}] {_summary(alert, community.language)[:120]}",
            "actor": actor,
        }
        if channel == staff_channel:
            # a note about the members concerned (for a heated thread, the people in it); never sent to them
            concerned = [int(m) for m in alert["figures"].get("members", [])]
            made = do_draft_message(
                conn, community, member_ids=concerned, key=f"alert:{alert['id']}", **common
            )
            drafted += made is not None
        else:
            for member_id in health_store.staff_members(conn, community.id):
                made = do_draft_message(
                    conn,
                    community,
                    member_ids=[member_id],
                    key=f"alert:{alert['id']}:{member_id}",
                    **common,
                )
                drafted += made is not None
        alert_store.mark_alert_delivered(conn, alert["id"], at=now)
    return drafted


def _notify(
    conn: Connection,
    community: Community,
    raised: list[RaisedAlert],
    *,
    now: datetime,
    drafted_to_staff: bool,
) -> None:
    """A team notice per alert (actions.notices), unless the alert itself was just drafted on the staff
    channel (the team would read it twice)."""
    if drafted_to_staff and (get_setting(community.settings, "alerts.channel") or STAFF) == STAFF:
        return
    for alert in raised:
        notify_team(
            conn,
            community,
            "alert",
            subject=f"alert:{alert['id']}",
            summary=translate(
                T_("Alert: %(summary)s"),
                community.language,
                summary=_summary(alert, community.language),
            )[:300],
            now=now,
            link=f"/c/{community.id}/overview",
        )


def _summary(alert: RaisedAlert, language: str) -> str:
    return summary_in(alert["kind"], alert["figures"], alert["summary"], language)


def _body(alert: RaisedAlert, language: str = "en") -> str:
    """The staff note of an alert, in the community's language."""
    lines = [_summary(alert, language), ""]
    for tid in alert["thread_ids"][:10]:
        title = alert["titles"].get(str(tid))
        said = T_("- thread %(id)s: %(title)s") if title else T_("- thread %(id)s")
        lines.append(translate(said, language, id=tid, title=title))
    if alert["message_ids"]:
        shown = ", ".join(str(m) for m in alert["message_ids"][:20])
        lines.append(translate(T_("Messages: %(ids)s"), language, ids=shown))
    if alert["figures"].get("mentions"):
        shown = ", ".join(str(m) for m in alert["figures"]["mentions"][:20])
        said = T_("Mentions: %(ids)s (tending mentions --sentiment negative)")
        lines.append(translate(said, language, ids=shown))
    lines.append(f"(tending alert {alert['key']})")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class AlertsPage:
    total: int
    alerts: list[Alert]


def get_alerts_page(
    conn: Connection, community: Community, *, limit: int, offset: int
) -> AlertsPage:
    """The alerts raised so far, the latest first."""
    return AlertsPage(
        alert_store.count_alerts(conn, community.id),
        alert_store.get_alerts(conn, community.id, limit=limit, offset=offset),
    )
