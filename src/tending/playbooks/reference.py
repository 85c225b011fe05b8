"""docs/playbooks-reference.md, generated from the trigger, condition and action registries, so a new entry
cannot go undocumented (a test fails when the file is stale).

Regenerate it with: uv run python -m tending.playbooks.reference > docs/playbooks-reference.md
"""

from __future__ import annotations

from tending.playbooks import actions, conditions, triggers  # noqa: F401 -- they fill the registries
from tending.playbooks.registry import (
    ACTIONS,
    CONDITIONS,
    TRIGGERS,
    DescribedField,
    Field,
    Registry,
)

TITLES = (
    (TRIGGERS, "Triggers", "When a rule looks at a member."),
    (CONDITIONS, "Conditions", "Which members the rule keeps (all must hold)."),
    (ACTIONS, "Actions", "What the rule does for each member kept."),
)


def _default(field: DescribedField) -> str:
    if field["required"]:
        return "required"
    value = field["default"]
    return "" if value is None else f"`{str(value).lower() if isinstance(value, bool) else value}`"


def _meaning(field: Field) -> str:
    choices = f"one of {', '.join(f'`{c}`' for c in field.choices)}" if field.choices else ""
    return "; ".join(part for part in (field.help, choices) if part)


def _section(registry: Registry, title: str, lead: str) -> list[str]:
    lines = [f"## {title}", "", lead, ""]
    for described in registry.describe():
        entry = registry.entries[described["name"]]
        lines += [f"### `{entry.name}`", "", entry.doc or "(no description)", ""]
        if entry.fields:
            lines += ["| Field | Type | Default | Meaning |", "|---|---|---|---|"]
            lines += [
                f"| `{f['name']}` | {f['type']} | {_default(f)} | {_meaning(spec)} |"
                for f, spec in zip(described["fields"], entry.fields, strict=True)
            ]
            lines.append("")
    return lines


def render_markdown() -> str:
    lines = [
        "# Playbook registry",
        "",
        "Generated from `src/tending/playbooks/registry.py`'s registries by "
        "`uv run python -m tending.playbooks.reference > docs/playbooks-reference.md`; a test fails when "
        "it is out of date. How rules are written: [onboarding.md](onboarding.md).",
        "",
    ]
    for registry, title, lead in TITLES:
        lines += _section(registry, title, lead)
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
