"""Training the shipped moderation models from labelled data given by path (`tending train`).

The data folder has the layout of ../shared/data (see docs/model-card.md for every set, its licence
and how its labels are mapped). Training uses scikit-learn's logistic regression on the features of
tending.moderation.classifier; probabilities are Platt-calibrated on out-of-fold scores and each
threshold is the lowest one whose out-of-fold precision reaches the model's target (a volunteer's
queue must not flood).
"""

from __future__ import annotations

import csv
import html
import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from tending.errors import UsageError
from tending.moderation.classifier import (
    DENSE_START,
    FEATURES_VERSION,
    LINK_START,
    N_FEATURES,
    TEXT_START,
    Featurizer,
    LinearModel,
    calibrate,
)
from tending.moderation.text import (
    DENSE_NAMES,
    MODERATOR_NAMES,
    MOOD_NAMES,
    SCHEME_NAMES,
    SPAM_ONLY_NAMES,
    dense_features,
    has_insult,
)

SEED = 20260321
TARGETS = (
    "insult",
    "hate",
    "threat",
)  # what a toxic message attacks: a person, a group, or a threat
MODEL_NAMES = ("spam", "self_promotion", "toxic_fr", "toxic_en", *TARGETS)
# out-of-fold precision the threshold must reach (self_promotion; the others' rules are THRESHOLD_RULES')
TARGET_PRECISION = {
    "spam": 0.95,
    "self_promotion": 0.9,
    "toxic_fr": 0.9,
    "toxic_en": 0.9,
    "insult": 0.8,
    "hate": 0.8,
    "threat": 0.8,
}
# how each model's threshold is chosen on its out-of-fold probabilities (see choose_threshold):
# "precision": the lowest reaching TARGET_PRECISION; "balanced": 0.5 at an even prior (the most accurate on
# a balanced unseen set: issue 13 measures toxicity by accuracy); "clean_ceiling": the best F1 on the
# YouTube comments among thresholds flagging at most CLEAN_CEILING of the clean messages
THRESHOLD_RULES = {
    "spam": "clean_ceiling",
    "self_promotion": "precision",
    "toxic_fr": "balanced",
    "toxic_en": "balanced",
    "insult": "balanced",
    "hate": "balanced",
    "threat": "balanced",
}
CLEAN_CEILING = 0.005
# toxicity: every source weighs the same in total, so the largest collections (MLMA, HateCheck) do not
# set the model's idea of toxicity alone (leave-one-source-out mean 0.729 -> 0.747, docs/model-card.md)
SOURCE_BALANCED = frozenset({"toxic_fr", *TARGETS})
# spam: YouTube and the rest weigh the same since features version 5 (leave-one-video-out mean F1, with
# the link words and C 16: docs/model-card.md)
YOUTUBE_SHARE = {"spam": 0.5, "self_promotion": 0.75}
MIN_THRESHOLD = 0.5  # never flag a message the model finds more likely fine than not
# spam: C 16 since features version 5 (with the link words; chosen before inside the training videos by
# benchmarks/moderation_spam_selection.py --regularisation-only, docs/model-card.md)
REGULARISATION = {
    "spam": 16.0,
    "self_promotion": 2.0,
    "toxic_fr": 0.1,
    "toxic_en": 2.0,
    "insult": 1.0,
    "hate": 1.0,
    "threat": 1.0,
}
REDDIT_TOXIC = (
    "t0-misogynistic-slurs",
    "t4-verbal-attacks-on-Reddit",
    "t8-personal-attacks",
    "t9-personal-attacks",
    "t2-hatespeech-racist-homophobic",
    "t3-abusing-and-criticisizing-mods",
    "t9-namecalling-claiming-other-too-sensitive",
)
REDDIT_PER_FILE = 700
STACKEXCHANGE_SAMPLE = 3000
MLMA_TOXIC = re.compile(r"offensive|abusive|hateful|disrespectful")
MLMA_PROTECTED = frozenset({"origin", "religion", "gender", "sexual_orientation", "disability"})
JIGSAW_TARGETS = {"insult": "insult", "hate": "identity_hate", "threat": "threat"}
THREAT_HINT = re.compile(
    r"tuer|poignard|crever|souffrir|frapper|buter|egorg|massacr|abattre|pendre"
)
# Reddit's removed comments by kind of violation -> the target of the attack
REDDIT_KINDS = {
    "t0-misogynistic-slurs": "hate",
    "t2-hatespeech-racist-homophobic": "hate",
    "t4-verbal-attacks-on-Reddit": "insult",
    "t8-personal-attacks": "insult",
    "t9-personal-attacks": "insult",
    "t3-abusing-and-criticisizing-mods": "insult",
    "t9-namecalling-claiming-other-too-sensitive": "insult",
}
# the moderator features (text.moderator_features) were chosen for spam on the YouTube rotation; the
# toxicity models do without them (with them, 2.5 % of a civil French forum's posts were flagged as
# toxic instead of 1.5 %)
WITHOUT_MODERATOR_FEATURES = frozenset({"toxic_fr", "toxic_en", *TARGETS})
# the mood features (text.mood_features) were measured for French toxicity only (leave one source out:
# docs/model-card.md); the other models do without them, as they were measured
WITH_MOOD_FEATURES = frozenset({"toxic_fr"})
# spam: the mean of the calibrated log-odds of two views, the shipped features and the text with its
# links kept (classifier.text_view, features version 6, its own C): leave-one-video-out mean F1 0.933 ->
# 0.957, lowest 0.907 -> 0.941 (docs/model-card.md)
SECOND_VIEW = {"spam": 4.0}
# the words inside links (classifier.LINK_FEATURES, features version 5) were measured for spam only; the
# other models get weight 0 on them, so retraining them gives what it gave before
WITH_LINK_WORDS = frozenset({"spam"})


