"""Ctrl-C on a statement libdqlite 1.11 cannot stop: the promise that the
next statement runs once the node is done is kept, even past --timeout."""

import re
import time

import pexpect

from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import RequestTimeout
from tests.shell.test_repl import LONG, leave, prompt, repl  # noqa: F401 - the fixture


def _wait_until_busy(address: str, timeout: float = 30.0) -> None:
    """Until the node stops answering LEADER (its one thread runs the statement)."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, "the node never got busy"
        try:
            with Connection.connect(address, 0.2) as conn:
                conn.leader()
        except RequestTimeout:
            return
        time.sleep(0.01)


def _interrupt_a_long_statement(repl, node):  # noqa: F811
    """A REPL whose long statement was interrupted while the node runs it."""
    child = repl("-s", node.address, "--timeout", "1")
    child.expect(prompt(node.address))
    child.send(LONG + "\r")
    _wait_until_busy(node.address)
    child.sendcontrol("c")
    child.expect("Interrupted", timeout=5)
    child.expect(prompt(node.address), timeout=5)
    return child


def test_after_ctrl_c_the_next_statement_waits_for_the_busy_node(repl, node):  # noqa: F811
    child = _interrupt_a_long_statement(repl, node)
    child.send(".mode list\r")
    child.send("SELECT 'after';\r")
    child.expect(re.escape(f"waiting for {node.address} to finish the interrupted statement"),
                 timeout=10)
    child.expect("after\r\n", timeout=120)
    assert "no leader" not in child.before
    leave(child)
    assert child.wait() == 0 or not child.isalive()


def test_ctrl_c_stops_the_wait_for_the_busy_node(repl, node):  # noqa: F811
    child = _interrupt_a_long_statement(repl, node)
    child.send("SELECT 'after';\r")
    child.expect("waiting for", timeout=10)
    child.sendcontrol("c")
    child.expect("Interrupted", timeout=5)
    child.expect(prompt(node.address), timeout=5)
    child.sendcontrol("d")
    child.expect(pexpect.EOF, timeout=60)
