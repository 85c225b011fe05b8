"""What every transport shares: the message to send, the outcome, and the three kinds of failure.

Errors carry a short text that is safe to store and show: never a credential, never a URL with a token in
it (Discord webhook URLs are secrets), never the message body or a member's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tending.errors import UsageError


@dataclass(frozen=True, slots=True)
class Outbound:
    """One delivery: to one address (a private message, an e-mail) or to a destination (a post)."""

    community_id: int
    outbox_id: int
    member_id: int | None  # None for posts and staff notes
    address: (
        str | None
    )  # e-mail address, Matrix user id, Discourse username, Slack user id; None for posts
    recipient_name: str | None
    subject: str | None
    body: str
    kind: str  # private, email, post, staff
    attempt: int = 1

    @property
    def txn_id(self) -> str:
        """Stable across retries of the same delivery: what makes a resend idempotent where the API allows."""
        who = self.member_id if self.member_id is not None else "all"
        return f"tending-{self.community_id}-{self.outbox_id}-{who}"


@dataclass(frozen=True, slots=True)
class Sent:
    external_ref: str | None = None


class DeliveryError(Exception):
    """A send failed and may succeed later (network, 5xx, rate limit): retried with backoff."""

    retry = True


class PermanentError(DeliveryError):
    """A send failed in a way no retry fixes (refused credentials, unknown recipient, no address)."""

    retry = False


class ConfigurationError(DeliveryError, UsageError):
    """The delivery settings are wrong or missing (no transport for a channel, a missing key): nothing was
    sent, no message is at fault. The message goes back to the queue untouched and the tick stops, so a
    configuration mistake never fails the outbox; `tending check` names the mistake."""

    retry = True
    exit_code = 2


class PartialDelivery(DeliveryError):
    """Part of a message went out and the rest failed: a human must check, resending could duplicate."""

    retry = False


class Transport(Protocol):
    name: str
    idempotent: bool  # a resend after a crash cannot duplicate the message

    def send(self, message: Outbound) -> Sent: ...

    def close(self) -> None: ...


def http_error(transport: str, status: int, detail: str | None = None) -> DeliveryError:
    """The error for an HTTP status: 429 and 5xx are retried, other 4xx are not."""
    text = f"{transport}: HTTP {status}" + (f" ({detail[:200]})" if detail else "")
    if status == 429 or status >= 500:
        return DeliveryError(text)
    return PermanentError(text)


def split_text(body: str, limit: int) -> list[str]:
    """Cut `body` into pieces of at most `limit` characters, at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in body.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current.strip() or not pieces:
        pieces.append(current)
    return [p.rstrip("\n") for p in pieces]
