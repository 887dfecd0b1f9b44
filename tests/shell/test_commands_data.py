""".dump, .backup and .reconfigure against real nodes.

DUMP answers differently from 1.18.3 (the database file holds everything, the
WAL comes empty, an unknown database is a failure): what a test expects of the
server of this run comes from tests/support/server_expectations.py.
"""

import os
import shutil
import sqlite3
import stat
import subprocess

import pytest
import yaml

from dqlite_shell.native import nodeinfo
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.data import parse_cluster_yaml, safe_name
from dqlite_shell.shell.commands.registry import CommandError, UsageError
from tests.shell.conftest import run_command as run
from tests.support.server_expectations import SINGLE_FILE_DUMP

ROWS = [(i, f"row {i}", None if i % 7 == 0 else i * 1.5, bytes([i % 256]) * (i % 5))
        for i in range(300)]


def fill(state, table="t"):
    session = state.session
    session.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT, x REAL, b BLOB)")
    session.execute("BEGIN")
    for row in ROWS:
        session.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", row)
    session.execute("COMMIT")


def read_rows(path, table="t"):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        conn.close()


def mode_of(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    path = tmp_path / "work"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


# -- .dump ------------------------------------------------------------------------

def test_dump_writes_private_files_sqlite_can_read(shell, node, workdir, tmp_path):
    state = shell([node.address])
    fill(state)
    # Both files on every server, as the Go shell writes them: from 1.18.3
    # the WAL is empty and the database file alone holds every row.
    assert run(state, f".dump {node.address}") == "db\ndb-wal\n"
    assert sorted(os.listdir(workdir)) == ["db", "db-wal"]
    assert mode_of(workdir / "db") == mode_of(workdir / "db-wal") == 0o600
    assert ((workdir / "db-wal").stat().st_size == 0) == SINGLE_FILE_DUMP
    copy = tmp_path / "copy"
    shutil.copytree(workdir, copy)  # sqlite3 would checkpoint the WAL away
    assert read_rows(copy / "db") == ROWS
    if SINGLE_FILE_DUMP:
        alone = tmp_path / "alone"
        alone.mkdir()
        shutil.copy(workdir / "db", alone / "db")
        assert read_rows(alone / "db") == ROWS

    # Never overwritten without --force; nothing written at all then.
    changed = "db" if SINGLE_FILE_DUMP else "db-wal"  # where a new row lands
    before = (workdir / changed).read_bytes()
    kept = "db-wal" if changed == "db" else "db"
    (workdir / kept).unlink()
    with pytest.raises(CommandError) as info:
        run(state, f".dump {node.address}")
    assert str(info.value) == f"{changed} exists; add --force to overwrite it"
    assert sorted(os.listdir(workdir)) == [changed]

    state.session.execute("INSERT INTO t VALUES (1000, 'more', 0, x'00')")
    assert run(state, f".dump {node.address} db --force") == "db\ndb-wal\n"
    assert (workdir / changed).read_bytes() != before
    assert ((workdir / "db-wal").stat().st_size == 0) == SINGLE_FILE_DUMP
    assert mode_of(workdir / "db") == mode_of(workdir / "db-wal") == 0o600
    assert sorted(os.listdir(workdir)) == ["db", "db-wal"]  # no temporary files left
    shutil.rmtree(copy)
    shutil.copytree(workdir, copy)
    assert len(read_rows(copy / "db")) == len(ROWS) + 1


def test_dump_defaults_to_the_current_database(shell, node, workdir):
    state = shell([node.address], database="other")
    fill(state)
    assert run(state, f".dump {node.address} --force") == "other\nother-wal\n"
    run(state, ".open third")
    state.session.execute("CREATE TABLE x (y)")
    assert run(state, f".dump {node.address}") == "third\nthird-wal\n"


def test_dump_never_writes_outside_the_current_directory(shell, node, workdir, tmp_path):
    # libdqlite names the files after the database, which may hold a path.
    state = shell([node.address], database="../escape")
    fill(state)
    assert run(state, f".dump {node.address}") == "escape\nescape-wal\n"
    assert sorted(os.listdir(workdir)) == ["escape", "escape-wal"]
    assert not (tmp_path / "escape").exists()

    # --force replaces a symlink; it never writes through it.
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (workdir / "escape").unlink()
    (workdir / "escape").symlink_to(victim)
    with pytest.raises(CommandError, match="exists"):
        run(state, f".dump {node.address} ../escape")
    run(state, f".dump {node.address} ../escape --force")
    assert victim.read_text() == "keep me"
    assert not (workdir / "escape").is_symlink()
    assert mode_of(workdir / "escape") == 0o600


def test_dump_of_a_missing_database_writes_nothing(shell, node, workdir):
    # Two empty files up to 1.18.2, a failure from 1.18.3: one line on all.
    state = shell([node.address])
    with pytest.raises(CommandError) as info:
        run(state, f".dump {node.address} nosuch")
    assert str(info.value) == f'node {node.address} has no database "nosuch"'
    assert os.listdir(workdir) == []


@pytest.mark.parametrize("name", ["", ".", "..", "a/..", "/", "a/", "x\0y"])
def test_unsafe_file_names_are_refused(name):
    with pytest.raises(CommandError, match="refusing"):
        safe_name(name)


def test_safe_names_are_base_names():
    assert safe_name("db") == "db"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("a\\b-wal") == "b-wal"


# -- .backup ----------------------------------------------------------------------

def test_backup_is_one_standalone_sqlite_file(shell, node, workdir):
    state = shell([node.address])
    fill(state)
    assert run(state, ".backup out.db") == ""
    assert os.listdir(workdir) == ["out.db"]
    assert mode_of(workdir / "out.db") == 0o600
    conn = sqlite3.connect(workdir / "out.db")
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert read_rows(workdir / "out.db") == ROWS

    state.session.execute("DELETE FROM t WHERE id < 100")
    with pytest.raises(CommandError) as info:
        run(state, ".backup out.db")
    assert str(info.value) == "out.db exists; add --force to overwrite it"
    assert read_rows(workdir / "out.db") == ROWS

    run(state, f".backup {workdir / 'out.db'} --force")
    assert read_rows(workdir / "out.db") == ROWS[100:]
    assert mode_of(workdir / "out.db") == 0o600
    assert os.listdir(workdir) == ["out.db"]


SCHEMA = ["CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, x REAL, b BLOB)",
          "CREATE INDEX t_name ON t (name)",
          "CREATE VIEW big AS SELECT id FROM t WHERE x > 100",
          "CREATE TABLE u (k TEXT PRIMARY KEY, v) WITHOUT ROWID"]


def test_backup_holds_what_sqlite_itself_would(shell, node, workdir):
    # The same content on every server (the WAL applied up to 1.18.2, the
    # one file from 1.18.3): the SQL text of the backup equals that of the
    # same statements run by the local SQLite.
    reference = sqlite3.connect(":memory:")
    state = shell([node.address])
    for sql in SCHEMA:
        state.session.execute(sql)
        reference.execute(sql)
    state.session.execute("BEGIN")
    for row in ROWS:
        state.session.execute("INSERT INTO t VALUES (?, ?, ?, ?)", row)
    state.session.execute("COMMIT")
    reference.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS)
    for sql in ("DELETE FROM t WHERE id % 3 = 0", "UPDATE t SET name = upper(name) WHERE id < 50",
                "INSERT INTO u VALUES ('a', 1), ('b', x'00ff'), ('c', NULL)"):
        state.session.execute(sql)
        reference.execute(sql)
    reference.commit()
    run(state, ".backup out.db")
    backup = sqlite3.connect(workdir / "out.db")
    assert list(backup.iterdump()) == list(reference.iterdump())
    assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert backup.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    backup.close()
    assert os.listdir(workdir) == ["out.db"]  # no WAL or journal beside it


