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

from tending.moderation.matching import Matcher, MatcherSet, plain

LEXICONS = Path(__file__).parent / "lexicons"

# possessive [\w-]++ : no backtracking inside words (this runs on every message of a scan)
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]++\.(?:com|net|org|io|ly|me|fr|tv|gl|be|info|biz|xyz|co)\b(?:/\S*)?",
    re.IGNORECASE,
)
# a link needs "://", "www." or a dot before a known ending: texts without any are not searched (the
# full pattern costs tens of microseconds per message; these tests are done in C)
TLD_HINT_RE = re.compile(r"\.(?:com|net|org|io|ly|me|fr|tv|gl|be|info|biz|xyz|co)\b", re.IGNORECASE)
TAG_RE = re.compile(r"<[^>]{0,500}>")
MENTION_RE = re.compile(r"@\w+")
WORD_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NON_WORD_RE = re.compile(r"[^a-z0-9@]+")
UPPER_RE = re.compile(r"[A-ZÀ-ÖØ-Þ]")
REPEAT_RE = re.compile(r"(.)\1{3,}")
# UTF-8 read as Latin-1 or Windows-1252: accented Latin ("Ã©", "â€™") and Cyrillic ("Ð¡ÐºÐ¸", "Ñ\x83")
_CP1252_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
MOJIBAKE_RE = re.compile(f"Ã.|â€|\ufffd|ð\u0178|Â[^a-zA-Z]|[ÐÑ][{_CP1252_CONTINUATION}]")
SECOND_PERSON = frozenset(
    {
        "you",
        "your",
        "youre",
        "ur",
        "u",
        "yourself",
        "tu",
        "t",
        "toi",
        "te",
        "ta",
        "ton",
        "tes",
        "vous",
        "votre",
        "espece",
        "sale",
    }
)
OWNERSHIP = frozenset({"my", "our", "mon", "ma", "mes", "notre", "nos", "me", "moi"})
FIRST_PERSON = frozenset(
    {
        "i",
        "im",
        "ive",
        "ill",
        "id",
        "my",
        "me",
        "mine",
        "we",
        "our",
        "us",
        "je",
        "j",
        "ma",
        "mes",
        "moi",
        "nous",
        "notre",
        "nos",
    }
)  # not "mon": "c'mon"
PLEASE = frozenset({"please", "plz", "pls", "plis", "plzz", "svp", "stp"})
# what a moderator of a comment section looks for (matched on lower-cased, accent-stripped text): asking for
# subscribers (misspelt too: "suscribe", "sub me", "sub 4 sub"), "check out / check me / check my",
# and the vocabulary of channels and followers
SUBSCRIBE_RE = re.compile(r"\b(?:su[bsc]+r?i?b\w*|subs?|abonne\w*)\b")
CHECK_RE = re.compile(
    r"\bcheck(?:ing)? (?:me|us|it|this|my|our|out|mah)\b"
    r"|\b(?:regarde[rz]?|ecoute[rz]?) (?:ma|mon|mes)\b"
)
CHANNEL_RE = re.compile(
    r"\b(?:channel|chanel|chaine|vids?|videos|youtuber|subs|followers?|follow)\b"
)
# a link written so that link detectors miss it ("marketglory . com", "site dot com")
HIDDEN_LINK_RE = re.compile(
    r"\b\w+ ?(?:\.|dot) ?(?:com|net|org|ru|pl)\b|\bdot com\b", re.IGNORECASE
)
# a long token mixing letters and digits: wallet addresses, referral and promo codes, video ids
CODE_TOKEN_RE = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{12,}\b", re.IGNORECASE)
PUNCT_RUN_RE = re.compile(r"[!?.]{3,}")
# the spam families of issue 13: phone numbers, messaging-app contacts, money schemes, "share this" appeals
PHONE_RE = re.compile(
    r"(?:\+|\b00)\d{1,3}[\s.()-]{0,2}\d|\b0[1-9](?:[\s.-]?\d\d){4}\b"
    r"|\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\b\d{10,11}\b"
)
MESSAGING_RE = re.compile(
    r"\b(?:whats ?app|wa\.me|telegram|t\.me|viber|wechat|signal|snapchat|snap|kik|wickr|"
    r"line id|skype|messenger|discord\.gg|imo)\b"
)
SCHEME_RE = re.compile(
    r"(?:\d[\d\s.,]*\s?(?:€|\$|euros?|dollars?|usd|eur|k€|btc)|(?:€|\$)\s?\d).{0,40}?"
    r"\b(?:par|per|a|/|each|chaque) ?(?:jour|semaine|mois|day|week|month|heure|hour)"
    r"|\b(?:depuis|de) chez (?:vous|soi|toi|moi)|\b(?:from|at) home\b|\bsans (?:diplome|experience|effort)"
    r"|\b(?:invest\w*|crypto\w*|bitcoin|forex|trading|trader|mining|minage|placement)\b.{0,60}?"
    r"\b(?:profit|gain|rendement|return|earn|gagne|benefice|revenu|income|roi|\d+ ?%)"
    r"|\b(?:revenus? (?:passifs?|complementaires?)|passive income|financial freedom|liberte financiere"
    r"|devenir riche|get rich|argent facile|easy money|double (?:your|votre)|pyramid|parrainage)\b"
)
SHARE_RE = re.compile(
    r"\b(?:share|partage[rz]?|partagez|repost\w*|retweet\w*) "
    r"(?:this|it|ce|cette|ca|la|le|ma|mon|my|our|a (?:tous|tout le monde)|everywhere|partout"
    r"|with (?:your|all))\b|\blike (?:and|&|\+) share\b"
    r"|\bfai(?:tes|s) tourner\b|\bspread the word\b|\bmake (?:this|it) (?:go )?viral\b"
    r"|\bfaites le buzz\b|\bsi (?:tu|vous) (?:es|etes) d'accord\b"
)
# like-farming (engagement bait): asking for likes on the comment itself ("like this comment if you're
# watching in 2015", "thumbs up if...", "give it a like"). In the YouTube Spam Collection 28 of the 32
# comments it matches are labelled spam (Psy 1 of 3, Katy Perry 3 of 3, LMFAO 24 of 26); it matches none
# of the 11,532 clean messages and SMS of the training mix nor of the civil French forum's 1,305 posts
LIKE_APPEAL_RE = re.compile(
    r"\blike (?:this|my) (?:comment|post)\b|\blike (?:ce|mon) (?:commentaire|post)\b"
    r"|^\W*(?:thumbs? up|like) if\b|[.!?,]\s*(?:thumbs? up|like) if\b|\bthumbs? up if\b"
    r"|\bpouce bleu si\b|\b(?:give|gimme) (?:it|this|me|us) a (?:like|thumbs? up)\b"
)
# a member pointing at their own work, without the usual "check out my channel" words ("Nice song. See
# my new track", "I did a cover if u want to check it out", "please look up DHG SONGS", "Come and watch
# my video"): read by the spam model only (features version 6). In the YouTube Spam Collection it
# matches 141 of the 586 spam comments and none of the 552 clean ones; 36 of the 6,705 clean tweets and
# forum comments of the training mix ("my work", Stack Exchange), none of the French forum's posts
_WORK = (
    r"(?:channel|chanel|vids?|videos?|vlogs?|blog|tracks?|songs?|covers?|playlist|music|mixtape|album"
    r"|page|website|site|movie|film|raps?|beats?|remix|instagram|twitter|facebook|profile)"
)
OWN_WORK_RE = re.compile(
    r"\b(?:my|our|mah)\s+(?!fav)(?:\w+\s+){0,2}?" + _WORK + r"\b"
    r"|\b(?:i|we|ive|weve|i have|we have)\s+(?:just\s+)?(?:made|did|uploaded|posted|started|created"
    r"|recorded|wrote)\s+(?:a|an|my|our|some|new|this)\s+(?:\w+\s+)?" + _WORK + r"\b"
    r"|\b(?:look|search)\s+(?:me|us|him|her|them|it)?\s*up\b|\bsearch (?:for )?[\"']"
    r"|\b(?:visit|see|watch|hear|listen to)\s+(?:my|our)\b"
)
CENSORED_RE = re.compile(
    r"\b[a-z]+[*#@$%]+[a-z]*\b|\b[a-z]*[*#@$%]+[a-z]+\b|(?<![a-z])(?:[a-z] ){3,}[a-z](?![a-z])"
)
_DIGIT_RE = re.compile(r"\d")
SPACED_RE = re.compile(r"(?<![a-z])(?:[a-z] ){3,}[a-z](?![a-z])")
LEET_TOKEN_RE = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{3,}\b")
_LEET = str.maketrans("013457@$!", "oieastasi")

