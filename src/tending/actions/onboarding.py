"""Starting a playbook in a community, and running it: evaluate (pure) then apply (writes the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from tending.actions.members import get_lifecycle_settings
from tending.actions.playbook_apply import ApplyCounts, apply
from tending.errors import UsageError
from tending.models import Community, MemberSnapshot
from tending.playbooks import Plan, Playbook, evaluate, parse_playbook, windows
from tending.playbooks import default_playbook as default_playbook  # re-exported for the shells
from tending.playbooks import load_playbook as load_playbook
from tending.playbooks.engine import rule_start
from tending.playbooks.registry import ACTIONS, CONDITIONS, TRIGGERS, DescribedEntry
from tending.playbooks.render import Templates
from tending.playbooks.report import RuleReport, holdout_report
from tending.store.audit import record_event
from tending.store.members import get_member_rows
from tending.store.onboarding import get_external_ids as get_external_ids
from tending.store.onboarding import get_snapshots
from tending.store.outbox import (
    EnabledPlaybook,
    get_enabled_playbook,
    get_keys_since,
    save_playbook,
    set_playbook_last_run,
)
from tending.timeutil import ensure_utc, get_zone, utcnow


def do_enable_playbook(
    conn: Connection, community: Community, playbook: Playbook, *, since: datetime, actor: str
) -> EnabledPlaybook:
    """Start `playbook` in `community`: rules act only on what comes due at or after `since`."""
    save_playbook(
        conn,
        community.id,
        name=playbook.name,
        source=playbook.source,
        since=ensure_utc(since),
        at=utcnow(),
    )
    record_event(
        conn,
        community.id,
        actor=actor,
        action="onboarding.enabled",
        details={
            "playbook": playbook.name,
            "since": ensure_utc(since).isoformat(),
            "rules": [r.name for r in playbook.rules],
        },
    )
    enabled = get_enabled_playbook(conn, community.id)
    assert enabled is not None
    return enabled


def get_active_playbook(conn: Connection, community: Community) -> tuple[EnabledPlaybook, Playbook]:
    enabled = get_enabled_playbook(conn, community.id)
    if enabled is None:
        raise UsageError(
            f"no playbook is enabled in '{community.name}': run tending onboarding enable first."
        )
    return enabled, parse_playbook(enabled.source, path=f"playbook '{enabled.name}'")


def get_plan(conn: Connection, community: Community, *, now: datetime) -> tuple[Playbook, Plan]:
    """What running the enabled playbook at `now` would do (reads only)."""
    enabled, playbook = get_active_playbook(conn, community)
    now = ensure_utc(now)
    members = get_snapshots(
        conn,
        community.id,
        windows(playbook, since=enabled.since, last_run_at=enabled.last_run_at, now=now),
    )
    if any(name == "state" for rule in playbook.rules for name, _value in rule.conditions):
        members = with_states(conn, community, members, now=now)
    oldest = min(
        (
            rule_start(r, since=enabled.since, last_run_at=enabled.last_run_at, now=now)
            for r in playbook.rules
        ),
        default=now,
    )
    keys = get_keys_since(conn, community.id, rules=[r.name for r in playbook.rules], since=oldest)
    plan = evaluate(
        playbook,
        members=members,
        now=now,
        since=enabled.since,
        last_run_at=enabled.last_run_at,
        existing_keys=keys,
        zone=get_zone(community.timezone),
    )
    return playbook, plan


def with_states(
    conn: Connection, community: Community, members: list[MemberSnapshot], *, now: datetime
) -> list[MemberSnapshot]:
    """The snapshots with each member's lifecycle state as of `now`, computed as the members list computes
    it (store.members.get_member_rows: the community's settings and time zone, facts as of `now`)."""
    rows = get_member_rows(
        conn,
        community.id,
        as_of=now,
        lifecycle=get_lifecycle_settings(community),
        member_ids=[m.id for m in members],
    )
    states = {row.member.id: row.state for row in rows}
    return [replace(m, state=states.get(m.id) or "") for m in members]


@dataclass
class RunResult:
    plan: Plan
    counts: ApplyCounts


def do_run_playbook(
    conn: Connection,
    community: Community,
    *,
    now: datetime,
    templates: Templates,
    actor: str = "playbook",
) -> RunResult:
    """Evaluate the enabled playbook at `now` and write what comes due into the outbox."""
    playbook, plan = get_plan(conn, community, now=now)
    counts = apply(conn, community, plan, playbook=playbook, templates=templates, actor=actor)
    set_playbook_last_run(conn, community.id, at=ensure_utc(now))
    return RunResult(plan=plan, counts=counts)


def get_rules_playbook(conn: Connection, community: Community) -> Playbook:
    """The playbook whose rules `onboarding rules` shows: the enabled one, else the built-in one."""
    if get_enabled_playbook(conn, community.id) is None:
        return default_playbook()
    return get_active_playbook(conn, community)[1]


def get_registry() -> dict[str, list[DescribedEntry]]:
    """The triggers, conditions and actions a rule may name, each with its one-line doc and fields."""
    return {
        "triggers": TRIGGERS.describe(),
        "conditions": CONDITIONS.describe(),
        "actions": ACTIONS.describe(),
    }


def get_holdout_report(
    conn: Connection, community: Community, *, now: datetime, days: int
) -> list[RuleReport]:
    """Per rule with a holdout: contribution rates of messaged members and the holdout within `days`."""
    _, playbook = get_active_playbook(conn, community)
    return holdout_report(conn, community, playbook, now=now, days=days)