@dataclass(frozen=True)
class Example:
    """label: the model's label (toxic for the toxicity sets). kinds: the targets of toxicity the example
    carries; known: the targets its source annotates (a target outside `known` is neither 0 nor 1)."""

    text: str
    label: int
    source: str  # e.g. "youtube:psy", "mlma:fr"
    lang: str = "en"
    kinds: frozenset[str] = frozenset()
    known: frozenset[str] = frozenset()


CLEAN = frozenset(TARGETS)  # a clean message carries none of the targets


def _clean(text: str, source: str, lang: str) -> Example:
    return Example(text, 0, source, lang, frozenset(), CLEAN)


@dataclass
class Corpus:
    """Examples per model name."""

    sets: dict[str, list[Example]] = field(default_factory=dict)

    def add(self, name: str, examples: Sequence[Example]) -> None:
        self.sets.setdefault(name, []).extend(examples)


# -- readers: one per data set, each yields examples with the label mapping documented in the card --


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def read_youtube(folder: Path) -> dict[str, list[Example]]:
    """video name -> comments, label 1 = spam."""
    videos = {}
    for path in sorted(folder.glob("youtube-*.csv")):
        name = path.stem.split("-", 2)[-1]
        videos[name] = [
            Example(html.unescape(r["CONTENT"]), int(r["CLASS"]), f"youtube:{name}")
            for r in _csv_rows(path)
        ]
    return videos


def read_sms(folder: Path) -> list[Example]:
    out = []
    for line in (
        (folder / "SMSSpamCollection")
        .read_text(encoding="utf-8", errors="replace")
        .splitlines()[1:]
    ):
        label, _, text = line.partition("\t")
        if label in ("ham", "spam") and text:
            out.append(Example(text, int(label == "spam"), "sms"))
    return out


def read_mlma(folder: Path, lang: str) -> list[Example]:
    """Toxic = offensive, abusive, hateful or disrespectful (and no annotator said normal); clean =
    normal only. Mixed and fear-only tweets are left out. Target: aimed at an individual, or at a group
    not defined by a protected trait (MLMA's target "other": left-wing people...) -> insult; at a group by
    origin, religion, gender, sexual orientation or disability -> hate. Threats are not annotated."""
    out = []
    for row in _csv_rows(folder / f"{lang}_dataset.csv"):
        kinds = row["sentiment"]
        if kinds == "normal":
            out.append(_clean(row["tweet"], f"mlma:{lang}", lang))
        elif MLMA_TOXIC.search(kinds) and "normal" not in kinds:
            group = row.get("group") != "individual" and row.get("target") in MLMA_PROTECTED
            out.append(
                Example(
                    row["tweet"],
                    1,
                    f"mlma:{lang}",
                    lang,
                    frozenset({"hate" if group else "insult"}),
                    frozenset({"insult", "hate"}),
                )
            )
    return out


def read_jigsaw_sample(folder: Path, exclude_ids: set[str]) -> list[Example]:
    """`toxic` column; targets from the insult, identity_hate and threat columns."""
    out = []
    for row in _csv_rows(folder / "data_JigsawData_subset_jigsaw.csv"):
        if row["msg_id"] in exclude_ids:
            continue
        kinds = frozenset(k for k, column in JIGSAW_TARGETS.items() if row[column] == "1")
        out.append(
            Example(row["original_text"], int(row["toxic"]), "jigsaw-sample:en", "en", kinds, CLEAN)
        )
        out.append(
            Example(row["content"], int(row["toxic"]), "jigsaw-sample:fr", "fr", kinds, CLEAN)
        )
    return out


