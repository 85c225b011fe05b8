"""Domain records: plain dataclasses, no I/O.

Importers produce the *Record types (what an export says, keyed by the platform's own ids); the store
turns them into rows keyed by tending's ids and gives back Community, Member, MemberStats and Activity.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired

from typing_extensions import (
    TypedDict,  # pydantic (the JSON API) reads these; it needs this one on 3.11
)

# Dashboard users: their roles, from least to most allowed, and the languages of the interface.
ROLES = ("viewer", "moderator", "admin")
LANGUAGES = ("en", "fr")

# Kinds of activity. A contribution is a post (a thread's first message), a reply or a comment;
# reactions are engagement, not contributions (a community setting may count them).
JOINED = "joined"
LEFT = "left"
POST = "post"
REPLY = "reply"
COMMENT = "comment"
REACTION = "reaction"
MESSAGE_SENT = "message_sent"  # a message tending delivered to the member (appears in the timeline)
ACTIVITY_KINDS = (JOINED, LEFT, POST, REPLY, COMMENT, REACTION, MESSAGE_SENT)
CONTRIBUTION_KINDS = frozenset({POST, REPLY, COMMENT})


@dataclass(frozen=True, slots=True)
class Community:
    id: int
    name: str
    platform: str
    timezone: str = "UTC"
    language: str = "en"
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class MemberRecord:
    """A member as an export describes them. external_id is the platform's stable id for the person."""

    source: str
    external_id: str
    display_name: str | None = None
    handle: str | None = None
    joined_at: datetime | None = None
    left_at: datetime | None = None
    language: str | None = None
    is_staff: bool = False
    is_bot: bool = False
    email: str | None = None


@dataclass(slots=True)
class ChannelRecord:
    source: str
    external_id: str
    name: str | None = None


@dataclass(slots=True)
class ThreadRecord:
    source: str
    external_id: str
    channel_external_id: str | None = None
    title: str | None = None
    started_by_external_id: str | None = None
    started_at: datetime | None = None


@dataclass(slots=True)
class ActivityRecord:
    """One thing a member did, as the export says it. (source, source_id) is unique: re-importing it is a no-op."""

    source: str
    source_id: str
    member_external_id: str
    kind: str
    occurred_at: datetime
    thread_external_id: str | None = None
    parent_source_id: str | None = None
    channel_external_id: str | None = None
    text: str | None = None
    url: str | None = None
    language: str | None = None
    member_name: str | None = None  # lets the store create a member the export never listed
    extra: dict[str, Any] | None = None


@dataclass(slots=True)
class ActivityEdit:
    """A message edited on the platform after it was stored (a live connector saw it): its text now.
    The store updates the text of the activity it names, if it holds it with a text (one whose text was
    removed, by retention or an erasure, stays without)."""

    source: str
    source_id: str
    text: str | None
    edited_at: datetime | None = None


@dataclass(slots=True)
class ActivityDeletion:
    """A message deleted on the platform after it was stored: the store removes the activity (and the
    reactions to it) as an import of the platform now would not have it, and records the deletion, so no
    later import or sync brings it back."""

    source: str
    source_id: str
    deleted_at: datetime | None = None


ImportRecord = (
    MemberRecord | ChannelRecord | ThreadRecord | ActivityRecord | ActivityEdit | ActivityDeletion
)


@dataclass(slots=True)
class ActivityRows:
    """A batch's activities as plain tuples, the fields of ActivityRecord in its order, `occurred_at` as
    UTC microseconds and `extra` as JSON text (importers/packed.py): how a parsed batch travels from
    the parsing process to the writing one, and what the store writes from. Building and pickling a
    dataclass and an aware datetime per activity cost the parsing process more than the parse itself."""

    rows: list[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.rows)


Batch = list[ImportRecord | ActivityRows]  # what an import hands the store at a time


@dataclass(slots=True)
class Member:
    id: int
    community_id: int
    platform: str
    external_id: str
    display_name: str | None
    handle: str | None
    joined_at: datetime | None
    joined_at_exact: bool
    left_at: datetime | None
    language: str | None
    is_staff: bool
    is_bot: bool
    do_not_contact: bool
    notes: str | None
    merged_into: int | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MemberStats:
    """Per-member rollup, kept exact by the store at write time."""

    member_id: int
    first_activity_at: datetime | None
    last_activity_at: datetime | None
    first_contribution_at: datetime | None
    last_contribution_at: datetime | None
    contributions: int
    posts: int
    replies: int
    comments: int
    reactions: int


@dataclass(slots=True)
class Activity:
    id: int
    community_id: int
    member_id: int
    kind: str
    occurred_at: datetime
    thread_id: int | None
    parent_id: int | None
    channel_id: int | None
    text: str | None
    url: str | None
    language: str | None
    source: str
    source_id: str


