"""Which transport carries each channel, and their settings: the config file's [delivery] tables, overridden
per community by its `delivery` setting (never for credentials). Credentials come from the environment
(TENDING_<TRANSPORT>_<KEY>, e.g. TENDING_SMTP_PASSWORD) or the config file, through tending.config.secret;
they are never logged nor written to the database.

    [delivery]
    private = "matrix"     # private messages: matrix, discourse, slack or email (smtp)
    post = "discord"       # public posts: matrix, discord, discourse or slack
    staff = "email"        # staff notes: any of them

    [delivery.smtp]
    host = "smtp.example.org"  port = 587  security = "starttls"  username = "bot"  sender = "Team <team@example.org>"
    [delivery.matrix]
    homeserver = "https://matrix.example.org"  post_room = "!abc:example.org"   # TENDING_MATRIX_ACCESS_TOKEN
    [delivery.discord]                                                        # TENDING_DISCORD_WEBHOOK_URL
    [delivery.discourse]
    url = "https://forum.example.org"  api_username = "system"  post_topic_id = 12   # TENDING_DISCOURSE_API_KEY
    [delivery.slack]
    post_channel = "C0123"                                                     # TENDING_SLACK_TOKEN
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any

from tending.config import secret
from tending.delivery.base import ConfigurationError, DeliveryError, Transport
from tending.delivery.discord import DiscordSettings, DiscordTransport
from tending.delivery.discourse import DiscourseSettings, DiscourseTransport
from tending.delivery.matrix import MatrixSettings, MatrixTransport
from tending.delivery.slack import SlackSettings, SlackTransport
from tending.delivery.smtp import SECURITY, SmtpSettings, SmtpTransport
from tending.errors import UsageError
from tending.lib.settings import get_setting

TRANSPORTS = ("smtp", "matrix", "discord", "discourse", "slack")
ALIASES = {"email": "smtp"}
SECRETS = {
    "smtp": ("password",),
    "matrix": ("access_token",),
    "discord": ("webhook_url", "staff_webhook_url"),
    "discourse": ("api_key",),
    "slack": ("token", "staff_webhook_url"),
}
SETTINGS: dict[str, Any] = {
    "smtp": SmtpSettings,
    "matrix": MatrixSettings,
    "discord": DiscordSettings,
    "discourse": DiscourseSettings,
    "slack": SlackSettings,
}
DEFAULT_FOR = {"email": "smtp"}
PLATFORM_PRIVATE = {"matrix": "matrix", "discourse": "discourse", "slack": "slack"}


def merged_delivery(
    file_section: dict[str, Any], community_settings: dict[str, Any]
) -> dict[str, Any]:
    """The [delivery] table with the community's own `delivery` setting on top (one level deep)."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in file_section.items()}
    for key, value in get_setting(community_settings, "delivery").items():
        if isinstance(value, dict):
            merged.setdefault(key, {}).update(
                {k: v for k, v in value.items() if k not in SECRETS.get(key, ())}
            )
        else:
            merged[key] = value
    return merged


def transport_settings(name: str, delivery: dict[str, Any]) -> Any:
    """The settings dataclass of transport `name`, or a UsageError naming the missing key."""
    section = dict(delivery.get(name) or {})
    for key in SECRETS[name]:
        value = secret(f"{name}_{key}", {f"{name}_{key}": section[key]} if key in section else None)
        if value is not None:
            section[key] = value
    if name == "smtp":
        section.setdefault("sender", section.pop("from", None))
    cls = SETTINGS[name]
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise UsageError(
            f"[delivery.{name}]: unknown key '{unknown[0]}' (known: {', '.join(sorted(known))})."
        )
    missing = [f.name for f in fields(cls) if f.name not in section and f.default is MISSING]
    for key in missing:
        env = f"TENDING_{name.upper()}_{key.upper()}"
        hint = f" (or the environment variable {env})" if key in SECRETS[name] else ""
        raise UsageError(f"[delivery.{name}]: '{key}' is needed to deliver through {name}{hint}.")
    needs_one = {
        "slack": ("token", "staff_webhook_url"),
        "discord": ("webhook_url", "staff_webhook_url"),
    }
    if name in needs_one and not any(section.get(key) for key in needs_one[name]):
        first, second = needs_one[name]
        raise UsageError(
            f"[delivery.{name}]: '{first}' (or '{second}' for staff notes alone) is needed to deliver "
            f"through {name} (or the environment variable TENDING_{name.upper()}_{first.upper()})."
        )
    if name == "smtp" and section.get("security", "starttls") not in SECURITY:
        raise UsageError(f"[delivery.smtp]: security must be one of {', '.join(SECURITY)}.")
    if "port" in section:
        try:
            section["port"] = int(section["port"])
        except (TypeError, ValueError):
            raise UsageError(
                f"[delivery.{name}]: port must be a number, not '{section['port']}'."
            ) from None
    return cls(**section)


