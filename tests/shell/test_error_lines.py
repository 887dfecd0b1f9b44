"""shell.errors.describe: the one place where an exception becomes the line
the shell prints; the lower layers state facts and the shell adds its hints."""

import errno

import pytest

from dqlite_shell.client.errors import (
    ClientError,
    NoLeaderError,
    NotDqlite,
    NotDqliteNodes,
    NotTLS,
    ServerError,
    TLSError,
    TLSHungUp,
    TLSMismatch,
    TLSRequired,
    TransactionLost,
)
from dqlite_shell.native.errors import LibraryNotFound, NodeError
from dqlite_shell.native.library import NOT_FOUND
from dqlite_shell.shell.commands import failures
from dqlite_shell.shell.errors import CommandError, describe

A, B = "10.0.0.1:9001", "10.0.0.2:9001"
REQUIRED = f"{A} closed the connection before answering: the node may require TLS"
NOT_TLS = f"{A}: TLS handshake failed: the node does not speak TLS"


def test_a_server_error_is_its_message():
    assert describe(ServerError(19, "UNIQUE constraint failed: t.a")) == (
        "UNIQUE constraint failed: t.a")


def test_an_os_error_is_its_reason_after_its_file():
    assert describe(OSError(errno.ENOSPC, "No space left on device")) == "No space left on device"
    assert describe(FileNotFoundError(errno.ENOENT, "No such file or directory", "x.sql")) == (
        "x.sql: No such file or directory")


def test_anything_else_is_its_first_line_or_its_type():
    assert describe(ClientError("one\ntwo")) == "one"
    assert describe(ClientError()) == "ClientError"


@pytest.mark.parametrize("error, line", [
    (TLSRequired(REQUIRED), f"{REQUIRED} (use --cert and --key)"),
    (NotTLS(NOT_TLS), f"{NOT_TLS} (drop --cert/--key?)"),
    (TLSHungUp(f"{A}: TLS handshake failed: the node hung up"),
     f"{A}: TLS handshake failed: the node hung up (does it accept our certificate? "
     "check --cert and --ca)"),
    (LibraryNotFound(NOT_FOUND), "libdqlite not found: install libdqlite0 (apt-get install "
                                 "libdqlite0) or connect to running servers with -s"),
    (TLSError(f"{A}: TLS handshake failed: certificate verify failed: self-signed certificate"),
     f"{A}: TLS handshake failed: certificate verify failed: self-signed certificate"),
])
def test_the_shell_adds_its_hints_to_the_facts(error, line):
    assert "--" not in str(error) and " -s" not in str(error)  # the lower layer's fact
    assert describe(error) == line


def test_every_nodes_error_gets_its_hint():
    other = REQUIRED.replace(A, B)
    error = TLSMismatch({A: TLSRequired(REQUIRED), B: TLSRequired(other)})
    assert str(error) == f"{REQUIRED}; {other}"
    assert describe(error) == f"{REQUIRED} (use --cert and --key); {other} (use --cert and --key)"
    assert isinstance(error, TLSError) and isinstance(error, NoLeaderError)
    assert error.answers == {A: REQUIRED, B: other}


def test_no_leader_names_each_answer_with_its_hint():
    error = NoLeaderError({A: NotTLS(NOT_TLS), B: "no known leader"}, 2.0)
    assert str(error) == f"no leader found within 2 s ({A}: {NOT_TLS}; {B}: no known leader)"
    assert describe(error) == (f"no leader found within 2 s ({A}: {NOT_TLS} (drop --cert/--key?); "
                               f"{B}: no known leader)")
    assert list(error.causes) == [A]
    assert str(NoLeaderError({}, 1.5)) == "no leader found within 1.5 s (no servers)"


def test_not_dqlite_nodes_say_each_once():
    said = f"{A} does not speak the dqlite protocol (it answered 'HTTP/1.1 400')"
    error = NotDqliteNodes({A: NotDqlite(said)})
    assert str(error) == describe(error) == said


@pytest.mark.parametrize("raised, line", [
    (ServerError(1, "no such table: t"), "drop: no such table: t"),
    (NodeError("cannot start", 1, "bad address"), "drop: cannot start: bad address"),
    (PermissionError(errno.EACCES, "Permission denied", "/x"), "drop: /x: Permission denied"),
    (TLSRequired(REQUIRED), f"drop: {REQUIRED} (use --cert and --key)"),
])
def test_failures_says_what_describe_says(raised, line):
    with pytest.raises(CommandError) as info:
        with failures("drop"):
            raise raised
    assert str(info.value) == line


def test_failures_passes_the_lost_and_the_unreachable_through():
    for error in (NoLeaderError({}, 1), TransactionLost("gone")):
        with pytest.raises(type(error)):
            with failures("x"):
                raise error


def test_status_rows_add_the_hint_to_a_members_error():
    from types import SimpleNamespace

    from dqlite_shell.client.health import MemberHealth
    from dqlite_shell.shell.commands.health import status_rows
    error = NotTLS(NOT_TLS)
    member = MemberHealth(A, error="TLS handshake failed: the node does not speak TLS",
                          cause=error)
    (row,) = status_rows(SimpleNamespace(members=[member], agrees=lambda m: None))
    assert "TLS handshake failed: the node does not speak TLS (drop --cert/--key?)" in row
