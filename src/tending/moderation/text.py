"""Text normalisation and the hand-written features shared by every moderation model.

Everything here is pure and fast (a few tens of microseconds per message): the classifier runs it on
every activity of a scan. The lexicons live in `lexicons/` beside this file; they are written for
tending and feed counts to the models (a single insult never decides on its own).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

LEXICONS = Path(__file__).parent / "lexicons"

# possessive [\w-]++ : no backtracking inside words (this runs on every message of a scan)
URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]++\.(?:com|net|org|io|ly|me|fr|tv|gl|be|info|biz|xyz|co)\b(?:/\S*)?",
                    re.IGNORECASE)
TAG_RE = re.compile(r"<[^>]{0,500}>")
MENTION_RE = re.compile(r"@\w+")
WORD_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NON_WORD_RE = re.compile(r"[^a-z0-9@]+")
UPPER_RE = re.compile(r"[A-ZÀ-ÖØ-Þ]")
REPEAT_RE = re.compile(r"(.)\1{3,}")
MOJIBAKE_RE = re.compile("Ã.|â€|\ufffd|ð\u0178|Â[^a-zA-Z]")
SECOND_PERSON = frozenset({"you", "your", "youre", "ur", "u", "yourself", "tu", "t", "toi", "te", "ta", "ton",
                           "tes", "vous", "votre", "espece", "sale"})
OWNERSHIP = frozenset({"my", "our", "mon", "ma", "mes", "notre", "nos", "me", "moi"})

DENSE_NAMES = (
    "urls", "has_url", "mentions", "caps_ratio", "exclamations", "length", "other_script", "mojibake",
    "insults", "insult_share", "insult_at_person", "promo", "money", "own_promo", "digits", "repeats",
)


@dataclass(frozen=True)
class Lexicon:
    """Insult words (exact and prefix forms) and phrases, matched on normalised text."""

    words: frozenset[str]
    prefixes: tuple[str, ...]
    phrases: re.Pattern[str] | None

    def count(self, tokens: list[str], normalised: str) -> int:
        hits = sum(1 for t in tokens if t in self.words or t.startswith(self.prefixes))
        if self.phrases is not None:
            hits += len(self.phrases.findall(normalised))
        return hits


def strip_accents(text: str) -> str:
    """Lower-case ASCII folding: "Débile" -> "debile". Other scripts vanish (measured separately)."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")


def clean_markup(text: str) -> str:
    """Exports carry HTML (YouTube, Discourse, forum archives): keep the words, drop tags and entities."""
    if "<" in text or "&" in text:
        text = html.unescape(TAG_RE.sub(" ", text))
    return text.replace("\ufeff", "")


def normalise(text: str) -> str:
    """The text the n-gram features see: lower-case, accents stripped, links and mentions as tokens,
    punctuation folded to spaces (so tweets, Reddit dumps and forum posts look alike)."""
    text = URL_RE.sub(" lienurl ", text)
    text = MENTION_RE.sub(" @user ", text)
    folded = strip_accents(text)
    return " ".join(NON_WORD_RE.sub(" ", folded).split())


def _load_lexicon(name: str) -> Lexicon:
    words, prefixes, phrases = set(), [], []
    for raw in (LEXICONS / name).read_text(encoding="utf-8").splitlines():
        entry = strip_accents(raw.strip())
        if not entry or entry.startswith("#"):
            continue
        if " " in entry or "-" in entry:
            phrases.append(re.escape(entry.rstrip("*")).replace(r"\-", "[ -]?"))
        elif entry.endswith("*"):
            prefixes.append(entry[:-1])
        else:
            words.add(entry)
    pattern = re.compile(r"\b(?:" + "|".join(phrases) + r")\b") if phrases else None
    return Lexicon(frozenset(words), tuple(prefixes), pattern)


@cache
def insult_lexicon() -> Lexicon:
    fr, en = _load_lexicon("insults_fr.txt"), _load_lexicon("insults_en.txt")
    patterns = [p.pattern for p in (fr.phrases, en.phrases) if p is not None]
    merged = re.compile("|".join(patterns)) if patterns else None
    return Lexicon(fr.words | en.words, fr.prefixes + en.prefixes, merged)


@cache
def spam_patterns() -> dict[str, re.Pattern[str]]:
    """Section name -> one compiled alternation of that section's phrases (lexicons/spam.txt)."""
    sections: dict[str, list[str]] = {}
    current = "promo"
    for raw in (LEXICONS / "spam.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        sections.setdefault(current, []).append(line)
    return {name: re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in items) + r")")
            for name, items in sections.items()}


def other_script_share(text: str) -> float:
    """Share of letters outside Latin scripts (junk in another script is a spam sign in fr/en groups).
    Emoji and symbols are not letters, so they do not count."""
    if text.isascii():
        return 0.0
    letters = other = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if ord(char) > 0x24F and not 0x1E00 <= ord(char) <= 0x1EFF:
                other += 1
    return other / letters if letters else 0.0


def dense_features(text: str, normalised: str | None = None) -> np.ndarray:
    """The hand-written features of one message, scaled to roughly [0, 1]."""
    norm = normalise(text) if normalised is None else normalised
    tokens = norm.split()
    spam = spam_patterns()
    lexicon = insult_lexicon()
    folded = strip_accents(text)
    letters = sum(map(str.isalpha, text))
    uppers = len(UPPER_RE.findall(text))
    urls = len(URL_RE.findall(text))
    insults = lexicon.count(tokens, norm)
    promo = len(spam["promo"].findall(folded))
    own = promo > 0 and any(t in OWNERSHIP for t in tokens)
    values = (
        min(urls, 5) / 5, 1.0 if urls else 0.0, min(len(MENTION_RE.findall(text)), 5) / 5,
        uppers / letters if letters >= 8 else 0.0, min(text.count("!"), 10) / 10,
        min(len(text), 2000) / 2000, other_script_share(text), 1.0 if MOJIBAKE_RE.search(text) else 0.0,
        min(insults, 5) / 5, insults / len(tokens) if tokens else 0.0,
        1.0 if insults and any(t in SECOND_PERSON for t in tokens) else 0.0,
        min(promo, 5) / 5, min(len(spam["money"].findall(folded)), 5) / 5, 1.0 if own else 0.0,
        sum(map(str.isdigit, text)) / len(text) if text else 0.0, 1.0 if REPEAT_RE.search(text) else 0.0,
    )
    return np.asarray(values, dtype=np.float32)


def has_link(text: str) -> bool:
    return URL_RE.search(text) is not None


def matched_phrases(text: str) -> list[str]:
    """The lexicon entries a message matched, for a queue item's evidence (what a moderator reads)."""
    folded = strip_accents(text)
    found = [m.group(0) for pattern in spam_patterns().values() for m in pattern.finditer(folded)]
    lexicon = insult_lexicon()
    norm = normalise(text)
    found += [t for t in norm.split() if t in lexicon.words or t.startswith(lexicon.prefixes)]
    found += URL_RE.findall(text)
    seen: dict[str, None] = dict.fromkeys(f.strip() for f in found if f.strip())
    return list(seen)[:10]
