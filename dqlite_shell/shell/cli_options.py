"""The click definition of the ``dqlite`` command line: options, help,
``--version`` and shell completion.

Only what click must parse loads it: :mod:`.cli` parses the common command
lines itself (:mod:`.quickargs`) and comes here for the rest (``--help``,
an option :mod:`.quickargs` does not know, an error), so a one-shot
``dqlite -s ADDR -c SQL`` starts without click's import (~25 ms).
"""

from __future__ import annotations

import os
import sys

import click

from dqlite_shell import __version__
from dqlite_shell.shell import config
from dqlite_shell.shell.cli import PROG, invoke
from dqlite_shell.tls_options import tls_options


def _version_message() -> str:
    from dqlite_shell.native.errors import LibraryNotFound
    from dqlite_shell.native.library import debian_package, version_and_file
    try:
        number, path = version_and_file()
    except LibraryNotFound:
        lib = "libdqlite not found"
    else:
        # The library's own number lags its releases (1.11.1 says 1.10.0):
        # the package that installed the loaded file says which it is.
        package = debian_package(os.path.realpath(path)) if path else None
        if package:
            lib = f"{package[0]} {package[1]} at {path}, which reports {number}"
        else:
            lib = f"libdqlite {number} by its own number" + (f" at {path}" if path else "")
    from dqlite_shell._speedups import status  # the output accelerator, built or not
    return f"{PROG} {__version__} ({lib}; Python {sys.version.split()[0]}; {status()})"


def _print_version(ctx, _param, value):
    if value and not ctx.resilient_parsing:
        click.echo(_version_message())
        ctx.exit(0)


def _formats() -> list[str]:
    from dqlite_shell.shell.output import ALIASES, FORMATS
    return list(FORMATS) + sorted(ALIASES)


def _profile_names() -> list[str]:
    from dqlite_shell.shell.profiles import CHOICES
    return CHOICES


def _profiles_epilog() -> str:
    from dqlite_shell.shell.profiles import ROOT_VARIABLE, describe
    lines = "\n".join(f"  {name:9} {text}" for name, text in describe())
    return (f"\b\nProfiles (--profile NAME; {ROOT_VARIABLE}=DIR puts their paths under DIR):"
            f"\n{lines}")


