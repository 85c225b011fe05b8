"""What the pages say: exact figures on the overview, member filters, CSV, language, time zone."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.actions.overview import get_overview
from tending.store import open_store
from tending.store.communities import get_community_by_id
from tests.web.conftest import NOW, csrf_of, member_id


def test_the_overview_figures_are_exact(seeded: tuple[str, int], cid: int) -> None:
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        data = get_overview(conn, get_community_by_id(conn, cid), now=NOW)
    engine.dispose()
    assert data.today == date(2026, 3, 2) and not data.shifted
    assert (data.counts.total, data.counts.staff, data.counts.bots, data.counts.left) == (
        4,
        1,
        1,
        0,
    )
    assert data.counts.contributors == 3  # ada, bruno, chloe; dan the bot does not count
    # the health capability's figures over the last 28 days (docs/health.md)
    health = data.health
    assert (health["members_total"], health["new_members"], health["active_contributors"]) == (
        4,
        1,
        2,
    )
    assert (
        health["member_started_threads_share"] == 0.5
    )  # ada's thread and bruno's (staff); chloe's is older
    # bruno's welcome thread got only the bot's reply (bots do not answer); ada's got bruno's a day later
    assert (
        health["unanswered_threads"] == 1
        and health["time_to_first_response_hours"]["median"] == 24.0
    )
    by_day = dict(zip(data.days, data.contributions, strict=True))
    assert by_day[date(2026, 2, 20)] == 1  # ada's post, ten days before
    assert by_day[date(2026, 2, 28)] == 1  # ada's reply
    assert by_day[date(2026, 3, 1)] == 1  # dan's: a bot's activity is still the forum's activity
    assert sum(data.contributions) == 5 and sum(data.reactions) == 1
    assert (
        sum(data.starts_members) == 2 and sum(data.starts_staff) == 1
    )  # 26 weeks: ada's, chloe's; bruno's
    assert data.joins[-2] == 1 and sum(data.joins) == 1  # eve, in the week of 2026-02-23
    assert data.weeks[-1] == date(2026, 3, 2) and data.weeks[-2] == date(2026, 2, 23)
    assert [c.name for c in data.top] == ["Ada Lovelace", "Bruno", "Chloé Dubois"]


def test_the_overview_page_shows_the_figures_and_charts(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    html = client_as("viewer").get(f"/c/{cid}/overview").text
    assert "<dt>Members</dt><dd>4</dd>" in html
    assert "<dt>Threads started by members</dt><dd>50%</dd>" in html  # the health report's 28 days
    assert (
        "2 threads in 26 weeks" not in html
        and "3 threads in 26 weeks; members started 67% of them." in html
    )
    assert "<dt>First answer, median</dt><dd>24 h</dd>" in html
    assert html.count('<svg class="chart') == 4
    assert "<title>Who starts the conversations</title>" in html


def test_the_overview_shows_alerts_with_their_threads_and_messages(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    """An alert stored by the health capability names its thread and messages: the overview shows them."""
    from tending.store.alerts import insert_alert
    from tending.store.schema import activities

    engine = open_store(seeded[0])
    with engine.begin() as conn:
        a1, a2 = (
            conn.execute(select(activities.c.id).where(activities.c.source_id == sid)).scalar_one()
            for sid in ("a1", "a2")
        )
        thread = conn.execute(
            select(activities.c.thread_id).where(activities.c.id == a1)
        ).scalar_one()
        insert_alert(
            conn,
            cid,
            kind="heated_thread",
            dedupe_key="heated:t1:2026-03-02",
            day=20514,
            as_of=NOW,
            created_at=NOW,
            severity="warning",
            summary="A heated exchange in one thread",
            details={"threads": [thread], "messages": [a1, a2], "figures": {}},
        )
    engine.dispose()
    html = client_as("viewer").get(f"/c/{cid}/overview").text
    alerts = html.split('id="alerts-title"', 1)[1].split("</section>", 1)[0]
    assert "A heated exchange in one thread" in alerts and "<em>Insulin doses</em>" in alerts
    assert "How much insulin?" in alerts and "Thanks!" in alerts and "Ada Lovelace" in alerts


def names_in(html: str) -> list[str]:
    if '<table class="members">' not in html:
        return []
    table = html.split('<table class="members">', 1)[1].split("</table>", 1)[0]
    return [part.split(">", 1)[1].split("<", 1)[0] for part in table.split('<a href="/c/')[1:]]


def test_inactive_filter_follows_the_members_definition(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    assert names_in(client.get(f"/c/{cid}/members?inactive=60").text) == ["Chloé Dubois"]
    # five days: bruno (staff, 9 days) and eve (joined 6 days ago, never contributed) join chloe, in the members
    # capability's order: the most recently silent first, then those who never contributed
    assert names_in(client.get(f"/c/{cid}/members?inactive=5").text) == [
        "Bruno",
        "Chloé Dubois",
        "Eve",
    ]
    assert names_in(client.get(f"/c/{cid}/members?inactive=5&kind=members").text) == [
        "Chloé Dubois",
        "Eve",
    ]
    assert names_in(client.get(f"/c/{cid}/members?inactive=5&kind=staff").text) == ["Bruno"]
    assert names_in(client.get(f"/c/{cid}/members?inactive=5&q=eve").text) == ["Eve"]
    assert names_in(client.get(f"/c/{cid}/members?kind=bots").text) == ["Dan Bot"]
    assert names_in(client.get(f"/c/{cid}/members?q=DUB").text) == ["Chloé Dubois"]
    # as of a past day, contributions made later do not count: on 2025-12-01, chloe had posted on 2025-11-22,
    # while ada and bruno had not contributed yet (they did in 2026); eve had not joined
    assert names_in(client.get(f"/c/{cid}/members?inactive=30&as_of=2025-12-01").text) == [
        "Ada Lovelace",
        "Bruno",
    ]
    # the boundary: exactly N days after joining counts; a contribution exactly N days before T is outside
    assert names_in(client.get(f"/c/{cid}/members?inactive=6&kind=members").text) == [
        "Chloé Dubois",
        "Eve",
    ]
    assert names_in(client.get(f"/c/{cid}/members?inactive=7&kind=members").text) == [
        "Chloé Dubois"
    ]
    bad = client.get(f"/c/{cid}/members?inactive=soon")
    assert "a whole number of days" in bad.text


def test_the_inactive_list_separates_who_went_quiet_from_who_never_contributed(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    """Five days: Bruno and Chloé went quiet (contributed, then fell silent), Eve never contributed; the page
    says how many of each, marks each row, and keeps one kind on request."""
    client = client_as("viewer")
    page = client.get(f"/c/{cid}/members?inactive=5").text
    assert "2 went quiet" in page and "1 never contributed" in page
    assert page.count('<span class="badge">went quiet</span>') == 2
    assert page.count('<span class="badge">never contributed</span>') == 1
    quiet = client.get(f"/c/{cid}/members?inactive=5&inactive_kind=went_quiet").text
    assert names_in(quiet) == ["Bruno", "Chloé Dubois"]
    assert "<strong>2 went quiet</strong>" in quiet  # the counts stay those of the whole list
    never = client.get(f"/c/{cid}/members?inactive=5&inactive_kind=never_contributed").text
    assert names_in(never) == ["Eve"] and "1 member" in never
    assert names_in(client.get(f"/c/{cid}/members?inactive_kind=went_quiet").text) == names_in(
        client.get(f"/c/{cid}/members").text
    )  # without inactive days, the kind means nothing and is ignored
    french = client_as("viewer")
    french.post(
        "/account/language",
        data={"language": "fr", "csrf_token": csrf_of(french.get("/settings").text)},
    )
    assert "2 sont devenu·es silencieux·ses" in french.get(f"/c/{cid}/members?inactive=5").text


def test_the_inactive_filter_is_the_members_capability_answer(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    """One definition in the product: the page lists exactly what tending.store.members lists."""
    from tending.actions.members import get_lifecycle_settings
    from tending.store.members import get_inactive_members

    engine = open_store(seeded[0])
    with engine.connect() as conn:
        community = get_community_by_id(conn, cid)
        for days in (1, 5, 6, 7, 30, 60, 200):
            _total, rows = get_inactive_members(
                conn, cid, as_of=NOW, days=days, lifecycle=get_lifecycle_settings(community)
            )
            expected = [r.member.display_name for r in rows]
            assert (
                names_in(client_as("viewer").get(f"/c/{cid}/members?inactive={days}").text)
                == expected
            ), days
    engine.dispose()


def test_state_and_segment_filters(cid: int, client_as: Callable[[str], TestClient]) -> None:
    """As of 09:00 (states are evaluated as of the hour): eve is a newcomer; chloe is inactive (100 days);
    ada and bruno are active; dan the bot has no state."""
    client = client_as("viewer")
    assert names_in(client.get(f"/c/{cid}/members?state=newcomer").text) == ["Eve"]
    assert names_in(client.get(f"/c/{cid}/members?state=inactive").text) == ["Chloé Dubois"]
    assert names_in(client.get(f"/c/{cid}/members?state=active").text) == ["Ada Lovelace", "Bruno"]
    assert names_in(client.get(f"/c/{cid}/members?state=active&kind=members").text) == [
        "Ada Lovelace"
    ]
    assert names_in(client.get(f"/c/{cid}/members?state=lurker").text) == []
    page = client.get(f"/c/{cid}/members?state=inactive").text
    assert "as of 3/2/26, 10:00 AM" in page.replace("\u202f", " ")  # 09:00 UTC, shown in Paris
    # 90 days: ada made 2 contributions, bruno 2, chloe none (100 days ago), eve none; the heavy core is the
    # smallest set making half of the contributions
    core = names_in(client.get(f"/c/{cid}/members?segment=heavy_core").text)
    occasional = names_in(client.get(f"/c/{cid}/members?segment=occasional").text)
    lurkers = names_in(client.get(f"/c/{cid}/members?segment=lurkers").text)
    assert sorted(core + occasional) == ["Ada Lovelace", "Bruno"] and len(core) == 1
    assert lurkers == ["Eve", "Chloé Dubois"]  # newest first
    assert "State: choose one" in client.get(f"/c/{cid}/members?state=sleepy").text


def test_members_are_paged(cid: int, client_as: Callable[[str], TestClient]) -> None:
    html = client_as("viewer").get(f"/c/{cid}/members?kind=all").text
    assert "5 members" in html and "Page 1 of 1" in html
    assert names_in(html) == [
        "Eve",
        "Dan Bot",
        "Chloé Dubois",
        "Ada Lovelace",
        "Bruno",
    ]  # newest first, then by id


def test_the_csv_export_has_the_filtered_members(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    response = client_as("moderator").get(f"/c/{cid}/members.csv?inactive=5&kind=members")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["name"] for r in rows] == ["Chloé Dubois", "Eve"]
    assert (
        rows[0]["last_contribution_at"] == "2025-11-22T09:30:00Z"
        and rows[1]["contributions"] == "0"
    )


def test_switching_to_french_is_remembered(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    page = client.get(f"/c/{cid}/members").text
    response = client.post(
        "/account/language",
        data={
            "language": "fr",
            "next": f"/c/{cid}/members?inactive=60",
            "csrf_token": csrf_of(page),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/c/{cid}/members?inactive=60"
    html = client.get(response.headers["location"]).text
    assert '<html lang="fr">' in html and "Inactifs depuis (jours)" in html and "1 membre" in html
    assert "Vue d&#39;ensemble" in html or "Vue d'ensemble" in html
    overview = client.get(f"/c/{cid}/overview").text
    assert "<dt>Fils lancés par des membres</dt><dd>50 %</dd>" in overview.replace(
        "\u202f", " "
    ).replace("\xa0", " ")


def test_dates_are_shown_in_the_community_time_zone(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    from tending.models import ActivityRecord
    from tending.store.communities import get_community_by_id
    from tending.store.ingest import Ingestor

    late = NOW.replace(hour=23, minute=30) - timedelta(
        days=3
    )  # 2026-02-27 23:30 UTC = 28 Feb 00:30 in Paris
    engine = open_store(seeded[0])
    with engine.begin() as conn:
        Ingestor(conn, get_community_by_id(conn, cid)).add_all(
            [
                ActivityRecord(
                    source="forum",
                    source_id="late",
                    member_external_id="eve",
                    kind="comment",
                    occurred_at=late,
                )
            ]
        )
    engine.dispose()
    assert late.astimezone(ZoneInfo("Europe/Paris")).day == 28
    html = client_as("viewer").get(f"/c/{cid}/members/{member_id(seeded[0], 'eve')}").text
    assert "2/28/26, 12:30 AM" in html.replace("\u202f", " ")
    assert 'datetime="2026-02-28T00:30+01:00"' in html
    assert "Dates are shown in the community's time zone: Europe/Paris." in html


def test_a_member_page_shows_the_timeline_and_identities(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    html = client_as("viewer").get(f"/c/{cid}/members/{member_id(seeded[0], 'ada')}").text
    timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    assert (
        timeline.index("reacted") < timeline.index("replied") < timeline.index("started a thread")
    )
    assert "<em>Insulin doses</em>" in timeline and "How much insulin?" in timeline
    assert "forum · ada" in html


def test_every_page_of_the_navigation_answers(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    from tending.web.pages import NAV

    for item in NAV:
        response = client.get(f"/c/{cid}/{item.path}")
        assert response.status_code == 200 and "not available yet" not in response.text, item.path


def test_settings_show_whether_credentials_are_set_never_their_value(
    monkeypatch: pytest.MonkeyPatch, client_as: Callable[[str], TestClient]
) -> None:
    monkeypatch.setenv("TENDING_SLACK_TOKEN", "xoxb-very-secret-value")
    monkeypatch.setenv("TENDING_CONFIG", "/dev/null")  # no config file
    html = client_as("admin").get("/settings").text
    assert "xoxb-very-secret-value" not in html
    slack = html.split("<strong>slack</strong>", 1)[1].split("</li>", 1)[0]
    assert "configured" in slack and "not configured" not in slack
    email = html.split("<strong>email</strong>", 1)[1].split("</li>", 1)[0]
    assert "not configured" in email


def test_the_state_index_agrees_with_the_members_capability(
    seeded: tuple[str, int], cid: int
) -> None:
    """The page answers a state or a segment from one pass (web.member_lists.get_state_index): it must list
    exactly what tending.actions.members.get_member_list lists, filter by filter."""
    from datetime import timedelta

    from tending.actions.member_lists import get_state_index
    from tending.actions.members import get_member_list
    from tending.lib.lifecycle import STATES
    from tending.lib.segments import SEGMENTS

    engine = open_store(seeded[0])
    with engine.connect() as conn:
        community = get_community_by_id(conn, cid)
        for as_of in (NOW, NOW - timedelta(days=95), NOW - timedelta(days=280)):
            index = get_state_index(conn, community, as_of=as_of)
            for kind, names in (("state", STATES), ("segment", SEGMENTS)):
                for name in names:
                    listing = (
                        get_member_list(conn, community, as_of=as_of, state=name)
                        if kind == "state"
                        else get_member_list(conn, community, as_of=as_of, segment=name)
                    )
                    expected = sorted(r.member.id for r in listing.rows)
                    assert sorted(index.get((kind, name), [])) == expected, (as_of, kind, name)
    engine.dispose()
