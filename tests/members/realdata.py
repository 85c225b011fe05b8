"""Tiny readers of two real exports in ../shared/data, written for these cross-checks only (the importers
are the real readers). They keep what the definitions need: who, when, which kind."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tending.models import ActivityRecord, MemberRecord, ThreadRecord


def se_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def read_stackexchange(folder: Path) -> list[Any]:
    """Users (join = CreationDate; Id -1 is the Community bot), questions (threads and posts), answers
    (replies) and comments; rows without an owner (deleted users) are left out."""
    records: list[Any] = []
    for row in ET.parse(folder / "Users.xml").getroot():
        records.append(
            MemberRecord(
                source="se",
                external_id=row.get("Id", ""),
                display_name=row.get("DisplayName"),
                joined_at=se_time(row.get("CreationDate", "")),
                is_bot=row.get("Id") == "-1",
            )
        )
    thread_of: dict[str, str] = {}
    for row in ET.parse(folder / "Posts.xml").getroot():
        post_id, kind = row.get("Id", ""), row.get("PostTypeId")
        if kind == "1":
            thread_of[post_id] = post_id
            records.append(ThreadRecord(source="se", external_id=post_id, title=row.get("Title")))
        elif kind == "2":
            thread_of[post_id] = row.get("ParentId", "")
        else:
            continue
        if row.get("OwnerUserId"):
            records.append(
                ActivityRecord(
                    source="se",
                    source_id=f"p{post_id}",
                    member_external_id=row.get("OwnerUserId", ""),
                    kind="post" if kind == "1" else "reply",
                    occurred_at=se_time(row.get("CreationDate", "")),
                    thread_external_id=thread_of[post_id],
                )
            )
    for row in ET.parse(folder / "Comments.xml").getroot():
        if row.get("UserId"):
            records.append(
                ActivityRecord(
                    source="se",
                    source_id=f"c{row.get('Id')}",
                    member_external_id=row.get("UserId", ""),
                    kind="comment",
                    occurred_at=se_time(row.get("CreationDate", "")),
                    thread_external_id=thread_of.get(row.get("PostId", "")),
                )
            )
    return records


def slack_time(ts: str) -> datetime:
    seconds, _, fraction = ts.partition(".")
    return datetime.fromtimestamp(int(seconds), UTC).replace(
        microsecond=int((fraction + "000000")[:6])
    )


def read_slack(path: Path) -> list[Any]:
    """users.json (bots marked), then per channel per day: messages are posts, file comments are comments,
    channel joins are joins, each reacting user a reaction at the message's time; other subtypes are skipped."""
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    users = json.loads(archive.read(next(n for n in names if n.endswith("users.json"))))
    # a name is always given (Slack's real_name is optional): the listings show one
    records: list[Any] = [
        MemberRecord(
            source="slack",
            external_id=u["id"],
            display_name=u.get("real_name") or u.get("name") or u["id"],
            handle=u.get("name") or u["id"],
            is_bot=bool(u.get("is_bot")),
        )
        for u in users
    ]
    for name in sorted(names):
        channel, _, day = name.rpartition("/")
        if not channel or not day.endswith(".json") or "/" in channel:
            continue
        for m in json.loads(archive.read(name)):
            records.extend(slack_records(channel, m))
    return records


def slack_records(channel: str, m: dict[str, Any]) -> list[ActivityRecord]:
    kinds = {
        None: "post",
        "file_share": "post",
        "file_comment": "comment",
        "channel_join": "joined",
    }
    subtype = m.get("subtype")
    if subtype not in kinds or not m.get("user"):
        return []
    at = slack_time(m["ts"])
    found = [
        ActivityRecord(
            source="slack",
            source_id=f"{channel}/{m['ts']}",
            member_external_id=m["user"],
            kind=kinds[subtype],
            occurred_at=at,
            channel_external_id=channel,
        )
    ]
    for reaction in m.get("reactions", []):
        for user in reaction.get("users", []):
            found.append(
                ActivityRecord(
                    source="slack",
                    source_id=f"{channel}/{m['ts']}/{reaction['name']}/{user}",
                    member_external_id=user,
                    kind="reaction",
                    occurred_at=at,
                    channel_external_id=channel,
                )
            )
    return found
