"""do_import and `tending import`: all or nothing, idempotent, incremental, logged, on SQLite and
PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

import tending.actions.imports as imports_module
from tending.actions.imports import do_import
from tending.cli import cli
from tending.errors import BadInputError, UsageError, error_in
from tending.importers.background import can_fork
from tending.store.audit import get_events
from tending.store.communities import find_community
from tending.store.imports import get_imports
from tending.store.schema import (
    activities,
    channels,
    communities,
    identities,
    member_stats,
    members,
    threads,
)
from tests.conftest import shared_data
from tests.importers.helpers import FIXTURES

ADA = {
    "member_id": "ada",
    "member_name": "Ada",
    "kind": "post",
    "occurred_at": "2024-03-01T10:00:00+01:00",
    "thread_id": "t1",
    "source_id": "a1",
}


@pytest.fixture(autouse=True, params=["parsed here", "parsed by a child process"])
def parse_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every story twice: the parser in the import's process, and in a child process (large inputs)."""
    in_child = request.param.endswith("child process")
    assert (
        can_fork() or not in_child
    )  # a child is really used: fork exists and no other thread runs
    monkeypatch.setattr(imports_module, "BACKGROUND_BYTES", 0 if in_child else 1 << 62)
    return str(request.param)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything an import may change, as counts and sums."""
    with engine.connect() as conn:
        state: dict[str, Any] = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar()
            for table in (
                communities,
                members,
                identities,
                channels,
                threads,
                activities,
                member_stats,
            )
        }
        state["contributions"] = conn.execute(
            select(func.sum(member_stats.c.contributions))
        ).scalar()
        return state


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    return path


def test_a_slack_export_imports_once_and_twice_changes_nothing(engine: Engine) -> None:
    summary = do_import(engine, "slack", FIXTURES / "slack_export", community_name="Cats")
    assert summary.counts.activities_added == 11 and summary.counts.members_added == 6
    after_first = snapshot(engine)
    again = do_import(engine, "slack", FIXTURES / "slack_export", community_name="Cats")
    assert again.counts.activities_added == 0 and again.counts.activities_unchanged == 11
    assert again.counts.members_added == 0 and again.counts.members_updated == 0
    assert snapshot(engine) == after_first
    with engine.connect() as conn:
        chloe = conn.execute(select(members).where(members.c.external_id == "UCHLOE")).one()
        assert (
            chloe.joined_at_exact
            and chloe.joined_at.isoformat() == "2024-03-02T10:00:00.000900+00:00"
        )
        stats = conn.execute(select(member_stats).where(member_stats.c.member_id == chloe.id)).one()
        assert stats.contributions == 2 and stats.reactions == 1
        community = find_community(conn, "Cats")
        assert community is not None and community.platform == "slack"
        log = get_imports(conn, community.id)
        assert [row.status for row in log] == ["ok", "ok"]
        assert log[1].counts and log[0].counts
        assert log[1].counts["activities_added"] == 11 and log[0].counts["activities_added"] == 0
        assert log[0].file_hash and len(log[0].file_hash) == 64
        assert log[0].file_hash == log[1].file_hash
        assert [e["action"] for e in get_events(conn, community.id)].count("import.completed") == 2


def test_the_community_is_named_by_the_export_when_not_given(engine: Engine) -> None:
    summary = do_import(engine, "discord", FIXTURES / "discord_guild.json")
    assert summary.community == "Cat Carers"
    with engine.connect() as conn:
        community = find_community(conn, "Cat Carers")
        assert community is not None and community.platform == "discord"


def test_a_newer_stackexchange_dump_adds_only_what_is_new(engine: Engine) -> None:
    first = do_import(
        engine,
        "stackexchange",
        shared_data("activity/stackexchange-meta-2018"),
        community_name="History",
    )
    assert (
        first.counts.members_added,
        first.counts.activities_added,
        first.counts.threads_added,
    ) == (2314, 7400, 556)
    newer = do_import(
        engine,
        "stackexchange",
        shared_data("activity/stackexchange-meta-2023"),
        community_name="History",
    )
    # checked with a one-off script over both dumps: 1600 new users + 16 new deleted authors of new posts;
    # 1600 joins + 606 posts + 1773 comments new; 119 items of 2018 are gone from 2023 (deleted since)
    assert newer.counts.members_added == 1616 and newer.counts.activities_added == 3979
    assert newer.counts.activities_unchanged == 7400 - 119 and newer.counts.threads_added == 239
    once_more = do_import(
        engine,
        "stackexchange",
        shared_data("activity/stackexchange-meta-2023"),
        community_name="History",
    )
    assert once_more.counts.activities_added == 0 and once_more.counts.members_added == 0
    state = snapshot(engine)
    assert state["activities"] == 7400 + 3979
    assert state["contributions"] == 556 + 1095 + 3454 + 606 + 1773


def test_a_malformed_record_leaves_the_database_as_it_was(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    do_import(engine, "jsonl", write_jsonl(tmp_path / "first.jsonl", [ADA]), community_name="Cats")
    before = snapshot(engine)
    monkeypatch.setattr(
        imports_module, "BATCH_SIZE", 2
    )  # the bad line comes after batches were written
    rows = [
        {**ADA, "source_id": f"b{i}", "member_id": f"m{i}", "member_name": f"M{i}"}
        for i in range(5)
    ]
    rows.insert(4, {**ADA, "source_id": "bad", "occurred_at": "yesterday"})
    with pytest.raises(BadInputError) as failure:
        do_import(
            engine, "jsonl", write_jsonl(tmp_path / "second.jsonl", rows), community_name="Cats"
        )
    assert str(failure.value) == (
        f"{tmp_path / 'second.jsonl'}, line 5: field 'occurred_at': 'yesterday' is not a "
        "date: use ISO 8601 (e.g. 2024-05-01T18:30:00+02:00) or a written date "
        "(e.g. 1 mai 2024 à 18h30)."
    )
    assert snapshot(engine) == before
    with engine.connect() as conn:
        community = find_community(conn, "Cats")
        assert community is not None
        logged = get_imports(conn, community.id)
    assert [row.status for row in logged] == ["failed", "ok"]
    assert logged[0].error == str(failure.value)
    # whichever process parsed the file, the error and its logged form read in French too
    french = (
        f"{tmp_path / 'second.jsonl'}, ligne 5\u00a0: champ «\u00a0occurred_at\u00a0»\u00a0: 'yesterday' n’est pas une "
        "date\u00a0: utilisez ISO 8601 (par ex. 2024-05-01T18:30:00+02:00) ou une date écrite (par ex. "
        "1 mai 2024 à 18h30)."
    )
    assert logged[0].error_text is not None
    assert (failure.value.in_language("fr"), error_in(logged[0].error_text, "fr")) == (
        french,
        french,
    )


def test_skip_bad_imports_the_rest_and_lists_what_it_skipped(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        json.dumps(ADA)
        + "\n{not json\n"
        + json.dumps({**ADA, "source_id": "a2", "kind": "shout"})
        + "\n"
        + json.dumps({**ADA, "source_id": "a3", "kind": "reply"})
        + "\n",
        encoding="utf-8",
    )
    summary = do_import(engine, "jsonl", path, community_name="Cats", skip_bad=True)
    assert summary.counts.activities_added == 2 and summary.bad_count == 2
    bad = summary.as_dict()["bad"]
    assert bad[0].startswith(f"{path}, line 2: not a JSON object")
    assert bad[1].startswith(f"{path}, line 3: field 'kind': 'shout' is not a kind")
    assert summary.bad_lines("fr")[1].startswith(
        f"{path}, ligne 3\u00a0: champ «\u00a0kind\u00a0»\u00a0: 'shout' n’est pas un type"
    )


def test_check_only_counts_without_writing(engine: Engine) -> None:
    before = snapshot(engine)
    summary = do_import(
        engine, "discourse", FIXTURES / "discourse", community_name="Forum", check_only=True
    )
    assert summary.counts.activities_added == 7 and summary.counts.members_added == 4
    assert snapshot(engine) == before


def test_a_wrong_kind_is_a_usage_error(engine: Engine) -> None:
    with pytest.raises(UsageError, match="kinds: discourse, slack, discord"):
        do_import(engine, "facebook", FIXTURES / "discord_guild.json")


def test_a_truncated_archive_empty_or_non_utf8_file_fails_in_one_sentence(
    engine: Engine, tmp_path: Path
) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in sorted((FIXTURES / "slack_export").rglob("*.json")):
            handle.write(file, file.relative_to(FIXTURES / "slack_export").as_posix())
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        "member_id,member_name,kind,occurred_at\nada,Hélène,post,2024-03-01\n".encode("latin-1")
    )
    before = snapshot(engine)
    with pytest.raises(BadInputError, match="truncated or damaged"):
        do_import(engine, "slack", cut)
    with pytest.raises(BadInputError, match=r"empty\.jsonl: the file is empty"):
        do_import(engine, "jsonl", empty)
    with pytest.raises(BadInputError, match=r"latin1\.csv: the file is not UTF-8"):
        do_import(engine, "csv", latin1)
    assert snapshot(engine) == before
    assert do_import(engine, "slack", archive).counts.activities_added == 11


def test_csv_member_list_with_join_dates_and_posts(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "groupe.csv"
    path.write_text(
        "\ufeffplatform;member_id;member_name;kind;occurred_at;thread_id;text;is_staff\n"
        "facebook;100001;Ada;joined;3 mars 2021;;;oui\n"
        "facebook;100002;Bruno;joined;2022-06-01;;;\n"
        'facebook;100001;Ada;post;2024-03-01T10:00:00+01:00;p1;"Bonjour; bienvenue";\n'
        "facebook;100002;Bruno;comment;2024-03-01T11:00:00+01:00;p1;Merci;\n",
        encoding="utf-8",
    )
    summary = do_import(
        engine, "csv", path, community_name="Chats diabétiques", timezone="Europe/Paris"
    )
    assert summary.counts.activities_added == 4 and summary.counts.members_added == 2
    with engine.connect() as conn:
        ada = conn.execute(select(members).where(members.c.external_id == "100001")).one()
        assert ada.is_staff and ada.joined_at_exact and ada.platform == "facebook"
        assert ada.joined_at.isoformat() == "2021-03-02T23:00:00+00:00"  # midnight in Paris
        post = conn.execute(select(activities).where(activities.c.kind == "post")).one()
        assert post.text == "Bonjour; bienvenue"
        community = find_community(conn, "Chats diabétiques")
        assert (
            community is not None
            and community.timezone == "Europe/Paris"
            and community.platform == "facebook"
        )


def test_the_cli_prints_a_summary_json_and_clear_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    export = tmp_path / "discourse"
    shutil.copytree(FIXTURES / "discourse", export)
    result = runner.invoke(
        cli, ["--db", db, "import", "discourse", str(export), "--community", "Forum"]
    )
    assert result.exit_code == 0, result.output
    assert "added: 4 members, 7 activities, 1 thread, 1 channel" in result.output
    assert "small action (closed, pinned, moved...): 1" in result.output
    result = runner.invoke(
        cli, ["--db", db, "import", "discourse", str(export), "--community", "Forum", "--json"]
    )
    data = json.loads(result.output)
    assert data["added"]["activities"] == 0 and data["unchanged"]["activities"] == 7
    log = runner.invoke(cli, ["--db", db, "imports", "--community", "Forum", "--format", "json"])
    assert [row["status"] for row in json.loads(log.output)] == ["ok", "ok"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["import", "myspace", "x.json"],
            2,
            "'myspace' is not a kind of export tending can import",
        ),
        (
            ["import", "jsonl", "/nonexistent/file.jsonl"],
            1,
            "/nonexistent/file.jsonl: no such file or folder.",
        ),
    ],
)
def test_cli_errors_exit_with_their_code(
    tmp_path: Path, args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tending.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--db", f"sqlite:///{tmp_path / 'cli.db'}", *args])
    assert exit_info.value.code == code
    assert message in capsys.readouterr().err


def test_an_activity_s_extra_is_stored_the_same_whichever_process_parsed_it(
    engine: Engine, tmp_path: Path
) -> None:
    """A child process sends `extra` already encoded as JSON (importers/packed.py); stored, it reads
    as the dict."""
    path = write_jsonl(
        tmp_path / "a.jsonl", [{**ADA, "thread_title": "Dose d'insuline, « urgent »"}]
    )
    do_import(engine, "jsonl", path, community_name="Cats")
    with engine.connect() as conn:
        assert conn.execute(select(activities.c.extra)).scalar_one() == {
            "thread_title": "Dose d'insuline, « urgent »"
        }
