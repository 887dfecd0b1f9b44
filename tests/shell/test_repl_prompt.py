"""The REPL's prompt: its escapes (.prompt, the prompt key), the transaction
marks (* and !), and a lost connection (said, then made again by the next
statement). pty tests with pexpect against real nodes, and unit tests of the
escapes on a ShellState."""

import io
import re

import pexpect
import pytest

from dqlite_shell.shell import prompt as prompt_module
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.state import ShellState
from tests.shell.conftest import run_command
from tests.support.certs import certs  # noqa: F401 - the fixture


def _prompt(text: str) -> str:
    """A regex for prompt ``text`` (its last space is drawn as a cursor move)."""
    return re.escape(text.rstrip(" "))


def _leave(child) -> None:
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_prompt_marks_an_open_transaction_and_a_failure_inside_it(repl, node):
    child = repl("-s", node.address, "-f", "list")
    plain, open_, failed = (f"rw db@{node.address}{mark}> " for mark in ("", "*", "!"))
    child.expect(_prompt(plain))
    child.send("BEGIN;\r")
    child.expect(_prompt(open_))
    child.send("SELECT no_such_column;\r")
    child.expect("error: no such column")
    child.expect(_prompt(failed))
    child.send("\r")  # nothing ran: the mark stays
    child.expect(_prompt(failed))
    child.send("SELECT 'fine';\r")
    child.expect("fine\r\n")
    child.expect(_prompt(open_))
    child.send("ROLLBACK;\r")
    child.expect(_prompt(plain))
    child.send("SELECT no_such_column;\r")  # outside a transaction: no mark
    child.expect("error: no such column")
    child.expect(_prompt(plain))
    _leave(child)


def test_prompt_format_from_the_config_file_and_dot_prompt(repl, node, tmp_path):
    config = tmp_path / "config" / "dqlite"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("prompt = '\\d on \\h\\x> '\n")
    child = repl("-s", node.address, "-f", "list")
    child.expect(_prompt(f"db on {node.address}> "))
    child.send("BEGIN;\r")
    child.expect(_prompt(f"db on {node.address}*> "))
    child.send("ROLLBACK;\r")
    child.send(".prompt '[\\m|\\d|\\u]\\x\\\\ '\r")  # no TLS: \u is empty
    child.expect(_prompt("[rw|db|]\\ "))
    child.send(".prompt\r")
    child.expect("\\[\\\\m\\|\\\\d\\|\\\\u\\]\\\\x\\\\\\\\ \r\n")
    child.send(".prompt '\\q> '\r")
    child.expect(re.escape("error: usage: .prompt [FORMAT|default] (unknown prompt escape \\q"))
    child.expect(_prompt("[rw|db|]\\ "))  # unchanged
    child.send(".prompt default\r")
    child.expect(_prompt(f"rw db@{node.address}> "))
    _leave(child)


def test_a_broken_prompt_key_is_one_error_naming_the_file(dqlite, tmp_path):
    config = tmp_path / "dqlite"
    config.mkdir()
    (config / "config.toml").write_text("format = 'list'\nprompt = 'x\\y> '\n")
    run = dqlite("-c", "SELECT 1", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert run.status == 2, run
    assert run.err == (f"dqlite: error: {config / 'config.toml'}:2: unknown prompt escape \\y "
                       "(known: \\m \\p \\d \\h \\u \\x \\s \\n \\\\)\n")


def test_prompt_says_a_lost_connection_and_the_next_statement_reconnects(
        repl, process_factory, tmp_path):
    node = process_factory()
    child = repl("-s", node.address, "-f", "list", "--timeout", "1s")
    plain = f"rw db@{node.address}> "
    lost = f"rw db@{node.address} (disconnected)> "
    child.expect(_prompt(plain))
    child.send("CREATE TABLE kept (n); INSERT INTO kept VALUES (7);\r")
    child.expect(_prompt(plain))
    child.send("BEGIN;\r")
    child.expect(_prompt(f"rw db@{node.address}*> "))
    node.kill()
    child.send("\r")  # a new prompt: the node closed the connection
    child.expect(_prompt(lost))  # and the transaction went with it: no *
    child.send("SELECT 1;\r")  # nothing answers within --timeout
    child.expect("error: ")
    child.expect(_prompt(lost))
    node.start()  # the same address and data
    child.send("SELECT 'kept:' || n FROM kept;\r")
    child.expect("kept:7\r\n")
    child.expect(_prompt(plain))
    _leave(child)


def test_open_drops_the_connection_without_calling_it_lost(repl, node):
    child = repl("-s", node.address, "-f", "list")
    child.expect(_prompt(f"rw db@{node.address}> "))
    child.send(".open other\r")
    # No connection until the next statement, which is not a lost one.
    child.expect(_prompt(f"rw other@{node.address}> "))
    child.send("SELECT 'there';\r")
    child.expect("there\r\n")
    child.expect(_prompt(f"rw other@{node.address}> "))
    _leave(child)


# -- the escapes, on a ShellState ------------------------------------------------------


def _state(servers=("127.0.0.1:9001",), **kwargs) -> ShellState:
    return ShellState(list(servers), out=io.StringIO(), err=io.StringIO(), **kwargs)


def test_default_prompt_and_escapes_without_a_connection():
    state = _state()
    assert prompt_module.prompt_text(state) == "rw db@127.0.0.1:9001> "
    state.read_only, state.profile_name, state.database = True, "microk8s", "k8s"
    assert prompt_module.prompt_text(state) == "ro microk8s:k8s@127.0.0.1:9001> "
    state.settings.prompt = "\\u|\\x|\\s|\\\\|\\n"
    assert prompt_module.prompt_text(state) == "|||\\|\n"
    state.lost = True  # set by the REPL when a statement lost the connection
    _ = state.session  # made, not connected
    assert prompt_module.expand("\\h\\s", state) == "127.0.0.1:9001 (disconnected)"


def test_dot_prompt_and_dot_keys_in_a_script_keep_the_setting(shell):
    state = shell(["127.0.0.1:9001"])
    assert run_command(state, ".prompt") == "\\m \\p\\d@\\h\\x\\s> \n"
    run_command(state, ".prompt \\d >")  # words are joined with a space
    assert state.settings.prompt == "\\d >"
    assert run_command(state, ".keys") == "emacs\n"
    run_command(state, ".keys vi")
    assert run_command(state, ".keys") == "vi\n"
    for line, message in ((".keys ed", "the keys are emacs or vi"),
                          (".prompt 'a\\'", "unknown prompt escape a \\ at the end"),
                          (".history", "no history here")):
        with pytest.raises(registry.CommandError, match=re.escape(message)):
            run_command(state, line)
    assert state.settings.keys == "vi" and state.settings.prompt == "\\d >"


def test_user_escape_is_the_tls_certificates_common_name(certs):  # noqa: F811
    from dqlite_shell.app.local import LocalCluster
    with LocalCluster(1, tls=certs.cluster.tuple()) as cluster:
        state = _state(cluster.addresses, ssl_context=cluster.client_context())
        try:
            assert prompt_module.expand("[\\u]", state) == "[]"  # not connected yet
            state.session.execute("SELECT 1")
            assert prompt_module.expand("[\\u]", state) == "[dqlite]"
        finally:
            state.close()
