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
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bot.core.files import write_whole

log = logging.getLogger(__name__)

FORMAT = 1  # bump when what is saved, or how it is read, changes


@dataclass(frozen=True)
class Weights:
    """A trained model: one row of coefficients and one intercept per class."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray


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

    def load(self, key: str, columns: int) -> Weights | None:
        """The model saved under ``key``, if it is there, readable and the right shape."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as saved:
                weights = Weights(
                    tuple(str(c) for c in saved["classes"]),
                    np.ascontiguousarray(saved["coef"], dtype=float),
                    np.asarray(saved["intercept"], dtype=float),
                )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("model cache: %s cannot be read (%s); training again", path, exc)
            return None
        rows = len(weights.classes)
        if weights.coef.shape != (rows, columns) or weights.intercept.shape != (rows,):
            log.warning("model cache: %s has the wrong shape; training again", path)
            return None
        return weights

    def save(self, key: str, weights: Weights) -> None:
        """Keep ``weights`` under ``key``; a folder that cannot be written is only logged."""
        path = self._path(key)

        def fill(out: BinaryIO) -> None:
            np.savez(
                out,
                classes=np.array(weights.classes),
                coef=weights.coef,
                intercept=weights.intercept,
            )

        try:
            write_whole(path, fill)
        except OSError as exc:
            log.warning("model cache: %s cannot be written (%s)", path, exc)
