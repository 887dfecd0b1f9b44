"""Errors of the shell's own (exit status 2: usage, connection, set-up)."""


class Failure(Exception):
    """A one-line error for exit status 2."""
