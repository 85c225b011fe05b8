"""The outbox: what tending will send, is sending or sent; approving or skipping a message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tending.actions.outbox import do_approve, do_skip, get_outbox_page
from tending.actions.web_users import WebUser
from tending.api.common import (
    ApiError,
    CommunityId,
    ItemId,
    Limit,
    Offset,
    actor,
    caller,
    community_of,
    page,
    plain,
    reading,
    writing,
)
from tending.errors import NotFoundError, UsageError
from tending.timeutil import utcnow

router = APIRouter()


def message_json(message: Any) -> dict[str, Any]:
    data: dict[str, Any] = plain(message)
    data.pop("claim_token", None)  # the sender's own bookkeeping
    return data


@router.get("/communities/{community_id}/outbox", summary="The outbox")
def list_outbox(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[
        list[str] | None,
        Query(description="Only these statuses (repeat the parameter for several)."),
    ] = None,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """Messages, the latest due first: drafted, approved, sending, sent, failed, skipped."""
    community = community_of(request, community_id)
    with reading(request) as conn:
        found = get_outbox_page(conn, community, statuses=status, limit=limit, offset=offset)
    return page(
        [message_json(m) for m in found.messages], total=found.total, limit=limit, offset=offset
    )


def _act(request: Request, community_id: int, change: Any) -> dict[str, Any]:
    community = community_of(request, community_id)
    try:
        with writing(request) as conn:
            return message_json(change(conn, community))
    except NotFoundError:
        raise
    except UsageError as error:  # the message was sent or skipped meanwhile
        raise ApiError(409, str(error)) from None


@router.post("/communities/{community_id}/outbox/{message_id}/approve", summary="Approve a message")
def approve(
    request: Request,
    community_id: CommunityId,
    message_id: ItemId,
    user: WebUser = caller("moderator"),
) -> dict[str, Any]:
    """Let a drafted (or failed) message go when due; audited as the dashboard's button is."""
    return _act(
        request,
        community_id,
        lambda conn, community: do_approve(conn, community, message_id, actor=actor(user)),
    )


@router.post("/communities/{community_id}/outbox/{message_id}/skip", summary="Skip a message")
def skip(
    request: Request,
    community_id: CommunityId,
    message_id: ItemId,
    user: WebUser = caller("moderator"),
) -> dict[str, Any]:
    """Decide a message will not be sent; audited as the dashboard's button is."""
    return _act(
        request,
        community_id,
        lambda conn, community: do_skip(
            conn, community, message_id, actor=actor(user), reason="human"
        ),
    )


@router.post("/communities/{community_id}/outbox/{message_id}/reopen", summary="Reopen a message")
def reopen(
    request: Request,
    community_id: CommunityId,
    message_id: ItemId,
    user: WebUser = caller("moderator"),
) -> dict[str, Any]:
    """Put an approved message not yet being sent, or one a person skipped, back to drafted (the
    dashboard's Undo); audited. 409 when it is sent, being sent, or was skipped by tending itself."""
    from tending.actions.outbox_queue import do_reopen_messages, get_outbox_messages

    def change(conn: Any, community: Any) -> Any:
        do_reopen_messages(conn, community, [message_id], actor=actor(user), now=utcnow())
        return get_outbox_messages(conn, community, [message_id])[0]

    return _act(request, community_id, change)
