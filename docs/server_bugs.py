"""Minimal reproductions of the dqlite server crashes in docs/server-bugs.md.

    python docs/server_bugs.py BUG LIBDQLITE

BUG is one of: stream-leak, returning-query, returning-exec, describe-format.
LIBDQLITE is the libdqlite.so.0 to run the node with (e.g. a 1.18.6 build).
Each case starts one dqlite-node process on a loopback port, sends the
requests that trigger the bug with this project's client, and prints whether
the node survived (exit status 0) or aborted (exit status 1, with its stderr).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dqlite_shell.client.connection import Connection  # noqa: E402
from dqlite_shell.client.errors import ClientError, ServerError  # noqa: E402
from dqlite_shell.native.ports import reserve_address, wait_for_listener  # noqa: E402
from dqlite_shell.wire import requests  # noqa: E402
from dqlite_shell.wire.messages import Metadata  # noqa: E402

ROWS = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) "
        "SELECT x, 'padding padding padding' FROM c")


def stream_leak(conn: Connection) -> None:
    """A client closes its socket in the middle of a streamed result; the
    node is then stopped (SIGTERM, a clean dqlite_node_stop)."""
    stream = conn.query_sql(ROWS)
    next(iter(stream))  # the first batch arrived; more are coming
    conn._transport.sock.close()  # gone mid-stream, as `| head` or a killed client


def returning_query(conn: Connection) -> None:
    """QUERY_SQL of INSERT ... RETURNING outside a transaction, then a write
    on the same connection. 1.17.3 refuses the first (the write stays pending
    in the connection) and aborts at the second; 1.11.1 aborts at the first."""
    conn.exec_sql("CREATE TABLE t (n)")
    try:
        print("rows:", conn.query_sql("INSERT INTO t VALUES (1) RETURNING n").fetchall())
    except ServerError as e:
        print(f"the server refused the RETURNING: {e.code} {e.message!r}")
    conn.exec_sql("INSERT INTO t VALUES (2)")


def returning_exec(conn: Connection) -> None:
    """EXEC (a prepared statement) of INSERT ... RETURNING."""
    conn.exec_sql("CREATE TABLE t (n)")
    stmt = conn.prepare("INSERT INTO t VALUES (1) RETURNING n")
    conn.exec(stmt.id)


def describe_format(conn: Connection) -> None:
    """DESCRIBE with format 1 (only format 0 exists)."""
    conn.call(requests.describe(1), Metadata)


CASES = {"stream-leak": stream_leak, "returning-query": returning_query,
         "returning-exec": returning_exec, "describe-format": describe_format}


def main(bug: str, library: str) -> int:
    address = reserve_address()
    folder = tempfile.mkdtemp(prefix="dqlite-bug-")
    env = dict(os.environ, DQLITE_SHELL_LIBDQLITE=library)
    node = subprocess.Popen([sys.executable, "-m", "dqlite_shell.app.node_cli",
                             "--address", address, "--dir", folder],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_listener(address)
        conn = Connection.connect(address, 10)
        conn.leader()
        conn.register()
        conn.open("bug")
        try:
            CASES[bug](conn)
            print("the requests were answered")
        except (ClientError, OSError) as e:
            print(f"the client saw: {e}")
        deadline = time.monotonic() + 5  # a crash shows within a second here
        while node.poll() is None and time.monotonic() < deadline:
            try:
                with Connection.connect(address, 1) as probe:
                    probe.leader()
            except (ClientError, OSError):
                pass
            time.sleep(0.2)
        if node.poll() is None:
            node.send_signal(signal.SIGTERM)  # a clean stop: dqlite_node_stop
        status = node.wait(10)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    err = node.stderr.read().strip().splitlines()
    if status == 0:
        print("the node survived and stopped cleanly")
        return 0
    print(f"the node died (exit status {status}): " + (err[-1] if err else "no message"))
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
