"""Community settings are read through one checked function: defaults, nesting, and one sentence when wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tending.actions.members import get_lifecycle_settings, get_window_days
from tending.errors import UsageError
from tending.lib.alerts import AlertSettings
from tending.lib.settings import check_settings, get_setting
from tending.models import Community
from tending.store.communities import (
    do_create_community,
    do_update_community_settings,
    get_community_by_id,
)


def test_an_unset_setting_is_its_default_and_a_set_one_is_checked() -> None:
    assert get_setting({}, "inactive_days") == 60
    assert get_setting({"inactive_days": 45.0}, "inactive_days") == 45
    assert get_setting({"alerts": {"min_volume": 20}}, "alerts.min_volume") == 20
    assert get_setting({"alerts": {"mad_threshold": 5}}, "alerts.mad_threshold") == 5.0
    assert get_setting({"alerts": None}, "alerts.channel") == ""
    assert (
        get_setting({}, "onboarding_links") == []
        and get_setting({"delivery": None}, "delivery") == {}
    )


@pytest.mark.parametrize(
    ("settings", "name", "message"),
    [
        ({}, "inactve_days", "'inactve_days' is not a community setting (see docs/settings.md)."),
        (
            {"inactive_days": "60"},
            "inactive_days",
            "community setting 'inactive_days' must be a non-negative whole number, not '60'.",
        ),
        (
            {"count_reactions": 1},
            "count_reactions",
            "community setting 'count_reactions' must be true or false, not 1.",
        ),
        (
            {"alerts": {"min_volume": -1}},
            "alerts.min_volume",
            "community setting 'alerts.min_volume' must be a non-negative whole number, not -1.",
        ),
        (
            {"onboarding_links": "https://x"},
            "onboarding_links",
            "community setting 'onboarding_links' must be a list, not 'https://x'.",
        ),
    ],
)
def test_a_wrong_setting_is_one_sentence_naming_it(
    settings: dict[str, object], name: str, message: str
) -> None:
    with pytest.raises(UsageError) as error:
        get_setting(settings, name)
    assert str(error.value) == message


def test_the_shells_read_through_the_registry() -> None:
    cats = Community(
        id=1,
        name="Cats",
        platform="forum",
        timezone="Europe/Paris",
        settings={"inactive_days": 45, "segments_window_days": 30, "alerts": {"min_flags": 5}},
    )
    assert get_lifecycle_settings(cats).inactive_days == 45
    assert get_window_days(cats, None) == 30
    assert AlertSettings.from_settings(cats.settings).min_flags == 5
    with pytest.raises(
        UsageError, match=r"'alerts\.min_flags' must be a non-negative whole number"
    ):
        AlertSettings.from_settings({"alerts": {"min_flags": "many"}})


def test_a_wrong_setting_is_refused_before_anything_is_written(engine: Engine) -> None:
    with engine.begin() as conn:
        cats = do_create_community(conn, "Cats", platform="forum")
        do_update_community_settings(conn, cats, {"alerts": {"per_kind_per_day": 2}}, actor="test")
    with (
        pytest.raises(UsageError, match=r"'alerts\.per_kind_per_dya' is not a community setting"),
        engine.begin() as conn,
    ):
        do_update_community_settings(
            conn,
            get_community_by_id(conn, cats.id),
            {"alerts": {"per_kind_per_dya": 9}},
            actor="test",
        )
    with engine.connect() as conn:
        assert get_community_by_id(conn, cats.id).settings == {"alerts": {"per_kind_per_day": 2}}
    with pytest.raises(UsageError, match="'alerts' must be an object"):
        check_settings({"alerts": 3})
