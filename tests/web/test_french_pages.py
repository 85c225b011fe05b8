"""A French admin's pages hold no English sentence of the back end (issue: a volunteer admin's first week).

The French interface showed English alert titles, import counts, skip reasons, connector descriptions, rule
states and "0.97" for 0,97. Every page a French admin reads after a week (an alert raised, an import with a
malformed line) is fetched here: any English text of the back end's catalogue (tending.texts) left on it
fails, and so do the English forms of the import counts and connector descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tending.actions.imports import do_import
from tending.errors import BadInputError
from tending.store import open_store
from tending.store.alerts import insert_alert
from tending.store.imports import record_import
from tending.texts import LOCALE_DIR
from tests.web.conftest import NOW, csrf_of

PAGES = (
    "overview",
    "members",
    "members?inactive=60",
    "checkins",
    "onboarding",
    "setup",
    "moderation",
    "sources",
    "mentions",
)
HEATED = {
    "messages": 12,
    "top_two_share": 0.917,
    "median_gap_minutes": 2.5,
    "negative_share": 0.5,
    "toxic": 1,
    "rising": False,
    "members": [],
}


def english_sentences() -> list[str]:
    """The back end's English texts, cut at their first value, long enough not to be a French word too."""
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "tending.po").open("rb") as handle:
        found = {
            part.strip(" .:;,(")
            for m in read_po(handle)
            if m.id and m.string != m.id
            for english in ((m.id,) if isinstance(m.id, str) else m.id)
            for part in re.split(r"%\(\w+\)s", english)
        }
    return sorted(text for text in found if len(text) > 12)


def visible_text(html: str) -> str:
    """What a reader sees: no markup, no script, no form values (the messages' own texts may be English)."""
    html = re.sub(r"(?s)<(script|style|textarea|code)\b.*?</\1>", " ", html)
    html = re.sub(r'(?s)<blockquote class="(message-body|preview)".*?</blockquote>', " ", html)
    return re.sub(
        r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))
    )  # no-break spaces kept


def seed_a_week(db_url: str, cid: int, tmp_path: Path) -> None:
    engine = open_store(db_url)
    with engine.begin() as conn:
        insert_alert(
            conn,
            cid,
            kind="heated_thread",
            dedupe_key="heated_thread:thread:1:2026-03-02",
            day=20514,
            as_of=NOW,
            created_at=NOW,
            severity="critical",
            summary="Heated thread: 12 messages in 24 hours, 92% of them by two people, a message "
            "every 2.5 min, 50% negative, 1 toxic.",
            details={"threads": [], "messages": [], "figures": HEATED},
        )
    export = tmp_path / "groupe.jsonl"
    export.write_text(
        '{"platform": "forum", "member_id": "zoe", "member_name": "Zoé", "kind": "joined", '
        '"occurred_at": "2026-02-20T10:00:00Z"}\n{"not a row": true\n',
        encoding="utf-8",
    )
    do_import(engine, "jsonl", export, community_name="Cats", skip_bad=True)
    engine.dispose()