# What the demo holds, in figures: the generator's own count, or the store's (tending.store.demo).
@dataclass
class DemoSummary:
    community_id: int
    community_name: str
    seed: int
    members: int
    staff: int
    bots: int
    activities: dict[str, int]  # by kind
    threads: int
    # threads whose first message got no reply or comment from anyone but its starter (bots do not count)
    unanswered_threads: int
    never_contributed: int  # members with no post, reply or comment
    first_at: datetime | None
    last_at: datetime | None
    truth: dict[str, int] = field(default_factory=dict)  # activities by extra["demo_truth"] label
    queued: dict[str, int] = field(
        default_factory=dict
    )  # review-queue items by signal, from the build's scan

    @property
    def never_contributed_share(self) -> float:
        return self.never_contributed / self.members if self.members else 0.0

    @property
    def total_activities(self) -> int:
        return sum(self.activities.values())


# What the playbooks' engine reads (tending.playbooks), loaded by the store (tending.store.onboarding).
@dataclass(frozen=True, slots=True)
class MemberSnapshot:
    """One member as the rules see them: identity, dates, rollups, tags, last contact. Read by the store."""

    id: int
    external_id: str
    display_name: str | None
    handle: str | None
    platform: str
    language: str | None
    joined_at: datetime | None
    left_at: datetime | None
    is_staff: bool = False
    is_bot: bool = False
    do_not_contact: bool = False
    merged: bool = False
    tags: frozenset[str] = frozenset()
    first_activity_at: datetime | None = None
    last_activity_at: datetime | None = None
    first_contribution_at: datetime | None = None
    last_contribution_at: datetime | None = None
    contributions: int = 0
    last_contacted_at: datetime | None = None
    # instants the member came back after at least N days away, by N (only for rules that need it)
    returns: dict[int, tuple[datetime, ...]] = field(default_factory=dict)
    first_seen_at: datetime | None = (
        None  # when tending first saw the member (the join date's fallback)
    )
    # the lifecycle state as of the run, by the members capability with the community's settings (set by
    # tending.actions.onboarding when a rule asks for it); "" when the member has none (not joined yet)
    state: str | None = None

    @property
    def name(self) -> str:
        return self.display_name or self.handle or self.external_id

    def has_left(self, now: datetime) -> bool:
        return self.left_at is not None and self.left_at <= now

    def contactable(self, now: datetime) -> bool:
        """Whether any rule may concern this member at all: do-not-contact is always honoured, members
        who left get nothing, bots and merged duplicates are not people to write to."""
        return not (self.do_not_contact or self.is_bot or self.merged or self.has_left(now))


@dataclass(frozen=True, slots=True)
class Window:
    """Members the store must load for a rule: those whose `field` lies in [lo, hi].

    field is a member date (joined_at, last_activity_at, first_contribution_at), or "returns:N" for
    members who came back after N days away within [lo, hi].
    """

    field: str
    lo: datetime
    hi: datetime


# -- the health report (store.health.get_health_report; every key is defined in docs/health.md) ----------
# TypedDicts, not dataclasses: the report is the JSON `tending health --format json` and /api/v1 print,
# key for key, and a typed dict keeps it that while the checker sees every key across the seam.


class FirstResponse(TypedDict):
    median: float | None
    mean: float | None
    answered: int


class SegmentShare(TypedDict):
    count: int
    share: float | None
    reference: float


class SegmentShares(TypedDict):
    lurkers: SegmentShare
    occasional: SegmentShare
    core: SegmentShare


class RetentionCohort(TypedDict):
    cohort: str
    members: int
    months: list[float | None]


class FunnelShares(TypedDict):
    joined: float | None
    first_contribution: float | None
    regular: float | None
    core: float | None


class Funnel(TypedDict):
    cohorts: list[str]
    joined: int
    first_contribution: int
    regular: int
    core: int
    shares: FunnelShares


class TrendDay(TypedDict):
    day: str
    messages: int
    sentiment_mean: float | None
    negative_share: float | None
    toxic_share: float | None
    off_topic_share: float | None
    flags: int


class OutsideWeek(TypedDict):
    week_end: str
    mentions: int
    negative_share: float | None


class OutsideReport(TypedDict):
    """The health report's "outside": mentions heard elsewhere (lib.listening.outside_figures)."""

    mentions: int
    by_source: dict[str, int]
    negative: int
    negative_share: float | None
    negative_share_previous: float | None
    negative_share_trend: float | None
    weekly: list[OutsideWeek]
    answered_share: float | None
    negative_answered: int
    median_hours_to_answer_negative: float | None


class HealthMemberCounts(TypedDict):
    members_total: int
    new_members: int
    members_left: int


class HealthReport(HealthMemberCounts):
    community: str
    as_of: str
    window_days: int
    window_start: str
    active_contributors: int
    contributions: int
    daily_contributors_mean: float | None
    daily_to_monthly_contributors: float | None
    reads: int | None
    activation_rate_7d: float | None
    activation_cohort_7d: int
    activation_rate_30d: float | None
    activation_cohort_30d: int
    threads_started: int
    time_to_first_response_hours: FirstResponse
    unanswered_threads: int
    member_started_threads_share: float | None
    gini: float | None
    segments: SegmentShares
    retention: list[RetentionCohort]
    funnel: Funnel
    trends: list[TrendDay]
    outside: OutsideReport


