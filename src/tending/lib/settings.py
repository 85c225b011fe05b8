"""Community settings, as a registry: every setting's name, type, default and one line of help.

A community's settings are a JSON object (communities.settings); nested settings are named with a dot
(`alerts.min_volume` is `{"alerts": {"min_volume": ...}}`). Code reads them through get_setting(), which
knows every name and checks every value: an unknown name or a wrong type is one sentence naming the
setting. docs/settings.md is generated from this registry (`uv run python -m tending.lib.settings`), and a
test fails when it is stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tending.errors import UsageError


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    kind: type  # bool, int, float, str, list or dict
    default: Any
    help: str
    group: str

    @property
    def type_name(self) -> str:
        return {
            bool: "true or false",
            int: "whole number >= 0",
            float: "number >= 0",
            str: "text",
            list: "list",
            dict: "object",
        }[self.kind]


_MISSING = object()


def _entries() -> list[Setting]:
    lifecycle, checkins, alerts = "Member states", "Check-ins", "Alerts"
    return [
        Setting(
            "inactive_days",
            int,
            60,
            "A member is inactive after this many days without a contribution.",
            lifecycle,
        ),
        Setting(
            "newcomer_days",
            int,
            30,
            "A member is a newcomer for this many days after joining.",
            lifecycle,
        ),
        Setting(
            "quiet_gap_factor",
            float,
            3.0,
            "A regular is quiet once silent for more than this many times "
            "their usual gap between contributions...",
            lifecycle,
        ),
        Setting("quiet_min_days", int, 14, "...and for at least this many days.", lifecycle),
        Setting(
            "quiet_min_contributions",
            int,
            3,
            "A regular (who can be quiet) has made at least this many contributions.",
            lifecycle,
        ),
        Setting(
            "count_reactions",
            bool,
            False,
            "Whether a reaction counts as a contribution.",
            lifecycle,
        ),
        Setting(
            "segments_window_days",
            int,
            90,
            "The window of the 90-9-1 segments, in days (positive).",
            lifecycle,
        ),
        Setting(
            "checkin_newcomer_months",
            int,
            6,
            "A member who joined within this many months and fell silent is worth a check-in.",
            checkins,
        ),
        Setting(
            "checkin_silence_days", int, 14, "How long such a newcomer has been silent.", checkins
        ),
        Setting(
            "checkin_unanswered_days",
            int,
            7,
            "A member whose last post has waited this many days without "
            "a reply is worth a check-in.",
            checkins,
        ),
        Setting(
            "checkin_lookback_days",
            int,
            365,
            "Only members who contributed within this many days are considered.",
            checkins,
        ),
        Setting(
            "checkin_cooldown_days",
            int,
            90,
            "Nobody is checked in on twice within this many days.",
            checkins,
        ),
        Setting(
            "checkin_outcome_days",
            int,
            30,
            "A check-in succeeded if the member contributed within this many days.",
            checkins,
        ),
        Setting(
            "alerts.history_days",
            int,
            28,
            "Days of history each alert compares today with.",
            alerts,
        ),
        Setting(
            "alerts.mad_threshold",
            float,
            4.5,
            "Robust z-score at which a volume or rate alerts (4.5: about "
            "one false alarm in 1,300 days on Gaussian volumes).",
            alerts,
        ),
        Setting(
            "alerts.min_volume",
            int,
            10,
            "A spike of fewer contributions than this does not alert.",
            alerts,
        ),
        Setting(
            "alerts.min_negative",
            int,
            3,
            "Negative or toxic messages needed in a day before the rate can alert.",
            alerts,
        ),
        Setting(
            "alerts.rate_floor",
            float,
            0.05,
            "The negative rate's robust spread never falls below this.",
            alerts,
        ),
        Setting("alerts.min_flags", int, 3, "Flags in a day needed to alert.", alerts),
        Setting(
            "alerts.unanswered_after_hours",
            int,
            24,
            "A thread is unanswered once it waited this long.",
            alerts,
        ),
        Setting(
            "alerts.backlog_days",
            int,
            7,
            "Unanswered threads started within this many days count in the backlog.",
            alerts,
        ),
        Setting("alerts.min_backlog", int, 5, "Unanswered threads needed to alert.", alerts),
        Setting(
            "alerts.heated_min_messages",
            int,
            8,
            "A heated thread has at least this many messages in 24 hours...",
            alerts,
        ),
        Setting(
            "alerts.heated_top_two_share",
            float,
            0.7,
            "...this share of them by its two most active people...",
            alerts,
        ),
        Setting(
            "alerts.heated_max_gap_minutes",
            float,
            10.0,
            "...a median gap between messages of at most this many minutes...",
            alerts,
        ),
        Setting(
            "alerts.heated_negative_share",
            float,
            0.3,
            "...and at least this share of negative messages.",
            alerts,
        ),
        Setting(
            "alerts.per_kind_per_day", int, 3, "At most this many alerts of one kind a day.", alerts
        ),
        Setting(
            "alerts.channel",
            str,
            "",
            "Where alerts are drafted: empty for a staff note, else an outbox "
            "channel (private, email) for one message per staff member.",
            alerts,
        ),
        Setting(
            "moderation.offtopic_tolerance",
            float,
            0.25,
            "The weekly share of unlike messages above which a week is flagged as off-topic drift.",
            "Moderation",
        ),
        Setting(
            "notify.enabled",
            bool,
            False,
            "Post a short notice to the team's channel (the staff delivery route: a Matrix room, a "
            "Slack or Discord webhook, or e-mail) for each new high-severity moderation item, alert "
            "and appeal.",
            "Team notices",
        ),
        Setting(
            "notify.include_text",
            bool,
            False,
            "Whether a notice quotes the message it is about (by default it names the signal, the "
            "score and the item, never the text).",
            "Team notices",
        ),
        Setting(
            "notify.per_hour",
            int,
            6,
            "At most this many notices an hour; the next notice counts those held back.",
            "Team notices",
        ),
        Setting(
            "notify.dashboard_url",
            str,
            "",
            "The dashboard's address as the team reaches it (https://tending.example.org): notices "
            "link to the item there (empty: the link is a path on the dashboard).",
            "Team notices",
        ),
        Setting(
            "onboarding_links",
            list,
            [],
            "Links offered in onboarding messages, in place of the playbook's "
            "(tending communities set --start-url).",
            "Onboarding",
        ),
        Setting(
            "onboarding_texts",
            dict,
            {},
            "The community's own onboarding texts, by language then template "
            '(`{"fr": {"welcome": "..."}}`), edited on the web; they come before the built-in ones.',
            "Onboarding",
        ),
        Setting(
            "delivery",
            dict,
            {},
            "The community's own delivery settings over the config file's "
            "[delivery] table, one level deep; secrets are never read from here (docs/delivery.md).",
            "Delivery",
        ),
        Setting(
            "retention.text_days",
            int,
            0,
            "Message texts older than this many days are removed by the "
            "worker's nightly pass, counts and rollups kept (0: texts are kept; docs/privacy.md).",
            "Privacy",
        ),
        Setting(
            "demo",
            dict,
            {},
            "Written by `tending demo`: the seed, size and state of the demo build.",
            "Demo",
        ),
    ]


SETTINGS: dict[str, Setting] = {s.name: s for s in _entries()}


def check_value(spec: Setting, value: Any) -> Any:
    """`value` as the setting's type, or one sentence naming the setting."""
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise UsageError(
                f"community setting '{spec.name}' must be true or false, not {value!r}."
            )
        return value
    if spec.kind in (int, float):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value < 0
            or (spec.kind is int and value != int(value))
        ):
            raise UsageError(
                f"community setting '{spec.name}' must be a non-negative "
                f"{'whole ' if spec.kind is int else ''}number, not {value!r}."
            )
        return spec.kind(value)
    if spec.kind is str:
        if not isinstance(value, str):
            raise UsageError(f"community setting '{spec.name}' must be a text, not {value!r}.")
        return value
    if not isinstance(value, spec.kind):
        raise UsageError(
            f"community setting '{spec.name}' must be a{'n object' if spec.kind is dict else ' list'}, "
            f"not {value!r}."
        )
    return value