def test_a_french_admin_reads_no_english_sentence_of_the_back_end(
    seeded: tuple[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
    tmp_path: Path,
) -> None:
    seed_a_week(seeded[0], cid, tmp_path)
    admin = client_as("admin")
    token = csrf_of(admin.get("/settings").text)
    admin.post("/account/language", data={"language": "fr", "csrf_token": token})
    english = english_sentences()
    assert "Heated thread" in english and "members added" not in english  # the web's own, below
    seen: dict[str, str] = {}
    for page in PAGES:
        response = admin.get(f"/c/{cid}/{page}")
        assert response.status_code == 200, page
        seen[page] = visible_text(response.text)
        left = [text for text in english if text in seen[page]]
        assert not left, f"untranslated on the French page {page}: {left}"
    assert (
        "Fil qui s’échauffe\u00a0: 12 messages en 24 heures, dont 92\u00a0% écrits"
        in seen["overview"]
    )
    assert re.search(r"Coefficient de Gini des contributions\u00a0: (0,\d+|—) ", seen["overview"])
    assert (
        "membres ajoutés\u00a0: 1" in seen["sources"]
        and "enregistrements mal formés" in seen["sources"]
    )
    assert "Un forum Discourse, par son adresse" in seen["sources"]
    for words in ("members added", "records read", "Heated thread", "A Discourse forum"):
        assert all(words not in text for text in seen.values()), words


def french_admin(client_as: Callable[[str], TestClient]) -> TestClient:
    admin = client_as("admin")
    token = csrf_of(admin.get("/settings").text)
    admin.post("/account/language", data={"language": "fr", "csrf_token": token})
    return admin


def test_a_french_admin_reads_singular_for_0_and_1_and_plural_for_2(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    """French pages showed "1 toxiques", "inactifs depuis 1 jours", "1 membres": French takes the
    singular for 0 and 1, the plural from 2."""
    engine = open_store(seeded[0])
    with engine.begin() as conn:
        for toxic in (0, 1, 2):
            insert_alert(
                conn,
                cid,
                kind="heated_thread",
                dedupe_key=f"heated_thread:thread:{toxic + 1}:2026-03-02",
                day=20514,
                as_of=NOW,
                created_at=NOW,
                severity="critical",
                summary=f"Heated thread ({toxic} toxic)",
                details={"threads": [], "messages": [], "figures": {**HEATED, "toxic": toxic}},
            )
    engine.dispose()
    admin = french_admin(client_as)
    overview = visible_text(admin.get(f"/c/{cid}/overview").text)
    heated = re.findall(
        r"Fil qui s’échauffe\u00a0: [^.]*min, 50\u00a0% négatifs(, [^.]*)?\.", overview
    )
    assert sorted(heated) == ["", ", 1 toxique", ", 2 toxiques"]
    forms = {}
    for days in (1, 8, 50, 150):
        page = visible_text(admin.get(f"/c/{cid}/members?inactive={days}").text)
        forms[days] = re.search(r"(\d+) membres? · inactifs depuis \d+ jours?", page)
    assert {days: found and found.group(0) for days, found in forms.items()} == {
        1: "4 membres · inactifs depuis 1 jour",
        8: "2 membres · inactifs depuis 8 jours",
        50: "1 membre · inactifs depuis 50 jours",  # chloe
        150: "0 membre · inactifs depuis 150 jours",
    }


def test_a_french_admin_reads_a_failed_imports_error_in_french(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient], tmp_path: Path
) -> None:
    """The import history showed the English sentence stored with a failed import to a French reader;
    it now stores the sentence's key and values and renders them in the reader's language (older rows,
    with only their English sentence, keep it)."""
    export = tmp_path / "groupe.csv"
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\nfacebook;1;Ana;joined;25/10/2026\n",
        encoding="utf-8",
    )
    engine = open_store(seeded[0])
    with pytest.raises(BadInputError):
        do_import(engine, "csv", export, community_name="Cats", day_first=False)
    with engine.begin() as conn:
        record_import(
            conn,
            cid,
            kind="jsonl",
            source_path="ancien.jsonl",
            file_hash=None,
            status="failed",
            started_at=NOW,
            finished_at=NOW,
            duration_ms=10,
            counts={},
            error="an older version's sentence, stored in English",
        )
    engine.dispose()
    admin = client_as("admin")
    english = visible_text(admin.get(f"/c/{cid}/sources").text)
    assert "line 2: field 'occurred_at': '25/10/2026' reads only day first" in english
    sources = visible_text(french_admin(client_as).get(f"/c/{cid}/sources").text)
    said = (
        f"{export}, ligne 2\u00a0: champ «\u00a0occurred_at\u00a0»\u00a0: «\u00a025/10/2026\u00a0» "
        "ne se lit que le jour en premier"
    )
    assert said in sources  # the page cuts the rest at 200 characters
    assert "reads only day first" not in sources
    assert "an older version's sentence, stored in English" in sources


def test_a_french_overviews_charts_write_figures_and_colons_as_french_does(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    """The charts' tooltips read "New members: 2" on a French page too (the English colon, an English
    number); they now follow the page's language, as its tables do."""
    english = client_as("viewer").get(f"/c/{cid}/overview").text
    french = french_admin(client_as).get(f"/c/{cid}/overview").text
    titles = re.compile(r"<title>([^<]*)</title>")
    english_bars = [t for t in titles.findall(english) if " — New members" in t]
    french_bars = [t for t in titles.findall(french) if " — Nouveaux membres" in t]
    assert english_bars and len(french_bars) == len(english_bars)
    assert all(re.search(r" — New members: \d+$", t) for t in english_bars)
    assert all(re.search("Nouveaux membres\u00a0: \\d+$", t) for t in french_bars)
    heat = [t for t in titles.findall(unescape(french)) if ", +0" in t]
    assert heat and all(re.search("\u00a0: \\d+\u00a0%$", t) for t in heat)
