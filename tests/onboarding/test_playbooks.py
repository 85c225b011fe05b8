"""Playbooks: rules act only on what comes due after the start, once, and never on people who must not be
contacted. Stories run on the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tending.actions.onboarding import do_enable_playbook, do_run_playbook, get_plan
from tending.errors import BadInputError, UsageError
from tending.models import MemberRecord
from tending.playbooks import default_playbook, parse_playbook
from tending.playbooks.engine import in_holdout
from tending.playbooks.model import MemberSnapshot
from tending.playbooks.render import Templates
from tending.store.outbox import list_messages
from tending.store.schema import member_tags, members

from .story import T0, Story, act, ingest, person

WELCOME_ONLY = """
rules:
  - name: welcome
    trigger: member_joined
    actions:
      - {draft_message: welcome, channel: private}
"""


START_URL = "https://www.facebook.com/groups/chatsdiabetiques/announcements"


def enable(engine: Engine, story: Story, text: str | None = None, *, since: datetime = T0) -> None:
    """Enable the playbook `text` (else the built-in one, once the community has its own start link, as
    enabling it with the built-in placeholder link is refused)."""
    from tending.actions.communities import do_set_start_url, get_community_by_id

    playbook = parse_playbook(text, path="test.yaml") if text else default_playbook()
    with engine.begin() as conn:
        if text is None and not story.community.settings.get("onboarding_links"):
            do_set_start_url(conn, story.community, START_URL, actor="lea")
            story.community = get_community_by_id(conn, story.community.id)
        do_enable_playbook(conn, story.community, playbook, since=since, actor="lea")


def run(
    engine: Engine, story: Story, now: datetime, templates: Templates | None = None
) -> dict[str, int]:
    with engine.begin() as conn:
        return do_run_playbook(
            conn, story.community, now=now, templates=templates or Templates()
        ).counts.as_dict()


def outbox(engine: Engine, story: Story) -> list[tuple[str, str, list[str], str, str | None]]:
    """(rule, channel, member names, status, skip reason) of every outbox row, oldest first."""
    names = {v: k for k, v in story.ids.items()}
    with engine.connect() as conn:
        return [
            (m.rule, m.channel, [names[i] for i in m.member_ids], m.status, m.skip_reason)
            for m in list_messages(conn, story.community.id, limit=10_000)
        ]


def test_history_before_the_start_triggers_nothing(engine: Engine) -> None:
    story = ingest(
        engine,
        [
            person("ada", joined=T0 - timedelta(days=700)),
            person("bruno", joined=T0 - timedelta(days=3)),
        ],
    )
    enable(engine, story, WELCOME_ONLY)
    story = ingest(engine, [person("chloe", joined=T0 + timedelta(hours=1))])
    with engine.connect() as conn:
        _, plan = get_plan(conn, story.community, now=T0 + timedelta(hours=2))
    assert [(i["rule"], i["channel"], i["members"], i["due_at"]) for i in plan.to_json()] == [
        ("welcome", "private", ["chloe"], "2026-03-02T10:00:00Z")
    ]
    assert outbox(engine, story) == []  # plan writes nothing


def test_running_twice_creates_nothing_twice(engine: Engine) -> None:
    story = ingest(engine, [person("ada", joined=T0 + timedelta(hours=1))])
    enable(engine, story, WELCOME_ONLY)
    assert run(engine, story, T0 + timedelta(hours=2))["drafted"] == 1
    again = run(engine, story, T0 + timedelta(hours=3))
    assert again["drafted"] == 0
    assert outbox(engine, story) == [("welcome", "private", ["ada"], "drafted", None)]


def test_catch_up_after_downtime_creates_once_or_records_too_late(engine: Engine) -> None:
    story = ingest(
        engine,
        [
            person("ada", joined=T0 + timedelta(days=1)),
            person("bruno", joined=T0 + timedelta(days=6)),
        ],
    )
    enable(engine, story, WELCOME_ONLY)
    run(engine, story, T0)  # runs once, then nothing runs for ten days
    counts = run(engine, story, T0 + timedelta(days=10))
    assert counts == {"drafted": 1, "approved": 0, "skipped": 1, "tagged": 0, "existing": 0}
    assert outbox(engine, story) == [
        ("welcome", "private", ["ada"], "skipped", "too_late"),
        ("welcome", "private", ["bruno"], "drafted", None),
    ]
    run(engine, story, T0 + timedelta(days=10, minutes=1))
    assert len(outbox(engine, story)) == 2


def test_do_not_contact_left_and_bots_get_nothing(engine: Engine) -> None:
    joined = T0 + timedelta(hours=1)
    story = ingest(
        engine,
        [
            person("ada", joined=joined),
            person("bruno", joined=joined, is_bot=True),
            person("chloe", joined=joined, left_at=joined + timedelta(minutes=30)),
            person("dora", joined=joined),
        ],
    )
    with engine.begin() as conn:
        conn.execute(
            members.update().where(members.c.id == story["dora"]).values(do_not_contact=True)
        )
    enable(engine, story, WELCOME_ONLY)
    run(engine, story, T0 + timedelta(hours=2))
    assert outbox(engine, story) == [("welcome", "private", ["ada"], "drafted", None)]


def test_weekly_welcome_names_each_joiner_once_in_posts_of_at_most_100(engine: Engine) -> None:
    # Sunday 2026-03-08 18:00 in Paris is 17:00 UTC; the week is [Sun 1 March 18:00, Sun 8 March 18:00) local
    week_end = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    joiners = [
        person(f"m{i:03d}", joined=week_end - timedelta(days=6, minutes=i)) for i in range(250)
    ]
    story = ingest(
        engine,
        [
            *joiners,
            person("late", joined=week_end + timedelta(minutes=1)),
            person("early", joined=week_end - timedelta(days=7, minutes=1)),
        ],
    )
    enable(
        engine,
        story,
        """
