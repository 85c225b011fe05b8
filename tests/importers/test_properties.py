"""Property tests of the parsers: round trips of tending's own format and of WhatsApp lines, and no
input at all makes a parser fail with anything but BadInputError."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tending.errors import BadInputError
from tending.importers import get_importer
from tending.importers.whatsapp import DELETED
from tests.importers.helpers import parse

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
names = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=80)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
rows = st.fixed_dictionaries(
    {
        "member_id": st.text("abcdefghij0123456789", min_size=1, max_size=8),
        "member_name": names,
        "kind": st.sampled_from(["joined", "left", "post", "reply", "comment", "reaction"]),
        "occurred_at": instants,
        "text": texts,
        "thread_id": st.sampled_from(["t1", "t2", "t3"]),
    }
)


def _write(directory: str, name: str, data: bytes) -> Path:
    path = Path(directory) / name
    path.write_bytes(data)
    return path


def _expected(generated: list[dict]) -> list[tuple]:
    return [
        (r["member_id"], r["kind"], r["occurred_at"], (r["text"].strip() or None))
        for r in generated
    ]


@SETTINGS
@given(st.lists(rows, min_size=1, max_size=15))
def test_jsonl_round_trip(generated: list[dict]) -> None:
    lines = "".join(
        json.dumps({**r, "occurred_at": r["occurred_at"].isoformat()}) + "\n" for r in generated
    )
    with tempfile.TemporaryDirectory() as directory:
        parsed = parse("jsonl", _write(directory, "rows.jsonl", lines.encode()))
    assert [
        (a.member_external_id, a.kind, a.occurred_at, a.text) for a in parsed.activities
    ] == _expected(generated)


@SETTINGS
@given(st.lists(rows, min_size=1, max_size=15))
def test_csv_round_trip(generated: list[dict]) -> None:
    generated = [{**r, "text": r["text"].replace("\r", "")} for r in generated]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(generated[0]))
    writer.writeheader()
    writer.writerows({**r, "occurred_at": r["occurred_at"].isoformat()} for r in generated)
    with tempfile.TemporaryDirectory() as directory:
        parsed = parse("csv", _write(directory, "rows.csv", buffer.getvalue().encode()))
    assert [
        (a.member_external_id, a.kind, a.occurred_at, a.text) for a in parsed.activities
    ] == _expected(generated)


whatsapp_names = (
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZéèçabcdefghij ", min_size=1, max_size=12)
    .map(str.strip)
    .filter(lambda n: n and n.lower() not in ("you", "vous"))
)
# direction marks (category Cf) are stripped on purpose: WhatsApp puts them around service lines
whatsapp_texts = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=60
    )
    .map(str.strip)
    .filter(lambda t: t and not DELETED.match(t))
)


@SETTINGS
@given(
    st.lists(
        st.tuples(whatsapp_names, whatsapp_texts, st.integers(0, 600)), min_size=1, max_size=12
    ),
    st.sampled_from(["android", "ios", "fr"]),
)
def test_whatsapp_round_trip(messages: list[tuple[str, str, int]], style: str) -> None:
    at = datetime(2024, 1, 13, 8, 0, tzinfo=UTC)  # day 13: the day/month order is never ambiguous
    lines, expected = [], []
    for name, text, minutes in messages:
        at += timedelta(minutes=minutes)
        if style == "android":
            lines.append(f"{at:%d/%m/%y}, {at:%H:%M} - {name}: {text}")
        elif style == "ios":
            lines.append(f"[{at:%d/%m/%Y}, {at:%H:%M:%S}] {name}: {text}")
        else:
            lines.append(f"{at:%d/%m/%Y} à {at:%H:%M} - {name} : {text}")
        expected.append((name, at, text))
    with tempfile.TemporaryDirectory() as directory:
        parsed = parse("whatsapp", _write(directory, "chat.txt", "\n".join(lines).encode()))
    got = [(a.member_external_id, a.occurred_at, a.text) for a in parsed.activities]
    assert got == [(n, t, None if _is_media(x) else x) for n, t, x in expected]


def _is_media(text: str) -> bool:
    return text.lower().endswith(("omitted", "omis"))


@settings(max_examples=40, deadline=None)
@given(
    st.binary(max_size=400),
    st.sampled_from(
        [
            "jsonl",
            "csv",
            "whatsapp",
            "mbox",
            "discord",
            "telegram",
            "discourse",
            "slack",
            "stackexchange",
        ]
    ),
)
def test_no_input_crashes_a_parser_with_anything_but_bad_input(data: bytes, kind: str) -> None:
    names_by_kind = {
        "jsonl": "x.jsonl",
        "csv": "x.csv",
        "whatsapp": "x.txt",
        "mbox": "x.mbox",
        "discord": "x.json",
        "telegram": "x.json",
        "discourse": "x.json",
        "slack": "users.json",
        "stackexchange": "Posts.xml",
    }
    with tempfile.TemporaryDirectory() as directory:
        path = _write(directory, names_by_kind[kind], data)
        try:
            for _item in get_importer(kind).parse(
                path if kind not in ("slack", "stackexchange") else path.parent
            ):
                pass
        except BadInputError:
            pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(json_values, st.sampled_from(["discord", "telegram", "discourse", "jsonl"]))
def test_any_json_shape_is_handled(value: object, kind: str) -> None:
    messages = {
        "discord": lambda v: {"guild": {"name": "g"}, "channel": {"id": "c"}, "messages": [v]},
        "telegram": lambda v: {"name": "n", "id": 1, "messages": [v]},
        "discourse": lambda v: {"id": 1, "post_stream": {"posts": [v]}},
        "jsonl": lambda v: v,
    }
    with tempfile.TemporaryDirectory() as directory:
        path = _write(
            directory,
            "x.json" if kind != "jsonl" else "x.jsonl",
            json.dumps(messages[kind](value)).encode(),
        )
        try:
            for _item in get_importer(kind).parse(path):
                pass
        except BadInputError:
            pass