def read_hatecheck(folder: Path) -> list[Example]:
    """Multilingual HateCheck, French. Toxic = every hateful case, and the "abuse of non-protected targets"
    cases aimed at a person or a non-protected group (labelled non-hateful by HateCheck, but attacks);
    clean = non-hateful profanity aimed at nobody, counter-speech, neutral or positive mentions of groups,
    negated hate, abuse of objects. Targets: hateful -> hate (threat_* also threat); abuse of an
    individual or of a non-protected group -> insult."""
    out = []
    for row in _csv_rows(folder / "hatecheck_cases_final_french.csv"):
        function, text = row["functionality"], row["test_case"].strip()
        if row["label_gold"] == "hateful":
            kinds = frozenset({"hate", "threat"} if function.startswith("threat_") else {"hate"})
            out.append(Example(text, 1, "hatecheck:fr", "fr", kinds, frozenset({"hate", "threat"})))
        elif function in ("target_indiv_nh", "target_group_nh"):
            threat = bool(THREAT_HINT.search(text.lower()))
            out.append(
                Example(
                    text,
                    1,
                    "hatecheck:fr",
                    "fr",
                    frozenset({"insult"} | ({"threat"} if threat else set())),
                    frozenset({"insult", "hate"}),
                )
            )
        else:
            out.append(_clean(text, "hatecheck:fr", "fr"))
    return out


def read_ftr(folder: Path) -> list[Example]:
    """FTR, French tweets: label 1 = racist speech -> toxic, target hate. Its 0s are "not racist", which
    includes other insults ("t'es bête"): they are clean for hate only, and count as clean toxicity
    examples only when no insult of the lexicons appears in them (the others are left out)."""
    out = []
    raw = (folder / "FTR_new_labels.csv").read_text(encoding="utf-8", errors="replace")
    for row in csv.DictReader(raw.splitlines(keepends=True)):
        text = row["tweet"].strip()
        if row["label"] == "1":
            out.append(Example(text, 1, "ftr:fr", "fr", frozenset({"hate"}), frozenset({"hate"})))
        elif row["label"] == "0" and not has_insult(text):
            out.append(Example(text, 0, "ftr:fr", "fr", frozenset(), frozenset({"hate"})))
    return out


def read_cyberaggression(folder: Path) -> list[Example]:
    """CyberAgressionAdo-v1 (no licence: evaluation only, never in a shipped model). Toxic = any verbal
    abuse (name-calling, denigration, threat, blaming, other aggression) or hate speech; clean = neither.
    Targets: name-calling, denigration, blaming -> insult; threat -> threat; hate speech -> hate."""
    out = []
    for path in sorted(folder.glob("scenario_*.csv")):
        for row in _csv_rows(path):
            text = (row.get("TEXT") or "").strip()
            if not text:
                continue
            abuse, hate = row.get("VERBAL_ABUSE", "none"), row.get("HATE_SPEECH", "no") == "yes"
            kinds = (
                ({"insult"} if abuse in ("name_calling", "denigration", "blaming") else set())
                | ({"threat"} if abuse == "threat" else set())
                | ({"hate"} if hate else set())
            )
            toxic = int(abuse != "none" or hate)
            out.append(
                Example(
                    text,
                    toxic,
                    "cyberaggression:fr",
                    "fr",
                    frozenset(kinds),
                    CLEAN if not toxic or kinds else frozenset(),
                )
            )
    return out


def read_jigsaw_bilingual(folder: Path) -> list[Example]:
    out = []
    for row in _csv_rows(folder / "jigsaw-bilingual-balanced.csv"):
        out.append(Example(row["original_text"], int(row["label"]), "jigsaw-bilingual:en", "en"))
        out.append(Example(row["content"], int(row["label"]), "jigsaw-bilingual:fr", "fr"))
    return out


def jigsaw_bilingual_ids(folder: Path) -> set[str]:
    path = folder / "jigsaw-bilingual-balanced.csv"
    return {row["msg_id"] for row in _csv_rows(path)} if path.exists() else set()


def read_rtp_lx(folder: Path) -> list[Example]:
    return [
        Example(r["content"], int(r["label"]), "rtp-lx:fr", "fr")
        for r in _csv_rows(folder / "rtp-lx-french.csv")
    ]


