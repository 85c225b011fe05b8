"""Communities and what the CLI's reading commands answer about one: members (with the dashboard's filters),
inactive members, check-ins, health, alerts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request

from tending.actions import members as member_actions
from tending.actions.alerts import get_alerts_page
from tending.actions.checkins import do_checkin, get_checkin_list
from tending.actions.communities import get_communities
from tending.actions.health import get_health_report
from tending.actions.web_users import WebUser
from tending.api.common import (
    AsOf,
    CommunityId,
    ItemId,
    Limit,
    Offset,
    actor,
    caller,
    community_of,
    get_state,
    page,
    plain,
    reading,
    resolve_as_of,
    writing,
)
from tending.lib.lifecycle import STATES
from tending.lib.segments import SEGMENTS
from tending.models import Community, HealthReport
from tending.timeutil import isoformat_utc

router = APIRouter()

Kind = Literal["people", "members", "staff", "bots", "all"]
State = Literal[STATES]  # type: ignore[valid-type]
Segment = Literal[SEGMENTS]  # type: ignore[valid-type]


def community_json(community: Community) -> dict[str, Any]:
    return {
        "id": community.id,
        "name": community.name,
        "platform": community.platform,
        "timezone": community.timezone,
        "language": community.language,
    }


@router.get("/communities", summary="The communities")
def list_communities(
    request: Request, limit: Limit = 50, offset: Offset = 0, user: WebUser = caller("viewer")
) -> dict[str, Any]:
    with reading(request) as conn:
        found = get_communities(conn)
    return page(
        [community_json(c) for c in found[offset : offset + limit]],
        total=len(found),
        limit=limit,
        offset=offset,
    )


@router.get("/communities/{community_id}", summary="One community")
def one_community(
    request: Request, community_id: CommunityId, user: WebUser = caller("viewer")
) -> dict[str, Any]:
    return community_json(community_of(request, community_id))


@router.get("/communities/{community_id}/members", summary="Members, with the dashboard's filters")
def list_members(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Annotated[str, Query(max_length=200, description="Name or handle contains")] = "",
    tag: Annotated[str, Query(max_length=100)] = "",
    kind: Kind = "people",
    inactive_days: Annotated[int | None, Query(ge=1, le=36500)] = None,
    state: State | None = None,
    segment: Segment | None = None,
    as_of: AsOf = None,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """The members list of the dashboard: search, tag and who, with the lifecycle filters (inactive for N
    days, state, segment) as of an instant; merged-away members are never listed."""
    community = community_of(request, community_id)
    moment = resolve_as_of(request, community, as_of)
    wanted = member_actions.MemberFilter(search=q.strip(), tag=tag.strip(), kind=kind)
    with reading(request) as conn:
        found = member_actions.get_member_page(
            conn,
            community,
            as_of=moment,
            wanted=wanted,
            inactive_days=inactive_days,
            state=state,
            segment=segment,
            limit=limit,
            offset=offset,
        )
    return page(
        plain(found.rows),
        total=found.total,
        limit=limit,
        offset=offset,
        as_of=isoformat_utc(moment),
        order=found.order,
    )


def member_json(row: Any) -> dict[str, Any]:
    """The keys of `tending members --format json`."""
    m, f = row.member, row.facts
    return {
        "id": m.external_id,
        "member_id": m.id,
        "name": m.display_name,
        "handle": m.handle,
        "platform": m.platform,
        "joined_at": isoformat_utc(f.joined_at),
        "last_contribution_at": isoformat_utc(f.last_contribution_at),
        "contributions": f.contributions,
        "state": row.state,
    }


@router.get("/communities/{community_id}/inactive", summary="Members inactive for N days")
def list_inactive(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    days: Annotated[int, Query(ge=1, le=36500)] = 60,
    as_of: AsOf = None,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """As `tending members --inactive-days N`: no contribution in the last N days (and joined at least N days
    ago), the most recently silent first."""
    community = community_of(request, community_id)
    moment = resolve_as_of(request, community, as_of)
    with reading(request) as conn:
        found = member_actions.get_member_list(
            conn, community, as_of=moment, inactive_days=days, limit=offset + limit
        )
    return page(
        [member_json(r) for r in found.rows[offset : offset + limit]],
        total=found.total,
        limit=limit,
        offset=offset,
        as_of=isoformat_utc(moment),
        days=days,
    )


@router.get("/communities/{community_id}/checkins", summary="Who to check in on privately")
def list_checkins(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    as_of: AsOf = None,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """As `tending checkins --format json`: most urgent first, each with its reasons."""
    community = community_of(request, community_id)
    moment = resolve_as_of(request, community, as_of)
    with reading(request) as conn:
        lines = get_checkin_list(conn, community, as_of=moment)
    items = [
        {
            "priority": n,
            "id": line.member.external_id,
            "member_id": line.member.id,
            "name": line.member.display_name,
            "handle": line.member.handle,
            "platform": line.member.platform,
            "reason": line.entry.reason,
            "reasons": [{"code": r.code, **r.details} for r in line.entry.reasons],
            "silent_days": line.entry.silent_days,
        }
        for n, line in enumerate(lines[offset : offset + limit], start=offset + 1)
    ]
    return page(items, total=len(lines), limit=limit, offset=offset, as_of=isoformat_utc(moment))


@router.post(
    "/communities/{community_id}/checkins/{member_id}",
    status_code=201,
    summary="Check in on a member (drafts a private message)",
)
def check_in(
    request: Request,
    community_id: CommunityId,
    member_id: ItemId,
    message: Annotated[str | None, Body(embed=True, max_length=10_000)] = None,
    user: WebUser = caller("moderator"),
) -> dict[str, Any]:
    """As the check-ins page's button: the check-in row and its draft in the outbox (audited)."""
    community = community_of(request, community_id)
    with writing(request) as conn:
        checkin = do_checkin(
            conn,
            community,
            member_id,
            actor=actor(user),
            now=get_state(request).now(),
            message=message,
        )
    return plain(checkin)


@router.get("/communities/{community_id}/health", summary="The health report")
def health(
    request: Request,
    community_id: CommunityId,
    as_of: AsOf = None,
    window_days: Annotated[int, Query(ge=1, le=3660)] = 28,
    user: WebUser = caller("viewer"),
) -> HealthReport:
    """As `tending health --format json` (every key is defined in docs/health.md)."""
    community = community_of(request, community_id)
    moment = resolve_as_of(request, community, as_of)
    with writing(request) as conn:  # PostgreSQL: the report sets transaction-local planner options
        return get_health_report(conn, community, as_of=moment, window_days=window_days)


@router.get("/communities/{community_id}/alerts", summary="The alerts raised")
def list_alerts(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """The early warnings raised so far (by `tending alerts` or the worker), the latest first."""
    community = community_of(request, community_id)
    with reading(request) as conn:
        found = get_alerts_page(conn, community, limit=limit, offset=offset)
    items = [
        {
            "id": a.id,
            "kind": a.kind,
            "severity": a.severity,
            "summary": a.summary,
            "as_of": isoformat_utc(a.as_of),
            "created_at": isoformat_utc(a.created_at),
            "delivered_at": isoformat_utc(a.delivered_at),
            "details": a.details,
        }
        for a in found.alerts
    ]
    return page(items, total=found.total, limit=limit, offset=offset)
