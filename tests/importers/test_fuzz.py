"""Fuzzing every importer with values of the wrong type in the fields it reads (an integer created_at, a
ts of "1e999", a nested list where a name goes), deep or huge fields, and archives: a parser yields
records, skips or bad records, or raises BadInputError; nothing else, in bounded time (issue 15).
Each property runs a few dozen examples (a few seconds)."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tending.errors import BadInputError
from tending.importers import KINDS, get_importer
from tending.importers.base import Budget, ParseOptions, guarded

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BUDGET = Budget(
    max_depth=32,
    max_field_bytes=256 << 10,
    max_item_values=20_000,
    max_json_bytes=4 << 20,
    max_seconds=10,
)

odd_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True)
    | st.sampled_from(
        [
            "1e999",
            "-1e999",
            "nan",
            "",
            "0",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00+14:00",
            "2026-02-30",
            "Z",
            "\x00",
        ]
    )
    | st.text(max_size=12)
)
odd_values = st.recursive(
    odd_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
deep = st.integers(33, 400).map(lambda n: "[" * n + "]" * n)
huge = st.integers(300 << 10, 600 << 10).map(lambda n: "x" * n)


def _record(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={k: odd_values for k in keys})


def _parse(kind: str, path: Path) -> None:
    """As do_import parses: through base.guarded, which turns a value of a type a parser did not expect
    into one sentence (the fixes found by this fuzzing are in the parsers themselves)."""
    try:
        for _item in guarded(
            get_importer(kind).parse(path, options=ParseOptions(budget=BUDGET)), kind, path
        ):
            pass
    except BadInputError:
        pass


def _tree(files: dict[str, bytes]) -> Any:
    directory = tempfile.TemporaryDirectory()
    root = Path(directory.name) / "export"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return directory, root


DISCORD = ["id", "type", "timestamp", "content", "author", "reference", "reactions", "attachments"]
TELEGRAM = [
    "id",
    "type",
    "date",
    "date_unixtime",
    "from",
    "from_id",
    "text",
    "action",
    "actor",
    "actor_id",
    "members",
    "reply_to_message_id",
    "reactions",
    "photo",
    "edited",
]
DISCOURSE = [
    "id",
    "user_id",
    "username",
    "created_at",
    "post_number",
    "post_type",
    "raw",
    "cooked",
    "reply_to_post_number",
    "actions_summary",
    "deleted_at",
]
SLACK = [
    "type",
    "subtype",
    "ts",
    "thread_ts",
    "user",
    "bot_id",
    "text",
    "reactions",
    "comment",
    "edited",
]
JSONL = [
    "platform",
    "member_id",
    "member_name",
    "kind",
    "occurred_at",
    "source_id",
    "thread_id",
    "parent_id",
    "text",
    "joined_at",
    "is_bot",
]


@FUZZ
@given(st.lists(_record(DISCORD), max_size=4), st.sampled_from(["plain", "zip"]))
def test_discord_fields(messages: list[dict[str, Any]], packing: str) -> None:
    data = json.dumps(
        {"guild": {"name": "g"}, "channel": {"id": "c"}, "messages": messages}
    ).encode()
    directory, root = _tree({"c.json": data})
    with directory:
        if packing == "zip":
            archive = root.parent / "export.zip"
            with zipfile.ZipFile(archive, "w") as zipped:
                zipped.writestr("c.json", data)
            _parse("discord", archive)
        else:
            _parse("discord", root)


@FUZZ
@given(st.lists(_record(TELEGRAM), max_size=4))
def test_telegram_fields(messages: list[dict[str, Any]]) -> None:
    directory, root = _tree(
        {"result.json": json.dumps({"name": "n", "id": 1, "messages": messages}).encode()}
    )
    with directory:
        _parse("telegram", root)


@FUZZ
@given(st.lists(_record(DISCOURSE), max_size=4), odd_values)
def test_discourse_fields(posts: list[dict[str, Any]], topic_id: Any) -> None:
    data = {"id": topic_id, "title": "t", "category_id": 1, "post_stream": {"posts": posts}}
    directory, root = _tree({"t.json": json.dumps(data).encode()})
    with directory:
        _parse("discourse", root)


@FUZZ
@given(
    st.lists(_record(SLACK), max_size=4),
    st.lists(_record(["id", "name", "profile", "is_bot"]), max_size=3),
)
def test_slack_fields(messages: list[dict[str, Any]], users: list[dict[str, Any]]) -> None:
    directory, root = _tree(
        {
            "users.json": json.dumps(users).encode(),
            "channels.json": json.dumps(
                [{"id": "C1", "name": "general", "is_general": True}]
            ).encode(),
            "general/2026-03-01.json": json.dumps(messages).encode(),
        }
    )
    with directory:
        _parse("slack", root)


@FUZZ
@given(st.lists(_record(JSONL), max_size=5))
def test_jsonl_fields(rows: list[dict[str, Any]]) -> None:
    directory, root = _tree({"a.jsonl": "\n".join(json.dumps(r) for r in rows).encode() or b"{}"})
    with directory:
        _parse("jsonl", root)


@FUZZ
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "Id",
                    "PostTypeId",
                    "OwnerUserId",
                    "CreationDate",
                    "ParentId",
                    "Body",
                    "Title",
                    "Score",
                ]
            ),
            odd_scalars.map(lambda v: str(v)[:40]),
            max_size=6,
        ),
        max_size=4,
    )
)
def test_stackexchange_fields(rows: list[dict[str, str]]) -> None:
    from xml.sax.saxutils import quoteattr

    lines = (
        ["<posts>"]
        + [
            "  <row "
            + " ".join(
                f"{k}={quoteattr(''.join(c for c in v if c >= ' '))}" for k, v in row.items()
            )
            + " />"
            for row in rows
        ]
        + ["</posts>"]
    )
    directory, root = _tree({"Posts.xml": "\n".join(lines).encode()})
    with directory:
        _parse("stackexchange", root)


@FUZZ
@given(st.sampled_from(sorted(KINDS)), st.one_of(deep, huge))
def test_deep_or_huge_fields_everywhere(kind: str, field: str) -> None:
    """The same hostile value as a whole file, inside a record, and as a line, for every importer."""
    names = {
        "jsonl": "a.jsonl",
        "csv": "a.csv",
        "whatsapp": "chat.txt",
        "mbox": "a.mbox",
        "discord": "c.json",
        "telegram": "result.json",
        "discourse": "t.json",
        "slack": "users.json",
        "stackexchange": "Posts.xml",
    }
    record = (
        json.dumps(
            {
                "id": "1",
                "messages": [{"id": "1", "content": field, "text": field}],
                "post_stream": {"posts": [{"id": 1, "raw": field}]},
            }
        )
        if field.startswith("x")
        else '{"messages": [' + field + "]}"
    )
    for data in (field.encode(), record.encode()):
        directory, root = _tree({names[kind]: data})
        with directory:
            _parse(kind, root)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(sorted(KINDS)))
def test_archives_of_anything(data: bytes, kind: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("export/users.json", data)
        zipped.writestr("export/a.json", data)
        zipped.writestr("export/Posts.xml", data)
    half = buffer.getvalue()[: max(1, len(buffer.getvalue()) // 2)]  # a truncated copy too
    for payload in (buffer.getvalue(), half):
        with tempfile.TemporaryDirectory() as directory:
            archive = Path(directory) / "export.zip"
            archive.write_bytes(payload)
            _parse(kind, archive)
