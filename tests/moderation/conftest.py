"""A small French-and-English community with the situations moderators meet, built through the Ingestor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import Engine, select

from tending.models import ActivityRecord, ChannelRecord, Community
from tending.store.schema import activities
from tests.cast import build_on, member

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SOURCE = "forum"
ORIGINAL = (
    "Bonjour à tous, je cherche un vétérinaire spécialisé pour mon chat diabétique dans la région "
    "de Lyon, vous avez des adresses à conseiller ? Merci d'avance pour vos retours."
)
COPY = (
    "bonjour a tous, je cherche un veterinaire specialise pour mon chat diabetique dans la region "
    "de Lyon, vous avez des adresses a conseiller ?? merci d'avance pour vos retours"
)
PROMO = (
    "Hi everyone! I'm new here. Check out my YouTube channel and subscribe, I post new videos every week: "
    "https://www.youtube.com/c/brunocats"
)
INSULT = "Ferme ta gueule espèce de gros connard, t'es vraiment trop débile"
CALM = [
    "Mon chat a fait une hypoglycémie hier soir, on a donné du sirop et il va mieux ce matin.",
    "Est-ce que quelqu'un utilise un lecteur de glycémie pour chien sur son chat ?",
    "Merci pour les conseils sur l'alimentation, les croquettes pauvres en glucides changent tout.",
    "My cat was diagnosed last week, we started insulin twice a day and the vet is happy so far.",
]


@dataclass
class Story:
    community: Community
    ids: dict[str, int]  # source_id -> activity id
    media: Path


def picture(path: Path, size: tuple[int, int] = (640, 480), fmt: str = "PNG") -> None:
    image = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 60, 360, 340), fill=(200, 40, 40))
    draw.rectangle((380, 200, 600, 440), fill=(30, 90, 200))
    image.resize(size).save(path, fmt)


def build_story(engine: Engine, tmp_path: Path) -> Story:
    media = tmp_path / "media"
    media.mkdir()
    picture(media / "ada-cat.png")
    picture(media / "eve-cat.jpg", size=(320, 240), fmt="JPEG")
    members = [  # from tests/cast.py; all write French here but bruno, the newcomer selling his channel
        member("ada", source=SOURCE, joined=T0 - timedelta(days=400)),
        member("bruno", source=SOURCE, joined=T0 + timedelta(days=3)),
        member("chloe", source=SOURCE, language="fr", joined=T0 - timedelta(days=300)),
        member("dora", source=SOURCE, language="fr", joined=T0 - timedelta(days=200)),
        member("eve", source=SOURCE, language="fr", joined=T0 - timedelta(days=100)),
    ]
    channels = [
        ChannelRecord(SOURCE, "intro", "Présentations"),
        ChannelRecord(SOURCE, "general", "Général"),
    ]
    acts = [
        ActivityRecord(
            SOURCE,
            "a1",
            "ada",
            "post",
            T0,
            thread_external_id="t1",
            channel_external_id="general",
            text=ORIGINAL,
            extra={"attachments": [{"path": "ada-cat.png"}]},
        ),
        ActivityRecord(
            SOURCE,
            "c1",
            "chloe",
            "reply",
            T0 + timedelta(hours=1),
            thread_external_id="t1",
            channel_external_id="general",
            text=CALM[0],
        ),
        ActivityRecord(
            SOURCE,
            "b1",
            "bruno",
            "post",
            T0 + timedelta(days=3, hours=1),
            thread_external_id="t2",
            channel_external_id="intro",
            text=PROMO,
        ),
        ActivityRecord(
            SOURCE,
            "d1",
            "dora",
            "post",
            T0 + timedelta(days=4),
            thread_external_id="t3",
            channel_external_id="general",
            text=COPY,
        ),
        ActivityRecord(
            SOURCE,
            "e1",
            "eve",
            "reply",
            T0 + timedelta(days=4, hours=2),
            thread_external_id="t1",
            channel_external_id="general",
            text=INSULT,
        ),
        ActivityRecord(
            SOURCE,
            "e2",
            "eve",
            "post",
            T0 + timedelta(days=5),
            thread_external_id="t4",
            channel_external_id="general",
            text="Regardez la photo de mon chat",
            extra={"attachments": [{"path": "eve-cat.jpg"}]},
        ),
    ]
    acts += [
        ActivityRecord(
            SOURCE,
            f"calm{i}",
            "chloe",
            "reply",
            T0 + timedelta(days=1, hours=i),
            thread_external_id="t1",
            channel_external_id="general",
            text=text,
        )
        for i, text in enumerate(CALM[1:])
    ]
    with engine.begin() as conn:
        community = build_on(
            conn,
            [*members, *channels, *acts],
            name="Chats diabétiques",
            platform="discourse",
            language="fr",
        ).community
        ids = {
            sid: aid for sid, aid in conn.execute(select(activities.c.source_id, activities.c.id))
        }
    return Story(community, ids, media)


@pytest.fixture
def story(engine: Engine, tmp_path: Path) -> Story:
    return build_story(engine, tmp_path)
