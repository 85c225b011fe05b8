"""Marie's first week, in French, in a real headless Chromium (issue: a volunteer admin's first week).

Marie looks after a French Facebook support group for people whose cat has diabetes. On a fresh database she
logs in, and the first-run page asks about her community; she imports the group's members and posts as her
spreadsheet saves them (semicolons, day-first dates, "Hier à 18:30"), imports the same file again without
--community the next month (it goes into the same community, nobody doubled), reads the 60-day list (who went
quiet, apart from who never posted), finds the onboarding refused while the welcome's link is the built-in
placeholder, gives her group's own link and her own welcome text, starts the onboarding, and on Sunday evening
finds the week's welcome post ready to copy to Facebook: she copies it, posts it in the group herself and
records it as posted by hand, so it counts as sent.

The screenshots of docs/first-week.md are taken here: in test-artifacts/web/first-week/ always, and into
docs/images/first-week/ when TENDING_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tending.actions.web_users import do_add_user
from tending.store import open_store
from tending.web import create_app
from tests.conftest import CliResult
from tests.web.test_browser import ARTIFACTS, _free_port, browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOW = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)  # Sunday 6 December 2026, 17:00 in Paris
MARIE, PASSWORD = "marie@chats-diabetiques.fr", "ronron-insuline-2026"
GROUP = "Chats diabétiques"
START = "https://www.facebook.com/groups/chatsdiabetiques/announcements"
SHOTS = ARTIFACTS / "first-week"
DOC_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "images" / "first-week"

# what her spreadsheet saves: semicolons, day-first dates, and the forms Facebook shows
EXPORT = """platform;member_id;member_name;kind;occurred_at;source_id;text;is_staff
facebook;100001;Marie L.;joined;3 mars 2021;;;oui
facebook;100002;Bruno M.;joined;05/03/2024 10:00;;;
facebook;100002;Bruno M.;post;12/08/2026 18:30;p1;Mon chat boit beaucoup, est-ce normal ?;
facebook;100001;Marie L.;comment;12/08/2026 19:10;c1;Oui, parlez-en au vétérinaire.;oui
facebook;100003;Chloé D.;joined;15/01/2025;;;
facebook;100004;Sylvie R.;joined;02/02/2025;;;
facebook;100004;Sylvie R.;post;Hier à 9:05;p2;Glycémie stable cette semaine !;
facebook;100001;Marie L.;comment;Hier à 10:00;c2;Bravo Sylvie !;oui
facebook;100005;Camille T.;joined;Hier à 18:30;;;
facebook;100006;Youssef K.;joined;il y a 3 jours;;;
"""


@pytest.fixture
def marie_server(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, str]]:
    import uvicorn

    path = tmp_path / "tending.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = open_store(url)
    with engine.begin() as conn:
        do_add_user(
            conn, MARIE, password=PASSWORD, role="admin", language="fr", actor="test", now=NOW
        )
    engine.dispose()
    app = create_app(url, secret_key="first week")
    app.state.web.clock = lambda: NOW
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the dashboard did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", url
    server.should_exit = True
    thread.join(timeout=10)
    app.state.web.engine.dispose()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    if os.environ.get("TENDING_UPDATE_SCREENSHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, DOC_SHOTS / target.name)


def test_maries_first_week(
    marie_server: tuple[str, str],
    browser: Any,  # noqa: F811
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, db = marie_server
    monkeypatch.setenv("TENDING_CONFIG", "/dev/null")
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris"
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()

    # Monday: she logs in; with no community yet, the first-run page asks about hers
    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_label("Adresse e-mail").fill(MARIE)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/setup")
    page.get_by_label("Nom de la communauté").fill(GROUP)
    page.get_by_label("Où elle se trouve").select_option("facebook")
    assert page.get_by_label("Langue de ses messages").input_value() == "fr"
    assert page.get_by_label("Fuseau horaire").input_value() == "Europe/Paris"
    shot(page, "1-premier-lancement")
    page.get_by_role("button", name="Créer la communauté").click()
    page.wait_for_url(f"{base}/c/*/setup?msg=created")
    community_id = page.url.split("/c/", 1)[1].split("/", 1)[0]

    # her spreadsheet, imported; the same file again next month, without --community
    export = tmp_path / "groupe.csv"
    export.write_text(EXPORT, encoding="utf-8")
    at = ("--exported-at", "2026-12-06T09:00")
    first = run_cli("--db", db, "import", "csv", str(export), "--community", GROUP, *at)
    assert first.exit_code == 0, first.stderr
    assert f"into community '{GROUP}'" in first.stdout
    again = run_cli("--db", db, "import", "csv", str(export), *at)
    assert again.exit_code == 0, again.stderr
    assert f"into community '{GROUP}'" in again.stdout  # where it went, said
    listed = run_cli("--db", db, "communities", "list", "--format", "json")
    assert [c["name"] for c in __import__("json").loads(listed.stdout)] == [GROUP]
    everyone = run_cli("--db", db, "members", "--format", "json", "--as-of", NOW.isoformat())
    assert len(__import__("json").loads(everyone.stdout)) == 6  # nobody doubled

    # the 60-day list: Bruno went quiet, Chloé never posted
    page.goto(f"{base}/c/{community_id}/members?inactive=60")
    names = page.locator("table.members tbody th a").all_inner_texts()
    assert names == ["Bruno M.", "Chloé D."]
    split = page.locator("p.inactive-split").inner_text()
    assert "1 est devenu·e silencieux·se" in split and "1 n’a jamais contribué" in split
    shot(page, "2-membres-silencieux")

    # the onboarding refuses the built-in placeholder link; she gives hers and her own welcome
    page.goto(f"{base}/c/{community_id}/setup")
    assert "https://example.org/start" in page.locator("#placeholder-warning").inner_text()
    page.get_by_role("button", name="Lancer l’accueil").click()
    assert "contient encore un exemple" in page.get_by_role("alert").inner_text()  # in French
    page.get_by_label("Lien vers la publication « Commencer ici »").fill(START)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url("**/setup?msg=saved")
    assert page.locator("#placeholder-warning").count() == 0
    welcome = page.locator("#text-weekly_welcome")
    welcome.locator("summary").click()
    french = welcome.locator("textarea").first
    french.fill(
        "Subject: Bienvenue aux nouveaux\n"
        "Cette semaine, {{ total }} nouveaux membres nous ont rejoints. Bienvenue à :\n"
        "{% for m in members %}\n- {{ m.name }}\n{% endfor %}\n\n"
        "Commencez par ici : {{ links[0].url }}"
    )
    welcome.get_by_role("button", name="Aperçu").first.click()
    preview = page.locator("#text-weekly_welcome blockquote.preview").first.inner_text()
    assert "Bienvenue à :\n- Camille\n- Youssef\n- Léa" in preview and START in preview
    page.locator("#text-weekly_welcome").get_by_role(
        "button", name="Enregistrer le texte"
    ).first.click()
    page.wait_for_url("**/setup?msg=text_saved")
    shot(page, "3-reglages-et-textes")
    page.get_by_role("button", name="Lancer l’accueil").click()
    page.wait_for_url("**/setup?msg=enabled")

    # Sunday 18:05 in Paris: the tick drafts the week's welcome post, naming Camille and Youssef
    tick = run_cli("--db", db, "run", "--now", "2026-12-06T18:05:00+01:00")
    assert tick.exit_code == 0, tick.stderr
    page.goto(f"{base}/c/{community_id}/onboarding")
    rules = page.locator("section[aria-labelledby=playbook-title] table").inner_text()
    assert "chaque dimanche à 18:00, jusqu’à 100 personnes" in rules  # not `weekly day=sunday`
    assert "son état est nouveau venu" in rules
    post = page.locator("li.outbox-message", has_text="weekly_welcome")
    text = post.locator("textarea").input_value()
    assert text.startswith("Cette semaine, 2 nouveaux membres nous ont rejoints.")
    assert "- Youssef K.\n- Camille T." in text and START in text
    shot(page, "4-publication-de-bienvenue")

    # she copies it, posts it in the group herself, and records it as posted by hand
    post.get_by_role("button", name="Copier le texte").click()
    expect_text = post.get_by_role("button", name="Copié : collez-le sur la plateforme")
    expect_text.wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == text
    post.get_by_role("button", name="Publié à la main").click()
    page.wait_for_url("**/onboarding?msg=posted_by_hand")
    assert "il compte comme envoyé" in page.get_by_role("status").inner_text()
    assert page.locator("li.outbox-message", has_text="weekly_welcome").count() == 0  # done with
    page.goto(f"{base}/c/{community_id}/onboarding?show=done")
    done = page.locator("li.outbox-message", has_text="weekly_welcome")
    assert done.locator(".badge").inner_text() == "envoyé"
    assert done.locator(".by-hand").inner_text() == "publié à la main"
    assert done.locator("blockquote.message-body").inner_text() == text
    shot(page, "5-publiee-a-la-main")
    outbox = run_cli("--db", db, "outbox", "list", "--rule", "weekly_welcome", "--format", "json")
    [listed_post] = __import__("json").loads(outbox.stdout)
    shown = run_cli("--db", db, "outbox", "show", str(listed_post["id"]), "--format", "json")
    posted = __import__("json").loads(shown.stdout)
    assert posted["status"] == "sent" and posted["external_ref"] == "by-hand"
    context.close()
