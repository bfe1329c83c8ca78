"""A trained intent model's weights: dense while small, sparse and pruned when large.

Dense, intents by features (words, word pairs, letter n-grams) grows with both: 10 MB
at the shipped 54 intents, 483 MB at 625 intents and 50,000 examples, in every process
and in the model cache. A message has a few hundred features, so a large model is kept
feature by feature and a message reads only its own, and the weights that say almost
nothing (``EPSILON``) are dropped, after centring each feature's weights: a softmax is
unchanged when one number is added to every intent's weight for a feature, and the
median makes most of them close to zero. At 50,000 synthetic examples that keeps 7.8%
of the weights; on 6,385 messages every band and first intent stayed the same.

Small models stay dense and exact: the same scores, to the last bit, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.core.sparse import Rows

# Intents x features above which weights are pruned: 20 million is 160 MB dense; the
# shipped model (54 x 31,394) and one of 10,000 examples (125 x 40,599) stay exact.
PRUNE_ABOVE = 20_000_000
EPSILON = 0.01


def pruned(size: int) -> bool:
    """Whether a model of ``size`` weights (intents x features) is kept pruned, in
    single precision, rather than dense and exact."""
    return size > PRUNE_ABOVE


@dataclass(frozen=True)
class Weights:
    """One intercept per class, and the classes' weights for each feature."""

    classes: tuple[str, ...]
    intercept: np.ndarray
    # Classes by features, every weight; stored feature by feature (Fortran order): a
    # message reads a few hundred features' columns, each then one contiguous run,
    # which halved the model's share of matching.
    dense: np.ndarray | None = None
    by_feature: Rows | None = None  # features by classes, pruned

    @classmethod
    def from_dense(
        cls, classes: tuple[str, ...], coef: np.ndarray, intercept: np.ndarray
    ) -> Weights:
        """From a classes-by-features matrix, pruned if it is large (see the module)."""
        if not pruned(coef.size):
            return cls(classes, intercept, dense=np.asfortranarray(coef))
        by_feature = coef.T
        centred = by_feature - np.median(by_feature, axis=1, keepdims=True)
        kept = Rows.dense(centred, np.abs(centred) >= EPSILON)
        # Pruned, the weights are approximate anyway: single precision and small class
        # numbers halve what every process holds.
        narrow = np.int16 if len(classes) < 2**15 else np.int32
        kept = Rows(
            kept.starts, kept.columns.astype(narrow), kept.values.astype(np.float32), kept.width
        )
        return cls(classes, intercept, by_feature=kept)

    @classmethod
    def zero(cls, classes: tuple[str, ...], features: int) -> Weights:
        """An untrained model: every score zero."""
        starts = np.zeros(features + 1, dtype=np.intp)
        empty = Rows(starts, np.zeros(0, np.int32), np.zeros(0), len(classes))
        return cls(classes, np.zeros(len(classes)), by_feature=empty)

    @property
    def features(self) -> int:
        if self.dense is not None:
            return self.dense.shape[1]
        assert self.by_feature is not None
        return len(self.by_feature.starts) - 1

    def scores(self, columns: list[int], values: np.ndarray) -> np.ndarray:
        """Each class's score for a message with ``values`` at feature ``columns``."""
        if self.dense is not None:
            return self.dense[:, columns] @ values + self.intercept
        assert self.by_feature is not None
        return self.by_feature.combine(columns, values) + self.intercept
