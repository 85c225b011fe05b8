"""Heated exchanges: two members trading fast, increasingly hostile replies in one thread.

A pure function of a thread's messages (time order) and their toxicity scores. An exchange is a run
of messages in the thread written alternately by the same two members, each reply within MAX_GAP of
the previous one (messages by others in between are skipped over, as moderators read a thread). It
is heated when it has at least MIN_MESSAGES messages, the hostility rises (the least-squares slope of
toxicity over the run is positive) and the second half averages at least HOSTILE_LEVEL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

MAX_GAP = timedelta(minutes=20)
MIN_MESSAGES = 4
HOSTILE_LEVEL = 0.4


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    activity_id: int
    member_id: int
    occurred_at: datetime
    toxicity: float


@dataclass(frozen=True)
class HeatedExchange:
    members: tuple[int, int]
    messages: list[ThreadMessage]
    slope: float
    score: float  # mean toxicity of the second half

    @property
    def median_gap_seconds(self) -> float:
        pairs = zip(self.messages, self.messages[1:], strict=False)
        gaps = [(b.occurred_at - a.occurred_at).total_seconds() for a, b in pairs]
        return float(np.median(gaps)) if gaps else 0.0


def _run_from(messages: list[ThreadMessage], i: int, max_gap: timedelta) -> list[ThreadMessage]:
    """The longest alternating two-member run starting at message i, with short gaps."""
    start = messages[i]
    run = [start]
    pair: set[int] | None = None
    for message in messages[i + 1 :]:
        if message.occurred_at - run[-1].occurred_at > max_gap:
            break
        if message.member_id == run[-1].member_id:
            if pair is not None and message.member_id in pair:
                break  # one of the two talks twice in a row: no longer a trade
            continue
        if pair is None:
            pair = {start.member_id, message.member_id}
        if message.member_id not in pair:
            continue  # a third member speaks: read past them
        run.append(message)
    return run


def find_heated_exchanges(
    messages: list[ThreadMessage],
    *,
    max_gap: timedelta = MAX_GAP,
    min_messages: int = MIN_MESSAGES,
    hostile_level: float = HOSTILE_LEVEL,
) -> list[HeatedExchange]:
    ordered = sorted(messages, key=lambda m: (m.occurred_at, m.activity_id))
    found: list[HeatedExchange] = []
    covered: set[int] = set()
    for i in range(len(ordered)):
        if ordered[i].activity_id in covered:
            continue  # already inside a heated exchange found earlier
        run = _run_from(ordered, i, max_gap)
        if len(run) < min_messages:
            continue
        scores = np.array([m.toxicity for m in run])
        slope = float(np.polyfit(np.arange(len(run)), scores, 1)[0])
        late = float(scores[len(run) // 2 :].mean())
        if slope > 0 and late >= hostile_level:
            a, b = sorted({m.member_id for m in run})
            found.append(HeatedExchange((a, b), run, slope, late))
            covered.update(m.activity_id for m in run)
    return found
