"""Edge cases on fixtures we wrote: French dates and service lines, time zones across a DST change,
edits, deleted users and posts, bots, small actions, whispers, service messages. Exact records out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tending.importers.base import ParseOptions
from tests.importers.helpers import FIXTURES, parse

PARIS = ZoneInfo("Europe/Paris")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_whatsapp_in_french_with_joins_leaves_and_a_dst_change() -> None:
    parsed = parse("whatsapp", FIXTURES / "whatsapp_fr.txt", ParseOptions(tz=PARIS))
    assert parsed.hints == ["Entraide diabète félin"]
    moves = [
        (a.kind, a.member_external_id, a.occurred_at)
        for a in parsed.activities
        if a.kind in ("joined", "left")
    ]
    assert moves == [
        ("joined", "Bruno", utc(2024, 3, 12, 8, 16)),
        ("joined", "Chloé", utc(2024, 3, 12, 8, 16)),
        ("joined", "Denis", utc(2024, 3, 31, 0, 30)),  # 01:30 CET, before the clocks go forward
        ("left", "Bruno", utc(2024, 4, 2, 8, 0)),
        ("left", "Chloé", utc(2024, 4, 2, 8, 1)),
    ]
    messages = [
        (a.kind, a.member_external_id, a.occurred_at)
        for a in parsed.activities
        if a.kind in ("post", "reply")
    ]
    assert messages == [
        ("post", "Ada", utc(2024, 3, 12, 8, 20)),
        ("post", "Bruno", utc(2024, 3, 13, 17, 2)),
        ("reply", "Chloé", utc(2024, 3, 13, 17, 5)),
        ("post", "Denis", utc(2024, 3, 31, 1, 30)),  # 03:30 CEST, after
    ]
    welcome = parsed.by("Ada")[0]
    assert welcome.text == "Bienvenue à tous !\nVoici les règles du groupe :\n1. Bienveillance"
    assert parsed.by("Chloé")[1].extra == {"media": True}
    assert parsed.skipped == {"service message": 1, "group created": 1, "deleted message": 1}


def test_whatsapp_ios_twelve_hour_month_first() -> None:
    parsed = parse("whatsapp", FIXTURES / "whatsapp_ios_12h.txt")
    first, second = parsed.activities[0], parsed.activities[1]
    assert (first.member_external_id, first.occurred_at) == ("Ada", utc(2024, 3, 1, 21, 5, 12))
    assert second.text == "Hello: welcome"  # only the first ": " separates the author
    assert [
        (a.kind, a.member_external_id) for a in parsed.activities if a.kind in ("joined", "left")
    ] == [("joined", "Chloe"), ("left", "Bruno")]
    oks = [a for a in parsed.activities if a.text == "ok"]
    assert (
        len(oks) == 2 and oks[0].source_id != oks[1].source_id
    )  # identical lines stay two messages
    again = parse("whatsapp", FIXTURES / "whatsapp_ios_12h.txt")
    assert [a.source_id for a in again.activities] == [a.source_id for a in parsed.activities]


def test_slack_threads_reactions_bots_and_joins() -> None:
    parsed = parse("slack", FIXTURES / "slack_export")
    ada, bruno, chloe = parsed.member("UADA"), parsed.member("UBRUNO"), parsed.member("UCHLOE")
    assert ada.is_staff and ada.email == "ada@example.org" and ada.display_name == "Ada"
    assert chloe.display_name == "Chloé" and not bruno.is_bot
    assert parsed.member("USLACKBOT").is_bot and parsed.member("UHELPER").is_bot
    assert parsed.member("bot:BREMIND").is_bot
    rows = [(a.kind, a.member_external_id, a.thread_external_id) for a in parsed.activities]
    assert rows == [
        ("joined", "UADA", None),
        ("joined", "UBRUNO", None),
        ("post", "UADA", "CGEN:1709287200.000300"),
        ("reaction", "UBRUNO", "CGEN:1709287200.000300"),
        ("reaction", "UCHLOE", "CGEN:1709287200.000300"),
        ("reply", "UBRUNO", "CGEN:1709287200.000300"),
        ("post", "bot:BREMIND", "CGEN:1709290800.000500"),
        ("reply", "UCHLOE", "CGEN:1709287200.000300"),
        ("joined", "UCHLOE", None),
        ("post", "UCHLOE", "CGEN:1709377200.001000"),  # a day of silence: a new conversation
        ("reply", "UADA", "CGEN:1709377200.001000"),
    ]
    assert parsed.activity("CGEN:1709287260.000400").extra == {"edited": True}
    assert parsed.activity("CGEN:1709287260.000400").parent_source_id == "CGEN:1709287200.000300"
    assert parsed.skipped == {
        "service message (channel_topic)": 1,
        "edit or deletion record": 1,
        "joined or left a channel other than #general": 2,
    }


def test_discourse_small_actions_whispers_deleted_posts_and_join_dates() -> None:
    parsed = parse("discourse", FIXTURES / "discourse")
    assert [
        (a.kind, a.source_id, a.parent_source_id) for a in parsed.activities if a.kind != "joined"
    ] == [
        ("post", "post:101", None),
        ("reply", "post:102", "post:101"),
        ("reply", "post:107", "post:102"),
    ]
    assert parsed.skipped == {
        "small action (closed, pinned, moved...)": 1,
        "whisper (staff only)": 1,
        "deleted post": 1,
        "post withdrawn by its author": 1,
        "moderator action": 1,
    }
    assert parsed.activity("post:102").occurred_at == utc(2024, 3, 1, 10, 30)  # +02:00 to UTC
    assert parsed.activity("post:101").text == "My cat needs & insulin"
    assert parsed.activity("post:101").extra == {"likes": 3, "reads": 40}
    joins = {a.member_external_id: a.occurred_at for a in parsed.activities if a.kind == "joined"}
    assert joins == {
        "-1": utc(2020, 1, 1),
        "11": utc(2023, 12, 24, 18),
        "12": utc(2022, 6, 1, 8),
        "14": utc(2024, 3, 2, 4),
    }
    system = [m for m in parsed.members if m.external_id == "-1"]
    assert system and all(m.is_bot for m in system)
    assert any(m.is_staff for m in parsed.members if m.external_id == "12")
    assert parsed.threads[0].channel_external_id == "7"


def test_telegram_service_messages_replies_reactions_and_deleted_accounts() -> None:
    parsed = parse("telegram", FIXTURES / "telegram_result.json", ParseOptions(tz=PARIS))
    assert parsed.hints == ["Entraide diabète félin"]
    rows = [(a.kind, a.member_external_id) for a in parsed.activities]
    assert rows == [
        ("joined", "user12"),
        ("post", "user11"),
        ("reaction", "user12"),
        ("reply", "user12"),
        ("joined", "user13"),
        ("post", "user14"),
        ("reply", "channel99"),
        ("left", "user12"),
    ]
    hello = parsed.activity("1234567890:3")
    assert hello.text == "Bonjour à tous !" and hello.extra == {"reactions": {"❤": 2}}
    assert parsed.activity("1234567890:4").parent_source_id == "1234567890:3"
    assert parsed.activity("1234567890:4").extra == {"edited": True}
    # no date_unixtime: local time of the exporting computer, read in the zone given (Paris, UTC+1)
    assert parsed.activity("1234567890:6").occurred_at == utc(2024, 3, 2, 7, 1)
    # the reaction's date is local time too
    assert parsed.activity("1234567890:3:❤:user12").occurred_at == utc(2024, 3, 1, 9, 11)
    assert parsed.member("channel99").is_bot
    assert parsed.skipped == {
        "service message (create_group)": 1,
        "service message (pin_message)": 1,
        "member named in a service message whose id is unknown or ambiguous": 1,
    }


def test_discord_joins_replies_reactions_with_users_and_bots() -> None:
    parsed = parse("discord", FIXTURES / "discord_guild.json")
    assert parsed.hints == ["Cat Carers"] and parsed.channels[0].name == "support"
    rows = [(a.kind, a.member_external_id, a.occurred_at) for a in parsed.activities]
    assert rows == [
        ("joined", "11", utc(2024, 3, 1, 8)),
        ("post", "11", utc(2024, 3, 1, 8, 5)),
        ("reaction", "12", utc(2024, 3, 1, 8, 5)),
        ("reaction", "13", utc(2024, 3, 1, 8, 5)),
        ("reply", "12", utc(2024, 3, 1, 8, 10)),
        ("post", "13", utc(2024, 3, 2, 8)),
    ]
    assert parsed.activity("2").extra == {"edited": True}
    assert (
        parsed.activity("3").extra == {"reactions": {"❤": 4}}
        and parsed.activity("3").parent_source_id == "2"
    )
    assert parsed.member("13").is_bot and not parsed.member("11").is_bot
    assert parsed.skipped == {"service message (ChannelPinnedMessage)": 1}
