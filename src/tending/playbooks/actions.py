"""Actions: what a rule does for an occurrence. Each turns an occurrence into plan items; applying the
plan (actions.playbook_apply) performs them. The first field is the action's main value:
`{draft_message: welcome, channel: private}` drafts the template "welcome" as a private message."""

from __future__ import annotations

from typing import Any

from tending.playbooks.model import Occurrence, PlanItem, Rule
from tending.playbooks.registry import ACTIONS, Field


def message_key(rule: Rule, occurrence: Occurrence, channel: str) -> str:
    """The outbox key: rule, occurrence and member (or batch part), and channel. Unique per community."""
    if occurrence.batch:
        return f"{rule.name}:{occurrence.label}:{channel}"
    return f"{rule.name}:{occurrence.label}:{occurrence.member_ids[0]}:{channel}"


@ACTIONS.register(
    "draft_message",
    Field("template", str, required=True),
    Field("channel", str, default="private", choices=("private", "email", "post")),
    Field("approve", bool, default=False, help="go without a human's approval"),
    holdout_applies=True,
)
def draft_message(params: dict[str, Any], rule: Rule, occurrence: Occurrence) -> list[PlanItem]:
    """Draft a message from a template: a private message, an e-mail, or a public post."""
    return [
        PlanItem(
            rule=rule.name,
            action="draft_message",
            key=message_key(rule, occurrence, params["channel"]),
            due_at=occurrence.due_at,
            member_ids=occurrence.member_ids,
            channel=params["channel"],
            params=params,
            context=occurrence.context,
        )
    ]


@ACTIONS.register("tag_member", Field("tag", str, required=True))
def tag_member(params: dict[str, Any], rule: Rule, occurrence: Occurrence) -> list[PlanItem]:
    """Add a tag to each member concerned."""
    return [
        PlanItem(
            rule=rule.name,
            action="tag_member",
            key=f"{rule.name}:{occurrence.label}:{m}:tag:{params['tag']}",
            due_at=occurrence.due_at,
            member_ids=(m,),
            params=params,
        )
        for m in occurrence.member_ids
    ]


@ACTIONS.register(
    "notify_staff",
    Field("template", str, required=True),
    Field("approve", bool, default=True, help="staff notes go without approval by default"),
)
def notify_staff(params: dict[str, Any], rule: Rule, occurrence: Occurrence) -> list[PlanItem]:
    """Tell the staff (the configured staff destination) about the members concerned."""
    return [
        PlanItem(
            rule=rule.name,
            action="notify_staff",
            key=message_key(rule, occurrence, "staff"),
            due_at=occurrence.due_at,
            member_ids=occurrence.member_ids,
            channel="staff",
            params=params,
            context=occurrence.context,
        )
    ]
