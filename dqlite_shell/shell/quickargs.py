"""The common ``dqlite`` command lines, parsed without click.

Importing click costs about 25 ms (inspect, typing, uuid, datetime ...), a
third of a one-shot ``dqlite -s ADDR -c SQL``. :func:`parse` reads command
lines made only of the options below (those of one-shots, scripts, the
REPL, the profiles and go-dqlite's ``-c CERT -k KEY``) and at most two
positional words (DATABASE, COMMAND), and returns what click would pass to
the command. Anything else returns None and click parses it, errors and
all: ``--help``, ``--version``, the other options, short options run
together (``-1c``), a value glued to a short option (``-sADDR``), ``--``, a
word it does not know, a missing or bad value (a directory for a file, an
unknown profile), a third positional word, and shell completion.

click's definition (:mod:`.cli_options`) stays the one description of the
command line: tests/shell/test_startup_path.py checks that every name here
is an option of it with the same parameter and default, and that both parse
random command lines alike. What the command line leaves out comes from the
environment, then the config file, through :func:`.config.layer` (click:
``envvar`` and ``default_map``, from the same table, :data:`.config.LAYERS`).
"""

from __future__ import annotations

import os

#: Options that take a value: name -> click's parameter name.
VALUE_OPTIONS = {
    "-s": "servers", "--servers": "servers",
    "-c": "command_opt", "--command": "command_opt",
    "-f": "fmt", "--format": "fmt",
    "--timeout": "timeout",
    "--blob": "blob",
    "--profile": "profile",
    "--cert": "cert", "-k": "key", "--key": "key", "--ca": "ca",
    "--audit-log": "audit_log",
}
#: Value options that name a file (click.Path(dir_okay=False)): a directory
#: is click's error to report.
FILES = frozenset({"cert", "key", "ca", "audit_log"})
#: Value options that may be repeated (click's ``multiple=True``): a tuple.
MULTIPLE = frozenset({"servers", "command_opt"})
#: Flags: name -> (parameter, the value it sets).
FLAGS = {
    "--headers": ("headers", True), "--no-headers": ("headers", False),
    "--bail": ("bail", True), "--keep-going": ("bail", False),
    "-1": ("single_transaction", True), "--single-transaction": ("single_transaction", True),
    "--read-only": ("read_only", True), "--write": ("read_only", False),
    "-y": ("yes", True), "--yes": ("yes", True),
    "--no-color": ("no_color", True),
    "--no-history": ("no_history", True),
}
#: Every parameter of the command with click's default, positionals first.
DEFAULTS = {
    "database": None, "command_arg": None, "servers": (), "command_opt": (), "fmt": None,
    "headers": None, "timeout": None, "bail": True, "single_transaction": False,
    "data_dir": None, "scratch": None, "cert": None, "key": None, "ca": None,
    "profile": None, "read_only": None, "yes": False, "audit_log": None, "blob": None,
    "no_color": False, "no_history": False, "ready": False, "verbose": False, "offline": (),
}
POSITIONALS = ("database", "command_arg")
#: click's shell completion asks through this variable (``_{PROG}_COMPLETE``).
COMPLETE_VARIABLE = "_DQLITE_COMPLETE"


def parse(args: list[str]) -> dict | None:
    """click's keyword arguments for ``args``, or None when click must parse them."""
    parsed = parse_given(args)
    return None if parsed is None else parsed[0]


def parse_given(args: list[str]) -> tuple[dict, set[str]] | None:
    """:func:`parse`, and the parameters the command line gave (the others
    come from the environment or the config file: :func:`.config.layer`)."""
    if COMPLETE_VARIABLE in os.environ:
        return None
    options: dict[str, object] = dict(DEFAULTS)
    repeated: dict[str, list[str]] = {}
    positionals: list[str] = []
    given: set[str] = set()
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if not word.startswith("-") or word == "-":
            if word == "-" or len(positionals) == len(POSITIONALS):
                return None
            positionals.append(word)
            continue
        name, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if name in FLAGS and not eq:
            param, flag_value = FLAGS[name]
            options[param] = flag_value
            given.add(param)
            continue
        if name not in VALUE_OPTIONS:
            return None
        param = VALUE_OPTIONS[name]
        if not eq:
            if i == len(args):
                return None
            value = args[i]
            i += 1
        value = _checked(param, value)
        if value is None:
            return None
        given.add(param)
        if param in MULTIPLE:
            repeated.setdefault(param, []).append(value)
        else:
            options[param] = value
    for param, values in repeated.items():
        options[param] = tuple(values)
    options.update(zip(POSITIONALS, positionals, strict=False))  # those given
    given.update(POSITIONALS[:len(positionals)])
    return options, given


def _checked(param: str, value: str):
    """``value`` as click's type for ``param`` makes it, or None when click
    would refuse it (and must say why)."""
    if param == "timeout":
        from dqlite_shell.shell.config import parse_timeout
        try:
            return parse_timeout(value)
        except ValueError:
            return None
    if param == "profile":
        from dqlite_shell.shell.profiles import CHOICES
        return value if value in CHOICES else None
    if param in FILES and os.path.isdir(value):
        return None
    return value
