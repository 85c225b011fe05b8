"""The sentiment signal tending used before issue #13, kept only as the baseline of
benchmarks/sentiment_quality.py (the product now uses tending.moderation.sentiment's trained models):
VADER for English, a small lexicon written for tending for French. Both give a compound score in [-1,
1]; a message is negative at -0.05 or below (VADER's documented threshold, Hutto & Gilbert 2014). The
French lexicon is deliberately small (common words of complaint, anger and praise on forums, with
negation "ne ... pas/plus/jamais" and intensifiers). It is a trend signal, not a verdict on one message.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache
from typing import Any

NEGATIVE_AT = -0.05

# valence on VADER's -4..4 scale
FRENCH: dict[str, float] = {
    # negative
    "nul": -2.5,
    "nulle": -2.5,
    "naze": -2.0,
    "horrible": -2.8,
    "affreux": -2.6,
    "catastrophe": -2.8,
    "catastrophique": -3.0,
    "honte": -2.6,
    "honteux": -2.8,
    "scandale": -2.8,
    "scandaleux": -3.0,
    "inadmissible": -2.8,
    "inacceptable": -2.6,
    "decu": -2.0,
    "decue": -2.0,
    "decevant": -2.0,
    "deception": -2.0,
    "colere": -2.4,
    "enerve": -2.0,
    "enervant": -2.0,
    "marre": -2.2,
    "ras-le-bol": -2.5,
    "nuls": -2.5,
    "pire": -2.5,
    "mauvais": -2.0,
    "mauvaise": -2.0,
    "mal": -1.5,
    "triste": -2.0,
    "probleme": -1.2,
    "problemes": -1.2,
    "bug": -1.2,
    "bugs": -1.2,
    "panne": -1.8,
    "plante": -1.5,
    "inutile": -2.0,
    "ridicule": -2.2,
    "stupide": -2.4,
    "idiot": -2.6,
    "idiote": -2.6,
    "debile": -2.8,
    "con": -2.8,
    "conne": -2.8,
    "connard": -3.4,
    "connasse": -3.4,
    "merde": -3.0,
    "merdique": -3.0,
    "degueulasse": -3.0,
    "arnaque": -2.8,
    "voleurs": -2.6,
    "mensonge": -2.4,
    "menteur": -2.6,
    "deteste": -3.0,
    "hais": -3.2,
    "haine": -3.2,
    "insupportable": -2.8,
    "agace": -1.8,
    "lamentable": -2.8,
    "pitoyable": -2.6,
    "degoute": -2.6,
    "furieux": -3.0,
    "inquiet": -1.5,
    "inquiete": -1.5,
    "peur": -1.8,
    "abandonne": -1.8,
    "ignore": -1.5,
    "lent": -1.2,
    "casse": -1.6,
    "perdu": -1.4,
    "injuste": -2.2,
    # positive
    "merci": 1.8,
    "bravo": 2.6,
    "super": 2.4,
    "genial": 2.8,
    "geniale": 2.8,
    "excellent": 3.0,
    "excellente": 3.0,
    "parfait": 2.8,
    "parfaite": 2.8,
    "top": 2.2,
    "bien": 1.4,
    "bon": 1.4,
    "bonne": 1.4,
    "content": 2.0,
    "contente": 2.0,
    "heureux": 2.6,
    "heureuse": 2.6,
    "ravi": 2.6,
    "ravie": 2.6,
    "adore": 3.0,
    "aime": 2.2,
    "magnifique": 3.0,
    "formidable": 3.0,
    "chouette": 2.2,
    "sympa": 2.0,
    "utile": 1.6,
    "aide": 1.2,
    "resolu": 1.6,
    "fonctionne": 1.2,
    "marche": 0.8,
    "felicitations": 2.8,
    "cool": 1.8,
    "interessant": 1.8,
    "clair": 1.2,
    "rapide": 1.2,
    "gentil": 2.0,
    "gentille": 2.0,
}
NEGATIONS = {"pas", "plus", "jamais", "rien", "aucun", "aucune", "ni", "sans"}
BOOSTERS = {
    "tres": 0.3,
    "trop": 0.3,
    "vraiment": 0.3,
    "tellement": 0.3,
    "completement": 0.3,
    "totalement": 0.3,
    "super": 0.2,
    "peu": -0.3,
    "assez": 0.1,
}
WORD = re.compile(r"[a-z'-]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def french_compound(text: str) -> float:
    """Sum of word valences (negated within three words after a negation, scaled by a booster just
    before), normalised like VADER: x / sqrt(x^2 + 15)."""
    words = [w.strip("'-") for w in WORD.findall(_fold(text).replace("’", "'"))]
    words = [w.split("'")[-1] for w in words if w]
    total = 0.0
    for i, word in enumerate(words):
        valence = FRENCH.get(word)
        if valence is None or (word == "super" and i + 1 < len(words) and words[i + 1] in FRENCH):
            continue
        if i > 0 and words[i - 1] in BOOSTERS:
            valence *= 1 + BOOSTERS[words[i - 1]]
        if any(w in NEGATIONS for w in words[max(0, i - 3) : i]) or (
            i + 1 < len(words) and words[i + 1] in NEGATIONS
        ):
            valence *= -0.74  # VADER's negation scalar
        total += valence
    if "!" in text:
        total *= 1 + min(text.count("!"), 3) * 0.06
    return total / math.sqrt(total * total + 15) if total else 0.0


@cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def compound(text: str, language: str | None) -> float:
    """Sentiment of one message in [-1, 1]; French through the lexicon above, anything else through VADER."""
    if (language or "").lower().startswith("fr"):
        return french_compound(text)
    return float(_vader().polarity_scores(text)["compound"])


def is_negative(score: float) -> bool:
    return score <= NEGATIVE_AT
