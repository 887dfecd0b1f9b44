""".kine keys|get|stats through the `dqlite` command, on a kine table written
the way k8s-dqlite writes it (creates, updates, deletes as tombstones, the
compact_rev_key row and a compaction), on a real 3-node cluster."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from dqlite_shell import dbapi
from dqlite_shell.shell.commands.kine import (
    describe_value,
    parse_unknown,
    prefix_end,
    protobuf_fields,
)
from tests.support.products import products  # noqa: F401 - the fixture

# k8s-dqlite's schema 1.0 (pkg/backend/sqlite/schema.go).
SCHEMA = [
    """CREATE TABLE kine (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
       created INTEGER, deleted INTEGER, create_revision INTEGER NOT NULL,
       prev_revision INTEGER, lease INTEGER, value BLOB, old_value BLOB)""",
    "CREATE UNIQUE INDEX k8s_dqlite_name_del_index ON kine (name ASC, id DESC, deleted)",
    f"PRAGMA user_version = {1 << 16}",
]


def kine_database(servers, database=None, **options):
    """A driver connection (autocommit) to ``database`` (default: a new
    name) holding k8s-dqlite's empty kine table, and the name."""
    database = database or f"k8s_{uuid.uuid4().hex[:8]}"
    conn = dbapi.connect(servers, database, autocommit=True, **options)
    for sql in SCHEMA:
        conn.cursor().execute(sql)
    return conn, database


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (all lengths here are < 128)."""
    assert len(payload) < 128
    return bytes([number << 3 | 2, len(payload)]) + payload


def k8s_protobuf(api_version: str, kind: str, raw: bytes) -> bytes:
    """A value as apiserver stores it: "k8s\\0" + runtime.Unknown{TypeMeta, raw,
    contentEncoding "", contentType ""} (generated.proto field numbers)."""
    type_meta = _field(1, api_version.encode()) + _field(2, kind.encode())
    return b"k8s\x00" + _field(1, type_meta) + _field(2, raw) + _field(3, b"") + _field(4, b"")


POD_OBJECT = _field(1, _field(1, b"web") + _field(3, b"default"))  # metadata: name, namespace
POD = k8s_protobuf("v1", "Pod", POD_OBJECT)
APP_V1 = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}).encode()
APP_V2 = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "2"}}).encode()
APP_V3 = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                     "data": {"a": "3", "note": "ünï \x1b[31m"}}).encode()
SECRET = b"k8s:enc:aescbc:v1:key1:\x8f\x00\xff\x10"


class Kine:
    """Writes rows with the statements' meaning in k8s-dqlite's driver.go."""

    def __init__(self, conn):
        self.cur = conn.cursor()

    def _latest(self, name):
        self.cur.execute("SELECT id, created, deleted, create_revision, value FROM kine "
                         "WHERE name = ? ORDER BY id DESC LIMIT 1", (name,))
        return self.cur.fetchone()

    def create(self, name, value, lease=0) -> int:
        latest = self._latest(name)
        assert latest is None or latest[2] == 1, f"{name} exists"
        self.cur.execute("INSERT INTO kine (name, created, deleted, create_revision, "
                         "prev_revision, lease, value, old_value) VALUES (?, 1, 0, 0, ?, ?, ?, "
                         "NULL)", (name, latest[0] if latest else 0, lease, value))
        return self.cur.lastrowid

    def _replace(self, name, deleted, value) -> int:
        rev, created, was_deleted, create_revision, old = self._latest(name)
        assert not was_deleted
        self.cur.execute("INSERT INTO kine (name, created, deleted, create_revision, "
                         "prev_revision, lease, value, old_value) VALUES (?, 0, ?, ?, ?, 0, ?, ?)",
                         (name, deleted, rev if created else create_revision, rev, value, old))
        return self.cur.lastrowid

    def update(self, name, value) -> int:
        return self._replace(name, 0, value)

    def delete(self, name) -> int:
        return self._replace(name, 1, None)

    def compact(self, start: int, end: int) -> None:
        """kine's compaction of (start, end]: the rows replaced by an update or
        delete in it, its tombstones, then compact_rev_key's prev_revision."""
        self.cur.execute("DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine "
                         "WHERE name <> 'compact_rev_key' AND created = 0 AND prev_revision <> 0 "
                         "AND ? < id AND id <= ?)", (start, end))
        self.cur.execute("DELETE FROM kine WHERE deleted = 1 AND ? < id AND id <= ?",
                         (start, end))
        self.cur.execute("UPDATE kine SET prev_revision = max(prev_revision, ?) "
                         "WHERE name = 'compact_rev_key'", (end,))


