"""The ``dqlite`` command line.

The interactive REPL, scripts and dot-commands arrive with later issues; this
module already owns the options every path shares.
"""

from __future__ import annotations

import sys

import click

from dqlite_shell import __version__

PROG = "dqlite"


def _version_message() -> str:
    # Imported here so that --help and the client paths never load cffi.
    from dqlite_shell.native import LibraryNotFound, version
    try:
        lib = f"libdqlite {version()}"
    except LibraryNotFound:
        lib = "libdqlite not found"
    return f"{PROG} {__version__} ({lib}, Python {sys.version.split()[0]})"


def _print_version(ctx, _param, value):
    if value and not ctx.resilient_parsing:
        click.echo(_version_message())
        ctx.exit(0)


@click.command(name=PROG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version and exit.")
@click.option("-s", "--servers", multiple=True, metavar="ADDRS",
              help="Comma-separated node addresses (repeatable).")
@click.argument("database", required=False)
def command(servers, database):
    """Shell for dqlite, the Raft-replicated SQLite."""
    click.echo(f"{PROG}: the shell is not built yet; see --help", err=True)
    sys.exit(2)


def main(argv=None) -> None:
    """Entry point of ``dqlite``."""
    command.main(args=argv, prog_name=PROG)
