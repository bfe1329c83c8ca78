"""Every setting helpbot reads, from the environment, in one place (12-factor).

Command-line options override these; nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

# The shipped content sits beside the package in a checkout (and in an editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///helpbot.db"


@dataclass(frozen=True)
class Settings:
    intents_dir: Path
    knowledge_dir: Path
    database_url: str
    log_level: str = "WARNING"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with every non-None change applied (how CLI options win over the env)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        intents_dir=Path(env.get("HELPBOT_INTENTS", PROJECT_ROOT / "intents")),
        knowledge_dir=Path(env.get("HELPBOT_KNOWLEDGE", PROJECT_ROOT / "knowledge")),
        database_url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        log_level=env.get("HELPBOT_LOG_LEVEL", "WARNING").upper(),
    )
