"""Trained models kept on disk between processes (``HELPBOT_MODEL_CACHE``)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bot.config import PROJECT_ROOT, load_settings
from bot.core.classifier import IntentClassifier
from bot.core.model_cache import ModelCache

EXAMPLES = [
    ("secret", ["what", "is", "the", "account", "secret"]),
    ("secret", ["how", "do", "i", "set", "my", "secret"]),
    ("mfa", ["what", "is", "mfa"]),
    ("mfa", ["new", "phone", "authenticator"]),
    ("apply", ["how", "do", "we", "apply", "for", "nhsmail"]),
]
MESSAGE = ["set", "up", "secret", "please"]


def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, examples):  # noqa: ANN001, ANN202 - stands in for the real fit
        raise AssertionError("trained again although the model was saved")

    monkeypatch.setattr(IntentClassifier, "_fit", refuse)


def test_a_saved_model_is_read_back_instead_of_trained(tmp_path, monkeypatch) -> None:
    cache = ModelCache(tmp_path)
    trained = IntentClassifier(EXAMPLES, cache)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    no_training(monkeypatch)
    read_back = IntentClassifier(EXAMPLES, cache)
    assert read_back.probabilities(MESSAGE) == trained.probabilities(MESSAGE)


def test_other_examples_are_trained_and_kept_beside(tmp_path) -> None:
    cache = ModelCache(tmp_path)
    IntentClassifier(EXAMPLES, cache)
    IntentClassifier([*EXAMPLES, ("apply", ["join", "nhsmail"])], cache)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_a_damaged_file_is_trained_again_and_rewritten(tmp_path, caplog) -> None:
    cache = ModelCache(tmp_path)
    expected = IntentClassifier(EXAMPLES).probabilities(MESSAGE)
    IntentClassifier(EXAMPLES, cache)
    [saved] = tmp_path.glob("*.npz")
    saved.write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING):
        again = IntentClassifier(EXAMPLES, cache)
    assert "cannot be read" in caplog.text
    assert again.probabilities(MESSAGE) == pytest.approx(expected)
    with np.load(saved) as data:  # rewritten whole
        assert data["coef"].shape[0] == 3


def test_a_folder_that_cannot_be_written_only_costs_the_training(tmp_path, caplog) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING):
        model = IntentClassifier(EXAMPLES, ModelCache(blocked / "models"))
    assert "cannot be written" in caplog.text
    assert max(model.probabilities(MESSAGE), key=model.probabilities(MESSAGE).get) == "secret"
    assert not list(tmp_path.glob("**/*.tmp"))


def test_the_shipped_matcher_answers_the_same_from_a_saved_model(
    content, knowledge, tmp_path, monkeypatch
) -> None:
    from bot.core.matcher import Matcher

    Matcher(content, models=ModelCache(tmp_path))
    no_training(monkeypatch)
    cached = Matcher(content, models=ModelCache(tmp_path))
    for text in ["when is the account secret deadline", "lost my phone", "printer jammed"]:
        assert cached.match(text) == knowledge.matcher.match(text)


def test_the_folder_comes_from_the_environment_and_can_be_turned_off() -> None:
    assert load_settings({}).model_cache == PROJECT_ROOT / ".cache" / "models"
    assert load_settings({"HELPBOT_MODEL_CACHE": "/srv/models"}).model_cache == Path("/srv/models")
    assert load_settings({"HELPBOT_MODEL_CACHE": "off"}).model_cache is None
