"""The queue for a team: filters and "N of M", bulk decisions checked whole, claims the store enforces,
reopening, appeals, the moderation log and a member's case file (tending.actions.moderation_queue)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tending.actions.moderation import do_act_on_item
from tending.actions.moderation_queue import (
    MAX_BULK,
    build_filter,
    do_act_on_items,
    do_claim_items,
    do_open_appeal,
    do_release_items,
    do_reopen_item,
    get_bulk_preview,
    get_case_file,
    get_moderation_log,
    get_queue_listing,
)
from tending.errors import ConflictError, NotFoundError, TendingError, UsageError
from tending.store import open_store
from tending.store.moderation import (
    bulk_add_items,
    decide_item,
    get_offender_counts,
    moderation_appeals,
    moderation_items,
)
from tending.store.schema import audit_events
from tests.conftest import CliResult

from .conftest import T0, Story, build_story

NOW = T0 + timedelta(days=10)
ADA, CHLOE = "ada@example.org", "chloe@example.org"


def _seed(engine: Engine, story: Story) -> dict[str, int]:
    """Findings on the story's messages: bruno's promotion (an account an hour old), eve's insult and
    picture, dora's copy; ids by source id."""
    members = {"b1": "bruno", "e1": "eve", "e2": "eve", "d1": "dora"}
    signals = {"b1": "spam", "e1": "toxic", "e2": "spam", "d1": "repost"}
    with engine.begin() as conn:
        from tending.store.schema import activities

        authors = dict(
            conn.execute(
                select(activities.c.id, activities.c.member_id).where(
                    activities.c.id.in_([story.ids[s] for s in members])
                )
            ).all()
        )
        bulk_add_items(
            conn,
            story.community.id,
            [
                {
                    "activity_id": story.ids[sid],
                    "member_id": authors[story.ids[sid]],
                    "signal": signals[sid],
                    "subject_key": f"activity:{story.ids[sid]}",
                    "score": 0.9 if sid != "e2" else 0.4,
                    "evidence": {"text": f"message {sid}", "lang": "en" if sid == "b1" else "fr"},
                    "occurred_at": T0 + timedelta(days=3 + n),
                }
                for n, sid in enumerate(members)
            ],
            now=NOW,
        )
        rows = conn.execute(select(moderation_items.c.id, moderation_items.c.activity_id)).all()
    by_activity = {aid: iid for iid, aid in rows}
    return {sid: by_activity[story.ids[sid]] for sid in members}


@pytest.fixture
def seeded(engine: Engine, story: Story) -> dict[str, int]:
    return _seed(engine, story)


def _audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def _statuses(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(moderation_items.c.id, moderation_items.c.status)).all())


def test_filters_narrow_the_listing_and_say_n_of_m(
    engine: Engine, story: Story, seeded: dict[str, int]
) -> None:
    c = story.community
    with engine.connect() as conn:
        spam = build_filter(conn, c, now=NOW, signals=("spam",))
        page = get_queue_listing(conn, c, spam, now=NOW, limit=1)
        assert (page.total, page.shown) == (2, 1)
        fresh = build_filter(conn, c, now=NOW, signals=("spam",), account_younger_than="2d")
        assert [i["id"] for i in get_queue_listing(conn, c, fresh, now=NOW).items] == [seeded["b1"]]
        french = build_filter(conn, c, now=NOW, languages=("fr",), min_score=0.5)
        found = get_queue_listing(conn, c, french, now=NOW, sort="oldest").items
        assert [i["id"] for i in found] == [seeded["e1"], seeded["d1"]]
        assert found[0]["author"] == "Eve"
        general = build_filter(conn, c, now=NOW, channels=("général",))
        assert get_queue_listing(conn, c, general, now=NOW).total == 3  # bruno posted in intro
        eve = build_filter(conn, c, now=NOW, members=("eve",))
        assert get_queue_listing(conn, c, eve, now=NOW).total == 2
        old = build_filter(conn, c, now=NOW, older_than="4d")  # occurred before NOW - 4 days
        assert get_queue_listing(conn, c, old, now=NOW).total == 3
        with pytest.raises(UsageError, match="--signal: 'ham' is not a signal"):
            build_filter(conn, c, now=NOW, signals=("ham",))
        with pytest.raises(UsageError, match="--older-than: 'soon' is not a duration"):
            build_filter(conn, c, now=NOW, older_than="soon")
        with pytest.raises(UsageError, match="--channel: the community"):
            build_filter(conn, c, now=NOW, channels=("nowhere",))


