"""The leave-one-source-out evaluation of benchmarks/moderation_quality.py, on a tiny synthetic set."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "moderation_quality.py"


@pytest.fixture(scope="module")
def quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("moderation_quality", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_source_is_scored_by_a_model_that_never_saw_it(quality: ModuleType) -> None:
    # three labelled sources, clean tweets (one class: always trained on) and a set we may only evaluate on
    sources = np.array(
        ["forum"] * 4 + ["tweets"] * 4 + ["chat"] * 4 + ["clean"] * 3 + ["unlicensed"] * 2
    )
    labels = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    seen: dict[str, set[str]] = {}

    def fit_score(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, float]:
        held = set(sources[test].tolist())
        assert len(held) == 1 and not train[test].any()
        seen[held.pop()] = set(sources[train].tolist())
        # a "model" that is right on the forum and the chat and always says toxic elsewhere
        right = np.isin(sources[test], ["forum", "chat"])
        return np.where(right, labels[test], 1.0), 0.5

    results = quality.leave_one_source_out(
        sources, labels, fit_score, evaluate_only=frozenset({"unlicensed"})
    )
    assert set(results) == {"forum", "tweets", "chat", "unlicensed", "mean"}
    assert seen["forum"] == {"tweets", "chat", "clean"}  # never the unlicensed set, never itself
    assert seen["unlicensed"] == {"forum", "tweets", "chat", "clean"}
    assert results["forum"]["accuracy"] == results["chat"]["accuracy"] == 1.0
    assert results["tweets"]["accuracy"] == 0.25 and results["unlicensed"]["accuracy"] == 0.5
    assert results["mean"]["accuracy"] == pytest.approx((1 + 0.25 + 1 + 0.5) / 4, abs=1e-4)
    assert results["mean"]["lowest_accuracy"] == 0.25 and results["mean"]["sources"] == 4
