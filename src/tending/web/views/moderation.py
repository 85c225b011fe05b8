"""Moderation: the review queue of tending.actions.moderation with each finding's evidence (the matched text
and phrases, the earlier copy of a repost, the messages of a heated exchange, the scores), the member's
history (escalation), one-click graded actions, and the suggested reply to edit before acting.

For a team (tending.actions.moderation_queue): filters, pages and "N of M", compact rows that expand to
the evidence, bulk decisions with a preview, claims others see, undo of one's last decision, appeals,
CSV and JSON export of what is listed, and the moderation log.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from tending.actions.members import get_member_names
from tending.actions.web_users import WebSession
from tending.errors import TendingError, UsageError
from tending.models import Community, QueueItem
from tending.web.auth import acting, get_state, require
from tending.web.i18n import Translator
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, parse_int, see_other

router = APIRouter()

PAGE_SIZE = 30
PAGE_SIZES = (30, 50, 100, 200)
EXPORT_MAX = 10_000
REPLY_ACTIONS = ("nudge", "note", "warn")
ACTION_LABELS = {
    "leave": N_("Leave it"),
    "nudge": N_("Nudge (public reply)"),
    "note": N_("Private note"),
    "warn": N_("Warn"),
    "remove": N_("Remove"),
}
SIGNAL_LABELS = {
    "spam": N_("spam"),
    "self_promotion": N_("self-promotion"),
    "repost": N_("repost"),
    "toxic": N_("insult or toxicity"),
    "heated": N_("heated exchange"),
    "off_topic_drift": N_("off-topic drift"),
    "complaint": N_("complaint to answer"),
}
MESSAGES = {
    action: N_("Done: the item is closed and the decision recorded.") for action in ACTION_LABELS
}
MESSAGES["handled"] = N_("This item was already handled meanwhile.")
MESSAGES["held"] = N_("Another moderator holds this item: ask them to hand it back, or wait.")
MESSAGES["bulk"] = N_("Done: the decisions are recorded, one audit row each.")
MESSAGES["claimed"] = N_("The item is yours for 30 minutes; the others see it.")
MESSAGES["released"] = N_("The item is back in the queue.")
MESSAGES["undone"] = N_("Undone: the items are open again.")
MESSAGES["appealed"] = N_("The appeal is recorded and the item open again with its history.")
MESSAGES["refused"] = N_(
    "Nothing was changed: some items were closed or held by someone else meanwhile."
)
LOG_EVENT_LABELS = {
    **ACTION_LABELS,
    "claimed": N_("claimed"),
    "assigned": N_("assigned"),
    "released": N_("handed back"),
    "reopened": N_("reopened"),
    "appealed": N_("appealed"),
    "appeal_decided": N_("appeal decided"),
    "scanned": N_("scanned"),
}
FILTER_KEYS = (
    "signal",
    "channel",
    "language",
    "min_score",
    "max_score",
    "member",
    "older_than",
    "newer_than",
    "account_younger_than",
    "claimed",
    "sort",
)


def preload(_state: object = None) -> None:
    """Import the moderation capability (its models and language identifier take seconds to load) before the
    first visit: the server's background thread calls this once."""
    from tending.actions.review import do_warm_up

    do_warm_up()


def _activity_texts(conn: Connection, community_id: int, items: list[QueueItem]) -> dict[int, Any]:
    """The texts of the messages of heated exchanges (the other evidence carries its own text)."""
    from tending.actions.review import get_activity_texts

    ids = [
        m["activity_id"]
        for item in items
        if item["signal"] == "heated"
        for m in (item["evidence"] or {}).get("messages", [])[:12]
    ]
    return get_activity_texts(conn, community_id, ids) if ids else {}


EDITORS = 10  # reply editors drafted per page (each costs a template and a language guess)


