"""The commands as a moderator runs them: JSON keys stable, table readable, mistakes explained."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from tending.actions.alerts import _toxicity_model
from tending.cli import main
from tending.models import ThreadRecord
from tests.health.test_alerts import T, act, calm_month, fight, load

REPORT_KEYS = {
    "community",
    "outside",
    "as_of",
    "window_days",
    "window_start",
    "members_total",
    "new_members",
    "members_left",
    "active_contributors",
    "contributions",
    "daily_contributors_mean",
    "daily_to_monthly_contributors",
    "reads",
    "activation_rate_7d",
    "activation_cohort_7d",
    "activation_rate_30d",
    "activation_cohort_30d",
    "threads_started",
    "time_to_first_response_hours",
    "unanswered_threads",
    "member_started_threads_share",
    "gini",
    "segments",
    "retention",
    "funnel",
    "trends",
}


def run(db_url: str, *args: str) -> tuple[int, str]:
    """As `tending --db URL ARGS` runs: through main(), which turns mistakes into a line and an exit code."""
    capture = io.StringIO()
    code = 0
    with redirect_stdout(capture), redirect_stderr(capture):
        try:
            main(["--db", db_url, *args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, capture.getvalue()


@pytest.fixture
def forum(engine: Engine, db_url: str) -> str:
    announcement = [
        ThreadRecord(source="forum", external_id="news", title="New release"),
        act("news", "farid", "post", T - timedelta(hours=5), "news", "Version 2 is out."),
    ]
    load(
        engine, calm_month() + fight("fight", "ada", "bruno", T - timedelta(hours=2)) + announcement
    )
    return db_url


def test_health_json_has_the_documented_keys(forum: str) -> None:
    code, out = run(
        forum, "health", "--as-of", "2025-06-15T18:00:00Z", "--format", "json", "--score"
    )
    assert code == 0, out
    report = json.loads(out)
    assert set(report) == REPORT_KEYS
    assert report["as_of"] == "2025-06-15T18:00:00Z" and report["window_days"] == 28
    # 28 days of five questions, the fight, and farid's announcement (nobody answered it yet)
    assert report["threads_started"] == 28 * 5 + 2 and report["unanswered_threads"] == 1
    assert report["member_started_threads_share"] == pytest.approx(141 / 142)  # farid is staff
    assert report["trends"] and report["trends"][-1]["negative_share"] > 0


def test_health_table_reads_like_a_summary(forum: str) -> None:
    code, out = run(forum, "health", "--as-of", "2025-06-15T18:00:00Z")
    assert code == 0, out
    assert "Active contributors" in out and "First response (hours)" in out and "90-9-1" in out
    # the moment in the community's own time, to the minute, with its zone: not "18:00:00.000000Z"
    assert re.search(r"health as of 2025-06-1[56] \d\d:00 \([A-Za-z_/]+\) over 28 days", out), out


def test_alerts_lists_what_was_raised_then_nothing_new(forum: str) -> None:
    code, out = run(forum, "alerts", "--as-of", "2025-06-15T18:00:00Z")
    assert code == 0, out
    assert "Heated thread" in out and "threads:" in out
    code, out = run(forum, "alerts", "--as-of", "2025-06-15T18:30:00Z", "--format", "json")
    kinds = 4 if _toxicity_model() else 3  # toxic_rate needs the moderation area's models
    assert code == 0 and json.loads(out)["raised"] == [] and json.loads(out)["duplicates"] == kinds


def test_raised_alerts_can_be_listed_again_page_by_page(
    forum: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue "a volunteer admin's first week": raised alerts could not be listed again from the CLI."""
    code, out = run(forum, "alerts", "list")
    assert code == 0 and out.strip() == "No alert raised yet (0 in all)."
    run(forum, "alerts", "--as-of", "2025-06-15T18:00:00Z")
    code, out = run(forum, "alerts", "list", "--format", "json")
    listed = json.loads(out)
    assert code == 0 and listed["total"] >= 3 and len(listed["items"]) == listed["total"]
    assert any(item["kind"] == "heated_thread" for item in listed["items"])
    code, out = run(forum, "alerts", "list", "--limit", "2")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("when (") and "severity" in lines[0]
    assert len(lines) == 4 and lines[-1] == f"2 of {listed['total']} alerts (--offset for more)"
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    code, out = run(forum, "alerts", "list", "--limit", "2")
    assert code == 0 and out.splitlines()[0].split() == [
        "quand",
        "(UTC)",
        "gravité",
        "type",
        "résumé",
    ]


def test_a_bad_date_or_window_is_one_clear_sentence(forum: str) -> None:
    code, out = run(forum, "health", "--as-of", "yesterday")
    assert code == 2 and "--as-of" in out and "Traceback" not in out
    code, out = run(forum, "health", "--window-days", "0")
    assert code == 2 and "--window-days" in out


def test_a_french_moderator_reads_alerts_in_french(
    forum: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue "a volunteer admin's first week": alert titles and details were English in French."""
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    code, out = run(forum, "alerts", "--as-of", "2025-06-15T18:00:00Z")
    assert code == 0 and "[critical] Fil qui s’échauffe\u00a0: " in out, out
    assert "Heated thread" not in out
    code, out = run(forum, "alerts", "list")
    assert code == 0 and "Fil qui s’échauffe\u00a0: " in out and "Heated thread" not in out
    code, out = run(forum, "alerts", "list", "--format", "json")  # JSON stays in English
    assert any(i["summary"].startswith("Heated thread: ") for i in json.loads(out)["items"])


def test_alert_summaries_keep_their_english_and_read_in_french_notation() -> None:
    from tending.lib.alerts import alert_summary, summary_in

    heated = {
        "messages": 12,
        "top_two_share": 0.9166,
        "median_gap_minutes": 2.25,
        "negative_share": 0.5,
        "toxic": 2,
        "rising": True,
        "members": [1, 2],
    }
    assert alert_summary("heated_thread", heated) == (
        "Heated thread: 12 messages in 24 hours, 92% of them by two people, a message every 2.2 min, "
        "50% negative, hostility rising, 2 toxic."
    )
    assert alert_summary("heated_thread", heated, "fr") == (
        "Fil qui s’échauffe\u00a0: 12 messages en 24 heures, dont 92\u00a0% écrits par deux personnes, "
        "un message toutes les 2,2 min, 50\u00a0% négatifs, hostilité en hausse, 2 toxiques."
    )
    volume = {"value": 1500.0, "baseline": 12.5, "score": 9.1}
    assert alert_summary("volume_spike", volume, "fr") == (
        "Pic d’activité\u00a0: 1\u202f500 contributions ces dernières 24 heures, contre 12,5 d’habitude."
    )
    # an alert stored before the backlog kept its hours reads as it was stored
    old = {"value": 9, "baseline": 2.0, "score": 6.0}
    assert summary_in("unanswered_backlog", old, "Unanswered ...", "fr") == "Unanswered ..."


def test_the_tables_say_when_in_local_time_without_microseconds(forum: str) -> None:
    """Issue "a volunteer admin's first week": the CLI printed UTC with microseconds."""
    code, out = run(forum, "health", "--as-of", "2025-06-15T18:00:00.123456Z")
    first = out.splitlines()[0]
    assert code == 0 and re.search(r"health as of 2025-06-15 \d\d:00 \([A-Za-z/_]+\) over", first)
    code, out = run(forum, "alerts", "--as-of", "2025-06-15T18:00:00Z")
    code, out = run(forum, "alerts", "--as-of", "2025-06-15T18:00:00.5Z")
    assert code == 0 and ".5" not in out and "T18:00" not in out, out
