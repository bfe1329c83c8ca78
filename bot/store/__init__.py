"""Persistence: what happens (conversations, messages, unanswered questions)."""

from bot.store.db import DeliveredBefore, Store, StoreError, StoreRejected, StoreUnavailable

__all__ = ["DeliveredBefore", "Store", "StoreError", "StoreRejected", "StoreUnavailable"]
