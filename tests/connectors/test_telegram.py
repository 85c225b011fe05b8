"""The telegram connector against a local Bot API answering as https://core.telegram.org/bots/api
shows (tests/connectors/telegram_api.py): updates synced once, confirmed only once stored, edits, a
revoked token, a webhook in the way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync
from tending.actions.imports import do_import
from tending.connectors.base import Backoff
from tests.connectors.jsonserver import serving
from tests.connectors.telegram_api import ADA, CHAT, TOKEN, BotApi, a_group

FAST = Backoff(attempts=2, base_s=0.001, max_wait_s=0.01)


def test_updates_are_synced_once_and_confirmed_only_after_they_are_stored(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = BotApi()
    a_group(api)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    with serving(api) as url:
        connected = do_connect(
            engine,
            "telegram",
            str(CHAT),
            community_name="Entraide",
            fields={"token": "env:BOT_TOKEN", "api_url": url},
            backoff=FAST,
        )
        assert connected.seen.summary.startswith(
            "the group 'Entraide' (42 members) as @tending_bot"
        )
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok and first.counts.activities_added == 3 and first.counts.members_added == 2
        assert len(api.updates) == 4  # not confirmed yet: the next call's offset confirms them
        api.calls.clear()
        [idle] = do_sync(engine, backoff=FAST)
        assert idle.ok and idle.records == 0 and api.calls == ["getUpdates"] and api.updates == []
        api.add({"from": ADA, "text": "Merci"})
        [later] = do_sync(engine, backoff=FAST)
        assert later.counts.activities_added == 1
        api.token = "revoked"
        [revoked] = do_sync(engine, backoff=FAST)
    assert not revoked.ok and revoked.reason == (
        "Telegram refused the bot token (getUpdates, HTTP 401): it is "
        "wrong or was revoked (BotFather /token)."
    )


def test_an_import_of_a_getupdates_dump_then_a_sync_adds_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = BotApi()
    a_group(api)
    dump = tmp_path / "updates.json"
    dump.write_text(
        json.dumps(
            {"ok": True, "result": [u for u in api.updates if u["message"]["chat"]["id"] == CHAT]}
        )
    )
    imported = do_import(engine, "telegram", dump, community_name="Entraide")
    assert imported.counts.activities_added == 3
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    with serving(api) as url:
        do_connect(
            engine,
            "telegram",
            str(CHAT),
            community_name="Entraide",
            fields={"token": "env:BOT_TOKEN", "api_url": url},
            backoff=FAST,
        )
        [synced] = do_sync(engine, backoff=FAST)
    assert synced.ok and synced.records > 0
    assert synced.counts.activities_added == 0 and synced.counts.members_added == 0


def test_an_edited_message_updates_the_stored_text_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = BotApi()
    a_group(api)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    with serving(api) as url:
        do_connect(
            engine,
            "telegram",
            str(CHAT),
            community_name="Entraide",
            fields={"token": "env:BOT_TOKEN", "api_url": url},
            backoff=FAST,
        )
        do_sync(engine, backoff=FAST)
        api.edit(2, "Bonjour à tous !")
        api.edit(2, "Bonjour à tous !", chat=-100999)  # the same message id in another group
        [edited] = do_sync(engine, backoff=FAST)
        [again] = do_sync(engine, backoff=FAST)
    assert (
        edited.ok and edited.counts.activities_edited == 1 and edited.counts.activities_added == 0
    )
    assert again.counts.activities_edited == 0
    with engine.connect() as conn:
        texts: dict[str, str | None] = dict(
            conn.execute(text("SELECT source_id, text FROM activities")).tuples().all()
        )
    assert texts[f"{CHAT}:2"] == "Bonjour à tous !" and texts[f"{CHAT}:3"] == "Salut Ada"
