"""Trained intent models kept on disk, keyed by what they were trained on.

Training the model takes seconds and importing scikit-learn most of a second more; every
process that loads the same knowledge (a CLI command, each web or Slack worker, every
reload) would pay both. The weights depend only on the examples and the training
settings, so they are saved under a hash of those and read back with numpy alone.

A missing, unreadable or foreign file is not an error: the model is trained again and
the file rewritten. Writes go to a temporary file first, then replace the old one in one
step, so processes sharing the folder never read half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bot.core.files import write_whole
from bot.core.sparse import Rows
from bot.core.weights import Weights

log = logging.getLogger(__name__)

# Bump when what is saved, or how it is read, changes (2: features, IDF, sparse weights).
FORMAT = 2


@dataclass(frozen=True)
class Model:
    """A trained model: its features (in column order), their IDF, and its weights."""

    features: list[str]
    idf: np.ndarray
    weights: Weights


def fingerprint(rows: Sequence[tuple[str, Sequence[str]]], settings: object) -> str:
    """A key for the model trained on ``rows`` with ``settings`` (and this scikit-learn)."""
    digest = hashlib.sha256()
    try:
        learner = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        learner = "none"
    digest.update(json.dumps([FORMAT, learner, repr(settings)]).encode())
    for intent, terms in rows:
        digest.update(json.dumps([intent, list(terms)]).encode())
    return digest.hexdigest()[:32]


class ModelCache:
    """A folder of trained models (``HELPBOT_MODEL_CACHE``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"intents-{key}.npz"

    def load(self, key: str) -> Model | None:
        """The model saved under ``key``, if it is there, readable and the right shape."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as saved:
                model = Model(
                    bytes(saved["features"]).decode("utf-8").split("\n"),
                    np.asarray(saved["idf"], dtype=float),
                    _read(saved),
                )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("model cache: %s cannot be read (%s); training again", path, exc)
            return None
        features = len(model.features)
        if not (model.weights.features == features == len(model.idf)) or not _consistent(
            model.weights
        ):
            log.warning("model cache: %s has the wrong shape; training again", path)
            return None
        return model

    def save(self, key: str, model: Model) -> None:
        """Keep ``model`` under ``key``; a folder that cannot be written is only logged."""
        path = self._path(key)

        def fill(out: BinaryIO) -> None:
            # Feature names as one UTF-8 text: a string array would be 10 times larger.
            names = np.frombuffer("\n".join(model.features).encode("utf-8"), np.uint8)
            np.savez(out, features=names, idf=model.idf, **_arrays(model.weights))

        try:
            write_whole(path, fill)
        except OSError as exc:
            log.warning("model cache: %s cannot be written (%s)", path, exc)


def _arrays(weights: Weights) -> dict[str, np.ndarray]:
    saved = {"classes": np.array(weights.classes), "intercept": weights.intercept}
    if weights.dense is not None:
        return {**saved, "coef": weights.dense}
    assert weights.by_feature is not None
    rows = weights.by_feature
    return {**saved, "starts": rows.starts, "columns": rows.columns, "values": rows.values}


def _read(saved: Mapping[str, np.ndarray]) -> Weights:
    classes = tuple(str(c) for c in saved["classes"])
    intercept = np.asarray(saved["intercept"], dtype=float)
    if "coef" in saved:
        return Weights(classes, intercept, dense=np.asfortranarray(saved["coef"], dtype=float))
    rows = Rows(saved["starts"], saved["columns"], saved["values"], len(classes))
    return Weights(classes, intercept, by_feature=rows)


def _consistent(weights: Weights) -> bool:
    """Shapes that fit together, and class numbers in range: a file can be damaged."""
    classes = len(weights.classes)
    if weights.intercept.shape != (classes,):
        return False
    if weights.dense is not None:
        return weights.dense.shape[0] == classes
    assert weights.by_feature is not None
    starts, cells = weights.by_feature.starts, weights.by_feature.columns
    return bool(
        starts[0] == 0
        and np.all(np.diff(starts) >= 0)
        and starts[-1] == len(cells) == len(weights.by_feature.values)
        and (not len(cells) or 0 <= cells.min() <= cells.max() < classes)
    )
