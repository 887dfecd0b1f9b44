"""Data dot-commands: ``.dump`` (a node's files), ``.backup`` (one SQLite
file) and ``.reconfigure`` (disaster recovery of a stopped node's dir).

DUMP answers in two ways. Up to 1.18.2 it returns the database file and its
WAL, and two empty files for a database the node does not have; from 1.18.3
the database file holds everything, the WAL is empty, and an unknown database
is a failure ("database does not exists"). :func:`database_files` makes both
one answer.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from dqlite_shell.atomic_write import write_private
from dqlite_shell.shell.commands import failures, node_connection, usage_error
from dqlite_shell.shell.commands.registry import FILE, TABLE, TEXT, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

FORCE = "--force"


def _split_force(name: str, args: list[str], count: tuple[int, int]) -> tuple[list[str], bool]:
    words = [a for a in args if a != FORCE]
    if not count[0] <= len(words) <= count[1] or len(args) - len(words) > 1:
        raise usage_error(name)
    return words, len(words) != len(args)


def _exists(name: str) -> CommandError:
    return CommandError(f"{name} exists; add {FORCE} to overwrite it")


def safe_name(name: str) -> str:
    """The base name of a file name a server sent; never a path elsewhere."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base in ("", ".", "..") or "\0" in base:
        raise CommandError(f"refusing to write a file named {json.dumps(name)}")
    return base


def database_files(fetch: Callable[[str], list[tuple[str, bytes]]],
                   database: str) -> list[tuple[str, bytes]] | None:
    """``fetch(database)`` (a DUMP), or None when the node has no such
    database, whichever way the server says so (see the module's docstring).

    Other server errors propagate."""
    from dqlite_shell.client.capabilities import NO_SUCH_DATABASE
    from dqlite_shell.client.errors import ServerError
    try:
        files = fetch(database)
    except ServerError as e:
        if e.message == NO_SUCH_DATABASE:
            return None
        raise
    return files if any(data for _, data in files) else None


def is_node_address(word: str) -> bool:
    """True when ``word`` names a node (``host:port``, ``[v6]:port``,
    ``@name``): an address has a port; a table name or pattern has none."""
    from dqlite_shell.address import AddressError, parse_address
    try:
        address = parse_address(word, default_port=0)
    except AddressError:
        return False
    return address.is_abstract or address.port != 0


@command(".dump [OBJECT ...] | ADDRESS [DATABASE]",
         "The database as SQL text, as sqlite3 writes it; or save node ADDRESS's "
         "files (see .help .dump)",
         args=(0, None), complete=(TABLE, TABLE, TEXT))
def dump(state: ShellState, args: list[str]) -> None:
    """Two commands in one, told apart by the first argument:

    .dump [--data-only] [--nosys] [--newlines] [OBJECT ...]
        The current database as SQL text (to the output, or the .output
        file), byte for byte as sqlite3 3.40's .dump writes it: sqlite3 and
        this shell load it back to the same content. OBJECT is a LIKE
        pattern of the tables (with their indexes, triggers and views) to
        dump. --data-only: only the INSERTs; --nosys: not sqlite_sequence
        nor sqlite_stat*; --newlines: line feeds as they are, not as
        char(10). The dump reads one snapshot (a read transaction) and
        streams: any size in constant memory.

    .dump ADDRESS [DATABASE] [--force]
        When the first argument is a node address (it has a port), the Go
        shell's .dump: each file the node returns for DATABASE (default: the
        current one) is written into the current directory under its base
        name (mode 0600). Existing files are left alone unless --force is
        given. From dqlite 1.18.3 the database file holds everything and the
        WAL comes empty; the empty WAL is written all the same, as the Go
        shell writes every file it gets."""
    if args and is_node_address(args[0]):
        dump_files(state, args)
    else:
        dump_sql(state, args)


def dump_sql(state: ShellState, args: list[str]) -> None:
    """``.dump [OPTIONS] [OBJECT ...]``: see :mod:`dqlite_shell.shell.sqldump`."""
    from dqlite_shell.shell.sqldump import DumpUsage, SqlDump, parse_options
    try:
        options = parse_options(args)
    except DumpUsage as e:
        raise usage_error(".dump", str(e)) from None
    out, failed = state.out, None
    with failures("dump"):
        try:
            SqlDump(state.session, out.write, options).run()
            out.flush()
        except OSError as e:  # writing failed (the client's errors are ClientErrors)
            failed = e
    if failed is not None:
        raise failed  # as for any output: a closed pipe ends quietly, a full disk is named