rules:
  - name: weekly_welcome
    trigger: weekly
    day: sunday
    time: "18:00"
    actions:
      - {draft_message: weekly_welcome, channel: post}
""",
    )
    assert run(engine, story, week_end - timedelta(seconds=1))["drafted"] == 0
    assert run(engine, story, week_end + timedelta(minutes=5))["drafted"] == 3
    rows = outbox(engine, story)
    assert [len(r[2]) for r in rows] == [100, 100, 50]
    named = [n for r in rows for n in r[2]]
    assert sorted(named) == sorted(
        f"m{i:03d}" for i in range(250)
    )  # once each; not "late", not "early"
    assert named[0] == "m249"  # the earliest joiner first
    with engine.connect() as conn:
        first = list_messages(conn, story.community.id)[0]
    assert first.body.startswith(
        "This week (March 1, 2026 to March 8, 2026), 250 new members joined Cats."
    )
    assert first.due_at == week_end
    # a member imported late for that week does not reshuffle the posts
    ingest(engine, [person("straggler", joined=week_end - timedelta(days=1))])
    assert run(engine, story, week_end + timedelta(minutes=10))["drafted"] == 0


def test_templates_follow_the_member_language(engine: Engine) -> None:
    joined = T0 + timedelta(hours=1)
    story = ingest(
        engine,
        [
            person("ada", joined=joined, language="fr"),
            person("bruno", joined=joined, language="en"),
            person("chloe", joined=joined, language="de"),
        ],
        language="fr",
    )
    enable(engine, story, WELCOME_ONLY)
    run(engine, story, T0 + timedelta(hours=2))
    with engine.connect() as conn:
        rows = {m.member_ids[0]: m for m in list_messages(conn, story.community.id)}
    ada, bruno, chloe = rows[story["ada"]], rows[story["bruno"]], rows[story["chloe"]]
    assert (ada.language, ada.subject) == ("fr", "Bienvenue sur Cats, Ada\u202f!")
    assert (bruno.language, bruno.subject) == ("en", "Welcome to Cats, Bruno!")
    assert chloe.language == "fr"  # no German template: the community's language
    assert (
        "Start here" not in ada.body and "Pour bien commencer" not in ada.body
    )  # no links configured


def test_a_user_template_overrides_the_built_in_one(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "welcome.txt.j2").write_text(
        "Subject: Hey\nHello {{ member.name }} from {{ community }}.\n"
    )
    story = ingest(engine, [person("ada", joined=T0 + timedelta(hours=1))])
    enable(engine, story, WELCOME_ONLY)
    run(engine, story, T0 + timedelta(hours=2), templates=Templates(tmp_path))
    with engine.connect() as conn:
        (message,) = list_messages(conn, story.community.id)
    assert (message.subject, message.body) == ("Hey", "Hello Ada from Cats.")


def test_the_default_playbook_follows_a_member_through_her_first_year(engine: Engine) -> None:
    joined = T0 + timedelta(hours=1)
    story = ingest(
        engine,
        [
            person("ada", joined=joined),
            act("a1", "ada", "post", joined + timedelta(days=1)),
            person("bruno", joined=joined),
        ],
    )
    enable(engine, story)
    for day in range(0, 370, 3):  # a tick every three days: within every rule's max delay
        run(engine, story, T0 + timedelta(days=day, hours=12))
    rules = [(rule, names, status) for rule, _, names, status, _ in outbox(engine, story)]
    assert rules == [
        ("welcome", ["ada"], "drafted"),
        ("welcome", ["bruno"], "drafted"),
        ("weekly_welcome", ["ada", "bruno"], "drafted"),
        ("newcomer_checkin", ["bruno"], "drafted"),  # silent 14 days after joining
        ("newcomer_checkin", ["ada"], "drafted"),  # silent 14 days after her first post
        ("two_months", ["ada"], "drafted"),
        ("two_months", ["bruno"], "drafted"),
        ("anniversary", ["ada"], "drafted"),
        ("anniversary", ["bruno"], "drafted"),
    ]


def test_holdout_is_deterministic_and_recorded(engine: Engine) -> None:
    ids = range(1, 20_001)
    held = [i for i in ids if in_holdout("two_months", i, 0.1)]
    assert held == [i for i in ids if in_holdout("two_months", i, 0.1)]
    assert 0.09 < len(held) / len(ids) < 0.11
    assert held != [i for i in ids if in_holdout("anniversary", i, 0.1)]  # each rule draws its own
    story = ingest(engine, [person(f"m{i:02d}", joined=T0 + timedelta(hours=1)) for i in range(40)])
    enable(
        engine,
        story,
        """
