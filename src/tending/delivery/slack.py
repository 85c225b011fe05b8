"""Slack, through chat.postMessage (https://api.slack.com/methods/chat.postMessage) with a bot token:
POST {api}/chat.postMessage, Authorization: Bearer, JSON {"channel", "text"}. A private message uses the
member's Slack user id as the channel (the app's direct message with them); posts and staff notes go to
configured channels. Slack answers HTTP 200 with {"ok": false, "error"} on most failures; it offers no
idempotency key.

Staff notes (team notices) may instead go to an incoming webhook (https://api.slack.com/messaging/webhooks):
POST {staff_webhook_url} with JSON {"text"}; Slack answers 200 with the body "ok", or an HTTP error with a
short text (400 invalid_payload, 403 action_prohibited, 404 channel_not_found, 410 channel_is_archived).
The webhook URL is a credential (TENDING_SLACK_STAFF_WEBHOOK_URL)."""

from __future__ import annotations

from dataclasses import dataclass

from tending.delivery.base import (
    ConfigurationError,
    DeliveryError,
    Outbound,
    PermanentError,
    Sent,
)
from tending.delivery.http import client, json_of, request

RETRYABLE = {
    "ratelimited",
    "service_unavailable",
    "fatal_error",
    "internal_error",
    "request_timeout",
}


@dataclass
class SlackSettings:
    token: str | None = (
        None  # a credential: never logged; needed unless only the staff webhook is used
    )
    staff_webhook_url: str | None = None  # a credential too
    post_channel: str | None = None
    staff_channel: str | None = None
    api_url: str = "https://slack.com/api"
    timeout: float = 30.0


class SlackTransport:
    name = "slack"
    idempotent = False

    def __init__(self, settings: SlackSettings) -> None:
        self.settings = settings
        self.http = client(
            settings.api_url.rstrip("/"),
            {"Authorization": f"Bearer {settings.token}"} if settings.token else {},
            settings.timeout,
        )

    def _channel(self, message: Outbound) -> str:
        channel = {"post": self.settings.post_channel, "staff": self.settings.staff_channel}.get(
            message.kind, message.address
        )
        if not channel:
            what = (
                f"{message.kind}_channel" if message.kind in ("post", "staff") else "Slack user id"
            )
            raise PermanentError(
                f"slack: no {what}"
                + (f" for member {message.member_id}" if message.member_id is not None else "")
            )
        return channel

    def send(self, message: Outbound) -> Sent:
        if message.kind == "staff" and self.settings.staff_webhook_url:
            return self._send_to_webhook(self.settings.staff_webhook_url, message)
        if not self.settings.token:
            raise ConfigurationError(
                "[delivery.slack]: 'token' is needed to deliver through slack "
                "(or the environment variable TENDING_SLACK_TOKEN)"
            )
        response = request(
            self.http,
            "slack",
            "POST",
            "/chat.postMessage",
            json={"channel": self._channel(message), "text": message.body},
        )
        data = json_of(response, "slack")
        if not data.get("ok"):
            error = str(data.get("error") or "unknown_error")
            raise (DeliveryError if error in RETRYABLE else PermanentError)(f"slack: {error}")
        return Sent(external_ref=f"{data.get('channel')}/{data.get('ts')}")

    def _send_to_webhook(self, url: str, message: Outbound) -> Sent:
        response = request(self.http, "slack", "POST", url, json={"text": message.body})
        if response.text.strip() != "ok":
            raise PermanentError("slack: the webhook did not answer ok")
        return Sent(external_ref=None)

    def close(self) -> None:
        self.http.close()
