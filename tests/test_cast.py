"""The shared cast lands in the store as its traits say, through the real ingest path and actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tending.store.members import get_member
from tests.cast import CAST, act, build, member

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_cast_lands_with_its_traits(engine: Engine) -> None:
    records = [member(key, joined=T - timedelta(days=10)) for key in CAST]
    story = build(engine, [*records, act("p1", "ada", "post", T)])
    with engine.connect() as conn:
        landed = {key: get_member(conn, story.community.id, story[key]) for key in CAST}
    traits = {
        key: (m.display_name, m.handle, m.language, m.is_staff, m.is_bot, m.do_not_contact)
        for key, m in landed.items()
        if m is not None
    }
    assert traits == {
        "ada": ("Ada Lovelace", "ada", "fr", False, False, False),
        "bruno": ("Bruno", "bruno", "en", False, False, False),
        "chloe": ("Chloé Dubois", "chloe", None, False, False, False),
        "dan": ("Dan Bot", "danbot", None, False, True, False),
        "eve": ("Eve", "eve", None, False, False, False),
        "fanny": ("Fanny Moreau", "fanny", "fr", False, False, True),
    }


def test_building_again_keeps_the_community_and_the_ids(engine: Engine) -> None:
    first = build(engine, [member("ada", joined=T)])
    again = build(engine, [member("zoe", joined=T), member("fanny", joined=T)])
    assert again.community.id == first.community.id
    assert again["ada"] == first["ada"] and set(again.ids) == {"ada", "zoe", "fanny"}
    with engine.connect() as conn:
        zoe = get_member(conn, again.community.id, again["zoe"])
    assert zoe is not None and (zoe.display_name, zoe.do_not_contact) == ("Zoe", False)
