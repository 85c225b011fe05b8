"""Moderation rules as data: the shipped rules are today's behaviour, a community's file overrides them
field by field, every mistake names the file, the line and the field, and the scan and the queue read
the rules in force."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tending.actions.moderation import do_scan_community, get_queue
from tending.actions.moderation_rules import do_reset_rules, do_set_rules, get_rules
from tending.errors import BadInputError
from tending.moderation.classifier import shipped_classifier
from tending.moderation.escalation import suggest_action
from tending.moderation.rules import default_rules, parse_rules, render_rules
from tending.store import open_store
from tests.conftest import CliResult

from .conftest import T0, Story, build_story


def test_shipped_rules_are_todays_constants() -> None:
    rules = default_rules()
    assert rules.signal("spam").action == "remove" and rules.signal("toxic").action == "warn"
    assert rules.introduction_factor == {"self_promotion": 0.6}
    assert rules.new_account_factor == {"spam": 0.5} and rules.new_account_days == 2
    assert (rules.flags_before_warn, rules.warnings_before_remove) == (2, 2)
    assert rules.signal("toxic").target_floor == 0.35
    assert all(r.threshold is None for n, r in rules.signals.items() if n != "complaint")


def test_printed_rules_read_back_to_the_same_rules() -> None:
    classifier = shipped_classifier()
    text = render_rules(default_rules(), classifier)
    shipped = classifier.models["spam"].threshold
    assert f"threshold: model  # the model's calibrated threshold: {shipped:.4f}" in text
    again = parse_rules(text, path="printed.yaml")
    assert again.signals == default_rules().signals
    assert again.introduction_factor == default_rules().introduction_factor


def test_an_override_changes_only_what_it_names() -> None:
    rules = parse_rules("signals:\n  spam: {threshold: 0.9}\n  complaint: {enabled: false}\n")
    assert rules.signal("spam").threshold == 0.9 and rules.signal("spam").action == "remove"
    assert not rules.enabled("complaint") and rules.enabled("toxic")
    assert parse_rules("").signals == default_rules().signals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "signals:\n  spam:\n    threshold: 1.5\n",
            "r.yaml, line 3: field 'signals.spam.threshold': must be 'model' or a probability "
            "between 0 and 1, not 1.5.",
        ),
        (
            "signals:\n  spam: {action: ban}\n",
            "r.yaml, line 2: field 'signals.spam.action': must be one of leave, nudge, note, warn, "
            "remove, not 'ban'.",
        ),
        (
            "signals:\n  spma: {action: warn}\n",
            "r.yaml, line 2: field 'signals.spma': 'spma' is not a signal",
        ),
        (
            "signals:\n  repost: {threshold: 0.8}\n",
            "r.yaml, line 2: field 'signals.repost.threshold': 'repost' has no threshold",
        ),
        (
            "contexts:\n  new_account:\n    days: -1\n",
            "r.yaml, line 3: field 'contexts.new_account.days': must be a number > 0, not -1.",
        ),
        (
            "contexts:\n  introduction:\n    threshold_factor: {heated: 0.5}\n",
            "r.yaml, line 3: field 'contexts.introduction.threshold_factor.heated'",
        ),
        (
            "contexts:\n  repeat_offender: {flags_before_warn: 1.5}\n",
            "r.yaml, line 2: field 'contexts.repeat_offender.flags_before_warn': must be a whole number",
        ),
        ("thresholds: {}\n", "r.yaml, line 1: field 'thresholds': unknown section"),
        ("signals: [spam]\n", "r.yaml, line 1: field 'signals': must be a mapping."),
        ("signals:\n  spam: {threshold: [\n", "r.yaml, line 3: not valid YAML"),
        ("- spam\n", "r.yaml, line 1: a rules file is a mapping"),
    ],
)
def test_mistakes_name_file_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_rules(text, path="r.yaml")
    assert str(caught.value).startswith(expected), str(caught.value)


def test_repeat_offender_counts_come_from_the_rules() -> None:
    strict = parse_rules("contexts:\n  repeat_offender: {flags_before_warn: 1}\n")
    assert suggest_action("self_promotion", {"flags": 1}) == "nudge"
    assert suggest_action("self_promotion", {"flags": 1}, strict) == "warn"
    assert suggest_action("complaint", {"warnings": 5}, strict) == "nudge"  # never counted


def _signals(engine: Engine, story: Story) -> dict[str, str]:
    with engine.begin() as conn:
        return {
            f"{i['signal']}:{i['activity_id']}": i["suggested_action"]
            for i in get_queue(conn, story.community)
        }


def test_the_scan_and_the_queue_read_the_communitys_rules(engine: Engine, story: Story) -> None:
    bruno_promo = f"self_promotion:{story.ids['b1']}"
    eve_insult = f"toxic:{story.ids['e1']}"
    with engine.begin() as conn:
        do_set_rules(
            conn,
            story.community,
            "signals:\n  toxic: {action: remove}\n"
            "contexts:\n  introduction: {threshold_factor: {self_promotion: 2}}\n",
            path="ours.yaml",
            actor="chloe",
            now=T0,
        )
        do_scan_community(conn, story.community, now=T0, media_root=story.media)
    queued = _signals(engine, story)
    assert queued[eve_insult] == "remove"  # the community's default action
    # 0.5 x 2: no probability reaches it, so Bruno's link (a new account's) is spam instead
    assert bruno_promo not in queued and queued[f"spam:{story.ids['b1']}"] == "remove"
    with engine.begin() as conn:
        assert do_reset_rules(conn, story.community, actor="chloe", now=T0)
        assert get_rules(conn, story.community) == default_rules()
        do_scan_community(conn, story.community, now=T0, media_root=story.media)
    queued = _signals(engine, story)
    assert queued[eve_insult] == "warn" and queued[bruno_promo] == "nudge"


def test_a_disabled_signal_is_not_queued(engine: Engine, story: Story) -> None:
    with engine.begin() as conn:
        do_set_rules(
            conn,
            story.community,
            "signals:\n  repost: {enabled: false}\n",
            path="x.yaml",
            actor="chloe",
            now=T0,
        )
        summary = do_scan_community(conn, story.community, now=T0, media_root=story.media)
    assert "repost" not in summary.new_items and summary.new_items["toxic"] == 1


def test_rules_command_prints_sets_and_resets(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    db = tmp_path / "t.db"
    build_story(open_store(f"sqlite:///{db}"), tmp_path)
    shown = run_cli("--db", str(db), "moderate", "rules")
    assert shown.exit_code == 0 and shown.stdout.startswith("# The moderation rules in force.")
    printed = tmp_path / "printed.yaml"
    printed.write_text(shown.stdout.replace("action: warn", "action: remove"), encoding="utf-8")
    assert run_cli("--db", str(db), "moderate", "rules", "--check", str(printed)).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("signals:\n  toxic:\n    severity: urgent\n", encoding="utf-8")
    refused = run_cli("--db", str(db), "moderate", "rules", "--set", str(bad))
    assert refused.exit_code == 1
    assert f"{bad}, line 3: field 'signals.toxic.severity': must be one of low" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run_cli("--db", str(db), "moderate", "rules").stdout == shown.stdout  # nothing saved
    assert run_cli("--db", str(db), "moderate", "rules", "--set", str(printed)).exit_code == 0
    now = run_cli("--db", str(db), "moderate", "rules").stdout
    assert (
        "  toxic:\n    threshold: model" in now and "    action: remove\n    severity: high" in now
    )
    missing = run_cli("--db", str(db), "moderate", "rules", "--set", str(tmp_path / "no.yaml"))
    assert missing.exit_code == 1 and "no.yaml: cannot be read" in missing.stderr
    reset = run_cli("--db", str(db), "moderate", "rules", "--reset")
    assert reset.exit_code == 0
    assert run_cli("--db", str(db), "moderate", "rules").stdout == shown.stdout
    queue = run_cli("--db", str(db), "moderate", "queue", "--format", "json")
    assert json.loads(queue.stdout) == []
