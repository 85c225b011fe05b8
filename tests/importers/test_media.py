"""Images an export carries (Telegram photos, DiscordChatExporter media, WhatsApp "(file attached)") are
recorded as paths the moderation scan opens, so a picture reposted again and again is noticed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import Engine, select

from tending.actions.imports import do_import
from tending.actions.moderation import do_scan_community
from tending.importers import get_importer
from tending.models import ActivityRecord
from tending.store.communities import find_community
from tending.store.moderation import get_items, sample_texts
from tending.store.schema import activities

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _flyer(path: Path, size: tuple[int, int] = (640, 480), quality: int | None = None) -> None:
    """A lost-cat flyer: the same picture, saved again at another size and quality by a second member."""
    image = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 60, 360, 340), fill=(200, 40, 40))
    draw.rectangle((380, 200, 600, 440), fill=(30, 90, 200))
    draw.polygon([(50, 450), (300, 380), (250, 470)], fill=(20, 160, 60))
    path.parent.mkdir(parents=True, exist_ok=True)
    if quality is None:
        image.resize(size).save(path, "PNG")
    else:
        image.resize(size).save(path, "JPEG", quality=quality)


def _telegram_export(folder: Path) -> Path:
    _flyer(folder / "photos" / "photo_1@01-05-2024_10-00-00.jpg", quality=90)
    _flyer(folder / "photos" / "photo_2@08-05-2024_10-00-00.jpg", size=(320, 240), quality=50)
    messages = [
        {
            "id": 1,
            "type": "message",
            "date": "2024-05-01T10:00:00",
            "date_unixtime": "1714557600",
            "from": "Ada",
            "from_id": "user1",
            "text": "",
            "photo": "photos/photo_1@01-05-2024_10-00-00.jpg",
            "width": 640,
            "height": 480,
        },
        {
            "id": 2,
            "type": "message",
            "date": "2024-05-08T10:00:00",
            "date_unixtime": "1715162400",
            "from": "Bruno",
            "from_id": "user2",
            "text": "Perdu !",
            "photo": "photos/photo_2@08-05-2024_10-00-00.jpg",
            "width": 320,
            "height": 240,
        },
        {
            "id": 3,
            "type": "message",
            "date": "2024-05-09T10:00:00",
            "date_unixtime": "1715248800",
            "from": "Chloé",
            "from_id": "user3",
            "text": "",
            "photo": "(File not included. Change data exporting settings to download.)",
            "width": 960,
            "height": 1280,
        },
    ]
    (folder / "result.json").write_text(
        json.dumps(
            {
                "name": "Chats diabétiques",
                "type": "private_supergroup",
                "id": 42,
                "messages": messages,
            }
        ),
        encoding="utf-8",
    )
    return folder


def _extra(record: ActivityRecord) -> dict[str, Any]:
    """The record's extra as a parse gives it: a dict (only the rows sent by a child process carry it
    encoded)."""
    assert record.extra is None or isinstance(record.extra, dict)
    return record.extra or {}


def test_telegram_photos_become_absolute_paths_and_placeholders_are_ignored(tmp_path: Path) -> None:
    folder = _telegram_export(tmp_path / "export")
    records = [r for r in get_importer("telegram").parse(folder) if isinstance(r, ActivityRecord)]
    images = {r.source_id: _extra(r).get("images") for r in records}
    assert images == {
        "42:1": [str(folder.absolute() / "photos/photo_1@01-05-2024_10-00-00.jpg")],
        "42:2": [str(folder.absolute() / "photos/photo_2@08-05-2024_10-00-00.jpg")],
        "42:3": None,
    }


def test_an_imported_picture_reposted_is_noticed_by_the_scan(
    engine: Engine, tmp_path: Path
) -> None:
    folder = _telegram_export(tmp_path / "export")
    do_import(engine, "telegram", folder, community_name="Chats")
    with engine.begin() as conn:
        community = find_community(conn, "Chats")
        assert community is not None
        summary = do_scan_community(conn, community, now=NOW, workers=1)
        items = [i for i in get_items(conn, community.id) if i["signal"] == "repost"]
        ids = {
            row.source_id: row.id
            for row in conn.execute(select(activities.c.source_id, activities.c.id))
        }
    assert (summary.images_hashed, summary.images_missing) == (2, 0), summary
    with (
        engine.connect() as conn
    ):  # the off-topic profile learns from words only, never from a bare picture
        assert sample_texts(conn, community.id, limit=10) == ["Perdu !"]
    assert [(i["activity_id"], i["evidence"]["earlier"]["activity_id"]) for i in items] == [
        (ids["42:2"], ids["42:1"])
    ]


def test_discord_media_and_whatsapp_attachments(tmp_path: Path) -> None:
    _flyer(tmp_path / "discord" / "general.json_Files" / "flyer-A1B2C.png")
    (tmp_path / "discord" / "general.json").write_text(
        json.dumps(
            {
                "guild": {"id": "1", "name": "Cats"},
                "channel": {"id": "10", "name": "general"},
                "messages": [
                    {
                        "id": "100",
                        "type": "Default",
                        "timestamp": "2024-05-01T10:00:00+00:00",
                        "content": "look",
                        "author": {"id": "7", "name": "ada", "isBot": False},
                        "attachments": [
                            {
                                "id": "9",
                                "url": "general.json_Files/flyer-A1B2C.png",
                                "fileName": "flyer.png",
                            },
                            {
                                "id": "8",
                                "url": "https://cdn.discordapp.com/x/y.png",
                                "fileName": "y.png",
                            },
                        ],
                        "reactions": [],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    discord = [
        r
        for r in get_importer("discord").parse(tmp_path / "discord")
        if isinstance(r, ActivityRecord)
    ]
    assert isinstance(discord[0].extra, dict)
    assert discord[0].extra["images"] == [
        str(tmp_path / "discord" / "general.json_Files" / "flyer-A1B2C.png")
    ]

    chat = tmp_path / "whatsapp"
    chat.mkdir()
    (chat / "_chat.txt").write_text(
        "01/05/2024, 10:00 - Ada: IMG-20240501-WA0001.jpg (fichier joint)\nChat perdu, quartier gare\n"
        "02/05/2024, 11:00 - Bruno: <Médias omis>\n"
        "03/05/2024, 12:00 - Chloé: PTT-20240503-WA0002.opus (file attached)\n",
        encoding="utf-8",
    )
    whatsapp = [r for r in get_importer("whatsapp").parse(chat) if isinstance(r, ActivityRecord)]
    assert [(r.text, r.extra) for r in whatsapp] == [
        (
            "Chat perdu, quartier gare",
            {"media": True, "images": [str(chat / "IMG-20240501-WA0001.jpg")]},
        ),
        (None, {"media": True}),
        (None, {"media": True}),  # a voice note is media, not an image
    ]