_ASCII_LETTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_DIGITS = b"0123456789"

DENSE_NAMES = (
    "urls",
    "has_url",
    "mentions",
    "caps_ratio",
    "exclamations",
    "length",
    "other_script",
    "mojibake",
    "insults",
    "insult_share",
    "insult_at_person",
    "promo",
    "money",
    "own_promo",
    "digits",
    "repeats",
    # since FEATURES_VERSION 2 (what a comment-section moderator looks for; MODERATOR_NAMES)
    "first_person",
    "please",
    "subscribe",
    "check_out",
    "channel_words",
    "hidden_link",
    "code_token",
    "caps_words",
    "punct_runs",
    "words",
    # since FEATURES_VERSION 3: what a toxic message aims at (TARGET_NAMES) and the spam families of issue
    # 13 (SCHEME_NAMES)
    "profanity",
    "threat",
    "group_generalisation",
    "group_word",
    "censored_insult",
    "dehumanising",
    "group_defended",
    "phone",
    "messaging_app",
    "money_scheme",
    "share_appeal",
    "disguised",
    "mojibake_runs",
    # since FEATURES_VERSION 4: the mood of the words (MOOD_NAMES): "j'aime les X" is no attack on X
    "valence",
    "positive_words",
    "negative_words",
    # since FEATURES_VERSION 5, read by the spam model only (SPAM_ONLY_NAMES)
    "like_appeal",
    # since FEATURES_VERSION 6, read by the spam model only
    "own_work",
)
MODERATOR_NAMES = DENSE_NAMES[16:26]
TARGET_NAMES = DENSE_NAMES[26:33]
SCHEME_NAMES = DENSE_NAMES[33:39]
MOOD_NAMES = DENSE_NAMES[39:42]
SPAM_ONLY_NAMES = DENSE_NAMES[42:]