class _Duration(click.ParamType):
    """--timeout: 2s, 500ms, 1m, or a bare number (see config.parse_timeout)."""
    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        from dqlite_shell.shell.config import parse_timeout
        try:
            return parse_timeout(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


# Shell completion (click's protocol; the scripts in completions/ call back here).
def _complete_formats(_ctx, _param, incomplete: str):
    return [f for f in _formats() if f.startswith(incomplete)]


def _complete_blobs(_ctx, _param, incomplete: str):
    from dqlite_shell.shell.output import BLOB_MODES
    return [b for b in BLOB_MODES if b.startswith(incomplete)]


def _complete_servers(_ctx, _param, incomplete: str):
    from dqlite_shell.shell import config
    try:
        servers = config.load().get("servers", [])
    except config.ConfigError:
        return []
    return [s for s in servers if s.startswith(incomplete)]


@click.command(name=PROG, context_settings={"help_option_names": ["-h", "--help"],
                                            "max_content_width": 100},
               epilog=_profiles_epilog())
@click.argument("database", required=False, envvar=config.envvar("database"))
@click.argument("command_arg", metavar="[COMMAND]", required=False)
@click.option("-s", "--servers", multiple=True, metavar="ADDRS", shell_complete=_complete_servers,
              envvar=config.envvar("servers"),
              help="Node addresses, comma-separated and repeatable (host:port, [v6]:port, "
                   "@name), or file://STORE (a go-dqlite .yaml or SQLite node store). "
                   "Without it a scratch node is started.")
@click.option("-c", "--command", "command_opt", metavar="SQL", multiple=True,
              help="Run SQL (and dot-commands) and exit; repeatable: each runs in turn. "
                   "With -k KEY (and no --cert) it is go-dqlite's -c CERT: the TLS "
                   "certificate, and the SQL goes in COMMAND.")
@click.option("-f", "--format", "fmt", metavar="FORMAT", shell_complete=_complete_formats,
              help="Output format: table, list, csv, json, jsonl, markdown, line, column, "
                   "box, insert, quote, html, ascii, tabs (go's tabular means list), or "
                   "one of tabulate's: grid, fancy_grid, rounded_grid, pipe, orgtbl, rst, "
                   "mediawiki, latex, ... (.help .mode lists them). Default: table on a "
                   "terminal, else list.")
@click.option("--headers/--no-headers", default=None,
              help="Print column names (list, csv); table always has them.")
@click.option("--timeout", type=_Duration(), metavar="DURATION",
              help="How long to look for the leader (default 10s): 2s, 500ms, 1m, 1.5s; a "
                   "bare number below 100 is seconds, from 100 up milliseconds (go-dqlite's "
                   "unit: its 2000 is 2s). Statements run as long as they take (Ctrl-C "
                   "stops them).")
@click.option("--bail/--keep-going", default=True, show_default=True,
              help="Stop a script at its first error, or go on (the exit status is 1 either way).")
@click.option("-1", "--single-transaction", is_flag=True,
              help="Run the whole script in one transaction: nothing is applied unless all is.")
@click.option("--data-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep (and reuse) the scratch node's data in DIR.")
@click.option("--scratch", type=click.IntRange(min=1, max=9), metavar="N",
              help="Start N local nodes as one cluster (default 1) when no -s is given.")
@tls_options("TLS client certificate (go's -c/--cert); it is also the only trusted one and "
             "nodes must present its first DNS name, as in go-dqlite.",
             "TLS client key (go's -k/--key).",
             "CA that signs the nodes' certificates (default: --cert itself); with it the "
             "chain is checked, not the name.",
             key_short="-k", readable=False)  # unreadable files: the shell says why (sudo)
@click.option("--profile", type=click.Choice(_profile_names()), metavar="NAME",
              help="Take the node store, certificate, key and database from where a product "
                   "keeps them: " + ", ".join(_profile_names()) + " (see below). Options "
                   "given here override it.")
@click.option("--read-only/--write", "read_only", default=None,
              help="Refuse, before sending anything, every statement that could write and "
                   "the dot-commands that change the cluster (.add, .assign, .remove, "
                   ".transfer, .weight, .reconfigure); or allow them. Default: --write, but "
                   "--read-only with --profile (also the read_only key). The prompt shows "
                   "ro or rw.")
@click.option("-y", "--yes", is_flag=True,
              help="Do not ask before DROP, DELETE or UPDATE without WHERE, .remove, .assign "
                   "and .reconfigure in the REPL (scripts and -c never ask).")
@click.option("--audit-log", type=click.Path(dir_okay=False, readable=False), metavar="FILE",
              help="Append each statement and dot-command, with time, user, servers, "
                   "database and outcome, to FILE as JSON lines (created with mode 0600; one "
                   "others may read is refused). Also the audit_log key.")
@click.option("--blob", metavar="MODE", shell_complete=_complete_blobs,
              help="How BLOBs show: hex (default), auto, text or base64, as .blob says "
                   "(default auto with --profile).")
@click.option("--no-color", is_flag=True, help="No colours in the REPL (also: NO_COLOR=1).")
@click.option("--no-history", is_flag=True, help="Do not read or write the REPL's history file.")
@click.option("--ready", is_flag=True,
              help="Exit 0 when a leader answers and a quorum of voters is reachable, else 1 "
                   "(2: a usage error); prints nothing unless -v. Every member is asked at "
                   "once, within --timeout.")
@click.option("-v", "--verbose", is_flag=True,
              help="With --ready: print the .status rows, and the verdict on stderr.")
@click.option("--offline", type=click.Path(file_okay=False), metavar="DIR", multiple=True,
              help="Read a stopped node's data dir DIR, never writing to it: .status, .log "
                   "(the Raft log), and SQL on a database rebuilt from its snapshot and log "
                   "(.open [DATABASE] [latest|INDEX]); no cluster is contacted. Several dirs "
                   "(--offline DIR1 DIR2 ...): .freshest and .recover compare and recover "
                   "them; the others read the first.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version,
              help="Show the version (libdqlite's, and whether the output accelerator is "
                   "loaded) and exit.")
def command(**options):
    """Shell for dqlite, the Raft-replicated SQLite.

    DATABASE defaults to "db". COMMAND (or -c SQL) runs and exits; SQL piped
    on standard input runs as a script; otherwise an interactive prompt opens.
    Defaults come from ~/.config/dqlite/config.toml and the DQLITE_SERVERS and
    DQLITE_DATABASE environment variables.

    go-dqlite's command lines run unchanged: "-c CERT -k KEY" (-c is the
    certificate when -k is given without --cert, else SQL), --timeout in
    milliseconds, -f tabular|json, and COMMAND split on ";" (as SQLite does:
    not inside quotes).
    """
    ctx = click.get_current_context()
    cfg, problem = ctx.obj if isinstance(ctx.obj, tuple) else ({}, None)  # cli.main's
    sources = {name: _SOURCES[source] for name in config.LAYERS
               if (source := ctx.get_parameter_source(name)) in _SOURCES}
    invoke(options, config.Layers(cfg, sources, problem))


#: click's names for where a value came from, as config names them.
_SOURCES = {click.core.ParameterSource.COMMANDLINE: config.OPTION,
            click.core.ParameterSource.ENVIRONMENT: config.ENVIRONMENT,
            click.core.ParameterSource.DEFAULT_MAP: config.CONFIG}
