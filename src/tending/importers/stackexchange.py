"""Stack Exchange data dump: a site's folder (or an archive of it) with Users.xml, Posts.xml (or
Posts.csv), Comments.xml. Semantics and references: docs/importers.md#stack-exchange.

- Users.xml: a member per row; CreationDate is the join date (a "joined" activity too). Id -1 is the
  "Community" user, a background process: a bot.
- Posts.xml: questions (PostTypeId 1) start threads (kind post); answers (2) are replies to their
  question. Tag wikis, moderator nominations and other site content (3-8) are not contributions.
- Comments.xml: comments on a question or an answer, in the question's thread.
- Votes.xml carries no voter (except favourites), so votes are not reactions: the post's Score is
  kept in extra. Badges.xml, PostLinks.xml, Tags.xml are not activity.
Deleted posts are absent from dumps. A deleted user's posts keep OwnerDisplayName ("user123") and no
OwnerUserId: they are attributed to a member "deleted:<name>". All dump times are UTC.
XML is read with iterparse and each row dropped once read, so memory stays flat.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path

from tending.errors import BadInputError, shown_text
from tending.importers.base import (
    BadRecord,
    ParseItem,
    ParseOptions,
    Skip,
    SourceFile,
    iter_sources,
    not_utf8,
    parse_iso,
    plain_text,
    text_stream,
)
from tending.models import COMMENT, JOINED, POST, REPLY, ActivityRecord, MemberRecord, ThreadRecord
from tending.texts import T_, Text

KIND = "stackexchange"
PLATFORM = "stackexchange"
DESCRIPTION = "Stack Exchange data dump folder: Users.xml, Posts.xml or Posts.csv, Comments.xml"
COMMUNITY_USER = "-1"
QUESTION, ANSWER = "1", "2"
OTHER_POST_TYPES = {
    "3": "orphaned tag wiki",
    "4": "tag wiki excerpt",
    "5": "tag wiki",
    "6": "moderator nomination",
    "7": "wiki placeholder",
    "8": "privilege wiki",
}


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    if (
        _find(path, "users.xml", options) is None
        and _find(path, "posts.xml", options) is None
        and _find(path, "posts.csv", options) is None
    ):
        raise BadInputError(
            Text(
                T_("no Users.xml, Posts.xml or Posts.csv here: is this a Stack Exchange data dump?")
            ),
            path=str(path),
        )
    users = _find(path, "users.xml", options)
    if users is not None:
        yield from _users(users)
    answers = _AnswerMap()
    posts = _find(path, "posts.xml", options)
    if posts is not None:
        yield from _posts(
            ((row, f"row Id={row.get('Id')}") for row in _xml_rows(posts)), answers, posts.label
        )
    else:
        posts_csv = _find(path, "posts.csv", options)
        if posts_csv is not None:
            yield from _posts(_csv_rows(posts_csv), answers, posts_csv.label)
    comments = _find(path, "comments.xml", options)
    if comments is not None:
        yield from _comments(_xml_rows(comments), answers, comments.label)


def _find(path: Path, basename: str, options: ParseOptions) -> SourceFile | None:
    for source in iter_sources(path, options):
        if source.basename.lower() == basename:
            return source
    return None


# -- rows ------------------------------------------------------------------------------------------------


def _xml_rows(source: SourceFile) -> Iterator[dict[str, str]]:
    """The attributes of each <row/>, dropping every element once read."""
    with source.open() as stream:
        context = ET.iterparse(stream, events=("start", "end"))
        root = None
        count = 0
        try:
            for event, element in context:
                if event == "start":
                    if root is None:
                        root = element
                    continue
                if element.tag == "row":
                    yield element.attrib
                    count += 1
                    if count % 1000 == 0:
                        root.clear()  # type: ignore[union-attr]
        except ET.ParseError as error:
            line = error.position[0] if error.position else None
            reason = (
                "it ends before its closing tag (truncated?)"
                if "no element found" in str(error)
                else f"not well-formed XML ({error.msg if hasattr(error, 'msg') else error})"
            )
            raise BadInputError(f"{reason}.", path=source.label, line=line) from None
        except UnicodeDecodeError:
            raise not_utf8(source) from None


def _csv_rows(source: SourceFile) -> Iterator[tuple[dict[str, str], str]]:
    with text_stream(source) as stream:
        try:
            reader = csv.DictReader(stream)
            for row in reader:
                yield (
                    {k: v for k, v in row.items() if v not in ("", None)},
                    f"line {reader.line_num}",
                )
        except UnicodeDecodeError:
            raise not_utf8(source) from None
        except csv.Error as error:
            raise BadInputError(
                Text(T_("not readable as CSV (%(reason)s)."), reason=error), path=source.label
            ) from None


# -- users ---------------------------------------------------------------------------------------------


def _users(source: SourceFile) -> Iterator[ParseItem]:
    for row in _xml_rows(source):
        user_id = row.get("Id")
        if not user_id:
            yield BadRecord(source.label, None, "Id", Text(T_("a user row has no Id.")))
            continue
        try:
            joined = parse_iso(row["CreationDate"])
        except (KeyError, ValueError):
            yield BadRecord(
                source.label,
                None,
                "CreationDate",
                Text(
                    T_("user Id=%(id)s: missing or not a date (%(value)s)."),
                    id=user_id,
                    value=shown_text(row.get("CreationDate")),
                ),
            )
            continue
        yield MemberRecord(
            source=PLATFORM,
            external_id=user_id,
            display_name=row.get("DisplayName"),
            joined_at=joined,
            is_bot=user_id == COMMUNITY_USER,
        )
        yield ActivityRecord(
            source=PLATFORM,
            source_id=f"joined:{user_id}",
            member_external_id=user_id,
            kind=JOINED,
            occurred_at=joined,
        )


# -- posts ---------------------------------------------------------------------------------------------


class _AnswerMap:
    """Answer id -> question id, compact (two int64 arrays, 16 bytes an answer) so comments on answers
    find their thread without a dictionary of the whole site."""

    def __init__(self) -> None:
        self.keys = array("q")
        self.values = array("q")
        self.ordered = True

    def add(self, answer: int, question: int) -> None:
        if self.keys and answer < self.keys[-1]:
            self.ordered = False
        self.keys.append(answer)
        self.values.append(question)

    def get(self, answer: int) -> int | None:
        if not self.ordered:
            self._sort()
        i = bisect_left(self.keys, answer)
        return self.values[i] if i < len(self.keys) and self.keys[i] == answer else None

    def _sort(self) -> None:
        pairs = sorted(zip(self.keys, self.values, strict=True))
        self.keys = array("q", (k for k, _ in pairs))
        self.values = array("q", (v for _, v in pairs))
        self.ordered = True


def _posts(
    rows: Iterator[tuple[dict[str, str], str]], answers: _AnswerMap, label: str
) -> Iterator[ParseItem]:
    for row, where in rows:
        post_id, post_type = row.get("Id"), row.get("PostTypeId")
        if not post_id or not post_id.lstrip("-").isdigit():
            yield BadRecord(
                label, None, "Id", Text(T_("%(where)s: a post needs a numeric Id."), where=where)
            )
            continue
        if post_type not in (QUESTION, ANSWER):
            yield Skip(
                f"not a question or answer ({OTHER_POST_TYPES.get(post_type or '', 'other post type')})"
            )
            continue
        author = _author(row, "OwnerUserId", "OwnerDisplayName")
        if author is None:
            yield Skip(T_("post without an author"))
            continue
        try:
            at = parse_iso(row["CreationDate"])
        except (KeyError, ValueError):
            yield BadRecord(
                label,
                None,
                "CreationDate",
                Text(T_("%(where)s: missing or not a date."), where=where),
            )
            continue
        extra = (
            {"score": int(row["Score"])} if row.get("Score", "0").lstrip("-").isdigit() else None
        )
        if post_type == QUESTION:
            yield ThreadRecord(
                source=PLATFORM,
                external_id=post_id,
                title=row.get("Title"),
                started_by_external_id=author,
                started_at=at,
            )
            yield ActivityRecord(
                source=PLATFORM,
                source_id=f"post:{post_id}",
                member_external_id=author,
                kind=POST,
                occurred_at=at,
                thread_external_id=post_id,
                text=plain_text(row.get("Body")),
                extra=extra,
            )
            continue
        parent = row.get("ParentId")
        if not parent or not parent.isdigit():
            yield BadRecord(
                label,
                None,
                "ParentId",
                Text(T_("%(where)s: an answer needs its question's ParentId."), where=where),
            )
            continue
        answers.add(int(post_id), int(parent))
        yield ActivityRecord(
            source=PLATFORM,
            source_id=f"post:{post_id}",
            member_external_id=author,
            kind=REPLY,
            occurred_at=at,
            thread_external_id=parent,
            parent_source_id=f"post:{parent}",
            text=plain_text(row.get("Body")),
            extra=extra,
        )


def _comments(
    rows: Iterator[dict[str, str]], answers: _AnswerMap, label: str
) -> Iterator[ParseItem]:
    for row in rows:
        comment_id, post_id = row.get("Id"), row.get("PostId")
        if not comment_id or not post_id or not post_id.isdigit():
            yield BadRecord(
                label,
                None,
                "PostId",
                Text(T_("comment Id=%(id)s: needs Id and a numeric PostId."), id=comment_id),
            )
            continue
        author = _author(row, "UserId", "UserDisplayName")
        if author is None:
            yield Skip(T_("comment without an author"))
            continue
        try:
            at = parse_iso(row["CreationDate"])
        except (KeyError, ValueError):
            yield BadRecord(
                label,
                None,
                "CreationDate",
                Text(T_("comment Id=%(id)s: missing or not a date."), id=comment_id),
            )
            continue
        question = answers.get(int(post_id))
        yield ActivityRecord(
            source=PLATFORM,
            source_id=f"comment:{comment_id}",
            member_external_id=author,
            kind=COMMENT,
            occurred_at=at,
            thread_external_id=str(question or post_id),
            parent_source_id=f"post:{post_id}",
            text=row.get("Text"),
        )


def _author(row: dict[str, str], id_field: str, name_field: str) -> str | None:
    user_id = row.get(id_field)
    if user_id:
        return user_id
    name = row.get(name_field)
    return f"deleted:{name}" if name else None
