"""The moderation queue, the decisions taken, and acting on an item (tending.actions.moderation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Request

from tending.actions.web_users import WebUser
from tending.api.common import (
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
    writing,
)

if TYPE_CHECKING:
    from tending.models import QueueItem

router = APIRouter()

Action = Literal["leave", "nudge", "note", "warn", "remove"]
ITEM_KEYS = (
    "id",
    "signal",
    "score",
    "status",
    "occurred_at",
    "created_at",
    "member_id",
    "activity_id",
    "evidence",
    "suggested_action",
    "action",
    "reply",
    "note",
    "acted_by",
    "acted_at",
)


def item_json(item: QueueItem) -> dict[str, Any]:
    return {key: plain(item.get(key)) for key in ITEM_KEYS}


def _page(
    request: Request, community_id: int, status: str, limit: int, offset: int
) -> dict[str, Any]:
    # imported here: the moderation capability loads its models and language identifier on import
    from tending.actions.moderation import get_queue_page

    community = community_of(request, community_id)
    with reading(request) as conn:
        found = get_queue_page(conn, community, status=status, limit=limit, offset=offset)
    return page([item_json(i) for i in found.items], total=found.total, limit=limit, offset=offset)


@router.get(
    "/communities/{community_id}/moderation/queue", summary="Open items of the review queue"
)
def queue(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """Findings waiting for a moderator, newest first, each with its evidence and the suggested action."""
    return _page(request, community_id, "open", limit, offset)


@router.get("/communities/{community_id}/moderation/decisions", summary="Decisions taken")
def decisions(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """Items a moderator acted on: the action, by whom, when, and the reply sent."""
    return _page(request, community_id, "done", limit, offset)


@router.post(
    "/communities/{community_id}/moderation/queue/{item_id}/decision", summary="Act on an item"
)
def decide(
    request: Request,
    community_id: CommunityId,
    item_id: ItemId,
    action: Annotated[Action, Body()],
    note: Annotated[str | None, Body(max_length=2000)] = None,
    reply: Annotated[str | None, Body(max_length=10_000)] = None,
    user: WebUser = caller("moderator"),
) -> dict[str, Any]:
    """Record a decision as the dashboard's one click does (audited, the member's history bumped), with
    `reply` replacing the drafted reply of nudge, note or warn. 409 when the item was already handled."""
    from tending.actions.moderation import do_act_on_item

    community = community_of(request, community_id)
    state = get_state(request)
    with writing(request) as conn:
        result = do_act_on_item(
            conn,
            community,
            item_id,
            action,
            actor=actor(user),
            now=state.now(),
            note=(note or "").strip() or None,
            reply=reply,
        )
    return plain(result)
