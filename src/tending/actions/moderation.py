"""Moderation state changes: scanning activities into the review queue, and acting on queue items.

`do_scan_community` reads a community's contributions in batches, scores them (spam, self-promotion,
toxicity), fingerprints them (MinHash, image dHash) to find reposts of older content, looks for heated
exchanges in threads and for weeks of off-topic drift, and adds what it finds to the queue. Rescanning
adds nothing twice (items are unique by signal and subject). `do_act_on_item` records a moderator's
decision, drafts the suggested reply in the member's language, counts confirmed findings for escalation
and writes an audit event. tending never acts on the platform itself.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection

from tending.actions.moderation_rules import get_rules
from tending.actions.notices import notify_new_items
from tending.errors import ConflictError, NotFoundError
from tending.lib.settings import get_setting
from tending.models import Community, MemberBrief, QueueItem
from tending.moderation import drift, heated, reposts
from tending.moderation.batch import TextAnalysis, analyse_texts, warm_up
from tending.moderation.classifier import MAX_CHARS, Classifier, shipped_classifier
from tending.moderation.escalation import NOT_COUNTED, PRIVATE_ACTIONS, check_action, suggest_action
from tending.moderation.langid import detect_languages, known_language
from tending.moderation.replies import render_reply
from tending.moderation.rules import Rules, default_rules, text_findings
from tending.moderation.text import (
    clean_markup,
    find_links,
    has_link,
    matched_phrases,
    normalise,
)
from tending.store import moderation as store
from tending.store.audit import record_event
from tending.timeutil import from_micros, get_zone, isoformat_utc

# the context adjustments (new accounts, introductions) are the moderation rules' (moderation/rules.yaml)
NEW_ACCOUNT = timedelta(days=default_rules().new_account_days)
PARALLEL_FROM = (
    20_000  # contributions: below this, starting worker processes costs more than it saves
)
SNIPPET = 500
INTRO_CHANNEL = re.compile(
    r"intro|welcome|bienvenue|pr[ée]sent|new[- _]?members?|nouveaux|newcomers?", re.I
)
SIGNAL_NAMES = {
    "en": {
        "spam": "spam",
        "self_promotion": "self-promotion",
        "repost": "a repost",
        "toxic": "insults",
        "heated": "a heated exchange",
        "off_topic_drift": "off-topic content",
        "complaint": "a complaint",
    },
    "fr": {
        "spam": "spam",
        "self_promotion": "autopromotion",
        "repost": "un doublon",
        "toxic": "des insultes",
        "heated": "un échange tendu",
        "off_topic_drift": "du hors-sujet",
        "complaint": "une réclamation",
    },
}


@dataclass
class ScanSummary:
    scanned: int = 0
    skipped_staff_or_bots: int = 0
    new_items: Counter[str] = field(default_factory=Counter)
    images_hashed: int = 0
    images_missing: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "skipped_staff_or_bots": self.skipped_staff_or_bots,
            "new_items": dict(self.new_items),
            "images_hashed": self.images_hashed,
            "images_missing": self.images_missing,
        }


@dataclass
class _Prepared:
    rows: list[store.ScanRow]
    authors: dict[int, store.AuthorContext]
    texts: list[str]  # after clean_markup
    known: list[str | None]  # the export's or the member's language


@dataclass
class _ThreadLog:
    """Per-message data kept for the thread pass, as flat lists (a million rows stay small)."""

    thread: list[int] = field(default_factory=list)
    activity: list[int] = field(default_factory=list)
    member: list[int] = field(default_factory=list)
    at: list[int] = field(default_factory=list)
    toxicity: list[float] = field(default_factory=list)


class _Scanner:
    def __init__(
        self,
        conn: Connection,
        community: Community,
        *,
        now: datetime,
        since: datetime | None,
        classifier: Classifier,
        media_root: Path | None,
        rules: Rules,
    ) -> None:
        self.conn, self.community, self.cid = conn, community, community.id
        self.rules = rules
        self.new_account = timedelta(days=rules.new_account_days)
        self.now, self.since, self.classifier, self.media_root = now, since, classifier, media_root
        self.summary = ScanSummary()
        self.threads = _ThreadLog()
        self.scanned_ids: list[int] = []
        self.tallies: dict[datetime, drift.WeekTally] = {}
        self.tolerance = get_setting(community.settings, "moderation.offtopic_tolerance")
        self.intro_channels = {
            cid
            for cid, name in store.get_channel_names(conn, self.cid).items()
            if INTRO_CHANNEL.search(name)
        }
        sample = store.sample_texts(conn, self.cid, limit=20_000)
        self.profile = drift.Profile(sample) if len(sample) >= drift.MIN_WEEKLY else None

    # -- per batch ------------------------------------------------------------------------------------

    def prepare(self, rows: list[store.ScanRow]) -> _Prepared | None:
        """Drop staff and bots; the texts and known languages the analysis needs (None: nothing left)."""
        authors = store.get_author_contexts(self.conn, self.cid, (r.member_id for r in rows))
        kept = [r for r in rows if not _is_staff_or_bot(authors.get(r.member_id))]
        self.summary.skipped_staff_or_bots += len(rows) - len(kept)
        self.summary.scanned += len(kept)
        wordless = [r for r in kept if not r.text.strip()]
        if (
            wordless
        ):  # a picture alone: only its images are compared (no text to classify or profile)
            self._fingerprint(
                wordless,
                np.empty((0, reposts.NUM_PERM), dtype=np.uint32),
                np.empty(0, dtype=np.int64),
            )
            self.scanned_ids += [r.id for r in wordless]
            kept = [r for r in kept if r.text.strip()]
        if not kept:
            return None
        texts = [clean_markup(r.text) for r in kept]
        known = [
            r.language or (authors[r.member_id].language if r.member_id in authors else None)
            for r in kept
        ]
        return _Prepared(kept, authors, texts, known)

    def analyse(self, prepared: _Prepared) -> TextAnalysis:
        return analyse_texts(
            prepared.texts, prepared.known, classifier=self.classifier, profile=self.profile
        )

    def apply(self, prepared: _Prepared, analysis: TextAnalysis) -> None:
        """Turn one analysed batch into queue items, fingerprints, thread and drift tallies."""
        kept, texts = prepared.rows, prepared.texts
        items: list[dict[str, Any]] = []
        for i, row in enumerate(kept):
            items += self._text_findings(
                row,
                texts[i],
                analysis.langs[i],
                {k: float(v[i]) for k, v in analysis.scores.items()},
                prepared.authors.get(row.member_id),
                analysis.junk[i],
            )
        self._log_threads(kept, analysis.scores["toxic"])
        self._fingerprint(kept, analysis.signatures, analysis.signature_positions)
        if analysis.similarity is not None:
            self._tally_drift(kept, analysis.similarity)
        self.scanned_ids += [r.id for r in kept]
        self.summary.new_items.update(self._add(items))

    def _text_findings(
        self,
        row: store.ScanRow,
        text: str,
        lang: str,
        scores: dict[str, float],
        author: store.AuthorContext | None,
        junk: str | None,
    ) -> list[dict[str, Any]]:
        context = _context(row, text, author, self.intro_channels, new_account=self.new_account)
        if junk:
            context.append(junk)
        return [
            self._item(row, f.signal, f.score, text, lang, context, f.threshold)
            for f in text_findings(
                self.rules, self.classifier, scores=scores, lang=lang, context=context, junk=junk
            )
        ]

    def _item(
        self,
        row: store.ScanRow,
        signal: str,
        score: float,
        text: str,
        lang: str,
        context: list[str],
        threshold: float,
    ) -> dict[str, Any]:
        evidence = {
            "text": text[:SNIPPET],
            "score": round(score, 4),
            "threshold": round(threshold, 4),
            "lang": lang,
            "matched": matched_phrases(text),
            "context": context,
        }
        return {
            "activity_id": row.id,
            "member_id": row.member_id,
            "signal": signal,
            "subject_key": f"activity:{row.id}",
            "score": round(score, 4),
            "evidence": evidence,
            "occurred_at": row.occurred_at,
        }

    def _log_threads(self, rows: list[store.ScanRow], toxicity: np.ndarray) -> None:
        for row, tox in zip(rows, toxicity, strict=True):
            if row.thread_id is not None:
                self.threads.thread.append(row.thread_id)
                self.threads.activity.append(row.id)
                self.threads.member.append(row.member_id)
                self.threads.at.append(int(row.occurred_at.timestamp() * 1_000_000))
                self.threads.toxicity.append(float(tox))

    def backfill(self) -> None:
        """Fingerprint older contributions no scan has read yet, so a scan with --since still finds
        copies of them. Each is marked (an empty signature when too short), so this happens once."""
        if self.since is None:
            return
        for rows in store.iter_unfingerprinted(self.conn, self.cid, before=self.since):
            normalised = [normalise(clean_markup(r.text)[:MAX_CHARS]) for r in rows]
            self._fingerprint(rows, *reposts.minhash_batch(normalised, normalised=True))

    def _fingerprint(
        self, rows: list[store.ScanRow], signatures: np.ndarray, positions: np.ndarray
    ) -> None:
        by_position = {
            int(p): reposts.signature_bytes(sig)
            for sig, p in zip(signatures, positions, strict=True)
        }
        prints = [
            {
                "activity_id": row.id,
                "kind": "text",
                "position": 0,
                "member_id": row.member_id,
                "occurred_at": row.occurred_at,
                "signature": by_position.get(i, b""),
                "path": None,
            }
            for i, row in enumerate(rows)
        ]
        for row in rows:
            for n, path in enumerate(reposts.image_paths(row.extra, self.media_root)):
                try:
                    value = reposts.dhash(path)
                except (OSError, ValueError):
                    self.summary.images_missing += 1
                    continue
                self.summary.images_hashed += 1
                prints.append(
                    {
                        "activity_id": row.id,
                        "kind": "image",
                        "position": n,
                        "member_id": row.member_id,
                        "occurred_at": row.occurred_at,
                        "signature": value.to_bytes(8, "little"),
                        "path": str(path)[:1000],
                    }
                )
        store.bulk_add_fingerprints(self.conn, self.cid, prints)

    def _tally_drift(self, rows: list[store.ScanRow], similarity: np.ndarray) -> None:
        assert self.profile is not None
        for row, value in zip(rows, similarity, strict=True):
            week = drift.week_start(row.occurred_at)
            self.tallies.setdefault(week, drift.WeekTally()).add(
                row.id, float(value), value < self.profile.cutoff
            )

    def _add(self, items: list[dict[str, Any]]) -> Counter[str]:
        added: Counter[str] = Counter()
        for signal in {i["signal"] for i in items}:
            count = store.bulk_add_items(
                self.conn, self.cid, [i for i in items if i["signal"] == signal], now=self.now
            )
            if count:
                added[signal] += count
        return added

    # -- after the last batch --------------------------------------------------------------------------

    def finish(self) -> None:
        for items in (
            self._repost_items("text"),
            self._repost_items("image"),
            self._heated_items() if self.rules.enabled("heated") else [],
            self._drift_items() if self.rules.enabled("off_topic_drift") else [],
        ):
            self.summary.new_items.update(
                self._add([i for i in items if self.rules.enabled(i["signal"])])
            )

    def _repost_items(self, kind: str) -> list[dict[str, Any]]:
        prints = store.get_fingerprints(self.conn, self.cid, kind, width=reposts.NUM_PERM)
        if len(prints.activity_ids) < 2:
            return []
        candidates = np.flatnonzero(
            np.isin(prints.activity_ids, np.array(self.scanned_ids, dtype=np.int64))
        )
        if kind == "text":
            matches = reposts.find_text_reposts(
                prints.signatures,
                prints.occurred,
                prints.activity_ids,
                candidates,
                prints.member_ids,
            )
        else:
            matches = reposts.find_image_reposts(
                prints.signatures, prints.occurred, prints.activity_ids, candidates
            )
        texts = store.get_activity_texts(
            self.conn,
            self.cid,
            [int(prints.activity_ids[i]) for m in matches for i in (m.index, m.earlier)],
        )
        # the later copies' authors, for the campaign rule (staff and bots are never scanned, so never here)
        authors = (
            store.get_author_contexts(
                self.conn, self.cid, {texts[int(prints.activity_ids[m.index])][2] for m in matches}
            )
            if kind == "text"
            else {}
        )
        items = []
        for match in matches:
            later, earlier = (
                int(prints.activity_ids[match.index]),
                int(prints.activity_ids[match.earlier]),
            )
            later_text, later_at, later_member, later_kind = texts[later]
            earlier_text, earlier_at, earlier_member, _kind = texts[earlier]
            signal, context = "repost", []
            template = (
                kind == "text"
                and later_member != earlier_member
                and reposts.only_the_template(later_text, earlier_text)
            )
            if kind == "text" and (
                template
                or not reposts.worth_flagging(
                    same_member=later_member == earlier_member,
                    kind=later_kind,
                    tokens=len(normalise(clean_markup(later_text[:MAX_CHARS])).split()),
                    authors=match.authors,
                    similarity=match.similarity,
                )
            ):
                if not reposts.is_campaign(
                    same_member=later_member == earlier_member,
                    newcomer=_new_account(
                        later_at, authors.get(later_member), within=self.new_account
                    ),
                    link=has_link(later_text),
                ):
                    continue  # a common phrase, or someone else's short text or reply: conversation
                signal, context = (
                    "spam",
                    ["campaign", "new_account"],
                )  # the same link spread from fresh accounts
            copy: dict[str, Any] = {
                "activity_id": earlier,
                "occurred_at": isoformat_utc(earlier_at),
                "text": clean_markup(earlier_text)[:SNIPPET],
                "same_member": earlier_member == later_member,
            }
            evidence: dict[str, Any] = {
                "text": clean_markup(later_text)[:SNIPPET],
                "score": round(match.similarity, 4),
                "kind": kind,
                "earlier": copy,
            }
            if context:
                evidence |= {
                    "context": context,
                    "authors": match.authors,
                    "matched": find_links(later_text)[:5],
                }
            key = f"activity:{later}"
            if kind == "image":
                path = prints.paths[match.index] or ""
                evidence["image"], copy["image"] = path, prints.paths[match.earlier]
                key = (
                    f"activity:{later}:image:{zlib.crc32(path.encode()):08x}"  # stable across scans
                )
            items.append(
                {
                    "activity_id": later,
                    "member_id": later_member,
                    "signal": signal,
                    "subject_key": key,
                    "score": round(match.similarity, 4),
                    "evidence": evidence,
                    "occurred_at": later_at,
                }
            )
        return items

    def _heated_items(self) -> list[dict[str, Any]]:
        log = self.threads
        if not log.thread:
            return []
        thread = np.array(log.thread, dtype=np.int64)
        toxicity = np.array(log.toxicity)
        hot = np.unique(
            thread[toxicity >= heated.HOSTILE_LEVEL]
        )  # only threads with some hostility
        # the messages of each hot thread, in scan order: one stable sort, not one pass per thread
        rows = np.flatnonzero(np.isin(thread, hot))
        rows = rows[np.argsort(thread[rows], kind="stable")]
        items = []
        for where in np.split(rows, np.flatnonzero(np.diff(thread[rows])) + 1) if rows.size else []:
            thread_id = thread[where[0]]
            messages = [
                heated.ThreadMessage(
                    log.activity[i], log.member[i], from_micros(log.at[i]), log.toxicity[i]
                )
                for i in where
            ]
            for exchange in heated.find_heated_exchanges(messages):
                first, last = exchange.messages[0], exchange.messages[-1]
                evidence = {
                    "thread_id": int(thread_id),
                    "members": list(exchange.members),
                    "messages": [
                        {
                            "activity_id": m.activity_id,
                            "member_id": m.member_id,
                            "occurred_at": isoformat_utc(m.occurred_at),
                            "toxicity": round(m.toxicity, 3),
                        }
                        for m in exchange.messages
                    ],
                    "slope": round(exchange.slope, 4),
                    "score": round(exchange.score, 4),
                    "median_gap_seconds": exchange.median_gap_seconds,
                }
                items.append(
                    {
                        "activity_id": last.activity_id,
                        "member_id": None,
                        "signal": "heated",
                        "subject_key": f"thread:{thread_id}:{first.activity_id}",
                        "score": round(exchange.score, 4),
                        "evidence": evidence,
                        "occurred_at": last.occurred_at,
                    }
                )
        return items

    def _drift_items(self) -> list[dict[str, Any]]:
        items = []
        for week, tally in drift.drifting_weeks(self.tallies, tolerance=self.tolerance):
            examples = sorted(tally.examples)[: drift.EXAMPLES]
            texts = store.get_activity_texts(self.conn, self.cid, [aid for _s, aid in examples])
            evidence = {
                "week": week.date().isoformat(),
                "share": round(tally.share, 4),
                "tolerance": self.tolerance,
                "contributions": tally.total,
                "unlike": tally.unlike,
                "examples": [
                    {
                        "activity_id": aid,
                        "similarity": round(s, 4),
                        "text": clean_markup(texts[aid][0])[:200],
                    }
                    for s, aid in examples
                    if aid in texts
                ],
            }
            items.append(
                {
                    "activity_id": None,
                    "member_id": None,
                    "signal": "off_topic_drift",
                    "subject_key": f"week:{week.date().isoformat()}",
                    "score": round(tally.share, 4),
                    "evidence": evidence,
                    "occurred_at": week + timedelta(days=7) - timedelta(microseconds=1),
                }
            )
        return items


def _new_account(
    at: datetime, author: store.AuthorContext | None, *, within: timedelta = NEW_ACCOUNT
) -> bool:
    """Whether the author of a message posted at `at` had joined less than NEW_ACCOUNT before (without a
    platform join date, joined_at is their first activity): the spam threshold's new_account_link and
    the campaign rule. Not a first post alone: a member who read for a year and then shares the guide
    everyone shares is no campaign."""
    return author is not None and author.joined_at is not None and at - author.joined_at < within


def _is_staff_or_bot(author: store.AuthorContext | None) -> bool:
    return author is not None and (author.is_staff or author.is_bot)


def _context(
    row: store.ScanRow,
    text: str,
    author: store.AuthorContext | None,
    intro_channels: set[int],
    *,
    new_account: timedelta = NEW_ACCOUNT,
) -> list[str]:
    """Why a message deserves a closer look beyond its words: who posts it, where, when."""
    context = []
    if row.channel_id in intro_channels:
        context.append("introduction")
    if author is not None:
        if (
            author.first_contribution_at is not None
            and row.occurred_at <= author.first_contribution_at
        ):
            context.append("first_post")
        if _new_account(row.occurred_at, author, within=new_account) and has_link(text):
            context.append("new_account_link")
    return context


def do_scan_community(
    conn: Connection,
    community: Community,
    *,
    now: datetime,
    since: datetime | None = None,
    classifier: Classifier | None = None,
    media_root: Path | None = None,
    actor: str = "system",
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
    workers: int | None = None,
    rules: Rules | None = None,
) -> ScanSummary:
    """Scan a community's contributions (those since `since`, or all) into the review queue.

    workers: processes that analyse the texts (None: one per core for scans of PARALLEL_FROM
    contributions or more, else none). The database is read and written by this process only, in the
    caller's transaction; the queue is the same whatever the number of workers. rules: the moderation
    rules (None: the community's, tending.actions.moderation_rules.get_rules)."""
    scanner = _Scanner(
        conn,
        community,
        now=now,
        since=since,
        classifier=classifier or shipped_classifier(),
        media_root=media_root,
        rules=rules or get_rules(conn, community),
    )
    scanner.backfill()
    if workers is None:
        large = store.count_scannable(conn, community.id, since=since) >= PARALLEL_FROM
        workers = (os.cpu_count() or 1) if large else 1
    batches = store.iter_scannable(conn, community.id, since=since, batch_size=batch_size)
    if workers > 1:
        _scan_in_workers(scanner, batches, workers, progress)
    else:
        for rows in batches:
            prepared = scanner.prepare(rows)
            if prepared is not None:
                scanner.apply(prepared, scanner.analyse(prepared))
            if progress is not None:
                progress(len(rows))
    scanner.finish()
    summary = scanner.summary
    record_event(
        conn,
        community.id,
        actor=actor,
        action="moderation.scanned",
        at=now,
        details={"since": isoformat_utc(since), **summary.as_dict()},
    )
    notify_new_items(conn, community, now=now, rules=scanner.rules)
    return summary


_WORKER_SCANNER: _Scanner | None = (
    None  # set in the parent before forking: workers inherit the models
)


def _analyse_in_worker(texts: list[str], known: list[str | None]) -> TextAnalysis:
    assert _WORKER_SCANNER is not None
    return analyse_texts(
        texts, known, classifier=_WORKER_SCANNER.classifier, profile=_WORKER_SCANNER.profile
    )


def _scan_in_workers(
    scanner: _Scanner,
    batches: Iterator[list[store.ScanRow]],
    workers: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Batches are read here, analysed by `workers` forked processes, and applied here in order (a
    few batches ahead at most, so memory stays flat)."""
    global _WORKER_SCANNER
    _WORKER_SCANNER = scanner
    warm_up(scanner.classifier)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending: deque[tuple[int, _Prepared | None, Any]] = deque()
            for rows in batches:
                prepared = scanner.prepare(rows)
                job = (
                    pool.apply_async(_analyse_in_worker, (prepared.texts, prepared.known))
                    if prepared
                    else None
                )
                pending.append((len(rows), prepared, job))
                while len(pending) > workers + 1:
                    _apply_done(scanner, pending.popleft(), progress)
            while pending:
                _apply_done(scanner, pending.popleft(), progress)
    finally:
        _WORKER_SCANNER = None


def _apply_done(
    scanner: _Scanner,
    entry: tuple[int, _Prepared | None, Any],
    progress: Callable[[int], None] | None,
) -> None:
    size, prepared, job = entry
    if prepared is not None:
        scanner.apply(prepared, job.get())
    if progress is not None:
        progress(size)


# -- acting on the queue ---------------------------------------------------------------------------------


@dataclass
class ActResult:
    item_id: int
    action: str
    reply: str | None
    suggested: str
    not_contacted: bool = False


def get_queue(
    conn: Connection,
    community: Community,
    *,
    status: str | None = store.OPEN,
    limit: int | None = None,
) -> list[QueueItem]:
    """Queue items with the action to suggest given each member's confirmed history."""
    return with_suggestions(
        conn, community, store.get_items(conn, community.id, status=status, limit=limit)
    )


def with_suggestions(
    conn: Connection, community: Community, items: list[QueueItem]
) -> list[QueueItem]:
    """The items, each given the action the rules in force suggest for its member's history."""
    counts = store.get_offender_counts(
        conn, community.id, {i["member_id"] for i in items if i["member_id"] is not None}
    )
    rules = get_rules(conn, community)
    for item in items:
        history = counts.get(item["member_id"]) if item["member_id"] is not None else None
        item["suggested_action"] = suggest_action(item["signal"], history, rules)
    return items


def get_suggested_reply(
    conn: Connection, community: Community, item: QueueItem, action: str
) -> str | None:
    """The reply `action` would draft for this open item (None for leave and remove, or when the member asked
    not to be contacted and the action is private): what a moderator edits before acting."""
    check_action(action)
    if action not in ("nudge", "note", "warn"):
        return None
    member = (
        store.get_member_brief(conn, community.id, item["member_id"]) if item["member_id"] else None
    )
    if action in PRIVATE_ACTIONS and member and member["do_not_contact"]:
        return None
    counts = (
        store.get_offender_counts(conn, community.id, [item["member_id"]]).get(item["member_id"])
        if item["member_id"]
        else None
    )
    lang = _reply_language(member, item, community)
    return render_reply(
        action, item["signal"], lang, _reply_context(item, member, community, counts, lang)
    )


def do_act_on_item(
    conn: Connection,
    community: Community,
    item_id: int,
    action: str,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    reply: str | None = None,
    holder: str | None = None,
) -> ActResult:
    """Record a moderator's decision on a queue item and draft the reply it calls for (`reply`: the
    moderator's edited text of that reply, used instead of the template's; never for leave or remove, nor
    to a member who asked not to be contacted). `holder`: whose claims count as the actor's own (the
    actor by default); an item another moderator holds, or one already closed, raises ConflictError."""
    check_action(action)
    item = store.get_item(conn, item_id)
    if item is None or item["community_id"] != community.id:
        raise NotFoundError(
            f"ITEM_ID: no queue item {item_id} in community '{community.name}'.", exit_code=1
        )
    if item["status"] != store.OPEN:
        raise ConflictError(
            f"ITEM_ID: item {item_id} was already handled ({item['action']} by {item['acted_by']})."
        )
    holder = holder if holder is not None else actor
    if held_by_other(item, holder, now):
        raise ConflictError(held_sentence([item_id], item["claimed_until"], community))
    member = (
        store.get_member_brief(conn, community.id, item["member_id"]) if item["member_id"] else None
    )
    counts = (
        store.get_offender_counts(conn, community.id, [item["member_id"]]).get(item["member_id"])
        if item["member_id"]
        else None
    )
    suggested = suggest_action(item["signal"], counts, get_rules(conn, community))
    not_contacted = action in PRIVATE_ACTIONS and bool(member and member["do_not_contact"])
    edited = reply.strip() if reply is not None and reply.strip() else None
    reply = None
    if action in ("nudge", "note", "warn") and not not_contacted:
        reply = edited or draft_reply(community, item, member, counts, action)
    if not store.decide_item(
        conn, item_id, action=action, actor=actor, holder=holder, at=now, reply=reply, note=note
    ):  # decided or claimed by another moderator since it was read
        raise ConflictError(
            f"ITEM_ID: item {item_id} was decided or claimed meanwhile; nothing was changed."
        )
    if action != "leave" and item["member_id"] and item["signal"] not in NOT_COUNTED:
        store.bump_offender(conn, community.id, item["member_id"], action=action, at=now)
    record_event(
        conn,
        community.id,
        actor=actor,
        action=f"moderation.{action}",
        member_id=item["member_id"],
        at=now,
        details={
            "item_id": item_id,
            "signal": item["signal"],
            "suggested": suggested,
            "not_contacted": not_contacted,
            "reply_edited": bool(edited and reply),
        },
    )
    _close_appeal(conn, community, item, action, actor=actor, now=now)
    return ActResult(item_id, action, reply, suggested, not_contacted)


def draft_reply(
    community: Community,
    item: QueueItem,
    member: MemberBrief | None,
    counts: dict[str, int] | None,
    action: str,
) -> str | None:
    """The template's reply of `action` to this item, in the member's language."""
    lang = _reply_language(member, item, community)
    return render_reply(
        action, item["signal"], lang, _reply_context(item, member, community, counts, lang)
    )


def held_by_other(item: QueueItem, holder: str, now: datetime) -> bool:
    """Whether another moderator's claim on the item runs at `now`."""
    until = item.get("claimed_until")
    return (
        bool(item.get("claimed_by"))
        and item["claimed_by"] != holder
        and until is not None
        and until > now
    )


def held_sentence(ids: list[int], until: datetime | None, community: Community) -> str:
    """The refusal for items another moderator holds (who is not named: an address is personal)."""
    when = ""
    if until is not None:
        when = f" until {until.astimezone(get_zone(community.timezone)):%Y-%m-%d %H:%M}"
    which = f"item {ids[0]} is" if len(ids) == 1 else f"items {_some(ids)} are"
    return (
        f"ITEM_ID: {which} claimed by another moderator{when}; ask them to hand it back or wait. "
        "Nothing was changed."
    )


def _some(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown if len(ids) <= 5 else f"{shown} and {len(ids) - 5} more"


APPEAL_OUTCOMES = ("upheld", "changed", "overturned")


def appeal_outcome(original: str, decided: str) -> str:
    """The same action upholds the appealed decision, leaving the message overturns it, another
    action changes it."""
    if decided == original:
        return "upheld"
    return "overturned" if decided == "leave" else "changed"


def _close_appeal(
    conn: Connection,
    community: Community,
    item: QueueItem,
    action: str,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Deciding an appealed item again records the appeal's outcome: the same action upholds the
    decision, leaving the message overturns it, another action changes it."""
    appeals = store.get_appeals(conn, community.id, [item["id"]]).get(item["id"], [])
    pending = [a for a in appeals if a["outcome"] is None]
    if not pending:
        return
    appeal = pending[-1]
    outcome = appeal_outcome(appeal["original_action"], action)
    store.decide_appeal(
        conn, appeal["id"], outcome=outcome, decided_action=action, decided_by=actor, decided_at=now
    )
    record_event(
        conn,
        community.id,
        actor=actor,
        action="moderation.appeal_decided",
        member_id=item["member_id"],
        at=now,
        details={
            "item_id": item["id"],
            "appeal_id": appeal["id"],
            "outcome": outcome,
            "original": appeal["original_action"],
            "decided": action,
        },
    )


def _reply_language(member: MemberBrief | None, item: QueueItem, community: Community) -> str:
    evidence_lang = item["evidence"].get("lang") if isinstance(item["evidence"], dict) else None
    text = item["evidence"].get("text") if isinstance(item["evidence"], dict) else None
    detected = detect_languages([text], [None])[0] if text else None
    return (
        known_language(member["language"] if member else None)
        or known_language(evidence_lang)
        or detected
        or known_language(community.language)
        or "en"
    )


def _reply_context(
    item: QueueItem,
    member: MemberBrief | None,
    community: Community,
    counts: dict[str, int] | None,
    lang: str,
) -> dict[str, Any]:
    evidence = item["evidence"] if isinstance(item["evidence"], dict) else {}
    name = (member["display_name"] or member["handle"] or "") if member else ""
    earlier = evidence.get("earlier") or {}
    context = evidence.get("context") or []
    return {
        "name": name.split()[0] if name.strip() else "",
        "community": community.name,
        "first_post": "first_post" in context or "introduction" in context,
        "earlier_date": (earlier.get("occurred_at") or "")[:10],
        "reason": SIGNAL_NAMES[lang if lang in SIGNAL_NAMES else "en"].get(
            item["signal"], item["signal"]
        ),
        "flags": (counts or {}).get("flags", 0) + 1,
    }


@dataclass
class QueuePage:
    total: int
    items: list[QueueItem]


def get_queue_page(
    conn: Connection, community: Community, *, status: str | None, limit: int, offset: int
) -> QueuePage:
    """One page of the queue (open items, or the decisions taken: status done), newest first, with each
    item's suggested action, and how many items have that status."""
    items = store.get_items(conn, community.id, status=status, limit=limit, offset=offset)
    return QueuePage(
        store.count_items(conn, community.id, status=status),
        with_suggestions(conn, community, items),
    )
