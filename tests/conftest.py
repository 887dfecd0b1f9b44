"""Fixtures that start real dqlite nodes, and Debian's go-dqlite tools as oracles.

In CI (CI=true) nothing that needs libdqlite or go-dqlite may skip: the session
fails at start when they are missing, so a missing install step cannot hide.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.native.servers import CURRENT

# The server of this run (DQLITE_SHELL_SERVER): this process and every child
# load its library. Set before anything loads libdqlite.
if CURRENT.prefix is not None:
    os.environ["DQLITE_SHELL_LIBDQLITE"] = CURRENT.library

from dqlite_shell.native import Node, available, release_port, reserve_address  # noqa: E402
from dqlite_shell.native.ports import wait_for_listener  # noqa: E402
from tests.support.processes import NodeProcess  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: Fixtures of Debian's Go tools: their tests run in the 1.11 run only.
GO_FIXTURES = frozenset({"go_shell", "go_demo_factory"})

#: Debian's Go shell and demo. Our own console script is also called `dqlite`,
#: so the Go one is looked up in /usr/bin only.
GO_SHELL = os.environ.get("DQLITE_SHELL_GO_SHELL", "/usr/bin/dqlite")
GO_DEMO = os.environ.get("DQLITE_SHELL_GO_DEMO", "/usr/bin/dqlite-demo")


def _go_tools_present() -> bool:
    return os.access(GO_SHELL, os.X_OK) and os.access(GO_DEMO, os.X_OK)


def pytest_configure(config):
    config.addinivalue_line("markers", "on_servers(*names): run only in the runs of these "
                            "servers (behaviour that exists on them alone)")


def pytest_report_header(config):
    return f"dqlite server: {CURRENT.release} ({CURRENT.library})"


def pytest_collection_modifyitems(config, items):
    """Runs on other servers than 1.11 leave out what does not depend on the
    server: the Go oracle tests (Debian's go-dqlite is built for 1.11) and the
    matrix tests, which pick their servers themselves. ``on_servers`` tests
    run only in their servers' runs."""
    kept, left = [], []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        only = item.get_closest_marker("on_servers")
        if only is not None:
            other = CURRENT.name not in only.args
        elif CURRENT.name == "1.11":
            other = False
        else:
            other = (names & GO_FIXTURES or item.get_closest_marker("go")
                     or "dqlite_server" in names or "tests/native/test_servers.py" in item.nodeid)
        (left if other else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_sessionstart(session):
    if CURRENT.prefix is not None and not CURRENT.present:
        raise pytest.UsageError(f"dqlite {CURRENT.release} is not built at {CURRENT.library} "
                                "(make servers)")
    if IN_CI:
        missing = []
        if not available():
            missing.append("libdqlite (apt-get install libdqlite0)")
        if not _go_tools_present():
            missing.append(f"go-dqlite tools {GO_SHELL}, {GO_DEMO} (apt-get install go-dqlite)")
        # The demo walk-through, test certificates, sqlite3 as the output
        # oracle, setpriv to read product files as a user who is not root.
        for tool, package in (("curl", "curl"), ("openssl", "openssl"),
                              ("sqlite3", "sqlite3"), ("setpriv", "util-linux")):
            if shutil.which(tool) is None:
                missing.append(f"{tool} (apt-get install {package})")
        if missing:
            raise pytest.UsageError("CI must run every test, but these are missing: "
                                    + "; ".join(missing))


def _require(condition: bool, what: str) -> None:
    # Outside CI a developer without the packages may skip; in CI
    # pytest_sessionstart has already failed the run.
    if not condition:
        pytest.skip(f"{what} is not installed")


@pytest.fixture
def free_address():
    """A reserved loopback ``127.0.0.1:PORT``, released after the test."""
    address = reserve_address()
    yield address
    release_port(int(address.rsplit(":", 1)[1]))


@pytest.fixture
def node_factory(tmp_path):
    """Start in-process nodes: ``node_factory()`` -> a running :class:`Node`.

    Each gets its own reserved port and data dir; all are closed at teardown.
    """
    _require(available(), "libdqlite")
    nodes, ports = [], []

    def make(address: str | None = None, **kwargs) -> Node:
        if address is None:
            address = reserve_address()
            ports.append(int(address.rsplit(":", 1)[1]))
        data_dir = tmp_path / f"node{len(nodes)}"
        data_dir.mkdir(exist_ok=True)
        node = Node(address, data_dir, **kwargs)
        nodes.append(node)
        node.start()
        return node

    yield make
    for node in nodes:
        node.close()
    for port in ports:
        release_port(port)


@pytest.fixture
def node(node_factory) -> Node:
    """One running in-process node that bootstrapped its own cluster."""
    return node_factory()


@pytest.fixture
def process_factory(tmp_path):
    """Start ``dqlite-node`` child processes: ``process_factory()`` -> NodeProcess
    (``env``: the child's whole environment, e.g. another libdqlite)."""
    _require(available(), "libdqlite")
    procs, ports = [], []

    def make(address: str | None = None, data_dir=None, extra_args=(),
             env: dict | None = None) -> NodeProcess:
        if address is None:
            address = reserve_address()
            ports.append(int(address.rsplit(":", 1)[1]))
        if data_dir is None:
            data_dir = tmp_path / f"proc{len(procs)}"
        proc = NodeProcess(address, str(data_dir), extra_args, env)
        procs.append(proc)
        return proc.start()

    yield make
    for proc in procs:
        proc.close()
    for port in ports:
        release_port(port)


@pytest.fixture
def node_process(process_factory) -> NodeProcess:
    """One ``dqlite-node`` child process."""
    return process_factory()


@pytest.fixture(scope="session")
def go_shell() -> str:
    """Path of Debian's Go ``dqlite`` shell (the oracle)."""
    _require(_go_tools_present(), "go-dqlite")
    return GO_SHELL


@pytest.fixture
def go_demo_factory(tmp_path):
    """Start Debian's Go ``dqlite-demo`` nodes: ``go_demo_factory(join=[...])``.

    Returns ``(process, api_address, db_address)``; all are killed at teardown.
    """
    _require(_go_tools_present(), "go-dqlite")
    started, ports = [], []

    def make(join: list[str] = ()):
        api, db = reserve_address(), reserve_address()
        ports.extend(int(a.rsplit(":", 1)[1]) for a in (api, db))
        data_dir = tmp_path / f"demo{len(started)}"
        data_dir.mkdir()
        args = [GO_DEMO, "--api", api, "--db", db, "--dir", str(data_dir)]
        for address in join:
            args += ["--join", address]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(proc)
        wait_for_listener(api)
        return proc, api, db

    yield make
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()
    for port in ports:
        release_port(port)


#: Raft timeouts for test clusters: elections after 15 x this many ms.
TEST_LATENCY_MS = 40


@pytest.fixture(scope="session")
def shared_cluster():
    """A 3-node in-process cluster shared by tests that only read it (or write
    to tables of their own). Do not stop, kill or reconfigure its nodes."""
    _require(available(), "libdqlite")
    from dqlite_shell.app.local import LocalCluster
    with LocalCluster(3, network_latency_ms=TEST_LATENCY_MS) as cluster:
        yield cluster


@pytest.fixture
def cluster_factory(tmp_path):
    """Make clusters a test may break: ``cluster_factory(3, processes=True)``."""
    _require(available(), "libdqlite")
    from dqlite_shell.app.local import LocalCluster
    made = []

    def make(size: int = 3, processes: bool = False):
        cluster = LocalCluster(size, str(tmp_path / f"cluster{len(made)}"), processes=processes,
                               network_latency_ms=TEST_LATENCY_MS)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.close()


@pytest.fixture
def process_cluster(cluster_factory):
    """Three ``dqlite-node`` processes a test may SIGSTOP or kill (a stopped
    one is woken at the end: it cannot take the SIGTERM that closes it)."""
    import signal
    cluster = cluster_factory(3, processes=True)
    yield cluster
    for index in range(3):
        if cluster.running(index):
            os.kill(cluster.pid(index), signal.SIGCONT)
