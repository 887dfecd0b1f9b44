"""Fixtures of the driver tests: connections to real nodes, one database per test.

Each test gets a database of its own on the shared 3-node cluster (``db``:
its name, made from the test's name), so tables and ``PRAGMA user_version``
never collide with other tests, and a ``connect`` factory whose connections
are closed at teardown.
"""

from __future__ import annotations

import itertools
import re
import subprocess

import pytest

from dqlite_shell import dbapi

_counter = itertools.count()


@pytest.fixture
def db(request) -> str:
    """A database name no other test uses."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:48]
    return f"dbapi_{name}_{next(_counter)}"


@pytest.fixture
def servers(shared_cluster) -> list[str]:
    return list(shared_cluster.addresses)


@pytest.fixture
def connect(servers, db):
    """``connect(**kwargs)`` -> a Connection to the shared cluster, database ``db``."""
    made = []

    def make(**kwargs) -> dbapi.Connection:
        kwargs.setdefault("timeout", 10.0)
        conn = dbapi.connect(kwargs.pop("servers", servers), kwargs.pop("database", db), **kwargs)
        made.append(conn)
        return conn

    yield make
    for conn in made:
        conn.close()


@pytest.fixture
def conn(connect) -> dbapi.Connection:
    """A connection in autocommit mode (every statement takes effect at once)."""
    return connect(autocommit=True)


@pytest.fixture
def other(connect) -> dbapi.Connection:
    """A second, independent connection to the same database (an observer)."""
    return connect(autocommit=True)


def rows(conn: dbapi.Connection, sql: str, parameters=()) -> list[tuple]:
    return conn.execute(sql, parameters).fetchall()


def scalar(conn: dbapi.Connection, sql: str, parameters=()):
    row = conn.execute(sql, parameters).fetchone()
    assert row is not None and len(row) == 1, row
    return row[0]


def go_query(go_shell: str, address: str, database: str, sql: str) -> list[str]:
    """Run ``sql`` with Debian's Go shell; its output lines (``a|b``, ``<nil>``)."""
    done = subprocess.run([go_shell, "-s", address, database, sql], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def not_leader(servers: list[str], conn: dbapi.Connection) -> str:
    """A cluster member other than the one ``conn`` talks to."""
    others = [a for a in servers if a != conn.leader]
    assert others, (servers, conn.leader)
    return others[0]