@dataclass(frozen=True)
class Lexicon:
    """Insult words (exact and prefix forms) and phrases, matched on normalised text."""

    words: frozenset[str]
    prefixes: tuple[str, ...]
    phrases: re.Pattern[str] | None

    @property
    def prefixed(self) -> re.Pattern[str] | None:
        """The tokens of a normalised text (single spaces) that start with one of the prefixes."""
        if not self.prefixes:
            return None
        return _prefix_pattern(self.prefixes)

    def count(self, tokens: list[str], normalised: str) -> int:
        """Tokens that are insult words or start with an insult prefix, plus phrase matches.
        tokens: normalised.split() (the tokens `prefixed` finds in it, read without a regex)."""
        words = self.words
        hits = sum(t in words for t in tokens)
        if self.prefixes:
            prefixes = self.prefixes
            hits += sum(1 for t in tokens if t.startswith(prefixes) and t not in words)
        if self.phrases is not None:
            hits += _matcher(self.phrases).count(normalised, plain(normalised))
        return hits


@cache
def _matcher(pattern: re.Pattern[str]) -> Matcher:
    return Matcher(pattern)


@cache
def _prefix_pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![^ ])(?:" + "|".join(map(re.escape, prefixes)) + r")[^ ]*")


# Latin look-alikes from other scripts (Cyrillic, Greek, small capitals), folded to the Latin letter they
# imitate; written for tending from the Unicode charts. Full-width forms, ligatures, circled and
# mathematical letters are folded by NFKC first.
_CONFUSABLE_PAIRS = (
    "аa вb еe ёe кk мm нh оo рp сc тt уy хx іi їi јj ѕs ԁd ԛq ԝw һh ӏl ɡg "
    "АA ВB ЕE КK МM НH ОO РP СC ТT ХX УY ІI ЈJ ЅS ԌG "
    "ϲc ςc ϹC ϳj ϵe αa βb εe ηn ιi κk νv οo ρp τt υu χx ωw ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX "
    "ᴀa ʙb ᴄc ᴅd ᴇe ɢg ʜh ɪi ᴊj ᴋk ʟl ᴍm ɴn ᴏo ᴘp ʀr ꜱs ᴛt ᴜu ᴠv ᴡw ʏy ᴢz"
)
CONFUSABLES = {ord(pair[0]): pair[1] for pair in _CONFUSABLE_PAIRS.split()}
_SMALL_CAPITALS = frozenset("ᴀʙᴄᴅᴇɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢɡ")
_CONFUSABLE_RE = re.compile("[" + "".join(chr(c) for c in CONFUSABLES) + "]")
# what a disguise is written with: full-width forms, enclosed (circled) and mathematical letters, look-alikes
_DISGUISE_HINT_RE = re.compile(
    "[\uff01-\uff5e\u24b6-\u24e9\U0001d400-\U0001d7ff" + "".join(chr(c) for c in CONFUSABLES) + "]"
)
_NON_ASCII_WORD_RE = re.compile(r"[^\W\d_]*[^\x00-\x7f][^\W\d_]*")


