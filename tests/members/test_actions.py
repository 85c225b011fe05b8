"""Changes to members: do-not-contact, tags, notes, merges and merge suggestions, each audited."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from tending.actions.members import (
    do_add_tag,
    do_merge_members,
    do_remove_tag,
    do_set_do_not_contact,
    do_set_note,
    get_member_list,
    get_merge_suggestions,
)
from tending.errors import UsageError
from tending.store import members as store
from tending.store.audit import get_events
from tending.store.ingest import Ingestor
from tending.store.schema import activities, member_stats
from tests.members.story import T, act, days, ingest, member_ids, person


def test_do_not_contact_tags_and_notes_are_kept_and_audited(engine: Engine) -> None:
    community = ingest(
        engine, [person("ada", joined=T - days(100)), person("bruno", joined=T - days(100))]
    )
    ada = member_ids(engine, community)["ada"]
    with engine.begin() as conn:
        assert do_set_do_not_contact(conn, community, ada, True, actor="moderator")
        assert not do_set_do_not_contact(
            conn, community, ada, True, actor="moderator"
        )  # already so
        assert do_add_tag(conn, community, ada, " mentor ", actor="moderator")
        assert not do_add_tag(conn, community, ada, "mentor", actor="moderator")
        assert do_add_tag(conn, community, ada, "French", actor="moderator")
        assert do_remove_tag(conn, community, ada, "French", actor="moderator")
        assert do_set_note(conn, community, ada, "Asked for a break until June", actor="moderator")
    with engine.connect() as conn:
        member = store.get_member(conn, community.id, ada)
        events = get_events(conn, community.id, member_id=ada)
    assert member is not None and member.do_not_contact and member.tags == ["mentor"]
    assert member.notes == "Asked for a break until June"
    assert [e["action"] for e in events][::-1] == [
        "member.do_not_contact_set",
        "member.tag_added",
        "member.tag_added",
        "member.tag_removed",
        "member.note_set",
    ]
    assert events[0]["details"] == {"length": 28}  # the note's words stay out of the audit log
    with engine.begin() as conn:
        assert do_set_note(conn, community, ada, "", actor="moderator")
        assert do_set_do_not_contact(conn, community, ada, False, actor="moderator")
        member = store.get_member(conn, community.id, ada)
    assert member is not None and member.notes is None and not member.do_not_contact


def test_a_tag_must_fit(engine: Engine) -> None:
    community = ingest(engine, [person("ada", joined=T - days(100))])
    ada = member_ids(engine, community)["ada"]
    with engine.begin() as conn, pytest.raises(UsageError, match="--tag"):
        do_add_tag(conn, community, ada, "x" * 101, actor="moderator")


def two_accounts() -> list:
    return [
        person(
            "U1",
            joined=T - days(300),
            source="slack",
            name="Ada L.",
            handle="ada",
            email="Ada@example.org",
        ),
        person(
            "77",
            joined=T - days(500),
            source="discourse",
            name="Ada",
            handle="ada_l",
            email="ada@example.org",
        ),
        person("U2", joined=T - days(300), source="slack", handle="bruno"),
        person("12", joined=T - days(300), source="discourse", handle="Bruno"),
        person("U3", joined=T - days(300), source="slack", handle="chloe"),
        act("s1", "U1", "post", T - days(100), source="slack"),
        act("s2", "U1", "reply", T - days(20), source="slack"),
        act("d1", "77", "reply", T - days(5), source="discourse"),
        act("d2", "77", "reaction", T - days(2), source="discourse"),
    ]


def test_merge_suggestions_by_email_and_handle_never_merge(engine: Engine) -> None:
    community = ingest(engine, two_accounts())
    ids = member_ids(engine, community)
    with engine.connect() as conn:
        suggestions = get_merge_suggestions(conn, community)
    found = {(s.reason, s.member_ids) for s in suggestions}
    assert found == {
        ("same_email", tuple(sorted((ids["U1"], ids["77"])))),
        ("same_handle", tuple(sorted((ids["U2"], ids["12"])))),
    }
    with engine.connect() as conn:  # nothing was merged
        assert all(
            m.merged_into is None
            for m in store.get_members_by_id(conn, community.id, ids.values()).values()
        )


def test_merging_moves_everything_and_recomputes_the_rollups(engine: Engine) -> None:
    community = ingest(engine, two_accounts())
    ids = member_ids(engine, community)
    keep, other = ids["U1"], ids["77"]
    with engine.begin() as conn:
        do_add_tag(conn, community, other, "mentor", actor="moderator")
        do_set_do_not_contact(conn, community, other, True, actor="moderator")
        moved = do_merge_members(conn, community, keep, other, actor="moderator")
    assert moved == {
        "identities": 1,
        "activities": 2,
        "tags": 1,
        "checkins": 0,
        "messages": 0,
        "duplicates_skipped": 0,
        "moderation_items": 0,
    }
    with engine.connect() as conn:
        kept = store.get_member(conn, community.id, keep)
        gone = store.get_member(conn, community.id, other)
        stats = {r.member_id: r for r in conn.execute(select(member_stats))}
        owners = {r.member_id for r in conn.execute(select(activities.c.member_id))}
        # the other account's id now leads to the kept member
        assert store.resolve_member(conn, community, "77").id == keep
        assert store.resolve_member(conn, community, f"#{other}").id == keep
        listing = get_member_list(conn, community, as_of=T)
        events = [e["action"] for e in get_events(conn, community.id)]
    assert kept is not None and gone is not None and gone.merged_into == keep
    assert kept.joined_at == T - days(500)  # the earliest join of the two accounts
    assert kept.do_not_contact and kept.tags == ["mentor"]  # the strictest contact preference wins
    assert stats[keep].contributions == 3 and stats[keep].reactions == 1
    assert stats[keep].last_contribution_at == T - days(5)
    assert other not in stats and owners == {keep}
    assert other not in [r.member.id for r in listing.rows]  # merged-away members leave every list
    assert "member.merged" in events and "member.merged_into" in events
    with engine.connect() as conn:
        assert get_merge_suggestions(conn, community) == [
            s for s in get_merge_suggestions(conn, community) if s.reason == "same_handle"
        ]


def test_a_later_import_of_a_merged_account_lands_on_the_kept_member(engine: Engine) -> None:
    community = ingest(engine, two_accounts())
    ids = member_ids(engine, community)
    with engine.begin() as conn:
        do_merge_members(conn, community, ids["U1"], ids["77"], actor="moderator")
    with engine.begin() as conn:
        Ingestor(conn, community).add_all(
            [act("d3", "77", "reply", T - days(1), source="discourse")]
        )
    with engine.connect() as conn:
        row = conn.execute(select(member_stats).where(member_stats.c.member_id == ids["U1"])).one()
    assert row.contributions == 4 and row.last_contribution_at == T - days(1)


def test_merges_are_refused_when_they_make_no_sense(engine: Engine) -> None:
    community = ingest(engine, two_accounts())
    ids = member_ids(engine, community)
    with engine.begin() as conn:
        with pytest.raises(UsageError, match="themselves"):
            do_merge_members(conn, community, ids["U1"], ids["U1"], actor="moderator")
        do_merge_members(conn, community, ids["U1"], ids["77"], actor="moderator")
        with pytest.raises(UsageError, match="merged into"):
            do_merge_members(conn, community, ids["U2"], ids["77"], actor="moderator")
        with pytest.raises(UsageError, match="no member"):
            do_merge_members(conn, community, ids["U2"], 99999, actor="moderator")


def test_an_id_on_two_platforms_must_name_its_platform(engine: Engine) -> None:
    community = ingest(
        engine, [person("42", source="slack", joined=T), person("42", source="discourse", joined=T)]
    )
    with engine.connect() as conn:
        with pytest.raises(UsageError, match="PLATFORM:42"):
            store.resolve_member(conn, community, "42")
        assert store.resolve_member(conn, community, "discourse:42").platform == "discourse"
        with pytest.raises(UsageError, match="no member 'nobody'"):
            store.resolve_member(conn, community, "nobody")


def test_a_merge_takes_the_outbox_and_the_moderation_history_along(engine: Engine) -> None:
    """Ada had a welcome waiting on her Discourse account and one already sent on Slack; a moderator had
    warned the Discourse account once and nudged the Slack one. After the merge, Ada is one person: one
    welcome, both messages in her history, and two confirmed offences counting towards escalation."""
    from tending.actions.outbox import do_draft_message
    from tending.store import moderation as moderation_store
    from tending.store import outbox as outbox_store

    community = ingest(engine, two_accounts())
    ids = member_ids(engine, community)
    keep, other, bruno = ids["U1"], ids["77"], ids["U2"]
    with engine.begin() as conn:
        sent = do_draft_message(
            conn,
            community,
            member_ids=[keep],
            rule="welcome",
            channel="private",
            body="Welcome Ada!",
            due_at=T - days(299),
            key="welcome:a:1:private",
        )
        assert sent is not None
        outbox_store.update_message(
            conn, community.id, sent, status=outbox_store.SENT, sent_at=T - days(299)
        )
        waiting = do_draft_message(
            conn,
            community,
            member_ids=[other],
            rule="welcome",
            channel="private",
            body="Welcome Ada (again)!",
            due_at=T,
            key="welcome:b:2:private",
        )
        two_months = do_draft_message(
            conn,
            community,
            member_ids=[other],
            rule="two_months",
            channel="private",
            body="Two months already",
            due_at=T,
            key="two_months:b:2:private",
        )
        weekly = do_draft_message(
            conn,
            community,
            member_ids=[keep, other, bruno],
            rule="weekly",
            channel="post",
            body="Welcome to our new members",
            due_at=T,
            key="weekly:w1:post",
        )
        assert waiting is not None and two_months is not None and weekly is not None
        moderation_store.bulk_add_items(
            conn,
            community.id,
            [
                {
                    "signal": "toxic",
                    "subject_key": "activity:d1",
                    "score": 0.9,
                    "evidence": {},
                    "occurred_at": T,
                    "member_id": other,
                }
            ],
            now=T,
        )
        moderation_store.bump_offender(conn, community.id, other, action="warn", at=T - days(3))
        moderation_store.bump_offender(conn, community.id, keep, action="nudge", at=T - days(10))
        moved = do_merge_members(conn, community, keep, other, actor="moderator")
    assert (
        moved["messages"] == 3
        and moved["duplicates_skipped"] == 1
        and moved["moderation_items"] == 1
    )
    with engine.connect() as conn:
        messages = {
            m.id: m
            for m in outbox_store.get_messages(
                conn, community.id, [sent, waiting, two_months, weekly]
            )
        }
        offenders = moderation_store.get_offender_counts(conn, community.id, [keep, other])
        items = moderation_store.get_items(conn, community.id)
        events = [e["action"] for e in get_events(conn, community.id)]
    assert (
        messages[waiting].status == outbox_store.SKIPPED
        and messages[waiting].skip_reason == "merged_duplicate"
    )
    assert messages[waiting].member_ids == [keep]
    assert messages[two_months].status == outbox_store.DRAFTED and messages[
        two_months
    ].member_ids == [keep]
    assert messages[sent].status == outbox_store.SENT
    assert sorted(messages[weekly].member_ids) == sorted(
        [keep, bruno]
    )  # Ada is named once in the weekly post
    assert offenders == {keep: {"flags": 2, "nudges": 1, "notes": 0, "warnings": 1, "removals": 0}}
    assert [item["member_id"] for item in items] == [keep]
    assert "outbox.skipped" in events