rules:
  - name: welcome
    trigger: member_joined
    holdout: 0.25
    actions:
      - {draft_message: welcome, channel: private}
      - {tag_member: welcomed}
""",
    )
    run(engine, story, T0 + timedelta(hours=2))
    rows = outbox(engine, story)
    expected = sorted(n for n, i in story.ids.items() if in_holdout("welcome", i, 0.25))
    assert sorted(names[0] for _, _, names, _, reason in rows if reason == "holdout") == expected
    assert 0 < len(expected) < 40
    with engine.connect() as conn:
        tagged = set(conn.execute(select(member_tags.c.member_id)).scalars())
    assert tagged == {i for n, i in story.ids.items() if n not in expected}


def test_returned_after_and_first_contribution(engine: Engine) -> None:
    story = ingest(
        engine,
        [
            person("ada", joined=T0 - timedelta(days=200)),
            act("a1", "ada", "post", T0 - timedelta(days=100)),
            act("a2", "ada", "reply", T0 + timedelta(days=2)),
            person("bruno", joined=T0 - timedelta(days=10)),
            act("b1", "bruno", "comment", T0 + timedelta(days=1)),
        ],
    )
    enable(
        engine,
        story,
        """
rules:
  - name: welcome_back
    trigger: returned_after
    days: 30
    actions: [{draft_message: welcome, channel: private}]
  - name: thanks
    trigger: first_contribution
    actions: [{notify_staff: staff_note}]
""",
    )
    run(engine, story, T0 + timedelta(days=3))
    assert outbox(engine, story) == [
        ("thanks", "staff", ["bruno"], "approved", None),
        ("welcome_back", "private", ["ada"], "drafted", None),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - name: a\n    trigger: days_after_joining\n    actions: [{draft_message: welcome}]\n",
            "test.yaml, line 2: field 'trigger': unknown trigger 'days_after_joining'",
        ),
        (
            "rules:\n  - name: a\n    trigger: days_after_join\n    actions: [{draft_message: welcome}]\n",
            "test.yaml, line 2: field 'days': trigger 'days_after_join' needs this field.",
        ),
        (
            "rules:\n  - name: a\n    trigger: member_joined\n    conditions: {state: sleepy}\n"
            "    actions: [{draft_message: welcome}]\n",
            "test.yaml, line 2: field 'value': 'sleepy' is not one of",
        ),
        (
            "rules:\n  - name: a\n    trigger: weekly\n    time: teatime\n    actions: [{draft_message: welcome}]\n",
            "test.yaml, line 2: field 'time': 'teatime' is not a time of day",
        ),
        (
            "rules:\n  - name: a\n    trigger: member_joined\n    actions:\n"
            "      - {draft_message: welcome, channel: sms}\n",
            "test.yaml, line 5: field 'channel': 'sms' is not one of private, email, post.",
        ),
    ],
)
def test_a_mistake_in_a_playbook_names_the_line_and_field(text: str, message: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_playbook(text, path="test.yaml")
    assert str(caught.value).startswith(message)


def test_anniversary_of_a_leap_day_joiner() -> None:
    from tending.playbooks.triggers import add_years

    assert add_years(datetime(2024, 2, 29, 8, tzinfo=UTC), 1) == datetime(
        2025, 2, 28, 8, tzinfo=UTC
    )
    assert isinstance(MemberRecord, type)


STATE_RULES = """
rules:
  - name: gone_inactive
    trigger: inactive_for
    days: 10
    max_delay_days: 60
    conditions: {state: inactive}
    actions: [{draft_message: welcome, channel: private}]
  - name: gone_quiet
    trigger: inactive_for
    days: 10
    max_delay_days: 60
    conditions: {state: quiet}
    actions: [{draft_message: welcome, channel: private}]