def fold_unicode(text: str) -> str:
    """Full-width, circled, mathematical and look-alike letters back to plain Latin ("ｆｒｅｅ", "ϲliсk"
    with a Greek and a Cyrillic letter -> "free", "click"). A word in another script is folded only when
    it mixes in Latin letters or every letter of it is a look-alike, so Russian or Greek text stays what
    it is (its share of other-script letters is a feature of its own). ASCII texts are returned as they are."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    if _CONFUSABLE_RE.search(text) is None:
        return text
    letters, other = script_letters(text)
    mostly_latin = 2 * other < letters
    return _NON_ASCII_WORD_RE.sub(lambda match: _fold_word(match.group(0), mostly_latin), text)


def _fold_word(word: str, mostly_latin: bool) -> str:
    """A word of look-alikes alone ("ѕріn") is folded only in a mostly Latin text: in Russian, "на" is a word."""
    looks = sum(ord(ch) in CONFUSABLES for ch in word)
    if not looks:
        return word
    latin = sum("a" <= ch.lower() <= "z" for ch in word)
    if (
        latin
        or all(ch in _SMALL_CAPITALS or ch.isascii() for ch in word)
        or (mostly_latin and looks == len(word))
    ):
        return word.translate(CONFUSABLES)
    return word


def is_disguised(text: str) -> bool:
    """The text writes Latin words with full-width, mathematical or look-alike letters. (NFKC alone
    changes harmless characters too, a non-breaking space or "…": only letters that became ASCII count.)"""
    if text.isascii() or _DISGUISE_HINT_RE.search(text) is None:
        return False
    folded = fold_unicode(text)
    return sum(ch.isascii() and ch.isalpha() for ch in folded) > sum(
        ch.isascii() and ch.isalpha() for ch in text
    )


def strip_accents(text: str) -> str:
    """Lower-case ASCII folding: "Débile" -> "debile". Other scripts vanish (measured separately)."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")


