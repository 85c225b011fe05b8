"""The commands and their JSON contracts, end to end on a real database file."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from tending.cli import cli, main
from tests.members.story import T, ingest
from tests.members.test_checkins import village
from tests.members.test_store_members import cats

AS_OF = "2025-06-01T12:00:00Z"


def run(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def run_json(db_url: str, *args: str) -> Any:
    return json.loads(run(db_url, *args, "--format", "json"))


def test_members_inactive_json_contract(db_url: str, engine: Engine) -> None:
    ingest(engine, cats(), timezone="Europe/Paris")
    found = run_json(db_url, "members", "--inactive-days", "60", "--as-of", AS_OF)
    assert [m["id"] for m in found] == ["ada", "jules", "chloe", "ines"]
    ada = found[0]
    assert set(ada) == {
        "id",
        "member_id",
        "name",
        "handle",
        "platform",
        "joined_at",
        "last_contribution_at",
        "contributions",
        "state",
    }
    assert ada == {
        "id": "ada",
        "member_id": ada["member_id"],
        "name": "Ada",
        "handle": "ada",
        "platform": "forum",
        "joined_at": "2024-04-27T12:00:00Z",
        "last_contribution_at": "2025-04-02T12:00:00Z",
        "contributions": 1,
        "state": "inactive",
    }
    assert found[1]["joined_at"] == "2024-11-13T12:00:00Z"  # jules: no join date, first activity


def test_members_table_shows_local_dates(db_url: str, engine: Engine) -> None:
    ingest(
        engine, cats(), timezone="Pacific/Kiritimati"
    )  # UTC+14: noon UTC is already the next day there
    out = run(db_url, "members", "--inactive-days", "60", "--as-of", AS_OF)
    assert (
        out.splitlines()[0]
        == "4 members inactive for 60 days as of 2025-06-02 (Pacific/Kiritimati)."
    )
    assert (
        "2025-04-03" in out.splitlines()[2]
    )  # ada's last post, 2025-04-02 12:00 UTC, in Kiritimati


def test_members_by_state_and_csv(db_url: str, engine: Engine) -> None:
    ingest(engine, cats(), timezone="UTC")
    quiet = run_json(db_url, "members", "--state", "quiet", "--as-of", AS_OF)
    assert [m["id"] for m in quiet] == ["eva"]
    lines = run(
        db_url, "members", "--state", "lurker", "--as-of", AS_OF, "--format", "csv"
    ).splitlines()
    assert (
        lines[0]
        == "id,member_id,name,handle,platform,joined_at,last_contribution_at,contributions,state"
    )
    assert [line.split(",")[0] for line in lines[1:]] == ["chloe", "dmitri", "ines"]


def test_show_set_and_merge(db_url: str, engine: Engine) -> None:
    ingest(engine, cats(), timezone="UTC")
    run(
        db_url,
        "members",
        "set",
        "ada",
        "--do-not-contact",
        "--tag",
        "mentor",
        "--note",
        "Prefers e-mail",
    )
    shown = run_json(db_url, "members", "show", "ada", "--as-of", AS_OF)
    assert (
        shown["do_not_contact"]
        and shown["tags"] == ["mentor"]
        and shown["note"] == "Prefers e-mail"
    )
    assert shown["identities"] == [{"platform": "forum", "external_id": "ada", "handle": "ada"}]
    out = run(db_url, "members", "merge", "ada", "jules")
    assert out.startswith(
        f"Merged #{shown['member_id'] + 9} into #{shown['member_id']}: 1 accounts, 2 activities"
    )
    merged = run_json(db_url, "members", "show", "jules", "--as-of", AS_OF)
    assert merged["id"] == "ada" and merged["contributions"] == 3
    assert "jules" not in [m["id"] for m in run_json(db_url, "members", "--as-of", AS_OF)]
    shown_table = {
        line.split(":", 1)[0]: line.split(":", 1)[1].strip()
        for line in run(db_url, "members", "show", "ada").splitlines()
    }
    assert (
        shown_table["do not contact"] == "yes"
        and shown_table["accounts"] == "forum:ada @ada, forum:jules"
    )


def test_segments_json(db_url: str, engine: Engine) -> None:
    ingest(engine, cats(), timezone="UTC")
    report = run_json(db_url, "segments", "--window-days", "90", "--as-of", AS_OF)
    assert report["members"] == 9 and report["contributions"] == 8
    assert report["segments"]["heavy_core"] == {
        "count": 1,
        "share": 1 / 9,
        "reference_share": 0.01,
        "contributions": 5,
    }
    assert report["segments"]["lurkers"]["count"] == 5
    assert 0 < report["gini"] < 1


def test_checkins_list_and_draft(db_url: str, engine: Engine) -> None:
    ingest(engine, village(), timezone="UTC")
    listed = run_json(db_url, "checkins", "--as-of", AS_OF)
    assert [(e["priority"], e["id"], e["reason"]) for e in listed] == [
        (1, "nora", "newcomer_silent"),
        (2, "quentin", "unanswered"),
        (3, "paul", "rhythm_dropped"),
        (4, "sam", "rhythm_dropped"),
        (5, "tara", "rhythm_dropped"),
    ]
    out = run(db_url, "checkins", "draft", "nora", "--now", AS_OF)
    assert "the private message is drafted in the outbox" in out
    assert "nora" not in [e["id"] for e in run_json(db_url, "checkins", "--as-of", AS_OF)]
    outcomes = run_json(db_url, "checkins", "outcomes", "--now", AS_OF)
    assert [(o["id"], o["reason"], o["outcome"]) for o in outcomes] == [
        ("nora", "newcomer_silent", None)
    ]


def test_mistakes_get_one_sentence_and_exit_2(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest(engine, cats(), timezone="UTC")
    for args, words in (
        (["members", "--as-of", "last tuesday"], "--as-of: 'last tuesday' is not an ISO 8601"),
        (["members", "show", "zelda"], "ID: no member 'zelda'"),
        (["members", "set", "ada"], "nothing to change"),
    ):
        with pytest.raises(SystemExit) as stop:
            main(["--db", db_url, *args])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and words in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert T  # the story's clock


def test_the_inactive_list_separates_who_went_quiet_from_who_never_contributed(
    db_url: str, engine: Engine
) -> None:
    """1,434 of 1,900 demo members were "inactive for 60 days", people who never posted beside people who
    went quiet: the list says how many of each, marks each row, and --inactive-kind keeps one kind, with
    --limit/--offset paging within it."""
    ingest(engine, cats(), timezone="UTC")
    out = run(db_url, "members", "--inactive-days", "60", "--as-of", AS_OF).splitlines()
    assert out[0] == "4 members inactive for 60 days as of 2025-06-01 (UTC)."
    assert out[1].split() == [
        "id",
        "name",
        "platform",
        "joined",
        "last",
        "contribution",
        "contributions",
        "state",
        "why",
        "inactive",
    ]
    assert [line.split()[0] for line in out[2:6]] == ["ada", "jules", "chloe", "ines"]
    assert [line.endswith("went quiet") for line in out[2:6]] == [True, True, False, False]
    assert out[6] == (
        "Of these, 2 went quiet (contributed, then fell silent) and 2 never contributed "
        "(--inactive-kind went_quiet or never_contributed lists one kind)."
    )
    never = run(
        db_url,
        "members",
        "--inactive-days",
        "60",
        "--as-of",
        AS_OF,
        "--inactive-kind",
        "never_contributed",
        "--limit",
        "1",
        "--offset",
        "1",
    ).splitlines()
    assert (
        never[0] == "2 members inactive for 60 days who never contributed as of 2025-06-01 (UTC)."
    )
    assert [line.split()[0] for line in never[2:3]] == ["ines"]
    assert never[3:] == ["2-2 of 2 members"]
    quiet = run_json(
        db_url,
        "members",
        "--inactive-days",
        "60",
        "--as-of",
        AS_OF,
        "--inactive-kind",
        "went_quiet",
    )
    assert [m["id"] for m in quiet] == ["ada", "jules"]
    result = CliRunner().invoke(cli, ["--db", db_url, "members", "--inactive-kind", "went_quiet"])
    assert "--inactive-kind: give --inactive-days N as well" in str(result.exception)


def test_lists_a_person_can_read_have_headers_and_say_n_of_m(
    db_url: str, engine: Engine, tmp_path: Any
) -> None:
    """CLI tables had no header, printed UTC with microseconds and did not say "200 of 470"."""
    ingest(engine, village(), timezone="UTC")
    page = run(db_url, "checkins", "--as-of", AS_OF, "--limit", "2", "--offset", "1").splitlines()
    assert page[0] == "5 people to check in on as of 2025-06-01 (UTC)."
    assert page[1].split() == ["#", "id", "name", "platform", "why"]
    assert [line.split()[:2] for line in page[2:4]] == [["2", "quentin"], ["3", "paul"]]
    assert page[4] == "2-3 of 5 people (--offset for more)"
    assert [
        e["priority"] for e in run_json(db_url, "checkins", "--as-of", AS_OF, "--offset", "3")
    ] == [
        4,
        5,
    ]
    communities = run(db_url, "communities", "list").splitlines()
    assert communities[0] == "1 community."
    assert communities[1].split() == ["id", "name", "platform", "time", "zone", "language"]
    export = tmp_path / "more.jsonl"
    for n in range(2):
        export.write_text(
            json.dumps(
                {
                    "platform": "forum",
                    "member_id": f"x{n}",
                    "member_name": "X",
                    "kind": "joined",
                    "occurred_at": "2025-05-01T10:00:00+00:00",
                }
            )
            + "\n",
            encoding="utf-8",
        )
        run(db_url, "import", "jsonl", str(export))
    log = run(db_url, "imports", "--limit", "1").splitlines()
    assert log[0].endswith("imports into 'Cats', the most recent first.") and log[0].startswith(
        "2 "
    )
    assert log[1].split()[:4] == ["id", "started", "(UTC)", "kind"]
    assert len(log[2].split()[2]) == 5  # 2026-12-03 17:10: the minute, no seconds nor microseconds
    assert log[3] == "1 of 2 imports (--offset for more)"
