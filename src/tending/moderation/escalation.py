"""Graded actions and escalation for repeat offenders (pure: counts in, a suggestion out).

The actions, gentlest first: leave it, nudge (a public reply that redirects), note (a private word to
the member), warn (a formal private warning), remove (recorded; the platform action stays the
moderator's). Each signal has a default; a member whose findings were confirmed twice before gets at
least a warning suggested on the third (FLAGS_BEFORE_WARN), and one warned twice before gets removal
suggested (WARNINGS_BEFORE_REMOVE). A complaint is answered (nudge: a public reply), never escalated,
and never counted against the member.
"""

from __future__ import annotations

from collections.abc import Mapping

from tending.moderation import rules as moderation_rules
from tending.moderation.signals import REGISTRY

ACTIONS = ("leave", "nudge", "note", "warn", "remove")
SIGNALS = tuple(REGISTRY)
DEFAULT_ACTION = {signal.name: signal.default_action for signal in REGISTRY.values()}
# findings that never count against the member nor escalate: a complaint is a call for help
NOT_COUNTED = frozenset({"complaint"})
FLAGS_BEFORE_WARN = 2
WARNINGS_BEFORE_REMOVE = 2
PRIVATE_ACTIONS = frozenset(
    {"note", "warn"}
)  # a message to the member alone: do-not-contact applies


def check_action(action: str) -> str:
    from tending.errors import UsageError

    if action not in ACTIONS:
        raise UsageError(
            f"ACTION: '{action}' is not an action (choose one of {', '.join(ACTIONS)})."
        )
    return action


def suggest_action(
    signal: str,
    counts: Mapping[str, int] | None,
    rules: moderation_rules.Rules | None = None,
) -> str:
    """The action to suggest for a new finding given the member's confirmed history, under `rules`
    (the community's moderation rules; None: the shipped ones)."""
    return moderation_rules.suggest_action(
        rules or moderation_rules.default_rules(),
        signal,
        counts,
        counted=signal not in NOT_COUNTED,
    )
