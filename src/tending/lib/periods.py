"""Periods in microseconds since the epoch (UTC): a window (start, end] and the whole days inside it, and
calendar months as integers (year * 12 + month - 1). Pure: numbers in, numbers out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tending.timeutil import MICROS_PER_DAY, to_micros


@dataclass(frozen=True)
class Window:
    """(start, end] in microseconds, and the whole UTC days inside it."""

    start: int
    end: int

    @property
    def first_full_day(self) -> int:
        return self.start // MICROS_PER_DAY + 1

    @property
    def last_full_day(self) -> int:
        return (self.end + 1) // MICROS_PER_DAY - 1

    @property
    def has_full_days(self) -> bool:
        return self.first_full_day <= self.last_full_day

    def raw_ranges(self) -> list[tuple[int, int]]:
        """The parts of the window outside whole days, as inclusive [low, high] microsecond ranges."""
        if not self.has_full_days:
            return [(self.start + 1, self.end)]
        ranges = [
            (self.start + 1, self.first_full_day * MICROS_PER_DAY - 1),
            ((self.last_full_day + 1) * MICROS_PER_DAY, self.end),
        ]
        return [(low, high) for low, high in ranges if low <= high]


def window_of(as_of: datetime, window_days: int) -> Window:
    end = to_micros(as_of)
    return Window(start=end - window_days * MICROS_PER_DAY, end=end)


def month_of(micros: int) -> int:
    moment = (
        datetime.fromtimestamp(micros / 1_000_000, UTC)
        if micros >= 0
        else datetime(1970, 1, 1, tzinfo=UTC)
    )
    return moment.year * 12 + moment.month - 1


def month_start_micros(month: int) -> int:
    return to_micros(datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC))


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"
