"""Near-duplicate text (MinHash with LSH banding) and image (dHash) detection, in numpy.

Text: a message's set of word 3-grams (after tending.moderation.text.normalise) is summarised by
NUM_PERM minimum hash values (Broder 1997): two messages agree on a value with probability equal to
the Jaccard similarity of their shingle sets. Signatures are cut into BANDS bands of ROWS values;
messages sharing a band become candidates (Leskovec, Rajaraman, Ullman, Mining of Massive Datasets,
ch. 3), and a candidate is a repost when the estimated Jaccard similarity reaches MIN_SIMILARITY.
The hash family is multiply-shift (Dietzfelbinger et al. 1997) on 64-bit words.

Which matches are worth a moderator's time (`worth_flagging`): a member posting their own text again
(the weekly ad, the question cross-posted in another channel), unless it is one of the community's
phrases (then only a long one opening a new thread again); another member copying a long text nearly
word for word into a new thread, unless it is one of the community's phrases; and, as spam (`is_campaign`),
a newcomer's copy of another member's text with a link, however many wrote it. The community's phrases
("Bonne année à tous les poilus !", "Tips for travelling with a diabetic cat?", stock advice) are
written by many members: `find_text_reposts` counts, for each repost, the distinct members among the
message and all its near copies, and a text from COMMON_AUTHORS or more members is a common phrase.

Images: dHash (difference hash, N. Krawetz 2013): the picture in grey at 9x8 pixels, one bit per
horizontally adjacent pair (is the left pixel brighter?). Re-encoding and resizing keep most bits;
two images are the same picture when at most MAX_IMAGE_DISTANCE of 64 bits differ.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from tending.moderation.text import clean_markup, normalise, strip_accents

NUM_PERM = 24
BANDS = 6
ROWS = NUM_PERM // BANDS
SHINGLE = 3
MIN_TOKENS = 6  # "thanks, welcome!" posted twice is not a repost
MIN_SIMILARITY = 0.7
# per band, a message is compared with the first MAX_LOOK messages of its group (the earliest copies)
# and the MAX_LOOK on either side of it (the nearest): the cost stays flat for a phrase with many copies
MAX_LOOK = 8
CHUNK = (
    5000  # messages whose pairs are compared at once (memory: CHUNK x BANDS x 3 x MAX_LOOK pairs)
)
COMMON_AUTHORS = (
    3  # a text written (near copies) by this many members is one of the community's phrases
)
LONG_TEXT_TOKENS = (
    12  # shorter texts that are common phrases, or another member's, are never reposts
)
CROSS_AUTHOR_MIN_SIMILARITY = (
    0.9  # another member's text, nearly word for word (not a template with a new name)
)
MAX_COPY_EDITS = 2  # words (not names or numbers) another member's copy may change
WORDS_RE = re.compile(r"[^\W_]+")
MAX_IMAGE_DISTANCE = 10
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")

_rng = np.random.default_rng(0x7E4D1)
_A = _rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(
    1
)  # odd multipliers
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
    """Signatures (n_kept, NUM_PERM) uint32 and the positions in `texts` they belong to.

    The whole batch at once: the minimum over a message's shingles is the same whether or not
    repeated shingles are dropped first, so every shingle of the batch is permuted in one array and
    reduced per message."""
    token_lists = [(t if normalised else normalise(clean_markup(t))).split() for t in texts]
    kept = [i for i, tokens in enumerate(token_lists) if len(tokens) >= MIN_TOKENS]
    if not kept:
        return np.zeros((0, NUM_PERM), dtype=np.uint32), np.zeros(0, dtype=np.int64)
    counts = np.array([len(token_lists[i]) for i in kept], dtype=np.int64)
    words = np.fromiter(
        map(_word_hash, chain.from_iterable(token_lists[i] for i in kept)),
        dtype=np.uint64,
        count=int(counts.sum()),
    )
    mixed = words[:-2] * np.uint64(0x9E3779B1) + words[1:-1] * np.uint64(0x85EBCA77) + words[2:]
    signatures = np.empty((len(kept), NUM_PERM), dtype=np.uint32)
    first_token = np.cumsum(counts) - counts
    shingles = counts - 2
    for low, high in _chunks(shingles, limit=200_000):
        origin = np.repeat(np.arange(low, high), shingles[low:high])
        offsets = np.cumsum(shingles[low:high]) - shingles[low:high]
        at = first_token[origin] + (np.arange(origin.size) - offsets[origin - low])
        values = mixed[at] & np.uint64(0xFFFFFFFF)
        permuted = ((values[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)).astype(
            np.uint32
        )
        signatures[low:high] = np.minimum.reduceat(permuted, offsets, axis=0)
    return signatures, np.array(kept, dtype=np.int64)


def _chunks(sizes: np.ndarray, *, limit: int) -> list[tuple[int, int]]:
    """Consecutive ranges of items whose sizes add up to about `limit` (at least one item each)."""
    out, low, total = [], 0, 0
    for i, size in enumerate(sizes.tolist()):
        if total and total + size > limit:
            out.append((low, i))
            low, total = i, 0
        total += size
    out.append((low, len(sizes)))
    return out


def signature_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


@dataclass(frozen=True)
class Match:
    index: int  # the later copy (position in the arrays given)
    earlier: int  # the earliest copy found
    similarity: float
    authors: int = 1  # distinct members among the message and its near copies (texts only)


def find_text_reposts(
    signatures: np.ndarray,
    occurred: np.ndarray,
    ids: np.ndarray,
    candidates: np.ndarray,
    members: np.ndarray | None = None,
) -> list[Match]:
    """For each index in `candidates` that has an earlier near copy (a message sharing one LSH band with
    it whose estimated similarity reaches MIN_SIMILARITY): the earliest one, or with `members` the
    earliest by the same member when there is one (a member's own repeat is the stronger evidence);
    with the number of distinct members among the message and all its near copies, earlier or later.

    Per band, the messages are sorted by (band value, time, id), so that each message's band group is a
    run of that order; a message alone in all its runs is skipped without a look. In a large group,
    only the earliest and the nearest MAX_LOOK copies are compared (and counted for `authors`). All in
    numpy, CHUNK messages at a time."""
    n = len(ids)
    if n < 2 or len(candidates) == 0:
        return []
    authors_of = members if members is not None else np.arange(n)
    runs = [_band_runs(signatures, occurred, ids, band) for band in range(BANDS)]
    shared = np.zeros(n, dtype=bool)
    for _order, first, last, _where in runs:
        shared |= last - first > 1
    candidates = np.asarray(candidates, dtype=np.int64)[shared[candidates]]
    matches = []
    for low in range(0, len(candidates), CHUNK):
        chunk = candidates[low : low + CHUNK]
        later, other = _near_pairs(chunk, runs, signatures)
        matches += _pick(later, other, signatures, occurred, ids, authors_of, members is not None)
    return matches


Runs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # order, first, last, own position


def _near_pairs(
    chunk: np.ndarray, runs: list[Runs], signatures: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(message, near copy) pairs, each once, for the messages of `chunk`: per band, the first MAX_LOOK
    of its group and the MAX_LOOK on either side of it, kept when their similarity reaches MIN_SIMILARITY."""
    steps = np.r_[np.arange(MAX_LOOK), np.arange(-MAX_LOOK, MAX_LOOK + 1)]
    lefts, rights = [], []
    for order, first, last, where in runs:
        low, high, at = first[chunk][:, None], last[chunk][:, None], where[chunk][:, None]
        position = np.hstack([low + steps[None, :MAX_LOOK], at + steps[None, MAX_LOOK:]])
        valid = (position >= low) & (position < high) & (position != at)
        lefts.append(np.broadcast_to(chunk[:, None], position.shape)[valid])
        rights.append(order[position[valid]])
    size = np.int64(len(signatures))
    pairs = np.unique(np.concatenate(lefts) * size + np.concatenate(rights))
    left, right = pairs // size, pairs % size
    similar = (signatures[left] == signatures[right]).sum(axis=1) >= MIN_SIMILARITY * NUM_PERM
    return left[similar], right[similar]


def _pick(
    later: np.ndarray,
    other: np.ndarray,
    signatures: np.ndarray,
    occurred: np.ndarray,
    ids: np.ndarray,
    authors_of: np.ndarray,
    prefer_own: bool,
) -> list[Match]:
    """Per message: the distinct authors among it and its near copies, and the earlier copy to cite
    (the same member's first when prefer_own, then the earliest)."""
    out: list[Match] = []
    if not later.size:
        return out
    # distinct authors of each message's near copies, itself included
    messages = np.unique(later)
    both = np.concatenate([later, messages])
    who = np.concatenate([authors_of[other], authors_of[messages]])
    order = np.lexsort((who, both))
    b, w = both[order], who[order]
    new_author = np.r_[True, (b[1:] != b[:-1]) | (w[1:] != w[:-1])]
    group_start = np.r_[True, b[1:] != b[:-1]]
    authors = dict(
        zip(
            b[group_start].tolist(),
            np.add.reduceat(new_author.astype(np.int64), np.flatnonzero(group_start)).tolist(),
            strict=True,
        )
    )
    before = (occurred[other] < occurred[later]) | (
        (occurred[other] == occurred[later]) & (ids[other] < ids[later])
    )
    later, other = later[before], other[before]
    foreign = (
        (authors_of[other] != authors_of[later]) if prefer_own else np.zeros(len(later), dtype=bool)
    )
    order = np.lexsort((ids[other], occurred[other], foreign, later))
    first = (
        np.r_[True, later[order][1:] != later[order][:-1]]
        if order.size
        else np.zeros(0, dtype=bool)
    )
    for index, earlier in zip(
        later[order][first].tolist(), other[order][first].tolist(), strict=True
    ):
        similarity = float(np.mean(signatures[index] == signatures[earlier]))
        out.append(Match(index, earlier, similarity, authors[index]))
    return out


def _band_runs(signatures: np.ndarray, occurred: np.ndarray, ids: np.ndarray, band: int) -> Runs:
    """The order of the messages by (band value, time, id), and for each message the first and
    one-past-last positions of its run of equal band values in that order, and its own position."""
    key = _band_key(signatures, band)
    order = np.lexsort((ids, occurred, key))
    sorted_key = key[order]
    new_run = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    starts = np.flatnonzero(new_run)
    ends = np.r_[starts[1:], len(order)]
    run = np.cumsum(new_run) - 1
    first, last, where = (np.empty(len(order), dtype=np.int64) for _ in range(3))
    first[order], last[order], where[order] = starts[run], ends[run], np.arange(len(order))
    return order, first, last, where


def _band_key(signatures: np.ndarray, band: int) -> np.ndarray:
    block = signatures[:, band * ROWS : (band + 1) * ROWS].astype(np.uint64)
    key = np.zeros(len(signatures), dtype=np.uint64)
    for column in range(ROWS):
        key = key * np.uint64(0x100000001B3) + block[:, column]
    return key


def worth_flagging(
    *, same_member: bool, kind: str, tokens: int, authors: int, similarity: float
) -> bool:
    """Whether a text repost goes to the review queue.

    same_member: the earlier copy is the same member's; kind: the later message's kind (post, reply,
    comment); tokens: its words after normalisation; authors: Match.authors; similarity: the estimated
    Jaccard similarity to the earlier copy."""
    common = authors >= COMMON_AUTHORS  # one of the community's own phrases
    long = tokens >= LONG_TEXT_TOKENS
    if same_member:
        # the member's own text again: flagged, except the community's phrases ("Happy new year to all
        # the fur babies!", stock advice), unless the member opens a thread with a long one again
        return not common or (kind == "post" and long)
    # another member's text: only a new thread copying a long, uncommon text nearly word for word
    return kind == "post" and long and not common and similarity >= CROSS_AUTHOR_MIN_SIMILARITY


def only_the_template(later: str, earlier: str) -> bool:
    """Whether another member's near copy shares only a template with the earlier text: "Minou is in
    remission after 7 weeks of ProZinc!" and "Shadow is in remission after 5 weeks..." are two members
    telling their own news in the community's words, not a copy. MinHash only estimates the similarity
    (24 values: a true 0.8 can read 0.95), so the texts themselves are compared: a copy keeps every
    name and number, differs by at most MAX_COPY_EDITS other words, and its exact word 3-gram Jaccard
    similarity reaches CROSS_AUTHOR_MIN_SIMILARITY."""
    words_later, words_earlier = _cased_words(later), _cased_words(earlier)
    folded_later = [strip_accents(w) for w in words_later]
    folded_earlier = [strip_accents(w) for w in words_earlier]
    edits = 0
    matcher = SequenceMatcher(None, folded_later, folded_earlier, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        changed = words_later[i1:i2] + words_earlier[j1:j2]
        if any(w[0].isupper() or any(c.isdigit() for c in w) for w in changed):
            return True  # another name, another number: the member's own story in shared words
        edits += max(i2 - i1, j2 - j1)
    if edits > MAX_COPY_EDITS:
        return True
    return _shingle_jaccard(folded_later, folded_earlier) < CROSS_AUTHOR_MIN_SIMILARITY


def _cased_words(text: str) -> list[str]:
    return WORDS_RE.findall(clean_markup(text)[:4000])


def _shingle_jaccard(a: list[str], b: list[str]) -> float:
    first = {tuple(a[i : i + SHINGLE]) for i in range(max(len(a) - SHINGLE + 1, 1))}
    second = {tuple(b[i : i + SHINGLE]) for i in range(max(len(b) - SHINGLE + 1, 1))}
    return len(first & second) / len(first | second) if first | second else 1.0


def is_campaign(*, same_member: bool, newcomer: bool, link: bool) -> bool:
    """Whether a near copy that `worth_flagging` lets pass is spam spread from several accounts: another
    member's text carrying a link, posted by a newcomer (an account days old). Many
    members writing the same phrase is the community's own voice; the same link from fresh accounts is
    an advertising campaign, and the rule for common phrases must not hide it."""
    return not same_member and newcomer and link


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


def find_image_reposts(
    hashes: np.ndarray, occurred: np.ndarray, ids: np.ndarray, candidates: np.ndarray
) -> list[Match]:
    """For each candidate image, the earliest other image within MAX_IMAGE_DISTANCE bits."""
    matches = []
    for index in candidates:
        distance = np.bitwise_count(hashes ^ hashes[index])
        close = np.flatnonzero(distance <= MAX_IMAGE_DISTANCE)
        close = close[
            (close != index)
            & (
                (occurred[close] < occurred[index])
                | ((occurred[close] == occurred[index]) & (ids[close] < ids[index]))
            )
        ]
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
            raw = (
                entry
                if isinstance(entry, str)
                else next(
                    (
                        entry.get(k)
                        for k in ("path", "local_path", "file", "filename")
                        if isinstance(entry, dict) and isinstance(entry.get(k), str)
                    ),
                    None,
                )
            )
            if raw and raw.lower().endswith(IMAGE_SUFFIXES):
                path = Path(raw)
                found.append(
                    path if path.is_absolute() or media_root is None else media_root / path
                )
    return found
