"""Ctrl-C on a statement the server cannot stop. On libdqlite 1.11 the node
answers nothing until it is done: the promise that the next statement runs
then is kept, even past --timeout; 1.17.3 measured the same. A 1.18 node
answers others while it runs a statement: the next one runs without a wait."""

import re
import time

import pexpect
import pytest

from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import RequestTimeout
from tests.shell.test_repl import LONG
from tests.support.processes import wait_for_drains
from tests.support.repl import leave, prompt


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


@pytest.mark.on_servers("1.11", "1.17")
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


@pytest.mark.on_servers("1.11", "1.17")
def test_ctrl_c_stops_the_wait_for_the_busy_node(repl, node):  # noqa: F811
    child = _interrupt_a_long_statement(repl, node)
    child.send("SELECT 'after';\r")
    child.expect("waiting for", timeout=10)
    child.sendcontrol("c")
    child.expect("Interrupted", timeout=5)
    child.expect(prompt(node.address), timeout=5)
    child.sendcontrol("d")
    child.expect(pexpect.EOF, timeout=60)


@pytest.mark.on_servers("1.18")
def test_after_ctrl_c_a_newer_node_answers_the_next_statement_at_once(repl, node):  # noqa: F811
    child = repl("-s", node.address, "--timeout", "1")
    child.expect(prompt(node.address))
    child.send(LONG + "\r")
    time.sleep(0.5)  # let the statement start; nothing to wait for: the node keeps answering
    child.sendcontrol("c")
    child.expect("Interrupted; the server finishes the statement", timeout=5)
    child.expect(prompt(node.address), timeout=5)
    started = time.monotonic()
    child.send(".mode list\r")
    child.send("SELECT 'after';\r")
    child.expect("after\r\n", timeout=10)
    assert time.monotonic() - started < 3, "the next statement waited for the old one"
    assert "waiting for" not in child.before
    leave(child)
    assert child.wait() == 0 or not child.isalive()
    wait_for_drains(node.address)  # the statement's answer, before the fixture stops the node
