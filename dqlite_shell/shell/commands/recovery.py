"""The recovery assistant of offline mode (``dqlite --offline DIR1 DIR2 ...``):
``.freshest`` (which dir has the most up-to-date log) and ``.recover``
(``.reconfigure`` on the freshest dir, with checks, backups, a plan to
confirm, and the copy steps for the other nodes). The logic lives in
:mod:`dqlite_shell.offline.recovery`; here are the commands and their output.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, usage_error
from dqlite_shell.shell.commands.registry import FILE, TEXT, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


def _dirs(state: ShellState, name: str):
    if state.offline is None:
        raise CommandError(f"{name} reads stopped nodes' data dirs: start the shell with "
                           "dqlite --offline DIR1 DIR2 ...")
    return state.offline.dirs


def _blank(value) -> object:
    return "" if value is None else value


@command(".freshest", "Offline: which data dir has the most up-to-date Raft log (the one "
         ".recover keeps)")
def freshest(state: ShellState, args: list[str]) -> None:
    """For each data dir given to ``dqlite --offline DIR1 DIR2 ...``, one
    row: dir, node id and address (info.yaml), the index and term of the
    last log entry held, and the latest snapshot's index. Then one line
    naming the freshest: the highest last term, then the highest last index,
    as raft compares logs in an election. The dirs are only read."""
    from dqlite_shell.offline import recovery
    from dqlite_shell.shell import engine
    found = recovery.candidates(_dirs(state, ".freshest"))
    engine.show(state, ["dir", "id", "address", "last_index", "last_term", "snapshot_index"],
                [[(c.path, _blank(c.id), _blank(c.address), _blank(c.last_index),
                   _blank(c.last_term), _blank(c.snapshot_index)) for c in found]])
    state.print(recovery.explain(recovery.freshest(found), found))


def _options(args: list[str]) -> tuple[list[str], str | None, bool]:
    voters, backup_dir, yes = None, None, False
    words = list(args)
    while words:
        word = words.pop(0)
        if word == "--yes":
            yes = True
        elif word in ("--voters", "--backup-dir"):
            if not words:
                raise usage_error(".recover", f"{word} takes a value")
            value = words.pop(0)
            if word == "--voters":
                voters = [a.strip() for a in value.split(",") if a.strip()]
            else:
                backup_dir = value
        else:
            raise usage_error(".recover", f"unknown argument {word!r}")
    if not voters:
        raise usage_error(".recover", "--voters ADDR,... is required")
    return voters, backup_dir, yes


@command(".recover --voters ADDR,... [--backup-dir DIR] [--yes]",
         "Offline: give the cluster of the data dirs a new membership (.reconfigure on the "
         "freshest, with backups; see .help .recover)",
         args=(0, 5), complete=(TEXT, TEXT, TEXT, FILE, TEXT), changes=True)
def recover(state: ShellState, args: list[str]) -> None:
    """Disaster recovery of a cluster whose nodes are all stopped, from
    their data dirs (``dqlite --offline DIR1 DIR2 ...``: every node's dir,
    or copies of them). It:

      1. checks the dirs: each has an info.yaml, ids and addresses are
         unique and agree with every dir's cluster.yaml and Raft
         configuration, and no node runs (its dqlite-lock is held, or
         something accepts connections at its address): else it stops;
      2. picks the freshest dir (see .freshest); it must be a voter;
      3. shows the plan and asks (y/N) in the REPL or on a terminal; a
         script must give --yes, else it stops after the plan;
      4. writes a gzip tarball of each dir (mode 0600) beside it, or in
         --backup-dir, named DIR-YYYYMMDDTHHMMSSZ.tar.gz (never inside a dir);
      5. forces the freshest dir's Raft configuration to the voters (as
         .reconfigure does) and writes their cluster.yaml there;
      6. prints the shell lines that give the other voters its data: delete
         their segments, snapshots and metadata1/2, copy its segments,
         snapshots and cluster.yaml (each keeps its own info.yaml).

    ADDR are the voters' addresses, as their info.yaml says. Dirs not among
    them are left out of the new cluster (and alone). Then run the copy
    lines and start the voters."""
    from dqlite_shell.offline import recovery
    from dqlite_shell.shell.commands.data import accepts_connections

    voters, backup_dir, yes = _options(args)
    dirs = _dirs(state, ".recover")
    found = recovery.candidates(dirs)
    try:
        recovery.check(found, accepts_connections)
        best, nodes = recovery.plan(found, voters)
    except recovery.RecoveryError as e:
        raise CommandError(f"recover: {e}") from None
    if backup_dir is not None:
        if not os.path.isdir(backup_dir):
            raise CommandError(f"recover: --backup-dir {backup_dir}: not a directory")
        within = recovery.inside(backup_dir, [c.path for c in found])
        if within is not None:
            raise CommandError(f"recover: --backup-dir {backup_dir} is inside the data dir "
                               f"{within}: backups go outside every dir")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    taken: set[str] = set()
    backups = [(c, recovery.backup_path(c.path, backup_dir, stamp, taken)) for c in found]
    others = [c for c in found if c is not best and c.address in voters]
    left_out = [c for c in found if c.address not in voters]

    state.print(recovery.explain(best, found))
    state.print("plan:")
    for c, target in backups:
        state.print(f"  back up {c.path} to {target}")
    members = ", ".join(f"{i}@{a}" for i, a, _ in nodes)
    state.print(f"  in {best.path} (node {best.id} at {best.address}): force the Raft "
                f"configuration to the voters {members}, and write them to its cluster.yaml")
    for c in others:
        state.print(f"  then give {c.path} (node {c.id} at {c.address}) that data: the copy "
                    "lines follow")
    for c in left_out:
        state.print(f"  leave {c.path} (node {c.id} at {c.address}) alone: not a member of the "
                    "new cluster; do not start it with this data")
    if not _go_ahead(state, yes):
        return
    with failures("recover: backup"):
        for c, target in backups:
            size = recovery.backup(c.path, target)
            state.print(f"backed up {c.path} to {target} ({size} bytes)")
    _apply(state, best, nodes)
    state.print(f"recovered {best.path}: its Raft configuration is now {members}")
    lines = recovery.copy_steps(best, others)
    if lines:
        state.print("now run, with every node still stopped:")
        for line in lines:
            state.print(line)
    starts = ", ".join(f"{c.address} ({c.path})" for c in [best, *others])
    state.print(f"then start the voters: {starts}")


def _go_ahead(state: ShellState, yes: bool) -> bool:
    """True to apply the plan: --yes, or -y on the command line in the REPL,
    or a yes to the question on a terminal. A script without --yes stops
    with a CommandError."""
    if yes or (state.interactive and not state.confirm):
        return True
    asks = state.interactive or (sys.stdin.isatty()
                                 and not getattr(state, "stdin_is_script", False))
    if not asks:
        raise CommandError("recover: nothing done: a script must add --yes to apply this plan")
    from dqlite_shell.shell.rails import ask
    if ask():
        return True
    state.warn("recover: nothing done")
    return False


def _apply(state: ShellState, best, nodes: list[tuple[int, str, int]]) -> None:
    """``.reconfigure`` on the freshest dir, then its new cluster.yaml."""
    from dqlite_shell.atomic_write import write_private
    from dqlite_shell.client.nodestore import format_yaml
    from dqlite_shell.native import Node
    from dqlite_shell.offline import recovery
    with failures("recover"):
        Node(best.address, best.path, node_id=best.id).recover(nodes)
        write_private(os.path.join(best.path, recovery.CLUSTER_YAML),
                      format_yaml(nodes).encode(), True)