def _editors(
    conn: Connection,
    community: Community,
    items: list[QueueItem],
    asked_id: str,
    asked_action: str,
) -> dict[int, dict[str, Any]]:
    """Which reply each item's editor shows: the one asked for (?reply=<id>:<action>), else the
    suggested action's when it drafts one; drafted for the first EDITORS items and the one asked for,
    the others offer a link that drafts theirs (acting without it drafts the template's reply)."""
    from tending.actions.moderation_queue import get_suggested_replies

    chosen: dict[int, str | None] = {}
    for n, item in enumerate(items):
        asked = asked_id == str(item["id"])
        action = (
            asked_action if asked and asked_action in REPLY_ACTIONS else item["suggested_action"]
        )
        if action in REPLY_ACTIONS and (n < EDITORS or asked):
            chosen[item["id"]] = action
        else:
            chosen[item["id"]] = None
    wanted = [(item, chosen[item["id"]]) for item in items if chosen[item["id"]]]
    texts = get_suggested_replies(conn, community, wanted)  # type: ignore[arg-type]
    return {
        item["id"]: {
            "action": chosen[item["id"]],
            "text": texts.get(item["id"]),
            "later": chosen[item["id"]] is None and item["suggested_action"] in REPLY_ACTIONS,
        }
        for item in items
    }