def test_a_bulk_decision_writes_one_audit_row_per_item(
    engine: Engine, story: Story, seeded: dict[str, int]
) -> None:
    c = story.community
    before = _audit_count(engine)
    with engine.begin() as conn:
        where = build_filter(conn, c, now=NOW, signals=("spam",))
        preview = get_bulk_preview(conn, c, [], "remove", holder=ADA, now=NOW, where=where)
        assert preview.by_signal == {"spam": 2} and preview.members == 2 and preview.counted == 2
        results = do_act_on_items(
            conn, c, [], "remove", actor=ADA, holder=ADA, now=NOW, where=where
        )
    assert sorted(r.item_id for r in results) == sorted([seeded["b1"], seeded["e2"]])
    assert _audit_count(engine) == before + 2
    statuses = _statuses(engine)
    assert statuses[seeded["b1"]] == statuses[seeded["e2"]] == "done"
    assert statuses[seeded["e1"]] == "open"


@pytest.mark.parametrize(
    "case",
    ["closed", "held", "unknown action", "unknown id", "10,000 ids"],
)
def test_a_bad_bulk_call_changes_nothing(
    engine: Engine, story: Story, seeded: dict[str, int], case: str
) -> None:
    c = story.community
    with engine.begin() as conn:
        do_act_on_item(conn, c, seeded["d1"], "leave", actor=CHLOE, now=NOW)
        do_claim_items(conn, c, [seeded["e2"]], holder=CHLOE, actor=CHLOE, now=NOW)
    before, statuses = _audit_count(engine), _statuses(engine)
    ids = {
        "closed": [seeded["b1"], seeded["d1"]],
        "held": [seeded["b1"], seeded["e2"]],
        "unknown action": [seeded["b1"]],
        "unknown id": [seeded["b1"], 99_999],
        "10,000 ids": list(range(1, 10_001)),
    }[case]
    expected: tuple[type[Exception], str] = {
        "closed": (ConflictError, f"item {seeded['d1']} is already closed"),
        "held": (ConflictError, f"item {seeded['e2']} is claimed by another moderator until"),
        "unknown action": (UsageError, "ACTION: 'ban' is not an action"),
        "unknown id": (NotFoundError, "no queue item 99999"),
        "10,000 ids": (UsageError, f"10000 items at once is too many \\(at most {MAX_BULK}\\)"),
    }[case]
    with pytest.raises(expected[0], match=expected[1]) as raised, engine.begin() as conn:
        action = "ban" if case == "unknown action" else "remove"
        do_act_on_items(conn, c, ids, action, actor=ADA, holder=ADA, now=NOW)
    assert isinstance(raised.value, TendingError)
    assert CHLOE not in str(raised.value) and raised.value.exit_code == 2
    assert (_audit_count(engine), _statuses(engine)) == (before, statuses)


