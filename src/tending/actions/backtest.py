"""Backtesting moderation rules before switching them on: replay a community's contributions since a
date through the models once, and compare what the rules in force and the proposed rules would queue.

Nothing is written. The text signals (spam, self-promotion, toxic, complaint) are replayed in full,
thresholds and context adjustments included. Reposts, heated exchanges and off-topic weeks depend on
the whole history (fingerprints, threads, weekly shares) and their rules hold no threshold: they are
compared on/off, from the items the scans queued (COMPARED_BY_QUEUE), and so is the spam the repost pass
finds (a link spread from fresh accounts, context "campaign"). Staff and bots are never scanned, so never
counted. Under the rules in force, the counts are those of a full scan since the same date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tending.actions.moderation import INTRO_CHANNEL, _context, _is_staff_or_bot
from tending.actions.moderation_rules import get_rules
from tending.lib.settings import get_setting
from tending.models import Community
from tending.moderation.batch import analyse_texts
from tending.moderation.classifier import Classifier, shipped_classifier
from tending.moderation.rules import Rules, rule_changes, text_findings
from tending.moderation.text import clean_markup
from tending.store import moderation as scan_store
from tending.store import moderation_rules as store
from tending.timeutil import isoformat_utc

COMPARED_BY_QUEUE = ("repost", "heated", "off_topic_drift")
SAMPLE_CHARS = 160


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a set of rules would queue: a message (activity) and a signal."""

    activity_id: int | None
    member_id: int | None
    signal: str
    score: float
    occurred_at: datetime
    newcomer: bool
    text: str

    def as_json(self) -> dict[str, Any]:
        return {
            "activity_id": self.activity_id,
            "member_id": self.member_id,
            "signal": self.signal,
            "score": round(self.score, 4),
            "occurred_at": isoformat_utc(self.occurred_at),
            "newcomer": self.newcomer,
            "text": self.text,
        }


@dataclass
class Difference:
    """What one set of rules queues that the other does not."""

    total: int = 0
    by_signal: Counter[str] = field(default_factory=Counter)
    regulars: int = 0
    newcomers: int = 0
    samples: list[Finding] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_signal": dict(sorted(self.by_signal.items())),
            "regulars": self.regulars,
            "newcomers": self.newcomers,
            "samples": [s.as_json() for s in self.samples],
        }


@dataclass
class Backtest:
    since: datetime | None
    replayed: int
    changes: list[str]
    current: Counter[str]  # queued by the rules in force, by signal
    proposed: Counter[str]
    only_proposed: Difference  # what the proposed rules would queue that the current ones do not
    only_current: Difference  # the reverse
    compared_by_queue: tuple[str, ...] = COMPARED_BY_QUEUE

    def as_json(self) -> dict[str, Any]:
        return {
            "since": isoformat_utc(self.since),
            "replayed": self.replayed,
            "changes": self.changes,
            "current": dict(sorted(self.current.items())),
            "proposed": dict(sorted(self.proposed.items())),
            "only_proposed": self.only_proposed.as_json(),
            "only_current": self.only_current.as_json(),
            "compared_by_queue": list(COMPARED_BY_QUEUE),
        }


