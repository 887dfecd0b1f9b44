"""Our ABI-mode declarations compile against the real dqlite.h without a warning."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_declarations_match_the_header(tmp_path):
    if not os.path.exists("/usr/include/dqlite.h"):
        if os.environ.get("CI"):
            pytest.fail("CI must have libdqlite-dev (/usr/include/dqlite.h)")
        pytest.skip("libdqlite-dev is not installed")
    result = subprocess.run([sys.executable, os.path.join(ROOT, "native", "abi_check.py"),
                             str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: declarations match dqlite.h")
