"""Hostile shapes of input: every importer ends with one clear sentence naming the file, in bounded
memory and time, whatever the nesting, the size of one value or of one line (issue 15, defect 1)."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import pytest

from tending.errors import BadInputError
from tending.importers.base import Budget, ParseOptions
from tests.importers.helpers import parse

DEEP = 200_000  # 400 KB of brackets: made Discord and Telegram grow to 21 GB before the fix


def _deep(path: Path) -> Path:
    path.write_text("[" * DEEP + "]" * DEEP)
    return path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("kind", ["discord", "telegram", "discourse"])
def test_deeply_nested_json_is_refused_in_bounded_memory(kind: str, tmp_path: Path) -> None:
    path = _deep(tmp_path / "result.json")
    before = _peak_mb()
    started = time.process_time()
    with pytest.raises(BadInputError) as raised:
        parse(kind, path)
    assert (
        str(raised.value)
        == f"{path}: the JSON is nested deeper than 64 levels; no export does that: "
        "is the file damaged?"
    )
    assert time.process_time() - started < 5
    assert _peak_mb() - before < 200


def test_deep_nesting_inside_a_message_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "channel.json"
    path.write_text(
        '{"guild": {"name": "G"}, "channel": {"id": "1"}, "messages": [{"id": "1", "content": '
        + "[" * DEEP
        + "]" * DEEP
        + "}]}"
    )
    with pytest.raises(BadInputError, match="nested deeper than 64 levels"):
        parse("discord", path)


def _slack(tmp_path: Path, day: str) -> Path:
    root = tmp_path / "export"
    (root / "general").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps([{"id": "U1", "name": "ada"}]))
    (root / "channels.json").write_text(
        json.dumps([{"id": "C1", "name": "general", "is_general": True}])
    )
    (root / "general" / "2024-01-01.json").write_text(day)
    return root


def test_slack_deep_day_file_is_refused_without_a_traceback(tmp_path: Path) -> None:
    root = _slack(tmp_path, "[" * DEEP + "]" * DEEP)
    with pytest.raises(BadInputError, match=r"general/2024-01-01\.json: the JSON is nested deeper"):
        parse("slack", root)


def test_slack_ts_out_of_range_is_a_bad_record(tmp_path: Path) -> None:
    root = _slack(
        tmp_path, json.dumps([{"type": "message", "user": "U1", "text": "hi", "ts": "1e999"}])
    )
    parsed = parse("slack", root)
    assert [b.message for b in parsed.bad] == ["message #1 has no valid ts."]


def test_discourse_integer_created_at_is_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "id": 7,
                "title": "T",
                "post_stream": {
                    "posts": [
                        {
                            "id": 1,
                            "user_id": 3,
                            "username": "ada",
                            "post_number": 1,
                            "created_at": 1700000000,
                        }
                    ]
                },
            }
        )
    )
    parsed = parse("discourse", path)
    assert [b.message for b in parsed.bad] == ["topic 7, post 1: '1700000000' is not a date."]


def test_a_huge_value_is_refused_before_it_is_held(tmp_path: Path) -> None:
    path = tmp_path / "channel.json"
    path.write_text('{"messages": [{"id": "1", "content": "' + "x" * 3_000_000 + '"}]}')
    options = ParseOptions(budget=Budget(max_field_bytes=1_000_000))
    with pytest.raises(
        BadInputError,
        match=r"channel\.json: one value of this JSON file is larger than 1,000,000 b",
    ):
        parse("discord", path, options)


def test_an_element_with_too_many_values_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "channel.json"
    path.write_text('{"messages": [{"id": "1", "mentions": [' + ",".join(["1"] * 5000) + "]}]}")
    with pytest.raises(BadInputError, match="one element holds more than 1,000 values"):
        parse("discord", path, ParseOptions(budget=Budget(max_item_values=1000)))


def test_a_json_file_read_whole_has_a_size_budget(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"id": 1, "post_stream": {"posts": []}, "pad": "x" * 3 * (1 << 20)}))
    with pytest.raises(BadInputError, match=r"t\.json: this JSON file is larger than 2 MB"):
        parse("discourse", path, ParseOptions(budget=Budget(max_json_bytes=2 << 20)))


def test_jsonl_deep_line_and_long_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("[" * DEEP + "]" * DEEP + "\n")
    parsed = parse("jsonl", path)
    assert [b.message for b in parsed.bad] == ["the JSON is nested deeper than 64 levels."]
    path.write_text('{"text": "' + "x" * 3_000_000 + '"}\n')
    with pytest.raises(BadInputError, match=r"a\.jsonl, line 1: line 1 is larger than 1 MB"):
        parse("jsonl", path, ParseOptions(budget=Budget(max_field_bytes=1 << 20)))


def test_time_budget(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    line = json.dumps(
        {
            "kind": "post",
            "member_id": "ada",
            "occurred_at": "2024-01-01T00:00:00Z",
            "text": "x" * 60,
        }
    )
    path.write_text((line + "\n") * 200_000)
    with pytest.raises(BadInputError, match=r"took longer than its time budget of 0\.01 s"):
        parse("jsonl", path, ParseOptions(budget=Budget(max_seconds=0.01)))


def test_mbox_with_one_line_of_several_megabytes_is_read_quickly(tmp_path: Path) -> None:
    path = tmp_path / "list.mbox"
    path.write_bytes(
        b"From ada@example.org Thu Mar  3 18:20:35 2016\nFrom: ada@example.org\n"
        b"Date: Thu, 03 Mar 2016 18:20:35 +0000\nSubject: hi\n\n" + b"y" * 5_000_000 + b"\n"
    )
    started = time.process_time()
    parsed = parse("mbox", path)
    assert len(parsed.activities) == 1
    assert time.process_time() - started < 5  # 30 s and more before