def get_backtest(
    conn: Connection,
    community: Community,
    proposed: Rules,
    *,
    since: datetime | None,
    classifier: Classifier | None = None,
    samples: int = 5,
    batch_size: int = 2000,
) -> Backtest:
    """Replay the contributions since `since` under the rules in force and under `proposed`."""
    current = get_rules(conn, community)
    models = classifier or shipped_classifier()
    newcomer_days = timedelta(days=get_setting(community.settings, "newcomer_days"))
    intro = {
        cid
        for cid, name in scan_store.get_channel_names(conn, community.id).items()
        if INTRO_CHANNEL.search(name)
    }
    found: dict[str, dict[tuple[Any, str], Finding]] = {"current": {}, "proposed": {}}
    replayed = 0
    for rows in scan_store.iter_scannable(conn, community.id, since=since, batch_size=batch_size):
        authors = scan_store.get_author_contexts(conn, community.id, (r.member_id for r in rows))
        kept = [
            r for r in rows if r.text.strip() and not _is_staff_or_bot(authors.get(r.member_id))
        ]
        replayed += len(kept)
        if not kept:
            continue
        texts = [clean_markup(r.text) for r in kept]
        known = [
            r.language or (authors[r.member_id].language if r.member_id in authors else None)
            for r in kept
        ]
        analysis = analyse_texts(texts, known, classifier=models, profile=None)
        for i, row in enumerate(kept):
            author = authors.get(row.member_id)
            scores = {k: float(v[i]) for k, v in analysis.scores.items()}
            newcomer = bool(
                author and author.joined_at and row.occurred_at - author.joined_at < newcomer_days
            )
            for label, rules in (("current", current), ("proposed", proposed)):
                context = _context(
                    row,
                    texts[i],
                    author,
                    intro,
                    new_account=timedelta(days=rules.new_account_days),
                )
                for f in text_findings(
                    rules,
                    models,
                    scores=scores,
                    lang=analysis.langs[i],
                    context=context,
                    junk=analysis.junk[i],
                ):
                    found[label][(row.id, f.signal)] = Finding(
                        row.id,
                        row.member_id,
                        f.signal,
                        f.score,
                        row.occurred_at,
                        newcomer,
                        texts[i][:SAMPLE_CHARS],
                    )
    _add_queued(conn, community, found, current, proposed, since, newcomer_days)
    return Backtest(
        since,
        replayed,
        rule_changes(current, proposed),
        Counter(signal for _a, signal in found["current"]),
        Counter(signal for _a, signal in found["proposed"]),
        _difference(found["proposed"], found["current"], samples),
        _difference(found["current"], found["proposed"], samples),
    )


def _add_queued(
    conn: Connection,
    community: Community,
    found: dict[str, dict[tuple[Any, str], Finding]],
    current: Rules,
    proposed: Rules,
    since: datetime | None,
    newcomer_days: timedelta,
) -> None:
    """The signals compared on/off: the scans' items (and the repost pass's campaign spam), counted under
    each rule set that enables them."""
    items = [
        item
        for item in store.get_queued_since(
            conn, community.id, signals=[*COMPARED_BY_QUEUE, "spam"], since=since
        )
        if item["signal"] != "spam" or "campaign" in _context_of(item)
    ]
    authors = scan_store.get_author_contexts(
        conn, community.id, {i["member_id"] for i in items if i["member_id"]}
    )
    for item in items:
        author = authors.get(item["member_id"]) if item["member_id"] else None
        evidence = item["evidence"] if isinstance(item["evidence"], dict) else {}
        if item["signal"] == "spam" and item["activity_id"] is not None:
            key: tuple[Any, str] = (item["activity_id"], "spam")  # the same message as the replay's
        else:
            key = (f"item:{item['id']}", item["signal"])
        finding = Finding(
            item["activity_id"],
            item["member_id"],
            item["signal"],
            float(item["score"] or 0.0),
            item["occurred_at"],
            bool(
                author
                and author.joined_at
                and item["occurred_at"] - author.joined_at < newcomer_days
            ),
            str(evidence.get("text") or "")[:SAMPLE_CHARS],
        )
        for label, rules in (("current", current), ("proposed", proposed)):
            if rules.enabled(item["signal"]):
                found[label][key] = finding


def _context_of(item: dict[str, Any]) -> list[str]:
    evidence = item["evidence"] if isinstance(item["evidence"], dict) else {}
    context = evidence.get("context")
    return context if isinstance(context, list) else []


def _difference(
    mine: dict[tuple[Any, str], Finding], theirs: dict[tuple[Any, str], Finding], samples: int
) -> Difference:
    only = [f for key, f in mine.items() if key not in theirs]
    only.sort(key=lambda f: (f.occurred_at, f.signal), reverse=True)
    return Difference(
        total=len(only),
        by_signal=Counter(f.signal for f in only),
        regulars=sum(not f.newcomer for f in only),
        newcomers=sum(f.newcomer for f in only),
        samples=_spread(only, samples),
    )


def _spread(findings: list[Finding], samples: int) -> list[Finding]:
    """Up to `samples` findings, newest first, taking each signal in turn (one signal never hides the
    others)."""
    by_signal: dict[str, list[Finding]] = {}
    for f in findings:
        by_signal.setdefault(f.signal, []).append(f)
    picked: list[Finding] = []
    while len(picked) < samples and any(by_signal.values()):
        for name in sorted(by_signal):
            if by_signal[name] and len(picked) < samples:
                picked.append(by_signal[name].pop(0))
    return sorted(picked, key=lambda f: f.occurred_at, reverse=True)
