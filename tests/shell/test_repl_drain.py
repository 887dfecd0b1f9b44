"""Ctrl-C on a streaming result, then quitting, on servers that leak a
statement whose socket is closed mid-stream (1.18.6 aborts at its next stop:
docs/server-bugs.md, bug A): the shell exits at once, a detached child
process reads the rest of the result, and the node stops cleanly."""

import time

import pexpect
import pytest

from tests.support.processes import wait_for_drains
from tests.support.repl import prompt

#: Long enough to be streaming at the Ctrl-C, short enough to end in seconds.
STREAM = ("SELECT x, 'row ' || x FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
          "SELECT x + 1 FROM c WHERE x < 3000000) SELECT x FROM c);")


@pytest.mark.on_servers("1.17", "1.18")
def test_quitting_after_ctrl_c_on_a_stream_is_immediate_and_leaks_nothing(repl, node_process):  # noqa: F811
    address = node_process.address
    child = repl("-s", address)
    child.expect(prompt(address))
    child.send(".output /dev/null\r")
    child.expect(prompt(address))
    child.send(STREAM + "\r")
    time.sleep(1.0)  # streaming by now (a million rows a second at most)
    child.sendcontrol("c")
    child.expect("Interrupted; the rest of the result is discarded", timeout=5)
    child.expect(prompt(address), timeout=5)
    started = time.monotonic()
    child.sendcontrol("d")
    child.expect(pexpect.EOF, timeout=10)
    assert time.monotonic() - started < 2.0, "the exit waited for the drain"
    child.close()
    assert child.exitstatus == 0
    wait_for_drains(address)  # the child that took the drain over ends with the result
    assert node_process.terminate() == 0, "the node did not stop cleanly (a leaked statement)"

