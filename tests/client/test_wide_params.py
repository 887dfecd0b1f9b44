"""Statements with more than 255 parameters: schema 1 (a 4-byte count) on
servers that read it (1.12+), one clear error before sending on 1.11."""

import pytest

from dqlite_shell.client.capabilities import MIDDLE
from dqlite_shell.client.errors import ClientError
from dqlite_shell.client.session import Session
from tests.native.servers import CURRENT

N = 300
SELECT = "SELECT " + ", ".join("?" for _ in range(N))


@pytest.fixture
def session(node):
    session = Session([node.address], "db")
    yield session
    session.close()


def test_a_read_and_a_write_with_300_parameters(session):
    values = list(range(N))
    session.execute("CREATE TABLE t (" + ", ".join(f"c{i}" for i in range(N)) + ")")
    insert = "INSERT INTO t VALUES (" + ", ".join("?" for _ in range(N)) + ")"
    if CURRENT.level < MIDDLE:
        for sql in (SELECT, insert):
            with pytest.raises(ClientError,
                               match=r"too many parameters: 300; this server "
                                     r"\(dqlite 1\.11 to 1\.15\.0\) takes at most 255"):
                session.execute(sql, values)
        assert session.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
        return
    assert session.execute(SELECT, values).fetchall() == [tuple(values)]
    session.execute(insert, values)
    session.execute(insert, [str(v) for v in values])
    assert session.execute("SELECT * FROM t").fetchall() == [tuple(values),
                                                              tuple(str(v) for v in values)]


def test_255_parameters_work_everywhere(session):
    values = list(range(255))
    assert session.execute("SELECT " + ", ".join("?" for _ in values), values).fetchall() == [
        tuple(values)]