def read_reddit_removed(folder: Path, rng: random.Random) -> list[Example]:
    """Comments moderators removed for attacks, slurs and hate: all toxic (the set has no clean ones)."""
    out = []
    for path in sorted(folder.glob("*.csv")):
        kind = next((k for k in REDDIT_TOXIC if path.stem.endswith(k)), None)
        if kind is None:
            continue
        lines = [
            line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        ]
        lines = [line for line in lines if len(line.split()) >= 3]
        target = frozenset({REDDIT_KINDS[kind]})
        out += [
            Example(t, 1, "reddit-removed", "en", target, target)
            for t in rng.sample(lines, min(REDDIT_PER_FILE, len(lines)))
        ]
    return out


def read_umsab(folder: Path, lang: str) -> list[Example]:
    """Neutral and positive tweets, as clean examples (negative tweets may hold insults: left out)."""
    name = {"fr": "french", "en": "english"}[lang]
    out = []
    for split in ("train", "val"):
        texts = (
            (folder / f"data_sentiment_{name}_{split}_text.txt")
            .read_text(encoding="utf-8")
            .splitlines()
        )
        labels = (
            (folder / f"data_sentiment_{name}_{split}_labels.txt")
            .read_text(encoding="utf-8")
            .splitlines()
        )
        out += [
            _clean(t, f"umsab:{lang}", lang)
            for t, y in zip(texts, labels, strict=False)
            if y.strip() in "12"
        ]
    return out


def read_stackexchange_comments(folder: Path, rng: random.Random) -> list[Example]:
    """Comments of a Stack Exchange meta site, as clean forum-register English."""
    raw = (folder / "Comments.xml").read_text(encoding="utf-8-sig")
    texts = [html.unescape(m) for m in re.findall(r' Text="([^"]*)"', raw)]
    texts = [t for t in texts if len(t.split()) >= 4]
    return [
        _clean(t, "stackexchange", "en")
        for t in rng.sample(texts, min(STACKEXCHANGE_SAMPLE, len(texts)))
    ]


def read_forum_posts(data: Path) -> list[str]:
    """Posts of a civil French game forum (activity/twinoid-mush-fr, unlabelled): clean messages the spam
    threshold may not flag (issue 13's ceiling). Empty when the folder is absent."""
    path = data / "activity" / "twinoid-mush-fr" / "data_fr_mush_ambassade.json"
    if not path.exists():
        return []
    archive = json.loads(path.read_text(encoding="utf-8"))
    posts = [
        html.unescape(re.sub(r"<[^>]{0,500}>", " ", c.get("content") or ""))
        for t in archive["threads"]
        for c in t.get("comments", [])
    ]
    return [re.sub(r"\s+", " ", p).strip() for p in posts if len(p.split()) >= 3]


def self_promotion_label(example: Example) -> int:
    """Weak label: spam that promotes the writer's own channel, work or business (first person +
    a promotion phrase from lexicons/spam.txt). See the model card: these labels come from a rule."""
    return int(example.label == 1 and bool(dense_features(example.text)[13]))


# -- assembling the training sets ----------------------------------------------------------------


def load_corpus(
    data: Path,
    *,
    holdout_french: bool = False,
    youtube_videos: Sequence[str] | None = None,
) -> Corpus:
    """Every model's examples from a data folder. holdout_french leaves toxifrench-extra out (the
    quality benchmark's unseen French set); youtube_videos limits the YouTube videos used."""
    rng = random.Random(SEED)
    need = [data / "spam" / "youtube", data / "toxicity" / "mlma"]
    for path in need:
        if not path.exists():
            raise UsageError(
                f"--data: {path} is missing (expected the layout of shared/data: spam/, toxicity/, "
                "sentiment/)."
            )
    corpus = Corpus()
    videos = read_youtube(data / "spam" / "youtube")
    youtube = [
        e
        for name, rows in videos.items()
        if youtube_videos is None or name in youtube_videos
        for e in rows
    ]
    optional: dict[str, Callable[[Path], list[Example]]] = {
        "spam/sms": read_sms,
        "sentiment/umsab-fr": lambda p: read_umsab(p, "fr"),
        "sentiment/umsab-en": lambda p: read_umsab(p, "en"),
        "activity/stackexchange-meta-2018": lambda p: read_stackexchange_comments(p, rng),
        "toxicity/reddit-removed": lambda p: read_reddit_removed(p, rng),
    }
    extra = {
        key: reader(data / key) if (data / key).exists() else [] for key, reader in optional.items()
    }
    french_ham = [e for e in read_mlma(data / "toxicity" / "mlma", "fr") if e.label == 0] + extra[
        "sentiment/umsab-fr"
    ]
    clean_en = extra["activity/stackexchange-meta-2018"] + extra["sentiment/umsab-en"]
    corpus.add("spam", youtube + extra["spam/sms"] + _relabel(french_ham + clean_en, 0))
    promo = [
        Example(e.text, self_promotion_label(e), e.source, e.lang)
        for e in youtube + extra["spam/sms"]
    ]
    corpus.add("self_promotion", promo + _relabel(french_ham + clean_en, 0))
    casual_en = [
        _clean(e.text, e.source, "en") for e in youtube + extra["spam/sms"] if e.label == 0
    ]
    _add_toxicity(corpus, data, extra, holdout_french, casual_en)
    return corpus


