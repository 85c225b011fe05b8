"""The moderation rules page: the rules in force, a draft backtested next to them, and an administrator
switching the draft on. Viewers read; moderators backtest; admins save."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from tests.web.test_moderation import queue  # noqa: F401  (the fixture: the scanned story)


def test_a_moderator_backtests_a_draft_next_to_the_rules(
    queue: dict[str, Any],  # noqa: F811
    client_as: Callable[[str], TestClient],
) -> None:
    cid = queue["cid"]
    viewer = client_as("viewer").get(f"/c/{cid}/moderation/rules").text
    assert "threshold: model  # the model&#39;s calibrated threshold" in viewer
    assert "Backtest</button>" not in viewer
    client = client_as("moderator")
    page = client.get(f"/c/{cid}/moderation/rules").text
    assert 'name="since" type="date" value="2025-12-02"' in page  # 90 days before NOW
    assert "Switch these rules on" not in page  # admins only
    draft = "signals:\n  toxic: {enabled: false}\n"
    done = client.post(
        f"/c/{cid}/moderation/rules/backtest",
        data={"rules": draft, "since": "2026-03-01", "csrf_token": csrf_of(page)},
    )
    assert done.status_code == 200
    html = done.text
    assert "<code>signals.toxic.enabled: true -&gt; false</code>" in html
    assert "Only the rules in force queue: 3" in html  # eve's three insults
    assert "Ferme ta gueule" in html.split("Only the rules in force queue", 1)[1]
    wrong = client.post(
        f"/c/{cid}/moderation/rules/backtest",
        data={
            "rules": "signals:\n  toxic: {action: ban}\n",
            "since": "2026-03-01",
            "csrf_token": csrf_of(page),
        },
    )
    assert wrong.status_code == 400
    assert "rules, line 2: field &#39;signals.toxic.action&#39;: must be one of" in wrong.text
    assert "toxic: {action: ban}" in wrong.text  # the draft is kept to fix
    refused = client.post(
        f"/c/{cid}/moderation/rules/save",
        data={"rules": draft, "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert refused.status_code == 403


def test_an_admin_switches_rules_on_and_back(
    queue: dict[str, Any],  # noqa: F811
    client_as: Callable[[str], TestClient],
) -> None:
    cid = queue["cid"]
    admin = client_as("admin")
    token = csrf_of(admin.get(f"/c/{cid}/moderation/rules").text)
    saved = admin.post(
        f"/c/{cid}/moderation/rules/save",
        data={"rules": "signals:\n  toxic: {action: remove}\n", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.headers["location"] == f"/c/{cid}/moderation/rules?msg=saved"
    page = admin.get(saved.headers["location"]).text
    assert "These rules are now in force" in page
    assert "  toxic:\n    threshold: model" in page and "action: remove\n    severity: high" in page
    queue_page = admin.get(f"/c/{cid}/moderation").text
    assert "Suggested: Remove" in queue_page
    assert "Escalated: Remove suggested instead of Warn" not in queue_page  # remove is the rule now
    back = admin.post(
        f"/c/{cid}/moderation/rules/reset", data={"csrf_token": token}, follow_redirects=False
    )
    assert back.headers["location"].endswith("msg=reset")
    assert "action: remove\n    severity: high" not in admin.get(f"/c/{cid}/moderation/rules").text
