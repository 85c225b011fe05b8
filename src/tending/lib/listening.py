"""Listening queries: keywords and phrases, French and English, matched on folded words. Pure: no SQL, no clock.

A query is a list of keywords as the admin typed them (`tending listen add --keyword ...`):
- a word ("tending") or a phrase ("mon produit", quotes optional) matches whole words, in order,
  with case and accents folded ("Réseau" = "reseau", "œuvre" = "oeuvre");
- a phrase also matches its hashtag ("#MonProduit");
- a keyword written `-word` (or `-"a phrase"`) is an exclusion: a post that has it matches nothing of
  that query.
A post matches a query when it has one of its keywords and none of its exclusions; the mention keeps the
keywords it matched (as written).

The matcher folds and splits each post once and looks its words up in one index of every query's first
words, so its cost grows with the words of the posts, not with the number of queries
(benchmarks/listen_speed.py: 100,000 posts against 100 queries, next to a plain regex loop).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tending.errors import UsageError
from tending.models import OutsideReport, OutsideWeek

TOKEN_RE = re.compile(r"[a-z0-9]+")
WORD_RE = re.compile(r"[^\W_]+")  # letters and digits of any script, before folding
MAX_FOLDED = 200_000
_FOLDED: dict[str, list[str]] = {}
# letters NFKD does not split into a base letter and an accent
LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}
)
MAX_KEYWORDS = 50
MAX_KEYWORD_CHARS = 200


def fold(text: str) -> str:
    """Lower case, accents off, ligatures opened: "Œuvre Réseau" -> "oeuvre reseau"."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    # after NFKD, so a ligature with an accent ("ǽ" = "æ" + acute) opens too
    opened = unicodedata.normalize("NFKD", lowered).translate(LIGATURES)
    return opened.encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """The folded words of a text (letters and digits; "l'oréal" -> ["l", "oreal"]), as
    TOKEN_RE.findall(fold(text)) finds them. A word with an accent is folded once and remembered:
    folding word by word through a cache took a third less than folding each text whole
    (benchmarks/listen_speed.py)."""
    lowered = text.lower()
    if lowered.isascii():
        return TOKEN_RE.findall(lowered)
    out: list[str] = []
    # composed first: a decomposed accent (macOS writes "e" + U+0301) would split the word in two
    for token in WORD_RE.findall(unicodedata.normalize("NFC", lowered)):
        if token.isascii():
            out.append(token)
            continue
        folded = _FOLDED.get(token)
        if folded is None:
            if len(_FOLDED) >= MAX_FOLDED:
                _FOLDED.clear()
            folded = _FOLDED[token] = _fold_token(token)
        out.extend(folded)
    return out


def _fold_token(token: str) -> list[str]:
    """One word with an accent or of another script: each letter folded, one that folds to nothing
    (a Greek or Cyrillic letter) a separator, so "0π0" is two words, never "00"."""
    spaced = "".join(fold(ch) or " " for ch in unicodedata.normalize("NFC", token))
    return TOKEN_RE.findall(spaced)


@dataclass(frozen=True, slots=True)
class Term:
    """One keyword: as written (what a mention shows it matched), and its folded words."""

    text: str
    words: tuple[str, ...]
    exclude: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    id: int
    terms: tuple[Term, ...]

    @property
    def include(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.exclude)

    @property
    def exclude(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.exclude)


def parse_keyword(raw: str) -> Term:
    """One --keyword value as a term; a value with no letter or digit is refused, naming it."""
    text = " ".join(raw.split())
    exclude = text.startswith("-")
    if exclude:
        text = text[1:].strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    found = tuple(words(text))
    if not found:
        shown = raw.strip()[:40] or "(empty)"
        raise UsageError(
            f"--keyword '{shown}': a keyword needs at least one letter or digit to listen for."
        )
    if len(text) > MAX_KEYWORD_CHARS:
        raise UsageError(f"--keyword: at most {MAX_KEYWORD_CHARS} characters per keyword.")
    return Term(text=text, words=found, exclude=exclude)


def parse_keywords(raw: Sequence[str]) -> list[Term]:
    """The keywords of one query, duplicates removed; at least one that is not an exclusion."""
    if not raw or not any(value.strip() for value in raw):
        raise UsageError(
            "--keyword: give at least one word or phrase to listen for "
            '(e.g. --keyword tending --keyword "mon produit" --keyword -emploi).'
        )
    if len(raw) > MAX_KEYWORDS:
        raise UsageError(f"--keyword: at most {MAX_KEYWORDS} keywords per query.")
    terms: list[Term] = []
    seen: set[tuple[tuple[str, ...], bool]] = set()
    for value in raw:
        term = parse_keyword(value)
        if (term.words, term.exclude) not in seen:
            seen.add((term.words, term.exclude))
            terms.append(term)
    if not any(not t.exclude for t in terms):
        raise UsageError(
            "--keyword: exclusions (-word) alone match nothing; add a word or phrase to listen for."
        )
    return terms


def keyword_text(term: Term) -> str:
    """How a term is stored and shown: `-word` for an exclusion, quotes around a phrase."""
    body = f'"{term.text}"' if len(term.words) > 1 else term.text
    return f"-{body}" if term.exclude else body