def test_the_store_refuses_a_decision_on_an_item_someone_else_holds(
    engine: Engine, story: Story, seeded: dict[str, int]
) -> None:
    c, item = story.community, seeded["e1"]
    with engine.begin() as conn:
        do_claim_items(conn, c, [item], holder=CHLOE, actor=CHLOE, now=NOW)
        with pytest.raises(ConflictError, match="claimed by another moderator"):
            do_claim_items(conn, c, [item], holder=ADA, actor=ADA, now=NOW)
        with pytest.raises(ConflictError, match="claimed by another moderator"):
            do_act_on_item(conn, c, item, "warn", actor=ADA, now=NOW)
        # below the actions' check: the UPDATE itself does not close a held item
        args: dict[str, Any] = {"action": "warn", "reply": None, "note": None}
        assert not decide_item(conn, item, actor=ADA, holder=ADA, at=NOW, **args)
        # the lease ends: anyone may decide
        later = NOW + timedelta(hours=1)
        assert decide_item(conn, item, actor=ADA, holder=ADA, at=later, **args)
        # a closed item is never decided twice
        assert not decide_item(conn, item, actor=CHLOE, holder=CHLOE, at=later, **args)


def test_assign_and_hand_back(engine: Engine, story: Story, seeded: dict[str, int]) -> None:
    c, item = story.community, seeded["e1"]
    with engine.begin() as conn:
        do_claim_items(conn, c, [item], holder=ADA, actor=ADA, now=NOW)
        assigned = do_claim_items(conn, c, [item], holder=CHLOE, actor=ADA, now=NOW)
        assert assigned.until == NOW + timedelta(days=1)
        mine = build_filter(conn, c, now=NOW, claimed_by=CHLOE)
        assert [i["held_by"] for i in get_queue_listing(conn, c, mine, now=NOW).items] == [CHLOE]
        with pytest.raises(ConflictError, match="claimed by another moderator"):
            do_release_items(conn, c, [item], holder=ADA, actor=ADA, now=NOW)
        assert do_release_items(conn, c, [item], holder=CHLOE, actor=CHLOE, now=NOW).item_ids == [
            item
        ]
        nobody = build_filter(conn, c, now=NOW, claimed_by="")
        assert get_queue_listing(conn, c, nobody, now=NOW).total == 4
        actions = [e.action for e in get_moderation_log(conn, c, item_id=item).entries]
    assert actions == ["released", "assigned", "claimed"]


def test_reopen_undoes_a_decision_and_its_count(
    engine: Engine, story: Story, seeded: dict[str, int]
) -> None:
    c, item = story.community, seeded["e1"]
    with engine.begin() as conn:
        acted = do_act_on_item(conn, c, item, "warn", actor=CHLOE, now=NOW)
        member = conn.execute(
            select(moderation_items.c.member_id).where(moderation_items.c.id == item)
        ).scalar_one()
        assert get_offender_counts(conn, c.id, [member])[member]["warnings"] == 1
        assert do_reopen_item(conn, c, item, actor=ADA, now=NOW).previous_action == "warn"
        assert get_offender_counts(conn, c.id, [member])[member] == {
            "flags": 0,
            "nudges": 0,
            "notes": 0,
            "warnings": 0,
            "removals": 0,
        }
        with pytest.raises(ConflictError, match="is open: there is no decision to undo"):
            do_reopen_item(conn, c, item, actor=ADA, now=NOW)
        [entry] = get_moderation_log(conn, c, actions=("reopened",)).entries
    assert acted.reply and entry.details["previous_action"] == "warn" and entry.actor == ADA


def test_an_appeal_keeps_the_warning_and_records_the_outcome(
    engine: Engine, story: Story, seeded: dict[str, int]
) -> None:
    c, item = story.community, seeded["e1"]
    with engine.begin() as conn:
        warned = do_act_on_item(conn, c, item, "warn", actor=CHLOE, now=NOW)
        opened = do_open_appeal(conn, c, item, actor=ADA, now=NOW, statement="c'était une blague")
        assert opened.original_reply == warned.reply
        listing = get_queue_listing(conn, c, build_filter(conn, c, now=NOW), now=NOW)
        assert listing.appeals[item][0]["original_reply"] == warned.reply
        do_act_on_item(conn, c, item, "note", actor=ADA, now=NOW)
        appeal = conn.execute(select(moderation_appeals)).one()
        with pytest.raises(ConflictError, match="left alone: there is no decision"):
            do_act_on_item(conn, c, seeded["d1"], "leave", actor=ADA, now=NOW)
            do_open_appeal(conn, c, seeded["d1"], actor=ADA, now=NOW)
    assert (appeal.outcome, appeal.original_action, appeal.decided_action) == (
        "changed",
        "warn",
        "note",
    )
    with engine.connect() as conn:
        member = appeal.member_id
        case = get_case_file(conn, c, member)
    kinds = [e.kind for e in case.entries]
    assert "finding" in kinds and "moderation.appealed" in kinds
    assert "moderation.appeal_decided" in kinds and "moderation.warn" in kinds


