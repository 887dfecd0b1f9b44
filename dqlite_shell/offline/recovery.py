"""Getting a cluster back from its nodes' data dirs (``.freshest``, ``.recover``).

:func:`candidates` sums up each dir (its node, last log entry, snapshot);
:func:`freshest` picks the one raft would call the most up to date (the
highest last term, then the highest last index: raft's own comparison,
src/raft/election.c electionUpdatedLog); :func:`check` finds what forbids a
recovery (dirs that disagree about ids and addresses, running nodes);
:func:`plan` turns ``--voters`` into the new membership; :func:`backup`
writes a dir's tarball; :func:`copy_steps` are the shell commands that give
the other voters the recovered data, as ``.reconfigure``'s runbook says.

The last entry is read by the offline readers, never by libdqlite's
``dqlite_node_describe_last_entry``: with auto-recovery on it may delete
segment files it finds invalid, and a recovery must not start by changing
the dirs it compares.
"""

from __future__ import annotations

import os
import shlex
import tarfile
from dataclasses import dataclass

from dqlite_shell.offline import configuration
from dqlite_shell.offline import metadata as metadata_files
from dqlite_shell.offline import segments as segment_files
from dqlite_shell.offline import snapshots as snapshot_files
from dqlite_shell.offline.datadir import DataDir

CLUSTER_YAML = "cluster.yaml"


class RecoveryError(ValueError):
    """Why a recovery cannot go on (one line)."""


@dataclass(frozen=True)
class Candidate:
    """One data dir as ``.freshest`` compares it."""
    dir: DataDir
    id: int | None  # from info.yaml
    address: str | None
    last_index: int | None  # of the last entry held (the snapshot's when the log is empty)
    last_term: int | None
    snapshot_index: int | None

    @property
    def path(self) -> str:
        return self.dir.path

    @property
    def key(self) -> tuple[int, int]:
        return (self.last_term or 0, self.last_index or 0)


def last_entry(d: DataDir) -> tuple[int | None, int | None]:
    """``(index, term)`` of the last entry held in ``d`` (the latest
    snapshot's when no segment holds an entry), or ``(None, None)``."""
    for segment in reversed(d.segments):
        if segment.entries and segment.last is not None:
            return segment.last, segment.entries[-1].term
    if d.snapshot is not None:
        return d.snapshot.index, d.snapshot.term
    return None, None


def candidates(dirs: list[DataDir]) -> list[Candidate]:
    """Each dir summed up, in the order given."""
    found = []
    for d in dirs:
        index, term = last_entry(d)
        info = d.info
        found.append(Candidate(d, info.id if info else None, info.address if info else None,
                               index, term, d.snapshot.index if d.snapshot else None))
    return found


def freshest(found: list[Candidate]) -> Candidate:
    """The most up-to-date dir: the highest last term, then the highest
    last index (the first given of equals)."""
    return max(found, key=lambda c: c.key)  # max keeps the first of equals


def explain(best: Candidate, found: list[Candidate]) -> str:
    """One line: why ``best`` is the freshest."""
    line = (f"{best.path} is the freshest: highest term {best.last_term}, then highest index "
            f"{best.last_index}")
    ties = [c.path for c in found if c is not best and c.key == best.key]
    if best.last_index is None:
        return f"{best.path} is the freshest, but no dir holds any log entry or snapshot"
    if ties:
        line += f" (as fresh as {', '.join(ties)}: either will do)"
    return line


def latest_configuration(d: DataDir):
    """The newest membership ``d`` holds: the last change entry's, else the
    latest snapshot's. ``(where, servers)`` or ``(None, None)``."""
    for index, entry in reversed(list(d.entries())):
        if entry.type == 3:
            try:
                return f"entry {index}", configuration.decode(d.entry_data(entry))
            except (ValueError, OSError):
                continue
    if d.snapshot is not None:
        return f"snapshot at {d.snapshot.index}", d.snapshot.servers
    return None, None


# -- what forbids a recovery ------------------------------------------------------

def check(found: list[Candidate], accepts_connections) -> None:
    """RecoveryError when the dirs cannot be recovered together: a dir with
    no info.yaml, a dir given twice, two dirs of one id or address, a
    cluster.yaml or Raft configuration in one dir that contradicts another
    dir's info.yaml, or a dir whose node runs (it holds dqlite-lock, or
    ``accepts_connections(address)`` says something listens at its address)."""
    seen: dict[str, str] = {}
    for c in found:
        real = os.path.realpath(c.path)
        if real in seen:
            raise RecoveryError(f"{c.path} is given twice (also as {seen[real]})")
        seen[real] = c.path
        if c.id is None:
            raise RecoveryError(f"{c.path}: no info.yaml: cannot tell the node's id and address")
    for i, a in enumerate(found):
        for b in found[i + 1:]:
            if a.id == b.id:
                raise RecoveryError(f"{a.path} and {b.path} both say they are node {a.id} "
                                    "(info.yaml)")
            if a.address == b.address:
                raise RecoveryError(f"{a.path} and {b.path} both say they are the node at "
                                    f"{a.address} (info.yaml)")
    ids = {c.id: c for c in found}
    addresses = {c.address: c for c in found}
    for c in found:
        claims = [(os.path.join(c.path, CLUSTER_YAML), n.id, n.address)
                  for n in c.dir.cluster or ()]
        where, servers = latest_configuration(c.dir)
        claims += [(f"{c.path} (Raft configuration, {where})", s.id, s.address)
                   for s in servers or ()]
        for source, node_id, address in claims:
            other = ids.get(node_id)
            if other is not None and other.address != address:
                raise RecoveryError(f"the dirs disagree: {source} puts node {node_id} at "
                                    f"{address}, {other.path}/info.yaml at {other.address}")
            other = addresses.get(address)
            if other is not None and other.id != node_id:
                raise RecoveryError(f"the dirs disagree: {source} says {address} is node "
                                    f"{node_id}, {other.path}/info.yaml says node {other.id}")
    for c in found:
        holder = c.dir.lock_holder()
        if holder is not None:
            raise RecoveryError(f"{c.path} belongs to a running node (process {holder} holds "
                                "its dqlite-lock): stop it first")
        if accepts_connections(c.address):
            raise RecoveryError(f"{c.path} seems to belong to a running node (something "
                                f"accepts connections at {c.address}, its info.yaml address): "
                                "stop it first")


