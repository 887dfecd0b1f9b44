"""The entry point shared by the app layer's commands (``dqlite-node``,
``dqlite-demo``): click without its own error printing, one line per error."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


def told(error: BaseException) -> str:
    """``error``'s message with what to do about TLS (both commands take
    --cert/--key/--ca), also for each node's error inside it."""
    from dqlite_shell.tls_options import hint
    render = getattr(error, "render", None)  # errors made of other errors
    return (render(told) if callable(render) else str(error)) + hint(error)


def run(command: click.Command, prog: str, argv, failures: tuple[type[BaseException], ...],
        status: int) -> NoReturn:
    """Run ``command``; bad usage and ``failures`` print ``PROG: error: ...``
    and exit ``status``; Ctrl-C and a normal end exit 0."""
    try:
        command.main(args=argv, prog_name=prog, standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        sys.exit(0)
    except click.ClickException as e:
        click.echo(f"{prog}: error: {e.format_message()}", err=True)
        sys.exit(status)
    except failures as e:
        click.echo(f"{prog}: error: {told(e)}", err=True)
        sys.exit(status)
    sys.exit(0)
