"""The dot-commands of offline mode (``dqlite --offline DIR``): ``.log``,
and the offline meanings of ``.status``, ``.open`` and ``.backup``.

:func:`offline_variant` is where registry.run asks, in offline mode, what
a command does there: the commands that only shape output or read scripts
run as they are, ``.open`` and ``.backup`` become the versions here, and
the rest (anything that asks the cluster) is one line saying it needs a
running cluster.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, usage_error
from dqlite_shell.shell.commands.registry import TEXT, Command, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.offline.session import Offline
    from dqlite_shell.shell.state import ShellState

#: Commands that run offline as they are: output, settings, scripts, and
#: the ones that only query the database (answered by the rebuilt one).
LOCAL = frozenset({
    ".bail", ".blob", ".changes", ".databases", ".exit", ".expanded", ".freshest", ".headers",
    ".help", ".indexes", ".last", ".log", ".maxrows", ".mode", ".nullvalue", ".once", ".output",
    ".pager", ".print", ".quit", ".read", ".recover", ".schema", ".separator", ".show", ".status",
    ".tables", ".timeout", ".timer", ".width",
})


def offline_variant(state: ShellState, cmd: Command) -> Command:
    """The command to run for ``cmd`` in offline mode; CommandError when it
    needs a running cluster."""
    if cmd.name in LOCAL:
        return cmd
    variant = _VARIANTS.get(cmd.name)
    if variant is not None:
        usage, summary, args, func = variant
        return dataclasses.replace(cmd, usage=usage, summary=summary, func=func,
                                   min_args=args[0], max_args=args[1])
    raise CommandError(f"offline: {cmd.name} needs a running cluster (this shell reads the "
                       f"data dir {_offline(state).dir.path})")


def _offline(state: ShellState) -> Offline:
    """The data dir the shell reads: the commands here run in offline mode only."""
    if state.offline is None:
        raise CommandError("offline: this shell reads no data dir (dqlite --offline DIR)")
    return state.offline


# -- .status --------------------------------------------------------------------

def offline_status(state: ShellState, args: list[str]) -> None:
    """What the data dir holds, one row per item: the node (info.yaml), the
    members (cluster.yaml, the latest configuration), raft's metadata, each
    segment and snapshot, gaps, and each finding (``FILE: offset N: ...``)."""
    from dqlite_shell.shell import engine
    if args:
        raise CommandError("usage: .status (offline: no arguments)")
    engine.show(state, ["item", "value"], [list(_status_rows(_offline(state)))])


def _status_rows(offline) -> Iterator[tuple[str, str]]:
    from dqlite_shell.offline import configuration
    d = offline.dir
    yield "data dir", os.path.abspath(d.path)
    holder = d.lock_holder()
    if holder is not None:
        yield "running", f"yes: process {holder} holds dqlite-lock; the files may change " \
                         "while they are read"
    if d.info is not None:
        yield "node", f"{d.info.id} ({d.info.id:#x}) at {d.info.address} (info.yaml)"
    else:
        yield "node", "unknown: no info.yaml"
    if d.cluster is not None:
        for node in d.cluster:
            yield "cluster.yaml", f"{node.id}@{node.address} ({_role(node.role)})"
    where, servers = _latest_configuration(offline)
    if servers is not None:
        yield "configuration", f"{configuration.describe(servers)} ({where})"
    meta = d.current_metadata
    for m in d.metadata:
        current = ", current" if m is meta else ""
        yield m.file, f"term {m.term}, voted for {m.voted_for or 'nobody'}, version {m.version}" \
                      f"{current}"
    if not d.metadata:
        yield "metadata", "none (metadata1, metadata2 missing or unusable)"
    first, last = d.first_index, d.last_index
    yield "log", (f"entries {first} to {last}" if first is not None else "no entries") + \
        f" in {len(d.segments)} segments"
    for s in d.segments:
        yield "segment", _segment_line(s)
    for gap in d.gaps:
        yield "gap", str(gap)
    for s in d.snapshots:
        yield "snapshot", _snapshot_line(s)
    if offline.database is not None:
        yield "open", f"{offline.database} as of index {offline.index} ({offline.pages} pages)"
    for finding in d.findings:
        yield "finding", str(finding)
    if not d.findings:
        yield "findings", "none: every checksum matches"


def _role(role) -> str:
    from dqlite_shell.wire.constants import Role
    try:
        return Role(role).name.lower()
    except ValueError:
        return f"role {role}"


def _latest_configuration(offline):
    """The newest configuration held (see offline.recovery.latest_configuration)."""
    from dqlite_shell.offline.recovery import latest_configuration
    return latest_configuration(offline.dir)


def _segment_line(s) -> str:
    kind = "open" if s.is_open else "closed"
    if s.unwritten:
        return f"{s.name}: open, never written"
    held = f"entries {s.first} to {s.last}" if s.last is not None else "no entries"
    return f"{s.name}: {kind}, {held}, {s.size} bytes"


def _snapshot_line(s) -> str:
    size = "data file missing" if s.size is None else f"{s.size} bytes"
    if s.compressed is not None:
        size += ", LZ4" if s.compressed else ", plain"
    state = "" if s.valid else ", unusable"
    return f"{s.data_file}: index {s.index}, term {s.term}, {size}{state}"


# -- .log -------------------------------------------------------------------------

@command(".log [--from INDEX] [--limit N]",
         "Offline: the Raft log entries of the data dir (index, term, type, size, command)",
         args=(0, 4), complete=(TEXT,))
def log(state: ShellState, args: list[str]) -> None:
    """The entries of the Raft log kept in the data dir (``dqlite --offline
    DIR``), one row each: index, term, type (command, barrier, change),
    size in bytes, and for a command its kind (open, frames, undo,
    checkpoint), its database and what it does (a frames command: the page
    numbers written, and whether it commits). --from INDEX starts there,
    --limit N stops after N rows."""
    from dqlite_shell.shell import engine
    if state.offline is None:
        raise CommandError(".log reads a stopped node's data dir: start the shell with "
                           "dqlite --offline DIR")
    start, limit = _log_options(args)
    engine.show(state, ["index", "term", "type", "size", "command", "database", "detail"],
                _log_batches(state.offline.dir, start, limit))


def _log_options(args: list[str]) -> tuple[int, int | None]:
    """``.log``'s ``--from N`` (default 1) and ``--limit N`` (default none)."""
    start: int = 1
    limit: int | None = None
    words = list(args)
    while words:
        name = words.pop(0)
        if name not in ("--from", "--limit") or not words:
            raise usage_error(".log")
        value = words.pop(0)
        try:
            number = int(value)
        except ValueError:
            raise usage_error(".log", f"{name} takes a number, not {value!r}") from None
        if number < 0:
            raise usage_error(".log", f"{name} cannot be negative")
        if name == "--from":
            start = number
        else:
            limit = number
    return start, limit


