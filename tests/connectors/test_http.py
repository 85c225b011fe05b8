"""Retry-After as RFC 9110 section 10.2.3 defines it: delay-seconds or an HTTP-date."""

from datetime import UTC, datetime

from tending.connectors.base import host_path, retry_after


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 8, 18, 0, 0, tzinfo=UTC)
    assert retry_after("120", now=now) == 120.0
    assert retry_after("Sun, 08 Mar 2026 18:00:30 GMT", now=now) == 30.0
    assert retry_after("Sun, 08 Mar 2026 17:00:00 GMT", now=now) == 0.0  # already past
    assert retry_after("soon", now=now) is None and retry_after(None) is None


def test_messages_name_the_host_and_path_never_the_query() -> None:
    assert (
        host_path("https://blog.example.org/comments/feed/?token=s3cret")
        == "blog.example.org/comments/feed/"
    )
