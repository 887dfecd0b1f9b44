"""The man pages say exactly what the commands have: every option and dot-command,
nothing that does not exist; and groff finds nothing to warn about."""

import os
import re
import shutil
import subprocess

import click
import pytest

from dqlite_shell.app.demo import command as demo_command
from dqlite_shell.app.node_cli import command as node_command
from dqlite_shell.shell.cli import command as shell_command
from dqlite_shell.shell.commands import registry

MAN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "man")


def _page(name: str) -> str:
    with open(os.path.join(MAN, name), encoding="utf-8") as f:
        return f.read()


def _section(page: str, title: str) -> str:
    match = re.search(rf"^\.SH {re.escape(title)}\n(.*?)(?=^\.SH |\Z)", page, re.M | re.S)
    assert match, f"no {title} section"
    return match.group(1)


def _options(command: click.Command) -> set[str]:
    names = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts + param.secondary_opts)
    return names | {"-h", "--help"}


def _page_options(section: str) -> set[str]:
    text = section.replace("\\-", "-")
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z1][\w-]*)", text))


@pytest.mark.parametrize("page,command", [("dqlite.1", shell_command),
                                          ("dqlite-node.1", node_command),
                                          ("dqlite-demo.1", demo_command)])
def test_options_match(page, command):
    listed = _page_options(_section(_page(page), "OPTIONS"))
    assert listed == _options(command)


def test_dot_commands_match_the_registry():
    section = _section(_page("dqlite.1"), "DOT-COMMANDS")
    listed = set(re.findall(r"^\.B[IR]? (\.[a-z]+)", section, re.M))
    assert listed == {c.name for c in registry.commands()}


@pytest.mark.parametrize("page", ["dqlite.1", "dqlite-node.1", "dqlite-demo.1"])
def test_sections_and_no_groff_warnings(page):
    text = _page(page)
    for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO"):
        assert f".SH {title}\n" in text
    if page == "dqlite.1":
        for title in ("DOT-COMMANDS", "ENVIRONMENT", "FILES", "EXAMPLES"):
            assert f".SH {title}\n" in text
    if not shutil.which("groff"):
        if os.environ.get("CI"):
            pytest.fail("CI must have groff (apt-get install groff-base)")
        pytest.skip("groff is not installed")
    result = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(MAN, page)],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
    if shutil.which("man"):
        shown = subprocess.run(["man", "-l", os.path.join(MAN, page)], capture_output=True,
                               text=True, timeout=60, env=dict(os.environ, MANPAGER="cat",
                                                               PAGER="cat", MANWIDTH="80"))
        assert shown.returncode == 0
        assert page.split(".")[0].upper() + "(1)" in shown.stdout
