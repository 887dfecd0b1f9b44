"""The command lines the products' runbooks publish for go-dqlite's shell, run
unchanged (their exact flags, paths under a temporary root) against TLS
clusters laid out as each product lays them out; Debian's Go shell (1.11.5)
is the oracle wherever it can run the same line."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.conftest import TEST_LATENCY_MS, _require
from tests.support.products import make_product, products  # noqa: F401 - the fixture


def _go(go_shell, *args, stdin=None, cwd=None):
    result = subprocess.run([go_shell, *[str(a) for a in args]], capture_output=True, text=True,
                            timeout=60, input=stdin, cwd=cwd)
    return result.returncode, result.stdout, result.stderr


def _store_args(product):
    """The runbook's -s/-c/-k, with its paths under the product's root."""
    return ["-s", f"file://{product.store}", "-c", product.cert, "-k", product.key]


def test_microk8s_cluster_as_json(dqlite, go_shell, products):  # noqa: F811
    line = [*_store_args(products["microk8s"]), "-f", "json", "k8s", ".cluster"]
    ours = dqlite(*line)
    assert ours.status == 0, ours
    status, out, err = _go(go_shell, *line)
    assert status == 0, err
    assert ours.out == out
    assert '"Address": "127.0.0.1:' in ours.out


@pytest.mark.parametrize("command", [".leader", ".cluster", ".describe {address}"])
@pytest.mark.parametrize("fmt", ["tabular", "json"])
def test_microk8s_dot_commands_byte_identical(dqlite, go_shell, products,  # noqa: F811
                                              command, fmt):
    product = products["microk8s"]
    command = command.format(address=product.cluster.addresses[0])
    line = [*_store_args(product), "-f", fmt, "k8s", command]
    ours = dqlite(*line)
    status, out, err = _go(go_shell, *line)
    assert (ours.status, status) == (0, 0), (ours, err)
    assert ours.out == out


def test_microk8s_remove(dqlite, go_shell, tmp_path):
    from dqlite_shell.native import available
    _require(available(), "libdqlite")
    product = make_product("microk8s", str(tmp_path), size=2, latency_ms=TEST_LATENCY_MS)
    try:
        gone = product.cluster.addresses[1]
        line = [*_store_args(product), "-f", "json", "k8s"]
        ours = dqlite(*line, f".remove {gone}")
        assert (ours.status, ours.out, ours.err) == (0, "", ""), ours
        status, out, err = _go(go_shell, *line, ".cluster")
        assert status == 0, err
        assert gone not in out and product.cluster.addresses[0] in out
        assert dqlite(*line, ".cluster").out == out
    finally:
        product.cluster.close()


def test_k8s_snap_line_reads_a_script_on_stdin(dqlite, go_shell, products):  # noqa: F811
    line = _store_args(products["k8s"]) + ["k8s"]
    script = ("CREATE TABLE IF NOT EXISTS kine (id INTEGER PRIMARY KEY AUTOINCREMENT, "
              "name TEXT NOT NULL, created INTEGER, deleted INTEGER, create_revision INTEGER "
              "NOT NULL, prev_revision INTEGER, lease INTEGER, value BLOB, old_value BLOB);\n"
              "INSERT INTO kine (name, created, deleted, create_revision, prev_revision, lease, "
              "value) VALUES ('/registry/a', 1, 0, 1, 0, 0, 'x');\n"
              "SELECT name FROM kine WHERE name = '/registry/a';\n.leader\n")
    ours = dqlite(*line, stdin=script)
    assert ours.status == 0, ours
    address = products["k8s"].cluster.addresses[0]
    assert ours.out == f"/registry/a\n{address}\n"
    status, out, err = _go(go_shell, *line, "SELECT count(*) FROM kine")
    assert (status, out) == (0, "1\n"), err


def test_juju_line_with_the_certificate_extracted_from_agent_conf(dqlite, go_shell,
                                                                   products,  # noqa: F811
                                                                   tmp_path):
    product = products["juju"]
    # The runbook: the controllercert/controllerkey blocks of agent.conf
    # into ./dqlite.cert and ./dqlite.key, then the Go shell's line.
    import yaml
    with open(os.path.join(product.root, "var/lib/juju/agents/machine-0/agent.conf")) as f:
        conf = yaml.safe_load(f)
    (tmp_path / "dqlite.cert").write_text(conf["controllercert"])
    (tmp_path / "dqlite.key").write_text(conf["controllerkey"])
    store = f"file://{product.store}"
    setup = dqlite("-s", store, "--cert", product.cert, "--key", product.key, "controller",
                   "CREATE TABLE IF NOT EXISTS model (uuid TEXT PRIMARY KEY, name TEXT); "
                   "INSERT OR REPLACE INTO model VALUES ('0d1e', 'controller'), ('7f3a', 'prod')")
    assert setup.status == 0, setup
    line = ["-s", store, "-c", "./dqlite.cert", "-k", "./dqlite.key", "controller",
            "SELECT uuid, name FROM model"]
    ours = dqlite(*line, cwd=tmp_path)
    status, out, err = _go(go_shell, *line, cwd=tmp_path)
    assert (ours.status, status) == (0, 0), (ours, err)
    assert ours.out == out == "0d1e|controller\n7f3a|prod\n"


def test_positional_command_splits_as_sqlite_does(dqlite, go_shell, products):  # noqa: F811
    line = [*_store_args(products["k8s"]), "k8s"]
    ours = dqlite(*line, "SELECT 'a;b'; SELECT 2")
    assert (ours.status, ours.out) == (0, "a;b\n2\n"), ours
    # Go splits inside the string literal: a syntax error.
    status, _out, _err = _go(go_shell, *line, "SELECT 'a;b'; SELECT 2")
    assert status != 0


def test_go_timeout_in_milliseconds_does_not_wait_2000_seconds(dqlite, tmp_path):
    from dqlite_shell.native import release_port, reserve_address
    address = reserve_address()  # nothing listens there
    try:
        started = time.monotonic()
        run = dqlite("-s", address, "--timeout", "2000", "db", ".leader", timeout=60)
        took = time.monotonic() - started
    finally:
        release_port(int(address.rsplit(":", 1)[1]))
    assert run.status == 2 and "no leader" in run.err, run
    assert took < 15, took


def test_c_cert_without_k_says_the_key_is_missing(dqlite, products):  # noqa: F811
    product = products["microk8s"]
    run = dqlite("-s", f"file://{product.store}", "-c", product.cert, "k8s")
    assert run.status == 2
    assert run.err == (f"dqlite: error: -c {product.cert} is a certificate but its key is "
                       "missing: add -k KEY (go-dqlite's -c CERT -k KEY)\n")


def test_with_k_several_c_are_refused(dqlite, products):  # noqa: F811
    product = products["microk8s"]
    run = dqlite(*_store_args(product), "-c", "SELECT 1", "k8s")
    assert run.status == 2 and run.err.count("\n") == 1
    assert "with -k KEY, -c is the TLS certificate" in run.err


def test_with_k_a_c_that_is_no_file_is_named(dqlite, products):  # noqa: F811
    product = products["microk8s"]
    run = dqlite("-s", f"file://{product.store}", "-k", product.key, "-c", "SELECT 1", "k8s")
    assert run.status == 2 and run.err.count("\n") == 1, run
    assert "SELECT 1" in run.err and "certificate" in run.err


def test_long_options_and_sql_c_still_work_over_tls(dqlite, products):  # noqa: F811
    product = products["microk8s"]
    run = dqlite("-s", f"file://{product.store}", "--cert", product.cert, "--key", product.key,
                 "-c", "SELECT 1", "-c", "SELECT 2", "k8s")
    assert (run.status, run.out) == (0, "1\n2\n"), run


def _signed(folder, ca_name, name, dns):
    """A certificate for ``dns`` signed by the certificate ``ca_name`` (a CA)."""
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True,  # noqa: E731
                                    timeout=60, cwd=folder)
    run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={dns}")
    with open(os.path.join(folder, f"{name}.ext"), "w") as f:
        f.write(f"subjectAltName=DNS:{dns}\n")
    run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca_name}.crt", "-CAkey", f"{ca_name}.key",
        "-CAcreateserial", "-days", "30", "-extfile", f"{name}.ext", "-out", f"{name}.crt")
    return os.path.join(folder, f"{name}.crt"), os.path.join(folder, f"{name}.key")


@pytest.mark.parametrize("node_dns,verifies", [("dqlite", True), ("elsewhere", False)])
def test_server_name_is_the_certificates_first_dns_name(dqlite, go_shell, tmp_path, node_dns,
                                                        verifies):
    """The client's certificate is a CA here, so a node certificate it signed
    verifies by chain: only the name (go's ServerName) tells them apart."""
    from dqlite_shell.app.local import LocalCluster
    from dqlite_shell.native import available
    from tests.support.certs import make_cert
    _require(available(), "libdqlite")
    folder = str(tmp_path)
    client = make_cert(folder, "client")  # self-signed, first DNS name "dqlite"
    node_cert, node_key = _signed(folder, "client", "node", node_dns)
    with LocalCluster(1, str(tmp_path / "nodes"), tls=(node_cert, node_key, client.cert),
                      network_latency_ms=TEST_LATENCY_MS) as cluster:
        line = ["-s", cluster.addresses[0], "-c", client.cert, "-k", client.key, "db", ".leader"]
        ours = dqlite(*line, timeout=60)
        try:  # go 1.11.5 retries a failed handshake for ever: 5 s say it failed
            go = subprocess.run([go_shell, *line], capture_output=True, text=True, timeout=5)
            status, out = go.returncode, go.stdout
        except subprocess.TimeoutExpired:
            status, out = None, ""
    if verifies:
        assert (ours.status, ours.out) == (0, f"{cluster.addresses[0]}\n"), ours
        assert (status, out) == (0, ours.out)
    else:
        assert ours.status == 2 and "not valid for 'dqlite'" in ours.err, ours
        assert ours.err.count("\n") == 1
        assert status != 0 and out == ""


def test_files_only_root_reads_say_sudo(products, tmp_path):  # noqa: F811
    """The runbook line without sudo, on files laid out as MicroK8s leaves them."""
    import shutil
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (to make a file that only root reads) and setpriv")
    from tests.shell.conftest import DQLITE
    product = products["microk8s"]
    root = tmp_path / "root"
    shutil.copytree(product.root, root, ignore=shutil.ignore_patterns("nodes"))
    backend = root / "var/snap/microk8s/current/var/kubernetes/backend"
    for path in [root, *root.parents]:
        if str(path).startswith("/tmp/"):
            os.chmod(path, 0o755)
    os.chmod(backend, 0o750)  # chmod -R o-rwX, as microk8s does
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env.update({"XDG_CONFIG_HOME": str(tmp_path / "none"), "HOME": str(tmp_path)})
    line = ["-s", f"file://{backend}/cluster.yaml", "-c", f"{backend}/cluster.crt",
            "-k", f"{backend}/cluster.key", "-f", "json", "k8s", ".cluster"]

    def as_nobody():
        return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               *DQLITE, *line], capture_output=True, text=True, timeout=60,
                              env=env, input="")

    result = as_nobody()
    assert (result.returncode, result.stderr) == (2, (
        f"dqlite: error: with -k KEY, -c is the TLS certificate (go-dqlite's -c CERT -k KEY): "
        f"cannot read '{backend}/cluster.crt': permission denied (run with sudo?)\n"))
    os.chmod(backend, 0o755)
    os.chmod(backend / "cluster.key", 0o644)
    os.chmod(backend / "cluster.yaml", 0o600)
    result = as_nobody()
    assert (result.returncode, result.stderr) == (
        2, f"dqlite: error: {backend}/cluster.yaml: permission denied (run with sudo?)\n")
    os.chmod(backend / "cluster.yaml", 0o644)
    os.chmod(backend / "cluster.key", 0o600)
    result = as_nobody()
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"{backend}/cluster.key" in result.stderr
    assert result.stderr.endswith("permission denied (run with sudo?)\n"), result.stderr
