"""A community's moderation rules: reading the rules in force, replacing them with a checked file,
going back to the shipped rules. The rules themselves (format, defaults, checks) are
tending.moderation.rules; the scan and the queue read them through get_rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from tending.errors import BadInputError, TendingError
from tending.models import Community
from tending.moderation.classifier import shipped_classifier
from tending.moderation.rules import Rules, default_rules, parse_rules, render_rules
from tending.store import moderation_rules as store
from tending.store.audit import record_event


def get_rules(conn: Connection, community: Community) -> Rules:
    """The rules in force: the community's own file over the shipped rules, or the shipped rules."""
    source = store.get_rules_source(conn, community.id)
    if source is None:
        return default_rules()
    try:
        return parse_rules(source, path=f"moderation rules of '{community.name}'")
    except BadInputError as error:  # saved when valid; a later release may have dropped a field
        raise TendingError(
            f"{error} Fix it with tending moderate rules --set FILE, or --reset."
        ) from None


def get_default_actions(conn: Connection, community: Community) -> dict[str, str]:
    """The action each signal suggests before escalation, under the rules in force."""
    return {name: rule.action for name, rule in get_rules(conn, community).signals.items()}


def get_rules_text(conn: Connection, community: Community) -> str:
    """The rules in force as a complete rules file, the models' thresholds in comments."""
    return render_rules(get_rules(conn, community), shipped_classifier())


def check_rules_text(text: str, *, path: str) -> Rules:
    """The rules a file describes (over the shipped rules), or a BadInputError naming file, line, field."""
    return parse_rules(text, path=path)


def do_set_rules(
    conn: Connection, community: Community, text: str, *, path: str, actor: str, now: datetime
) -> Rules:
    """Check `text` and make it the community's rules; nothing is saved when it has a mistake."""
    rules = parse_rules(text, path=path)
    store.save_rules_source(conn, community.id, source=text, at=now, actor=actor)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="moderation.rules_set",
        at=now,
        details={"file": path[-200:], "lines": text.count("\n") + 1},
    )
    return rules


def do_reset_rules(conn: Connection, community: Community, *, actor: str, now: datetime) -> bool:
    """Go back to the shipped rules. Returns whether the community had its own."""
    removed = store.delete_rules_source(conn, community.id)
    if removed:
        record_event(conn, community.id, actor=actor, action="moderation.rules_reset", at=now)
    return removed
