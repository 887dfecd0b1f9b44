"""Abbreviated dot-commands (``.he on``, ``.mo csv``, ``.q``), as sqlite3 3.40
takes them: the rule table checked against Debian's ``sqlite3``, the
resolution over the whole registry, and the ``dqlite`` command on a real
node (rails and transactions see the command, not the abbreviation)."""

from __future__ import annotations

import os
import subprocess
import tempfile

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from pygments.token import Keyword

from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.registry import SQLITE3_PREFIXES, CommandError, resolve
from tests.shell.conftest import run_command, run_dqlite
from tests.support.sqlite3_cli import needs_sqlite3


def sqlite3_does(word: str) -> tuple:
    """What ``sqlite3`` 3.40 does with dot-command ``word``, alone and with an
    argument, on a database with a table and an index: exit status, stdout,
    stderr and the files left, then a statement and ``.show`` (a quit, a
    redirection or a changed setting shows)."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["sqlite3", "t.db", "CREATE TABLE t (x); CREATE INDEX i ON t (x)"],
                       cwd=d, check=True, timeout=30)
        script = f"{word}\n{word} probe.out\nSELECT 'alive';\n.show\n"
        done = subprocess.run(["sqlite3", "t.db"], input=script.encode(), capture_output=True,
                              cwd=d, timeout=30)
        files = {}
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                files[name] = f.read() if name != "t.db" else b""
        here = d.encode()
        return (done.returncode, done.stdout.replace(here, b"DIR"),
                done.stderr.replace(here, b"DIR"), sorted(files.items()))


@needs_sqlite3
@pytest.mark.parametrize("name, shortest", sorted(SQLITE3_PREFIXES.items()))
def test_the_table_is_what_sqlite3_does(name, shortest):
    # The shortest prefix and every longer one act as the full name does;
    # one character less does something else.
    full = sqlite3_does(name)
    for length in range(len(shortest), len(name)):
        assert sqlite3_does(name[:length]) == full, name[:length]
    if len(shortest) > 2:
        assert sqlite3_does(shortest[:-1]) != full, shortest[:-1]


def registered() -> dict[str, registry.Command]:
    registry.commands()  # loads the command modules
    return dict(registry.COMMANDS)


def test_every_prefix_resolves_by_the_rule():
    keys = registered()
    for key in keys:
        for length in range(2, len(key) + 1):
            prefix = key[:length]
            starting = {c.name for k, c in keys.items() if k.startswith(prefix)}
            picked = {n for n in starting
                      if n in SQLITE3_PREFIXES and prefix.startswith(SQLITE3_PREFIXES[n])}
            try:
                cmd = resolve(prefix)
            except CommandError as e:
                message = str(e)
                assert len(picked) != 1, prefix
                if len(starting) > 1:
                    assert message == (f"ambiguous command {prefix}: it abbreviates "
                                       f"{', '.join(sorted(starting))}")
                else:
                    (only,) = starting
                    assert keys[only].changes or keys[only].destructive, prefix
                    assert message.startswith(f"unknown command {prefix}: {only} changes")
                continue
            if prefix in keys:
                assert cmd is keys[prefix]
            elif len(picked) == 1:
                assert {cmd.name} == picked, prefix
            else:
                assert {cmd.name} == starting, prefix
                assert not (cmd.changes or cmd.destructive), prefix


@pytest.mark.parametrize("prefix, name", [
    (".he", ".headers"), (".h", ".headers"), (".hel", ".help"), (".mo", ".mode"),
    (".q", ".quit"), (".o", ".once"), (".ou", ".output"), (".op", ".open"),
    (".ta", ".tables"), (".sch", ".schema"), (".sho", ".show"), (".da", ".databases"),
    (".in", ".indexes"), (".pri", ".print"), (".rea", ".read"), (".cha", ".changes"),
])
def test_sqlite3s_abbreviations(prefix, name):
    assert resolve(prefix).name == name


@pytest.mark.parametrize("prefix, names", [
    (".t", {".tables", ".timeout", ".timer", ".transfer"}),
    (".ti", {".timeout", ".timer"}),
    (".r", {".read", ".reconfigure", ".remove"}),
    (".b", {".backup", ".bail", ".blob"}),
])
def test_ambiguous_prefixes_list_the_candidates(prefix, names):
    with pytest.raises(CommandError) as info:
        resolve(prefix)
    listed = set(str(info.value).split(": it abbreviates ")[1].split(", "))
    assert str(info.value).startswith(f"ambiguous command {prefix}: ") and names <= listed


@pytest.mark.parametrize("prefix", [".tr", ".trans", ".rem", ".dr", ".as", ".we", ".recon"])
def test_commands_that_change_the_cluster_are_spelled_out(prefix):
    with pytest.raises(CommandError) as info:
        resolve(prefix)
    assert "only its full name runs it" in str(info.value) or "ambiguous" in str(info.value)


# -- the dqlite command -----------------------------------------------------------------

@needs_sqlite3
def test_abbreviated_settings_print_as_sqlite3_prints(node):
    script = ".he on\n.n NUL\n.mo list\nSELECT 1 AS a, NULL AS b;\n.pri done\n.q\nSELECT 'no';\n"
    run = run_dqlite("-s", node.address, stdin=script)
    oracle = subprocess.run(["sqlite3", ":memory:"], input=script, capture_output=True,
                            text=True, timeout=30)
    assert (run.status, run.err) == (0, ""), run
    assert run.out == oracle.stdout == "a|b\n1|NUL\ndone\n"


def test_ambiguous_and_spelled_out_commands_are_one_line_errors(node):
    run = run_dqlite("-s", node.address, "--keep-going",
                     stdin=f".t\n.tr {node.address}\nSELECT 'after';\n")
    assert run.status == 1, run
    listed = ", ".join(sorted(n for n in registered() if n.startswith(".t")))
    assert run.err == (f"<stdin>:1: error: ambiguous command .t: it abbreviates {listed}\n"
                       "<stdin>:2: error: unknown command .tr: .transfer changes the cluster "
                       "or its data, so only its full name runs it\n")
    assert run.out == "after\n"


def test_rails_and_transactions_see_the_command(node, tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("1\n")
    run = run_dqlite("-s", node.address, "--read-only", "-c", f".i --csv {data} t")
    assert run.status == 1 and "read-only" in run.err and ".import" in run.err, run
    run = run_dqlite("-s", node.address, stdin="BEGIN;\n.op other\nROLLBACK;\n")
    assert run.status == 1, run
    assert run.err.startswith("<stdin>:2: error: .open cannot run inside a transaction"), run
    run = run_dqlite("-s", node.address, "-1", "-c", "SELECT 1", "-c", ".op other")
    assert run.status != 0 and ".open cannot run inside a transaction" in run.err, run
    assert run.out == ""  # refused before anything ran


def test_help_takes_an_abbreviation(shell):
    state = shell(["127.0.0.1:1"])
    assert run_command(state, ".help .he").startswith("usage: .headers on|off\n")
    assert run_command(state, ".he on") == "" and state.settings.headers
    with pytest.raises(CommandError) as info:
        run_command(state, ".help .t")
    assert str(info.value).startswith("ambiguous command .t: it abbreviates .tables")


# -- the REPL: completion and highlighting take the abbreviation as the command ----------

def test_completion_completes_an_abbreviations_arguments(shell):
    from dqlite_shell.shell.completion import SchemaCache, ShellCompleter
    completer = ShellCompleter(SchemaCache(shell(["127.0.0.1:1"])), ["table", "csv"])

    def offered(text):
        return [c.text for c in completer.get_completions(
            Document(text, len(text)), CompleteEvent(completion_requested=True))]

    assert offered(".mo c") == ["csv"]
    assert offered(".he o") == ["on", "off"]
    assert offered(".t o") == []  # ambiguous: nothing to complete


def test_highlighting_marks_an_abbreviation_as_a_command():
    from dqlite_shell.shell.repl import DqliteLexer
    tokens = [(kind, text) for kind, text in DqliteLexer().get_tokens(".he on\n") if text.strip()]
    assert tokens[0] == (Keyword.Pseudo, ".he")
