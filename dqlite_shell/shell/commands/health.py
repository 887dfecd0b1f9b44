"""Health dot-commands: ``.status`` (every member at once) and ``.collect``
(a support bundle); also what ``dqlite --ready`` runs.

The asking is :func:`dqlite_shell.client.health.survey`; this module only
shows its records (through the shell's formats) and packs the bundle.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, usage_error
from dqlite_shell.shell.commands.registry import FILE, TEXT, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.client.health import Survey
    from dqlite_shell.shell.state import ShellState

#: The columns of ``.status``, in every format.
COLUMNS = ["address", "id", "role", "reachable", "rtt_ms", "leader", "agrees",
           "failure_domain", "weight", "server", "cert_subject", "cert_expires", "note"]


def take_survey(state: ShellState) -> Survey:
    """Ask the members of the shell's cluster, bounded by ``--timeout``."""
    from dqlite_shell.client.health import survey
    addresses = list(state.servers)
    if state.connected_to and state.connected_to not in addresses:
        addresses.insert(0, state.connected_to)
    return survey(addresses, state.timeout, state.ssl_context, state.database)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else "yes" if value else "no"


def status_rows(found: Survey) -> list[tuple]:
    """One row of :data:`COLUMNS` per member."""
    from dqlite_shell.shell.commands.cluster import role_name
    from dqlite_shell.shell.errors import hint
    rows = []
    for m in found.members:
        role = (role_name(m.role) if m.member else "not a member" if m.member is False
                else None)
        # The shell's hint (--cert ...) when an exception says why.
        notes = [m.error + (hint(m.cause) if m.cause else "")] if m.error else []
        warning = m.cert_warning()
        if warning:
            notes.append(warning)
        rows.append((m.address, None if m.id is None else f"{m.id:x}", role,
                     _yes_no(m.reachable), None if m.rtt is None else round(m.rtt * 1000, 3),
                     m.leader, _yes_no(found.agrees(m)), m.failure_domain, m.weight,
                     m.server_range, m.cert_subject,
                     m.cert_expires.strftime("%Y-%m-%d") if m.cert_expires else None,
                     "; ".join(notes) or None))
    return rows


def verdict(found: Survey) -> str:
    """One line: ready or not, and why."""
    voters = found.voters
    up = sum(v.reachable for v in voters)
    if found.leader is None:
        return "not ready: no leader answered"
    counted = f"{up} of {len(voters)} voters reachable"
    if not found.quorum:
        return f"not ready: leader {found.leader}, but only {counted} (no quorum)"
    return f"ready: leader {found.leader}, {counted}"


def _warnings(state: ShellState, found: Survey) -> None:
    for m in found.members:
        warning = m.cert_warning()
        if warning:
            state.warn(f"warning: {warning}")
    if not found.ready:
        state.warn(f"warning: {verdict(found)}")


@command(".status", "One row per member: reachable, leader, role, weight, server, certificate",
         args=(0, None))
def status(state: ShellState, args: list[str]) -> None:
    """Asks every member at once (each within --timeout, so a dead member
    costs one timeout, not one per question): its address, id, role,
    whether it answers and its round trip (LEADER) in milliseconds, whom it
    names as leader and whether that agrees with the leader, its failure
    domain and weight (DESCRIBE), the releases it may run (the capability
    probes; a follower answers only the DUMP one, so it is placed at or
    above 1.18.3 or below), and with TLS its certificate's subject and
    expiry (a warning on stderr under 30 days). The members are the
    leader's configuration; without a leader, the servers given. A member
    that cannot be reached has its row, reachable no, and why in note.
    Offline (dqlite --offline DIR), what the data dir holds."""
    if state.offline is not None:
        from dqlite_shell.shell.commands.offline import offline_status
        return offline_status(state, args)
    if args:
        raise usage_error(".status")
    from dqlite_shell.shell import engine
    found = take_survey(state)
    engine.show(state, COLUMNS, [status_rows(found)])
    _warnings(state, found)


def ready(state: ShellState, verbose: bool) -> int:
    """``dqlite --ready``: 0 when a leader answers and a quorum of voters is
    reachable, else 1; quiet unless ``verbose`` (the .status rows on stdout,
    the verdict on stderr)."""
    found = take_survey(state)
    if verbose:
        from dqlite_shell.shell import engine
        engine.show(state, COLUMNS, [status_rows(found)])
        state.warn(verdict(found))
    return 0 if found.ready else 1


# -- .collect --------------------------------------------------------------------------


@contextmanager
def _captured(state: ShellState, mode: str) -> Iterator[io.StringIO]:
    """What commands print, in ``mode``, caught in a string."""
    from dqlite_shell.shell.state import Settings
    text = io.StringIO()
    saved = state.out, state.settings
    settings = Settings(mode=mode, headers=True, blob=saved[1].blob)
    state.out, state.settings = text, settings
    try:
        yield text
    finally:
        state.out, state.settings = saved


def _run_captured(state: ShellState, func, args: list[str], mode: str) -> tuple[str, str | None]:
    """(what ``func(state, args)`` printed, why it failed or None)."""
    from dqlite_shell.client.errors import ClientError
    from dqlite_shell.client.session import LeadershipLost, TransactionLost
    with _captured(state, mode) as text:
        try:
            with failures():
                func(state, args)
        except (CommandError, ClientError, LeadershipLost, TransactionLost) as e:
            from dqlite_shell.shell.errors import describe
            return text.getvalue(), describe(e)
    return text.getvalue(), None