def clean_markup(text: str) -> str:
    """Exports carry HTML (YouTube, Discourse, forum archives): keep the words, drop tags and entities."""
    if "<" in text or "&" in text:
        text = html.unescape(TAG_RE.sub(" ", text))
    return text.replace("\ufeff", "")


def may_have_link(text: str) -> bool:
    """False only when URL_RE cannot match (no "://", no "www.", no dot before a known ending)."""
    return "://" in text or (
        "." in text and ("www." in text.lower() or TLD_HINT_RE.search(text) is not None)
    )


def find_links(text: str) -> list[str]:
    return URL_RE.findall(text) if may_have_link(text) else []


# what every link has: carries nothing the has_url feature does not
_LINK_FILLER = frozenset({"http", "https", "www"})


def link_words(text: str) -> str:
    """The words inside a text's links, space-separated: domain and path split on punctuation
    ("https://www.youtube.com/user/SomeChannel?feature=mhee" -> "youtube com user somechannel feature
    mhee"). normalise() turns every link into one token, so without these words a link to a YouTube
    channel and one to a shop look the same. Empty for a text without links (most messages)."""
    if not may_have_link(text):
        return ""
    words = (
        word
        for link in URL_RE.findall(text)
        for word in NON_WORD_RE.sub(" ", strip_accents(link)).replace("@", " ").split()
        if word not in _LINK_FILLER
    )
    return " ".join(words)


def normalise(text: str) -> str:
    """The text the n-gram features see: lower-case, accents stripped, links and mentions as tokens,
    punctuation folded to spaces (so tweets, Reddit dumps and forum posts look alike)."""
    text = fold_unicode(text)
    if may_have_link(text):
        text = URL_RE.sub(" lienurl ", text)
    text = MENTION_RE.sub(" @user ", text)
    folded = strip_accents(text)
    return " ".join(NON_WORD_RE.sub(" ", folded).split())


def normalise_keeping_links(text: str) -> str:
    """normalise(), links left as their words ("http www youtube com watch v ...") instead of one token:
    the spam model's second view (classifier.TEXT_FEATURES), where the site a link points to and how
    it is written are read with the rest of the message."""
    text = fold_unicode(text)
    if "@" in text:
        text = MENTION_RE.sub(" @user ", text)
    return " ".join(NON_WORD_RE.sub(" ", strip_accents(text)).split())


def word_text(normalised: str) -> str:
    """The words scikit-learn's token pattern \\b\\w+\\b finds in a normalised text, space-separated
    ('@' is the only character of a normalised text that is not a word character or a space)."""
    return " ".join(normalised.replace("@", " ").split()) if "@" in normalised else normalised


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


def lexicon_sections(
    name: str, first: str, *, fold: bool = False, word_end: bool = False
) -> dict[str, re.Pattern[str]]:
    """A sectioned lexicon file (`[section]` lines, `#` comments), as section name -> one compiled
    alternation of its patterns, each starting at a word boundary (and ending at one with word_end);
    lines before the first `[section]` belong to `first`. fold: accents stripped from the patterns."""
    sections: dict[str, list[str]] = {}
    current = first
    for raw in (LEXICONS / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        sections.setdefault(current, []).append(strip_accents(line) if fold else line)
    end = r"\b" if word_end else ""
    return {
        section: re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in items) + r")" + end)
        for section, items in sections.items()
    }


@cache
def spam_patterns() -> dict[str, re.Pattern[str]]:
    """Section name -> one compiled alternation of that section's phrases (lexicons/spam.txt)."""
    return lexicon_sections("spam.txt", "promo")


@cache
def target_patterns() -> dict[str, re.Pattern[str]]:
    """Section name -> one compiled alternation of that section's patterns (lexicons/targets.txt)."""
    return lexicon_sections("targets.txt", "profanity", fold=True, word_end=True)


