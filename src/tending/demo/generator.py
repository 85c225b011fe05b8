"""The demo community: a synthetic, bilingual support forum for people whose cat has diabetes.

`build_demo` writes about two years of history through the Ingestor (the one write path, so the rollups
stay exact), streaming one simulated day at a time: memory stays flat however many members there are.

Determinism: everything is drawn from `seed` (numpy's PCG64 for the per-member vectors and the daily
counts, random.Random for choices and texts; never the global generators), and every instant is placed
relative to an anchor, the local date of `now` in the community's time zone: the history covers the
HISTORY_DAYS local days that end the day before. Same seed, members and anchor date (with the same tending
and numpy versions) give the same rows. Columns the store stamps with the wall clock (created_at,
updated_at, the audit log) are the only ones that differ. See docs/demo.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any, Protocol

import numpy as np
from sqlalchemy import Connection

from tending.demo import texts
from tending.demo.population import (
    BOT,
    HISTORY_DAYS,
    MEMBER,
    QUIET_FACTOR,
    QUIET_FADE_DAYS,
    SPAMMER,
    STAFF,
    Population,
    draw_population,
)
from tending.models import (
    COMMENT,
    JOINED,
    LEFT,
    POST,
    REACTION,
    REPLY,
    ActivityRecord,
    ChannelRecord,
    Community,
    DemoSummary,
    ImportRecord,
    MemberRecord,
    ThreadRecord,
)
from tending.store.communities import do_create_community, do_update_community_settings
from tending.store.ingest import Ingestor
from tending.timeutil import get_zone

DEMO_NAME = "Chats diabétiques / Cat Diabetes Support"
PLATFORM = SOURCE = "forum"
TIMEZONE = "Europe/Paris"
LANGUAGE = "fr"
GENERATOR_VERSION = 1
URL = "https://forum.chats-diabetiques.example"

BATCH_SIZE = 5000
WINDOW_DAYS = 21  # a thread gets answers during three weeks, then sinks
MIN_MEMBERS = 10

# share of each local hour in a day's activity: quiet nights, a lunch bump, a long evening
HOURS = np.array(
    [2, 1, 0.5, 0.3, 0.3, 0.5, 1.5, 3, 4, 4, 4, 4.5, 5.5, 5, 4, 4, 4.5, 5, 6, 7, 8, 8, 6, 4]
)
HOUR_P = HOURS / HOURS.sum()

P_POST = {STAFF: 0.3, MEMBER: 0.12}
P_INTRO = 0.35  # a member's first contribution is an introduction
P_UNANSWERABLE = 0.12  # a question nobody will ever answer
P_HEATED = 0.10  # a food thread turns into a fight
P_REPOST = 0.04  # a member cross-posts the same question in another channel
P_STRAY_INSULT = 0.002

ProgressFn = Callable[[int, int], None]  # (days written, days in total)


def anchor_date(now: datetime) -> date:
    """The local date the history ends before: reruns on the same day give the same instants."""
    return now.astimezone(get_zone(TIMEZONE)).date()


def demo_settings(*, seed: int, members: int, anchor: date, complete: bool) -> dict[str, Any]:
    return {
        "demo": {
            "seed": seed,
            "members": members,
            "anchor": anchor.isoformat(),
            "generator": GENERATOR_VERSION,
            "complete": complete,
        }
    }


def build_demo(
    conn: Connection,
    *,
    seed: int,
    members: int,
    now: datetime,
    progress: ProgressFn | None = None,
    commit_every: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> DemoSummary:
    """Create the demo community and write its history. `commit_every` (activities) commits as it goes,
    for huge builds on a connection the caller does not hold in a transaction block."""
    if members < MIN_MEMBERS:
        raise ValueError(f"the demo needs at least {MIN_MEMBERS} members")
    anchor = anchor_date(now)
    community = do_create_community(
        conn,
        DEMO_NAME,
        platform=PLATFORM,
        timezone=TIMEZONE,
        language=LANGUAGE,
        actor="demo",
        settings=demo_settings(seed=seed, members=members, anchor=anchor, complete=False),
    )
    builder = _Builder(
        community,
        _IngestSink(conn, Ingestor(conn, community), commit_every),
        seed=seed,
        members=members,
        anchor=anchor,
        batch_size=batch_size,
    )
    builder.run(progress)
    do_update_community_settings(
        conn,
        community,
        demo_settings(seed=seed, members=members, anchor=anchor, complete=True),
        actor="demo",
    )
    return builder.summary()


def generate_demo_records(
    *,
    seed: int,
    members: int,
    now: datetime,
    sink: Sink | None = None,
    progress: ProgressFn | None = None,
    batch_size: int = BATCH_SIZE,
) -> DemoSummary:
    """Run the generator without a database: the records go to `sink` (or nowhere). Benchmarks use it as
    the baseline the real build is compared with."""
    if members < MIN_MEMBERS:
        raise ValueError(f"the demo needs at least {MIN_MEMBERS} members")
    community = Community(
        id=0, name=DEMO_NAME, platform=PLATFORM, timezone=TIMEZONE, language=LANGUAGE
    )
    builder = _Builder(
        community,
        sink or _NullSink(),
        seed=seed,
        members=members,
        anchor=anchor_date(now),
        batch_size=batch_size,
    )
    builder.run(progress)
    return builder.summary()


class Sink(Protocol):
    def add(self, records: list[ImportRecord], activities: int) -> None: ...

    def finish(self) -> None: ...


class _NullSink:
    def add(self, records: list[ImportRecord], activities: int) -> None:
        pass

    def finish(self) -> None:
        pass


class _IngestSink:
    """Hands batches to the Ingestor; with commit_every, commits after that many activities."""

    def __init__(self, conn: Connection, ingestor: Ingestor, commit_every: int | None) -> None:
        self.conn, self.ingestor, self.commit_every = conn, ingestor, commit_every
        self.uncommitted = 0

    def add(self, records: list[ImportRecord], activities: int) -> None:
        self.ingestor.add(records)
        self.uncommitted += activities
        if self.commit_every and self.uncommitted >= self.commit_every:
            self.conn.commit()
            self.uncommitted = 0

    def finish(self) -> None:
        self.ingestor.finish()


class _Thread:
    __slots__ = (
        "answerable",
        "answered",
        "channel",
        "day",
        "ext",
        "heated",
        "lang",
        "post_sid",
        "recent",
        "starter",
        "title",
    )

    def __init__(
        self,
        ext: str,
        post_sid: str,
        channel: str,
        lang: str,
        starter: int,
        day: int,
        answerable: bool,
        heated: bool,
        title: str,
    ) -> None:
        self.ext, self.post_sid, self.channel, self.lang = ext, post_sid, channel, lang
        self.starter, self.day, self.answerable, self.heated = starter, day, answerable, heated
        self.title = title
        self.answered = False
        self.recent: list[str] = [post_sid]


class _Builder:
    def __init__(
        self,
        community: Community,
        sink: Sink,
        *,
        seed: int,
        members: int,
        anchor: date,
        batch_size: int,
    ) -> None:
        self.community, self.sink = community, sink
        self.seed, self.anchor, self.batch_size = seed, anchor, batch_size
        self.np = np.random.default_rng([seed, 2024])
        self.rng = Random(seed)
        self.pop: Population = draw_population(self.np, members)
        pop = self.pop
        total = pop.contrib_rate + pop.react_rate
        self.p_react = np.divide(
            pop.react_rate, total, out=np.zeros_like(total), where=total > 0
        ).tolist()
        self.role: list[int] = pop.role.tolist()
        self.promo: list[bool] = pop.promo.tolist()
        self.contributed = bytearray(members)
        self.buffer: list[ImportRecord] = []
        self.pools: dict[str, list[_Thread]] = {"fr": [], "en": []}
        self.spam_last: dict[int, str] = {}
        self.seq = 0
        self.thread_seq = 0
        self.unflushed = 0
        self.kinds: dict[str, int] = dict.fromkeys(
            (JOINED, LEFT, POST, REPLY, COMMENT, REACTION), 0
        )
        self.truth: dict[str, int] = {}
        self.threads = 0
        self.answered = 0
        self.first_at: datetime | None = None
        self.last_at: datetime | None = None
        zone = get_zone(TIMEZONE)
        first = anchor - timedelta(days=HISTORY_DAYS)
        self.days = [first + timedelta(days=d) for d in range(HISTORY_DAYS)]
        self.midnights = [
            datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(UTC) for d in self.days
        ]

    # -- the day loop ---------------------------------------------------------------------------------

    def run(self, progress: ProgressFn | None) -> None:
        pop = self.pop
        self.buffer.extend(
            ChannelRecord(source=SOURCE, external_id=ext, name=name)
            for ext, name, _ in texts.CHANNELS
        )
        actors = np.flatnonzero(pop.contrib_rate + pop.react_rate > 0)
        a_start = pop.join_day[actors] + 1
        a_stop, a_quiet = pop.stop_day[actors], pop.quiet_day[actors]
        a_rate = (pop.contrib_rate + pop.react_rate)[actors]
        leavers = np.flatnonzero(pop.leave_day < HISTORY_DAYS)
        leavers = leavers[np.argsort(pop.leave_day[leavers], kind="stable")].tolist()
        leave_days = pop.leave_day[leavers].tolist() if leavers else []
        joined = leave_at = 0
        join_days = pop.join_day.tolist()
        for day in range(HISTORY_DAYS):
            self._prune(day)
            while joined < pop.size and join_days[joined] == day:
                self._join(joined, day)
                joined += 1
            if self.days[day].weekday() == 0:
                self._reminder(day)
            live = int(np.searchsorted(a_start, day, side="right"))
            if live:
                self._events(day, actors[:live], a_rate[:live], a_quiet[:live], a_stop[:live])
            while leave_at < len(leavers) and leave_days[leave_at] == day:
                self._leave(leavers[leave_at], day)
                leave_at += 1
            if self.unflushed >= self.batch_size:
                self._flush()
            if progress is not None:
                progress(day + 1, HISTORY_DAYS)
        self._flush()
        self.sink.finish()

    def _events(
        self, day: int, who: np.ndarray, rate: np.ndarray, quiet: np.ndarray, stop: np.ndarray
    ) -> None:
        factor = 1.15 if self.days[day].weekday() >= 5 else 1.0
        today = np.where(quiet <= day, rate * (QUIET_FACTOR * factor), rate * factor)
        today[(stop <= day) | (quiet + QUIET_FADE_DAYS <= day)] = 0.0
        counts = self.np.poisson(today)
        busy = np.flatnonzero(counts)
        if not len(busy):
            return
        people = np.repeat(who[busy], counts[busy])
        seconds = self.np.choice(24, size=len(people), p=HOUR_P) * 3600 + self.np.integers(
            0, 3600, len(people)
        )
        order = np.argsort(seconds, kind="stable")
        midnight = self.midnights[day]
        for i, second in zip(people[order].tolist(), seconds[order].tolist(), strict=True):
            self._event(i, day, midnight + timedelta(seconds=second))

    def _event(self, i: int, day: int, at: datetime) -> None:
        role = self.role[i]
        if role == SPAMMER:
            self._spam(i, day, at)
            return
        rng = self.rng
        if rng.random() < self.p_react[i]:
            self._react(i, at)
        elif (
            role == MEMBER and not self.contributed[i] and (self.promo[i] or rng.random() < P_INTRO)
        ):
            self._introduce(i, day, at)
        elif rng.random() < P_POST[role]:
            self._start_thread(i, day, at)
        else:
            self._answer(i, day, at, COMMENT if rng.random() < 0.28 else REPLY)

    # -- what people do -------------------------------------------------------------------------------

    def _start_thread(self, i: int, day: int, at: datetime) -> None:
        rng, lang = self.rng, self.pop.lang[i]
        if self.role[i] == STAFF:
            if rng.random() < 0.6:
                title, text = texts.staff_post(rng, lang)
                self._thread(i, day, at, "annonces", title, text)
            else:
                title, text = texts.story(rng, lang, "bla-bla")
                self._thread(i, day, at, "bla-bla", title, text)
            return
        pick = rng.random()
        if pick < 0.7:
            channel = texts.pick(rng, texts.QUESTION_CHANNELS)
            title, text = texts.question(rng, lang, channel)
            heated = rng.random() < (P_HEATED if channel == "alimentation" else P_HEATED / 4)
            self._thread(
                i,
                day,
                at,
                channel,
                title,
                text,
                answerable=rng.random() >= P_UNANSWERABLE,
                heated=heated,
            )
            if rng.random() < P_REPOST:
                self._repost(i, day, at, channel, title, text)
            return
        channel = "remission" if pick < 0.78 else "arc-en-ciel" if pick < 0.83 else "bla-bla"
        title, text = texts.story(rng, lang, channel)
        self._thread(i, day, at, channel, title, text)

    def _repost(self, i: int, day: int, at: datetime, channel: str, title: str, text: str) -> None:
        rng = self.rng
        other = texts.pick(rng, [c for c in texts.QUESTION_CHANNELS if c != channel])
        again = text if rng.random() < 0.6 else texts.near_duplicate(rng, text)
        later = at + timedelta(minutes=rng.randrange(1, 90))
        self._thread(i, day, later, other, title, again, truth="repost")

    def _introduce(self, i: int, day: int, at: datetime) -> None:
        rng, lang, name = self.rng, self.pop.lang[i], self.pop.name(i)
        if self.promo[i]:
            title, text = texts.promo_intro(rng, lang, name)
            thread = self._thread(i, day, at, "presentations", title, text, truth="self_promo")
        else:
            title, text = texts.intro(rng, lang, name)
            thread = self._thread(i, day, at, "presentations", title, text)
        bot = self.pop.staff  # the welcome bot
        welcome = texts.BOT_WELCOME[lang].format(name=name.split(" ")[0])
        self._message(
            bot,
            at + timedelta(minutes=rng.randrange(2, 40)),
            COMMENT,
            thread,
            thread.post_sid,
            welcome,
            lang,
        )

    def _answer(self, i: int, day: int, at: datetime, kind: str) -> None:
        rng, lang = self.rng, self.pop.lang[i]
        thread = self._pick_thread(i, lang)
        if thread is None:
            self._start_thread(i, day, at)
            return
        truth = None
        roll = rng.random()
        if kind == COMMENT and not thread.heated:
            text = texts.comment(rng, lang)
        elif (thread.heated and roll < 0.12) or roll < P_STRAY_INSULT:
            text, truth = texts.insult(rng, lang), "insult"
        elif thread.heated and roll < 0.5:
            text, truth = texts.heated(rng, lang), "heated"
        else:
            text = texts.reply(rng, lang)
        parent = (
            thread.post_sid
            if kind == REPLY and rng.random() < 0.6
            else texts.pick(rng, thread.recent)
        )
        self._message(i, at, kind, thread, parent, text, lang, truth)

    def _react(self, i: int, at: datetime) -> None:
        thread = self._pick_thread(i, self.pop.lang[i], replying=False)
        if thread is not None:
            self._message(
                i,
                at,
                REACTION,
                thread,
                texts.pick(self.rng, thread.recent),
                texts.reaction(self.rng),
                None,
            )

    def _spam(self, i: int, day: int, at: datetime) -> None:
        rng, lang = self.rng, self.pop.lang[i]
        last = self.spam_last.get(i)
        if last is None:
            text = texts.spam(rng, lang)
            self.spam_last[i] = text
            if rng.random() < 0.4:
                self._thread(
                    i,
                    day,
                    at,
                    "presentations",
                    texts.spam(rng, lang)[:60],
                    text,
                    answerable=False,
                    truth="spam",
                )
                return
        else:
            roll = rng.random()
            text = (
                last
                if roll < 0.45
                else texts.near_duplicate(rng, last)
                if roll < 0.7
                else texts.spam(rng, lang)
            )
        thread = self._pick_thread(i, lang)
        if thread is not None:
            self._message(
                i, at, COMMENT, thread, texts.pick(rng, thread.recent), text, lang, "spam"
            )

    def _reminder(self, day: int) -> None:
        bot = self.pop.staff + 1
        lang = "fr" if (day // 7) % 2 == 0 else "en"
        at = self.midnights[day] + timedelta(hours=8)
        self._thread(
            bot,
            day,
            at,
            "annonces",
            texts.BOT_REMINDER_TITLE[lang],
            texts.BOT_REMINDER[lang],
            lang=lang,
        )

    def _join(self, i: int, day: int) -> None:
        pop = self.pop
        at = self.midnights[day] + timedelta(seconds=self.rng.randrange(0, 86_400))
        external_id, handle = f"u{i}", pop.handle(i)
        role = self.role[i]
        self.buffer.append(
            MemberRecord(
                source=SOURCE,
                external_id=external_id,
                display_name=pop.name(i),
                handle=handle,
                joined_at=at,
                language=pop.lang[i],
                is_staff=role == STAFF,
                is_bot=role == BOT,
                email=None if role == BOT else f"{handle}@example.org",
            )
        )
        self._activity(
            ActivityRecord(
                source=SOURCE,
                source_id=f"j{i}",
                member_external_id=external_id,
                kind=JOINED,
                occurred_at=at,
            )
        )

    def _leave(self, i: int, day: int) -> None:
        at = self.midnights[day] + timedelta(seconds=self.rng.randrange(0, 86_400))
        self._activity(
            ActivityRecord(
                source=SOURCE,
                source_id=f"l{i}",
                member_external_id=f"u{i}",
                kind=LEFT,
                occurred_at=at,
            )
        )

    # -- threads and messages -------------------------------------------------------------------------

    def _pick_thread(self, i: int, lang: str, *, replying: bool = True) -> _Thread | None:
        rng = self.rng
        if rng.random() >= 0.88:
            lang = "en" if lang == "fr" else "fr"
        pool = self.pools[lang] or self.pools["en" if lang == "fr" else "fr"]
        if not pool:
            return None
        size = len(pool)
        for _ in range(4):
            j = size - 1 - min(size - 1, int(rng.expovariate(3.0 / size)))
            thread = pool[j]
            if not replying or thread.answerable or thread.starter == i:
                return thread
        return None

    def _thread(
        self,
        i: int,
        day: int,
        at: datetime,
        channel: str,
        title: str,
        text: str,
        *,
        lang: str | None = None,
        answerable: bool = True,
        heated: bool = False,
        truth: str | None = None,
    ) -> _Thread:
        lang = lang or self.pop.lang[i]
        self.thread_seq += 1
        ext = f"t{self.thread_seq}"
        self.buffer.append(
            ThreadRecord(
                source=SOURCE,
                external_id=ext,
                channel_external_id=channel,
                title=title,
                started_by_external_id=f"u{i}",
                started_at=at,
            )
        )
        thread = _Thread(ext, self._next_sid(), channel, lang, i, day, answerable, heated, title)
        self.pools[lang].append(thread)
        self.threads += 1
        self._activity(
            ActivityRecord(
                source=SOURCE,
                source_id=thread.post_sid,
                member_external_id=f"u{i}",
                kind=POST,
                occurred_at=at,
                thread_external_id=ext,
                channel_external_id=channel,
                text=text,
                url=f"{URL}/t/{self.thread_seq}",
                language=lang,
                extra={"demo_truth": truth} if truth else None,
            )
        )
        self.contributed[i] = 1
        return thread

    def _message(
        self,
        i: int,
        at: datetime,
        kind: str,
        thread: _Thread,
        parent: str,
        text: str,
        lang: str | None,
        truth: str | None = None,
    ) -> None:
        sid = self._next_sid()
        self._activity(
            ActivityRecord(
                source=SOURCE,
                source_id=sid,
                member_external_id=f"u{i}",
                kind=kind,
                occurred_at=at,
                thread_external_id=thread.ext,
                parent_source_id=parent,
                channel_external_id=thread.channel,
                text=text,
                language=lang,
                extra={"demo_truth": truth} if truth else None,
            )
        )
        if kind == REACTION:
            return
        self.contributed[i] = 1
        recent = thread.recent
        recent.append(sid)
        if len(recent) > 4:
            del recent[1]  # keep the first post and the three latest messages
        if not thread.answered and i != thread.starter and self.role[i] != BOT:
            thread.answered = True
            self.answered += 1

    def _next_sid(self) -> str:
        self.seq += 1
        return f"m{self.seq}"

    def _activity(self, record: ActivityRecord) -> None:
        self.buffer.append(record)
        self.kinds[record.kind] += 1
        self.unflushed += 1
        if isinstance(record.extra, dict):
            label = record.extra["demo_truth"]
            self.truth[label] = self.truth.get(label, 0) + 1
        at = record.occurred_at
        if self.first_at is None or at < self.first_at:
            self.first_at = at
        if self.last_at is None or at > self.last_at:
            self.last_at = at

    def _prune(self, day: int) -> None:
        cutoff = day - WINDOW_DAYS
        for lang, pool in self.pools.items():
            keep = 0
            while keep < len(pool) and pool[keep].day < cutoff:
                keep += 1
            if keep:
                self.pools[lang] = pool[keep:]

    def _flush(self) -> None:
        if self.buffer:
            self.sink.add(self.buffer, self.unflushed)
        self.buffer, self.unflushed = [], 0

    # -- the result -------------------------------------------------------------------------------------

    def summary(self) -> DemoSummary:
        pop = self.pop
        return DemoSummary(
            community_id=self.community.id,
            community_name=self.community.name,
            seed=self.seed,
            members=pop.size,
            staff=pop.staff,
            bots=int((pop.role == BOT).sum()),
            activities=dict(self.kinds),
            threads=self.threads,
            unanswered_threads=self.threads - self.answered,
            never_contributed=pop.size - sum(self.contributed),
            first_at=self.first_at,
            last_at=self.last_at,
            truth=dict(sorted(self.truth.items())),
        )
