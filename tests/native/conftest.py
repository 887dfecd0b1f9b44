"""Fixtures to run a test on each dqlite server of the matrix (see servers.py).

A test that takes ``dqlite_server`` runs once per server ("1.11", "1.17",
"1.18"); ``@pytest.mark.servers("1.17", "1.18")`` narrows the list.
``server_nodes(server)`` starts ``dqlite-node`` child processes that load
``server``'s library.
"""

from __future__ import annotations

import pytest

from tests.native.servers import SERVERS, Server, environment, require
from tests.support.processes import NodeProcess


def pytest_configure(config):
    config.addinivalue_line("markers", "servers(*names): the servers a dqlite_server test runs on")


def pytest_generate_tests(metafunc):
    if "dqlite_server" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("servers")
        names = marker.args if marker else tuple(SERVERS)
        metafunc.parametrize("dqlite_server", [SERVERS[n] for n in names], ids=list(names),
                             indirect=True)


@pytest.fixture
def dqlite_server(request) -> Server:
    """The server this run of the test is for (skips when it is not built)."""
    return require(request.param)


@pytest.fixture
def server_nodes(process_factory):
    """``server_nodes(server, extra_args=(), address=None, data_dir=None)``:
    a started ``dqlite-node`` child process that loads ``server``'s library.
    All are killed at teardown, whatever their state (an abort of one fails
    only the test that caused it)."""

    def make(server: Server, extra_args=(), address: str | None = None,
             data_dir=None) -> NodeProcess:
        require(server)
        return process_factory(address, data_dir, extra_args, env=environment(server))

    return make