def _relabel(examples: list[Example], label: int) -> list[Example]:
    return [Example(e.text, label, e.source, e.lang) for e in examples]


def _add_toxicity(
    corpus: Corpus,
    data: Path,
    extra: dict[str, list[Example]],
    holdout_french: bool,
    casual_en: list[Example],
) -> None:
    """casual_en: the clean YouTube comments and SMS, short everyday English the toxicity sets lack.
    The Jigsaw sample leaves out the comments Jigsaw bilingual holds (so either can be held out)."""
    toxicity = data / "toxicity"
    extra_dir = toxicity / "toxifrench-extra"
    jigsaw_dir = toxicity / "jigsaw-sample"
    jigsaw = (
        read_jigsaw_sample(jigsaw_dir, jigsaw_bilingual_ids(extra_dir))
        if jigsaw_dir.exists()
        else []
    )
    bilingual = (
        read_jigsaw_bilingual(extra_dir) if extra_dir.exists() and not holdout_french else []
    )
    rtp = read_rtp_lx(extra_dir) if extra_dir.exists() and not holdout_french else []
    native = [
        e
        for folder, reader in (("hatecheck-fr", read_hatecheck), ("ftr-fr", read_ftr))
        if (toxicity / folder).exists()
        for e in reader(toxicity / folder)
    ]
    mlma = toxicity / "mlma"
    french = (
        read_mlma(mlma, "fr")
        + [e for e in jigsaw + bilingual if e.lang == "fr"]
        + rtp
        + native
        + extra["sentiment/umsab-fr"]
    )
    english = (
        read_mlma(mlma, "en")
        + [e for e in jigsaw + bilingual if e.lang == "en"]
        + extra["toxicity/reddit-removed"]
        + extra["activity/stackexchange-meta-2018"]
        + extra["sentiment/umsab-en"]
        + casual_en
    )
    corpus.add("toxic_fr", french)
    corpus.add("toxic_en", english)
    for target in TARGETS:
        corpus.add(target, target_examples(french + english, target))


def target_examples(examples: Sequence[Example], target: str) -> list[Example]:
    """The examples whose source annotates `target`, labelled 1 when they carry it. A toxic example
    aimed elsewhere is a 0 (an insult is not a threat), which is what teaches the target."""
    return [
        Example(e.text, int(target in e.kinds), e.source, e.lang, e.kinds, e.known)
        for e in examples
        if target in e.known
    ]


# -- fitting ----------------------------------------------------------------------------------------


def fit_linear(
    rows: sparse.csr_matrix, labels: np.ndarray, *, c: float, weights: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """L2 logistic regression, solved in the dual (far fewer samples than hashed features). 100 dual
    iterations give decision values correlated at 0.9999 with the converged solution, four times faster.
    liblinear visits the samples in a random order: seeded, so the same data gives the same model (unseeded,
    the YouTube rotation's mean F1 moved by about 0.006 between identical runs)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=c,
        class_weight="balanced",
        solver="liblinear",
        dual=True,
        max_iter=100,
        random_state=SEED,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(rows, labels, sample_weight=weights)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def out_of_fold_scores(
    rows: sparse.csr_matrix,
    labels: np.ndarray,
    *,
    c: float,
    folds: int = 3,
    sample_weights: np.ndarray | None = None,
) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(len(labels))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(rows, labels):
        weights, bias = fit_linear(
            rows[train],
            labels[train],
            c=c,
            weights=None if sample_weights is None else sample_weights[train],
        )
        scores[test] = rows[test] @ weights + bias
    return scores


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Sample weights that bring the positive share down to at most one half.

    A training set's base rate is an accident of collection: the toxicity sets are mostly hostile
    (MLMA gathered hostile tweets on purpose), while real communities see far less. Calibrating and
    choosing thresholds at a prior of min(observed share, 50 %) keeps the stated precision honest for
    the toxicity models and leaves the spam sets, already mostly clean, as they are."""
    positives = max(int(labels.sum()), 1)
    negatives = max(len(labels) - positives, 1)
    if positives <= negatives:
        return np.ones(len(labels))
    return np.where(labels == 1, len(labels) / (2 * positives), len(labels) / (2 * negatives))


def fit_platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e6, solver="lbfgs")
    platt.fit(scores.reshape(-1, 1), labels, sample_weight=balanced_weights(labels))
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def precision_threshold(probabilities: np.ndarray, labels: np.ndarray, target: float) -> float:
    """The lowest threshold (not under MIN_THRESHOLD) whose precision, at the prior of
    balanced_weights, reaches `target` with at least 20 flagged examples; if none does, the one with
    the best F0.5 (precision counts twice)."""
    order = np.argsort(-probabilities)
    sorted_p, sorted_y = probabilities[order], labels[order]
    weights = balanced_weights(labels)[order]
    true_pos = np.cumsum(sorted_y * weights)
    flagged_weight = np.cumsum(weights)
    flagged = np.arange(1, len(sorted_y) + 1)
    precision = true_pos / flagged_weight
    ok = np.flatnonzero((precision >= target) & (flagged >= 20))
    if ok.size:
        return float(max(sorted_p[ok[-1]], MIN_THRESHOLD))
    recall = true_pos / max(float((sorted_y * weights).sum()), 1e-9)
    f_half = 1.25 * precision * recall / np.maximum(0.25 * precision + recall, 1e-9)
    return float(max(sorted_p[int(np.argmax(f_half))], MIN_THRESHOLD))