MANIFEST_PROMISE = (
    "This bundle holds no TLS keys and no table data: only what the nodes said about\n"
    "themselves and the cluster, the schema (CREATE statements) of the current\n"
    "database, versions and capabilities, and the node addresses.\n")


@command(".collect FILE.tar.gz [--force]",
         "Write a support bundle (status, cluster, schema, versions; no data, no keys)",
         args=(1, 2), complete=(FILE, TEXT))
def collect(state: ShellState, args: list[str]) -> None:
    """FILE (a gzipped tar, mode 0600; an existing one only with --force)
    holds: .status (text and JSON), .cluster (the Go shell's text and JSON),
    .describe of every member, the schema of the current database, the
    client's version and what each server can do (.version, and the
    server column of .status), the node store (the members as go-dqlite's
    cluster.yaml, and the servers given), and a MANIFEST that lists the
    files, names the members that could not be reached and what could not
    be collected. It never holds table data nor keys."""
    from dqlite_shell.atomic_write import write_private
    from dqlite_shell.shell.commands.data import _exists, _split_force
    words, force = _split_force(".collect", args, (1, 1))
    target = words[0]
    if not force and os.path.lexists(target):
        raise _exists(target)
    bundle = _bundle(state)
    with failures(f"cannot write {target}"):
        try:
            write_private(target, bundle.tar(), force)
        except FileExistsError:
            raise _exists(target) from None
    state.print(f"{target}: {len(bundle.files)} files, {len(bundle.unreachable)} members "
                "unreachable")


class _Bundle:
    def __init__(self, stamp: str):
        self.stamp = stamp
        self.files: dict[str, str] = {}
        self.described: dict[str, str] = {}
        self.missing: dict[str, str] = {}  # file -> why it is not there
        self.unreachable: dict[str, str] = {}

    def add(self, name: str, what: str, text: str, why: str | None = None) -> None:
        if why is not None:
            self.missing[name] = why
            return
        self.files[name], self.described[name] = text, what

    def manifest(self, state: ShellState, found: Survey) -> str:
        from dqlite_shell.shell.commands.server import client_version
        lines = ["dqlite-shell support bundle", f"created: {self.stamp}",
                 f"client: {client_version()}", f"servers given: {', '.join(state.servers)}",
                 f"database: {state.database}", f"leader: {found.leader or 'none answered'}",
                 f"verdict: {verdict(found)}", "", "files:"]
        lines += [f"  {name}: {what}" for name, what in self.described.items()]
        if self.missing:
            lines += ["", "not collected:"] + [f"  {n}: {why}" for n, why in self.missing.items()]
        lines += ["", "unreachable members:"]
        lines += [f"  {a}: {why}" for a, why in self.unreachable.items()] or ["  none"]
        return "\n".join(lines) + "\n\n" + MANIFEST_PROMISE

    def tar(self) -> bytes:
        out = io.BytesIO()
        top = "dqlite-collect-" + self.stamp.replace(":", "").replace("-", "")
        mtime = time.time()
        with tarfile.open(fileobj=out, mode="w:gz") as tar:
            for name, text in self.files.items():
                data = text.encode("utf-8")
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size, info.mode, info.mtime = len(data), 0o600, mtime
                tar.addfile(info, io.BytesIO(data))
        return out.getvalue()


def _bundle(state: ShellState) -> _Bundle:
    from dqlite_shell.client.nodestore import format_yaml
    from dqlite_shell.shell.commands import cluster, server, session
    found = take_survey(state)
    bundle = _Bundle(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    rows = status_rows(found)
    bundle.unreachable = {m.address: m.error or "unreachable" for m in found.members
                          if not m.reachable}
    for mode, name in (("table", "status.txt"), ("json", "status.json")):
        with _captured(state, mode) as captured:
            from dqlite_shell.shell import engine
            engine.show(state, COLUMNS, [rows])
        bundle.add(name, f".status ({mode})", captured.getvalue())
    # What the members said about themselves, as .describe prints it.
    asked = [m for m in found.members if m.failure_domain is not None]
    bundle.add("describe.txt", ".describe of every member that answered (ADDRESS|FAILURE_DOMAIN|"
               "WEIGHT)", "".join(f"{m.address}|{m.failure_domain}|{m.weight}\n" for m in asked))
    bundle.add("describe.json", ".describe of every member that answered (JSON)",
               cluster.go_json({m.address: {"FailureDomain": m.failure_domain,
                                            "Weight": m.weight} for m in asked}) + "\n")
    members = [m for m in found.members if m.member]
    if members:
        bundle.add("cluster.yaml", "the node store: the leader's configuration as go-dqlite's "
                   "cluster.yaml", format_yaml([(m.id, m.address, int(m.role or 0))
                                                for m in members if m.id is not None]))
    bundle.add("servers.txt", "the servers given to the shell",
               "".join(f"{a}\n" for a in state.servers))
    no_leader = None if found.leader else "no leader answered"
    for name, what, func, mode in (
            ("cluster.txt", ".cluster (the Go shell's text)", cluster.cluster, "list"),
            ("cluster.json", ".cluster (the Go shell's JSON)", cluster.cluster, "json"),
            ("schema.sql", f".schema of database {json.dumps(state.database)}",
             session.schema, "list"),
            ("version.txt", ".version: the client and the leader's capabilities",
             server.version, "table"),
            ("version.json", ".version (JSON)", server.version, "json")):
        if no_leader:
            bundle.add(name, what, "", no_leader)
            continue
        text, why = _run_captured(state, func, [], mode)
        bundle.add(name, what, text, why)
    bundle.files = {"MANIFEST": bundle.manifest(state, found), **bundle.files}
    return bundle