@pytest.fixture(scope="module")
def k8s(shared_cluster):
    """(servers, database) of a kine database; revisions in the comments."""
    conn, database = kine_database(shared_cluster.addresses)
    try:
        cur = conn.cursor()
        kine = Kine(conn)
        assert kine.create("compact_rev_key", None) == 1
        assert kine.create("/registry/configmaps/default/app", APP_V1) == 2
        assert kine.update("/registry/configmaps/default/app", APP_V2) == 3
        assert kine.create("/registry/pods/default/web", POD) == 4
        assert kine.create("/registry/pods/default/old", b"{}") == 5
        assert kine.delete("/registry/pods/default/old") == 6
        assert kine.create("/registry/health", b'{"health":"true"}') == 7
        assert kine.create("/registry/secrets/default/s", SECRET, lease=42) == 8
        kine.compact(0, 4)  # removes 2 (replaced by 3)
        assert kine.update("/registry/configmaps/default/app", APP_V3) == 9
        assert kine.create("/registry/pods/default/gone", b"x") == 10
        assert kine.delete("/registry/pods/default/gone") == 11
        # Upstream kine fills a hole in the ids with a gap tombstone.
        cur.execute("INSERT INTO kine VALUES (12, 'gap-12', 0, 1, 0, 0, 0, NULL, NULL)")
        assert kine.create("/registry/pods/default/old", b"plain text") == 13
    finally:
        conn.close()
    return shared_cluster.addresses, database


def kine_cmd(dqlite, k8s, line, *options):
    servers, database = k8s
    return dqlite("-s", ",".join(servers), *options, database, line)


def test_keys_are_the_latest_live_revisions(dqlite, k8s):
    run = kine_cmd(dqlite, k8s, ".kine keys", "--headers")
    assert (run.status, run.err) == (0, ""), run
    assert run.out == (
        "name|revision|create_revision|lease|bytes\n"
        f"/registry/configmaps/default/app|9|2|0|{len(APP_V3)}\n"
        "/registry/health|7|7|0|17\n"
        "/registry/pods/default/old|13|13|0|10\n"
        f"/registry/pods/default/web|4|4|0|{len(POD)}\n"
        f"/registry/secrets/default/s|8|8|42|{len(SECRET)}\n")


def test_keys_under_a_prefix_and_in_json(dqlite, k8s):
    run = kine_cmd(dqlite, k8s, ".kine keys /registry/pods/", "-f", "json")
    assert (run.status, run.err) == (0, ""), run
    assert [(r["name"], r["revision"]) for r in json.loads(run.out)] == [
        ("/registry/pods/default/old", 13), ("/registry/pods/default/web", 4)]
    # An explicit prefix may name kine's own row.
    run = kine_cmd(dqlite, k8s, ".kine keys compact")
    assert (run.status, run.out) == (0, "compact_rev_key|1|1|0|\n"), run
    run = kine_cmd(dqlite, k8s, ".kine keys /nothing/")
    assert (run.status, run.out, run.err) == (0, "", ""), run


def test_get_json_value(dqlite, k8s):
    run = kine_cmd(dqlite, k8s, ".kine get /registry/configmaps/default/app")
    assert (run.status, run.err) == (0, ""), run
    head, body = run.out.split("\n\n", 1)
    assert head.splitlines() == [
        "key: /registry/configmaps/default/app", "revision: 9", "create_revision: 2",
        "lease: 0", f"bytes: {len(APP_V3)}", "encoding: json"]
    assert json.loads(body) == json.loads(APP_V3)
    assert body.startswith('{\n  "apiVersion": "v1",')
    assert "ünï" in body  # kept as text, not \u escapes


def test_get_k8s_protobuf_object(dqlite, k8s):
    run = kine_cmd(dqlite, k8s, ".kine get /registry/pods/default/web")
    assert (run.status, run.err) == (0, ""), run
    assert run.out.splitlines() == [
        "key: /registry/pods/default/web", "revision: 4", "create_revision: 4", "lease: 0",
        f"bytes: {len(POD)}", "encoding: protobuf", "apiVersion: v1", "kind: Pod",
        f"object_bytes: {len(POD_OBJECT)}"]


