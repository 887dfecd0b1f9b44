"""``join`` lives in :mod:`dqlite_shell.client.membership` (a client-side
operation: ADD, then ASSIGN, through the leader), where the scratch cluster
can use it too; the name stays here for the application's modules."""

from dqlite_shell.client.membership import join

__all__ = ["join"]