def dump_files(state: ShellState, args: list[str]) -> None:
    """``.dump ADDRESS [DATABASE] [--force]``: the node's files, here."""
    words, force = _split_force(".dump", args, (1, 2))
    address = words[0]
    database = words[1] if len(words) > 1 else state.database
    with node_connection(state, address) as conn, \
            failures(f"dump {json.dumps(database)} from {address}"):
        files = database_files(conn.dump, database)
    if files is None:
        raise CommandError(f"node {address} has no database {json.dumps(database)}")
    names = [safe_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise CommandError(f"node {address} sent two files named alike: {', '.join(names)}")
    paths = [os.path.join(os.getcwd(), name) for name in names]
    if not force:
        for name, path in zip(names, paths, strict=True):
            if os.path.lexists(path):
                raise _exists(name)
    for name, path, (_, data) in zip(names, paths, files, strict=True):
        with failures(f"cannot write {name}"):
            try:
                write_private(path, data, force)
            except FileExistsError:
                raise _exists(name) from None
        state.print(name)


def _publish(tmp: str, target: str, force: bool) -> None:
    """Move the finished ``tmp`` to ``target`` (never replacing it without force)."""
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails when target exists, even if created meanwhile
    except FileExistsError:
        raise _exists(target) from None
    except OSError:  # no hard links here
        if os.path.lexists(target):
            raise _exists(target) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


@command(".backup FILE [--force]",
         "Save the current database as one standalone SQLite file (mode 0600)",
         args=(1, 2), complete=(FILE, TEXT))
def backup(state: ShellState, args: list[str]) -> None:
    """Takes the database and its WAL from the leader, lets SQLite apply the
    WAL (empty from dqlite 1.18.3, whose database file holds everything) and
    writes the result, in rollback-journal mode, to FILE. An existing FILE is
    left alone unless --force is given."""
    words, force = _split_force(".backup", args, (1, 1))
    target = words[0]
    if not force and os.path.lexists(target):
        raise _exists(target)
    with failures(f"backup of {json.dumps(state.database)}"):
        files = database_files(state.session.dump, state.database)
    if files is None or not files[0][1]:
        raise CommandError(f"the leader has no database {json.dumps(state.database)}")
    wal = next((data for name, data in files[1:] if name.endswith("-wal")), b"")
    tmp = None
    try:
        with tempfile.TemporaryDirectory(prefix="dqlite-backup-") as scratch:
            main = os.path.join(scratch, "db")
            write_private(main, files[0][1], False)
            if wal:
                write_private(main + "-wal", wal, False)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(target)),
                                       prefix=".dqlite-backup-", suffix=".tmp")
            os.close(fd)
            source = sqlite3.connect(main)
            try:
                dest = sqlite3.connect(tmp)
                try:
                    source.backup(dest)
                    dest.execute("PRAGMA journal_mode=DELETE").fetchall()
                finally:
                    dest.close()
            finally:
                source.close()
        os.chmod(tmp, 0o600)
        _publish(tmp, target, force)
        tmp = None
    except sqlite3.Error as e:
        raise CommandError(f"backup to {target}: {e}") from None
    except OSError as e:
        raise CommandError(f"backup to {target}: {e.strerror or e}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


@command(".restore FILE [--append]",
         "Load the SQLite database FILE (tables, rows, indexes, views, triggers) into the "
         "current database", args=(1, 2), complete=(FILE, TEXT), changes=True)
def restore(state: ShellState, args: list[str]) -> None:
    """FILE is a standalone SQLite database file (sqlite3's, or one .backup
    wrote). The current database must have no tables (--append adds to the
    ones it has: a table of the same name gets the file's rows, an index,
    view or trigger of the same name is kept as it is).

    Order: the tables, their rows (parents before the tables whose foreign
    keys refer to them; batched transactions, progress on a terminal),
    sqlite_sequence, then the indexes, views and triggers. Foreign keys,
    which dqlite enforces, are off for the load (deferred to COMMIT inside
    an open transaction) and checked after it. Rowids are kept (WITHOUT
    ROWID tables have none). Virtual tables are refused;
    sqlite_stat tables are not copied (ANALYZE makes them). At the end the
    rows of each table are counted in FILE and in dqlite and printed; a
    difference is an error. A refused row stops the load, naming its table
    and row number; the tables before it and the rows committed stay."""
    from dqlite_shell.shell.restore import Restore
    words = [a for a in args if a != "--append"]
    if len(words) != 1 or len(args) - len(words) > 1:
        raise usage_error(".restore")
    with failures("restore"):
        Restore(state, words[0], append=len(words) != len(args)).run()


# -- .reconfigure -------------------------------------------------------------

def parse_cluster_yaml(text: str, path: str = "cluster.yaml") -> list[tuple[int, str, int]]:
    """The nodes of a go-dqlite ``cluster.yaml`` as ``[(id, address, role)]``,
    checked for ``.reconfigure``: every node has an ID and one is a voter.

    Raises ValueError naming ``path`` and the line.
    """
    from dqlite_shell.client.nodestore import parse_yaml
    members: list[tuple[int, str, int]] = []
    for node in parse_yaml(text, path):
        if node.id is None:
            raise ValueError(f"{path}:{node.line}: this node has no ID")
        members.append((node.id, node.address, node.role))
    if not any(role == 0 for _, _, role in members):
        raise ValueError(f"{path}: no node is a voter (Role: 0)")
    return members


def accepts_connections(address: str) -> bool:
    """Whether something accepts TCP connections at ``address`` (a node seems to run there)."""
    from dqlite_shell.address import AddressError, parse_address
    try:
        addr = parse_address(address)
    except AddressError:
        return False
    try:
        with socket.socket(addr.family, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(addr.sockaddr())
        return True
    except OSError:
        return False


@command(".reconfigure DIR CLUSTER_YAML",
         "Disaster recovery: force the membership kept in a STOPPED node's DIR to "
         "CLUSTER_YAML (see .help .reconfigure)",
         args=(2, 2), complete=(FILE, FILE), changes=True, destructive=True)
def reconfigure(state: ShellState, args: list[str]) -> None:
    """Use it to save the data of a cluster that cannot work any more (say,
    most voters are gone for good) by giving it a new membership.

      DIR           data dir of the node with the most recent data (the
                    highest Raft term and log index); its info.yaml says the
                    node's id and address.
      CLUSTER_YAML  the wanted membership, in the shape of go-dqlite's
                    cluster.yaml: a list of "- ID: <n>", "Address: <host:port>",
                    "Role: <0 voter, 1 stand-by, 2 spare>". The IDs must match
                    those in each node's info.yaml.

    Steps:
      0. Back up EVERY node's data dir first.
      1. Stop all the nodes.
      2. Pick the dir with the most recent term and log (DIR).
      3. Write CLUSTER_YAML (or adapt an existing cluster.yaml).
      4. Run .reconfigure DIR CLUSTER_YAML; it prints OK.
      5. Copy the snapshot-*, snapshot-*.meta and segment files and
         CLUSTER_YAML (as cluster.yaml) from DIR to the dir of every other
         node in CLUSTER_YAML, after deleting their own snapshot-*, segment
         (0000...-0000..., open-*) and metadata1/metadata2 files; keep an
         info.yaml in each that agrees with cluster.yaml.
      6. Start all the nodes.
      7. If that fails, start again from the backups with another node's data.

    The shell refuses when something accepts connections at the node's
    address (the node seems to be running)."""
    from dqlite_shell.native import Node, nodeinfo

    data_dir, yaml_path = args
    if not os.path.isdir(data_dir):
        raise CommandError(f"{data_dir}: not a directory")
    try:
        with open(yaml_path, encoding="utf-8") as f:
            text = f.read()
        nodes = parse_cluster_yaml(text, yaml_path)
        info = nodeinfo.read(data_dir)
    except OSError as e:
        raise CommandError(f"{e.filename or yaml_path}: {e.strerror or e}") from None
    except ValueError as e:  # UnicodeDecodeError too
        raise CommandError(str(e)) from None
    if info is None:
        raise CommandError(f"{nodeinfo.path_in(data_dir)} does not exist: cannot tell the "
                           "node's id and address")
    if not any(os.path.exists(os.path.join(data_dir, f"metadata{n}")) for n in (1, 2)):
        raise CommandError(f"{data_dir} holds no Raft data (no metadata1 or metadata2)")
    if accepts_connections(info.address):
        raise CommandError(f"a node seems to be running at {info.address} (the address in "
                           f"{nodeinfo.path_in(data_dir)}); stop it first")
    if not any(node_id == info.id and address == info.address
               for node_id, address, _ in nodes):
        state.warn(f"warning: this node ({info.id} at {info.address}) is not in {yaml_path}")
    with failures("reconfigure"):
        Node(info.address, data_dir, node_id=info.id).recover(nodes)
    state.print("OK")