def search_terms(terms: Iterable[Term]) -> list[str]:
    """The keywords to ask a platform's search for (exclusions are applied here, not there)."""
    return [t.text for t in terms if not t.exclude]


@dataclass(frozen=True, slots=True)
class _Entry:
    rest: tuple[str, ...]  # the words after the first
    query: int  # index in the matcher's queries
    term: Term


class Matcher:
    """Every query of a community at once: `match(text)` -> {query id: keywords matched}."""

    def __init__(self, queries: Sequence[Query]) -> None:
        self.queries = list(queries)
        self.index: dict[str, list[_Entry]] = {}
        for position, query in enumerate(self.queries):
            for term in query.terms:
                self._add(term.words, position, term)
                if len(term.words) > 1:  # "mon produit" also as #monproduit
                    self._add(("".join(term.words),), position, term)
        self.first_words = frozenset(self.index)

    def _add(self, found: tuple[str, ...], position: int, term: Term) -> None:
        self.index.setdefault(found[0], []).append(_Entry(found[1:], position, term))

    def match(self, text: str) -> dict[int, tuple[str, ...]]:
        return self.match_words(words(text))

    def match_words(self, found: list[str]) -> dict[int, tuple[str, ...]]:
        present = self.first_words.intersection(found)  # in C: most posts name no keyword at all
        if not present:
            return {}
        hits: dict[int, set[str]] = {}
        excluded: set[int] = set()
        for word in present:
            for entry in self.index[word]:
                if entry.rest and not _followed(found, word, entry.rest):
                    continue
                if entry.term.exclude:
                    excluded.add(entry.query)
                else:
                    hits.setdefault(entry.query, set()).add(entry.term.text)
        return {
            self.queries[q].id: tuple(sorted(texts))
            for q, texts in hits.items()
            if q not in excluded
        }


def _followed(found: list[str], word: str, rest: tuple[str, ...]) -> bool:
    """`word` is followed by `rest` somewhere in `found` (a phrase's words, in order)."""
    size = len(rest)
    return any(
        w == word and tuple(found[i + 1 : i + 1 + size]) == rest for i, w in enumerate(found)
    )


def merge_keywords(*groups: Iterable[str]) -> list[str]:
    """The union of keywords matched by several queries, sorted (a mention keeps them all)."""
    return sorted({k for group in groups for k in group})


# -- figures: the health report's "outside" section ---------------------------------------------------

HOUR_S = 3600.0
WEEK_S = 7 * 24 * HOUR_S


@dataclass(frozen=True, slots=True)
class Heard:
    """What the figures need of one mention."""

    source: str
    published_at: datetime
    sentiment: str
    state: str
    acted_at: datetime | None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def outside_figures(
    window: Sequence[Heard], previous: Sequence[Heard], *, start: datetime, end: datetime
) -> OutsideReport:
    """The mentions published in (start, end] against those of the window before it. An answer counts
    when it was given by `end`; the time to answer runs from the post's publication to the answer."""
    negative = [m for m in window if m.sentiment == "negative"]
    answered = [m for m in window if m.state == "answered" and m.acted_at and m.acted_at <= end]
    waits = sorted(
        (m.acted_at - m.published_at).total_seconds() / HOUR_S
        for m in answered
        if m.sentiment == "negative" and m.acted_at
    )
    share = _share(len(negative), len(window))
    before = _share(sum(m.sentiment == "negative" for m in previous), len(previous))
    by_source: dict[str, int] = {}
    for m in window:
        by_source[m.source] = by_source.get(m.source, 0) + 1
    return {
        "mentions": len(window),
        "by_source": dict(sorted(by_source.items())),
        "negative": len(negative),
        "negative_share": share,
        "negative_share_previous": before,
        "negative_share_trend": None
        if share is None or before is None
        else round(share - before, 4),
        "weekly": _weekly(window, start=start, end=end),
        "answered_share": _share(len(answered), len(window)),
        "negative_answered": len(waits),
        "median_hours_to_answer_negative": _median(waits),
    }


def _weekly(window: Sequence[Heard], *, start: datetime, end: datetime) -> list[OutsideWeek]:
    """Mentions and negative share per 7-day slice ending at `end`, oldest first (a last partial slice
    at the window's start is left out when the window is not a whole number of weeks)."""
    weeks = int((end - start).total_seconds() // WEEK_S)
    out: list[OutsideWeek] = []
    for i in range(weeks - 1, -1, -1):
        stop = end - timedelta(weeks=i)
        begin = stop - timedelta(weeks=1)
        inside = [m for m in window if begin < m.published_at <= stop]
        out.append(
            {
                "week_end": stop.isoformat().replace("+00:00", "Z"),
                "mentions": len(inside),
                "negative_share": _share(
                    sum(m.sentiment == "negative" for m in inside), len(inside)
                ),
            }
        )
    return out


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    found = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return round(found, 4)


def daily_counts(instants: Sequence[datetime], *, end: datetime, days: int) -> list[float]:
    """How many instants fall in each 24-hour slice ending at `end`, oldest first (the last is "today")."""
    counts = [0.0] * days
    for moment in instants:
        back = int((end - moment).total_seconds() // 86_400)
        if 0 <= back < days and moment <= end:
            counts[days - 1 - back] += 1
    return counts
