"""Every community setting, playbook entry and moderation signal is documented: the docs are generated from
the registries, and these tests fail when a file is stale or a setting is read without being registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from tending.lib import settings as registry
from tending.lib.alerts import AlertSettings
from tending.lib.checkins import CheckinSettings
from tending.lib.lifecycle import LifecycleSettings
from tending.moderation import rules, signals
from tending.moderation.drift import DEFAULT_TOLERANCE
from tending.playbooks import reference

DOCS = Path(__file__).resolve().parents[2] / "docs"
GENERATED: dict[str, tuple[Callable[[], str], str]] = {
    "settings.md": (registry.render_markdown, "tending.lib.settings"),
    "playbooks-reference.md": (reference.render_markdown, "tending.playbooks.reference"),
    "signals.md": (signals.render_markdown, "tending.moderation.signals"),
    "moderation-rules.md": (rules.render_markdown, "tending.moderation.rules"),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_the_generated_reference_is_up_to_date(name: str) -> None:
    render, module = GENERATED[name]
    assert (DOCS / name).read_text(encoding="utf-8") == render(), (
        f"docs/{name} is stale: run `uv run python -m {module} > docs/{name}`"
    )


@pytest.mark.parametrize(
    ("group", "cls"), [("", LifecycleSettings), ("", CheckinSettings), ("alerts.", AlertSettings)]
)
def test_every_threshold_a_community_can_set_is_registered_with_its_default(
    group: str, cls: type
) -> None:
    for spec in fields(cls):
        if spec.name == "zone":  # the community's time zone, not a setting
            continue
        entry = registry.SETTINGS.get(group + spec.name)
        assert entry is not None, f"{cls.__name__}.{spec.name} is not in the settings registry"
        assert (
            spec.default is not MISSING
            and entry.default == spec.default
            and type(spec.default) is entry.kind
        )


def test_the_drift_tolerance_default_is_the_registry_s() -> None:
    assert registry.SETTINGS["moderation.offtopic_tolerance"].default == DEFAULT_TOLERANCE


def test_every_playbook_entry_and_signal_is_in_the_docs() -> None:
    from tending.moderation.escalation import SIGNALS
    from tending.playbooks.registry import ACTIONS, CONDITIONS, TRIGGERS

    text = (DOCS / "playbooks-reference.md").read_text(encoding="utf-8")
    for name in [*TRIGGERS.entries, *CONDITIONS.entries, *ACTIONS.entries]:
        assert f"### `{name}`" in text
    signal_text = (DOCS / "signals.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in signal_text for name in SIGNALS)


def test_the_shipped_rules_agree_with_the_signal_registry() -> None:
    from tending.moderation.sentiment import COMPLAINT_AT

    shipped = rules.default_rules()
    assert set(shipped.signals) == set(signals.REGISTRY)
    for name, signal in signals.REGISTRY.items():
        assert shipped.signal(name).action == signal.default_action, name
    assert shipped.signal("complaint").threshold == COMPLAINT_AT