# -- the command line ----------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, dict[str, int]]:
    path = tmp_path / "t.db"
    engine = open_store(f"sqlite:///{path}")
    ids = _seed(engine, build_story(engine, tmp_path))
    engine.dispose()
    return str(path), ids


def test_queue_shows_a_header_the_author_the_local_date_and_what_is_left(
    db: tuple[str, dict[str, int]],
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, ids = db
    done = run_cli("--db", path, "moderate", "queue", "--limit", "2")
    assert done.exit_code == 0, done.stderr
    header, first, second, last = done.stdout.splitlines()
    assert header.split() == ["ID", "SIGNAL", "SCORE", "DATE", "AUTHOR", "STATE", "EVIDENCE"]
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")  # the reader's language, as the CLI's errors
    french = run_cli("--db", path, "moderate", "queue", "--limit", "2").stdout.splitlines()
    assert french[0].split() == ["ID", "SIGNAL", "SCORE", "DATE", "AUTEUR", "ÉTAT", "INDICES"]
    assert french[1] == first
    monkeypatch.delenv("TENDING_LANGUAGE")
    # d1 occurred at T0 + 6 days, 09:00 UTC: 10:00 in Paris
    assert first.split()[:6] == [str(ids["d1"]), "repost", "0.90", "2026-03-08", "10:00", "Dora"]
    assert "message d1" in first and second.split()[0] == str(ids["e2"])
    assert last == "Showing 1-2 of 4 items; the next with --offset 2. Dates in Europe/Paris time."
    spam = run_cli("--db", path, "moderate", "queue", "--signal", "spam", "--offset", "1")
    assert spam.stdout.splitlines()[1].split()[0] == str(ids["b1"])
    assert spam.stdout.splitlines()[-1].startswith("Showing 2-2 of 2 items.")
    csv = run_cli(
        "--db", path, "moderate", "queue", "--format", "csv", "--account-younger-than", "2d"
    )
    assert csv.stdout.splitlines()[0].startswith("id,signal,score,status,date,author")
    assert csv.stdout.splitlines()[1].startswith(f"{ids['b1']},spam,0.90,open,")


def test_act_on_many_and_where_then_refusals_in_one_sentence(
    db: tuple[str, dict[str, int]], run_cli: Callable[..., CliResult]
) -> None:
    path, ids = db
    base = ("--db", path, "moderate")
    dry = run_cli(
        *base,
        "act",
        "remove",
        "--where",
        "signal=spam",
        "--where",
        "account-younger-than=2d",
        "--dry-run",
    )
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.startswith("Would record remove on 1 items (1 spam) about 1 members")
    held = run_cli(*base, "claim", str(ids["e2"]), "--as", CHLOE)
    assert held.exit_code == 0 and held.stdout.startswith(f"1 item held by {CHLOE} until ")
    refused = run_cli(*base, "act", str(ids["b1"]), str(ids["e2"]), "remove", "--by", ADA)
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert "claimed by another moderator" in refused.stderr and CHLOE not in refused.stderr
    unknown = run_cli(*base, "act", str(ids["b1"]), "ban")
    assert unknown.exit_code == 2 and "'ban' is not an action" in unknown.stderr
    many = run_cli(*base, "act", *[str(i) for i in range(1, 10_001)], "leave")
    assert many.exit_code == 2 and "10000 items at once is too many" in many.stderr
    bad_where = run_cli(*base, "act", "leave", "--where", "colour=red")
    assert bad_where.exit_code == 2 and "--where: write NAME=VALUE" in bad_where.stderr
    assert run_cli(*base, "queue", "--format", "json").stdout.count('"status": "open"') == 4
    done = run_cli(*base, "act", str(ids["b1"]), str(ids["d1"]), "remove", "--by", ADA)
    assert done.exit_code == 0 and done.stdout.startswith("2 items: remove recorded")
    reopened = run_cli(*base, "reopen", str(ids["d1"]), "--by", ADA)
    assert reopened.stdout == f"Item {ids['d1']} is open again (its remove was undone).\n"
    log = run_cli(*base, "log", "--format", "csv", "--actor", ADA)
    rows = log.stdout.splitlines()
    assert rows[0] == "at,actor,action,item_id,member_id,details" and len(rows) == 4
    assert [r.split(",")[2] for r in rows[1:]] == ["reopened", "remove", "remove"]


def test_case_file_as_json_and_an_unknown_member_in_one_sentence(
    db: tuple[str, dict[str, int]], run_cli: Callable[..., CliResult]
) -> None:
    path, ids = db
    base = ("--db", path, "moderate")
    warned = run_cli(*base, "act", str(ids["e1"]), "warn", "--by", ADA, "--note", "second time")
    assert warned.exit_code == 0, warned.stderr
    case = run_cli(*base, "case", "eve", "--format", "json")
    assert case.exit_code == 0, case.stderr
    found = json.loads(case.stdout)
    assert (found["open_items"], found["offender"]["warnings"]) == (1, 1)
    assert found["total"] == len(found["entries"])
    short = run_cli(*base, "case", "eve", "--limit", "1")
    assert short.stdout.splitlines()[-1] == (
        f"Showing the latest 1 of {found['total']} entries (--limit)."
    )
    kinds = [(e["kind"], e["item_id"]) for e in found["entries"]]
    assert ("moderation.warn", ids["e1"]) in kinds
    assert sorted(k for k in kinds if k[0] == "finding") == sorted(
        [("finding", ids["e1"]), ("finding", ids["e2"])]
    )
    warn = next(e for e in found["entries"] if e["kind"] == "moderation.warn")
    assert warn["actor"] == ADA and warn["at"].endswith("Z") and "second time" not in case.stdout
    for output in ("json", "table"):
        unknown = run_cli(*base, "case", "nobody-here", "--format", output)
        assert unknown.exit_code == 2 and unknown.stdout == ""
        assert unknown.stderr.count("\n") == 1 and "Traceback" not in unknown.stderr
        assert "MEMBER: no such member in community" in unknown.stderr


def test_the_log_headers_read_in_the_readers_language(
    db: tuple[str, dict[str, int]],
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`moderate log`'s WHEN/WHO/WHAT headers stayed English on a French CLI (issue #20). The check is
    here, not in tests/cli/test_french_cli.py, for this file's seeded queue."""
    path, ids = db
    base = ("--db", path, "moderate")
    assert run_cli(*base, "act", str(ids["b1"]), "remove", "--by", ADA).exit_code == 0
    english = run_cli(*base, "log").stdout.splitlines()
    assert english[0].split() == ["WHEN", "WHO", "WHAT", "ITEM", "DETAILS"]
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    french = run_cli(*base, "log").stdout.splitlines()
    assert french[0].split() == ["QUAND", "QUI", "QUOI", "ÉLÉMENT", "DÉTAILS"]
    assert french[0].index("DÉTAILS") == french[1].index("{")  # the details under their header
    assert french[1].split()[3:5] == ["remove", str(ids["b1"])]
