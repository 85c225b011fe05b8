"""The members page's lists when a lifecycle filter is chosen (inactive for N days, state, segment).

These are the members capability's questions, and it alone answers them: tending.store.members for "inactive
for N days as of T" (its rollup or activities SQL, in its order: the most recently silent first), and
tending.actions.members.get_member_list for states and segments (tending.lib.lifecycle, tending.lib.segments).
The dashboard only intersects the answer with its own filters (name, tag, who) and pages it. Answers are
cached per data stamp and instant (see views/members.py), since the state of 100,000 members is computed in
Python from every member's facts.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from tending.actions.members import get_lifecycle_settings, get_member_list, get_window_days
from tending.lib.lifecycle import NEVER_CONTRIBUTED, WENT_QUIET, days_before, inactive_kind
from tending.lib.segments import LURKERS, assign_segments
from tending.models import Community
from tending.store import dashboard
from tending.store import members as member_store
from tending.store.dashboard import MemberFilter

INACTIVE_ORDER, NEWEST_ORDER = "inactive", "newest"


@dataclass(frozen=True, slots=True)
class LifecycleFilter:
    inactive_days: int | None = None
    state: str | None = None
    segment: str | None = None
    inactive_kind: str | None = None  # with inactive_days: WENT_QUIET or NEVER_CONTRIBUTED only

    @property
    def chosen(self) -> bool:
        return self.inactive_days is not None or self.state is not None or self.segment is not None

    @property
    def needs_states(self) -> bool:
        """States and segments are computed member by member in Python: far costlier than the inactive SQL."""
        return self.state is not None or self.segment is not None


@dataclass(frozen=True, slots=True)
class IdList:
    ids: array  # member ids, in the list's order
    order: str  # INACTIVE_ORDER or NEWEST_ORDER
    went_quiet: int | None = None  # an inactive list: how many went quiet (they come first)...
    never_contributed: int | None = None  # ...and how many never contributed, before inactive_kind

    def kind_at(self, index: int, wanted: str | None) -> str | None:
        """Why the member at `index` of an inactive list is in it (WENT_QUIET or NEVER_CONTRIBUTED)."""
        if self.went_quiet is None:
            return None
        if wanted is not None:
            return wanted
        return WENT_QUIET if index < self.went_quiet else NEVER_CONTRIBUTED

    def of_kind(self, kind: str | None) -> IdList:
        """Only the members who went quiet, or only those who never contributed."""
        if kind is None or self.went_quiet is None:
            return self
        ids = self.ids[: self.went_quiet] if kind == WENT_QUIET else self.ids[self.went_quiet :]
        return IdList(ids, self.order, self.went_quiet, self.never_contributed)


def _inactive(ids: array, went_quiet: int) -> IdList:
    return IdList(ids, INACTIVE_ORDER, went_quiet, len(ids) - went_quiet)


def _newest_first(row: member_store.MemberRow) -> tuple[float, int]:
    joined = row.facts.joined_at or datetime.min.replace(tzinfo=UTC)
    return -joined.timestamp(), -row.member.id


def get_lifecycle_ids(
    conn: Connection,
    community: Community,
    wanted: LifecycleFilter,
    *,
    as_of: datetime,
    indexes: Indexes | None = None,
) -> IdList:
    """Every member the members capability lists for this filter as of `as_of`, in its order.

    `indexes` answers a state or a segment alone (every state's and segment's members, computed once; see
    get_state_index): the views keep it cached for the hour."""
    return _lifecycle_ids(conn, community, wanted, as_of=as_of, indexes=indexes).of_kind(
        wanted.inactive_kind
    )


def _lifecycle_ids(
    conn: Connection,
    community: Community,
    wanted: LifecycleFilter,
    *,
    as_of: datetime,
    indexes: Indexes | None,
) -> IdList:
    if not wanted.needs_states:
        assert wanted.inactive_days is not None
        lifecycle = get_lifecycle_settings(community)
        method = member_store.inactive_method(conn, community.id, as_of, lifecycle)
        if method == member_store.PYTHON:
            _total, rows = member_store.get_inactive_members(
                conn, community.id, as_of=as_of, days=wanted.inactive_days, lifecycle=lifecycle
            )
            quiet = sum(inactive_kind(r.facts) == WENT_QUIET for r in rows)
            return _inactive(array("q", (r.member.id for r in rows)), quiet)
        ids = member_store.page_inactive(
            conn,
            community.id,
            as_of=as_of,
            days=wanted.inactive_days,
            method=method,
            limit=None,
            zone=lifecycle.zone,
        )
        quiet = member_store.count_went_quiet(
            conn,
            community.id,
            as_of=as_of,
            days=wanted.inactive_days,
            method=method,
            zone=lifecycle.zone,
        )
        return _inactive(array("q", ids), quiet)
    if (
        indexes is not None
        and wanted.inactive_days is None
        and (wanted.state is None) != (wanted.segment is None)
    ):
        key = (
            ("state", wanted.state)
            if wanted.state is not None
            else ("segment", str(wanted.segment))
        )
        found = indexes.get(key)
        return IdList(found if found is not None else array("q"), NEWEST_ORDER)
    listing = get_member_list(
        conn,
        community,
        as_of=as_of,
        inactive_days=wanted.inactive_days,
        state=wanted.state,
        segment=wanted.segment,
    )
    if wanted.inactive_days is not None:  # get_member_list keeps the inactive list's order
        return _inactive(array("q", (r.member.id for r in listing.rows)), listing.went_quiet or 0)
    rows = sorted(listing.rows, key=_newest_first)
    return IdList(array("q", (r.member.id for r in rows)), NEWEST_ORDER)


Indexes = dict[tuple[str, str], array]


def get_state_index(conn: Connection, community: Community, *, as_of: datetime) -> Indexes:
    """The members of every state and every segment as of `as_of`, newest first, in one pass over the members'
    facts: the same composition as tending.actions.members.get_member_list (each member's state from
    store.members.get_member_rows; segments by lib.segments.assign_segments over the window's counts, among the
    window's population), done once for all states and segments instead of once per filter (a test checks both
    agree)."""
    lifecycle = get_lifecycle_settings(community)
    rows = sorted(
        member_store.get_member_rows(conn, community.id, as_of=as_of, lifecycle=lifecycle),
        key=_newest_first,
    )
    start = days_before(as_of, get_window_days(community, None), lifecycle.zone)
    counts = member_store.get_window_counts(
        conn, community.id, as_of=as_of, window_start=start, lifecycle=lifecycle
    )
    assigned = assign_segments(counts)
    index: Indexes = {}
    for row in rows:
        index.setdefault(("state", str(row.state)), array("q")).append(row.member.id)
        if member_store.in_population(row.facts, as_of=as_of, window_start=start):
            segment = assigned.get(row.member.id, LURKERS)
            index.setdefault(("segment", segment), array("q")).append(row.member.id)
    return index


def narrow(conn: Connection, community_id: int, found: IdList, wanted: MemberFilter) -> IdList:
    """Keep the members the dashboard's own filters (name, tag, who) also keep, in the same order."""
    if not wanted.narrows_people:
        return found
    keep = dashboard.get_matching_ids(conn, community_id, wanted)
    return IdList(array("q", (i for i in found.ids if i in keep)), found.order)
