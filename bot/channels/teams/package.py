"""The Teams app package: ``manifest.json`` and two icons in a zip, as Teams installs it.

An NHSmail tenant installs a custom app only after the NHSmail application assessment
(support.nhs.net, "Custom and 3rd party applications"); this is the file that goes with
the request, and the one an admin uploads once it is approved.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import HelpbotError

MANIFEST_VERSION = "1.19"
SCHEMA_URL = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/"
    f"v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
NHS_BLUE = (0x00, 0x5E, 0xB8)
WHITE = (0xFF, 0xFF, 0xFF)
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


class PackageInvalid(HelpbotError):
    """The package cannot be built as asked; the message says which option to fix."""


@dataclass(frozen=True)
class Publisher:
    """Who publishes the app, as Teams shows it; every address must be https."""

    name: str = "helpbot"
    website: str = "https://portal.nhs.net/"
    privacy: str = "https://portal.nhs.net/"
    terms: str = "https://portal.nhs.net/"


def manifest(app_id: str, publisher: Publisher, version: str = "1.0.0") -> dict[str, Any]:
    """The app manifest: one bot, for 1:1 chats, with a few suggested questions."""
    if not _GUID.fullmatch(app_id):
        raise PackageInvalid(
            f"--app-id must be the bot's Microsoft App ID (a GUID), not {app_id!r}"
        )
    for name in ("website", "privacy", "terms"):
        if not getattr(publisher, name).startswith("https://"):
            raise PackageInvalid(f"--{name} must be an https:// address")
    commands = [
        ("help", "What I can help with"),
        ("set up my account secret", "Step by step, in the NHS.net Connect Portal"),
        ("talk to a person", "Pass this to the helpdesk as a ticket"),
    ]
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": publisher.name,
            "websiteUrl": publisher.website,
            "privacyUrl": publisher.privacy,
            "termsOfUseUrl": publisher.terms,
        },
        "name": {"short": "helpbot", "full": "helpbot: NHSmail help for care staff"},
        "description": {
            "short": "Answers about NHSmail and the Account Secret, and the helpdesk.",
            "full": (
                "helpbot answers questions about NHSmail and the Account Secret in plain "
                "words, with the official source for each answer, walks you through "
                "setting up your Account Secret, and passes your question to the helpdesk "
                "when it cannot help. It never asks for your Account Secret or password."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#005EB8",
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [{"title": t, "description": d} for t, d in commands],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def build(path: Path, app_id: str, publisher: Publisher | None = None) -> Path:
    """Write the zip Teams installs to ``path``."""
    found = manifest(app_id, publisher or Publisher())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(found, indent=2) + "\n")
        package.writestr("color.png", png(192, _badge(192, NHS_BLUE, WHITE)))
        package.writestr("outline.png", png(32, _badge(32, None, WHITE)))
    return path


def _badge(size: int, ground: tuple[int, int, int] | None, ink: tuple[int, int, int]) -> bytes:
    """A speech bubble's ring on ``ground`` (transparent when None), as RGBA rows."""
    rows = bytearray()
    centre, outer, inner = (size - 1) / 2, size * 0.40, size * 0.27
    for y in range(size):
        rows.append(0)  # no filter for this row
        for x in range(size):
            distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            tail = y > centre and abs(x - y + size * 0.05) < size * 0.06 and distance < size * 0.5
            if inner <= distance <= outer or (tail and distance > inner):
                rows += bytes((*ink, 255))
            elif ground is not None:
                rows += bytes((*ground, 255))
            else:
                rows += bytes((0, 0, 0, 0))
    return bytes(rows)


def png(size: int, rgba_rows: bytes) -> bytes:
    """A square RGBA PNG from its filtered rows."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )
