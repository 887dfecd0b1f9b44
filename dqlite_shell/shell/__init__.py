"""Layer 4: the ``dqlite`` command (CLI, REPL, dot-commands, output)."""
