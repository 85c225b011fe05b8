"""Sources: the community's live connectors (state, last sync in the community's time, last error, items
fetched; sync now; add and remove for admins) above its file imports (views/imports.py renders both).

Every change goes through tending.actions.connectors, as `tending connect`, `tending sync` and
`tending connectors remove` do. A sync runs in a background thread (a first sync can take minutes); the
page refreshes itself while one runs. Credentials are references (env:VARIABLE, config:KEY), never
values: the form refuses a secret given as a value, as the CLI does, and the page shows references only.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tending.actions.connectors import (
    ConnectorInfo,
    do_connect,
    do_remove,
    do_sync,
    get_connector_kinds,
    get_connectors,
)
from tending.actions.web_users import WebSession
from tending.config import read_config_file
from tending.errors import TendingError
from tending.models import Community
from tending.web.auth import WebState, acting, get_state
from tending.web.pages import translator
from tending.web.views.common import community_or_404, see_other

router = APIRouter()
log = logging.getLogger(__name__)
_lock = threading.Lock()


def connectors_context(request: Request, community: Community) -> dict[str, Any]:
    """What the Sources page shows of the connectors (views/imports.py renders the page)."""
    state = get_state(request)
    found = get_connectors(state.engine, community_name=community.name)
    return {
        "connectors": found,
        "syncing": {c.id for c in found if c.id in state.syncing},
        "connector_kinds": get_connector_kinds(translator(request).language),
    }


def _owned(request: Request, community: Community, connector_id: int) -> ConnectorInfo:
    found = get_connectors(get_state(request).engine, community_name=community.name)
    for info in found:
        if info.id == connector_id:
            return info
    raise HTTPException(404)


def _page(community: Community, **query: str) -> Response:
    return see_other(f"/c/{community.id}/sources", **query)


def parse_fields(text: str) -> dict[str, str]:
    """NAME=VALUE lines (blank lines ignored), as `tending connect` takes them."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise TendingError(
                f"credentials, line {number}: write NAME=VALUE (e.g. token=env:BOT_TOKEN)."
            )
        found[name.strip()] = value.strip()
    return found


@router.post("/c/{community_id}/sources/connect")
def connect(
    request: Request,
    community_id: int,
    kind: str = Form(...),
    target: str = Form(...),
    fields: str = Form(""),
    session: WebSession = acting("admin"),
) -> Response:
    from tending.web.views.imports import render_sources

    community = community_or_404(request, community_id)
    try:
        connected = do_connect(
            get_state(request).engine,
            kind,
            target,
            community_name=community.name,
            fields=parse_fields(fields),
            file_values=read_config_file(),
            actor=f"web:{session.user.email}",
        )
    except TendingError as error:
        return render_sources(
            request,
            community,
            connect_error=str(error),
            # the fields are not shown again: a secret given by mistake as a value stays off the page
            connect_form={"kind": kind, "target": target, "fields": ""},
            status_code=400,
        )
    return _page(community, connected=str(connected.connector.id))


@router.post("/c/{community_id}/sources/{connector_id}/sync")
def sync_now(
    request: Request,
    community_id: int,
    connector_id: int,
    session: WebSession = acting("moderator"),
) -> Response:
    community = community_or_404(request, community_id)
    _owned(request, community, connector_id)
    state = get_state(request)
    with _lock:
        if connector_id in state.syncing:
            return _page(community, msg="syncing")
        state.syncing.add(connector_id)
    threading.Thread(
        target=_sync, args=(state, connector_id), daemon=True, name=f"sync-{connector_id}"
    ).start()
    return _page(community, msg="syncing")


def _sync(state: WebState, connector_id: int) -> None:
    """A failure is recorded on the connector (its state and reason), never raised."""
    try:
        do_sync(
            state.engine,
            connector_id=connector_id,
            file_values=read_config_file(),
            now=state.now(),
        )
    except TendingError as error:  # the connector was removed in between
        log.warning("sync of connector %s did not run: %s", connector_id, error)
    finally:
        with _lock:
            state.syncing.discard(connector_id)


@router.post("/c/{community_id}/sources/{connector_id}/remove")
def remove(
    request: Request,
    community_id: int,
    connector_id: int,
    session: WebSession = acting("admin"),
) -> Response:
    community = community_or_404(request, community_id)
    _owned(request, community, connector_id)
    do_remove(get_state(request).engine, connector_id, actor=f"web:{session.user.email}")
    return _page(community, msg="removed")