def test_backup_of_a_new_database_and_to_a_bad_place(shell, node, workdir):
    state = shell([node.address], database="empty")
    run(state, ".backup empty.db")
    conn = sqlite3.connect(workdir / "empty.db")
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    conn.close()
    with pytest.raises(CommandError):
        run(state, ".backup no/such/dir/x.db")
    assert os.listdir(workdir) == ["empty.db"]


# -- .reconfigure -----------------------------------------------------------------

def _yaml(nodes) -> str:
    return yaml.safe_dump([{"Address": a, "ID": i, "Role": r} for i, a, r in nodes])


def test_reconfigure_a_stopped_node_to_a_cluster_of_one(shell, cluster_factory, tmp_path,
                                                        go_shell):
    cluster = cluster_factory(3)
    state = shell(cluster.addresses)
    fill(state)
    state.close()
    survivor = 1
    data_dir = cluster.dir_of(survivor)
    info = nodeinfo.read(data_dir)
    assert info.address == cluster.addresses[survivor]
    config = tmp_path / "cluster.yaml"
    config.write_text(_yaml([(info.id, info.address, 0)]))

    with pytest.raises(CommandError) as running:
        run(state, f".reconfigure {data_dir} {config}")
    assert "seems to be running" in str(running.value)

    for index in range(3):
        cluster.stop(index)
    assert run(state, f".reconfigure {data_dir} {config}") == "OK\n"
    assert state.err.getvalue() == ""

    cluster.start(survivor)
    alone = shell([info.address])
    assert run(alone, ".cluster") == f"{info.id:x}|{info.address}|voter\n"
    assert run(alone, ".leader") == f"{info.address}\n"
    assert subprocess.run([go_shell, "-s", info.address, "db", ".cluster"], capture_output=True,
                          text=True, timeout=30).stdout == f"{info.id:x}|{info.address}|voter\n"
    rows = alone.session.execute("SELECT * FROM t ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == ROWS
    alone.session.execute("INSERT INTO t VALUES (5000, 'after', 1, x'01')")  # it can commit


def test_reconfigure_errors(shell, tmp_path):
    state = shell(["127.0.0.1:1"])
    empty = tmp_path / "empty"
    empty.mkdir()
    config = tmp_path / "cluster.yaml"
    config.write_text("- ID: 1\n  Address: 127.0.0.1:9001\n")
    with pytest.raises(CommandError, match="info.yaml does not exist"):
        run(state, f".reconfigure {empty} {config}")
    with pytest.raises(CommandError, match="not a directory"):
        run(state, f".reconfigure {tmp_path / 'nosuch'} {config}")
    with pytest.raises(CommandError, match="No such file"):
        run(state, f".reconfigure {empty} {tmp_path / 'nosuch.yaml'}")
    config.write_text("- ID: 1\n  Address: 127.0.0.1:9001\n- ID: 1\n  Address: b:1\n")
    with pytest.raises(CommandError) as info:
        run(state, f".reconfigure {empty} {config}")
    assert str(info.value) == f"{config}:3: ID 1 is also on line 1"

    nodeinfo.write(str(empty), nodeinfo.NodeInfo(1, "127.0.0.1:9001"))
    config.write_text("- ID: 1\n  Address: 127.0.0.1:9001\n")
    with pytest.raises(CommandError, match="no Raft data"):
        run(state, f".reconfigure {empty} {config}")
    assert state.out.getvalue() == ""


GO_SHAPED = """\
- Address: 127.0.0.1:9001
  ID: 3297041220608546238
  Role: 0
- Address: 127.0.0.1:9002
  ID: 18446744073709551615
  Role: 1
- Address: 127.0.0.1:9003
  ID: 3
  Role: 2
"""

EXPECTED = [(3297041220608546238, "127.0.0.1:9001", 0), (2**64 - 1, "127.0.0.1:9002", 1),
            (3, "127.0.0.1:9003", 2)]


@pytest.mark.parametrize("text", [
    GO_SHAPED,
    yaml.safe_dump([{"Address": a, "ID": i, "Role": r} for i, a, r in EXPECTED]),
    "---\n# the new cluster\n" + GO_SHAPED.replace("Role: 2", "Role: spare  # later")
    .replace("ID: 3\n", "id: 0x3\n"),
    "  -\n    Address: '127.0.0.1:9001'\n    ID: 3297041220608546238\n"
    '  - {Address: "127.0.0.1:9002", ID: 18446744073709551615, Role: stand-by}\n'
    "  - ID: 3\n    role: 2\n    address: 127.0.0.1:9003\n    FailureDomain: 4\n",
])
def test_cluster_yaml_shapes(text):
    assert parse_cluster_yaml(text, "c.yaml") == EXPECTED


def test_cluster_yaml_default_role_is_voter():
    assert parse_cluster_yaml("- ID: 5\n  Address: '@abstract'\n") == [(5, "@abstract", 0)]


@pytest.mark.parametrize("text, error", [
    ("", "c.yaml: no nodes"),
    ("[]\n", "c.yaml: no nodes"),
    ("Address: a:1\nID: 1\n", "c.yaml:1: expected a list of nodes"),
    ("- ID: 1\n  Address: a:1\n   Role: 0\n", "c.yaml:3: not valid YAML"),
    ("- ID: 1\n\t Address: a:1\n", "c.yaml:2: not valid YAML"),
    ("- ID: x\n  Address: a:1\n", "c.yaml:1: ID must be a number"),
    ("- ID: 0\n  Address: a:1\n", "c.yaml:1: ID must be from 1"),
    ("# c\n- ID: 18446744073709551616\n  Address: a:1\n", "c.yaml:2: ID must be from 1"),
    ("- ID: 1\n  Address: a:1\n  Role: 3\n", "c.yaml:3: Role must be 0"),
    ("- ID: 1\n  Address: a:1\n  Role: boss\n", "c.yaml:3: Role must be a number"),
    ("- ID: 1\n  Address: a:1\n  ID: 2\n", "c.yaml:3: ID given twice"),
    ("- Address: a:1\n", "c.yaml:1: this node has no ID"),
    ("- ID: 1\n\n- ID: 2\n  Address: b:1\n", "c.yaml:1: this node has no Address"),
    ("- ID: 1\n  Address: a:1\n- ID: 2\n  Address: a:1\n", "c.yaml:3: Address a:1 is also on"),
    ("- ID: 1\n  Address: a:1\n  Role: 1\n", "c.yaml: no node is a voter"),
    ("- ID: 1\n  Address: 'a:1\n", "c.yaml:3: not valid YAML"),  # at the end; says line 2
    ("- ID: 1\n  Address: [a]\n", "c.yaml:2: expected a plain value"),
    ("- ID: 1\n  Address:\n    - a\n", "c.yaml:2: expected a plain value"),
    ("- ID: 1\n  Address:\n", "c.yaml:2: missing value"),
    ("- ID: 1\n  Address: a:1\n - ID: 2\n", "c.yaml:3: not valid YAML"),
    ("- ID: 1\n  Address: a:1\n---\n- ID: 2\n", "c.yaml:3: not valid YAML"),
])
def test_cluster_yaml_errors_name_the_line(text, error):
    with pytest.raises(ValueError) as info:
        parse_cluster_yaml(text, "c.yaml")
    assert str(info.value).startswith(error), str(info.value)


def test_cluster_yaml_written_by_go_dqlite(go_demo_factory, tmp_path):
    _proc, _api, db = go_demo_factory()
    node_dir = tmp_path / "demo0" / db
    assert parse_cluster_yaml((node_dir / "cluster.yaml").read_text()) == [
        (nodeinfo.read(str(node_dir)).id, db, 0)]


# -- wrong arguments ----------------------------------------------------------------


@pytest.mark.parametrize("line", [
    ".dump A db extra", ".dump A db extra --force", ".dump A --force --force",
    ".backup", ".backup a b", ".backup --force", ".backup a --force --force",
    ".reconfigure", ".reconfigure a", ".reconfigure a b c",
])
def test_wrong_arguments_give_the_usage_line_and_send_nothing(shell, listener, workdir, line):
    address = "{}:{}".format(*listener.getsockname())
    state = shell([address])
    cmd = registry.lookup(line.split()[0])
    with pytest.raises(UsageError) as info:
        registry.run(state, line.replace(" A", " " + address))
    assert str(info.value) == f"usage: {cmd.usage}"
    assert state.out.getvalue() == "" and state._session is None
    assert os.listdir(workdir) == []
    with pytest.raises(BlockingIOError):
        listener.accept()
