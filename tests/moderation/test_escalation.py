from __future__ import annotations

import pytest

from tending.errors import UsageError
from tending.moderation.escalation import check_action, suggest_action


def test_defaults_per_signal() -> None:
    assert suggest_action("self_promotion", None) == "nudge"
    assert suggest_action("spam", None) == "remove"
    assert suggest_action("toxic", None) == "warn"


def test_third_confirmed_flag_suggests_a_warning_then_removal() -> None:
    assert suggest_action("self_promotion", {"flags": 1, "warnings": 0}) == "nudge"
    assert suggest_action("self_promotion", {"flags": 2, "warnings": 0}) == "warn"
    assert suggest_action("repost", {"flags": 4, "warnings": 2}) == "remove"


def test_unknown_action_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="'ban' is not an action"):
        check_action("ban")


def test_a_complaint_is_answered_whatever_the_members_history() -> None:
    from tending.moderation.escalation import NOT_COUNTED, suggest_action

    assert suggest_action("complaint", None) == "nudge"
    assert suggest_action("complaint", {"flags": 5, "warnings": 3}) == "nudge"
    assert "complaint" in NOT_COUNTED
