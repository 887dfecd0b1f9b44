"""The ``dqlite`` command on a real node: what data with control characters
looks like on a terminal (escaped) and in a pipe (kept as it is)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from tests.support.terminal import read_terminal

CONTROL = "SELECT char(27) || '[31mred' AS \"e\x1bsc\", 'a' || char(9) || 'b' AS t, char(7) AS bel"


def on_a_terminal(*args: str) -> tuple[int, str]:
    """Run ``dqlite ARGS`` with stdout on a pty; (exit status, what it showed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = os.path.join(os.path.dirname(__file__), "no-such-config")
    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen([sys.executable, "-m", "dqlite_shell", *args],
                                 stdin=subprocess.DEVNULL, stdout=follower,
                                 stderr=subprocess.PIPE, env=env)
        os.close(follower)
        shown = read_terminal(leader)  # until the child closes the terminal
        status = child.wait(timeout=60)
        assert child.stderr.read() == b""
        child.stderr.close()
    finally:
        os.close(leader)
    return status, shown.decode().replace("\r\n", "\n")


def test_table_on_a_terminal_shows_control_characters_escaped(node):
    status, shown = on_a_terminal("-s", node.address, "-c", CONTROL)
    assert status == 0
    assert shown == ("+-------------+-----------+------+\n"
                     "| e\\x1Bsc     | t         | bel  |\n"
                     "|-------------+-----------+------|\n"
                     "| \\x1B[31mred | a       b | \\x07 |\n"
                     "+-------------+-----------+------+\n")


def test_list_on_a_terminal_escapes_in_a_pipe_keeps_the_bytes(node, dqlite):
    status, shown = on_a_terminal("-s", node.address, "-f", "list", "-c", CONTROL)
    # The tab stops where the terminal would have put it (column 16).
    assert (status, shown) == (0, "\\x1B[31mred|a   b|\\x07\n")
    run = dqlite("-s", node.address, "-f", "list", "-c", CONTROL)
    assert (run.status, run.out) == (0, "\x1b[31mred|a\tb|\x07\n")
