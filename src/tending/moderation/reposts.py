"""Near-duplicate text (MinHash with LSH banding) and image (dHash) detection, in numpy.

Text: a message's set of word 3-grams (after tending.moderation.text.normalise) is summarised by
NUM_PERM minimum hash values (Broder 1997): two messages agree on a value with probability equal to
the Jaccard similarity of their shingle sets. Signatures are cut into BANDS bands of ROWS values;
messages sharing a band become candidates (Leskovec, Rajaraman, Ullman, Mining of Massive Datasets,
ch. 3), and a candidate is a repost when the estimated Jaccard similarity reaches MIN_SIMILARITY.
The hash family is multiply-shift (Dietzfelbinger et al. 1997) on 64-bit words.

Images: dHash (difference hash, N. Krawetz 2013): the picture in grey at 9x8 pixels, one bit per
horizontally adjacent pair (is the left pixel brighter?). Re-encoding and resizing keep most bits;
two images are the same picture when at most MAX_IMAGE_DISTANCE of 64 bits differ.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tending.moderation.text import clean_markup, normalise

NUM_PERM = 24
BANDS = 6
ROWS = NUM_PERM // BANDS
SHINGLE = 3
MIN_TOKENS = 6  # "thanks, welcome!" posted twice is not a repost
MIN_SIMILARITY = 0.7
MAX_IMAGE_DISTANCE = 10
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")

_rng = np.random.default_rng(0x7E4D1)
_A = (_rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1))  # odd multipliers
_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_WORD_CACHE: dict[str, int] = {}


def _word_hash(word: str) -> int:
    value = _WORD_CACHE.get(word)
    if value is None:
        if len(_WORD_CACHE) > 500_000:
            _WORD_CACHE.clear()
        value = _WORD_CACHE[word] = zlib.crc32(word.encode())
    return value


def shingle_hashes(text: str, *, normalised: bool = False) -> np.ndarray | None:
    """The 32-bit hashes of a message's word 3-grams, or None when it is too short to compare.
    normalised: `text` already went through text.normalise (the scan does it once per message)."""
    tokens = (text if normalised else normalise(clean_markup(text))).split()
    if len(tokens) < MIN_TOKENS:
        return None
    words = np.fromiter((_word_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    mixed = words[:-2] * np.uint64(0x9E3779B1) + words[1:-1] * np.uint64(0x85EBCA77) + words[2:]
    return np.unique(mixed & np.uint64(0xFFFFFFFF))


def minhash_batch(texts: list[str], *, normalised: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Signatures (n_kept, NUM_PERM) uint32 and the positions in `texts` they belong to."""
    kept, parts = [], []
    for position, text in enumerate(texts):
        hashes = shingle_hashes(text, normalised=normalised)
        if hashes is not None:
            kept.append(position)
            parts.append(hashes)
    if not parts:
        return np.zeros((0, NUM_PERM), dtype=np.uint32), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    values = np.concatenate(parts)
    permuted = ((values[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)).astype(np.uint32)
    return np.minimum.reduceat(permuted, starts, axis=0), np.array(kept, dtype=np.int64)


def signature_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


@dataclass(frozen=True)
class Match:
    index: int  # the later copy (position in the arrays given)
    earlier: int  # the earliest copy found
    similarity: float


def find_text_reposts(signatures: np.ndarray, occurred: np.ndarray, ids: np.ndarray,
                      candidates: np.ndarray) -> list[Match]:
    """For each index in `candidates`, the earliest other message whose signature is similar enough.

    Works on the whole set at once: per band, sort by (band value, time, id); within a run of equal
    band values the first element is the earliest copy of all the others.
    """
    n = len(ids)
    if n < 2 or len(candidates) == 0:
        return []
    earliest = np.full((n, BANDS), -1, dtype=np.int64)
    for band in range(BANDS):
        block = signatures[:, band * ROWS:(band + 1) * ROWS].astype(np.uint64)
        key = np.zeros(n, dtype=np.uint64)
        for column in range(ROWS):
            key = key * np.uint64(0x100000001B3) + block[:, column]
        order = np.lexsort((ids, occurred, key))
        sorted_key = key[order]
        starts = np.ones(n, dtype=bool)
        starts[1:] = sorted_key[1:] != sorted_key[:-1]
        first_position = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
        earliest[order, band] = order[first_position]
    matches = []
    for index in candidates:
        options = {int(e) for e in earliest[index] if e >= 0 and e != index}
        best: Match | None = None
        for other in sorted(options, key=lambda o: (occurred[o], ids[o])):
            similarity = float(np.mean(signatures[index] == signatures[other]))
            if similarity >= MIN_SIMILARITY:
                best = Match(int(index), other, similarity)
                break
        if best is not None:
            matches.append(best)
    return matches


# -- images ------------------------------------------------------------------------------------------

def dhash(path: Path) -> int:
    """The 64-bit difference hash of an image file."""
    from PIL import Image

    with Image.open(path) as image:
        grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
        pixels = np.asarray(grey, dtype=np.int16)
    bits = (pixels[:, :-1] > pixels[:, 1:]).flatten()
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def find_image_reposts(hashes: np.ndarray, occurred: np.ndarray, ids: np.ndarray,
                       candidates: np.ndarray) -> list[Match]:
    """For each candidate image, the earliest other image within MAX_IMAGE_DISTANCE bits."""
    matches = []
    for index in candidates:
        distance = np.bitwise_count(hashes ^ hashes[index])
        close = np.flatnonzero(distance <= MAX_IMAGE_DISTANCE)
        close = close[(close != index) & ((occurred[close] < occurred[index]) |
                                          ((occurred[close] == occurred[index]) & (ids[close] < ids[index])))]
        if close.size:
            earliest = close[np.lexsort((ids[close], occurred[close]))[0]]
            matches.append(Match(int(index), int(earliest), 1 - float(distance[earliest]) / 64))
    return matches


def image_paths(extra: dict[str, Any] | None, media_root: Path | None) -> list[Path]:
    """Image files an activity carries, from its export's attachment fields (see docs/moderation.md)."""
    if not extra:
        return []
    found: list[Path] = []
    for key in ("attachments", "images", "files", "image_paths"):
        value = extra.get(key)
        for entry in value if isinstance(value, list) else [value] if value else []:
            raw = entry if isinstance(entry, str) else next(
                (entry.get(k) for k in ("path", "local_path", "file", "filename") if isinstance(entry, dict)
                 and isinstance(entry.get(k), str)), None)
            if raw and raw.lower().endswith(IMAGE_SUFFIXES):
                path = Path(raw)
                found.append(path if path.is_absolute() or media_root is None else media_root / path)
    return found