def test_get_in_json_mode_is_one_object(dqlite, k8s):
    run = kine_cmd(dqlite, k8s, ".kine get /registry/configmaps/default/app", "-f", "json")
    assert (run.status, run.err) == (0, ""), run
    got = json.loads(run.out)
    assert got["value"] == json.loads(APP_V3) and got["encoding"] == "json"
    run = kine_cmd(dqlite, k8s, ".kine get /registry/secrets/default/s", "-f", "jsonl")
    assert json.loads(run.out) == {
        "key": "/registry/secrets/default/s", "revision": 8, "create_revision": 8,
        "lease": 42, "bytes": len(SECRET), "encoding": "encrypted",
        "provider": "aescbc:v1:key1"}
    run = kine_cmd(dqlite, k8s, ".kine get /registry/pods/default/old", "-f", "jsonl")
    assert json.loads(run.out)["value"] == "plain text"


def test_get_missing_and_deleted_keys_are_one_line(dqlite, k8s):
    run = kine_cmd(dqlite, k8s, ".kine get /registry/pods/default/gone")
    assert (run.status, run.out) == (1, ""), run
    assert run.err == ('<command>:1: error: key "/registry/pods/default/gone" was deleted '
                       'at revision 11\n'), run
    run = kine_cmd(dqlite, k8s, ".kine get /no/such")
    assert run.status == 1 and run.err.count("\n") == 1
    assert 'no key "/no/such"' in run.err


def test_stats_summary_and_prefixes(dqlite, k8s):
    run = kine_cmd(dqlite, k8s, ".kine stats", "--headers")
    assert (run.status, run.err) == (0, ""), run
    lines = run.out.splitlines()
    # 12 rows: 1 compact_rev_key, 3 4 9 (app), 5 6 13 (old), 7, 8, 10 11 (gone), 12 (gap).
    assert lines[:2] == ["rows|live_keys|compact_revision|current_revision|schema_version",
                         "12|5|4|13|1.0"]
    assert lines[2:] == [
        "prefix|rows|live_keys|deleted_rows|pending|overdue",
        "/registry/configmaps|2|1|0|1|0",
        "/registry/health|1|1|0|0|0",
        "/registry/pods|6|2|2|4|0",
        "/registry/secrets|1|1|0|0|0",
        "compact_rev_key|1|0|0|0|0",
        "gap-*|1|0|1|1|0"]


def test_stats_overdue_when_the_compact_revision_moved_without_deleting(dqlite, shared_cluster):
    # kine #61: compact_rev_key moved on while the rows stayed.
    conn, database = kine_database(shared_cluster.addresses)
    try:
        kine = Kine(conn)
        kine.create("compact_rev_key", None)
        kine.create("/registry/leases/a", b"1")      # 2, replaced by 3
        kine.update("/registry/leases/a", b"2")      # 3
        kine.create("/registry/leases/b", b"1")      # 4
        kine.delete("/registry/leases/b")            # 5: tombstone
        conn.cursor().execute("UPDATE kine SET prev_revision = 5 WHERE name = 'compact_rev_key'")
    finally:
        conn.close()
    run = dqlite("-s", ",".join(shared_cluster.addresses), database, ".kine stats")
    assert (run.status, run.err) == (0, ""), run
    assert run.out.splitlines() == ["5|1|5|5|1.0", "/registry/leases|4|1|1|3|3",
                                    "compact_rev_key|1|0|0|0|0"]


def test_no_kine_table_is_one_line(dqlite, shared_cluster):
    for line in (".kine keys", ".kine get /x", ".kine stats"):
        run = dqlite("-s", ",".join(shared_cluster.addresses), "db_without_kine", line)
        assert run.status == 1 and run.out == "", run
        assert run.err.count("\n") == 1 and "has no kine table" in run.err, run


def test_usage_errors(dqlite, shared_cluster):
    for line in (".kine", ".kine nope", ".kine get", ".kine stats x", ".kine get a b c"):
        run = dqlite("-s", ",".join(shared_cluster.addresses), "db", line)
        assert run.status != 0 and run.out == "", run
        assert "usage: .kine keys [PREFIX]|get KEY|stats" in run.err, run


def test_helpers_only_read(dqlite, k8s):
    servers, database = k8s
    conn = dbapi.connect(servers, database)
    try:
        before = conn.cursor().execute("SELECT * FROM kine ORDER BY id").fetchall()
        for line in (".kine keys", ".kine get /registry/health", ".kine stats"):
            assert kine_cmd(dqlite, k8s, line).status == 0
        assert conn.cursor().execute("SELECT * FROM kine ORDER BY id").fetchall() == before
    finally:
        conn.close()