def _score(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value <= 1 else None


def _sort(filters: dict[str, str]) -> str:
    wanted = filters.get("sort", "newest")
    return wanted if wanted in ("newest", "oldest", "score") else "newest"


def _filters(params: Any) -> dict[str, str]:
    """The filters asked for in the query string, as given (empty ones dropped)."""
    return {k: params.get(k, "").strip() for k in FILTER_KEYS if params.get(k, "").strip()}


def _where(
    conn: Connection,
    community: Community,
    show: str,
    filters: dict[str, str],
    session: WebSession,
    now: Any,
) -> Any:
    """The filter of the listing; a value the actions refuse (an unknown channel, a bad age) is dropped
    with the sentence shown above the list."""
    from tending.actions.moderation_queue import build_filter

    claimed = filters.get("claimed")
    claimed_by = {"mine": session.user.email, "nobody": ""}.get(claimed or "")
    return build_filter(
        conn,
        community,
        now=now,
        status="done" if show == "done" else "open",
        signals=(filters["signal"],) if filters.get("signal") else (),
        channels=(filters["channel"],) if filters.get("channel") else (),
        languages=(filters["language"],) if filters.get("language") else (),
        min_score=_score(filters.get("min_score")),
        max_score=_score(filters.get("max_score")),
        members=(filters["member"],) if filters.get("member") else (),
        older_than=filters.get("older_than"),
        newer_than=filters.get("newer_than"),
        account_younger_than=filters.get("account_younger_than"),
        claimed_by=claimed_by,
    )


def _listing_where(
    conn: Connection,
    community: Community,
    show: str,
    filters: dict[str, str],
    session: WebSession,
    now: Any,
) -> tuple[Any, str | None]:
    try:
        return _where(conn, community, show, filters, session, now), None
    except UsageError as error:
        return _where(conn, community, show, {}, session, now), str(error)


@router.get("/c/{community_id}/moderation")
def moderation(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    from tending.actions.moderation_queue import (
        get_last_decision,
        get_queue_listing,
        short_evidence,
    )
    from tending.actions.moderation_rules import get_default_actions
    from tending.actions.review import get_offender_counts

    community = community_or_404(request, community_id)
    _ = translator(request)
    state = get_state(request)
    now = state.now()
    params = request.query_params
    show = "done" if params.get("show") == "done" else "open"
    per = parse_int(params.get("per"), low=1, high=200) or PAGE_SIZE
    page = parse_int(params.get("page"), low=1, high=100_000) or 1
    filters = _filters(params)
    sort = _sort(filters)
    asked = params.get("reply", "")
    asked_id, _sep, asked_action = asked.partition(":")
    with state.engine.connect() as conn:
        where, problem = _listing_where(conn, community, show, filters, session, now)
        listing = get_queue_listing(
            conn, community, where, now=now, sort=sort, limit=per, offset=(page - 1) * per
        )
        items = listing.items
        people = {i["member_id"] for i in items if i["member_id"]}
        people |= {
            m
            for i in items
            if i["signal"] == "heated"
            for m in (i["evidence"] or {}).get("members", [])
        }
        names = get_member_names(conn, community.id, sorted(people))
        history = get_offender_counts(conn, community.id, people)
        texts = _activity_texts(conn, community.id, items)
        editors = _editors(conn, community, items, asked_id, asked_action) if show == "open" else {}
        opened = {asked_id, params.get("open", "")}
        query = {**filters, "show": show, **({"per": str(per)} if per != PAGE_SIZE else {})}
        labels = {k: _(v) for k, v in ACTION_LABELS.items()}
        zone = ZoneInfo(community.timezone)
        shown: list[dict[str, Any]] = []  # the cards: each item and what the template shows of it
        for item in items:
            card: dict[str, Any] = {
                **item,
                "short": short_evidence(item, width=90),
                "expanded": str(item["id"]) in opened,
            }
            _prepare_row(card, show, labels, zone, _)
            if editors.get(item["id"], {}).get("later"):
                wanted = f"{item['id']}:{item['suggested_action']}"
                card["draft_query"] = urlencode({**query, "reply": wanted, "page": page})
            shown.append(card)
        last = get_last_decision(conn, community, actor=_actor(session), now=now)
        channels = _channel_names(conn, community)
        default_action = get_default_actions(conn, community)
    msg = MESSAGES.get(params.get("msg", ""))
    return render(
        request,
        "moderation.html",
        community=community,
        items=shown,
        total=listing.total,
        first=listing.offset + 1,
        last_shown=listing.offset + len(items),
        names=names,
        history=history,
        texts=texts,
        editors=editors,
        appeals=listing.appeals,
        show=show,
        page=page,
        per=per,
        more=listing.offset + len(items) < listing.total,
        filters=filters,
        sort=sort,
        problem=problem,
        query=lambda **extra: urlencode({**query, **extra}),
        export_query=urlencode({**filters, "show": show}),
        channels=channels,
        last=last,
        me=session.user.email,
        default_action=default_action,
        actions=labels,
        signals={k: _(v) for k, v in SIGNAL_LABELS.items()},
        reply_actions=REPLY_ACTIONS,
        message=_(msg) if msg else None,
        page_name="moderation",
    )


def _prepare_row(
    item: dict[str, Any], show: str, labels: dict[str, str], zone: ZoneInfo, _: Translator
) -> None:
    """What the template shows of one item, computed here in one pass: a 200-item page called
    gettext, Babel and Jinja's filters some 2,000 times from the template."""
    evidence = item["evidence"] if isinstance(item["evidence"], dict) else {}
    item["iso"] = item["occurred_at"].astimezone(zone).isoformat(timespec="minutes")
    item["date"] = _.local_datetime(item["occurred_at"], zone, "short")
    item["score_text"] = f"{item['score']:.2f}"
    item["select_label"] = _("Select item %(id)s", id=item["id"])
    if show == "open":
        item["suggest"] = _("Suggested: %(action)s", action=labels[item["suggested_action"]])
    else:
        item["suggest"] = labels.get(item["action"], item["action"])
        item["acted_date"] = _.local_datetime(item["acted_at"], zone, "short")
    parts = [_("Score %(score)s", score=item["score_text"])]
    if isinstance(evidence.get("threshold"), int | float):
        parts.append(_("threshold %(t)s", t=f"{evidence['threshold']:.2f}"))
    if evidence.get("lang"):
        parts.append(_("language: %(lang)s", lang=evidence["lang"]))
    if evidence.get("context"):
        parts.append(", ".join(str(c) for c in evidence["context"]))
    item["score_line"] = " · ".join(parts)


def _channel_names(conn: Connection, community: Community) -> list[str]:
    from tending.actions.moderation_queue import get_channel_list

    return get_channel_list(conn, community)


def _actor(session: WebSession) -> str:
    return f"web:{session.user.email}"


@router.post("/c/{community_id}/moderation/{item_id}/act")
def act(
    request: Request,
    community_id: int,
    item_id: int,
    action: str = Form(...),
    reply: str = Form(""),
    reply_for: str = Form(""),
    note: str = Form(""),
    session: WebSession = acting("moderator"),
) -> Response:
    """One click: record the decision (tending.actions.moderation.do_act_on_item, audited) with the reply as
    edited when it is the reply of this action; another action drafts its own template's reply. The
    moderator's own claim is theirs to act on; another's is refused by the store."""
    from tending.actions.moderation import do_act_on_item

    if action not in ACTION_LABELS:
        raise HTTPException(400, "action")
    community = community_or_404(request, community_id)
    state = get_state(request)
    edited = (
        reply.replace("\r\n", "\n") if reply_for == action and action in REPLY_ACTIONS else None
    )
    try:
        with state.engine.begin() as conn:
            do_act_on_item(
                conn,
                community,
                item_id,
                action,
                actor=_actor(session),
                holder=session.user.email,
                now=state.now(),
                note=note.strip()[:2000] or None,
                reply=edited,
            )
    except TendingError as error:
        if "no queue item" in str(error):
            raise HTTPException(404) from None
        held = "claimed by another moderator" in str(error)
        return _back(request, community, "held" if held else "handled")
    return _back(request, community, action)


def _back(request: Request, community: Community, msg: str) -> Response:
    """Back to the listing the form came from (its filters and page), with a message."""
    referer = request.headers.get("referer", "")
    path = f"/c/{community.id}/moderation"
    query = referer.split("?", 1)[1] if path in referer and "?" in referer else ""
    dropped = ("msg=", "reply=", "open=")
    kept = "&".join(p for p in query.split("&") if p and not p.startswith(dropped))
    return RedirectResponse(f"{path}?{kept + '&' if kept else ''}msg={msg}", status_code=303)


@router.post("/c/{community_id}/moderation/{item_id}/claim")
def claim(
    request: Request,
    community_id: int,
    item_id: int,
    release: str = Form(""),
    session: WebSession = acting("moderator"),
) -> Response:
    """Claim an item for 30 minutes (others see it and cannot decide on it), or hand it back."""
    from tending.actions.moderation_queue import do_claim_items, do_release_items

    community = community_or_404(request, community_id)
    state = get_state(request)
    me = session.user.email
    try:
        with state.engine.begin() as conn:
            if release:
                do_release_items(conn, community, [item_id], holder=me, actor=me, now=state.now())
            else:
                do_claim_items(conn, community, [item_id], holder=me, actor=me, now=state.now())
    except TendingError as error:
        if "no queue item" in str(error):
            raise HTTPException(404) from None
        return _back(request, community, "held")
    return _back(request, community, "released" if release else "claimed")


@router.post("/c/{community_id}/moderation/undo")
def undo(
    request: Request, community_id: int, session: WebSession = acting("moderator")
) -> Response:
    """Reopen the items of one's latest decision (one item, or a whole bulk decision)."""
    from tending.actions.moderation_queue import do_undo_last_decision

    community = community_or_404(request, community_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            do_undo_last_decision(conn, community, actor=_actor(session), now=state.now())
    except TendingError:
        return _back(request, community, "handled")
    return _back(request, community, "undone")


@router.post("/c/{community_id}/moderation/{item_id}/reopen")
def reopen(
    request: Request,
    community_id: int,
    item_id: int,
    appeal: str = Form(""),
    statement: str = Form(""),
    session: WebSession = acting("moderator"),
) -> Response:
    """Reopen a decided item, or record a member's appeal of it (the item reopens with its history)."""
    from tending.actions.moderation_queue import do_open_appeal, do_reopen_item

    community = community_or_404(request, community_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            if appeal:
                do_open_appeal(
                    conn,
                    community,
                    item_id,
                    actor=_actor(session),
                    now=state.now(),
                    statement=statement.strip()[:5000] or None,
                )
            else:
                do_reopen_item(conn, community, item_id, actor=_actor(session), now=state.now())
    except TendingError as error:
        if "no queue item" in str(error):
            raise HTTPException(404) from None
        return see_other(f"/c/{community.id}/moderation", show="done", msg="handled")
    return see_other(f"/c/{community.id}/moderation", msg="appealed" if appeal else "undone")


def _selected(form: Any) -> list[int]:
    found = []
    for value in form.getlist("item"):
        if str(value).isdigit():
            found.append(int(value))
    return list(dict.fromkeys(found))


@router.post("/c/{community_id}/moderation/bulk")
async def bulk(
    request: Request, community_id: int, session: WebSession = acting("moderator")
) -> Response:
    """A decision on the selected items, or on every item the filter matches: first a preview of what
    will happen (step=preview), then the decision itself (step=confirm), checked whole again."""
    from tending.actions.moderation_queue import do_act_on_items, get_bulk_preview

    community = community_or_404(request, community_id)
    _ = translator(request)
    state = get_state(request)
    form = await request.form()
    action = str(form.get("action", ""))
    if action not in ACTION_LABELS:
        raise HTTPException(400, "action")
    ids = _selected(form)
    scope = str(form.get("scope", ""))
    filters = {k: str(form.get(k, "")).strip() for k in FILTER_KEYS if str(form.get(k, "")).strip()}
    now = state.now()
    me = session.user.email
    try:
        if form.get("step") == "confirm":
            with state.engine.begin() as conn:
                where = (
                    _where(conn, community, "open", filters, session, now)
                    if scope == "filter"
                    else None
                )
                do_act_on_items(
                    conn,
                    community,
                    ids,
                    action,
                    actor=_actor(session),
                    holder=me,
                    now=now,
                    where=where,
                )
            return see_other(f"/c/{community.id}/moderation", msg="bulk")
        with state.engine.connect() as conn:
            where = (
                _where(conn, community, "open", filters, session, now)
                if scope == "filter"
                else None
            )
            preview = get_bulk_preview(
                conn, community, ids, action, holder=me, now=now, where=where
            )
            shown = _preview_rows(conn, community, preview.item_ids[:200], now)
    except TendingError as error:
        return render(
            request,
            "moderation_bulk.html",
            community=community,
            error=str(error),
            preview=None,
            rows=[],
            ids=ids,
            action=action,
            actions={k: _(v) for k, v in ACTION_LABELS.items()},
            signals={k: _(v) for k, v in SIGNAL_LABELS.items()},
            scope=scope,
            filters=filters,
            page_name="moderation",
        )
    return render(
        request,
        "moderation_bulk.html",
        community=community,
        error=None,
        preview=preview,
        rows=shown,
        ids=preview.item_ids,
        action=action,
        actions={k: _(v) for k, v in ACTION_LABELS.items()},
        signals={k: _(v) for k, v in SIGNAL_LABELS.items()},
        scope=scope,
        filters=filters,
        page_name="moderation",
    )


def _preview_rows(
    conn: Connection, community: Community, ids: list[int], now: Any
) -> list[dict[str, Any]]:
    from tending.actions.moderation_queue import ItemFilter, get_queue_listing, short_evidence

    if not ids:
        return []
    where = ItemFilter(status="open", ids=tuple(ids), claim_now=now)
    rows = get_queue_listing(conn, community, where, now=now, sort="oldest", limit=len(ids)).items
    return [{**row, "short": short_evidence(row, width=90)} for row in rows]


EXPORT_COLUMNS = (
    "id",
    "signal",
    "score",
    "status",
    "occurred_at",
    "member_id",
    "author",
    "channel_id",
    "language",
    "suggested_action",
    "action",
    "acted_by",
    "acted_at",
    "held_by",
    "evidence",
)


@router.get("/c/{community_id}/moderation/export.{fmt}")
def export(
    request: Request, community_id: int, fmt: str, session: WebSession = require("viewer")
) -> Response:
    """What the listing shows with its filters, every page (up to 10,000 items), as CSV or JSON."""
    from tending.actions.moderation_queue import get_queue_listing, short_evidence
    from tending.lib.csvsafe import safe_row
    from tending.timeutil import isoformat_utc

    if fmt not in ("csv", "json"):
        raise HTTPException(404)
    community = community_or_404(request, community_id)
    state = get_state(request)
    now = state.now()
    show = "done" if request.query_params.get("show") == "done" else "open"
    filters = _filters(request.query_params)
    with state.engine.connect() as conn:
        where, _problem = _listing_where(conn, community, show, filters, session, now)
        listing = get_queue_listing(
            conn, community, where, now=now, sort=_sort(filters), limit=EXPORT_MAX
        )
    rows = [
        {
            **{k: item.get(k) for k in EXPORT_COLUMNS},
            "occurred_at": isoformat_utc(item["occurred_at"]),
            "acted_at": isoformat_utc(item["acted_at"]),
            "evidence": short_evidence(item, width=500),
        }
        for item in listing.items
    ]
    headers = {
        "Content-Disposition": f'attachment; filename="moderation-{community.id}.{fmt}"',
        "X-Total-Count": str(listing.total),
    }
    if fmt == "json":
        body = json.dumps({"total": listing.total, "items": rows}, ensure_ascii=False)
        return Response(body, media_type="application/json", headers=headers)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(safe_row(row[k] if row[k] is not None else "" for k in EXPORT_COLUMNS))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/c/{community_id}/moderation/log")
def log(request: Request, community_id: int, session: WebSession = require("viewer")) -> Response:
    """Who did what, when, to which item: filterable by moderator, event and item; CSV export."""
    from tending.actions.moderation_queue import LOG_ACTIONS, get_moderation_log
    from tending.lib.csvsafe import safe_row
    from tending.timeutil import isoformat_utc

    community = community_or_404(request, community_id)
    params = request.query_params
    actor = params.get("actor", "").strip() or None
    action = params.get("action", "").strip()
    item = parse_int(params.get("item"), low=1, high=2**62)
    page = parse_int(params.get("page"), low=1, high=100_000) or 1
    per = 50
    wanted = (action,) if action in LOG_ACTIONS else ()
    csv_export = params.get("format") == "csv"
    with get_state(request).engine.connect() as conn:
        found = get_moderation_log(
            conn,
            community,
            actor=actor,
            actions=wanted,
            item_id=item,
            limit=EXPORT_MAX if csv_export else per,
            offset=0 if csv_export else (page - 1) * per,
        )
    if csv_export:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("at", "actor", "action", "item_id", "member_id", "details"))
        for e in found.entries:
            details = json.dumps(e.details, ensure_ascii=False)
            writer.writerow(
                safe_row(
                    (
                        isoformat_utc(e.at),
                        e.actor,
                        e.action,
                        e.item_id or "",
                        e.member_id or "",
                        details,
                    )
                )
            )
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="moderation-log-{community.id}.csv"'
            },
        )
    query = {
        k: v
        for k, v in (("actor", actor or ""), ("action", action), ("item", str(item or "")))
        if v
    }
    return render(
        request,
        "moderation_log.html",
        community=community,
        entries=found.entries,
        total=found.total,
        first=found.offset + 1,
        last_shown=found.offset + len(found.entries),
        page=page,
        more=found.offset + len(found.entries) < found.total,
        actor=actor or "",
        action=action,
        item=item or "",
        events=LOG_EVENT_LABELS,
        query=lambda **extra: urlencode({**query, **extra}),
        export_query=urlencode({**query, "format": "csv"}),
        page_name="moderation",
    )


CASE_PAGE = 50


@router.get("/c/{community_id}/members/{member_id}/case")
def case_file(
    request: Request, community_id: int, member_id: int, session: WebSession = require("moderator")
) -> Response:
    """A member's case file: the timeline `tending moderate case` prints (findings, decisions,
    warnings, notes, appeals, messages, check-ins), newest first, 50 a page. Moderators only."""
    from tending.actions.members import get_member_id_exists
    from tending.actions.moderation_queue import get_case_file

    community = community_or_404(request, community_id)
    _ = translator(request)
    page = parse_int(request.query_params.get("page"), low=1, high=100_000) or 1
    zone = ZoneInfo(community.timezone)
    with get_state(request).engine.connect() as conn:
        if not get_member_id_exists(conn, community.id, member_id):
            raise HTTPException(404)
        case = get_case_file(
            conn, community, member_id, limit=CASE_PAGE, offset=(page - 1) * CASE_PAGE
        )
        name = get_member_names(conn, community.id, [member_id]).get(member_id, f"#{member_id}")
    rows = [
        {
            "iso": e.at.astimezone(zone).isoformat(timespec="minutes"),
            "at": _.local_datetime(e.at, zone, "short"),
            "kind": e.kind,
            "summary": e.summary,
            "item_id": e.item_id,
            "actor": e.actor or "",
        }
        for e in case.entries
    ]
    return render(
        request,
        "moderation_case.html",
        community=community,
        member_id=member_id,
        name=name,
        case=case,
        rows=rows,
        first=case.offset + 1,
        last_shown=case.offset + len(rows),
        page=page,
        more=case.offset + len(rows) < case.total,
        page_name="members",
    )
