"""Applying a plan: outbox rows for messages (drafted, approved, or recorded as skipped), tags added once.
Every write goes through actions (do_draft_message, do_record_skipped), so all of it is audited and keyed:
applying the same plan twice, or two plans at once, creates nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from tending.actions.outbox import do_draft_message, do_record_skipped
from tending.actions.posts import save_post_render
from tending.lib.settings import get_setting
from tending.models import Community
from tending.playbooks.model import SKIP, MemberSnapshot, Plan, PlanItem, Playbook
from tending.playbooks.render import Templates, local_date
from tending.store.audit import record_event
from tending.store.onboarding import add_member_tag
from tending.store.outbox import insert_playbook_action
from tending.timeutil import get_zone

STAFF_TEMPLATE = "staff_note"


@dataclass
class ApplyCounts:
    drafted: int = 0
    approved: int = 0
    skipped: int = 0
    tagged: int = 0
    existing: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _person(member: MemberSnapshot) -> dict[str, Any]:
    return {
        "name": member.name,
        "handle": member.handle,
        "has_contributed": member.contributions > 0,
    }


def message_context(
    item: PlanItem, plan: Plan, community: Community, playbook: Playbook, language: str
) -> dict[str, Any]:
    zone = get_zone(community.timezone)
    people = [_person(plan.members[m]) for m in item.member_ids]
    # the community's own links (tending communities set --start-url) before the playbook's
    links = list(get_setting(community.settings, "onboarding_links")) or list(playbook.links)
    context = {
        "community": community.name,
        "rule": item.rule,
        "members": people,
        "links": links,
        "member": people[0] if len(people) == 1 else None,
        "part": 1,
        "total": len(people),
    }
    context.update({k: v for k, v in item.context.items() if k in ("part", "total")})
    context["week_start"] = local_date(item.context.get("week_start"), zone, language)
    context["week_end"] = local_date(item.context.get("week_end"), zone, language)
    return context


def _language(
    item: PlanItem, plan: Plan, community: Community, templates: Templates, template: str
) -> str:
    if item.channel in ("private", "email") and len(item.member_ids) == 1:
        return templates.language_for(
            template, plan.members[item.member_ids[0]].language, community.language
        )
    return templates.language_for(template, community.language)


def _apply_message(
    conn: Connection,
    community: Community,
    item: PlanItem,
    plan: Plan,
    playbook: Playbook,
    templates: Templates,
    counts: ApplyCounts,
    actor: str,
) -> None:
    template = item.params.get("template") or STAFF_TEMPLATE
    channel = item.channel or "private"
    if item.status == SKIP:
        created = do_record_skipped(
            conn,
            community,
            member_ids=list(item.member_ids),
            rule=item.rule,
            channel=channel,
            due_at=item.due_at,
            key=item.key,
            reason=item.reason or "skipped",
            actor=actor,
        )
        counts.skipped += created is not None
        counts.existing += created is None
        return
    language = _language(item, plan, community, templates, template)
    context = message_context(item, plan, community, playbook, language)
    subject, body = templates.render(template, language, context)
    approve = bool(item.params.get("approve"))
    created = do_draft_message(
        conn,
        community,
        member_ids=list(item.member_ids),
        rule=item.rule,
        channel=channel,
        body=body,
        due_at=item.due_at,
        key=item.key,
        subject=subject,
        approved=approve,
        actor=actor,
        language=language,
    )
    if (
        created is not None and channel == "post"
    ):  # rendered again at send time without who may not be named
        save_post_render(
            conn, community, created, template=template, language=language, context=context
        )
    if created is None:
        counts.existing += 1
    elif approve:
        counts.approved += 1
    else:
        counts.drafted += 1


def _apply_tag(
    conn: Connection, community: Community, item: PlanItem, counts: ApplyCounts, actor: str
) -> None:
    member_id = item.member_ids[0]
    if item.status == SKIP or not insert_playbook_action(
        conn,
        community.id,
        key=item.key,
        rule=item.rule,
        action=item.action,
        member_id=member_id,
        at=item.due_at,
    ):
        return
    if add_member_tag(conn, community.id, member_id, item.params["tag"]):
        counts.tagged += 1
        record_event(
            conn,
            community.id,
            actor=actor,
            action="member.tagged",
            member_id=member_id,
            details={"tag": item.params["tag"], "rule": item.rule},
        )


def apply(
    conn: Connection,
    community: Community,
    plan: Plan,
    *,
    playbook: Playbook,
    templates: Templates,
    actor: str = "playbook",
) -> ApplyCounts:
    counts = ApplyCounts()
    for item in plan.items:
        if item.action == "tag_member":
            _apply_tag(conn, community, item, counts, actor)
        else:
            _apply_message(conn, community, item, plan, playbook, templates, counts, actor)
    return counts
