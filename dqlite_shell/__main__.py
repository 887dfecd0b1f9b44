"""``python -m dqlite_shell`` runs the ``dqlite`` command."""

from dqlite_shell.shell.cli import main

if __name__ == "__main__":
    main()
