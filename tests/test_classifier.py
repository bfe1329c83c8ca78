"""The trained model inside the matcher: it learns which words tell intents apart."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from bot.core import weights as pruning
from bot.core.classifier import IntentClassifier, features

EXAMPLES = [
    ("mfa_new_phone", "got a new phone how do i move the authenticator"),
    ("mfa_new_phone", "changing my phone what happens to my codes"),
    ("mfa_new_phone", "new mobile need the authenticator app on it"),
    ("mfa_lost_phone", "lost my phone cant get the code"),
    ("mfa_lost_phone", "phone stolen no way to get the authenticator code"),
    ("mfa_lost_phone", "my phone is broken and i need a code to sign in"),
    ("deadline", "when is the deadline"),
    ("deadline", "what date do i have to do it by"),
]


@pytest.fixture(scope="module")
def model() -> IntentClassifier:
    return IntentClassifier((intent, text.split()) for intent, text in EXAMPLES)


def _best(model: IntentClassifier, text: str) -> str:
    found = model.probabilities(text.split())
    return max(found, key=found.__getitem__)


def test_probabilities_cover_every_intent_and_sum_to_one(model: IntentClassifier) -> None:
    found = model.probabilities("lost my phone".split())
    assert set(found) == {"mfa_new_phone", "mfa_lost_phone", "deadline"}
    assert sum(found.values()) == pytest.approx(1.0)


def test_the_word_that_tells_two_intents_apart_decides(model: IntentClassifier) -> None:
    assert _best(model, "new phone authenticator") == "mfa_new_phone"
    assert _best(model, "stolen phone authenticator") == "mfa_lost_phone"


def test_letter_ngrams_carry_a_misspelling_typo_correction_missed(
    model: IntentClassifier,
) -> None:
    assert _best(model, "wen is the dedline") == "deadline"


def test_words_it_has_never_seen_give_no_probabilities(model: IntentClassifier) -> None:
    assert model.probabilities("zzzz qqqq".split()) == {}
    assert model.probabilities([]) == {}


def test_training_is_deterministic() -> None:
    first = IntentClassifier((i, t.split()) for i, t in EXAMPLES)
    second = IntentClassifier((i, t.split()) for i, t in EXAMPLES)
    message = "phone code please".split()
    assert first.probabilities(message) == second.probabilities(message)


def test_one_intent_alone_needs_no_training() -> None:
    model = IntentClassifier([("only", ["hello"])])
    assert model.probabilities(["hello"]) == {"only": 1.0}


def test_features_are_words_pairs_and_letter_ngrams() -> None:
    found = features(["new", "phone"])
    assert found["w:new"] == 1 and found["b:new phone"] == 1
    assert found["c: ph"] == 1 and found["c:one "] == 1


def _fitted_on(monkeypatch: pytest.MonkeyPatch) -> list[csr_matrix]:
    """The matrices scikit-learn is given to fit, as training goes on."""
    given: list[csr_matrix] = []
    plain = LogisticRegression.fit

    def fit(self: LogisticRegression, matrix, *args, **kwargs):  # noqa: ANN001, ANN202
        given.append(matrix)
        return plain(self, matrix, *args, **kwargs)

    monkeypatch.setattr(LogisticRegression, "fit", fit)
    return given


def test_each_example_is_trained_on_as_its_own_feature_vector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given = _fitted_on(monkeypatch)
    examples = [*EXAMPLES, ("deadline", "")]  # no words: an empty row
    model = IntentClassifier((intent, text.split()) for intent, text in examples)
    (matrix,) = given
    assert matrix.dtype == np.float64  # a model this small is kept exact
    assert matrix.shape[0] == len(examples)
    for row, (_, text) in enumerate(examples):
        columns, values = model._vector(features(text.split()))
        cells = matrix.getrow(row)
        assert cells.indices.tolist() == columns
        assert np.array_equal(cells.data, values)


def _size(examples: list[tuple[str, str]]) -> int:
    """Intents times features: the size of a model of ``examples``."""
    found = set().union(*(features(text.split()) for _, text in examples))
    return len({intent for intent, _ in examples}) * len(found)


@pytest.mark.parametrize(("below_the_limit", "precision"), [(0, np.float64), (1, np.float32)])
def test_only_a_model_larger_than_is_kept_exact_is_trained_in_single_precision(
    monkeypatch: pytest.MonkeyPatch, below_the_limit: int, precision: type
) -> None:
    given = _fitted_on(monkeypatch)
    monkeypatch.setattr(pruning, "PRUNE_ABOVE", _size(EXAMPLES) - below_the_limit)
    IntentClassifier((intent, text.split()) for intent, text in EXAMPLES)
    assert [matrix.dtype for matrix in given] == [precision]


def test_a_model_too_large_to_keep_exact_is_trained_in_single_precision_to_the_same_answers(
    model: IntentClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = _fitted_on(monkeypatch)
    monkeypatch.setattr(pruning, "PRUNE_ABOVE", 0)
    large = IntentClassifier((intent, text.split()) for intent, text in EXAMPLES)
    assert [matrix.dtype for matrix in given] == [np.float32]
    messages = [text for _, text in EXAMPLES]
    messages += ["new phone authenticator", "stolen phone authenticator", "wen is the dedline"]
    for text in messages:
        assert _best(large, text) == _best(model, text), text
