"""The private check-in list: who, why, in what order, who is never listed; acting on an entry; outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from tending.actions.checkins import do_checkin, do_settle_outcomes, get_checkin_list
from tending.actions.members import do_set_do_not_contact
from tending.errors import TendingError
from tending.lib.checkins import months_before
from tending.store.audit import get_events
from tending.store.checkins import get_checkins
from tending.store.outbox import get_message
from tests.members.story import (
    SECOND,
    T,
    act,
    days,
    ingest,
    member_ids,
    person,
    posts_every,
    thread,
)


def village() -> list:
    return [
        person("nora", joined=T - days(40)),
        *posts_every("nora", start=T - days(38), gap=days(3), count=2),
        person("omar", joined=T - days(40)),
        act("o1", "omar", "reply", T - days(13)),
        person("paul", joined=T - days(400)),
        *posts_every("paul", start=T - days(47), gap=days(3), count=10),
        person("quentin", joined=T - days(400)),
        thread("t9"),
        act("q1", "quentin", "post", T - days(10), thread="t9"),
        person("gus", joined=T - days(400), bot=True),
        act("g1", "gus", "reply", T - days(9), thread="t9"),
        person("rosa", joined=T - days(400)),
        thread("t8"),
        act("r1", "rosa", "post", T - days(10), thread="t8"),
        person("bruno", joined=T - days(400)),
        act("b1", "bruno", "reply", T - days(9), thread="t8"),
        person("sam", joined=T - days(400)),
        *posts_every("sam", start=T - days(47), gap=days(3), count=10),
        person("tara", joined=T - days(400)),
        *posts_every("tara", start=T - days(48), gap=days(3), count=10),
        person("ulla", joined=T - days(40)),
        act("u1", "ulla", "reply", T - days(30)),
        act("u2", "ulla", "left", T - days(3)),
        person("vera", joined=T - days(220)),
        act("v1", "vera", "reply", T - days(200)),
    ]


def who(engine: Engine, community: Any, as_of: datetime = T) -> list[tuple[str, list[str]]]:
    with engine.connect() as conn:
        lines = get_checkin_list(conn, community, as_of=as_of)
    return [(line.member.external_id, [r.code for r in line.entry.reasons]) for line in lines]


def test_the_list_gives_reasons_in_priority_order(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="UTC")
    with engine.begin() as conn:
        do_set_do_not_contact(
            conn, community, member_ids(engine, community)["sam"], True, actor="moderator"
        )
    assert (
        who(engine, community)
        == [
            ("nora", ["newcomer_silent"]),  # joined 40 days ago, silent for 35 days
            ("quentin", ["unanswered"]),  # his thread got only a bot's reply
            (
                "paul",
                ["rhythm_dropped"],
            ),  # every 3 days, silent for 20 days (tara: 21 days, so after him)
            ("tara", ["rhythm_dropped"]),
        ]
    )  # never: omar (13 days), rosa (answered), sam (do-not-contact), ulla (left), gus (bot), vera (7 months)


def test_reasons_carry_their_figures(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="UTC")
    with engine.connect() as conn:
        lines = {
            line.member.external_id: line.entry
            for line in get_checkin_list(conn, community, as_of=T)
        }
    assert lines["paul"].reasons[0].details == {
        "silent_days": 20.0,
        "usual_gap_days": 3.0,
        "contributions": 10,
    }
    assert lines["nora"].reasons[0].details == {"joined_days_ago": 40.0, "silent_days": 35.0}
    assert lines["quentin"].reasons[0].details == {"posted_days_ago": 10.0}


def test_drafting_records_the_checkin_and_drafts_the_message(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="UTC")
    nora = member_ids(engine, community)["nora"]
    with engine.begin() as conn:
        checkin = do_checkin(conn, community, nora, actor="moderator", now=T)
    assert checkin.reason == "newcomer_silent" and checkin.message_ref is not None
    assert checkin.draft_text is None
    assert "nora" not in [
        name for name, _ in who(engine, community)
    ]  # contacted: off the list for 90 days
    assert "nora" not in [name for name, _ in who(engine, community, T + days(89))]
    with engine.begin() as conn:
        with pytest.raises(TendingError, match="already had a check-in"):
            do_checkin(conn, community, nora, actor="moderator", now=T + days(1))
        events = [e["action"] for e in get_events(conn, community.id, member_id=nora)]
    assert sorted(events) == ["checkin.drafted", "outbox.drafted"]


def test_the_cooldown_ends_after_ninety_days(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="UTC")
    tara = member_ids(engine, community)["tara"]
    with engine.begin() as conn:
        do_checkin(conn, community, tara, actor="moderator", now=T - days(90))
    assert "tara" in [
        name for name, _ in who(engine, community)
    ]  # drafted exactly 90 days ago: not within
    assert "tara" not in [name for name, _ in who(engine, community, T - SECOND)]


def test_drafting_keys_the_outbox_message_by_the_community_date(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="Pacific/Auckland")
    paul = member_ids(engine, community)["paul"]
    with engine.begin() as conn:
        checkin = do_checkin(
            conn, community, paul, actor="moderator", now=T, message="Kia ora Paul"
        )
        assert checkin.message_ref is not None and checkin.draft_text is None
        message = get_message(conn, community.id, int(checkin.message_ref))
    assert message is not None
    # T is 2025-06-01 12:00 UTC: already 2 June in Auckland, and the key uses the community's date
    assert (
        message.member_ids,
        message.rule,
        message.channel,
        message.body,
        message.due_at,
        message.key,
        message.language,
    ) == ([paul], "checkin", "private", "Kia ora Paul", T, f"checkin:{paul}:2025-06-02", "en")


def test_the_real_outbox_gets_a_private_draft(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="Europe/Paris")
    nora = member_ids(engine, community)["nora"]
    with engine.begin() as conn:
        checkin = do_checkin(conn, community, nora, actor="moderator", now=T)
        assert checkin.message_ref is not None and checkin.draft_text is None
        message = get_message(conn, community.id, int(checkin.message_ref))
    assert message is not None
    assert (message.rule, message.channel, message.status) == ("checkin", "private", "drafted")
    assert message.member_ids == [nora] and message.body.startswith("Hi Nora,")


def test_nobody_marked_do_not_contact_or_gone_gets_a_draft(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="UTC")
    ids = member_ids(engine, community)
    with engine.begin() as conn:
        do_set_do_not_contact(conn, community, ids["sam"], True, actor="moderator")
        for name, why in (("sam", "do-not-contact"), ("ulla", "left"), ("gus", "bot")):
            with pytest.raises(TendingError, match=why):
                do_checkin(conn, community, ids[name], actor="moderator", now=T)
        assert get_checkins(conn, community.id) == []


def test_outcomes_say_whether_the_member_came_back(engine: Engine) -> None:
    community = ingest(engine, village(), timezone="UTC")
    ids = member_ids(engine, community)
    with engine.begin() as conn:
        do_checkin(conn, community, ids["paul"], actor="moderator", now=T)
        do_checkin(conn, community, ids["nora"], actor="moderator", now=T)
    ingest(
        engine,
        [
            act("p-back", "paul", "reply", T + days(5)),
            act("n-react", "nora", "reaction", T + days(2)),
        ],
    )
    with engine.begin() as conn:
        assert do_settle_outcomes(conn, community, now=T + days(10)) == 1  # nora is still pending
        assert (
            do_settle_outcomes(conn, community, now=T + days(30)) == 0
        )  # the window is (T, T + 30 days]
        assert do_settle_outcomes(conn, community, now=T + days(30) + SECOND) == 1
        outcomes = {
            c.member_id: (c.outcome, c.outcome_at) for c in get_checkins(conn, community.id)
        }
    assert outcomes == {ids["paul"]: ("contributed", T + days(5)), ids["nora"]: ("silent", None)}


def test_the_critical_months_are_calendar_months_in_the_community_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    as_of = datetime(2025, 8, 31, 10, tzinfo=UTC)  # 12:00 in Paris
    assert months_before(as_of, 6, paris) == datetime(
        2025, 2, 28, 11, tzinfo=UTC
    )  # 12:00 CET, day clamped
    assert months_before(datetime(2025, 3, 15, tzinfo=UTC), 3, UTC) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def test_a_rhythm_of_several_posts_a_day_is_said_in_words() -> None:
    from tending.lib.checkins import RHYTHM_DROPPED, Reason, describe

    reason = Reason(RHYTHM_DROPPED, {"usual_gap_days": 0.2, "silent_days": 20})
    assert describe(reason, "en") == "usually several times a day, silent for 20 days"
    assert (
        describe(reason, "fr")
        == "d'habitude plusieurs fois par jour, silencieux·se depuis 20 jours"
    )


def test_a_member_s_reasons_say_the_silence_once_and_every_day_in_words() -> None:
    from tending.lib.checkins import NEWCOMER_SILENT, RHYTHM_DROPPED, Reason, describe_reasons

    newcomer = Reason(NEWCOMER_SILENT, {"joined_days_ago": 62, "silent_days": 19})
    daily = Reason(RHYTHM_DROPPED, {"usual_gap_days": 1.1, "silent_days": 19})
    weekly = Reason(RHYTHM_DROPPED, {"usual_gap_days": 6.4, "silent_days": 19})
    assert describe_reasons([newcomer, daily], "fr") == [
        "arrivé·e il y a 62 jours, silencieux·se depuis 19 jours",
        "d'habitude tous les jours",
    ]
    assert describe_reasons([newcomer, weekly], "en") == [
        "joined 62 days ago, silent for 19 days",
        "usually every 6 days",
    ]
    assert describe_reasons([daily], "en") == ["usually every day, silent for 19 days"]


def test_the_checkin_knows_when_its_message_went_out(engine: Engine) -> None:
    """Nora's check-in is drafted on Monday, approved and delivered on Tuesday: contacted_at says Tuesday,
    and a second delivery report changes nothing."""
    from tending.actions.outbox import do_approve, do_mark_sent

    community = ingest(engine, village(), timezone="Europe/Paris")
    nora = member_ids(engine, community)["nora"]
    with engine.begin() as conn:
        checkin = do_checkin(conn, community, nora, actor="moderator", now=T)
        assert checkin.contacted_at is None and checkin.message_ref is not None
        do_approve(conn, community, int(checkin.message_ref), actor="moderator")
        do_mark_sent(conn, community, int(checkin.message_ref), now=T + days(1))
        do_mark_sent(
            conn, community, int(checkin.message_ref), now=T + days(2)
        )  # already sent: a no-op
        (found,) = get_checkins(conn, community.id)
    assert found.contacted_at == T + days(1)


def _open_spam_finding(engine: Engine, community: Any, source_id: str) -> int:
    """A spam item in the moderation queue for one of the member's messages, as a scan writes it."""
    from sqlalchemy import select

    from tending.store import moderation as moderation_store
    from tending.store.schema import activities

    with engine.begin() as conn:
        activity_id, member_id, at = conn.execute(
            select(activities.c.id, activities.c.member_id, activities.c.occurred_at).where(
                activities.c.source_id == source_id
            )
        ).one()
        moderation_store.bulk_add_items(
            conn,
            community.id,
            [
                {
                    "activity_id": activity_id,
                    "member_id": member_id,
                    "signal": "spam",
                    "subject_key": f"activity:{activity_id}",
                    "score": 0.97,
                    "evidence": {"text": "", "lang": "en"},
                    "occurred_at": at,
                }
            ],
            now=T,
        )
        return int(conn.execute(select(moderation_store.moderation_items.c.id)).scalars().all()[-1])


def test_an_account_with_open_spam_findings_is_never_proposed(engine: Engine) -> None:
    """paul posted every 3 days and went quiet: a regular gone silent, unless his posts were a spam
    burst. With an open spam finding he is not proposed; once a moderator calls it a false alarm, he is."""
    from tending.actions.moderation import do_act_on_item

    community = ingest(engine, village(), timezone="UTC")
    source_ids = [
        a.source_id for a in posts_every("paul", start=T - days(47), gap=days(3), count=10)
    ]
    item = _open_spam_finding(engine, community, source_ids[3])
    assert "paul" not in [name for name, _reasons in who(engine, community)]
    assert [name for name, _reasons in who(engine, community)] == ["nora", "quentin", "sam", "tara"]
    with engine.begin() as conn:
        do_act_on_item(conn, community, item, "leave", actor="moderator", now=T)
    assert ("paul", ["rhythm_dropped"]) in who(engine, community)
