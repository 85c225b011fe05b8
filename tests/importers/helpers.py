"""What the importer tests share: run a parser and sort what it yields."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tending.importers import get_importer
from tending.importers.base import BadRecord, CommunityHint, ParseOptions, Skip
from tending.models import ActivityRecord, ChannelRecord, MemberRecord, ThreadRecord

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Parsed:
    members: list[MemberRecord] = field(default_factory=list)
    activities: list[ActivityRecord] = field(default_factory=list)
    threads: list[ThreadRecord] = field(default_factory=list)
    channels: list[ChannelRecord] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    bad: list[BadRecord] = field(default_factory=list)

    def kinds(self) -> Counter[str]:
        return Counter(a.kind for a in self.activities)

    def member(self, external_id: str) -> MemberRecord:
        return next(m for m in self.members if m.external_id == external_id)

    def activity(self, source_id: str) -> ActivityRecord:
        return next(a for a in self.activities if a.source_id == source_id)

    def by(self, member: str) -> list[ActivityRecord]:
        return [a for a in self.activities if a.member_external_id == member]


def parse(kind: str, path: Path, options: ParseOptions | None = None) -> Parsed:
    parsed = Parsed()
    for item in get_importer(kind).parse(path, options=options or ParseOptions()):
        if isinstance(item, MemberRecord):
            parsed.members.append(item)
        elif isinstance(item, ActivityRecord):
            parsed.activities.append(item)
        elif isinstance(item, ThreadRecord):
            parsed.threads.append(item)
        elif isinstance(item, ChannelRecord):
            parsed.channels.append(item)
        elif isinstance(item, CommunityHint):
            parsed.hints.append(item.name)
        elif isinstance(item, Skip):
            parsed.skipped[item.reason] += 1
        elif isinstance(item, BadRecord):
            parsed.bad.append(item)
    return parsed
