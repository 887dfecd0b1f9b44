""".status, dqlite --ready and .collect on real clusters: a member down, a quorum
lost, TLS certificates, and a bundle that holds no table data and no keys."""

import io
import json
import os
import ssl
import stat
import subprocess
import tarfile
import time
import uuid
from datetime import UTC, datetime

import pytest

from dqlite_shell.client.health import survey
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.health import COLUMNS
from dqlite_shell.shell.state import Settings, ShellState
from tests.shell.conftest import run_command
from tests.support.certs import Cert, certs  # noqa: F401 - the fixture
from tests.support.processes import freeze


def _rows(state) -> list[dict]:
    state.settings.mode = "json"
    return json.loads(run_command(state, ".status"))


def _state(servers, timeout=10.0, ssl_context=None) -> ShellState:
    return ShellState(list(servers), "db", timeout=timeout, ssl_context=ssl_context,
                      settings=Settings(), out=io.StringIO(), err=io.StringIO())


def _leader(addresses) -> str:
    found = survey(addresses, 5)
    assert found.leader, found
    return found.leader


# -- .status ---------------------------------------------------------------------------


def test_status_one_row_per_member_in_every_format(shared_cluster, shell):
    addresses = shared_cluster.addresses
    state = shell(addresses[1:2])  # one follower given: the others come from the leader
    rows = _rows(state)
    assert sorted(r["address"] for r in rows) == sorted(addresses)
    assert list(rows[0]) == COLUMNS
    leader = _leader(addresses)
    for row in rows:
        assert (row["role"], row["reachable"], row["leader"], row["agrees"]) == (
            "voter", "yes", leader, "yes"), row
        assert row["rtt_ms"] > 0 and row["weight"] == 0 and row["failure_domain"] == 0
        assert row["note"] is None and row["cert_subject"] is None
        assert int(row["id"], 16) > 0
    # The leader is probed fully; a follower answers the DUMP probe only.
    ranges = {r["address"]: r["server"] for r in rows}
    assert all(ranges.values())
    follower = next(a for a in addresses if a != leader)
    assert ranges[follower] in ("1.11 to 1.18.2", "1.18.3 or later")
    for mode, count in (("list", 3), ("csv", 3), ("jsonl", 3), ("line", 3)):
        state.settings.mode, state.settings.headers = mode, False
        out = run_command(state, ".status")
        lines = [line for line in out.splitlines() if line.lstrip().startswith("address =")] \
            if mode == "line" else out.splitlines()
        assert len(lines) == count, (mode, out)
    state.settings.mode = "table"
    out = run_command(state, ".status")
    assert all(a in out for a in addresses) and "rtt_ms" in out
    assert state.err.getvalue() == ""  # nothing to warn about


def test_status_takes_no_argument(shared_cluster, shell):
    state = shell(shared_cluster.addresses)
    with pytest.raises(registry.UsageError, match=r"usage: \.status"):
        run_command(state, ".status now")


def test_frozen_member_costs_one_timeout(process_cluster):
    """A frozen node accepts the connection and answers nothing: all its
    questions together wait one timeout, and its row says so."""
    addresses = process_cluster.addresses
    leader = _leader(addresses)
    frozen = next(i for i, a in enumerate(addresses) if a != leader)
    freeze(process_cluster.pid(frozen))
    timeout = 3.0  # the other members must answer within it on a busy CI machine
    state = _state(addresses, timeout=timeout)
    try:
        started = time.monotonic()
        rows = {r["address"]: r for r in _rows(state)}
        elapsed = time.monotonic() - started
    finally:
        state.close()
    assert timeout * 0.9 <= elapsed < 2 * timeout + 2, elapsed
    row = rows[addresses[frozen]]
    assert (row["reachable"], row["role"], row["rtt_ms"], row["agrees"]) == (
        "no", "voter", None, None), row
    assert row["note"], row
    assert [r["reachable"] for a, r in rows.items() if a != addresses[frozen]] == ["yes"] * 2


def test_stopped_member_and_lost_quorum(cluster_factory, dqlite):
    cluster = cluster_factory(3)
    addresses = cluster.addresses
    servers = ",".join(addresses)
    assert dqlite("-s", servers, "--ready").status == 0
    leader = _leader(addresses)
    followers = [i for i, a in enumerate(addresses) if a != leader]
    cluster.stop(followers[0])
    down = addresses[followers[0]]
    state = _state(addresses, timeout=2)
    try:
        rows = {r["address"]: r for r in _rows(state)}
        assert (rows[down]["reachable"], rows[down]["role"]) == ("no", "voter")
        assert "refused" in rows[down]["note"], rows[down]
        run = dqlite("-s", servers, "--ready", "-v", "--timeout", "2s")
        assert run.status == 0, run
        assert run.err == f"ready: leader {leader}, 2 of 3 voters reachable\n"
        assert len(run.out.splitlines()) == 3
        # The leader stops too: the last node alone has no leader.
        cluster.stop(addresses.index(leader))
        alive = addresses[followers[1]]
        rows = _rows(state)
        assert [r["address"] for r in rows] == addresses  # the servers given
        by = {r["address"]: r for r in rows}
        assert by[alive]["reachable"] == "yes" and by[alive]["role"] is None
        assert [by[a]["reachable"] for a in addresses if a != alive] == ["no", "no"]
        assert "no leader answered" in state.err.getvalue()
        started = time.monotonic()
        run = dqlite("-s", servers, "--ready", "--timeout", "2s")
        assert (run.status, run.out, run.err) == (1, "", ""), run
        assert time.monotonic() - started < 2 + 5  # the timeout, and python's start
        run = dqlite("-s", servers, "--ready", "-v", "--timeout", "2s")
        assert run.status == 1 and run.err.startswith("not ready: "), run
    finally:
        state.close()


