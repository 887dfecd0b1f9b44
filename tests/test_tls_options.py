"""--cert, --key and --ca are declared once (dqlite_shell/tls_options.py) and
used by dqlite, dqlite-node and dqlite-demo, each with its own help."""

import pathlib

import click
import pytest
from click.testing import CliRunner

from dqlite_shell.app.demo import command as demo_command
from dqlite_shell.app.node_cli import command as node_command
from dqlite_shell.shell.cli_options import command as shell_command
from dqlite_shell.tls_options import PARAMS, tls_options

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "dqlite_shell"


def _options(command):
    return {p.name: p for p in command.params if p.name in PARAMS}


@pytest.mark.parametrize("command, key_flags, readable", [
    (shell_command, ["-k", "--key"], False),
    (node_command, ["--key"], True),
    (demo_command, ["--key"], True),
])
def test_each_command_has_the_three_options(command, key_flags, readable):
    options = _options(command)
    assert list(options) == list(PARAMS)
    assert [o.opts for o in options.values()] == [["--cert"], key_flags, ["--ca"]]
    for option in options.values():
        assert isinstance(option.type, click.Path) and not option.type.dir_okay
        assert option.type.readable is readable and option.metavar == "FILE"
        assert option.help


def test_help_texts_are_each_tools_own():
    helps = {tuple(o.help for o in _options(c).values())
             for c in (shell_command, node_command, demo_command)}
    assert len(helps) == 3


def test_no_command_declares_them_by_hand():
    hand_made = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if 'option("--cert"' in path.read_text() or 'option("--ca"' in path.read_text()]
    assert hand_made == []


def test_the_decorator_parses_what_it_declares():
    @click.command()
    @tls_options("c", "k", "a", key_short="-k")
    def show(cert, key, ca):
        click.echo(f"{cert} {key} {ca}")

    result = CliRunner().invoke(show, ["--cert", "c.pem", "-k", "k.pem"])
    assert (result.exit_code, result.output) == (0, "c.pem k.pem None\n")
    result = CliRunner().invoke(show, ["--ca", str(PACKAGE)])
    assert result.exit_code == 2 and "is a directory" in result.output
