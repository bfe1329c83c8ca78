"""``make test`` shows failures, and sums up skips in one line that says why."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bot.config import PROJECT_ROOT


def test_skips_are_one_line_saying_why_not_a_line_each() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_migrations.py",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("SKIPPED")]
    [summary] = [line for line in lines if line.startswith("skipped ")]
    assert re.match(r"skipped (\d+): \1 because TEST_DATABASE_URL is not set", summary), summary
