"""Files that several processes share: written whole, or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_whole(path: Path, fill: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through ``fill`` into a temporary file, then put it in place in one
    step: processes reading the folder never see half a file. Raises ``OSError``; then
    nothing is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            fill(out)
        os.chmod(temporary, 0o644)  # other workers may run as other users
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
