"""Built knowledge kept on disk, so that a new process answers in a fraction of a second.

Reading the YAML, checking it and building the matcher took about a second in every
process that starts: each CLI command, each web or Slack worker. What comes out depends
only on the YAML files, on this code and on the installed packages, so it is saved under
a hash of those and read back in a few milliseconds. Any change to a YAML file, to a
source file of the bot or to the packages gives another key: a snapshot is never used
for content, code or libraries it was not built with.

Snapshots are pickles, and unpickling runs code: one is read only if it belongs to this
user (or root) and nobody else may write to it, as ssh treats its keys. A missing,
foreign or unreadable snapshot is not an error: the knowledge is built as usual.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.files import write_whole

log = logging.getLogger(__name__)

FORMAT = 2  # bump when what is saved, or how it is read, changes
KEEP = 8  # snapshots kept per folder, newest first: one per recent version of the YAML
_CODE = Path(__file__).resolve().parent.parent  # the bot package
_code_digest: str | None = None


def _code() -> str:
    """A hash of the bot's own source: a snapshot holds objects of its classes."""
    global _code_digest
    if _code_digest is None:
        digest = hashlib.sha256()
        for path in sorted(_CODE.rglob("*.py")):
            digest.update(str(path.relative_to(_CODE)).encode() + b"\0")
            digest.update(path.read_bytes())
        _code_digest = digest.hexdigest()
    return _code_digest


def _libraries() -> str:
    """When the installed packages last changed: a snapshot also holds numpy arrays,
    pydantic models and word lists from other packages. Installing, upgrading or
    removing any package adds or removes entries in their folder, which moves its
    modification time; one ``stat``, where reading each package's version took 40 ms."""
    folder = Path(np.__file__).resolve().parent.parent
    return f"{folder}\0{folder.stat().st_mtime_ns}"


def snapshot_key(files: Iterable[Path]) -> str:
    """A key for what is built from ``files`` by this code and these packages, on this
    Python."""
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{_code()}\0{_libraries()}".encode())
    for path in files:
        digest.update(str(path).encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


class Snapshots:
    """A folder of built knowledge (the model cache's, ``HELPBOT_MODEL_CACHE``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"knowledge-{key}.pickle"

    def load(self, key: str, kind: type) -> Any | None:
        """The ``kind`` object saved under ``key``, if it is there and safe to read."""
        path = self._path(key)
        try:
            with path.open("rb") as handle:
                if not _trusted(os.fstat(handle.fileno())):
                    log.warning("snapshot %s may be written by others; not read", path)
                    return None
                found = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - a bad snapshot only means building again
            log.warning("snapshot %s cannot be read (%s); building again", path, exc)
            return None
        return found if isinstance(found, kind) else None

    def save(self, key: str, value: object) -> None:
        """Keep ``value`` under ``key``; a folder that cannot be written is only logged."""
        path = self._path(key)
        try:
            write_whole(path, lambda out: pickle.dump(value, out, pickle.HIGHEST_PROTOCOL))
            self._prune()
        except (OSError, pickle.PicklingError) as exc:
            log.warning("snapshot %s cannot be written (%s)", path, exc)

    def _prune(self) -> None:
        """Only the newest few: every edit of the YAML makes a new one."""
        found = sorted(
            self.folder.glob("knowledge-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in found[KEEP:]:
            old.unlink(missing_ok=True)


def _trusted(status: os.stat_result) -> bool:
    """Owned by this user or root, and writable by nobody else."""
    writable_by_others = status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return status.st_uid in (os.getuid(), 0) and not writable_by_others
