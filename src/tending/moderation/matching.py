"""The lexicon patterns matched fast, with Python's answers.

Python's `re` tries a long alternation such as `\\b(?:je vais|on va|...)` at every position of a text,
which made a third of `moderate classify`'s time. RE2 (the google-re2 package) compiles it to an
automaton that reads the text once, and a `re2.Set` answers "which of these patterns occur" for a
dozen patterns in one pass. RE2 is used only where it gives the same answer as `re`:

- the pattern has nothing RE2 lacks or reads differently (lookarounds, backreferences, possessive
  repeats, `^` and `$`, flags): otherwise `re` matches it;
- the text is ASCII without vertical tab nor the control characters \\x1c-\\x1f: on other texts
  `\\b`, `\\w`, `\\d` and `\\s` differ (ASCII-only in RE2), so `re` reads them.

tests/moderation/test_matching.py checks that both engines agree, on real messages and odd ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# google-re2 is a dependency; without it every pattern is read by re (the same answers, slower)
try:
    import re2
except ImportError:  # pragma: no cover
    re2 = None

# what RE2 lacks or reads differently (lookarounds, inline flags, possessive repeats, backreferences,
# \A \Z, anchors), looked for once escapes and character classes are read as one letter; a pattern with any of
# them is left to `re`
_UNSUPPORTED = re.compile(r"\(\?[=!<aiLmsux-]|[+*?}]\+|[$^]|\\[0-9AZzG]")
_ESCAPE_OR_CLASS = re.compile(r"\\[^0-9AZzG]|\[\^?\]?(?:\\.|[^\]\\])*\]")
# on these characters Python's \s (and str.isspace) and RE2's disagree
_ODD_SPACE = re.compile(r"[\x0b\x1c-\x1f]")


def plain(text: str) -> bool:
    """RE2 reads this text as `re` does: ASCII, without the spaces only Python's \\s knows."""
    return text.isascii() and _ODD_SPACE.search(text) is None


def _options() -> Any:
    options = re2.Options()
    # the automata of the big alternations (the default 8 MB can run out)
    options.max_mem = 64 << 20
    return options


def _fast(pattern: re.Pattern[str]) -> Any:
    """The RE2 form of a pattern, or None when only `re` gives its answers."""
    if re2 is None or pattern.flags & ~re.UNICODE:
        return None
    if _UNSUPPORTED.search(_ESCAPE_OR_CLASS.sub("x", pattern.pattern)):
        return None
    try:
        return re2.compile(pattern.pattern, _options())
    except re2.error:
        return None


class Matcher:
    """One pattern: does it occur, and how many times (re's findall, non-overlapping)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.fast = _fast(pattern)

    def found(self, text: str, is_plain: bool) -> bool:
        """is_plain: plain(text), computed once by the caller for all its patterns."""
        engine = self.fast if is_plain and self.fast is not None else self.pattern
        return engine.search(text) is not None

    def count(self, text: str, is_plain: bool) -> int:
        engine = self.fast if is_plain and self.fast is not None else self.pattern
        # most texts match nothing: one search is cheaper than re2's findall (a Python loop)
        return len(engine.findall(text)) if engine.search(text) is not None else 0


class MatcherSet:
    """Several named patterns: which of them occur in a text, in one pass where RE2 can read them."""

    def __init__(self, patterns: Mapping[str, re.Pattern[str]]) -> None:
        self.patterns = dict(patterns)
        self.names: list[str] = []
        self.rest = dict(self.patterns)  # the patterns `re` must read even in plain text
        self.set: Any = None
        if re2 is None:
            return
        matcher = re2.Set.SearchSet(_options())
        for name, pattern in self.patterns.items():
            if _fast(pattern) is None:
                continue
            matcher.Add(pattern.pattern)
            self.names.append(name)
            del self.rest[name]
        if self.names:
            matcher.Compile()
            self.set = matcher

    def found(self, text: str, is_plain: bool) -> set[str]:
        """The names of the patterns that occur in text (is_plain: plain(text))."""
        if not is_plain or self.set is None:
            return {name for name, p in self.patterns.items() if p.search(text) is not None}
        hits = {self.names[i] for i in self.set.Match(text) or ()}
        return hits | {name for name, p in self.rest.items() if p.search(text) is not None}
