"""Activities as plain tuples (models.ActivityRows): the layout the parsing process sends and the store
writes from. A row holds ActivityRecord's fields in their order; `occurred_at` is UTC microseconds
(timeutil.to_micros) and `extra` JSON text (a plain str: pickle rebuilds a str subclass object by
object) or None."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tending.models import ActivityRecord, ActivityRows
from tending.timeutil import to_micros

# the places of a row's fields
(
    SOURCE,
    SOURCE_ID,
    MEMBER,
    KIND,
    AT,
    THREAD,
    PARENT,
    CHANNEL,
    TEXT,
    URL,
    LANGUAGE,
    MEMBER_NAME,
    EXTRA,
) = range(13)


def activity_rows(records: Iterable[ActivityRecord]) -> ActivityRows:
    dumps = json.dumps
    return ActivityRows(
        [
            (
                r.source,
                r.source_id,
                r.member_external_id,
                r.kind,
                to_micros(r.occurred_at),
                r.thread_external_id,
                r.parent_source_id,
                r.channel_external_id,
                r.text,
                r.url,
                r.language,
                r.member_name,
                None if r.extra is None else dumps(r.extra),
            )
            for r in records
        ]
    )
