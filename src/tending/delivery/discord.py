"""Discord, through an incoming webhook (https://discord.com/developers/docs/resources/webhook#execute-webhook):
POST {webhook_url}?wait=true with JSON {"content", "allowed_mentions"}. Webhooks can only post in their
channel, so Discord carries posts and staff notes, not private messages. Content is limited to 2000
characters: longer posts go as several messages, in order; if one of them fails after others went out,
the row is marked for a human to check. Discord offers no idempotency key."""

from __future__ import annotations

from dataclasses import dataclass

from tending.delivery.base import (
    DeliveryError,
    Outbound,
    PartialDelivery,
    PermanentError,
    Sent,
    split_text,
)
from tending.delivery.http import client, json_of, request

LIMIT = 2000


@dataclass
class DiscordSettings:
    webhook_url: str | None = None  # a credential: never logged (posts)
    staff_webhook_url: str | None = None
    username: str | None = None
    timeout: float = 30.0


class DiscordTransport:
    name = "discord"
    idempotent = False

    def __init__(self, settings: DiscordSettings) -> None:
        self.settings = settings
        self.http = client(timeout=settings.timeout)

    def send(self, message: Outbound) -> Sent:
        if message.kind not in ("post", "staff"):
            raise PermanentError(
                "discord: a webhook can only post in a channel, not send private messages"
            )
        url = (
            self.settings.staff_webhook_url
            if message.kind == "staff"
            else self.settings.webhook_url
        )
        if not url:
            raise PermanentError(
                f"discord: no {'staff_' if message.kind == 'staff' else ''}webhook_url configured in "
                "[delivery.discord]"
            )
        ids: list[str] = []
        for i, piece in enumerate(split_text(message.body, LIMIT)):
            payload: dict[str, object] = {"content": piece, "allowed_mentions": {"parse": []}}
            if self.settings.username:
                payload["username"] = self.settings.username
            try:
                response = request(
                    self.http, "discord", "POST", url, json=payload, params={"wait": "true"}
                )
            except DeliveryError as error:  # request() turns every HTTP failure into one
                if i == 0:
                    raise
                raise PartialDelivery(f"{error} after {i} part(s) went out") from None
            ids.append(str(json_of(response, "discord").get("id")))
        return Sent(external_ref=",".join(ids))

    def close(self) -> None:
        self.http.close()
