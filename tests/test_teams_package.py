"""The Teams app package: a zip Teams accepts, its manifest valid against the official schema.

The schema comes from Microsoft's npm package ``@microsoft/app-manifest``, pinned in
``tests/browser/package-lock.json`` and installed by ``make test`` (not copied here).
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker

from bot.channels.teams.package import MANIFEST_VERSION, PackageInvalid, Publisher, manifest
from bot.config import PROJECT_ROOT

APP_ID = "00000000-0000-4000-8000-00000000b07a"
SCHEMAS = PROJECT_ROOT / "tests/browser/node_modules/@microsoft/app-manifest/build/json-schemas"
SCHEMA = SCHEMAS / f"teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"


def build(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "teams", "package", "--out", str(tmp_path / "app.zip")]
        + list(options),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA pixels of an unfiltered 8-bit RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)
    idat, at = b"", 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at : at + 4]), data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 4 * width
    pixels = [
        raw[row * stride + 1 + 4 * x : row * stride + 5 + 4 * x]
        for row in range(height)
        for x in range(width)
    ]
    return width, height, pixels


def test_the_package_holds_a_manifest_valid_against_microsofts_schema_and_two_icons(
    tmp_path: Path,
) -> None:
    if not SCHEMA.exists():
        pytest.skip("npm not found: @microsoft/app-manifest is installed by `make test`")
    done = build(tmp_path, "--app-id", APP_ID)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "app.zip") as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        found = json.loads(package.read("manifest.json"))
        color, outline = package.read("color.png"), package.read("outline.png")
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(
        Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(found), key=str
    )
    assert [e.message for e in errors] == []
    assert found["manifestVersion"] == "1.19" and found["bots"][0]["botId"] == APP_ID
    assert found["bots"][0]["scopes"] == ["personal"]
    width, height, _ = png_pixels(color)
    assert (width, height) == (192, 192)
    width, height, pixels = png_pixels(outline)
    assert (width, height) == (32, 32)
    # Teams' outline icon is white on transparent, nothing else.
    assert {p for p in pixels} <= {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}


def test_the_schema_check_catches_a_broken_manifest() -> None:
    if not SCHEMA.exists():
        pytest.skip("npm not found: @microsoft/app-manifest is installed by `make test`")
    broken = manifest(APP_ID, Publisher())
    del broken["icons"]
    broken["accentColor"] = "blue"
    schema = json.loads(SCHEMA.read_text())
    assert len(list(Draft4Validator(schema).iter_errors(broken))) >= 2


def test_a_bad_app_id_or_address_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = build(tmp_path, "--app-id", "my-bot")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: --app-id must be the bot's Microsoft App ID (a GUID), not 'my-bot'"
    ]
    done = build(tmp_path, "--app-id", APP_ID, "--privacy", "http://example.org/")
    assert done.returncode == 2 and "--privacy must be an https:// address" in done.stderr
    with pytest.raises(PackageInvalid):
        manifest("x", Publisher())
