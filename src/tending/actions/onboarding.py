"""Starting a playbook in a community, and running it: evaluate (pure) then apply (writes the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from tending.actions.members import get_lifecycle_settings
from tending.actions.playbook_apply import ApplyCounts, apply
from tending.errors import UsageError
from tending.lib.settings import get_setting
from tending.models import Community, MemberSnapshot
from tending.playbooks import Plan, Playbook, evaluate, parse_playbook, windows
from tending.playbooks import default_playbook as default_playbook  # re-exported for the shells
from tending.playbooks import load_playbook as load_playbook
from tending.playbooks.engine import rule_start
from tending.playbooks.placeholders import Placeholder, find_placeholders
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
from tending.texts import T_, Text
from tending.timeutil import ensure_utc, get_zone, utcnow


def community_templates(community: Community, base: Templates | None = None) -> Templates:
    """The templates a community's messages are drafted from: its own texts (edited on the web) first, then
    the user's folder ($TENDING_HOME/templates), then the built-in ones."""
    from tending.config import data_home

    templates = base if base is not None else Templates(data_home() / "templates")
    return templates.with_texts(get_setting(community.settings, "onboarding_texts"))


def message_templates(playbook: Playbook) -> list[str]:
    """The templates the playbook's rules draft messages from, in rule order, once each."""
    names: list[str] = []
    for rule in playbook.rules:
        for action in rule.actions:
            name = action.params.get("template")
            if action.name == "draft_message" and name and name not in names:
                names.append(str(name))
    return names


def get_placeholders(
    community: Community, playbook: Playbook, templates: Templates
) -> list[Placeholder]:
    """What in the texts the playbook would send (both languages) and the links it offers is still a
    placeholder (tending.playbooks.placeholders)."""
    links = list(get_setting(community.settings, "onboarding_links")) or list(playbook.links)
    texts = {}
    for name in message_templates(playbook):
        for language in ("en", "fr"):
            source = templates.source(name, language)
            if source is not None:
                texts[f"{language}/{name}"] = source
    return find_placeholders(links, texts)


def check_no_placeholders(community: Community, playbook: Playbook, templates: Templates) -> None:
    """Refuse a playbook that would send a placeholder. The demo community is exempt: its members are
    generated (nobody real is reached), and the README's tour enables the built-in playbook there."""
    if community.settings.get("demo"):
        return
    found = get_placeholders(community, playbook, templates)
    if not found:
        return
    shown = "; ".join(f"{p.where}: {p.value}" for p in found[:3])
    raise UsageError(
        Text(
            T_(
                "the playbook '%(playbook)s' still holds a placeholder (%(shown)s), which would reach "
                "real members: give '%(community)s' its own link (tending communities set "
                '"%(community)s" --start-url URL, or the community\'s page on the web) or change the '
                "text, then enable it."
            ),
            playbook=playbook.name,
            shown=shown,
            community=community.name,
        )
    )


def do_enable_playbook(
    conn: Connection,
    community: Community,
    playbook: Playbook,
    *,
    since: datetime,
    actor: str,
    templates: Templates | None = None,
) -> EnabledPlaybook:
    """Start `playbook` in `community`: rules act only on what comes due at or after `since`. Refused while
    its texts or links hold a placeholder (the built-in "Start here" until the community has its own)."""
    check_no_placeholders(community, playbook, community_templates(community, templates))
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


def get_enabled(conn: Connection, community: Community) -> EnabledPlaybook | None:
    """The playbook enabled in the community (name, since, last run), or None."""
    return get_enabled_playbook(conn, community.id)


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
    counts = apply(
        conn,
        community,
        plan,
        playbook=playbook,
        templates=community_templates(community, templates),
        actor=actor,
    )
    set_playbook_last_run(conn, community.id, at=ensure_utc(now))
    return RunResult(plan=plan, counts=counts)


def get_rules_playbook(conn: Connection, community: Community) -> Playbook:
    """The playbook whose rules `onboarding rules` shows: the enabled one, else the built-in one."""
    if get_enabled_playbook(conn, community.id) is None:
        return default_playbook()
    return get_active_playbook(conn, community)[1]


@dataclass(frozen=True, slots=True)
class RuleWords:
    """A rule in plain words, in one language."""

    trigger: str
    conditions: list[str]


def describe_rules(playbook: Playbook, language: str) -> dict[str, RuleWords]:
    """Each rule's trigger and conditions in plain words ("every Sunday at 18:00, up to 100 people per
    post"), by rule name."""
    from tending.playbooks.describe import describe_conditions, describe_trigger

    return {
        rule.name: RuleWords(describe_trigger(rule, language), describe_conditions(rule, language))
        for rule in playbook.rules
    }


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
