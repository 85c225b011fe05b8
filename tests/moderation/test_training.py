"""`tending train --model`: retraining one model leaves the others' files and manifest entries alone."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tending.moderation import training


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A tiny folder laid out like shared/data: one YouTube video and MLMA in both languages."""
    root = tmp_path / "data"
    spam = [f"check out my channel number {i} and subscribe http://promo{i}.com" for i in range(12)]
    ham = [f"this song reminds me of summer {i}, what a voice" for i in range(12)]
    _write_csv(
        root / "spam" / "youtube" / "youtube-01-ada.csv",
        ["CONTENT", "CLASS"],
        [[t, "1"] for t in spam] + [[t, "0"] for t in ham],
    )
    for lang, rude, calm in (
        ("fr", "espece d'idiot numero {i}", "bonne journee a tous numero {i}"),
        ("en", "you stupid idiot number {i}", "have a nice day everyone number {i}"),
    ):
        _write_csv(
            root / "toxicity" / "mlma" / f"{lang}_dataset.csv",
            ["tweet", "sentiment"],
            [[rude.format(i=i), "offensive"] for i in range(12)]
            + [[calm.format(i=i), "normal"] for i in range(12)],
        )
    return root


def test_retraining_spam_alone_keeps_the_toxicity_models_byte_for_byte(
    data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "models"
    training.train_all(data, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["models"]
    # this tiny set annotates no group and no threat: those target models are skipped, the others trained
    assert set(manifest) == set(training.MODEL_NAMES) - {"hate", "threat"}
    before = {name: (out / f"{name}.npz").read_bytes() for name in manifest}

    report = training.train_all(data, out, names=["spam"])

    assert list(report) == ["spam"]
    after = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["models"]
    assert sorted(after) == sorted(manifest)
    for name in ("self_promotion", "toxic_fr", "toxic_en", "insult"):
        assert (out / f"{name}.npz").read_bytes() == before[name]
        assert after[name] == manifest[name]
    assert after["spam"]["threshold"] == report["spam"]["threshold"]


def test_a_manifest_entry_without_its_file_is_dropped(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "models"
    training.train_all(data, out)
    (out / "toxic_en.npz").unlink()

    training.train_all(data, out, names=["spam"])

    after = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["models"]
    assert sorted(after) == ["insult", "self_promotion", "spam", "toxic_fr"]


def test_training_twice_on_the_same_data_gives_the_same_spam_model(data: Path) -> None:
    examples = training.load_corpus(data).sets["spam"]
    featurizer = training.Featurizer()

    first, _ = training.train_model("spam", examples, featurizer)
    second, _ = training.train_model("spam", examples, featurizer)

    assert first.weights.tobytes() == second.weights.tobytes()
    assert (first.bias, first.platt_a, first.platt_c, first.threshold) == (
        second.bias,
        second.platt_a,
        second.platt_c,
        second.threshold,
    )
