"""Language identification restricted to the languages tending speaks (French and English).

py3langid carries its model inside the package (nothing downloaded). A language given by the caller
(the export's, or the member's) wins over detection.

py3langid reads one text at a time, walking its automaton byte by byte in Python (about half a
millisecond per message). `detect_languages` walks the same automaton for a whole batch at once: one
numpy step per byte position moves every text still being read, and the few longest texts are
finished with py3langid's own loop. The scores are py3langid's (naive Bayes over log1p of the feature
counts, restricted to fr/en), so the answers are the same (tests compare them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

LANGUAGES = ("fr", "en")
DEFAULT = "en"
UNREADABLE = "und"  # BCP 47's "undetermined": no words to read (empty, emoji, a link, digits)
# languages a message is said to be in instead of French or English, when it clearly is (see other_languages)
OTHERS = (
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "pl",
    "ro",
    "tr",
    "sv",
    "ru",
    "uk",
    "el",
    "ar",
    "he",
    "hi",
    "zh",
    "ja",
    "ko",
)
OTHER_MIN_WORDS = 5
OTHER_MIN_PROBABILITY = 0.9
FINISH_IN_PYTHON = 24  # when this few texts are left, a plain loop is cheaper than a numpy step


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


@cache
def _wide_identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES + OTHERS))
    return identifier


@dataclass(frozen=True)
class _Automaton:
    nextmove: np.ndarray  # uint32: next state at rowbase[state] + byte
    rowbase: np.ndarray  # int64
    output: np.ndarray  # int64: the feature a state emits, or -1
    table: np.ndarray  # float32 (features, languages): log P(feature | language)
    prior: np.ndarray  # float32 (languages,)
    classes: tuple[str, ...]
    nextmove_array: Any  # py3langid's own array.array, indexed one byte at a time by the tail loop
    rowbase_list: list[int]


@cache
def _automaton() -> _Automaton:
    identifier = _identifier()
    nextmove = np.asarray(identifier.tk_nextmove)
    rowbase = np.asarray(identifier.tk_row, dtype=np.int64) << 8
    return _Automaton(
        nextmove,
        rowbase,
        np.asarray(identifier.tk_output, dtype=np.int64),
        np.asarray(identifier.nb_ptc, dtype=np.float32),
        np.asarray(identifier.nb_pc, dtype=np.float32),
        tuple(identifier.nb_classes),
        identifier.tk_nextmove,
        rowbase.tolist(),
    )


def _encode(text: str) -> bytes:
    """As py3langid prepares a text: lower-cased when all capitals, NFC, UTF-8."""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


def _feature_hits(encoded: list[bytes], model: _Automaton) -> tuple[np.ndarray, np.ndarray]:
    """(text index, feature) for every feature the automaton emits, over all texts."""
    lengths = np.array([len(b) for b in encoded], dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    buffer = np.frombuffer(b"".join(encoded[i] for i in order), dtype=np.uint8)
    starts = np.cumsum(sorted_lengths) - sorted_lengths
    ascending = sorted_lengths[::-1]
    state = np.zeros(len(encoded), dtype=np.int64)
    texts, features = [], []
    step = 0
    while True:
        active = len(encoded) - int(np.searchsorted(ascending, step, side="right"))
        if active <= FINISH_IN_PYTHON:
            break
        moved = model.nextmove[
            model.rowbase[state[:active]] + buffer[starts[:active] + step]
        ].astype(np.int64)
        state[:active] = moved
        emitted = model.output[moved]
        hit = np.flatnonzero(emitted >= 0)
        texts.append(hit)
        features.append(emitted[hit])
        step += 1
    for position in range(active):
        current, found = int(state[position]), []
        for byte in encoded[order[position]][step:]:
            current = model.nextmove_array[model.rowbase_list[current] + byte]
            feature = model.output[current]
            if feature >= 0:
                found.append(feature)
        texts.append(np.full(len(found), position, dtype=np.int64))
        features.append(np.array(found, dtype=np.int64))
    sorted_text = np.concatenate(texts) if texts else np.zeros(0, dtype=np.int64)
    return order[sorted_text], np.concatenate(features) if features else np.zeros(0, dtype=np.int64)


def identify(texts: Sequence[str]) -> list[str]:
    """py3langid's answer (restricted to fr/en) for each text; DEFAULT for a blank one."""
    model = _automaton()
    wanted = [i for i, t in enumerate(texts) if t.strip()]
    out = [DEFAULT] * len(texts)
    if not wanted:
        return out
    scores = _scores([texts[i] for i in wanted], model)
    for i, best in zip(wanted, scores.argmax(axis=1), strict=True):
        out[i] = model.classes[int(best)]
    return out


