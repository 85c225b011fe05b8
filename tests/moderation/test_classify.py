"""The shipped models and the `classify` contract (JSON lines in, JSON lines out)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tending.moderation.classifier import MODELS_DIR, SCORES, Classifier, shipped_classifier

LINES = [
    {"id": 1, "text": "Merci pour ton aide hier, le chat va beaucoup mieux depuis qu'on a changé ses croquettes."},
    {"id": "b", "text": "CHECK OUT MY CHANNEL!!! subscribe for free iphone giveaway http://bit.ly/xyz",
     "author": "bruno"},
    {"id": 3, "text": "Ferme ta gueule espèce de gros connard, t'es vraiment trop débile", "thread": "t1"},
    {"id": 4, "text": "you are a pathetic idiot and a worthless piece of shit, shut up", "lang": "en"},
    {"id": 5, "text": "Abonnez-vous à ma chaîne YouTube, je poste une nouvelle vidéo chaque semaine !"},
]


def _run(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tending", "moderate", "classify"], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_models_ship_inside_the_package_and_load_offline() -> None:
    paths = sorted(p.name for p in MODELS_DIR.glob("*.npz"))
    assert paths == ["self_promotion.npz", "spam.npz", "toxic_en.npz", "toxic_fr.npz"]
    assert sum(p.stat().st_size for p in MODELS_DIR.iterdir()) < 20 * 1024 * 1024
    classifier = Classifier.load(MODELS_DIR)
    assert all(0.05 <= t < 1 for t in classifier.thresholds.values())


def test_labels_are_the_scores_at_or_above_their_thresholds() -> None:
    classifier = shipped_classifier()
    results = classifier.classify([r["id"] for r in LINES], [r["text"] for r in LINES],
                                  [r.get("lang") for r in LINES])
    by_id = {r.id: r for r in results}
    for result in results:
        expected = [n for n in SCORES if result.scores[n] >= classifier.threshold(n, result.lang)]
        assert [label for label in result.labels if label != "complaint"] == expected
    assert by_id[1].labels == [] and by_id[1].lang == "fr"
    assert "spam" in by_id["b"].labels and by_id["b"].lang == "en"
    assert by_id[3].labels == ["toxic"] and by_id[3].lang == "fr"
    assert "toxic" in by_id[4].labels
    assert "self_promotion" in by_id[5].labels and by_id[5].lang == "fr"


def test_classify_writes_one_json_line_per_input() -> None:
    done = _run("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LINES))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b", 3, 4, 5]
    for line in out:
        assert set(line) == {"id", "scores", "labels", "lang", "sentiment"}
        assert {"spam", "toxic", "self_promotion", "negative", "complaint"} <= set(line["scores"])
        assert line["sentiment"] in ("negative", "neutral", "positive")
        assert all(0 <= v <= 1 for v in line["scores"].values())
    assert out[2]["labels"] == ["toxic"]


def test_a_bad_line_is_named_and_exits_1() -> None:
    done = _run('{"id": 1, "text": "bonjour à tous"}\n{"id": 2, "text": oops}\n{"id": 3, "text": "x"}\n')
    assert done.returncode == 1
    assert done.stderr.strip().startswith("Error: stdin, line 2: not valid JSON")
    assert len(done.stdout.splitlines()) == 1  # the good line before it was still answered
    missing = _run('{"id": 1}\n')
    assert missing.returncode == 1
    assert "stdin, line 1: field 'text': missing or not a string" in missing.stderr


def test_model_card_names_every_shipped_model() -> None:
    card = (Path(__file__).resolve().parents[2] / "docs" / "model-card.md").read_text(encoding="utf-8")
    for name in ("spam", "self_promotion", "toxic_fr", "toxic_en"):
        assert f"`{name}`" in card
