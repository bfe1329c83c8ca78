"""Imports point down: the leaves import nothing of the bot's but the errors' base,
settings only leaves, and every error raised on purpose shares that one base."""

from __future__ import annotations

import ast

from bot.channels.web.events import NotListening
from bot.channels.web.guard import BodyTooLarge
from bot.config import PROJECT_ROOT, ConfigError
from bot.content.loader import ContentInvalid
from bot.content.yamlfile import YamlSyntaxError
from bot.errors import HelpbotError
from bot.evaluation import EvalSetInvalid
from bot.hours import HoursInvalid
from bot.store import StoreError
from bot.tickets.service import TicketError

LEAVES = {"bot/errors.py": "bot.errors", "bot/hours.py": "bot.hours", "bot/clock.py": "bot.clock"}


def bot_imports(path: str) -> set[str]:
    tree = ast.parse((PROJECT_ROOT / path).read_text())
    found = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    found |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def test_leaf_modules_import_nothing_of_the_bot_but_the_errors_base() -> None:
    for leaf in LEAVES:
        assert bot_imports(leaf) <= {"bot.errors"}, leaf


def test_settings_import_only_leaves() -> None:
    assert bot_imports("bot/config.py") <= set(LEAVES.values())


def test_every_error_a_person_can_act_on_shares_one_base() -> None:
    errors = (
        ConfigError,
        ContentInvalid,
        YamlSyntaxError,
        HoursInvalid,
        StoreError,
        TicketError,
        EvalSetInvalid,
        BodyTooLarge,
        NotListening,
    )
    assert all(issubclass(error, HelpbotError) for error in errors)
    assert issubclass(HoursInvalid, ValueError)  # still what a parser of settings expects
