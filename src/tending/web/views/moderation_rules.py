"""The moderation rules page: the rules in force (YAML), a draft to edit, its backtest next to it
(tending.actions.backtest: what the draft would queue that the rules in force do not, and the reverse),
and, for an administrator, switching the draft on. Viewers read; moderators backtest; admins save."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from tending.actions.web_users import WebSession
from tending.errors import BadInputError
from tending.models import Community
from tending.timeutil import get_zone, local_midnight
from tending.web.auth import acting, get_state, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, parse_date, see_other

router = APIRouter()

DRAFT = (
    "rules"  # the name errors give the draft ("rules, line 3: field 'signals.spam.threshold': ...")
)
MAX_DRAFT = 20_000  # characters
DEFAULT_DAYS = 90
MESSAGES = {
    "saved": N_("These rules are now in force: the next scan and the queue use them."),
    "reset": N_("The shipped rules are in force again."),
}


def _page(
    request: Request,
    community: Community,
    *,
    draft: str | None = None,
    since: str | None = None,
    result: Any = None,
    error: str | None = None,
) -> Response:
    from tending.actions.moderation_rules import get_rules_text

    state = get_state(request)
    with state.engine.connect() as conn:
        in_force = get_rules_text(conn, community)
    zone = get_zone(community.timezone)
    default_since = (state.now().astimezone(zone) - timedelta(days=DEFAULT_DAYS)).date()
    _ = translator(request)
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    return render(
        request,
        "moderation_rules.html",
        community=community,
        in_force=in_force,
        draft=draft if draft is not None else in_force,
        since=since or default_since.isoformat(),
        result=result,
        error=error,
        message=_(msg) if msg else None,
        status_code=400 if error else 200,
        page_name="moderation",
    )


@router.get("/c/{community_id}/moderation/rules")
def rules_page(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    return _page(request, community_or_404(request, community_id))


@router.post("/c/{community_id}/moderation/rules/backtest")
def backtest(
    request: Request,
    community_id: int,
    rules: str = Form(""),
    since: str = Form(""),
    session: WebSession = acting("moderator"),
) -> Response:
    from tending.actions.backtest import get_backtest
    from tending.actions.moderation_rules import check_rules_text

    community = community_or_404(request, community_id)
    _ = translator(request)
    draft = rules.replace("\r\n", "\n")[:MAX_DRAFT]
    day = parse_date(since)
    if day is None:
        return _page(
            request,
            community,
            draft=draft,
            since=since,
            error=_("Since: give a date (YYYY-MM-DD)."),
        )
    try:
        proposed = check_rules_text(draft, path=DRAFT)
    except BadInputError as error:
        return _page(request, community, draft=draft, since=since, error=str(error))
    start = local_midnight(day, get_zone(community.timezone))
    with get_state(request).engine.connect() as conn:
        result = get_backtest(conn, community, proposed, since=start)
    return _page(request, community, draft=draft, since=since, result=result)


@router.post("/c/{community_id}/moderation/rules/save")
def save(
    request: Request,
    community_id: int,
    rules: str = Form(""),
    since: str = Form(""),
    session: WebSession = acting("admin"),
) -> Response:
    from tending.actions.moderation_rules import do_set_rules

    community = community_or_404(request, community_id)
    state = get_state(request)
    draft = rules.replace("\r\n", "\n")[:MAX_DRAFT]
    try:
        with state.engine.begin() as conn:
            do_set_rules(
                conn,
                community,
                draft,
                path=DRAFT,
                actor=f"web:{session.user.email}",
                now=state.now(),
            )
    except BadInputError as error:
        return _page(request, community, draft=draft, since=since, error=str(error))
    return see_other(f"/c/{community.id}/moderation/rules", msg="saved")


@router.post("/c/{community_id}/moderation/rules/reset")
def reset(request: Request, community_id: int, session: WebSession = acting("admin")) -> Response:
    from tending.actions.moderation_rules import do_reset_rules

    community = community_or_404(request, community_id)
    state = get_state(request)
    with state.engine.begin() as conn:
        do_reset_rules(conn, community, actor=f"web:{session.user.email}", now=state.now())
    return see_other(f"/c/{community.id}/moderation/rules", msg="reset")
