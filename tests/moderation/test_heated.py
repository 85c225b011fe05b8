"""Heated exchanges on hand-built threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tending.moderation.heated import ThreadMessage, find_heated_exchanges

START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
ADA, BRUNO, CHLOE = 1, 2, 3


def _thread(spec: list[tuple[int, int, float]]) -> list[ThreadMessage]:
    """(member, minutes after START, toxicity) per message."""
    return [
        ThreadMessage(100 + i, member, START + timedelta(minutes=minutes), tox)
        for i, (member, minutes, tox) in enumerate(spec)
    ]


def test_two_members_trading_fast_and_increasingly_hostile_replies() -> None:
    thread = _thread(
        [
            (CHLOE, 0, 0.05),
            (ADA, 3, 0.1),
            (BRUNO, 5, 0.2),
            (CHLOE, 6, 0.05),
            (ADA, 7, 0.45),
            (BRUNO, 9, 0.7),
            (ADA, 10, 0.85),
        ]
    )
    [exchange] = find_heated_exchanges(thread)
    assert exchange.members == (ADA, BRUNO)
    assert [m.activity_id for m in exchange.messages] == [101, 102, 104, 105, 106]
    assert exchange.slope == pytest.approx(0.2)
    assert exchange.score == pytest.approx((0.45 + 0.7 + 0.85) / 3)
    assert exchange.median_gap_seconds == 120


def test_calm_or_slow_exchanges_are_not_heated() -> None:
    calm = _thread(
        [(ADA, 0, 0.1), (BRUNO, 2, 0.05), (ADA, 4, 0.1), (BRUNO, 6, 0.1), (ADA, 8, 0.05)]
    )
    slow = _thread([(ADA, 0, 0.2), (BRUNO, 60, 0.5), (ADA, 120, 0.7), (BRUNO, 180, 0.9)])
    cooling = _thread([(ADA, 0, 0.9), (BRUNO, 2, 0.8), (ADA, 4, 0.5), (BRUNO, 6, 0.3)])
    assert find_heated_exchanges(calm) == []
    assert find_heated_exchanges(slow) == []
    assert find_heated_exchanges(cooling) == []


def test_one_member_ranting_alone_is_not_an_exchange() -> None:
    rant = _thread([(ADA, i, 0.2 + 0.1 * i) for i in range(6)])
    assert find_heated_exchanges(rant) == []