def test_ready_usage_errors(dqlite, free_address):
    for args, message in ((["--ready"], "--ready needs servers"),
                          (["-s", free_address, "--ready", "-c", "SELECT 1"], "runs no command"),
                          (["-s", free_address, "-v", "-c", "SELECT 1"], "goes with --ready")):
        run = dqlite(*args)
        assert run.status == 2 and message in run.err and run.out == "", (args, run)
    run = dqlite("-s", free_address, "--ready", "--timeout", "1s")  # nothing listens
    assert (run.status, run.out, run.err) == (1, "", "")


# -- TLS ---------------------------------------------------------------------------------


def _tls_status(cert):
    from dqlite_shell.app.local import LocalCluster
    with LocalCluster(1, tls=cert.tuple()) as cluster:
        state = _state(cluster.addresses, ssl_context=cluster.client_context())
        try:
            rows = _rows(state)
            return rows, state.err.getvalue()
        finally:
            state.close()


def test_tls_certificate_subject_expiry_and_warning(certs, tmp_path):  # noqa: F811
    (row,), err = _tls_status(certs.cluster)  # valid 30 days: under the warning's bound
    assert row["reachable"] == "yes" and row["cert_subject"] == "CN=dqlite"
    end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", certs.cluster.cert],
                         capture_output=True, text=True, check=True).stdout  # notAfter=...
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(end.strip().split("=", 1)[1]),
                                     UTC)
    assert row["cert_expires"] == expires.strftime("%Y-%m-%d")
    assert "expires in 29 days" in row["note"] and "expires in 29 days" in err
    long_lived = _long_cert(str(tmp_path))
    (row,), err = _tls_status(long_lived)
    assert row["cert_subject"] == "CN=long-lived" and row["note"] is None and err == ""


def _long_cert(directory):
    cert, key = os.path.join(directory, "long.crt"), os.path.join(directory, "long.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-sha256", "-days", "400", "-nodes", "-keyout", key, "-out", cert, "-subj",
         "/CN=long-lived", "-addext", "subjectAltName=DNS:dqlite,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return Cert(cert, key)


# -- .collect ------------------------------------------------------------------------------


def _bundle(path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        members = tar.getmembers()
        assert all(m.mode == 0o600 and m.isfile() for m in members)
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in members}


FILES = {"MANIFEST", "status.txt", "status.json", "describe.txt", "describe.json",
         "cluster.yaml", "servers.txt", "cluster.txt", "cluster.json", "schema.sql",
         "version.txt", "version.json"}


def test_collect_holds_no_data_nor_keys(certs, tmp_path):  # noqa: F811
    from dqlite_shell.app.local import LocalCluster
    marker = f"marker-{uuid.uuid4().hex}"
    table = f"t_{uuid.uuid4().hex[:8]}"
    with LocalCluster(3, tls=certs.cluster.tuple(), network_latency_ms=40) as cluster:
        state = _state(cluster.addresses, ssl_context=cluster.client_context())
        try:
            state.session.execute(f"CREATE TABLE {table} (secret TEXT)")
            state.session.execute("INSERT INTO " + table + " VALUES (?)", (marker,))
            target = str(tmp_path / "bundle.tar.gz")
            out = run_command(state, f".collect {target}")
            assert out == f"{target}: {len(FILES)} files, 0 members unreachable\n"
            assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
            with pytest.raises(registry.CommandError, match="exists; add --force"):
                run_command(state, f".collect {target}")
            run_command(state, f".collect {target} --force")
        finally:
            state.close()
        files = _bundle(target)
        assert set(files) == FILES
        with open(certs.cluster.key, "rb") as f:
            key_body = f.read().splitlines()[1]  # a line of the key's base64
        for name, data in files.items():
            assert marker.encode() not in data, name
            assert b"PRIVATE KEY" not in data and key_body not in data, name
        assert f"CREATE TABLE {table} (secret TEXT);".encode() in files["schema.sql"]
        manifest = files["MANIFEST"].decode()
        assert "no TLS keys and no table data" in manifest
        assert "unreachable members:\n  none" in manifest
        status = json.loads(files["status.json"])
        assert sorted(r["address"] for r in status) == sorted(cluster.addresses)
        assert all(r["cert_subject"] == "CN=dqlite" for r in status)
        cluster_json = json.loads(files["cluster.json"])
        assert sorted(n["Address"] for n in cluster_json) == sorted(cluster.addresses)
        assert len(files["describe.txt"].splitlines()) == 3


def test_collect_names_an_unreachable_member(cluster_factory, tmp_path):
    cluster = cluster_factory(3)
    addresses = cluster.addresses
    leader = _leader(addresses)
    down = next(a for a in addresses if a != leader)
    cluster.stop(addresses.index(down))
    state = _state(addresses, timeout=2)
    target = str(tmp_path / "b.tar.gz")
    try:
        assert run_command(state, f".collect {target}").endswith("1 members unreachable\n")
    finally:
        state.close()
    files = _bundle(target)
    manifest = files["MANIFEST"].decode()
    assert f"unreachable members:\n  {down}: " in manifest
    assert f"{down}|" not in files["describe.txt"].decode()
    status = {r["address"]: r for r in json.loads(files["status.json"])}
    assert status[down]["reachable"] == "no"


def test_collect_usage(shared_cluster, shell, tmp_path):
    state = shell(shared_cluster.addresses)
    with pytest.raises(registry.UsageError, match=r"usage: \.collect"):
        run_command(state, f".collect {tmp_path}/a.tar.gz {tmp_path}/b.tar.gz")
    with pytest.raises(registry.CommandError, match="cannot write"):
        run_command(state, f".collect {tmp_path}/no/such/dir.tar.gz")
