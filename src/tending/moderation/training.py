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
from tending.moderation.classifier import FEATURES_VERSION, N_FEATURES, Featurizer, LinearModel, calibrate
from tending.moderation.text import MODERATOR_NAMES, dense_features

SEED = 20260321
MODEL_NAMES = ("spam", "self_promotion", "toxic_fr", "toxic_en")
# out-of-fold precision each model's threshold must reach
TARGET_PRECISION = {"spam": 0.95, "self_promotion": 0.9, "toxic_fr": 0.9, "toxic_en": 0.9}
YOUTUBE_SHARE = 0.75
MIN_THRESHOLD = 0.5  # never flag a message the model finds more likely fine than not
# spam: C 16 was also measured (benchmarks/moderation_spam_selection.py --regularisation-only): chosen
# inside the training videos, +0.005 of held-out F1, within liblinear's run-to-run noise, for slightly more
# clean messages flagged; 4 stays (docs/model-card.md)
REGULARISATION = {"spam": 4.0, "self_promotion": 2.0, "toxic_fr": 2.0, "toxic_en": 2.0}
REDDIT_TOXIC = ("t0-misogynistic-slurs", "t4-verbal-attacks-on-Reddit", "t8-personal-attacks",
                "t9-personal-attacks", "t2-hatespeech-racist-homophobic", "t3-abusing-and-criticisizing-mods",
                "t9-namecalling-claiming-other-too-sensitive")
REDDIT_PER_FILE = 700
STACKEXCHANGE_SAMPLE = 3000
MLMA_TOXIC = re.compile(r"offensive|abusive|hateful|disrespectful")
# the moderator features (text.moderator_features) were chosen for spam on the YouTube rotation; the
# toxicity models do without them (with them, 2.5 % of a civil French forum's posts were flagged as
# toxic instead of 1.5 %)
WITHOUT_MODERATOR_FEATURES = frozenset({"toxic_fr", "toxic_en"})


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    source: str  # e.g. "youtube:psy", "mlma:fr"
    lang: str = "en"


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
        videos[name] = [Example(html.unescape(r["CONTENT"]), int(r["CLASS"]), f"youtube:{name}")
                        for r in _csv_rows(path)]
    return videos


def read_sms(folder: Path) -> list[Example]:
    out = []
    for line in (folder / "SMSSpamCollection").read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        label, _, text = line.partition("\t")
        if label in ("ham", "spam") and text:
            out.append(Example(text, int(label == "spam"), "sms"))
    return out


def read_mlma(folder: Path, lang: str) -> list[Example]:
    """Toxic = offensive, abusive, hateful or disrespectful (and no annotator said normal); clean =
    normal only. Mixed and fear-only tweets are left out."""
    out = []
    for row in _csv_rows(folder / f"{lang}_dataset.csv"):
        kinds = row["sentiment"]
        if kinds == "normal":
            out.append(Example(row["tweet"], 0, f"mlma:{lang}", lang))
        elif MLMA_TOXIC.search(kinds) and "normal" not in kinds:
            out.append(Example(row["tweet"], 1, f"mlma:{lang}", lang))
    return out


def read_jigsaw_sample(folder: Path, exclude_ids: set[str]) -> list[Example]:
    out = []
    for row in _csv_rows(folder / "data_JigsawData_subset_jigsaw.csv"):
        if row["msg_id"] in exclude_ids:
            continue
        out.append(Example(row["original_text"], int(row["toxic"]), "jigsaw-sample:en", "en"))
        out.append(Example(row["content"], int(row["toxic"]), "jigsaw-sample:fr", "fr"))
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
    return [Example(r["content"], int(r["label"]), "rtp-lx:fr", "fr")
            for r in _csv_rows(folder / "rtp-lx-french.csv")]