"""


def test_a_rule_state_is_the_members_list_state_with_the_community_settings(engine: Engine) -> None:
    """With inactive_days 20, ada (silent 25 days) is inactive and bruno (silent 16 days, a regular who
    wrote every other day) is quiet, for the members list and for the rules alike; the old local rule
    (60 days in UTC, no quiet state) called them both active."""
    from tending.actions.members import get_member_list
    from tending.store.communities import do_update_community_settings, get_community_by_id

    now = T0 + timedelta(days=60)
    joined = now - timedelta(days=100)

    def every_other_day(who: str, until: datetime) -> list:
        days = (until - joined).days // 2
        return [
            act(f"{who}-{n}", who, "reply", joined + timedelta(days=2 * n)) for n in range(days + 1)
        ]

    story = ingest(
        engine,
        [
            person("ada", joined=joined),
            person("bruno", joined=joined),
            person("chloe", joined=joined),
            *every_other_day("ada", now - timedelta(days=25)),
            *every_other_day("bruno", now - timedelta(days=16)),
            *every_other_day("chloe", now - timedelta(days=1)),
        ],
    )
    with engine.begin() as conn:
        do_update_community_settings(conn, story.community, {"inactive_days": 20}, actor="lea")
        story.community = get_community_by_id(conn, story.community.id)
    enable(engine, story, STATE_RULES, since=now - timedelta(days=30))
    with engine.connect() as conn:
        listed = {
            state: [
                r.member.external_id
                for r in get_member_list(conn, story.community, as_of=now, state=state).rows
            ]
            for state in ("inactive", "quiet", "active")
        }
        _, plan = get_plan(conn, story.community, now=now)
    assert listed == {"inactive": ["ada"], "quiet": ["bruno"], "active": ["chloe"]}
    assert sorted((item["rule"], item["members"]) for item in plan.to_json()) == [
        ("gone_inactive", ["ada"]),
        ("gone_quiet", ["bruno"]),
    ]


def _joiner(joined_at: datetime) -> MemberSnapshot:
    return MemberSnapshot(
        id=1,
        external_id="ada",
        display_name="Ada",
        handle=None,
        platform="custom",
        language="fr",
        joined_at=joined_at,
        left_at=None,
    )


def test_a_delay_in_days_counts_local_calendar_days_across_the_clock_change() -> None:
    """Issue "a volunteer admin's first week": a member who joined on 6 October (midnight in Paris, summer
    time) was due at 23:00 on 4 December, the evening before, with 24-hour UTC days."""
    from zoneinfo import ZoneInfo

    from tending.playbooks.model import TriggerContext
    from tending.playbooks.triggers import anniversary, days_after_join

    paris = ZoneInfo("Europe/Paris")
    joined = datetime(2026, 10, 6, tzinfo=paris).astimezone(UTC)
    ctx = TriggerContext(
        members=(_joiner(joined),), start=joined, end=joined + timedelta(days=800), zone=paris
    )
    [two_months] = days_after_join({"days": 60, "time": "10:00"}, ctx)
    assert two_months.due_at.astimezone(paris) == datetime(2026, 12, 5, 10, 0, tzinfo=paris)
    assert (
        two_months.label == "joined-2026-10-05+60d"
    )  # labels keep their UTC day: stored keys stay the same
    [year] = anniversary({"years": 1, "time": "09:30"}, ctx)
    assert year.due_at.astimezone(paris) == datetime(2027, 10, 6, 9, 30, tzinfo=paris)


def test_a_delay_rule_with_a_wrong_time_names_the_field() -> None:
    text = (
        "rules:\n  - name: a\n    trigger: days_after_join\n    days: 60\n    time: matin\n"
        "    actions: [{draft_message: welcome}]\n"
    )
    with pytest.raises(
        BadInputError, match=r"test.yaml, line 2: field 'time': 'matin' is not a time of day"
    ):
        parse_playbook(text, path="test.yaml")


def test_the_welcome_offers_the_communitys_start_link_not_the_placeholder(engine: Engine) -> None:
    """The built-in playbook's "Start here" is https://example.org/start, a placeholder that must never
    reach real members: the community's own link (tending communities set --start-url) replaces it."""
    from tending.actions.communities import do_set_start_url, get_community_by_id

    joined = T0 + timedelta(hours=1)
    story = ingest(engine, [person("ada", joined=joined, language="fr")], language="fr")
    with engine.begin() as conn:
        do_set_start_url(conn, story.community, "https://chats-diabetiques.fr/regles", actor="lea")
        story.community = get_community_by_id(conn, story.community.id)
    enable(engine, story)  # the built-in playbook, with its placeholder link
    run(engine, story, T0 + timedelta(hours=2))
    with engine.connect() as conn:
        [welcome] = [m for m in list_messages(conn, story.community.id) if m.rule == "welcome"]
    assert "- Commencer ici\u00a0: https://chats-diabetiques.fr/regles" in welcome.body
    assert "example.org/start" not in welcome.body


