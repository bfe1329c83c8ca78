"""The model's weights: dense and exact while small, pruned and sparse when large."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core import weights as pruning
from bot.core.model_cache import Model, ModelCache
from bot.core.weights import Weights

CLASSES = tuple(f"intent{i}" for i in range(30))


def softmax(scores: np.ndarray) -> np.ndarray:
    odds = np.exp(scores - scores.max())
    return odds / odds.sum()


@pytest.fixture
def model() -> tuple[np.ndarray, np.ndarray]:
    """Weights as training leaves them: a few large per feature, the rest small noise
    around a per-feature level that a softmax ignores."""
    rng = np.random.default_rng(3)
    coef = rng.normal(0, 0.002, (len(CLASSES), 400)) + rng.normal(0, 0.5, 400)
    strong = rng.random(coef.shape) < 0.05
    coef[strong] += rng.normal(0, 2, strong.sum())
    return coef, rng.normal(0, 0.3, len(CLASSES))


def test_a_small_model_scores_exactly_as_the_dense_product(model) -> None:
    coef, intercept = model
    weights = Weights.from_dense(CLASSES, coef, intercept)
    columns, values = [3, 50, 51, 399], np.array([0.5, 0.25, 0.75, 0.35])
    assert weights.by_feature is None
    assert np.array_equal(weights.scores(columns, values), coef[:, columns] @ values + intercept)


def test_a_large_model_keeps_few_weights_and_almost_the_same_probabilities(
    model, monkeypatch: pytest.MonkeyPatch
) -> None:
    coef, intercept = model
    monkeypatch.setattr(pruning, "PRUNE_ABOVE", coef.size - 1)
    weights = Weights.from_dense(CLASSES, coef, intercept)
    assert weights.dense is None and weights.by_feature is not None
    assert len(weights.by_feature.values) < coef.size * 0.1  # the per-feature level is gone
    rng = np.random.default_rng(4)
    for _ in range(50):
        columns = sorted(rng.choice(400, 30, replace=False).tolist())
        values = rng.random(30)
        values /= np.linalg.norm(values)
        exact = softmax(coef[:, columns] @ values + intercept)
        pruned = softmax(weights.scores(columns, values))
        assert np.abs(pruned - exact).max() < 0.01
        assert np.argmax(pruned) == np.argmax(exact)


def test_a_pruned_model_is_read_back_from_the_cache_as_saved(
    model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coef, intercept = model
    monkeypatch.setattr(pruning, "PRUNE_ABOVE", 0)
    weights = Weights.from_dense(CLASSES, coef, intercept)
    cache = ModelCache(tmp_path)
    features = [f"w:word{i}" for i in range(coef.shape[1])]
    cache.save("key", Model(features, np.ones(coef.shape[1]), weights))
    back = cache.load("key")
    assert back is not None and back.features == features
    assert back.weights.by_feature is not None and weights.by_feature is not None
    for name in ("starts", "columns", "values"):
        saved = getattr(weights.by_feature, name)
        assert np.array_equal(getattr(back.weights.by_feature, name), saved)
    columns, values = [0, 7, 99], np.array([0.2, 0.3, 0.4])
    assert np.array_equal(back.weights.scores(columns, values), weights.scores(columns, values))