def plan(found: list[Candidate], voters: list[str]) -> tuple[Candidate, list[tuple[int, str, int]]]:
    """The dir to recover and the new membership ``[(id, address, role)]``:
    the voters, each the address of a dir given (its id from info.yaml);
    the freshest dir (of equally fresh ones, a voter) must be one of them."""
    by_address = {c.address: c for c in found}
    nodes: list[tuple[int, str, int]] = []
    for address in voters:
        c = by_address.get(address)
        if c is None or c.id is None:  # a dir without info.yaml has no address either
            known = ", ".join(f"{c.address} ({c.path})" for c in found)
            raise RecoveryError(f"--voters: {address} is not the address of any dir given "
                                f"(their info.yaml: {known})")
        if any(n[1] == address for n in nodes):
            raise RecoveryError(f"--voters: {address} is given twice")
        nodes.append((c.id, address, 0))
    best = freshest(found)
    # Of equally fresh dirs, a voter's: any of them holds the same log.
    best = next((c for c in found if c.key == best.key and c.address in voters), best)
    if best.last_index is None:
        raise RecoveryError("no dir holds any log entry or snapshot: nothing to recover")
    if best.address not in voters:
        raise RecoveryError(f"the freshest dir {best.path} (node {best.id} at {best.address}) "
                            "must be one of the --voters: its data is the one kept")
    return best, nodes


# -- backups, copy steps ----------------------------------------------------------

def backup_path(path: str, backup_dir: str | None, stamp: str, taken: set[str]) -> str:
    """Where ``path``'s tarball goes: ``NAME-STAMP.tar.gz`` in ``backup_dir``
    or beside the dir, never inside any dir given (checked by the caller)."""
    name = os.path.basename(os.path.normpath(os.path.abspath(path)))
    folder = os.path.abspath(backup_dir) if backup_dir else os.path.dirname(
        os.path.normpath(os.path.abspath(path)))
    target = os.path.join(folder, f"{name}-{stamp}.tar.gz")
    n = 2
    while target in taken or os.path.lexists(target):
        target = os.path.join(folder, f"{name}-{stamp}-{n}.tar.gz")
        n += 1
    taken.add(target)
    return target


def inside(target: str, dirs: list[str]) -> str | None:
    """The dir of ``dirs`` that ``target`` would be inside, or None."""
    real = os.path.realpath(target)
    for d in dirs:
        root = os.path.realpath(d)
        if os.path.commonpath([real, root]) == root:
            return d
    return None


def backup(path: str, target: str) -> int:
    """Write ``path`` (the whole dir) to the new gzip tarball ``target``
    (mode 0600, never replacing a file); returns its size in bytes."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        f = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        os.unlink(target)
        raise
    try:
        with f, tarfile.open(fileobj=f, mode="w:gz") as tar:
            tar.add(path, arcname=os.path.basename(os.path.normpath(os.path.abspath(path))))
    except BaseException:
        os.unlink(target)
        raise
    return os.path.getsize(target)


def raft_files(path: str) -> list[str]:
    """The names of raft's log, snapshot and metadata files in ``path``, sorted."""
    names = []
    for name in sorted(os.listdir(path)):
        if (segment_files.match(name) or snapshot_files.match(name)
                or snapshot_files.DATA_NAME.match(name) or name in metadata_files.NAMES):
            names.append(name)
    return names


def copy_steps(source: Candidate, others: list[Candidate]) -> list[str]:
    """Shell lines (absolute paths) that give each of ``others`` the
    recovered data of ``source``: delete its own segments, snapshots and metadata, then copy
    ``source``'s segments, snapshots and cluster.yaml (not its metadata,
    nor info.yaml, which stays each node's own)."""
    copied = [n for n in raft_files(source.path) if n not in metadata_files.NAMES]
    if os.path.exists(os.path.join(source.path, CLUSTER_YAML)):
        copied.append(CLUSTER_YAML)
    lines = []
    origin = os.path.abspath(source.path)
    for c in others:
        target = os.path.abspath(c.path)
        lines.append(f"# node {c.id} at {c.address}: {target}")
        old = raft_files(target)
        if old:
            lines.append("rm -f -- " + " ".join(shlex.quote(os.path.join(target, n))
                                                 for n in old))
        lines.append("cp -p -- " + " ".join(shlex.quote(os.path.join(origin, n))
                                             for n in copied)
                     + " " + shlex.quote(target + "/"))
    return lines
