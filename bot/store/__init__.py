"""Persistence: what happens (conversations, messages, unanswered questions)."""

from bot.store.db import Store, StoreUnavailable

__all__ = ["Store", "StoreUnavailable"]
