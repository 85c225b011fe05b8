"""Hashed n-gram features for a whole batch of texts at once, in numpy.

The models were trained on scikit-learn's HashingVectorizer features (character 3-5-grams within word
boundaries, word 1-2-grams); scikit-learn builds every n-gram as a Python string, which was half of a
scan's time. Here the same n-grams are described as (start, length) slices of one byte buffer holding
the whole batch, and hashed together with a vectorised MurmurHash3 (x86, 32-bit, seed 0: Appleby 2011,
the function scikit-learn uses), so the rows are the same as scikit-learn's (tests compare them).

The texts must be normalised (tending.moderation.text.normalise): ASCII letters, digits, '@' and
single spaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

SPACE = 32
_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
_TAIL_MASK = np.array([0, 0xFF, 0xFFFF, 0xFFFFFF], dtype=np.uint32)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _mix_key(k: np.ndarray) -> np.ndarray:
    return _rotl(k * _C1, 15) * _C2


def murmur3_32(buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """MurmurHash3_x86_32 (seed 0) of the byte slices buffer[start:start+length], as signed int32.

    `buffer` must end with at least 4 spare bytes (words are read 4 bytes at a time)."""
    words = np.ndarray(shape=(len(buffer) - 3,), dtype="<u4", buffer=buffer, strides=(1,))
    h = np.zeros(len(starts), dtype=np.uint32)
    blocks = lengths >> 2
    active = np.arange(len(starts))
    for k in range(int(blocks.max()) if len(blocks) else 0):
        active = active[blocks[active] > k]
        value = h[active] ^ _mix_key(words[starts[active] + 4 * k])
        h[active] = _rotl(value, 13) * np.uint32(5) + np.uint32(0xE6546B64)
    tail = words[starts + 4 * blocks] & _TAIL_MASK[lengths & 3]
    h ^= _mix_key(tail)  # a zero tail mixes to zero: no effect, as in the reference
    h ^= lengths.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h.view(np.int32)


def bucket(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """scikit-learn's column for a hash, abs(h) % n_features, for n_features a power of two (then
    abs(-2**31), which int32 leaves negative, lands in column 0 either way, as in scikit-learn)."""
    return (np.abs(hashes) & np.int32(n_features - 1)).astype(np.int64)


@dataclass
class Words:
    """The words of a batch of texts inside one padded byte buffer."""

    buffer: np.ndarray  # uint8: " " + texts joined by " " + " " + 4 spare bytes
    starts: np.ndarray  # int64 offset of each word
    lengths: np.ndarray  # int64
    rows: np.ndarray  # int64: which text each word belongs to
    n_texts: int


def split_words(texts: Sequence[str]) -> Words:
    """Words = runs of non-space bytes (texts are normalised: ASCII, single spaces)."""
    joined = (" " + " ".join(texts) + " ").encode("ascii", "replace")
    buffer = np.frombuffer(joined + b"\0\0\0\0", dtype=np.uint8)
    is_char = np.zeros(len(buffer) + 1, dtype=np.int8)
    is_char[1 : len(joined) + 1] = buffer[: len(joined)] != SPACE
    edges = np.diff(is_char)
    starts = np.flatnonzero(edges == 1).astype(np.int64)
    ends = np.flatnonzero(edges == -1).astype(np.int64)
    text_starts = (
        np.cumsum([0] + [len(t) + 1 for t in texts[:-1]], dtype=np.int64) + 1
        if texts
        else np.zeros(0)
    )
    rows = np.searchsorted(text_starts, starts, side="right").astype(np.int64) - 1
    return Words(buffer, starts, ends - starts, rows, len(texts))


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each (start, count): start, start+1, ..., start+count-1; and the index of its origin."""
    origin = np.repeat(np.arange(len(starts)), counts)
    first = np.cumsum(counts) - counts
    return starts[origin] + (np.arange(origin.size) - first[origin]), origin


def char_wb_ngrams(words: Words, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash, row) of every character n-gram, low <= n <= high, of each word padded with a space on
    both sides (scikit-learn's "char_wb" analyzer: a padded word shorter than n yields no n-gram)."""
    padded_start, padded_length = words.starts - 1, words.lengths + 2
    hashes, rows = [], []
    for n in range(low, high + 1):
        counts = np.maximum(padded_length - n + 1, 0)
        starts, origin = _expand(padded_start, counts)
        hashes.append(murmur3_32(words.buffer, starts, np.full(starts.size, n, dtype=np.int64)))
        rows.append(words.rows[origin])
    return np.concatenate(hashes), np.concatenate(rows)


def word_ngrams(words: Words) -> tuple[np.ndarray, np.ndarray]:
    """(hash, row) of every word, then of every pair of neighbouring words of one text ("a b"): the
    first len(words.starts) entries are the words' own hashes."""
    same_text = words.rows[1:] == words.rows[:-1]
    pair = np.flatnonzero(same_text)
    starts = np.concatenate([words.starts, words.starts[pair]])
    lengths = np.concatenate(
        [words.lengths, words.starts[pair + 1] + words.lengths[pair + 1] - words.starts[pair]]
    )
    rows = np.concatenate([words.rows, words.rows[pair]])
    return murmur3_32(words.buffer, starts, lengths), rows


def letter_words(words: Words) -> tuple[np.ndarray, np.ndarray]:
    """(hash, row) of the words of at least three letters and no digit (the token pattern
    \\b[a-z][a-z]{2,}\\b on a normalised text whose '@' were made spaces)."""
    digits = np.zeros(len(words.buffer) + 1, dtype=np.int64)
    np.cumsum((words.buffer >= ord("0")) & (words.buffer <= ord("9")), out=digits[1:])
    keep = (words.lengths >= 3) & (digits[words.starts + words.lengths] == digits[words.starts])
    starts, lengths = words.starts[keep], words.lengths[keep]
    return murmur3_32(words.buffer, starts, lengths), words.rows[keep]


def count_matrix(
    hashes: np.ndarray,
    rows: np.ndarray,
    n_rows: int,
    n_features: int,
    *,
    l2: bool,
    sublinear: bool = False,
) -> sparse.csr_matrix:
    """Rows of hashed counts (duplicates summed), optionally l2-normalised, as float32 CSR.
    sublinear: each count c becomes 1 + log(c) before the normalisation (scikit-learn's sublinear_tf)."""
    shift = n_features.bit_length() - 1
    if n_features != 1 << shift:
        raise ValueError(f"n_features must be a power of two, not {n_features}")
    keys = (rows << shift) | bucket(hashes, n_features)
    if (n_rows << shift) <= np.iinfo(np.int32).max:
        keys = keys.astype(np.int32)  # the same order, sorted about twice as fast
    keys = np.sort(keys).astype(np.int64)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(first)
    unique = keys[starts]
    counts = np.diff(np.append(starts, len(keys))).astype(np.float64)
    row_of = unique >> shift
    if sublinear:
        counts = 1.0 + np.log(counts)
    if l2:
        norms = np.sqrt(np.bincount(row_of, weights=counts * counts, minlength=n_rows))
        counts /= norms[row_of]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of, minlength=n_rows), out=indptr[1:])
    return sparse.csr_matrix(
        (counts.astype(np.float32), (unique & (n_features - 1)).astype(np.int32), indptr),
        shape=(n_rows, n_features),
    )
