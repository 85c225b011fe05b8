"""A community's live connectors: list them, pause, resume, and sync one now (tending.actions.connectors,
as `tending connectors` and `tending sync --connector ID` do).

Roles: a viewer lists; a moderator syncs (as on the Sources page); pausing and resuming change what the
worker does with a source, as connecting and removing do, so they need an admin. Credentials are shown
as references (env:VARIABLE, config:KEY), never as values.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from tending.actions.connectors import (
    do_pause,
    do_request_sync,
    do_resume,
    get_community_connector,
    get_connectors,
)
from tending.actions.web_users import WebUser
from tending.api.common import (
    MAX_ID,
    ApiState,
    CommunityId,
    Limit,
    Offset,
    actor,
    caller,
    community_of,
    get_state,
    page,
)
from tending.config import read_config_file

router = APIRouter()

ConnectorId = Annotated[
    int,
    Path(ge=1, le=MAX_ID, description="The connector's id (GET .../connectors)."),
]


@router.get("/communities/{community_id}/connectors", summary="The live connectors")
def list_connectors(
    request: Request,
    community_id: CommunityId,
    limit: Limit = 50,
    offset: Offset = 0,
    user: WebUser = caller("viewer"),
) -> dict[str, Any]:
    """The keys of `tending connectors --format json`: state (ok, failing with its reason, paused), last
    sync, cursor, items fetched, credential references."""
    community = community_of(request, community_id)
    found = get_connectors(get_state(request).engine, community_name=community.name)
    return page(
        [info.as_dict() for info in found[offset : offset + limit]],
        total=len(found),
        limit=limit,
        offset=offset,
    )


@router.post(
    "/communities/{community_id}/connectors/{connector_id}/pause", summary="Pause a connector"
)
def pause(
    request: Request,
    community_id: CommunityId,
    connector_id: ConnectorId,
    user: WebUser = caller("admin"),
) -> dict[str, Any]:
    """The worker skips it until it is resumed (what it synced stays); audited."""
    engine = _checked(request, community_id, connector_id).engine
    return do_pause(engine, connector_id, actor=actor(user)).as_dict()


@router.post(
    "/communities/{community_id}/connectors/{connector_id}/resume", summary="Resume a connector"
)
def resume(
    request: Request,
    community_id: CommunityId,
    connector_id: ConnectorId,
    user: WebUser = caller("admin"),
) -> dict[str, Any]:
    """Back to ok: the worker syncs it at its next interval (a failing one is tried again); audited."""
    engine = _checked(request, community_id, connector_id).engine
    return do_resume(engine, connector_id, actor=actor(user)).as_dict()


@router.post(
    "/communities/{community_id}/connectors/{connector_id}/sync", summary="Sync a connector now"
)
def sync_now(
    request: Request,
    community_id: CommunityId,
    connector_id: ConnectorId,
    user: WebUser = caller("moderator"),
) -> dict[str, Any]:
    """One incremental pass of this connector (paused or not), answered when it is over, with the keys of
    `tending sync --json`. A platform that fails is not an error of the request: the answer says
    state failing and the reason, as the connector now does. The request is audited."""
    state = _checked(request, community_id, connector_id)
    result = do_request_sync(
        state.engine,
        connector_id,
        actor=actor(user),
        file_values=read_config_file(),
        now=state.now(),
    )
    return result.as_dict()


def _checked(request: Request, community_id: int, connector_id: int) -> ApiState:
    """The app's state, once the community is readable and the connector is one of its own (else the
    404 the API answers for either)."""
    community = community_of(request, community_id)
    state = get_state(request)
    get_community_connector(state.engine, community.id, connector_id)
    return state