def test_the_built_in_playbook_is_refused_while_its_start_link_is_a_placeholder(
    engine: Engine,
) -> None:
    """Enabling the built-in playbook as it ships would send https://example.org/start to real members:
    it is refused, nothing is enabled, until the community has its own link; a text of the community's
    own that still holds a documentation address is refused the same way."""
    from tending.actions.communities import (
        do_set_start_url,
        do_update_community_settings,
        get_community_by_id,
    )
    from tending.store.outbox import get_enabled_playbook

    story = ingest(engine, [person("ada", joined=T0)], language="fr")
    with engine.begin() as conn, pytest.raises(UsageError) as refused:
        do_enable_playbook(conn, story.community, default_playbook(), since=T0, actor="lea")
    assert str(refused.value) == (
        "the playbook 'default' still holds a placeholder (links: https://example.org/start), which "
        "would reach real members: give 'Cats' its own link (tending communities set \"Cats\" --start-url "
        "URL, or the community's page on the web) or change the text, then enable it."
    )
    with engine.begin() as conn:
        assert get_enabled_playbook(conn, story.community.id) is None
        community = do_set_start_url(conn, story.community, START_URL, actor="lea")
        texts = {
            "fr": {"welcome": "Bonjour {{ member.name }}, lisez https://www.example.com/regles"}
        }
        community = do_update_community_settings(
            conn, community, {"onboarding_texts": texts}, actor="lea"
        )
    with (
        engine.begin() as conn,
        pytest.raises(UsageError, match=r"fr/welcome: https://www.example.com/regles"),
    ):
        do_enable_playbook(conn, community, default_playbook(), since=T0, actor="lea")
    with engine.begin() as conn:
        community = do_update_community_settings(
            conn, community, {"onboarding_texts": {}}, actor="lea"
        )
        do_enable_playbook(conn, community, default_playbook(), since=T0, actor="lea")
        assert get_enabled_playbook(conn, get_community_by_id(conn, community.id).id) is not None


def test_rules_read_in_plain_words_in_both_languages() -> None:
    """The French page showed rules in config syntax (`weekly day=sunday time=18:00 batch=100`)."""
    from tending.actions.onboarding import describe_rules

    english = describe_rules(default_playbook(), "en")
    french = describe_rules(default_playbook(), "fr")
    assert english["weekly_welcome"].trigger == "every Sunday at 18:00, up to 100 people per post"
    assert french["weekly_welcome"].trigger == (
        "chaque dimanche à 18:00, jusqu’à 100 personnes par publication"
    )
    assert english["two_months"].trigger == "60 days after joining, at 10:00"
    assert english["two_months"].conditions == ["nobody wrote to them in the last 14 days"]
    assert french["anniversary"].trigger == "le jour anniversaire de l’arrivée, à 10:00"
    assert french["newcomer_checkin"].conditions == [
        "son état est nouveau venu",  # the state by the name the member page gives it
        "personne ne lui a écrit depuis 7 jours",
    ]
