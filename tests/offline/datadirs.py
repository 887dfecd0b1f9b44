"""Real data dirs for the offline readers' tests, written by dqlite-node
processes of a given server (tests/native/servers.py) with small snapshot
thresholds, so that snapshots and several segments appear in a second."""

from __future__ import annotations

import hashlib
import os
import time

from dqlite_shell import dbapi
from dqlite_shell.native import reserve_address
from dqlite_shell.offline.datadir import DataDir
from tests.native.servers import Server, environment, require
from tests.support.processes import NodeProcess

#: Rows inserted into db's table t, one statement (one log entry) each.
ROWS = 40
#: --snapshot-threshold and --snapshot-trailing of the writing node.
THRESHOLD = 8


def make(server: Server, data_dir: str, *, kill: bool, compression: bool | None = None) -> None:
    """Write ``data_dir`` with ``server``: table t of db gets ROWS rows (0..ROWS-1,
    each a statement), table u of "other" one row; then stop the node: SIGKILL
    (``kill``: the open segment stays open) or SIGTERM (segments closed)."""
    require(server)
    args = ["--snapshot-threshold", str(THRESHOLD), "--snapshot-trailing", str(THRESHOLD)]
    if compression is not None:
        args.append("--snapshot-compression" if compression else "--no-snapshot-compression")
    node = NodeProcess(reserve_address(), data_dir, args, env=environment(server)).start()
    try:
        conn = dbapi.connect([node.address], "db", autocommit=True)
        conn.execute("CREATE TABLE t (n INTEGER, s TEXT)")
        for i in range(ROWS):
            conn.execute("INSERT INTO t VALUES (?, ?)", (i, f"row {i}" * 10))
        conn.close()
        settle(data_dir)  # so that "other" comes after the latest snapshot, as a rule
        other = dbapi.connect([node.address], "other", autocommit=True)
        other.execute("CREATE TABLE u (a)")
        other.execute("INSERT INTO u VALUES ('x')")
        other.close()
        settle(data_dir)
        status = node.kill() if kill else node.terminate()
        assert status in (0, -9), node.stderr
    finally:
        node.close()


def settle(data_dir: str, timeout: float = 10.0) -> None:
    """Wait until no snapshot is being written or due, so that a stop now
    leaves a dir without an unfinished snapshot (raft writes the .meta file,
    then the data file, from its thread pool, after the apply that decided).

    Settled: no findings, the two snapshots raft keeps, and fewer than
    THRESHOLD entries after the latest (else one is due or on its way). A
    snapshot taken late (entries applied while the previous one was written)
    can leave THRESHOLD entries or more with none due: then the dir is taken
    as it is at the timeout, provided it has no findings."""
    deadline = time.monotonic() + timeout
    while True:
        d = DataDir(data_dir)
        quiet = (not d.findings and len(d.snapshots) == 2
                 and all(s.valid for s in d.snapshots))
        if quiet and d.last_index - d.snapshots[-1].index < THRESHOLD:
            return
        if time.monotonic() > deadline:
            assert quiet, [str(f) for f in d.findings] or [s.data_file for s in d.snapshots]
            return
        time.sleep(0.02)


def hashes(data_dir: str) -> dict[str, str]:
    """Every file of ``data_dir`` and its SHA-256 (a change of any byte shows)."""
    found = {}
    for name in sorted(os.listdir(data_dir)):
        with open(os.path.join(data_dir, name), "rb") as f:
            found[name] = hashlib.sha256(f.read()).hexdigest()
    return found
