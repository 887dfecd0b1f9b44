"""Without libdqlite the package imports, `dqlite --help` works, native calls fail in one line.

The loader is made to fail by pointing DQLITE_SHELL_LIBDQLITE at a missing file.
"""

import os
import subprocess
import sys

from dqlite_shell.native.library import NOT_FOUND
from tests.support.processes import run_python

ENV = dict(os.environ, DQLITE_SHELL_LIBDQLITE="/nonexistent/libdqlite.so.0")


def _python(code):
    return run_python(code, env=ENV)


def test_import_and_help_work():
    result = _python("import dqlite_shell, dqlite_shell.native, dqlite_shell.address; "
                     "print(dqlite_shell.native.available())")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "False\n"
    result = subprocess.run([sys.executable, "-m", "dqlite_shell", "--help"], capture_output=True,
                            text=True, env=ENV, timeout=60)
    assert result.returncode == 0 and "--servers" in result.stdout
    result = subprocess.run([sys.executable, "-m", "dqlite_shell", "--version"],
                            capture_output=True, text=True, env=ENV, timeout=60)
    assert result.returncode == 0 and "libdqlite not found" in result.stdout


def test_native_call_gives_one_clear_line():
    result = _python("from dqlite_shell.native import Node\nNode('127.0.0.1:1', '/tmp')")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "dqlite_shell.native.errors.LibraryNotFound: " + NOT_FOUND)


def test_dqlite_node_exits_2_with_the_message(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dqlite_shell.app.node_cli", "--address",
                             "127.0.0.1:1", "--dir", str(tmp_path)], capture_output=True,
                            text=True, env=ENV, timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"dqlite-node: error: {NOT_FOUND}\n"