# -- decoding, without a server -------------------------------------------------

def test_parse_unknown_reads_the_envelope():
    unknown = parse_unknown(POD[4:])
    assert unknown == {"apiVersion": "v1", "kind": "Pod", "raw": POD_OBJECT}
    assert describe_value(POD)["kind"] == "Pod"
    # Not an envelope: shown as bytes, never an exception.
    assert describe_value(b"k8s\x00\xff\xff")["encoding"] == "binary"
    assert describe_value(b"k8s\x00" + _field(2, b"x"))["encoding"] == "binary"
    assert describe_value(b"")["encoding"] == "text"
    assert describe_value(b"[1, 2]") == {"encoding": "json", "value": [1, 2]}
    assert describe_value(b"{not json") == {"encoding": "text", "value": "{not json"}


def test_protobuf_fields_every_wire_type():
    data = bytes([0x08, 0x96, 0x01,                     # 1: varint 150
                  0x11]) + (7).to_bytes(8, "little") + \
        bytes([0x1D]) + (9).to_bytes(4, "little") + _field(4, b"ab")
    assert list(protobuf_fields(data)) == [(1, 0, 150), (2, 1, 7), (3, 5, 9), (4, 2, b"ab")]
    for bad in (b"\x08", b"\x12\x05ab", b"\x0b", b"\x00\x01", b"\x08" + b"\xff" * 11):
        with pytest.raises(ValueError):
            list(protobuf_fields(bad))


def test_prefix_end():
    assert prefix_end("/registry/pods/") == b"/registry/pods0"
    assert prefix_end("a\U0010ffff") == "a\U0010ffff".encode()[:-1] + b"\xc0"
    assert prefix_end("") is None


def test_repl_completes_the_subcommands():
    from dqlite_shell.shell.completion import ShellCompleter
    from tests.shell.test_completion import offers

    class NoSchema:
        tables = columns = addresses = ()

    comp = ShellCompleter(NoSchema(), ["table"])
    assert set(offers(comp, ".kine ")) == {".kine keys", ".kine get", ".kine stats"}
    assert set(offers(comp, ".kine s")) == {".kine stats"}


def test_get_a_value_stored_as_text_or_number(dqlite, shared_cluster):
    # kine binds []byte (BLOB); a row written by hand may hold TEXT or a number.
    conn, database = kine_database(shared_cluster.addresses)
    try:
        conn.cursor().execute("INSERT INTO kine VALUES (1, '/t', 1, 0, 0, 0, 0, '{\"a\": 1}', "
                              "NULL), (2, '/n', 1, 0, 0, 0, 0, 7, NULL)")
    finally:
        conn.close()
    servers = ",".join(shared_cluster.addresses)
    run = dqlite("-s", servers, "-f", "jsonl", database, ".kine get /t")
    assert (run.status, run.err) == (0, ""), run
    assert json.loads(run.out)["value"] == {"a": 1}
    run = dqlite("-s", servers, database, ".kine get /n")
    assert (run.status, run.err) == (0, ""), run
    assert run.out.endswith("encoding: text\n\n7\n"), run


def test_kine_through_the_microk8s_profile_on_a_tls_cluster(products):  # noqa: F811
    """The operator's way in: the profile finds the store, certificate, key
    and database k8s; it is read-only, and .kine only reads."""
    from dqlite_shell.shell import profiles
    from tests.shell.conftest import run_dqlite
    product = products["microk8s"]
    conn, _ = kine_database(product.cluster.addresses, "k8s", cert=product.cert,
                            key=product.key)  # the profile's database (a fresh cluster)
    try:
        kine = Kine(conn)
        kine.create("compact_rev_key", None)
        kine.create("/registry/pods/default/web", POD)
    finally:
        conn.close()
    env = {profiles.ROOT_VARIABLE: product.root}
    run = run_dqlite("--profile", "microk8s", "-c", ".kine keys", env=env)
    assert (run.status, run.err) == (0, ""), run
    assert re.fullmatch(rf"/registry/pods/default/web\|(\d+)\|\1\|0\|{len(POD)}\n", run.out), run
    run = run_dqlite("--profile", "microk8s", "-c", ".kine get /registry/pods/default/web",
                     env=env)
    assert run.status == 0 and "Pod" in run.out and "v1" in run.out, run