CHANNELS = ("private", "email", "post", "staff")


def check_delivery(
    delivery: dict[str, Any],
    *,
    platform: str | None = None,
    channels: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Every mistake in a [delivery] table, one sentence each (empty when it is fine): each channel that
    is configured, or in `channels` (messages wait on it), has a transport, and every transport named or
    configured has the keys it needs."""
    problems: list[str] = []
    names: set[str] = {name for name in TRANSPORTS if isinstance(delivery.get(name), dict)}
    router = Router(delivery, platform=platform or "")
    for channel in CHANNELS:
        if (
            channel not in delivery
            and channel not in channels
            and (channel != "private" or platform not in PLATFORM_PRIVATE)
        ):
            continue
        try:
            names.add(router.transport_name(channel))
        except ConfigurationError as error:
            problems.append(str(error))
    unknown = sorted(k for k in delivery if k not in CHANNELS and k not in TRANSPORTS)
    problems.extend(f"[delivery]: unknown key '{key}'." for key in unknown)
    for name in sorted(names):
        try:
            transport_settings(name, delivery)
        except UsageError as error:
            problems.append(str(error))
    return problems


class Router:
    """Picks and builds (once) the transport for each outbox channel of one community."""

    def __init__(
        self,
        delivery: dict[str, Any],
        *,
        platform: str,
        room_store: tuple[Callable[[str, str], str | None], Callable[[str, str, str], None]]
        | None = None,
        overrides: dict[str, Transport] | None = None,
    ) -> None:
        self.delivery = delivery
        self.platform = platform
        self.room_store = room_store
        self.built: dict[str, Transport] = dict(overrides or {})

    def transport_name(self, channel: str) -> str:
        chosen = self.delivery.get(channel) or DEFAULT_FOR.get(channel)
        if chosen is None and channel == "private":
            chosen = PLATFORM_PRIVATE.get(self.platform)
        if chosen is None:
            raise ConfigurationError(
                f"no transport for {channel} messages: set `{channel} = ...` in [delivery]"
            )
        chosen = ALIASES.get(str(chosen), str(chosen))
        if chosen not in TRANSPORTS:
            raise ConfigurationError(
                f"[delivery] {channel} = '{chosen}' is not one of {', '.join(TRANSPORTS)}"
            )
        return chosen

    def transport(self, channel: str) -> Transport:
        name = self.transport_name(channel)
        if name not in self.built:
            self.built[name] = self._build(name)
        return self.built[name]

    def _build(self, name: str) -> Transport:
        try:
            settings = transport_settings(name, self.delivery)
        except UsageError as error:
            raise ConfigurationError(str(error)) from None
        if name == "matrix":
            if self.room_store is None:
                raise ConfigurationError("matrix: no room cache")
            get_room, save_room = self.room_store
            return MatrixTransport(
                settings,
                get_room=lambda a: get_room("matrix", a),
                save_room=lambda a, r: save_room("matrix", a, r),
            )
        builders: dict[str, Any] = {
            "smtp": SmtpTransport,
            "discord": DiscordTransport,
            "discourse": DiscourseTransport,
            "slack": SlackTransport,
        }
        built: Transport = builders[name](settings)
        return built

    def is_idempotent(self, channel: str) -> bool:
        try:
            return self.transport(channel).idempotent
        except DeliveryError:
            return False

    def close(self) -> None:
        for transport in self.built.values():
            transport.close()