def _log_batches(d, start: int, limit: int | None) -> Iterator[list[tuple]]:
    from dqlite_shell.offline import commands, configuration
    batch: list[tuple] = []
    count = 0
    for index, entry in d.entries(start):
        if limit is not None and count >= limit:
            break
        kind = database = detail = None
        if entry.type in (1, 3):
            with failures(f"{entry.file}"):
                data = d.entry_data(entry)
            try:
                if entry.type == 3:
                    detail = configuration.describe(configuration.decode(data))
                else:
                    decoded = commands.decode(data)
                    kind, database = decoded.kind, decoded.filename
                    detail = decoded.summary().removeprefix(f"{database}: ") \
                        if database else decoded.summary()
            except ValueError as e:
                detail = f"undecodable: {e}"
        batch.append((index, entry.term, entry.type_name, entry.size, kind, database, detail))
        count += 1
        if len(batch) >= 256:
            yield batch
            batch = []
    if batch:
        yield batch


# -- .open, .backup ---------------------------------------------------------------

def offline_open(state: ShellState, args: list[str]) -> None:
    """Rebuild DATABASE (default: the current one) as of INDEX (default
    latest) from the snapshot and log entries in the data dir, into a
    private temporary file; SQL then reads it."""
    name = state.database
    index = None
    words = list(args)
    if words and not (words[-1].isdigit() or words[-1] == "latest") or len(words) == 2:
        name = words.pop(0)
    if words:
        word = words.pop(0)
        if word != "latest":
            if not word.isdigit():
                raise CommandError(f"usage: .open [DATABASE] [latest|INDEX] (offline): "
                                   f"{word!r} is not an index")
            index = int(word)
    if not name:
        raise CommandError("usage: .open [DATABASE] [latest|INDEX] (offline)")
    o = _offline(state)
    o.open(name, index)
    state.database = name
    if state.interactive:
        state.warn(f"offline: {name} as of index {o.index} ({o.pages} pages), read-only")


def offline_backup(state: ShellState, args: list[str]) -> None:
    """Write the rebuilt database to FILE as a standalone SQLite file (mode 0600)."""
    path = args[-1]
    if len(args) == 2 and args[0] != "main":
        raise CommandError(f"offline: .backup writes the open database (main), not {args[0]}")
    target = os.path.realpath(path)
    offline = _offline(state)
    root = os.path.realpath(offline.dir.path)
    if os.path.commonpath([target, root]) == root:
        raise CommandError(f"offline: .backup will not write inside the data dir {root}")
    offline.connection()  # rebuilds the current database when none is yet
    offline.backup(path)


#: Offline meanings: usage, summary (.help), argument counts, function.
_VARIANTS = {
    ".open": (".open [DATABASE] [latest|INDEX]",
              "Rebuild DATABASE from the data dir as of INDEX (default: latest) and read it",
              (0, 2), offline_open),
    ".backup": (".backup [main] FILE", "Save the rebuilt database as one standalone SQLite file",
                (1, 2), offline_backup),
}