def choose_threshold(
    name: str,
    probabilities: np.ndarray,
    labels: np.ndarray,
    examples: Sequence[Example],
    outside: np.ndarray | None = None,
) -> float:
    """The threshold of model `name` by its rule (THRESHOLD_RULES)."""
    rule = THRESHOLD_RULES[name]
    if rule == "balanced":
        return MIN_THRESHOLD
    if rule == "precision":
        return precision_threshold(probabilities, labels, TARGET_PRECISION[name])
    youtube = np.array([e.source.startswith("youtube:") for e in examples])
    clean = (labels == 0) & ~youtube & np.array([e.source != "sms" for e in examples])
    clean_scores = (
        probabilities[clean] if outside is None else np.concatenate([probabilities[clean], outside])
    )
    target = youtube if youtube.any() else np.ones(len(labels), dtype=bool)
    return ceiling_threshold(probabilities[target], labels[target], clean_scores, CLEAN_CEILING)


def ceiling_threshold(
    probabilities: np.ndarray,
    labels: np.ndarray,
    clean: np.ndarray,
    ceiling: float,
    *,
    floor: float = 0.05,
) -> float:
    """The threshold with the best F1 on (probabilities, labels) among those flagging at most `ceiling`
    of the clean messages' scores `clean` (and not under `floor`). Issue 13: F1 under a ceiling on false
    flags, not the precision-first rule, which cost about 0.02 of F1."""
    lowest = max(
        float(np.quantile(clean, 1 - ceiling, method="higher")) if clean.size else floor, floor
    )
    candidates = np.unique(np.concatenate([[lowest], probabilities[probabilities > lowest]]))
    if clean.size:
        candidates = candidates[[float((clean >= t).mean()) <= ceiling for t in candidates]]
    best, best_f1 = float(candidates[0]) if candidates.size else 1.0, -1.0
    for threshold in candidates:
        flagged = probabilities >= threshold
        tp = float((flagged & (labels == 1)).sum())
        f1 = 2 * tp / max(float(flagged.sum()) + float(labels.sum()), 1.0)
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
    return best


def source_weights(
    name: str, examples: Sequence[Example], *, share: float | None = None
) -> np.ndarray | None:
    """The spam models give the YouTube comments (the only set labelled for spam in a comment section)
    YOUTUBE_SHARE of the total weight, the extra sets (SMS, clean forum and tweet messages) the rest:
    unweighted, the extra sets outnumber YouTube 18 to 1. Measured with features version 1: the YouTube
    rotation's mean F1 was 0.94 on the videos alone, 0.882 unweighted, 0.890 at 3/4; with version 2,
    0.95 and 0.90 at 3/4 (docs/model-card.md)."""
    if name in SOURCE_BALANCED:
        return per_source_weights(examples)
    if name not in ("spam", "self_promotion"):
        return None
    youtube = np.array([e.source.startswith("youtube:") for e in examples])
    if youtube.all() or not youtube.any():
        return None
    share = YOUTUBE_SHARE[name] if share is None else share
    return np.where(youtube, share / youtube.sum(), (1 - share) / (~youtube).sum()) * len(examples)


def per_source_weights(examples: Sequence[Example]) -> np.ndarray:
    """Sample weights giving every source the same total weight (mean weight 1)."""
    sources = np.array([e.source for e in examples])
    weights = np.ones(len(examples))
    for source in set(sources.tolist()):
        mask = sources == source
        weights[mask] = 1.0 / mask.sum()
    return weights * len(weights) / weights.sum()


