"""Language identification restricted to the languages tending speaks (French and English).

py3langid carries its model inside the package (nothing downloaded). A language given by the caller
(the export's, or the member's) wins over detection.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

LANGUAGES = ("fr", "en")


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str, default: str = "en") -> str:
    if not text.strip():
        return default
    lang, _probability = _identifier().classify(text)
    return str(lang)


def known_language(value: str | None) -> str | None:
    """'fr', 'fr-CA', 'French' -> 'fr'; anything else -> None (then we detect)."""
    if not value:
        return None
    head = value.strip().lower()[:2]
    return head if head in LANGUAGES else None


def detect_languages(texts: Sequence[str], known: Sequence[str | None]) -> list[str]:
    return [known_language(k) or detect_language(t) for t, k in zip(texts, known, strict=True)]
