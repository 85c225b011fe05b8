"""Lifecycle definitions, to the second: pure functions over hand-made facts."""

from __future__ import annotations

from datetime import datetime

import pytest

from tending.errors import UsageError
from tending.lib.lifecycle import (
    ACTIVE,
    BOT,
    INACTIVE,
    LEFT,
    LURKER,
    NEWCOMER,
    QUIET,
    LifecycleSettings,
    MemberFacts,
    is_inactive,
    is_quiet,
    state_of,
    usual_gap,
)
from tests.members.story import SECOND, T, days

DEFAULTS = LifecycleSettings()


def facts(
    *,
    joined: datetime | None = None,
    last: datetime | None = None,
    first: datetime | None = None,
    n: int | None = None,
    left: datetime | None = None,
    bot: bool = False,
) -> MemberFacts:
    if n is None:
        n = 0 if last is None else 1
    return MemberFacts(
        member_id=1,
        joined_at=joined if joined is not None else T - days(400),
        left_at=left,
        is_bot=bot,
        contributions=n,
        first_contribution_at=first or last,
        last_contribution_at=last,
    )


def test_a_contribution_exactly_n_days_before_is_outside_the_window() -> None:
    ada = facts(last=T - days(60))
    assert is_inactive(ada, as_of=T, days=60)


def test_a_contribution_one_second_later_is_inside_the_window() -> None:
    bruno = facts(last=T - days(60) + SECOND)
    assert not is_inactive(bruno, as_of=T, days=60)


def test_a_contribution_at_t_itself_is_inside() -> None:
    assert not is_inactive(facts(last=T), as_of=T, days=60)


def test_joined_exactly_n_days_before_counts_one_second_later_does_not() -> None:
    chloe = facts(joined=T - days(60))
    dmitri = facts(joined=T - days(60) + SECOND)
    assert is_inactive(chloe, as_of=T, days=60)
    assert not is_inactive(dmitri, as_of=T, days=60)


def test_members_who_left_and_bots_are_never_inactive() -> None:
    assert not is_inactive(facts(left=T - days(1)), as_of=T, days=60)
    assert not is_inactive(facts(left=T), as_of=T, days=60)  # left at T: gone at T
    assert is_inactive(facts(left=T + SECOND), as_of=T, days=60)  # leaves after T: still there at T
    assert not is_inactive(facts(bot=True), as_of=T, days=60)


def test_an_unknown_join_date_is_never_inactive() -> None:
    nobody = MemberFacts(
        member_id=9,
        joined_at=None,
        left_at=None,
        is_bot=False,
        contributions=0,
        first_contribution_at=None,
        last_contribution_at=None,
    )
    assert not is_inactive(nobody, as_of=T, days=0)
    assert state_of(nobody, as_of=T, settings=DEFAULTS) is None


def test_newcomer_is_less_than_thirty_days() -> None:
    assert state_of(facts(joined=T - days(30) + SECOND), as_of=T, settings=DEFAULTS) == NEWCOMER
    assert state_of(facts(joined=T - days(30)), as_of=T, settings=DEFAULTS) == LURKER
    # a newcomer stays a newcomer even after contributing
    assert (
        state_of(facts(joined=T - days(3), last=T - days(1)), as_of=T, settings=DEFAULTS)
        == NEWCOMER
    )


def test_not_yet_joined_has_no_state() -> None:
    assert state_of(facts(joined=T + SECOND), as_of=T, settings=DEFAULTS) is None


def test_states_in_order_of_precedence() -> None:
    assert state_of(facts(bot=True), as_of=T, settings=DEFAULTS) == BOT
    assert state_of(facts(left=T - days(5), last=T - days(1)), as_of=T, settings=DEFAULTS) == LEFT
    assert (
        state_of(facts(), as_of=T, settings=DEFAULTS) == LURKER
    )  # a lurker of 400 days is a lurker
    assert state_of(facts(last=T - days(61)), as_of=T, settings=DEFAULTS) == INACTIVE
    assert state_of(facts(last=T - days(2)), as_of=T, settings=DEFAULTS) == ACTIVE


def test_quiet_is_a_regular_silent_for_three_times_their_gap_and_two_weeks() -> None:
    # every 2 days, 5 contributions, last one 14 days ago: 14 > 3 x 2 and 14 >= 14
    eva = facts(first=T - days(22), last=T - days(14), n=5)
    assert usual_gap(eva) == days(2)
    assert is_quiet(eva, as_of=T, settings=DEFAULTS)
    assert state_of(eva, as_of=T, settings=DEFAULTS) == QUIET
    # one second short of two weeks: not yet
    assert not is_quiet(
        facts(first=T - days(22) + SECOND, last=T - days(14) + SECOND, n=5),
        as_of=T,
        settings=DEFAULTS,
    )


def test_quiet_needs_more_than_three_gaps() -> None:
    # every 10 days; silent 30 days exactly = 3 gaps: not more than three times, so not quiet
    fatou = facts(first=T - days(70), last=T - days(30), n=5)
    assert not is_quiet(fatou, as_of=T, settings=DEFAULTS)
    assert is_quiet(
        facts(first=T - days(70), last=T - days(30) - SECOND, n=5), as_of=T, settings=DEFAULTS
    )


def test_quiet_needs_a_regular() -> None:
    two = facts(first=T - days(40), last=T - days(39), n=2)
    assert not is_quiet(two, as_of=T, settings=DEFAULTS)
    assert is_quiet(two, as_of=T, settings=LifecycleSettings(quiet_min_contributions=2))


def test_settings_come_from_the_community_and_are_checked() -> None:
    settings = LifecycleSettings.from_settings(
        {"inactive_days": 30, "quiet_gap_factor": 2, "other": "x"}
    )
    assert settings.inactive_days == 30 and settings.quiet_gap_factor == 2.0
    assert state_of(facts(last=T - days(31)), as_of=T, settings=settings) == INACTIVE
    with pytest.raises(UsageError, match="inactive_days"):
        LifecycleSettings.from_settings({"inactive_days": "sixty"})
    with pytest.raises(UsageError, match="count_reactions"):
        LifecycleSettings.from_settings({"count_reactions": 1})
    with pytest.raises(UsageError, match="newcomer_days"):
        LifecycleSettings.from_settings({"newcomer_days": 2.5})
