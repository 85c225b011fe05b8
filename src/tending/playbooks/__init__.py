"""Onboarding playbooks: rules as data (trigger, conditions, actions), evaluated into a plan, applied to the
outbox. Registries: playbooks.registry (TRIGGERS, CONDITIONS, ACTIONS); entries in triggers.py,
conditions.py and actions.py, one small function each."""

from tending.playbooks.engine import evaluate, windows
from tending.playbooks.model import MemberSnapshot, Plan, PlanItem, Playbook, Rule
from tending.playbooks.parse import default_playbook, load_playbook, parse_playbook

__all__ = [
    "MemberSnapshot",
    "Plan",
    "PlanItem",
    "Playbook",
    "Rule",
    "default_playbook",
    "evaluate",
    "load_playbook",
    "parse_playbook",
    "windows",
]
