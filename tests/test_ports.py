"""Reserved ports: never handed to two processes, and nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys

from dqlite_shell.native import available, ports
from tests.conftest import _require
from tests.shell.conftest import DQLITE
from tests.support.processes import run_python

HOLDER = """
import sys
from dqlite_shell.native.ports import reserve_port
print(" ".join(str(reserve_port()) for _ in range(30)), flush=True)
sys.stdin.readline()
"""


def test_ports_another_process_holds_are_skipped_until_it_dies():
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        held = [int(p) for p in holder.stdout.readline().split()]
        assert len(set(held)) == 30
        assert all(ports._claim(p) is None for p in held)
        mine = [ports.reserve_port() for _ in range(100)]
        assert not set(mine) & set(held)
        for p in mine:
            ports.release_port(p)
    finally:
        holder.kill()  # no clean-up runs: the kernel frees the names
        holder.wait(10)
    for p in held:
        claimed = ports._claim(p)
        assert claimed is not None, p
        claimed.close()


def test_a_released_port_can_be_reserved_by_another_process():
    port = ports.reserve_port()
    assert ports._claim(port) is None  # this process holds it
    ports.release_port(port)
    claimed = ports._claim(port)
    assert claimed is not None
    claimed.close()


def test_scratch_nodes_leave_nothing_in_tmpdir(tmp_path):
    _require(available(), "libdqlite")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    # Nodes started and closed in a process, as the tests and App users do.
    script = ("from dqlite_shell.app.local import LocalCluster\n"
              "for _ in range(3):\n"
              "    with LocalCluster(1, network_latency_ms=1) as c:\n"
              "        print(c.addresses[0])\n")
    done = run_python(script, env=env)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == 3
    # The shell's own scratch node, as a user starts it.
    done = subprocess.run(DQLITE + ["-c", "SELECT 1"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "1\n"), done.stderr
    assert sorted(os.listdir(tmp)) == []