def _scores(texts: Sequence[str], model: _Automaton) -> np.ndarray:
    """py3langid's log scores (texts, model.classes) of non-blank texts."""
    text_of, feature = _feature_hits([_encode(t) for t in texts], model)
    n_features = len(model.table)
    keys, counts = np.unique(text_of * n_features + feature, return_counts=True)
    which, feature = keys // n_features, keys % n_features
    contribution = np.log1p(counts.astype(np.float32))[:, None] * model.table[feature]
    scores = np.zeros((len(texts), len(model.classes)), dtype=np.float64)
    for column in range(len(model.classes)):
        scores[:, column] = np.bincount(
            which, weights=contribution[:, column], minlength=len(texts)
        )
    featureless = np.bincount(which, minlength=len(texts)) == 0
    scores += model.prior
    scores[featureless] = 0.0  # py3langid: no feature, every language equal, the first one wins
    return scores


@cache
def _wide_automaton() -> _Automaton:
    identifier = _wide_identifier()
    base = _automaton()
    return _Automaton(
        base.nextmove,
        base.rowbase,
        base.output,
        np.asarray(identifier.nb_ptc, dtype=np.float32),
        np.asarray(identifier.nb_pc, dtype=np.float32),
        tuple(identifier.nb_classes),
        base.nextmove_array,
        base.rowbase_list,
    )


def other_languages(texts: Sequence[str]) -> list[str | None]:
    """The language of each text when it is clearly neither French nor English, else None (see
    identify_with_others)."""
    return identify_with_others(texts)[1]


def identify_with_others(texts: Sequence[str]) -> tuple[list[str], list[str | None]]:
    """For each text, identify()'s answer (fr or en) and, when the text is clearly in another language,
    that language (else None), from one walk of the automaton. Clearly: at least OTHER_MIN_WORDS words,
    and py3langid over fr, en and OTHERS gives another language OTHER_MIN_PROBABILITY or more. Short
    messages are never said to be in another language ("ta gueule" alone looks like Acehnese to py3langid)."""
    fr_en: list[str] = [DEFAULT] * len(texts)
    others: list[str | None] = [None] * len(texts)
    wanted = [i for i, t in enumerate(texts) if t.strip()]
    if not wanted:
        return fr_en, others
    model, narrow = _wide_automaton(), _automaton()
    scores = _scores([texts[i] for i in wanted], model)
    columns = [model.classes.index(lang) for lang in narrow.classes]
    for i, best in zip(wanted, scores[:, columns].argmax(axis=1), strict=True):
        fr_en[i] = narrow.classes[int(best)]
    long_enough = np.array([len(texts[i].split()) >= OTHER_MIN_WORDS for i in wanted])
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    best = probabilities.argmax(axis=1)
    for row in np.flatnonzero(long_enough).tolist():
        lang = model.classes[int(best[row])]
        if lang not in LANGUAGES and probabilities[row, best[row]] >= OTHER_MIN_PROBABILITY:
            others[wanted[row]] = lang
    return fr_en, others


def detect_language(text: str, default: str = DEFAULT) -> str:
    """One text (py3langid itself: for a single text a batch costs more than it saves)."""
    if not text.strip():
        return default
    return str(_identifier().classify(text)[0])


def known_language(value: str | None) -> str | None:
    """'fr', 'fr-CA', 'French' -> 'fr'; anything else -> None (then we detect)."""
    if not value:
        return None
    head = value.strip().lower()[:2]
    return head if head in LANGUAGES else None


def detect_languages(texts: Sequence[str], known: Sequence[str | None]) -> list[str]:
    """The caller's language when it names fr or en, else the identified one, for a whole batch."""
    given = [known_language(k) for k in known]
    unknown = [i for i, g in enumerate(given) if g is None]
    found = identify([texts[i] for i in unknown])
    for i, lang in zip(unknown, found, strict=True):
        given[i] = lang
    return [g or DEFAULT for g in given]
