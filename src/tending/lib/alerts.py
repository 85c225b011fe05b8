"""Early warnings: pure rules over daily series and recent messages. No SQL, no clock.

Every series is one value per 24-hour slice ending at as_of, oldest first; the last value is "today"
(the 24 hours up to as_of) and the others are its history. Each candidate alert names the threads and
messages behind it. Storing, deduplicating, rate-limiting and delivering is actions/alerts.py.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.numbers import format_decimal, format_percent

from tending.lib.health import mad_anomaly, mean, median
from tending.lib.settings import get_setting
from tending.texts import T_, TN_, Message, translate

MICROS_PER_HOUR = 3_600_000_000
MICROS_PER_DAY = 24 * MICROS_PER_HOUR


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds; each can be overridden by the community setting `alerts.<name>`."""

    history_days: int = 28
    # robust z-score to alert at: 4.5, not the textbook 3.5, measured on Gaussian daily volumes it raises
    # about 1 false alarm in 1,300 days instead of 1 in 150 (tests/health/test_anomaly.py)
    mad_threshold: float = 4.5
    min_volume: int = 10  # a spike of fewer contributions than this is not worth a message
    min_negative: int = (
        3  # negative (or toxic) messages needed in the day before the rate can alert
    )
    rate_floor: float = 0.05  # the rate's robust spread never falls below 5 points
    min_flags: int = 3
    unanswered_after_hours: int = 24  # a thread is unanswered once it waited this long
    backlog_days: int = 7  # unanswered threads started within this many days count in the backlog
    min_backlog: int = 5
    heated_min_messages: int = 8  # in the last 24 hours, in one thread
    heated_top_two_share: float = (
        0.7  # share of those messages written by its two most active people
    )
    heated_max_gap_minutes: float = 10.0  # median gap between consecutive messages
    heated_negative_share: float = 0.3
    per_kind_per_day: int = 3  # rate limit

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> AlertSettings:
        overrides = settings.get("alerts", {}) if isinstance(settings.get("alerts"), dict) else {}
        return cls(
            **{
                k: get_setting(settings, f"alerts.{k}")
                for k in overrides
                if k in cls.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class AlertCandidate:
    kind: str
    subject: str  # with the day, makes the dedupe key: the same alert is raised once
    severity: str  # "warning" or "critical"
    summary: str
    thread_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def _top_threads(messages: Sequence[dict[str, Any]], n: int = 5) -> list[int]:
    counts = Counter(m["thread_id"] for m in messages if m["thread_id"] is not None)
    return [tid for tid, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:n]]


def volume_alert(
    series: Sequence[float], today: Sequence[dict[str, Any]], s: AlertSettings
) -> AlertCandidate | None:
    """Contributions today against the rolling median and MAD of the days before: a spike or a collapse."""
    if not series:
        return None
    found = mad_anomaly(
        series[-1], series[:-1], threshold=s.mad_threshold, min_value=s.min_volume, direction="both"
    )
    if found is None:
        return None
    word = "spike" if found.direction == "up" else "drop"
    return AlertCandidate(
        kind=f"volume_{word}",
        subject=word,
        severity="warning",
        summary=alert_summary(f"volume_{word}", {"value": found.value, "baseline": found.baseline}),
        thread_ids=_top_threads(today),
        message_ids=[m["id"] for m in today[-20:]],
        figures={"value": found.value, "baseline": found.baseline, "score": round(found.score, 2)},
    )


def rate_alert(
    kind: str,
    hits: Sequence[float],
    scored: Sequence[float],
    flagged: Sequence[dict[str, Any]],
    s: AlertSettings,
) -> AlertCandidate | None:
    """The share of negative (or toxic) messages today against its usual level (median + MAD of daily
    rates, days with scored messages only), with at least `min_negative` such messages today."""
    if not scored or scored[-1] == 0 or hits[-1] < s.min_negative:
        return None
    rates = [h / n for h, n in zip(hits[:-1], scored[:-1], strict=True) if n > 0]
    today = hits[-1] / scored[-1]
    found = mad_anomaly(today, rates, threshold=s.mad_threshold, floor=s.rate_floor, min_history=5)
    if found is None:
        return None
    label = "negative" if kind == "negative_rate" else "toxic"
    return AlertCandidate(
        kind=kind,
        subject=label,
        severity="critical" if kind == "toxic_rate" else "warning",
        summary=alert_summary(
            kind, {"rate": today, "messages": hits[-1], "baseline": found.baseline}
        ),
        thread_ids=_top_threads(flagged),
        message_ids=[m["id"] for m in flagged[:50]],
        figures={
            "rate": round(today, 4),
            "baseline": round(found.baseline, 4),
            "messages": int(hits[-1]),
            "score": round(found.score, 2),
        },
    )


def flags_alert(
    flags: Sequence[float], flagged: Sequence[dict[str, Any]], s: AlertSettings
) -> AlertCandidate | None:
    if not flags:
        return None
    found = mad_anomaly(flags[-1], flags[:-1], threshold=s.mad_threshold, min_value=s.min_flags)
    if found is None:
        return None
    return AlertCandidate(
        kind="flags",
        subject="flags",
        severity="warning",
        summary=alert_summary("flags", {"value": found.value, "baseline": found.baseline}),
        thread_ids=_top_threads(flagged),
        message_ids=[m["id"] for m in flagged[:50]],
        figures={"value": found.value, "baseline": found.baseline, "score": round(found.score, 2)},
    )


def backlog_series(
    starts: Sequence[tuple[int, int, int | None]], *, as_of: int, days: int, s: AlertSettings
) -> tuple[list[float], list[int]]:
    """Unanswered threads at the end of each 24-hour slice (oldest first), and those open now, oldest first.

    starts: (thread_id, started_at, first_response_at or None), microseconds. At an instant e a thread is
    in the backlog when it started in (e - backlog_days, e - unanswered_after_hours] and had no response by e.
    """
    wait = s.unanswered_after_hours * MICROS_PER_HOUR
    series = []
    for i in range(days - 1, -1, -1):
        end = as_of - i * MICROS_PER_DAY
        series.append(
            float(
                sum(
                    1
                    for _, at, first in starts
                    if end - s.backlog_days * MICROS_PER_DAY < at <= end - wait
                    and (first is None or first > end)
                )
            )
        )
    oldest = as_of - s.backlog_days * MICROS_PER_DAY
    open_now = sorted(
        (at, tid)
        for tid, at, first in starts
        if oldest < at <= as_of - wait and (first is None or first > as_of)
    )
    return series, [tid for _, tid in open_now]


def backlog_alert(
    series: Sequence[float], open_threads: list[int], s: AlertSettings
) -> AlertCandidate | None:
    if not series:
        return None
    found = mad_anomaly(series[-1], series[:-1], threshold=s.mad_threshold, min_value=s.min_backlog)
    if found is None:
        return None
    figures = {
        "value": found.value,
        "baseline": found.baseline,
        "score": round(found.score, 2),
        "hours": s.unanswered_after_hours,
    }
    return AlertCandidate(
        kind="unanswered_backlog",
        subject="unanswered",
        severity="warning",
        summary=alert_summary(kind="unanswered_backlog", figures=figures),
        thread_ids=open_threads[:20],
        figures=figures,
    )


def heated_threads(messages: Sequence[dict[str, Any]], s: AlertSettings) -> list[AlertCandidate]:
    """Threads where, in the last 24 hours, few people exchanged many fast messages and hostility is high
    or rising (negative share over `heated_negative_share`, a toxic message, or the second half of the
    exchange clearly more negative than the first)."""
    by_thread: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in messages:
        if m["thread_id"] is not None:
            by_thread[m["thread_id"]].append(m)
    out = []
    for tid, items in sorted(by_thread.items()):
        if len(items) < s.heated_min_messages:
            continue
        items = sorted(items, key=lambda m: (m["occurred_at"], m["id"]))
        authors = Counter(m["member_id"] for m in items)
        top_two = sum(n for _, n in authors.most_common(2)) / len(items)
        gaps = [
            (b["occurred_at"] - a["occurred_at"]) / 60_000_000 for a, b in itertools.pairwise(items)
        ]
        gap = median(gaps) or 0.0
        if top_two < s.heated_top_two_share or gap > s.heated_max_gap_minutes:
            continue
        scored = [m for m in items if m.get("sentiment") is not None]
        negative = [m for m in scored if m.get("negative")]
        toxic = [m for m in items if m.get("toxic")]
        half = len(scored) // 2
        early, late = (
            mean([m["sentiment"] for m in scored[:half]]),
            mean([m["sentiment"] for m in scored[half:]]),
        )
        rising = early is not None and late is not None and late < early - 0.2
        share = len(negative) / len(scored) if scored else 0.0
        if not (rising or toxic or share >= s.heated_negative_share):
            continue
        evidence = sorted({m["id"] for m in negative + toxic} | {m["id"] for m in items[-10:]})
        out.append(
            AlertCandidate(
                kind="heated_thread",
                subject=f"thread:{tid}",
                severity="critical" if toxic or rising else "warning",
                summary=alert_summary(
                    "heated_thread",
                    {
                        "messages": len(items),
                        "top_two_share": top_two,
                        "median_gap_minutes": gap,
                        "negative_share": share,
                        "toxic": len(toxic),
                        "rising": rising,
                    },
                ),
                thread_ids=[tid],
                message_ids=evidence,
                figures={
                    "messages": len(items),
                    "top_two_share": round(top_two, 3),
                    "median_gap_minutes": round(gap, 2),
                    "negative_share": round(share, 3),
                    "toxic": len(toxic),
                    "rising": rising,
                    "members": sorted(authors),
                },
            )
        )
    return out


def evaluate(
    *,
    series: dict[str, list[float]],
    today: Sequence[dict[str, Any]],
    starts: Sequence[tuple[int, int, int | None]],
    as_of: int,
    s: AlertSettings,
) -> list[AlertCandidate]:
    """All candidate alerts as of `as_of` (microseconds). `today` holds the last 24 hours' contributions
    with their scores; `starts` the threads started over the history (for the backlog)."""
    out: list[AlertCandidate] = []
    found = volume_alert(series["contributions"], today, s)
    if found:
        out.append(found)
    negative = [m for m in today if m.get("negative")]
    toxic = [m for m in today if m.get("toxic")]
    for kind, hits, flagged in (
        ("negative_rate", series["negative"], negative),
        ("toxic_rate", series["toxic"], toxic),
    ):
        found = rate_alert(kind, hits, series["scored"], flagged, s)
        if found:
            out.append(found)
    found = flags_alert(series["flags"], [m for m in today if m.get("flags")], s)
    if found:
        out.append(found)
    backlog, open_threads = backlog_series(
        starts, as_of=as_of, days=len(series["contributions"]), s=s
    )
    found = backlog_alert(backlog, open_threads, s)
    if found:
        out.append(found)
    out.extend(heated_threads(today, s))
    return out


def negative_mentions_alert(
    series: Sequence[float], mention_ids: list[int], s: AlertSettings
) -> AlertCandidate | None:
    """Negative mentions outside the community (tending listen) in the last 24 hours against the days
    before, with the community alerts' robust baseline (median + MAD, `mad_threshold`), at least
    `min_negative` of them; `series` holds only days the community was listening."""
    if not series:
        return None
    found = mad_anomaly(
        series[-1], series[:-1], threshold=s.mad_threshold, min_value=s.min_negative
    )
    if found is None:
        return None
    return AlertCandidate(
        kind="negative_mentions",
        subject="outside",
        severity="warning",
        summary=alert_summary(
            "negative_mentions", {"value": found.value, "baseline": found.baseline}
        ),
        figures={
            "value": found.value,
            "baseline": found.baseline,
            "score": round(found.score, 2),
            "mentions": mention_ids[:50],
        },
    )


# -- the sentences, in the reader's language ----------------------------------------------------------

SUMMARIES: dict[str, Message] = {
    "volume_spike": TN_(
        "Daily volume spike: %(value)s contribution in the last 24 hours against a usual "
        "%(baseline)s.",
        "Daily volume spike: %(value)s contributions in the last 24 hours against a usual "
        "%(baseline)s.",
    ),
    "volume_drop": TN_(
        "Daily volume drop: %(value)s contribution in the last 24 hours against a usual "
        "%(baseline)s.",
        "Daily volume drop: %(value)s contributions in the last 24 hours against a usual "
        "%(baseline)s.",
    ),
    "negative_rate": TN_(
        "Negative messages: %(rate)s of the last 24 hours (%(messages)s message) against a usual "
        "%(baseline)s.",
        "Negative messages: %(rate)s of the last 24 hours (%(messages)s messages) against a usual "
        "%(baseline)s.",
    ),
    "toxic_rate": TN_(
        "Toxic messages: %(rate)s of the last 24 hours (%(messages)s message) against a usual "
        "%(baseline)s.",
        "Toxic messages: %(rate)s of the last 24 hours (%(messages)s messages) against a usual "
        "%(baseline)s.",
    ),
    "flags": T_("Flags: %(value)s in the last 24 hours against a usual %(baseline)s."),
    "unanswered_backlog": TN_(
        "Unanswered questions piling up: %(value)s thread waiting more than %(hours)s h, against "
        "a usual %(baseline)s.",
        "Unanswered questions piling up: %(value)s threads waiting more than %(hours)s h, against "
        "a usual %(baseline)s.",
    ),
    "negative_mentions": T_(
        "Negative mentions outside: %(value)s in the last 24 hours against a usual %(baseline)s."
    ),
    "heated_thread": TN_(
        "Heated thread: %(messages)s message in 24 hours, %(top_two_share)s of them by two "
        "people, a message every %(median_gap_minutes)s min, %(negative_share)s negative",
        "Heated thread: %(messages)s messages in 24 hours, %(top_two_share)s of them by two "
        "people, a message every %(median_gap_minutes)s min, %(negative_share)s negative",
    ),
}
COUNTED_BY = {  # the figure whose number picks a plural summary's form
    "volume_spike": "value",
    "volume_drop": "value",
    "negative_rate": "messages",
    "toxic_rate": "messages",
    "unanswered_backlog": "value",
    "heated_thread": "messages",
}
HEATED_RISING = T_(", hostility rising")
HEATED_TOXIC = TN_(", %(toxic)s toxic", ", %(toxic)s toxic")
RATES = {"rate", "negative_share", "top_two_share"}  # shares, shown as percentages
COUNTS = {"value", "messages", "toxic", "hours"}  # whole numbers


def _figure(name: str, value: Any, language: str, *, kind: str) -> str:
    """A figure as the English summaries always wrote it, or in the language's own notation (0,5 ;
    12 %); a baseline is a rate for the rate alerts, a count elsewhere."""
    rate = name in RATES or (name == "baseline" and kind in ("negative_rate", "toxic_rate"))
    if language == "en":
        if rate:
            return f"{value:.0%}"
        if name in COUNTS:
            return str(int(value))
        return f"{value:.1f}" if name == "median_gap_minutes" else f"{value:g}"
    if rate:
        return format_percent(value, locale=language)
    if name in COUNTS:
        return format_decimal(int(value), locale=language)
    form = "0.0" if name == "median_gap_minutes" else "#,##0.###"
    return format_decimal(value, format=form, locale=language)


def alert_summary(kind: str, figures: dict[str, Any], language: str = "en") -> str:
    """An alert's one-sentence summary from its kind and figures, in `language`. In English it is the
    summary stored with the alert (and printed in JSON); a kind without a sentence, or figures an older
    version did not store (a backlog's hours), raise KeyError: show the stored summary then."""
    message = SUMMARIES[kind]
    english = message[1] if isinstance(message, tuple) else message
    names = [n for n in figures if f"%({n})s" in english or n == "toxic"]
    values = {n: _figure(n, figures[n], language, kind=kind) for n in names}
    count = int(figures[COUNTED_BY[kind]]) if kind in COUNTED_BY else 0
    text = translate(message, language, **values, count=count)
    if kind == "heated_thread":
        if figures["rising"]:
            text += translate(HEATED_RISING, language)
        if figures["toxic"]:
            said = translate(HEATED_TOXIC, language, toxic=values["toxic"], count=figures["toxic"])
            text += said
        text += "."
    return text


def summary_in(kind: str, figures: dict[str, Any], stored: str, language: str) -> str:
    """A stored alert's summary for a reader of `language` (the stored English one when its figures
    cannot rebuild the sentence)."""
    if language == "en":
        return stored
    try:
        return alert_summary(kind, figures, language)
    except (KeyError, TypeError, ValueError):
        return stored
