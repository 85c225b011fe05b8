"""Every real sample in ../shared/data/activity, parsed, with counts checked by hand against the files
(grep, jq-like one-off scripts: see the comments). Skipped with the reason when ../shared is absent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tending.importers.base import ParseOptions
from tests.conftest import shared_data
from tests.importers.helpers import parse


def test_stackexchange_2018_dump() -> None:
    parsed = parse("stackexchange", shared_data("activity/stackexchange-meta-2018"))
    # grep -c '<row ' Users.xml = 2295; PostTypeId="1" 556, "2" 1095, "4" 3, "5" 3; Comments.xml 3454 rows
    assert parsed.kinds() == {"joined": 2295, "post": 556, "reply": 1095, "comment": 3454}
    assert len(parsed.threads) == 556
    assert sum(parsed.skipped.values()) == 6
    assert len(parsed.members) == 2295
    community = parsed.member("-1")
    assert community.is_bot and community.display_name == "Community"
    assert community.joined_at == datetime(2011, 10, 11, 18, 16, 0, 230000, tzinfo=UTC)
    # 19 distinct deleted authors (OwnerDisplayName / UserDisplayName without an id)
    deleted = {
        a.member_external_id
        for a in parsed.activities
        if a.member_external_id.startswith("deleted:")
    }
    assert len(deleted) == 19
    answer = parsed.activity("post:2")
    assert (
        answer.kind == "reply"
        and answer.thread_external_id == "1"
        and answer.parent_source_id == "post:1"
    )
    assert answer.text is not None and "<p>" not in answer.text
    comment_on_answer = parsed.activity("comment:1")  # on post 3, a question
    assert comment_on_answer.thread_external_id == "3"
    assert not parsed.bad


def test_stackexchange_2023_dump_with_posts_as_csv() -> None:
    parsed = parse("stackexchange", shared_data("activity/stackexchange-meta-2023"))
    # Users.xml 3839 rows; Posts.csv: 786 questions, 1459 answers, 16+16 tag wikis; Comments.xml 5176 rows
    assert parsed.kinds() == {"joined": 3839, "post": 786, "reply": 1459, "comment": 5176}
    assert sum(parsed.skipped.values()) == 32


def test_slack_workspace_export() -> None:
    parsed = parse(
        "slack", shared_data("activity/slack-houstondatavis/houstondatavis_slack_export.zip")
    )
    kinds = parsed.kinds()
    # 964 plain messages + 61 file shares + 6 file comments are contributions
    assert kinds["post"] + kinds["reply"] + kinds["comment"] == 1031
    assert kinds["comment"] == 6
    # each of the 71 users joined #general; 252 other channel joins/leaves are skipped
    assert kinds["joined"] == 71 and kinds["left"] == 0
    # 199 (reaction, user) pairs, one of them on a skipped channel_join message
    assert kinds["reaction"] == 198
    assert len(parsed.members) == 71 and len(parsed.channels) == 16
    assert parsed.skipped == {
        "joined or left a channel other than #general": 252,
        "service message (bot_add)": 1,
        "service message (channel_archive)": 9,
        "service message (channel_name)": 2,
        "service message (channel_purpose)": 13,
        "service message (channel_topic)": 2,
        "service message (pinned_item)": 1,
    }
    # users.json: 5 admins or owners, an e-mail address for each of the 71 (kept, never printed), no bot
    assert sum(m.is_staff for m in parsed.members) == 5
    assert sum(1 for m in parsed.members if m.email) == 71
    assert not any(m.is_bot for m in parsed.members)
    assert all(a.occurred_at.tzinfo is UTC for a in parsed.activities)


def test_discourse_perceval_fixtures(tmp_path: Path) -> None:
    folder = shared_data("activity/fixtures-perceval")
    parsed = parse("discourse", folder / "tests_data_discourse_discourse_topic_1148.json")
    # the topic's JSON holds its first 20 posts (stream lists 22), all regular, by 10 distinct users
    # (2544, 3428, 3437, 3462, 3543, 3569, 3580, 3609, 3610, 3674)
    assert parsed.kinds() == {"post": 1, "reply": 19}
    assert len({a.member_external_id for a in parsed.activities}) == 10
    first = parsed.activity("post:18952")
    assert first.occurred_at == datetime(2016, 1, 26, 20, 7, 49, 559000, tzinfo=UTC)
    assert first.extra == {"likes": 6, "reads": 109}
    assert parsed.threads[0].title == "[Support] uBlock Origin"
    topics_list = parse("discourse", folder / "tests_data_discourse_discourse_topics.json")
    assert not topics_list.activities
    assert topics_list.skipped == {"file that is not a topic, a post or a users listing": 1}


def test_discord_exports() -> None:
    folder = shared_data("activity/fixtures-chat-analytics")
    server = parse("discord", folder / "tests_samples_discord_SV_5A_5M.json")
    assert server.hints == ["DefleMask"]
    assert len(server.activities) == 5  # one message id appears twice: the store keeps it once
    assert len({a.source_id for a in server.activities}) == 4
    assert {m.display_name for m in server.members} == {"Deleted User", "mlomb"}
    reacted = server.activity("447793085255123006")
    assert reacted.extra == {"reactions": {"paul": 3, "❤": 2}}
    group = parse("discord", folder / "tests_samples_discord_GC_3A_5M.json")
    assert len(group.activities) == 3
    assert group.skipped == {
        "service message (ChannelNameChange)": 1,
        "service message (ChannelIconChange)": 1,
        "service message (Call)": 1,
    }
    assert group.activity("530805779645595660").parent_source_id == "1064990824305274930"
    direct = parse("discord", folder / "tests_samples_discord_DM_2A_2M.json")
    assert direct.member("444444444444444444").is_bot


def test_telegram_desktop_exports() -> None:
    folder = shared_data("activity/fixtures-chat-analytics")
    small = parse("telegram", folder / "tests_samples_telegram_DM_2A_7M.json")
    assert len(small.activities) == 6 and small.hints == ["Bob"]
    assert small.skipped == {
        "service message (joined_telegram)": 1,
        "service message (phone_call)": 1,
    }
    assert small.activity("700000000:3644").text == "https://google.com 👀"
    # a message with only "date" is read in the zone given (here UTC): 2022-03-08T13:07:42
    assert small.activity("700000000:3645").occurred_at == datetime(
        2022, 3, 8, 13, 7, 42, tzinfo=UTC
    )
    big = parse("telegram", folder / "tests_samples_telegram_BIG_20A_5475M.json")
    assert len(big.activities) == 5475 and len(big.members) == 20


def test_telegram_bot_api_updates(tmp_path: Path) -> None:
    folder = shared_data("activity/fixtures-perceval")
    parsed = parse("telegram", folder / "tests_data_telegram_telegram_messages_next.json")
    assert len(parsed.activities) == 1
    assert parsed.skipped == {"private chat with the bot": 1, "edit record": 1}
    first = parse("telegram", folder / "tests_data_telegram_telegram_messages.json")
    assert [a.member_external_id for a in first.activities] == ["user8", "user8", "user2"]
    assert len(first.channels) == 2


def test_mailing_list_archives() -> None:
    folder = shared_data("activity/fixtures-perceval")
    november = parse("mbox", folder / "tests_data_pipermail_pipermail_2015_november.mbox")
    # grep '^From ' : 4 messages, 3 of them with In-Reply-To
    assert november.kinds() == {"post": 1, "reply": 3}
    assert {m.external_id for m in november.members} == {"andy@example.com", "jgb@gsyc.es"}
    march = parse("mbox", folder / "tests_data_pipermail_pipermail_2016_march.mbox")
    poster = march.members[0]
    assert poster.display_name == "Germán Poo-Caamaño"  # RFC 2047 ISO-8859-1 header decoded
    assert march.activities[0].occurred_at == datetime(
        2016, 3, 3, 17, 20, 35, tzinfo=UTC
    )  # -0800 to UTC
    odd = parse("mbox", folder / "tests_data_mbox_mbox_no_fields.mbox")
    assert len(odd.activities) == 6 and len({a.source_id for a in odd.activities}) == 3
    # "Date: RANDOM_Wed, ..." falls back on the "From " line
    assert odd.activity("0000be042b7b@domain.com").occurred_at == datetime(
        2016, 9, 21, 19, 42, 7, tzinfo=UTC
    )
    for name in (
        "iso8859_encoding",
        "unknown_encoding",
        "unixfrom_encoding",
        "multipart",
        "complex",
    ):
        parsed = parse("mbox", folder / f"tests_data_mbox_mbox_{name}.mbox")
        assert parsed.activities and not parsed.bad, name


def test_whatsapp_exports() -> None:
    folder = shared_data("activity/fixtures-chat-analytics")
    pair = parse("whatsapp", folder / "tests_samples_whatsapp_2A_5M.txt")
    assert len(pair.activities) == 5 and {m.external_id for m in pair.members} == {"A", "B"}
    assert pair.activities[3].extra == {"media": True}
    group = parse("whatsapp", folder / "tests_samples_whatsapp_4A_11M.txt")
    zipped = parse("whatsapp", folder / "tests_samples_whatsapp_4A_11M.zip")
    assert len(group.activities) == 11 and group.hints == ["Some cool group chat"]
    assert [a.source_id for a in zipped.activities] == [a.source_id for a in group.activities]


def test_french_forum_through_tendings_own_format(tmp_path: Path) -> None:
    """The Twinoid forum archive (French dates "Le 29 octobre 2012") converted line by line to
    tending's JSON Lines, as docs/import-format.md shows."""
    archive = json.loads(
        shared_data("activity/twinoid-mush-fr/data_fr_mush_ambassade.json").read_text()
    )
    lines = []
    for thread in archive["threads"]:
        for comment in thread["comments"]:
            lines.append(
                json.dumps(
                    {
                        "platform": "twinoid",
                        "member_id": str(comment["authorID"]),
                        "member_name": f"joueur {comment['authorID']}",
                        "kind": "post" if comment["id"] == 0 else "reply",
                        "occurred_at": comment["displayedDate"],
                        "thread_id": str(thread["id"]),
                        "thread_title": thread["title"],
                        "source_id": f"{thread['id']}:{comment['id']}",
                        "text": comment["content"],
                        "language": "fr",
                    },
                    ensure_ascii=False,
                )
            )
    path = tmp_path / "mush.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    parsed = parse("jsonl", path)
    assert parsed.kinds() == {"post": 48, "reply": 1279}
    assert len({a.member_external_id for a in parsed.activities}) == 75
    # the written French dates parse to the days the archive itself deduced
    deduced = [c["deducedDate"] for t in archive["threads"] for c in t["comments"]]
    assert [a.occurred_at.date().isoformat() for a in parsed.activities] == deduced
    paris = parse("jsonl", path, ParseOptions(tz=ZoneInfo("Europe/Paris")))
    assert paris.activities[0].occurred_at == datetime(
        2012, 10, 28, 23, 0, tzinfo=UTC
    )  # midnight in Paris
