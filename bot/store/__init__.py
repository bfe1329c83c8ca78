"""Persistence: what happens (conversations, messages, unanswered questions)."""

from bot.store.db import Store, StoreError, StoreRejected, StoreUnavailable

__all__ = ["Store", "StoreError", "StoreRejected", "StoreUnavailable"]