# -- alerts (store.alerts, actions.alerts) ----------------------------------------------------------------


class AlertDetails(TypedDict):
    threads: list[int]
    messages: list[int]
    figures: dict[str, Any]  # the figures behind an alert, which differ by kind (docs/health.md)


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as stored: raised once per kind, subject and day."""

    id: int
    kind: str
    dedupe_key: str
    day: int
    as_of: datetime
    created_at: datetime
    severity: str  # "warning" or "critical"
    summary: str
    details: AlertDetails
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class BriefMessage:
    """A message named as an alert's evidence: author, instant, kind, text, thread title."""

    id: int
    member_id: int | None
    kind: str
    occurred_at: datetime
    text: str | None
    thread_title: str | None
    name: str


@dataclass(frozen=True, slots=True)
class OverviewAlert(Alert):
    """An alert as the overview shows it, with its first threads' titles and its messages."""

    threads: list[tuple[int, str | None]]
    messages: list[BriefMessage]


class RaisedAlert(TypedDict):
    """One alert raised by a run of `tending alerts` (its JSON, key for key)."""

    id: int
    key: str
    as_of: str
    kind: str
    subject: str
    severity: str
    summary: str
    thread_ids: list[int]
    message_ids: list[int]
    figures: dict[str, Any]
    titles: dict[str, str | None]


class AlertsRun(TypedDict):
    """What a run of `tending alerts` did (`--format json`)."""

    as_of: str
    scored: int
    raised: list[RaisedAlert]
    duplicates: int
    rate_limited: int
    drafted: int


@dataclass(frozen=True, slots=True)
class ImportLogEntry:
    """One import in the import log (`tending imports`): its source, hash, counts, duration, status."""

    id: int
    community_id: int
    kind: str
    source_path: str
    file_hash: str | None
    status: str  # "running", "ok" or "failed"
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    counts: (
        dict[str, Any] | None
    )  # the import summary's counts, as `tending import --format json` prints
    error: str | None  # in English, as logs and JSON read it
    error_text: dict[str, Any] | None = (
        None  # the same, to render in a reader's language (errors.error_in)
    )


# -- a member's page: accounts, timeline, audit --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identity:
    """One of a member's accounts; e-mail addresses are left out on purpose."""

    platform: str
    external_id: str
    handle: str | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One of a member's activities, with its thread's title and its channel's name."""

    id: int
    kind: str
    occurred_at: datetime
    text: str | None
    url: str | None
    thread_title: str | None
    channel_name: str | None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One row of the audit log: who did what, when, to which member."""

    id: int
    community_id: int
    occurred_at: datetime
    actor: str
    action: str
    member_id: int | None
    details: dict[str, Any] | None  # what the action recorded, which differs by action


@dataclass(frozen=True, slots=True)
class HeardPost:
    """A public post heard outside the community by a listening source (tending listen): its platform's
    own id (source, external_id) is unique, so hearing it again, through any query, stores nothing new.
    `author` is the public handle as the platform shows it, never linked to a member. `deleted`: the
    platform says the post is gone (its text is then erased from a mention already stored)."""

    source: str
    external_id: str
    published_at: datetime
    text: str
    url: str | None = None
    author: str | None = None
    lang: str | None = None
    deleted: bool = False


# -- the review queue (store.moderation's rows, as actions/ hand them to the shells) ----------------------
# TypedDicts: a row of moderation_items read once and passed along as it is, the listing adding what it
# computes (NotRequired keys); the checker sees every key the CLI, the web and /api/v1 read.


class QueueItem(TypedDict):
    id: int
    community_id: int
    activity_id: int | None  # None for community-level findings (a week of off-topic drift)
    member_id: int | None
    signal: str
    subject_key: str
    score: float
    evidence: (
        Any  # the finding's JSON: text, lang, context, earlier, week, messages... (docs/signals.md)
    )
    occurred_at: datetime
    created_at: datetime
    status: str  # open | done
    action: str | None
    reply: str | None
    note: str | None
    acted_by: str | None
    acted_at: datetime | None
    claimed_by: str | None
    claimed_until: datetime | None
    channel_id: int | None
    language: str | None
    account_age_days: float | None
    suggested_action: NotRequired[
        str
    ]  # what the rules in force suggest, given the member's history
    author: NotRequired[str | None]  # the member's name, in listings
    held_by: NotRequired[str | None]  # who holds a live claim on it, in listings


class QueueAppeal(TypedDict):
    id: int
    community_id: int
    item_id: int
    member_id: int | None
    statement: str | None
    opened_by: str
    opened_at: datetime
    original_action: str
    original_reply: str | None
    original_by: str | None
    original_at: datetime | None
    outcome: str | None  # upheld | changed | overturned, None while pending
    decided_action: str | None
    decided_by: str | None
    decided_at: datetime | None


class MemberBrief(TypedDict):
    """What a reply needs to know of its member."""

    id: int
    display_name: str | None
    handle: str | None
    language: str | None
    do_not_contact: bool
