"""Setting up a community on the web (issue: a volunteer admin's first week): the first-run page creates it
with its language, time zone and "start here" link; its texts are shown with a preview in both languages,
edited, checked and reset; starting the onboarding is refused while a placeholder would reach members."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.store import open_store
from tending.store.communities import find_community
from tending.store.outbox import get_enabled_playbook
from tending.store.schema import communities
from tests.web.conftest import csrf_of

START = "https://www.facebook.com/groups/chatsdiabetiques/announcements"


def test_the_first_run_creates_the_community_then_its_texts_are_edited_and_onboarding_starts(
    client_as: Callable[[str], TestClient], seeded: tuple[str, int]
) -> None:
    admin = client_as("admin")
    page = admin.get("/setup")
    assert page.status_code == 200 and "Set up a community" in page.text
    token = csrf_of(page.text)
    form = {
        "csrf_token": token,
        "name": "Chats diabétiques",
        "platform": "facebook",
        "language": "fr",
        "timezone": "Europe/Pariss",
        "start_url": "",
    }
    wrong = admin.post("/setup", data=form)
    assert wrong.status_code == 400
    assert (
        "time zone: &#39;Europe/Pariss&#39; is not an IANA time zone (e.g. Europe/Paris)."
        in wrong.text
    )
    assert 'value="Chats diabétiques"' in wrong.text  # what she typed is kept
    created = admin.post(
        "/setup", data={**form, "timezone": "Europe/Paris"}, follow_redirects=False
    )
    assert created.status_code == 303
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        community = find_community(conn, "Chats diabétiques")
    assert community is not None
    assert (community.platform, community.language, community.timezone) == (
        "facebook",
        "fr",
        "Europe/Paris",
    )
    assert created.headers["location"] == f"/c/{community.id}/setup?msg=created"

    setup = admin.get(f"/c/{community.id}/setup")
    assert "Onboarding cannot start yet" in setup.text and "https://example.org/start" in setup.text
    assert "Bienvenue sur Chats diabétiques, Camille\u202f!" in setup.text  # the French preview
    assert "Welcome to Chats diabétiques, Camille!" in setup.text  # and the English one
    refused = admin.post(f"/c/{community.id}/setup/enable", data={"csrf_token": token})
    assert refused.status_code == 400 and "still holds a placeholder" in refused.text
    with engine.connect() as conn:
        assert get_enabled_playbook(conn, community.id) is None

    saved = admin.post(
        f"/c/{community.id}/setup",
        data={
            "csrf_token": token,
            "name": "Chats diabétiques",
            "language": "fr",
            "timezone": "Europe/Paris",
            "start_url": START,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    text_url = f"/c/{community.id}/setup/texts/fr/welcome"
    broken = admin.post(
        text_url, data={"csrf_token": token, "text": "Bonjour {{ member.name }", "action": "save"}
    )
    assert broken.status_code == 400 and "fr/welcome" in broken.text
    preview = admin.post(
        text_url,
        data={
            "csrf_token": token,
            "text": "Subject: Bienvenue !\nBonjour {{ member.name }}, lisez {{ links[0].url }}",
            "action": "preview",
        },
    )
    assert f"Bonjour Camille, lisez {START}" in preview.text
    with engine.connect() as conn:
        stored = conn.execute(
            select(communities.c.settings).where(communities.c.id == community.id)
        )
        assert "onboarding_texts" not in stored.scalar_one()  # a preview saves nothing
    done = admin.post(
        text_url,
        data={
            "csrf_token": token,
            "text": "Bonjour {{ member.name }} !\r\n{{ links[0].url }}",
            "action": "save",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    with engine.connect() as conn:
        community = find_community(conn, "Chats diabétiques")
    assert community is not None
    welcome = "Bonjour {{ member.name }} !\n{{ links[0].url }}\n"  # line endings normalised
    assert community.settings["onboarding_texts"] == {"fr": {"welcome": welcome}}
    assert "your text" in admin.get(f"/c/{community.id}/setup").text

    started = admin.post(
        f"/c/{community.id}/setup/enable", data={"csrf_token": token}, follow_redirects=False
    )
    assert started.status_code == 303
    with engine.connect() as conn:
        assert get_enabled_playbook(conn, community.id) is not None

    reset = admin.post(
        text_url, data={"csrf_token": token, "action": "reset"}, follow_redirects=False
    )
    assert reset.status_code == 303
    with engine.connect() as conn:
        community = find_community(conn, "Chats diabétiques")
    assert community is not None and community.settings["onboarding_texts"] == {}
    engine.dispose()


def test_only_admins_change_the_set_up(client_as: Callable[[str], TestClient], cid: int) -> None:
    moderator = client_as("moderator")
    page = moderator.get(f"/c/{cid}/setup")
    assert page.status_code == 200 and "Save the text" not in page.text
    assert moderator.get("/setup").status_code == 403
    token = csrf_of(page.text)
    assert moderator.post(f"/c/{cid}/setup/enable", data={"csrf_token": token}).status_code == 403


def test_a_french_admin_reads_the_refusals_in_french(
    client_as: Callable[[str], TestClient], cid: int
) -> None:
    """The French interface showed the back end's sentences in English: a refusal on a French page is
    French, and no English sentence of the back end's catalogue is left on it."""
    from babel.messages.pofile import read_po

    from tending.texts import LOCALE_DIR

    admin = client_as("admin")
    token = csrf_of(admin.get("/settings").text)
    admin.post("/account/language", data={"language": "fr", "csrf_token": token})
    refused = admin.post(f"/c/{cid}/setup/enable", data={"csrf_token": token})
    assert refused.status_code == 400
    assert "contient encore un exemple (links: https://example.org/start)" in refused.text
    zone = admin.post(
        "/setup",
        data={"csrf_token": token, "name": "Koalas", "timezone": "Europe/Pariss", "language": "fr"},
    )
    assert "fuseau horaire\u00a0: «\u00a0Europe/Pariss\u00a0» n’est pas un fuseau IANA" in zone.text
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "tending.po").open("rb") as handle:
        english = [
            m.id.split("%(")[0].strip() for m in read_po(handle) if isinstance(m.id, str) and m.id
        ]
    for page in (refused.text, zone.text):
        left = [text for text in english if len(text) > 12 and text in page]
        assert not left, f"untranslated on a French page: {left}"
