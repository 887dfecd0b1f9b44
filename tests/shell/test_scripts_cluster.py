"""Scripts against 3-node clusters: a Chinook-shaped load, and the leader
killed in the middle of a script."""

import sqlite3
import subprocess
import threading
import time

from dqlite_shell.client.session import Session
from tests.shell.conftest import DQLITE
from tests.support.chinook import TABLES, make_script
from tests.support.shell_process import check_script_outcome


def _all_rows(session, table):
    return session.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()


def test_chinook_shaped_script_loads_exactly(dqlite, cluster_factory):
    cluster = cluster_factory(3)
    script = make_script(5_000)  # every table and statement shape; 15,000 took 48 s a run
    run = dqlite("-s", ",".join(cluster.addresses), stdin=script, timeout=600)
    assert (run.status, run.err) == (0, ""), run
    expected = sqlite3.connect(":memory:")
    expected.executescript(script)
    session = Session(cluster.addresses, "db")
    try:
        for table in TABLES + ["AlbumTracks"]:
            want = expected.execute(f"SELECT * FROM [{table}] ORDER BY rowid"
                                    if table != "AlbumTracks" else
                                    f"SELECT * FROM [{table}] ORDER BY 1, 2").fetchall()
            got = session.execute(f"SELECT * FROM [{table}] ORDER BY rowid"
                                  if table != "AlbumTracks" else
                                  f"SELECT * FROM [{table}] ORDER BY 1, 2").fetchall()
            assert len(got) == len(want), table
            assert got == want, table
    finally:
        session.close()
        expected.close()


def test_leader_killed_mid_script_never_applies_twice_or_skips(cluster_factory):
    cluster = cluster_factory(3, processes=True)
    session = Session(cluster.addresses, "db", timeout=15)
    session.execute("CREATE TABLE k (n INTEGER)")  # no UNIQUE: duplicates would show
    leader = session.leader_address
    session.close()
    lines = 2000
    script = "".join(f"INSERT INTO k VALUES ({i});\n" for i in range(1, lines + 1))
    proc = subprocess.Popen(DQLITE + ["-s", ",".join(cluster.addresses), "--timeout", "15"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    def feed():
        proc.stdin.write(script)
        proc.stdin.close()
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    # Kill the leader once the script is well under way.
    watcher = Session(cluster.addresses, "db", timeout=15)
    deadline = time.monotonic() + 60
    while watcher.execute("SELECT count(*) FROM k").fetchall()[0][0] < 300:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    watcher.close()
    cluster.kill(cluster.addresses.index(leader))
    proc.wait(timeout=120)
    feeder.join(10)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        values = [n for (n,) in session.execute("SELECT n FROM k ORDER BY n").fetchall()]
    finally:
        session.close()
    check_script_outcome(values, lines, proc.returncode, err)