def _raw(settings: Mapping[str, Any], name: str) -> Any:
    value: Any = settings
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def get_setting(settings: Mapping[str, Any], name: str) -> Any:
    """The community setting `name` from a community's settings, checked, or its default when unset."""
    spec = SETTINGS.get(name)
    if spec is None:
        raise UsageError(f"'{name}' is not a community setting (see docs/settings.md).")
    value = _raw(settings, name)
    if value is _MISSING or (value is None and spec.kind in (str, list, dict)):  # null: as if unset
        return spec.default.copy() if isinstance(spec.default, list | dict) else spec.default
    return check_value(spec, value)


def check_settings(settings: Mapping[str, Any]) -> None:
    """Every setting given is known and of its type (a group such as `alerts` must be an object)."""
    groups = {name.split(".")[0] for name in SETTINGS if "." in name}
    for key, value in settings.items():
        if key in groups:
            if not isinstance(value, Mapping):
                raise UsageError(
                    f"community setting '{key}' must be an object of {key}.* settings, not {value!r}."
                )
            for sub in value:
                get_setting(settings, f"{key}.{sub}")
        else:
            get_setting(settings, key)


def _shown(value: Any) -> str:
    return "true" if value is True else "false" if value is False else repr(value)


def render_markdown() -> str:
    """docs/settings.md: every setting, by group."""
    lines = [
        "# Community settings",
        "",
        "Generated from the registry in `src/tending/lib/settings.py` by "
        "`uv run python -m tending.lib.settings > docs/settings.md`; a test fails when it is out of date.",
        "",
        "A community's settings are a JSON object; a dotted name is nested (`alerts.min_volume` is "
        '`{"alerts": {"min_volume": 12}}`). Every read goes through `tending.lib.settings.get_setting`, '
        "which refuses an unknown name or a wrong type with one sentence naming the setting.",
        "",
    ]
    groups: dict[str, list[Setting]] = {}
    for spec in SETTINGS.values():
        groups.setdefault(spec.group, []).append(spec)
    for group, specs in groups.items():
        lines += [f"## {group}", "", "| Setting | Type | Default | Meaning |", "|---|---|---|---|"]
        lines += [
            f"| `{s.name}` | {s.type_name} | `{_shown(s.default)}` | {s.help} |" for s in specs
        ]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
