"""Every setting helpbot reads, from the environment, in one place (12-factor).

Command-line options override these; nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

# The shipped content sits beside the package in a checkout (and in an editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///helpbot.db"
DEFAULT_FLOW_TIMEOUT_MINUTES = 24 * 60


class ConfigError(Exception):
    """A setting has a value helpbot cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    intents_dir: Path
    knowledge_dir: Path
    database_url: str
    log_level: str = "WARNING"
    flow_timeout: timedelta = timedelta(minutes=DEFAULT_FLOW_TIMEOUT_MINUTES)

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
        flow_timeout=timedelta(minutes=_positive(env, "HELPBOT_FLOW_TIMEOUT_MINUTES")),
    )


def _positive(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return DEFAULT_FLOW_TIMEOUT_MINUTES
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{name} must be a number of minutes above 0, not {raw!r}")
    return value
