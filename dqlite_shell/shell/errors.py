"""Errors of the shell's own: failures of set-up (exit status 2) and of
dot-commands (exit status 1 in scripts); and :func:`describe`, the one place
where any exception becomes the line the shell prints."""

from __future__ import annotations


class Failure(Exception):
    """A one-line error for exit status 2."""


class CommandError(Exception):
    """A dot-command failed; the message is one line for the user (exit 1)."""


class UsageError(CommandError):
    """Wrong arguments: the message is the command's usage line."""


def describe(error: BaseException) -> str:
    """The one line the shell says for ``error`` (callers put where before it:
    ``FILE:LINE: error:``, ``error:``, a command's subject).

    A server's error is its message; an OS error its reason (after the file
    it names); anything else its first line. The lower layers state facts
    and the shell adds what to do about them, with its own options
    (:func:`hint`); an error made of several nodes' errors tells each so.
    """
    from dqlite_shell.client.errors import ServerError
    if isinstance(error, ServerError):
        return error.message
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    render = getattr(error, "render", None)  # NoLeaderError and its kin: the nodes' errors
    text = render(describe) if callable(render) else str(error)
    text = text.splitlines()[0] if text else type(error).__name__
    return text + hint(error)


def hint(error: BaseException) -> str:
    """What the shell suggests for ``error`` (its options), appended to its
    message; '' for most. Keyed on the error's type, never its words."""
    from dqlite_shell.native.errors import LibraryNotFound
    from dqlite_shell.tls_options import hint as tls_hint
    if isinstance(error, LibraryNotFound):
        return " or connect to running servers with -s"
    return tls_hint(error)
