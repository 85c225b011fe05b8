"""Sentiment (negative / neutral / positive) and complaints: trained linear models, French and English.

The features are built for mood rather than moderation: the text keeps its emoji, emoticons and "!?"
(tending.moderation.text.normalise drops them), words after a negation are marked ("n'es pas seule"
-> "neg_seule"), and a few dense features carry lexicon scores (VADER's word valences, Hutto & Gilbert
2014, and Pattern's adjective polarities as shipped by textblob and textblob-fr), capitals and
punctuation. Negation is marked only after a real
negation word: in French "ne"/"n'" and "pas", "jamais", "aucun", "sans", never "plus" alone ("bien plus
parlant" is no negation, "ne ... plus" is caught by its "ne").

The models are one-vs-rest logistic regressions per language whose three decision values are turned
into probabilities by a small multinomial calibration fitted on out-of-fold values (so the
probabilities sum to one and mean what they say on the training language's tweets). A message is
*negative with confidence* when P(negative) reaches the model's `confident` threshold (chosen for
precision on out-of-fold scores, see docs/model-card.md); alerts quote only those.

The complaint score is not a trained model: no labelled complaint set exists here, and weak labels
(negative tweets matching the complaint lexicon) found none in the training tweets. It is
P(negative) weighted by the signs that someone needs an answer, read from lexicons/complaints.txt
(service, unanswered, waiting, money, order, broken): see complaint_score.

A message the models cannot read (empty, only emoji, only a link or a mention, or mostly in a
script other than Latin) is neutral: P = (0, 1, 0), complaint 0. `tending train --model sentiment_fr`
(tending.moderation.sentiment_training) writes the files in models/sentiment/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from tending.errors import TendingError
from tending.moderation import hashing
from tending.moderation.matching import MatcherSet, plain
from tending.moderation.text import (
    MENTION_RE,
    URL_RE,
    char_counts,
    clean_markup,
    lexicon_sections,
    may_have_link,
    script_letters,
    strip_accents,
)

SENTIMENT_DIR = Path(__file__).parent / "models" / "sentiment"
LABELS = ("negative", "neutral", "positive")
NEUTRAL = 1
MAX_CHARS = 1500
CHAR_FEATURES = 2**17
CHAR_LOW, CHAR_HIGH = 2, 5
WORD_FEATURES = 2**16
SYMBOL_FEATURES = 2**10
DENSE_SCALE = 2.0
NEGATION_SPAN = (
    3  # words marked after a negation (Das & Chen 2001 mark up to the punctuation; 3 is tighter)
)
NEGATORS = {
    "en": frozenset({"not", "no", "never", "nothing", "nobody", "nor", "without", "cannot"}),
    "fr": frozenset({"ne", "n", "pas", "jamais", "aucun", "aucune", "sans", "ni"}),
}
CLAUSE_END = frozenset(
    {".", ",", ";", ":", "!", "?", "but", "mais", "however", "pourtant", "cependant"}
)
TOKEN_RE = re.compile(r"[a-z0-9]+|[!?]|[.,;:]")
# emoji (the pictographic blocks), and the common emoticons
SYMBOL_RE = re.compile(
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2764]"
    r"|(?<!\w)(?:[:;=]-?[)(DPp/|]|<3|\^\^|xD|XD|:'\()(?!\w)"
)
WORDY_RE = re.compile(r"[^\W\d_]{2,}")
# sections of lexicons/complaints.txt that say someone needs an answer ("anger" is the other one)
NEEDS_ANSWER = ("service", "unanswered", "waiting", "money", "order", "broken")
COMPLAINT_AT = 0.5  # the complaint score at which classify labels a message "complaint"
COMPLAINT_FLOOR = 0.2
DENSE_NAMES = (
    "vader_valence",
    "vader_positive",
    "vader_negative",
    "exclamations",
    "questions",
    "caps_ratio",
    "french",
    "symbols",
    "adjective_polarity",
    "positive_adjectives",
    "negative_adjectives",
    "subjectivity",
)
# the adjective lexicons of Pattern (De Smedt & Daelemans 2012, PDDL) as shipped by textblob and textblob-fr
POLARITY_FILES = {
    "fr": ("textblob_fr", "fr-sentiment.xml"),
    "en": ("textblob", "en/en-sentiment.xml"),
}
VADER_FRENCH = ("vaderSentiment_fr", "fr_lexicon.txt")
POLARITY_RE = re.compile(
    r'<word form="([^"]+)"[^>]*?polarity="(-?[0-9.]+)" subjectivity="([0-9.]+)"'
)


@dataclass(frozen=True)
class Mood:
    """What the sentiment and complaint models read in one message."""

    sentiment: str  # "negative" | "neutral" | "positive"
    negative: float  # P(negative)
    positive: float  # P(positive)
    complaint: (
        float  # how much it reads like an unhappy member who needs an answer (complaint_score)
    )
    confident_negative: bool  # P(negative) reached the model's confident threshold
    readable: bool

    @property
    def score(self) -> float:
        """P(positive) - P(negative), in [-1, 1] (the trends' mean sentiment)."""
        return round(self.positive - self.negative, 4)


UNREAD = Mood("neutral", 0.0, 0.0, 0.0, False, False)


# -- text -> features ------------------------------------------------------------------------------------


def _prepare(text: str) -> str:
    """Lower-case, accent-stripped text with links and mentions as words and apostrophes as spaces
    ("n't" -> " not", so English negations are words)."""
    if may_have_link(text):
        text = URL_RE.sub(" lienurl ", text)
    text = MENTION_RE.sub(" @user ", text)
    text = (
        text.replace("\u2019", "'").replace("n't", " not").replace("N'T", " not").replace("'", " ")
    )
    return strip_accents(text)


def sentiment_words(text: str, lang: str) -> list[str]:
    """The words the n-grams see, with up to NEGATION_SPAN words after a negation marked "neg_" (the
    mark stops at the end of a clause)."""
    return list(_sentiment_words(text, lang))


# classify reads each French message twice this way (the toxicity features' mood, then the sentiment
# model), one batch after the other: the second reading is a look-up
@lru_cache(maxsize=4096)
def _sentiment_words(text: str, lang: str) -> tuple[str, ...]:
    negators = NEGATORS.get(lang, NEGATORS["en"])
    tokens = TOKEN_RE.findall(_prepare(text))
    if negators.isdisjoint(tokens):  # nothing to mark (most messages): only the clause ends go
        return tuple(t for t in tokens if t not in CLAUSE_END or t == "!" or t == "?")
    out: list[str] = []
    left = 0
    for token in tokens:
        if token in CLAUSE_END:
            left = 0
            if token in "!?":
                out.append(token)
            continue
        out.append(f"neg_{token}" if left else token)
        left = NEGATION_SPAN if token in negators else max(left - 1, 0)
    return tuple(out)


def symbols(text: str) -> list[str]:
    """Emoji and emoticons as tokens ("e1f602" for U+1F602, "e3a29" for ":)")."""
    return ["e" + "".join(f"{ord(c):x}" for c in m) for m in SYMBOL_RE.findall(text)]


def readable(text: str) -> bool:
    """Whether a message has words the models can read: at least one word of two letters once links,
    mentions, emoji and symbols are taken out, mostly in Latin script (Cyrillic, Arabic, CJK... are
    other languages the models never saw)."""
    if may_have_link(text):
        text = URL_RE.sub(" ", text)
    text = MENTION_RE.sub(" ", text)
    if not WORDY_RE.search(text):
        return False
    letters, other = script_letters(text)
    return other * 2 < letters


@cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@cache
def polarity_lexicon(lang: str) -> dict[str, tuple[float, float]]:
    """Accent-folded adjective -> (polarity in [-1, 1], subjectivity in [0, 1]), read from the package's
    file without importing it (textblob imports nltk, which is slow to load)."""
    import importlib.util

    package, name = POLARITY_FILES[lang]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TendingError(
            f"the {package} package is missing (a dependency of tending): reinstall tending."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / name
    found: dict[str, tuple[float, float]] = {}
    for form, polarity, subjectivity in POLARITY_RE.findall(path.read_text(encoding="utf-8")):
        found.setdefault(strip_accents(form), (float(polarity), float(subjectivity)))
    return found


def lexicon_features(words: Sequence[str], lang: str) -> list[float]:
    """Adjective polarity summed (a negated adjective counts half, reversed), squashed to [-1, 1]; the
    numbers of clearly positive and negative adjectives (/3); the highest subjectivity."""
    lexicon = polarity_lexicon("fr" if lang == "fr" else "en")
    polarities, subjectivity = [], 0.0
    for word in words:
        negated = word.startswith("neg_")
        entry = lexicon.get(word[4:] if negated else word)
        if entry is not None:
            polarities.append(-0.5 * entry[0] if negated else entry[0])
            subjectivity = max(subjectivity, entry[1])
    total = sum(polarities)
    return [
        total / (total * total + 1) ** 0.5,
        sum(p > 0.1 for p in polarities) / 3,
        sum(p < -0.1 for p in polarities) / 3,
        subjectivity,
    ]


def _package_file(package: str, name: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TendingError(
            f"the {package} package is missing (a dependency of tending): reinstall tending."
        )
    return Path(next(iter(spec.submodule_search_locations))) / name


@cache
def _vader_lexicon(lang: str = "en") -> dict[str, float]:
    """VADER's word valences (-4..4), accent-folded, as shipped in vaderSentiment; for French, first
    the French VADER lexicon of vaderSentiment-fr (VADER's entries translated, MIT), then VADER's own
    (French tweets hold English words and emoticons too)."""
    folded: dict[str, float] = {}
    if lang == "fr":
        path = _package_file(*VADER_FRENCH)
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, valence = line.rpartition("->")
            try:
                folded.setdefault(strip_accents(word.strip()), float(valence))
            except ValueError:
                continue
    for word, value in _vader().lexicon.items():
        folded.setdefault(strip_accents(word), float(value))
    return folded


def lexicon_valence(words: Sequence[str], lang: str = "en") -> list[float]:
    """VADER's lexicon over the words (a negated word counts -0.74 times, VADER's negation scalar):
    the sum normalised as VADER does, x / sqrt(x^2 + 15), and the positive and negative shares. Only
    the lexicon: VADER's own rules run in Python at about 1,500 messages/s, too slow for a scan."""
    lexicon = _vader_lexicon("fr" if lang == "fr" else "en")
    positive = negative = 0.0
    for word in words:
        negated = word.startswith("neg_")
        valence = lexicon.get(word[4:] if negated else word)
        if valence is None:
            continue
        if negated:
            valence *= -0.74
        if valence > 0:
            positive += valence
        else:
            negative -= valence
    total = positive - negative
    spread = positive + negative + len(words)
    return [
        total / (total * total + 15) ** 0.5,
        positive / spread if spread else 0.0,
        negative / spread if spread else 0.0,
    ]


def dense_features(text: str, lang: str, words: Sequence[str]) -> list[float]:
    letters, capitals, _digits = char_counts(text)
    marks = SYMBOL_RE.findall(text)  # VADER's lexicon holds emoticons too (":)", "<3")
    return [
        *lexicon_valence([*words, *marks], lang),
        min(text.count("!"), 5) / 5,
        min(text.count("?"), 5) / 5,
        capitals / letters if letters >= 8 else 0.0,
        float(lang == "fr"),
        min(len(marks), 5) / 5,
        *lexicon_features(words, lang),
    ]


class Featurizer:
    """Texts and languages -> sparse rows: hashed character 2-5-grams within the words outside a negation
    and word 1-2-grams of sentiment_words (l2-normalised each), emoji counts, and the dense features x
    DENSE_SCALE."""

    def transform(self, texts: Sequence[str], langs: Sequence[str]) -> sparse.csr_matrix:
        texts = [clean_markup(t[:MAX_CHARS]) for t in texts]
        tokens = [sentiment_words(t, lang) for t, lang in zip(texts, langs, strict=True)]
        n = len(texts)
        # a negated word gives no character n-grams: "pas seule" must not carry the evidence of "seule";
        # its word feature is "neg_seule" and the lexicon features reverse its polarity
        chars = hashing.char_wb_ngrams(
            hashing.split_words(
                [" ".join(w for w in t if not w.startswith("neg_")) for t in tokens]
            ),
            CHAR_LOW,
            CHAR_HIGH,
        )
        grams = hashing.word_ngrams(hashing.split_words([" ".join(t) for t in tokens]))
        marks = hashing.split_words([" ".join(symbols(t)) for t in texts])
        singles = len(marks.starts)  # word_ngrams lists the single tokens first, then the pairs
        mark_hashes, mark_rows = hashing.word_ngrams(marks)
        dense = np.array(
            [dense_features(t, lang, w) for t, lang, w in zip(texts, langs, tokens, strict=True)],
            dtype=np.float32,
        ).reshape(n, len(DENSE_NAMES))
        blocks = [
            hashing.count_matrix(*chars, n, CHAR_FEATURES, l2=True),
            hashing.count_matrix(*grams, n, WORD_FEATURES, l2=True),
            hashing.count_matrix(
                mark_hashes[:singles], mark_rows[:singles], n, SYMBOL_FEATURES, l2=False
            ),
            sparse.csr_matrix(dense * DENSE_SCALE),
        ]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)


N_FEATURES = CHAR_FEATURES + WORD_FEATURES + SYMBOL_FEATURES + len(DENSE_NAMES)


# -- models ----------------------------------------------------------------------------------------------


@dataclass
class ClassModel:
    """K one-vs-rest linear scores, turned into K probabilities by a multinomial calibration:
    p = softmax(A @ s + c), with s the K decision values (A is K x K, fitted on out-of-fold values)."""

    name: str
    weights: np.ndarray  # (features, K)
    bias: np.ndarray  # (K,)
    calibration: np.ndarray  # (K, K)
    intercept: np.ndarray  # (K,)
    classes: tuple[str, ...]
    threshold: (
        float  # for "negative" (sentiment) or the positive class (complaint): the confident cut
    )
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, rows: sparse.csr_matrix) -> np.ndarray:
        decision = np.asarray(rows @ self.weights, dtype=np.float64) + self.bias
        logits = decision @ self.calibration.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def save(self, path: Path) -> None:
        flat = self.weights.reshape(-1)
        nonzero = np.flatnonzero(flat).astype(np.int32)
        np.savez_compressed(
            path,
            indices=nonzero,
            values=flat[nonzero].astype(np.float16),
            shape=np.array(self.weights.shape, dtype=np.int64),
            bias=self.bias,
            calibration=self.calibration,
            intercept=self.intercept,
            threshold=np.float64(self.threshold),
            meta=np.array(json.dumps({**self.meta, "classes": list(self.classes)})),
        )

    @classmethod
    def load(cls, path: Path) -> ClassModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                shape = tuple(int(v) for v in data["shape"])
                flat = np.zeros(shape[0] * shape[1], dtype=np.float32)
                flat[data["indices"]] = data["values"].astype(np.float32)
                meta = json.loads(str(data["meta"]))
                return cls(
                    path.stem,
                    flat.reshape(shape),
                    data["bias"].astype(np.float64),
                    data["calibration"].astype(np.float64),
                    data["intercept"].astype(np.float64),
                    tuple(meta["classes"]),
                    float(data["threshold"]),
                    meta,
                )
        except (OSError, KeyError, ValueError) as error:
            raise TendingError(
                f"{path}: not a tending sentiment model ({error}); "
                "run tending train --model sentiment_fr --model sentiment_en."
            ) from None


@cache
def complaint_patterns() -> dict[str, re.Pattern[str]]:
    """Section name -> one alternation of its phrases (lexicons/complaints.txt)."""
    return lexicon_sections("complaints.txt", "service")


@cache
def _complaint_matcher() -> MatcherSet:
    return MatcherSet(complaint_patterns())


def complaint_sections(text: str) -> list[str]:
    """The sections of lexicons/complaints.txt a text matches, in the file's order."""
    folded = " ".join(_prepare(text).split())
    found = _complaint_matcher().found(folded, plain(folded))
    return [name for name in complaint_patterns() if name in found]


def complaint_score(negative: float, sections: Sequence[str]) -> float:
    """How much a message reads like an unhappy member who needs an answer, in [0, 1]: its negativity
    times 1 - 0.5^k for k signs of a need (service, unanswered, waiting, money, order, broken). The
    negativity is P(negative), at least 0.6 with an angry word or an unanswered request (having no
    answer is the grievance itself). One sign alone stays under 0.5: "my cat has been sick for three
    days" is sad, not a complaint to answer."""
    needs = sum(name in sections for name in NEEDS_ANSWER)
    if not needs:
        return 0.0
    mood = max(negative, 0.6) if "anger" in sections or "unanswered" in sections else negative
    return round(mood * (1 - 0.5**needs), 4)


class Reader:
    """The sentiment models, one per language."""

    def __init__(self, models: dict[str, ClassModel]) -> None:
        missing = {"sentiment_fr", "sentiment_en"} - set(models)
        if missing:
            raise TendingError(f"sentiment models missing: {', '.join(sorted(missing))}.")
        self.models = models
        self.featurizer = Featurizer()

    @classmethod
    def load(cls, directory: Path = SENTIMENT_DIR) -> Reader:
        return cls({p.stem: ClassModel.load(p) for p in sorted(directory.glob("*.npz"))})

    def read(self, texts: Sequence[str], langs: Sequence[str]) -> list[Mood]:
        """One Mood per text. langs: "fr" or "en"; a text in any other language is not read (neutral)."""
        keep = [
            i
            for i, t in enumerate(texts)
            if langs[i] in ("fr", "en") and readable(clean_markup(t[:MAX_CHARS]))
        ]
        out = [UNREAD] * len(texts)
        if not keep:
            return out
        langs_kept = [langs[i] for i in keep]
        rows = self.featurizer.transform([texts[i] for i in keep], langs_kept)
        french = np.array([lang == "fr" for lang in langs_kept])
        mood = np.where(
            french[:, None],
            self.models["sentiment_fr"].probabilities(rows),
            self.models["sentiment_en"].probabilities(rows),
        )
        for j, i in enumerate(keep):
            model = self.models["sentiment_fr" if french[j] else "sentiment_en"]
            p = mood[j]
            # under COMPLAINT_FLOOR of P(negative) only a long list of grievances could reach COMPLAINT_AT:
            # the lexicon is not read (it costs a tenth of the reading)
            complaint = (
                complaint_score(float(p[0]), complaint_sections(texts[i][:MAX_CHARS]))
                if p[0] >= COMPLAINT_FLOOR
                else 0.0
            )
            out[i] = Mood(
                LABELS[int(np.argmax(p))],
                round(float(p[0]), 4),
                round(float(p[2]), 4),
                complaint,
                bool(p[0] >= model.threshold),
                True,
            )
        return out


def complaint_scores(reader: Reader, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """The complaint score of each text, for a scan: the sentiment model reads only the texts with two
    or more signs of a need (with fewer, the score stays under COMPLAINT_AT whatever the mood)."""
    out = np.zeros(len(texts))
    sections = [complaint_sections(t[:MAX_CHARS]) for t in texts]
    wanted = [
        i for i, found in enumerate(sections) if sum(name in found for name in NEEDS_ANSWER) >= 2
    ]
    if wanted:
        for i, mood in zip(
            wanted, reader.read([texts[i] for i in wanted], [langs[i] for i in wanted]), strict=True
        ):
            out[i] = mood.complaint
    return out


@cache
def shipped_reader() -> Reader:
    """The sentiment models shipped inside the package (loaded once per process)."""
    return Reader.load(SENTIMENT_DIR)
