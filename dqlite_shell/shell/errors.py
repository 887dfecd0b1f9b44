"""Errors of the shell's own: failures of set-up (exit status 2) and of
dot-commands (exit status 1 in scripts)."""


class Failure(Exception):
    """A one-line error for exit status 2."""


class CommandError(Exception):
    """A dot-command failed; the message is one line for the user (exit 1)."""


class UsageError(CommandError):
    """Wrong arguments: the message is the command's usage line."""
