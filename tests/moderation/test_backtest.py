"""Backtesting rules: the community's history replayed under the rules in force and proposed rules,
what each would queue that the other does not, by signal, regulars versus newcomers, with samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from tending.actions.backtest import get_backtest
from tending.actions.moderation import do_scan_community
from tending.moderation.rules import default_rules, parse_rules
from tending.store import open_store
from tests.conftest import CliResult

from .conftest import T0, Story, build_story


def test_the_same_rules_change_nothing(engine: Engine, story: Story) -> None:
    with engine.connect() as conn:
        result = get_backtest(conn, story.community, default_rules(), since=None)
    assert result.replayed == 9  # every contribution with words (Eve's picture has a caption)
    assert result.current == result.proposed and result.current["toxic"] == 1
    assert result.only_proposed.total == result.only_current.total == 0 and result.changes == []


def test_a_stricter_toxic_rule_and_a_gentler_introduction(engine: Engine, story: Story) -> None:
    with engine.begin() as conn:
        do_scan_community(conn, story.community, now=T0, media_root=story.media)
    proposed = parse_rules(
        "signals:\n  toxic: {enabled: false}\n  repost: {enabled: false}\n"
        "contexts:\n  introduction: {threshold_factor: {self_promotion: 2}}\n"
    )
    with engine.connect() as conn:
        result = get_backtest(conn, story.community, proposed, since=None)
    eve, bruno = story.ids["e1"], story.ids["b1"]
    # Eve (a member for 100 days) insulting: no longer queued; her and Dora's reposts neither
    gone = result.only_current
    assert gone.by_signal == {"toxic": 1, "repost": 2, "self_promotion": 1}
    assert (gone.regulars, gone.newcomers) == (3, 1)
    assert {(s.activity_id, s.signal) for s in gone.samples} >= {
        (eve, "toxic"),
        (bruno, "self_promotion"),
    }
    # Bruno (joined that day) promoting his channel in the introductions: spam instead
    added = result.only_proposed
    assert added.by_signal == {"spam": 1} and (added.regulars, added.newcomers) == (0, 1)
    assert added.samples[0].activity_id == bruno and added.samples[0].text.startswith("Hi everyone")
    assert "signals.toxic.enabled: true -> false" in result.changes
    assert "signals.repost.enabled: true -> false" in result.changes


def test_since_limits_the_replay(engine: Engine, story: Story) -> None:
    from datetime import timedelta

    with engine.connect() as conn:
        result = get_backtest(
            conn, story.community, default_rules(), since=T0 + timedelta(days=4, hours=1)
        )
    assert result.replayed == 2 and result.current == {"toxic": 1}


def test_backtest_command(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    db = tmp_path / "t.db"
    build_story(open_store(f"sqlite:///{db}"), tmp_path)
    proposed = tmp_path / "strict.yaml"
    proposed.write_text("signals:\n  toxic:\n    enabled: false\n", encoding="utf-8")
    done = run_cli(
        "--db",
        str(db),
        "moderate",
        "backtest",
        "--rules",
        str(proposed),
        "--since",
        "2026-03-01",
        "--format",
        "json",
    )
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {
        "since",
        "replayed",
        "changes",
        "current",
        "proposed",
        "only_proposed",
        "only_current",
        "compared_by_queue",
    }
    assert data["since"] == "2026-02-28T23:00:00Z"  # midnight in Paris
    assert data["only_current"]["by_signal"] == {"toxic": 1}
    assert data["only_current"]["samples"][0]["text"].startswith("Ferme ta gueule")
    table = run_cli(
        "--db", str(db), "moderate", "backtest", "--rules", str(proposed), "--since", "2026-03-01"
    )
    assert table.exit_code == 0
    assert "Replayed 9 contributions since 2026-03-01 00:00 (Europe/Paris)." in table.stdout
    assert "Only the rules in force queue 1 (1 from regulars, 0 from newcomers):" in table.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("signals:\n  toxic: {threshold: high}\n", encoding="utf-8")
    refused = run_cli(
        "--db", str(db), "moderate", "backtest", "--rules", str(bad), "--since", "2026-03-01"
    )
    assert refused.exit_code == 1 and "Traceback" not in refused.stderr
    assert f"{bad}, line 2: field 'signals.toxic.threshold'" in refused.stderr
    no_since = run_cli("--db", str(db), "moderate", "backtest", "--rules", str(proposed))
    assert no_since.exit_code == 2 and "--since" in no_since.stderr


def test_under_the_rules_in_force_the_replay_counts_what_the_scan_queued(
    engine: Engine, story: Story
) -> None:
    from collections import Counter

    from tending.actions.moderation import get_queue

    with engine.begin() as conn:
        do_scan_community(conn, story.community, now=T0, media_root=story.media)
        queued = Counter(i["signal"] for i in get_queue(conn, story.community))
        result = get_backtest(conn, story.community, default_rules(), since=None)
    assert result.current == queued == Counter({"repost": 2, "toxic": 1, "self_promotion": 1})
