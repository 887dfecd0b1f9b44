"""The ``--cert``, ``--key`` and ``--ca`` options, declared once for the
commands that take them (``dqlite``, ``dqlite-node``, ``dqlite-demo``).

click loads only when a command applies the decorator: the shell's fast
path (:mod:`dqlite_shell.shell.quickargs`) never imports click.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

#: click's parameter names, in the order the options are listed.
PARAMS = ("cert", "key", "ca")


def hint(error: BaseException) -> str:
    """What a command taking these options suggests for ``error``, appended
    to its message; '' for an error that is not about TLS. Keyed on the
    error's type."""
    from dqlite_shell.client.errors import NotTLS, TLSHungUp, TLSRequired
    if isinstance(error, TLSRequired):
        return " (use --cert and --key)"
    if isinstance(error, TLSHungUp):
        return " (does it accept our certificate? check --cert and --ca)"
    if isinstance(error, NotTLS):
        return " (drop --cert/--key?)"
    return ""


def tls_options(cert_help: str, key_help: str, ca_help: str, *, key_short: str | None = None,
                readable: bool = True) -> Callable[[F], F]:
    """A decorator adding ``--cert FILE``, ``--key FILE`` and ``--ca FILE``
    (parameters ``cert``, ``key``, ``ca``) with each tool's help texts.

    ``key_short``: a short flag for the key too (the shell's ``-k``, as
    go-dqlite's); ``readable=False`` leaves an unreadable file to the
    command, which says why in its own words (``sudo``), instead of click.
    """
    import click

    path = click.Path(dir_okay=False, readable=readable)
    declarations = [
        (("--cert",), cert_help),
        ((key_short, "--key") if key_short else ("--key",), key_help),
        (("--ca",), ca_help),
    ]

    def decorate(function: F) -> F:
        for flags, text in reversed(declarations):  # click lists the last applied first
            function = click.option(*flags, type=path, metavar="FILE", help=text)(function)
        return function

    return decorate
