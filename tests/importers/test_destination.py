"""Re-imports that cannot duplicate (issue: a volunteer admin's first week): an import without
--community goes where the same source went before, or into the only community of its platform, and
otherwise refuses with the list; the summary names the community."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tending.actions.imports import do_import
from tending.errors import UsageError
from tending.store.communities import do_create_community, get_communities
from tending.store.schema import members


def export(path: Path, people: list[str], platform: str = "facebook") -> Path:
    rows = [
        {
            "platform": platform,
            "member_id": who,
            "member_name": who.title(),
            "kind": "post",
            "occurred_at": f"2026-10-{i + 1:02d}T10:00:00+02:00",
            "source_id": f"{who}-{path.stem}",
        }
        for i, who in enumerate(people)
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def community_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [c.name for c in get_communities(conn)]


def member_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(members)).scalar_one())


def test_next_months_export_without_community_goes_where_the_first_went(
    engine: Engine, tmp_path: Path
) -> None:
    do_import(
        engine,
        "jsonl",
        export(tmp_path / "octobre.jsonl", ["ada", "bruno"]),
        community_name="Chats",
    )
    with engine.begin() as conn:  # another group, of another platform, does not confuse it
        do_create_community(conn, "Le forum", platform="discourse")
    summary = do_import(engine, "jsonl", export(tmp_path / "novembre.jsonl", ["bruno", "chloe"]))
    assert summary.community == "Chats"
    assert community_names(engine) == ["Chats", "Le forum"]
    assert member_count(engine) == 3


def test_the_only_community_of_the_platform_takes_an_export_of_new_members(
    engine: Engine, tmp_path: Path
) -> None:
    do_import(engine, "jsonl", export(tmp_path / "octobre.jsonl", ["ada"]), community_name="Chats")
    summary = do_import(engine, "jsonl", export(tmp_path / "nouveaux.jsonl", ["denis"]))
    assert summary.community == "Chats"
    assert community_names(engine) == ["Chats"]


def test_two_candidates_and_no_clue_are_refused_with_the_list(
    engine: Engine, tmp_path: Path
) -> None:
    do_import(engine, "jsonl", export(tmp_path / "a.jsonl", ["ada"]), community_name="Chats")
    do_import(engine, "jsonl", export(tmp_path / "b.jsonl", ["eve"]), community_name="Chiens")
    path = export(tmp_path / "novembre.jsonl", ["denis"])
    with pytest.raises(UsageError) as refused:
        do_import(engine, "jsonl", path)
    assert str(refused.value) == (
        f"{path}: which community is this export of? Name it with --community NAME "
        "(the facebook communities: 'Chats', 'Chiens'), or a new name to create one."
    )
    assert member_count(engine) == 2
    assert do_import(engine, "jsonl", path, community_name="Chiens").community == "Chiens"


def test_a_first_import_still_creates_its_community(engine: Engine, tmp_path: Path) -> None:
    summary = do_import(engine, "jsonl", export(tmp_path / "Entraide.jsonl", ["ada"]))
    assert summary.community == "Entraide"
    assert community_names(engine) == ["Entraide"]


def test_a_re_import_without_community_reads_dates_as_its_community_writes_them(
    engine: Engine, tmp_path: Path
) -> None:
    """A French group's spreadsheet (15/01/2025, day first) imported with --community, then again without:
    the second was refused ("reads only day first; say --day-first"), its dates being read before the
    destination was known, as in an English community. The community's language and zone now apply."""
    from tending.store.members import resolve_member

    with engine.begin() as conn:
        do_create_community(
            conn, "Chats diabétiques", platform="facebook", language="fr", timezone="Europe/Paris"
        )
    csv = tmp_path / "groupe.csv"
    csv.write_text(
        "platform;member_id;member_name;kind;occurred_at\n"
        "facebook;100003;Chloé;joined;15/01/2025\n"
        "facebook;100004;Sylvie;joined;02/03/2025 10:00\n",
        encoding="utf-8",
    )
    do_import(engine, "csv", csv, community_name="Chats diabétiques")
    again = do_import(engine, "csv", csv)
    assert again.community == "Chats diabétiques" and member_count(engine) == 2
    with engine.connect() as conn:
        (community,) = get_communities(conn)
        sylvie = resolve_member(conn, community, "100004")
    assert (
        sylvie.joined_at is not None and sylvie.joined_at.isoformat() == "2025-03-02T09:00:00+00:00"
    )