@dataclass(frozen=True)
class _Matchers:
    """The patterns dense_features reads, compiled once for matching.Matcher (the same answers as re)."""

    searched: MatcherSet  # on the folded text: does each occur (the counted ones too)
    profanity: Matcher
    promo: Matcher
    money: Matcher
    channel: Matcher
    phone: Matcher  # on the text itself


@cache
def _folded_matchers() -> _Matchers:
    targets, spam = target_patterns(), spam_patterns()
    # the counted patterns are searched too: most messages match none, and then are not counted
    searched = dict(targets)
    searched |= {
        "promo": spam["promo"],
        "money": spam["money"],
        "channel": CHANNEL_RE,
        "subscribe": SUBSCRIBE_RE,
        "check": CHECK_RE,
        "messaging": MESSAGING_RE,
        "scheme": SCHEME_RE,
        "share": SHARE_RE,
    }
    return _Matchers(
        MatcherSet(searched),
        Matcher(targets["profanity"]),
        Matcher(spam["promo"]),
        Matcher(spam["money"]),
        Matcher(CHANNEL_RE),
        Matcher(PHONE_RE),
    )


def is_insult_word(token: str) -> bool:
    return token in insult_lexicon().words or token.startswith(_long_prefixes())


@cache
def _long_prefixes() -> tuple[str, ...]:
    """The insult prefixes of three letters or more (shorter ones would match too many words)."""
    return tuple(p for p in insult_lexicon().prefixes if len(p) >= 3)


def has_insult(text: str) -> bool:
    """An insult of the lexicons appears in the text (the FTR reader keeps "not racist" tweets as clean
    toxicity examples only when none does)."""
    norm = normalise(text)
    return insult_lexicon().count(norm.split(), norm) > 0


def censored_insult(folded: str, tokens: list[str]) -> bool:
    """An insult written to get past a word filter: with asterisks ("c*nnard", "f**k"), in leet
    ("s4l0pe"), or spaced out ("c o n n a r d")."""
    symbols = "*" in folded or "#" in folded or "$" in folded or "%" in folded or "@" in folded
    for match in CENSORED_RE.finditer(folded) if symbols or SPACED_RE.search(folded) else ():
        token = match.group(0)
        if " " in token:
            if is_insult_word(token.replace(" ", "")):
                return True
        elif "*" in token or "#" in token or is_insult_word(token.translate(_LEET)):
            return True
    if _DIGIT_RE.search(folded) is None:
        return False
    return any(is_insult_word(t.translate(_LEET)) for t in LEET_TOKEN_RE.findall(" ".join(tokens)))


def target_features(
    folded: str, tokens: list[str], found: set[str] | None = None
) -> tuple[float, ...]:
    """What a toxic message aims at (TARGET_NAMES): strong language, a threat, a group said to be
    something, a group named, a censored insult, dehumanising words, a group named by someone speaking
    against an attack or well of it (counter-speech: "dire que les X sont... est raciste").
    folded: lower-cased, accents stripped; found: the searched patterns found in folded, when the
    caller has them."""
    matchers = _folded_matchers()
    is_plain = plain(folded)
    found = matchers.searched.found(folded, is_plain) if found is None else found
    group = "group" in found
    return (
        min(matchers.profanity.count(folded, is_plain), 3) / 3 if "profanity" in found else 0.0,
        1.0 if "threat" in found else 0.0,
        1.0 if group and "generalisation" in found else 0.0,
        1.0 if group else 0.0,
        1.0 if censored_insult(folded, tokens) else 0.0,
        1.0 if "dehumanising" in found else 0.0,
        1.0 if group and "counter" in found else 0.0,
    )