def feature_mask(name: str) -> sparse.dia_matrix:
    """A diagonal 0/1 matrix keeping the features model `name` is trained on (the others get weight 0)."""
    keep = np.ones(N_FEATURES, dtype=np.float32)
    first = DENSE_START
    if name not in WITH_LINK_WORDS:
        keep[LINK_START:] = 0.0
    keep[TEXT_START:] = 0.0  # the second view's (text_view_mask): a model of its own
    for position, feature in enumerate(DENSE_NAMES):
        if name in WITHOUT_MODERATOR_FEATURES and (
            feature in MODERATOR_NAMES or feature in SCHEME_NAMES
        ):
            keep[first + position] = 0.0
        if name not in WITH_MOOD_FEATURES and feature in MOOD_NAMES:
            keep[first + position] = 0.0
        if name not in WITH_LINK_WORDS and feature in SPAM_ONLY_NAMES:
            keep[first + position] = 0.0
    return sparse.diags(keep)


def text_view_mask() -> sparse.dia_matrix:
    """A diagonal 0/1 matrix keeping only the second view's columns (classifier.text_view)."""
    keep = np.zeros(N_FEATURES, dtype=np.float32)
    keep[TEXT_START:] = 1.0
    return sparse.diags(keep)


def train_model(
    name: str,
    examples: Sequence[Example],
    featurizer: Featurizer,
    *,
    rows: sparse.csr_matrix | None = None,
    c: float | None = None,
    youtube_share: float | None = None,
) -> tuple[LinearModel, dict[str, Any]]:
    """Fit one model; returns it with its out-of-fold metrics. c and youtube_share replace the shipped
    REGULARISATION and YOUTUBE_SHARE (benchmarks/moderation_spam_selection.py compares them)."""
    model, metrics, _probabilities = train_with_out_of_fold(
        name, examples, featurizer, rows=rows, c=c, youtube_share=youtube_share
    )
    return model, metrics


def train_with_out_of_fold(
    name: str,
    examples: Sequence[Example],
    featurizer: Featurizer,
    *,
    rows: sparse.csr_matrix | None = None,
    c: float | None = None,
    youtube_share: float | None = None,
    outside_clean: sparse.csr_matrix | None = None,
) -> tuple[LinearModel, dict[str, Any], np.ndarray]:
    """train_model, also returning the calibrated out-of-fold probability of every example (what the
    threshold was chosen on; the benchmarks count the clean messages flagged from it). outside_clean:
    feature rows of clean messages from outside the training mix (the civil French forum), which the
    spam threshold may not flag either (scored by the final model)."""
    labels = np.array([e.label for e in examples], dtype=np.int8)
    all_rows = featurizer.transform([e.text for e in examples]) if rows is None else rows
    rows = all_rows @ feature_mask(name)
    c = REGULARISATION[name] if c is None else c
    sample_weights = source_weights(name, examples, share=youtube_share)
    oof = out_of_fold_scores(rows, labels, c=c, sample_weights=sample_weights)
    platt_a, platt_c = fit_platt(oof, labels)
    weights, bias = fit_linear(rows, labels, c=c, weights=sample_weights)
    if name in SECOND_VIEW:
        oof, weights, bias = _with_second_view(
            name, all_rows, labels, sample_weights, (oof, weights, bias, platt_a, platt_c)
        )
        platt_a, platt_c = fit_platt(oof, labels)
    probabilities = calibrate(oof, platt_a, platt_c)
    outside = None
    if outside_clean is not None and outside_clean.shape[0]:
        outside = calibrate(np.asarray(outside_clean @ weights) + bias, platt_a, platt_c)
    threshold = choose_threshold(name, probabilities, labels, examples, outside)
    metrics = binary_metrics(labels, probabilities, threshold)
    sources = sorted({e.source for e in examples})
    meta = {
        "features_version": FEATURES_VERSION,
        "examples": len(examples),
        "positives": int(labels.sum()),
        "sources": sources,
        "C": c,
        **({"second_view_C": SECOND_VIEW[name]} if name in SECOND_VIEW else {}),
        "threshold_rule": THRESHOLD_RULES[name],
        "out_of_fold": metrics,
    }
    if THRESHOLD_RULES[name] == "precision":
        meta["target_precision"] = TARGET_PRECISION[name]
    return (
        LinearModel(name, weights, bias, platt_a, platt_c, threshold, meta),
        metrics,
        probabilities,
    )


