"""The member page's rights: a moderator downloads chloe's export; only an admin erases, after a confirmation."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tending.store import open_store
from tests.web.conftest import csrf_of, member_id


def test_a_moderator_downloads_the_export_a_viewer_cannot(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    chloe = member_id(seeded[0], "chloe")
    moderator = client_as("moderator")
    page = moderator.get(f"/c/{cid}/members/{chloe}")
    assert (
        f"/c/{cid}/members/{chloe}/export?format=html" in page.text
        and "erase-link" not in page.text
    )
    html = moderator.get(f"/c/{cid}/members/{chloe}/export?format=html")
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]
    assert (
        "Ce que Cats détient à votre sujet" in html.text and "Our vet said..." in html.text
    )  # community: fr
    data = json.loads(moderator.get(f"/c/{cid}/members/{chloe}/export?format=json").text)
    assert data["identities"][0]["email"] == "chloe@example.org"
    assert client_as("viewer").get(f"/c/{cid}/members/{chloe}/export").status_code == 403


def test_an_admin_erases_after_seeing_what_goes(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    chloe = member_id(seeded[0], "chloe")
    assert client_as("moderator").get(f"/c/{cid}/members/{chloe}/erase").status_code == 403
    admin = client_as("admin")
    confirm = admin.get(f"/c/{cid}/members/{chloe}/erase")
    assert confirm.status_code == 200 and "Erasing member #" in confirm.text
    assert "<strong>1</strong> accounts" in confirm.text
    done = admin.post(
        f"/c/{cid}/members/{chloe}/erase",
        data={"csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("msg=erased")
    page = admin.get(done.headers["location"])
    assert "Chloé Dubois" not in page.text and "Our vet said" not in page.text
    assert admin.get(f"/c/{cid}/members/{chloe}/erase").status_code == 409


def test_an_admin_sets_how_long_texts_are_kept(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    admin = client_as("admin")
    page = admin.get("/settings")
    token = csrf_of(page.text)
    saved = admin.post(
        f"/settings/communities/{cid}/retention",
        data={"csrf_token": token, "text_days": "365"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert (
        f'id="retention-{cid}" name="text_days" type="number" min="1" max="36500" value="365"'
        in admin.get("/settings").text
    )
    refused = admin.post(
        f"/settings/communities/{cid}/retention", data={"csrf_token": token, "text_days": "-3"}
    )
    assert refused.status_code == 400
    viewer = client_as("viewer")
    assert "365 days" in viewer.get("/settings").text
    assert (
        viewer.post(
            f"/settings/communities/{cid}/retention",
            data={"csrf_token": csrf_of(viewer.get("/settings").text), "text_days": "1"},
        ).status_code
        == 403
    )


def test_an_unexpected_failure_answers_500_and_logs_no_data(
    seeded: tuple[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    chloe = member_id(seeded[0], "chloe")
    admin = client_as("admin")
    engine = open_store(seeded[0])
    with engine.begin() as conn:  # a damaged database: the accounts table is gone
        conn.exec_driver_sql("ALTER TABLE identities RENAME TO identities_lost")
    engine.dispose()
    caplog.set_level(logging.DEBUG)
    page = admin.get(f"/c/{cid}/members/{chloe}")
    assert page.status_code == 500 and "Chloé" not in page.text and "Traceback" not in page.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unexpected" in logged and "chloe@example.org" not in logged and "Chloé" not in logged


def test_the_members_csv_of_the_web_is_safe(
    client_as: Callable[[str], TestClient], seeded: tuple[str, int], cid: int
) -> None:
    engine = open_store(seeded[0])
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE members SET display_name = '=cmd|'' /C calc''!A0' WHERE external_id = 'eve'"
        )
    engine.dispose()
    text = client_as("moderator").get(f"/c/{cid}/members.csv?kind=all").text
    import csv
    import io

    names = [row[1] for row in csv.reader(io.StringIO(text))]
    assert "'=cmd|' /C calc'!A0" in names and not any(n.startswith("=") for n in names)
