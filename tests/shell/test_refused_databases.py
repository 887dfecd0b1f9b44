"""Database names that crash dqlite nodes are refused before anything is
sent: on the command line, by .open, by the driver. They crash every server
of the matrix (1.11.1, 1.17.3, 1.18.6: the OPEN succeeds, the first statement
kills the node; tests/client/test_crashers.py proves it per server), so the
refusal holds on all. The node is alive afterwards."""

import pytest

from dqlite_shell import dbapi, refusals
from dqlite_shell.client.errors import ClientError
from dqlite_shell.client.session import Session
from tests.shell.conftest import run_dqlite


def _alive(address) -> bool:
    session = Session([address], "db", timeout=5)
    try:
        return session.execute("SELECT 1").fetchall() == [(1,)]
    finally:
        session.close()


def test_the_command_line_refuses_memory(node_process):
    run = run_dqlite("-s", node_process.address, ":memory:", "-c", "SELECT 1", timeout=30)
    assert run.status == 2, run
    assert run.err == ("dqlite: error: database :memory: is refused: it crashes dqlite nodes "
                       "(1.11 to 1.18.6) at the first statement (SIGSEGV); dqlite databases "
                       "are replicated files, open a named one\n")
    assert run.err == f"dqlite: error: {refusals.refused_database(':memory:')}\n"
    assert node_process.running and _alive(node_process.address)


def test_open_refuses_memory_and_keeps_the_database(node_process):
    run = run_dqlite("-s", node_process.address, "-c", "CREATE TABLE kept (n)",
                     "-c", ".open :memory:", "-c", "SELECT 'never'", timeout=30)
    assert run.status == 1, run
    assert run.err.startswith("<command 2>:1: error: database :memory: is refused")
    assert "never" not in run.out
    assert node_process.running and _alive(node_process.address)


@pytest.mark.parametrize("name", [":memory:", "", "file::memory:", "file:t.db", "x" * 505])
def test_the_driver_and_session_refuse_crashing_names(node_process, name):
    with pytest.raises(dbapi.ProgrammingError, match="is refused"):
        dbapi.connect(node_process.address, name)
    with pytest.raises(ClientError, match="is refused"):
        Session([node_process.address], name)
    session = Session([node_process.address], "db")
    try:
        with pytest.raises(ClientError, match="is refused"):
            session.use(name)
        assert session.database == "db"
    finally:
        session.close()
    assert node_process.running and _alive(node_process.address)
