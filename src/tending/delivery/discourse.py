"""Discourse, through its API (https://docs.discourse.org/#tag/Posts/operation/createTopicPostPM) with an API
key: headers Api-Key and Api-Username. A private message is POST /posts.json with `title`, `raw`,
`archetype: private_message` and `target_recipients` (comma-separated usernames or group names); a post
is a reply, POST /posts.json with `topic_id` and `raw`. Discourse offers no idempotency key."""

from __future__ import annotations

from dataclasses import dataclass

from tending.delivery.base import Outbound, PermanentError, Sent
from tending.delivery.http import client, json_of, request


@dataclass
class DiscourseSettings:
    url: str
    api_key: str  # a credential: never logged
    api_username: str = "system"
    post_topic_id: int | None = None
    staff_group: str | None = None  # private messages to the staff go to this group
    timeout: float = 30.0


class DiscourseTransport:
    name = "discourse"
    idempotent = False

    def __init__(self, settings: DiscourseSettings) -> None:
        self.settings = settings
        self.http = client(
            settings.url.rstrip("/"),
            {"Api-Key": settings.api_key, "Api-Username": settings.api_username},
            settings.timeout,
        )

    def _payload(self, message: Outbound) -> dict[str, object]:
        title = message.subject or message.body.splitlines()[0][:80]
        if message.kind == "post":
            if not self.settings.post_topic_id:
                raise PermanentError(
                    "discourse: no post_topic_id configured in [delivery.discourse]"
                )
            return {"topic_id": int(self.settings.post_topic_id), "raw": message.body}
        if message.kind == "staff":
            if not self.settings.staff_group:
                raise PermanentError("discourse: no staff_group configured in [delivery.discourse]")
            to = self.settings.staff_group
        elif message.address:
            to = message.address
        else:
            raise PermanentError(f"discourse: no Discourse username for member {message.member_id}")
        return {
            "title": title,
            "raw": message.body,
            "archetype": "private_message",
            "target_recipients": to,
        }

    def send(self, message: Outbound) -> Sent:
        response = request(
            self.http, "discourse", "POST", "/posts.json", json=self._payload(message)
        )
        data = json_of(response, "discourse")
        return Sent(external_ref=f"topic {data.get('topic_id')} post {data.get('id')}")

    def close(self) -> None:
        self.http.close()
