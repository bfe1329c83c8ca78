"""Who a web visitor is: a random id in a cookie, signed so nobody can pick another's.

There is no log-in (the people this page is for may be locked out of NHSmail), so the
visitor is whoever holds the cookie. The id is random and says nothing about the person;
the signature (HMAC-SHA256) stops a visitor from editing the cookie to read someone
else's conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

COOKIE = "helpbot_visitor"
MAX_AGE = 30 * 24 * 3600  # a month: longer than any flow or open ticket should need


def new_visitor() -> str:
    return secrets.token_urlsafe(18)


def sign(visitor: str, secret: bytes) -> str:
    return f"{visitor}.{_signature(visitor, secret)}"


def verified(cookie: str | None, secret: bytes) -> str | None:
    """The visitor id in ``cookie`` if its signature holds, else None."""
    if not cookie or len(cookie) > 200:
        return None
    visitor, _, signature = cookie.rpartition(".")
    if not visitor or not hmac.compare_digest(signature, _signature(visitor, secret)):
        return None
    return visitor


def _signature(visitor: str, secret: bytes) -> str:
    digest = hmac.new(secret, visitor.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