def read_reddit_removed(folder: Path, rng: random.Random) -> list[Example]:
    """Comments moderators removed for attacks, slurs and hate: all toxic (the set has no clean ones)."""
    out = []
    for path in sorted(folder.glob("*.csv")):
        if not any(path.stem.endswith(kind) for kind in REDDIT_TOXIC):
            continue
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
        lines = [line for line in lines if len(line.split()) >= 3]
        out += [Example(t, 1, "reddit-removed", "en") for t in rng.sample(lines, min(REDDIT_PER_FILE, len(lines)))]
    return out


def read_umsab(folder: Path, lang: str) -> list[Example]:
    """Neutral and positive tweets, as clean examples (negative tweets may hold insults: left out)."""
    name = {"fr": "french", "en": "english"}[lang]
    out = []
    for split in ("train", "val"):
        texts = (folder / f"data_sentiment_{name}_{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (folder / f"data_sentiment_{name}_{split}_labels.txt").read_text(encoding="utf-8").splitlines()
        out += [Example(t, 0, f"umsab:{lang}", lang) for t, y in zip(texts, labels, strict=False) if y.strip() in "12"]
    return out


def read_stackexchange_comments(folder: Path, rng: random.Random) -> list[Example]:
    """Comments of a Stack Exchange meta site, as clean forum-register English."""
    raw = (folder / "Comments.xml").read_text(encoding="utf-8-sig")
    texts = [html.unescape(m) for m in re.findall(r' Text="([^"]*)"', raw)]
    texts = [t for t in texts if len(t.split()) >= 4]
    return [Example(t, 0, "stackexchange", "en") for t in rng.sample(texts, min(STACKEXCHANGE_SAMPLE, len(texts)))]


def self_promotion_label(example: Example) -> int:
    """Weak label: spam that promotes the writer's own channel, work or business (first person +
    a promotion phrase from lexicons/spam.txt). See the model card: these labels come from a rule."""
    return int(example.label == 1 and bool(dense_features(example.text)[13]))


# -- assembling the training sets ----------------------------------------------------------------

def load_corpus(data: Path, *, holdout_french: bool = False, youtube_videos: Sequence[str] | None = None,
                ) -> Corpus:
    """Every model's examples from a data folder. holdout_french leaves toxifrench-extra out (the
    quality benchmark's unseen French set); youtube_videos limits the YouTube videos used."""
    rng = random.Random(SEED)
    need = [data / "spam" / "youtube", data / "toxicity" / "mlma"]
    for path in need:
        if not path.exists():
            raise UsageError(f"--data: {path} is missing (expected the layout of shared/data: spam/, toxicity/, "
                             "sentiment/).")
    corpus = Corpus()
    videos = read_youtube(data / "spam" / "youtube")
    youtube = [e for name, rows in videos.items() if youtube_videos is None or name in youtube_videos for e in rows]
    optional: dict[str, Callable[[Path], list[Example]]] = {
        "spam/sms": read_sms,
        "sentiment/umsab-fr": lambda p: read_umsab(p, "fr"),
        "sentiment/umsab-en": lambda p: read_umsab(p, "en"),
        "activity/stackexchange-meta-2018": lambda p: read_stackexchange_comments(p, rng),
        "toxicity/reddit-removed": lambda p: read_reddit_removed(p, rng),
    }
    extra = {key: reader(data / key) if (data / key).exists() else [] for key, reader in optional.items()}
    french_ham = [e for e in read_mlma(data / "toxicity" / "mlma", "fr") if e.label == 0] + extra["sentiment/umsab-fr"]
    clean_en = extra["activity/stackexchange-meta-2018"] + extra["sentiment/umsab-en"]
    corpus.add("spam", youtube + extra["spam/sms"] + _relabel(french_ham + clean_en, 0))
    promo = [Example(e.text, self_promotion_label(e), e.source, e.lang) for e in youtube + extra["spam/sms"]]
    corpus.add("self_promotion", promo + _relabel(french_ham + clean_en, 0))
    casual_en = [Example(e.text, 0, e.source, "en") for e in youtube + extra["spam/sms"] if e.label == 0]
    _add_toxicity(corpus, data, extra, holdout_french, casual_en)
    return corpus


def _relabel(examples: list[Example], label: int) -> list[Example]:
    return [Example(e.text, label, e.source, e.lang) for e in examples]


def _add_toxicity(corpus: Corpus, data: Path, extra: dict[str, list[Example]], holdout_french: bool,
                  casual_en: list[Example]) -> None:
    """casual_en: the clean YouTube comments and SMS, short everyday English the toxicity sets lack."""
    extra_dir = data / "toxicity" / "toxifrench-extra"
    held_ids = jigsaw_bilingual_ids(extra_dir) if holdout_french else set()
    jigsaw_dir = data / "toxicity" / "jigsaw-sample"
    jigsaw = read_jigsaw_sample(jigsaw_dir, held_ids) if jigsaw_dir.exists() else []
    bilingual = read_jigsaw_bilingual(extra_dir) if extra_dir.exists() and not holdout_french else []
    rtp = read_rtp_lx(extra_dir) if extra_dir.exists() and not holdout_french else []
    mlma = data / "toxicity" / "mlma"
    french = read_mlma(mlma, "fr") + [e for e in jigsaw + bilingual if e.lang == "fr"] + rtp \
        + extra["sentiment/umsab-fr"]
    english = read_mlma(mlma, "en") + [e for e in jigsaw + bilingual if e.lang == "en"] \
        + extra["toxicity/reddit-removed"] + extra["activity/stackexchange-meta-2018"] + extra["sentiment/umsab-en"] \
        + casual_en
    corpus.add("toxic_fr", french)
    corpus.add("toxic_en", english)


# -- fitting ----------------------------------------------------------------------------------------

def fit_linear(rows: sparse.csr_matrix, labels: np.ndarray, *, c: float,
               weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """L2 logistic regression, solved in the dual (far fewer samples than hashed features). 100 dual
    iterations give decision values correlated at 0.9999 with the converged solution, four times faster."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", dual=True, max_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(rows, labels, sample_weight=weights)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def out_of_fold_scores(rows: sparse.csr_matrix, labels: np.ndarray, *, c: float, folds: int = 3,
                       sample_weights: np.ndarray | None = None) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(len(labels))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(rows, labels):
        weights, bias = fit_linear(rows[train], labels[train], c=c,
                                   weights=None if sample_weights is None else sample_weights[train])
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


def source_weights(name: str, examples: Sequence[Example], *, share: float = YOUTUBE_SHARE) -> np.ndarray | None:
    """The spam models give the YouTube comments (the only set labelled for spam in a comment section)
    YOUTUBE_SHARE of the total weight, the extra sets (SMS, clean forum and tweet messages) the rest:
    unweighted, the extra sets outnumber YouTube 18 to 1. Measured with features version 1: the YouTube
    rotation's mean F1 was 0.94 on the videos alone, 0.882 unweighted, 0.890 at 3/4; with version 2,
    0.95 and 0.90 at 3/4 (docs/model-card.md)."""
    if name not in ("spam", "self_promotion"):
        return None
    youtube = np.array([e.source.startswith("youtube:") for e in examples])
    if youtube.all() or not youtube.any():
        return None
    return np.where(youtube, share / youtube.sum(), (1 - share) / (~youtube).sum()) * len(examples)


def feature_mask(name: str) -> sparse.dia_matrix:
    """A diagonal 0/1 matrix keeping the features model `name` is trained on (the others get weight 0)."""
    keep = np.ones(N_FEATURES, dtype=np.float32)
    if name in WITHOUT_MODERATOR_FEATURES:
        keep[N_FEATURES - len(MODERATOR_NAMES):] = 0.0
    return sparse.diags(keep)


def train_model(name: str, examples: Sequence[Example], featurizer: Featurizer,
                *, rows: sparse.csr_matrix | None = None, c: float | None = None,
                youtube_share: float = YOUTUBE_SHARE) -> tuple[LinearModel, dict[str, Any]]:
    """Fit one model; returns it with its out-of-fold metrics. c and youtube_share replace the shipped
    REGULARISATION and YOUTUBE_SHARE (benchmarks/moderation_spam_selection.py compares them)."""
    model, metrics, _probabilities = train_with_out_of_fold(name, examples, featurizer, rows=rows, c=c,
                                                            youtube_share=youtube_share)
    return model, metrics


def train_with_out_of_fold(name: str, examples: Sequence[Example], featurizer: Featurizer,
                           *, rows: sparse.csr_matrix | None = None, c: float | None = None,
                           youtube_share: float = YOUTUBE_SHARE,
                           ) -> tuple[LinearModel, dict[str, Any], np.ndarray]:
    """train_model, also returning the calibrated out-of-fold probability of every example (what the
    threshold was chosen on; the benchmarks count the clean messages flagged from it)."""
    labels = np.array([e.label for e in examples], dtype=np.int8)
    rows = featurizer.transform([e.text for e in examples]) if rows is None else rows
    rows = rows @ feature_mask(name)
    c = REGULARISATION[name] if c is None else c
    sample_weights = source_weights(name, examples, share=youtube_share)
    oof = out_of_fold_scores(rows, labels, c=c, sample_weights=sample_weights)
    platt_a, platt_c = fit_platt(oof, labels)
    probabilities = calibrate(oof, platt_a, platt_c)
    threshold = precision_threshold(probabilities, labels, TARGET_PRECISION[name])
    weights, bias = fit_linear(rows, labels, c=c, weights=sample_weights)
    metrics = binary_metrics(labels, probabilities, threshold)
    sources = sorted({e.source for e in examples})
    meta = {"features_version": FEATURES_VERSION, "examples": len(examples), "positives": int(labels.sum()),
            "sources": sources, "C": c, "target_precision": TARGET_PRECISION[name], "out_of_fold": metrics}
    return LinearModel(name, weights, bias, platt_a, platt_c, threshold, meta), metrics, probabilities


# -- metrics ----------------------------------------------------------------------------------------

def binary_metrics(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> dict[str, float]:
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
    auc = float(roc_auc_score(labels, probabilities)) if 0 < labels.sum() < len(labels) else float("nan")
    return {"n": len(labels), "threshold": round(threshold, 4), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4),
            "accuracy": round(float((predicted == labels).mean()), 4), "roc_auc": round(auc, 4),
            "brier": round(float(np.mean((probabilities - labels) ** 2)), 4),
            "ece": round(expected_calibration_error(labels, probabilities), 4)}


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(probabilities[mask].mean() - labels[mask].mean())
    return float(total)


# -- the command's work -----------------------------------------------------------------------------

def train_all(data: Path, out: Path, *, names: Sequence[str] = MODEL_NAMES,
              progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
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
    for name in names:
        examples = corpus.sets[name]
        progress(f"training {name} on {len(examples)} examples")
        subset = rows[[position[e.text] for e in examples]]
        model, metrics = train_model(name, examples, featurizer, rows=subset)
        model.save(out / f"{name}.npz")
        report[name] = {"threshold": model.threshold, "out_of_fold": metrics, "examples": len(examples),
                        "sources": model.meta["sources"]}
    (out / "manifest.json").write_text(json.dumps({"features_version": FEATURES_VERSION, "models": report},
                                                  indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return {name: report[name] for name in names}


def _kept_entries(manifest: Path, retrained: Sequence[str]) -> dict[str, Any]:
    """The manifest entries of the models not retrained, when their files are there."""
    if set(retrained) >= set(MODEL_NAMES) or not manifest.exists():
        return {}
    entries = json.loads(manifest.read_text(encoding="utf-8")).get("models", {})
    return {name: entry for name, entry in entries.items()
            if name not in retrained and (manifest.parent / f"{name}.npz").exists()}