def scheme_features(text: str, folded: str, found: set[str] | None = None) -> tuple[float, ...]:
    """The spam families of issue 13 (SCHEME_NAMES): a phone number, a messaging-app contact, a money
    scheme, a "share this" appeal, disguised letters, runs of broken encoding."""
    digits = _DIGIT_RE.search(text) is not None
    matchers = _folded_matchers()
    found = matchers.searched.found(folded, plain(folded)) if found is None else found
    return (
        1.0 if digits and matchers.phone.found(text, plain(text)) else 0.0,
        1.0 if "messaging" in found else 0.0,
        1.0 if "scheme" in found else 0.0,
        1.0 if "share" in found else 0.0,
        1.0 if is_disguised(text) else 0.0,
        min(len(MOJIBAKE_RE.findall(text)), 10) / 10 if not text.isascii() else 0.0,
    )


def profanity_count(text: str) -> int:
    """Strong-language words of lexicons/targets.txt in a text."""
    return len(target_patterns()["profanity"].findall(strip_accents(fold_unicode(text))))


@cache
def _letter_tables() -> tuple[np.ndarray, np.ndarray]:
    """For every code point of the basic plane: is it a letter (str.isalpha), and one outside Latin
    scripts. Other planes (emoji, rare scripts) are looked up one character at a time."""
    letter = np.fromiter((chr(c).isalpha() for c in range(0x10000)), dtype=bool, count=0x10000)
    outside = letter.copy()
    outside[:0x250] = False
    outside[0x1E00:0x1F00] = False
    return letter, outside


def script_letters(text: str) -> tuple[int, int]:
    """(letters, letters outside Latin scripts) of a text."""
    if text.isascii():
        raw = text.encode("ascii")
        return len(raw) - len(raw.translate(None, _ASCII_LETTERS)), 0
    points = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    letter, outside = _letter_tables()
    basic = points[points < 0x10000]
    letters, other = int(letter[basic].sum()), int(outside[basic].sum())
    if len(basic) < len(points):
        extra = sum(chr(p).isalpha() for p in points[points >= 0x10000].tolist())
        letters, other = (
            letters + extra,
            other + extra,
        )  # every letter beyond the basic plane is non-Latin
    return letters, other


def other_script_share(text: str) -> float:
    """Share of letters outside Latin scripts (junk in another script is a spam sign in fr/en groups).
    Emoji and symbols are not letters, so they do not count."""
    letters, other = script_letters(text)
    return other / letters if letters else 0.0


def char_counts(text: str) -> tuple[int, int, int]:
    """(letters, capitals, digits) of a text; ASCII texts (most messages) are counted in C."""
    if text.isascii():
        raw = text.encode("ascii")
        size = len(raw)
        return (
            size - len(raw.translate(None, _ASCII_LETTERS)),
            size - len(raw.translate(None, _ASCII_UPPER)),
            size - len(raw.translate(None, _ASCII_DIGITS)),
        )
    return sum(map(str.isalpha, text)), len(UPPER_RE.findall(text)), sum(map(str.isdigit, text))


def dense_features(text: str, normalised: str | None = None, *, mood: bool = True) -> np.ndarray:
    """The hand-written features of one message, scaled to roughly [0, 1]. mood: compute the mood
    features (zeros otherwise: only the French toxicity model reads them)."""
    norm = normalise(text) if normalised is None else normalised
    tokens = norm.split()
    lexicon = insult_lexicon()
    folded = strip_accents(fold_unicode(text))
    letters, uppers, digits = char_counts(text)
    urls = len(find_links(text))
    insults = lexicon.count(tokens, norm)
    matchers = _folded_matchers()
    is_plain = plain(folded)
    found = matchers.searched.found(folded, is_plain)
    promo = matchers.promo.count(folded, is_plain) if "promo" in found else 0
    own = promo > 0 and any(t in OWNERSHIP for t in tokens)
    values = (
        min(urls, 5) / 5,
        1.0 if urls else 0.0,
        min(len(MENTION_RE.findall(text)), 5) / 5,
        uppers / letters if letters >= 8 else 0.0,
        min(text.count("!"), 10) / 10,
        min(len(text), 2000) / 2000,
        other_script_share(text),
        1.0 if MOJIBAKE_RE.search(text) else 0.0,
        min(insults, 5) / 5,
        insults / len(tokens) if tokens else 0.0,
        1.0 if insults and any(t in SECOND_PERSON for t in tokens) else 0.0,
        min(promo, 5) / 5,
        min(matchers.money.count(folded, is_plain), 5) / 5 if "money" in found else 0.0,
        1.0 if own else 0.0,
        digits / len(text) if text else 0.0,
        1.0 if REPEAT_RE.search(text) else 0.0,
        *moderator_features(text, folded, tokens, found),
        *target_features(folded, tokens, found),
        *scheme_features(text, folded, found),
        *(mood_features(text) if mood else _NO_MOOD),
        1.0 if _may_appeal_for_likes(folded) and LIKE_APPEAL_RE.search(folded) else 0.0,
        1.0 if OWN_WORK_RE.search(folded) else 0.0,
    )
    return np.asarray(values, dtype=np.float32)