def _with_second_view(
    name: str,
    rows: sparse.csr_matrix,
    labels: np.ndarray,
    sample_weights: np.ndarray | None,
    first: tuple[np.ndarray, np.ndarray, float, float, float],
) -> tuple[np.ndarray, np.ndarray, float]:
    """The mean of the calibrated log-odds of the first view (out-of-fold scores, weights, bias and
    Platt scaling in `first`) and of a model of the second view (classifier.text_view, C
    SECOND_VIEW[name]) trained on the same examples and weights: the out-of-fold scores of the mean
    and one weight vector and bias giving it (both views are linear, so is their mean)."""
    oof, weights, bias, platt_a, platt_c = first
    view = rows @ text_view_mask()
    c = SECOND_VIEW[name]
    second_oof = out_of_fold_scores(view, labels, c=c, sample_weights=sample_weights)
    second_a, second_c = fit_platt(second_oof, labels)
    second_weights, second_bias = fit_linear(view, labels, c=c, weights=sample_weights)
    mean_oof = ((platt_a * oof + platt_c) + (second_a * second_oof + second_c)) / 2
    mean_weights = (platt_a * weights + second_a * second_weights) / 2
    mean_bias = (platt_a * bias + platt_c + second_a * second_bias + second_c) / 2
    return mean_oof, mean_weights.astype(np.float32), float(mean_bias)


# -- metrics ----------------------------------------------------------------------------------------


def binary_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float
) -> dict[str, float]:
    """Precision, recall, F1, accuracy at the threshold; ROC-AUC; Brier score; expected calibration
    error over 10 equal-width bins (Guo et al. 2017)."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels).astype(int)
    predicted = (probabilities >= threshold).astype(int)
    tp = int(((predicted == 1) & (labels == 1)).sum())
    fp = int(((predicted == 1) & (labels == 0)).sum())
    fn = int(((predicted == 0) & (labels == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = (
        float(roc_auc_score(labels, probabilities))
        if 0 < labels.sum() < len(labels)
        else float("nan")
    )
    return {
        "n": len(labels),
        "threshold": round(threshold, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "accuracy": round(float((predicted == labels).mean()), 4),
        "roc_auc": round(auc, 4),
        "brier": round(float(np.mean((probabilities - labels) ** 2)), 4),
        "ece": round(expected_calibration_error(labels, probabilities), 4),
    }


def expected_calibration_error(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = 10
) -> float:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(probabilities[mask].mean() - labels[mask].mean())
    return float(total)


# -- the command's work -----------------------------------------------------------------------------


def train_all(
    data: Path,
    out: Path,
    *,
    names: Sequence[str] = MODEL_NAMES,
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Train the models `names` (all by default) from `data` into `out` (models/*.npz + manifest.json).
    Retraining some of them keeps the others' files and manifest entries as they are (liblinear's
    solver shuffles at random, so retraining a model that did not change would still move its weights)."""
    corpus = load_corpus(data)
    featurizer = Featurizer()
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = _kept_entries(out / "manifest.json", names)
    unique = list(dict.fromkeys(e.text for name in names for e in corpus.sets[name]))
    progress(f"computing features of {len(unique)} distinct texts")
    rows = featurizer.transform(unique)
    position = {text: i for i, text in enumerate(unique)}
    forum = read_forum_posts(data)
    outside = featurizer.transform(forum) if forum else None
    for name in names:
        examples = corpus.sets.get(name, [])
        positives = sum(e.label for e in examples)
        if not 0 < positives < len(examples):
            progress(
                f"skipping {name}: its examples do not hold both classes ({len(examples)} examples)"
            )
            report.pop(name, None)
            continue
        progress(f"training {name} on {len(examples)} examples")
        subset = rows[[position[e.text] for e in examples]]
        model, metrics, _oof = train_with_out_of_fold(
            name,
            examples,
            featurizer,
            rows=subset,
            outside_clean=outside if name == "spam" else None,
        )
        model.save(out / f"{name}.npz")
        report[name] = {
            "threshold": model.threshold,
            "out_of_fold": metrics,
            "examples": len(examples),
            "sources": model.meta["sources"],
        }
    (out / "manifest.json").write_text(
        json.dumps(
            {"features_version": FEATURES_VERSION, "models": report}, indent=2, sort_keys=True
        )
        + "\n",
        encoding="utf-8",
    )
    return {name: report[name] for name in names if name in report}


def _kept_entries(manifest: Path, retrained: Sequence[str]) -> dict[str, Any]:
    """The manifest entries of the models not retrained, when their files are there."""
    if set(retrained) >= set(MODEL_NAMES) or not manifest.exists():
        return {}
    entries = json.loads(manifest.read_text(encoding="utf-8")).get("models", {})
    return {
        name: entry
        for name, entry in entries.items()
        if name not in retrained and (manifest.parent / f"{name}.npz").exists()
    }
