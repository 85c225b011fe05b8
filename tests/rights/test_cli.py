"""`tending members export | erase | tombstones`, end to end in process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import CliResult
from tests.rights.cast import build


def test_export_json_and_html(
    db_url: str, engine: Engine, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    build(engine, tmp_path)
    result = run_cli(
        "--db", db_url, "members", "export", "slack:U0ADAMARK", "--community", "Quokkas"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"]["name"] == "Adaline Zorglub" and len(data["member_ids"]) == 2
    assert {i["platform"] for i in data["identities"]} == {"forum", "slack"}
    assert {i["email"] for i in data["identities"]} == {"adaline.marker@example.org", None}
    assert [a["text"] for a in data["activities"] if a["text"]] == [
        "knitting-quokka-one",
        "knitting-quokka-two",
        "slack-quokka-three",
        "slack-quokka-three again",
    ]
    assert data["tags"] == ["tag-quokka"] and data["notes"] == ["private-note-quokka"]
    assert {m["rule"] for m in data["messages"]} >= {"welcome", "weekly_welcome", "checkin"}
    assert len(data["checkins"]) == 1 and data["moderation"]["findings"][0]["signal"] == "toxicity"
    assert {"member.merged", "member.tag_added", "member.note_set"} <= {
        a["action"] for a in data["audit"]
    }

    out = tmp_path / "ada.html"
    result = run_cli(
        "--db", db_url, "members", "export", "forum:ada", "--format", "html", "--out", str(out)
    )
    assert result.exit_code == 0 and result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert "<h1>What Quokkas holds about you</h1>" in page and "knitting-quokka-two" in page


def test_html_export_is_escaped_and_in_the_community_language(
    db_url: str, engine: Engine, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    build(engine, tmp_path)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE communities SET language = 'fr'")
        conn.exec_driver_sql(
            "UPDATE activities SET text = '<script>alert(1)</script>' WHERE source_id = 'p1'"
        )
    result = run_cli("--db", db_url, "members", "export", "forum:ada", "--format", "html")
    assert "Ce que Quokkas détient à votre sujet" in result.stdout
    assert (
        "<script>alert" not in result.stdout
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in result.stdout
    )


def test_erase_asks_then_erases_once(
    db_url: str, engine: Engine, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    from click.testing import CliRunner

    from tending.cli import cli

    build(engine, tmp_path)
    refused = CliRunner().invoke(
        cli, ["--db", db_url, "members", "erase", "forum:ada"], input="n\n"
    )
    assert (
        refused.exit_code == 1 and "2  accounts" in refused.output and "Aborted" in refused.output
    )
    assert json.loads(run_cli("--db", db_url, "members", "export", "forum:ada").stdout)["profile"][
        "name"
    ]
    done = run_cli("--db", db_url, "members", "erase", "forum:ada", "--yes")
    assert done.exit_code == 0 and done.stdout.startswith("Erased member #")
    again = run_cli("--db", db_url, "members", "erase", "forum:ada", "--yes")
    assert again.exit_code == 2 and again.stderr.startswith("Error: ID: this member was erased on ")
    assert len(again.stderr.strip().splitlines()) == 1
    unknown = run_cli("--db", db_url, "members", "erase", "nobody", "--yes")
    assert unknown.exit_code == 2 and "no member" in unknown.stderr
    listed = json.loads(
        run_cli("--db", db_url, "members", "tombstones", "list", "--format", "json").stdout
    )
    assert listed["total"] == 2 and {t["platform"] for t in listed["tombstones"]} == {
        "forum",
        "slack",
    }
    assert "ada" not in json.dumps(listed).lower()
    lifted = run_cli(
        "--db", db_url, "members", "tombstones", "lift", str(listed["tombstones"][0]["tombstone"])
    )
    assert lifted.exit_code == 0 and lifted.stdout.startswith("Lifted 1 tombstone:")
    assert run_cli("--db", db_url, "members", "tombstones", "lift", "forum:nobody").exit_code == 2