_NO_MOOD = (0.0, 0.0, 0.0)


def _may_appeal_for_likes(folded: str) -> bool:
    return "like" in folded or "thumb" in folded or "pouce" in folded


def mood_features(text: str) -> list[float]:
    """MOOD_NAMES: VADER's valence of the words, French first then English (sentiment.lexicon_valence,
    negations marked as the French sentiment model marks them), and the shares of positive and negative
    words. Toxicity is mostly negative: praise or a neutral mention of a group is no attack on it."""
    from tending.moderation import sentiment  # it imports this module

    return sentiment.lexicon_valence(sentiment.sentiment_words(text, "fr"), "fr")


def moderator_features(
    text: str, folded: str, tokens: list[str], found: set[str] | None = None
) -> tuple[float, ...]:
    """Signs a comment-section moderator reads (measured in benchmarks/moderation_spam_selection.py):
    first-person share, "please", asking for subscribers, "check out/me/my", channel vocabulary, a
    disguised link, a code-like token, words in capitals, runs of "!?.", and the number of words.
    folded: the text lower-cased without accents but with its links (".../channel/...",
    "subscription_center" are signs too); tokens: the normalised words."""
    count = max(len(tokens), 1)
    words = text.split()
    matchers = _folded_matchers()
    is_plain = plain(folded)
    found = matchers.searched.found(folded, is_plain) if found is None else found
    caps = sum(1 for w in words if len(w) >= 2 and w.isupper())
    return (
        sum(t in FIRST_PERSON for t in tokens) / count,
        1.0 if any(t in PLEASE for t in tokens) else 0.0,
        1.0 if "subscribe" in found else 0.0,
        1.0 if "check" in found else 0.0,
        min(matchers.channel.count(folded, is_plain), 3) / 3 if "channel" in found else 0.0,
        1.0 if ("." in text or "dot" in folded) and HIDDEN_LINK_RE.search(text) else 0.0,
        1.0 if CODE_TOKEN_RE.search(text) else 0.0,
        caps / len(words) if words else 0.0,
        1.0 if PUNCT_RUN_RE.search(text) else 0.0,
        min(len(tokens), 100) / 100,
    )


def has_link(text: str) -> bool:
    return may_have_link(text) and URL_RE.search(text) is not None


def matched_phrases(text: str) -> list[str]:
    """The lexicon entries a message matched, for a queue item's evidence (what a moderator reads)."""
    folded = strip_accents(text)
    found = [m.group(0) for pattern in spam_patterns().values() for m in pattern.finditer(folded)]
    lexicon = insult_lexicon()
    norm = normalise(text)
    prefixed = set(lexicon.prefixed.findall(norm)) if lexicon.prefixed is not None else set()
    found += [t for t in norm.split() if t in lexicon.words or t in prefixed]
    found += URL_RE.findall(text)
    seen: dict[str, None] = dict.fromkeys(f.strip() for f in found if f.strip())
    return list(seen)[:10]
