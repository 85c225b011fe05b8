"""The imports page hands an upload to tending.actions.imports.do_import, the importer the CLI uses, and shows
its result."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tending.models import ImportLogEntry
from tending.store import open_store
from tests.web.conftest import csrf_of


def imports_of(db_url: str, cid: int) -> list[ImportLogEntry]:
    from tending.store.imports import get_imports

    engine = open_store(db_url)
    with engine.connect() as conn:
        found = get_imports(conn, cid)
    engine.dispose()
    return found


def wait_for_upload(client: TestClient, cid: int) -> str:
    for _ in range(100):
        html = client.get(f"/c/{cid}/imports").text
        if "status-running" not in html:
            return html
        time.sleep(0.05)
    raise AssertionError("the import never finished")


def test_an_admin_uploads_a_file_and_sees_what_was_added(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    page = client.get(f"/c/{cid}/imports").text
    assert "Kind of export" in page
    line = {
        "platform": "forum",
        "member_id": "fay",
        "member_name": "Fay",
        "kind": "post",
        "occurred_at": "2026-03-01T10:00:00Z",
        "source_id": "f1",
    }
    response = client.post(
        f"/c/{cid}/imports",
        data={"kind": "jsonl", "csrf_token": csrf_of(page)},
        files={"file": ("../../etc/Fay's export.jsonl", json.dumps(line).encode())},
        follow_redirects=False,
    )
    assert response.status_code == 303
    html = wait_for_upload(client, cid)
    assert "status-done" in html and "activities added: 1" in html, html.split(
        'class="plain uploads"'
    )[-1][:500]
    [logged] = imports_of(seeded[0], cid)
    assert (logged.kind, logged.status) == ("jsonl", "ok")
    assert logged.source_path.endswith(
        "/Fay_s_export.jsonl"
    )  # the name made safe, in its own folder
    assert "1 member" in client.get(f"/c/{cid}/members?q=fay").text


def test_a_bad_file_shows_the_importers_sentence(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    page = client.get(f"/c/{cid}/imports").text
    client.post(
        f"/c/{cid}/imports",
        data={"kind": "jsonl", "csrf_token": csrf_of(page)},
        files={"file": ("bad.jsonl", b'{"member_id": "x"}\n')},
    )
    html = wait_for_upload(client, cid)
    assert "status-failed" in html and "bad.jsonl, line 1" in html
    assert "tending-upload-" not in html  # the private temporary folder is not shown


def test_an_empty_file_or_unknown_kind_is_refused(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    token = csrf_of(client.get(f"/c/{cid}/imports").text)
    empty = client.post(
        f"/c/{cid}/imports",
        data={"kind": "jsonl", "csrf_token": token},
        files={"file": ("a.jsonl", b"")},
        follow_redirects=False,
    )
    assert empty.headers["location"].endswith("error=empty")
    odd = client.post(
        f"/c/{cid}/imports",
        data={"kind": "myspace", "csrf_token": token},
        files={"file": ("a.jsonl", b"{}")},
        follow_redirects=False,
    )
    assert odd.headers["location"].endswith("error=kind")
    assert imports_of(seeded[0], cid) == []


def test_the_real_importer_reads_an_uploaded_jsonl_file(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    lines = [
        {
            "platform": "forum",
            "member_id": "fay",
            "member_name": "Fay Martin",
            "kind": "joined",
            "occurred_at": "2026-02-27T08:00:00Z",
        },
        {
            "platform": "forum",
            "member_id": "fay",
            "kind": "post",
            "occurred_at": "2026-02-27T09:00:00Z",
            "source_id": "f1",
            "text": "Bonjour",
        },
        {
            "platform": "forum",
            "member_id": "ada",
            "member_name": "Ada Lovelace",
            "kind": "comment",
            "occurred_at": "2026-02-27T10:00:00Z",
            "source_id": "f2",
            "thread_id": "f1",
            "parent_id": "f1",
            "text": "Bienvenue !",
        },
    ]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    token = csrf_of(client.get(f"/c/{cid}/imports").text)
    client.post(
        f"/c/{cid}/imports",
        data={"kind": "jsonl", "csrf_token": token},
        files={"file": ("export.jsonl", body)},
    )
    html = wait_for_upload(client, cid)
    assert "status-done" in html, html.split('class="plain uploads"', 1)[-1][:500]
    assert "activities added: 3" in html and "members added: 1" in html
    history = html.split('id="history-title"', 1)[1]
    assert "<td>jsonl</td>" in history and "activities added: 3" in history
    assert "Fay Martin" in client.get(f"/c/{cid}/members?q=fay").text
    token = csrf_of(client.get(f"/c/{cid}/imports").text)
    client.post(
        f"/c/{cid}/imports",
        data={"kind": "jsonl", "csrf_token": token},
        files={"file": ("broken.jsonl", b'{"member_id": "gus", "kind": "post"}\n')},
    )
    failed = wait_for_upload(client, cid)
    assert "status-failed" in failed and "broken.jsonl, line 1" in failed
    assert "tending-upload-" not in failed  # neither in the upload's line nor in the history


def test_a_deeply_nested_upload_fails_with_the_importers_sentence(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    token = csrf_of(client.get(f"/c/{cid}/imports").text)
    client.post(
        f"/c/{cid}/imports",
        data={"kind": "discord", "csrf_token": token},
        files={"file": ("channel.json", b"[" * 200_000 + b"]" * 200_000)},
    )
    html = wait_for_upload(client, cid)
    assert "status-failed" in html
    assert "channel.json: the JSON is nested deeper than 64 levels" in html
    assert client.get("/healthz").status_code == 200  # the server is still up


def test_an_importers_bug_shows_one_line_without_what_it_was_reading(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in an importer (here: one failing on a member's address) must not kill the server, nor put
    what the importer was reading (personal data) on the page or in the server's log."""
    from tending.models import Community
    from tending.web import importing
    from tending.web.views import imports as view

    def buggy(*_args: object, **_kwargs: object) -> dict[str, int]:
        raise KeyError("marie.dupont@example.org")

    folder = tmp_path / "upload"
    folder.mkdir()
    path = folder / "groupe.csv"
    path.write_text("x\n", encoding="utf-8")
    upload = view.Upload(1, 1, "csv", "groupe.csv")
    community = Community(id=1, name="Chats", platform="facebook")
    monkeypatch.setattr(importing, "run_import", buggy)  # the fault: an importer's bug
    view._run(upload, None, community, path, "web:ada@example.org", "fr")
    out = capsys.readouterr()
    assert upload.status == "failed" and upload.error is not None
    assert "KeyError" in upload.error
    for shown in (upload.error, out.out, out.err, caplog.text):
        assert "marie" not in shown
    assert not folder.exists()
