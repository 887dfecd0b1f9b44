"""Debian's sqlite3 CLI (3.40), the oracle for what sqlite3 defines: output
modes, .import, .dump, the dot-commands' habits.

In CI a missing sqlite3 fails the run at its start (tests/conftest.py), so
``needs_sqlite3`` only ever skips on a developer's machine without it.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

needs_sqlite3 = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs sqlite3")


def sqlite3_cli(*args: str, stdin: str = "", timeout: float = 60) -> bytes:
    """``sqlite3 ARGS`` -> its stdout, as bytes; it must succeed quietly."""
    done = subprocess.run(["sqlite3", *args], input=stdin.encode(), capture_output=True,
                          timeout=timeout)
    assert done.returncode == 0 and not done.stderr, done
    return done.stdout
