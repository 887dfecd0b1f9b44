"""``dqlite-node``: run one dqlite node in the foreground until SIGTERM/SIGINT.

Exit status: 0 after a clean stop, 2 for bad flags, an unusable dir, a taken
address, a failed join, unusable certificate files, a missing libdqlite or an
option the loaded libdqlite lacks (one line on stderr each).

``--describe-last-entry`` prints the last Raft entry stored in DIR instead of
serving (libdqlite 1.17+): compare them across the dirs of a cluster that lost
its quorum to find the most up-to-date node.

With ``--cert``/``--key`` the node speaks TLS only (mutual, as go-dqlite's
app): libdqlite binds a private abstract socket behind a :class:`TLSFront` on
``--address``, peers are dialed over TLS and the join goes over TLS.
"""

from __future__ import annotations

import os
import signal
import sys

import click

from dqlite_shell import __version__
from dqlite_shell.app import entry
from dqlite_shell.app.join import join
from dqlite_shell.app.serving import start_node, stop_node
from dqlite_shell.app.stop_signals import StopSignals
from dqlite_shell.client.errors import ClientError
from dqlite_shell.native import nodeinfo
from dqlite_shell.native.errors import NativeError
from dqlite_shell.native.library import generate_node_id, require
from dqlite_shell.native.node import BOOTSTRAP_ID, OPTIONS, Node
from dqlite_shell.tls_options import tls_options
from dqlite_shell.wire.constants import ROLE_NAMES

PROG = "dqlite-node"


@click.command(name=PROG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-a", "--address", metavar="HOST:PORT",
              help="Address to serve clients and peers on (host:port or @name).")
@click.option("-d", "--dir", "data_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False), help="Data directory; created when missing.")
@click.option("--network-latency-ms", type=click.IntRange(min=1), metavar="MS",
              help="Typical round trip to peers, tunes Raft timeouts.")
@click.option("--failure-domain", type=click.IntRange(min=0), metavar="N",
              help="Failure domain code reported by .describe.")
@click.option("-j", "--join", "join_addresses", multiple=True, metavar="ADDRS",
              help="Join the cluster of these nodes (comma-separated, repeatable) "
                   "instead of bootstrapping a new one.")
@click.option("--role", type=click.Choice(ROLE_NAMES),
              help="Role to take when joining (default: voter; on a restart, the role kept).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              metavar="SECONDS", help="How long joining may take.")
@tls_options("TLS certificate of the node (with --key: TLS for clients and peers).",
             "TLS private key of the node.",
             "CA that signs the certificates of peers and clients (default: --cert).")
@click.option("--snapshot-threshold", type=click.IntRange(min=1), metavar="ENTRIES",
              help="Take a Raft snapshot every ENTRIES log entries (default: libdqlite's, 1024).")
@click.option("--snapshot-trailing", type=click.IntRange(min=4), metavar="ENTRIES",
              help="Log entries kept after a snapshot, at least the threshold (default: "
                   "libdqlite's, 8192); a peer further behind gets the snapshot.")
@click.option("--busy-timeout-ms", type=click.IntRange(0, 0xFFFFFFFF), metavar="MS",
              help="How long a write waits in the write queue before SQLITE_BUSY "
                   "(libdqlite 1.18.2+; default 0: at once).")
@click.option("--snapshot-compression/--no-snapshot-compression", default=None,
              help="LZ4-compress Raft snapshots (libdqlite 1.16.2+; default on).")
@click.option("--auto-recovery/--no-auto-recovery", default=None,
              help="Delete data files found corrupt at start (libdqlite 1.16+; default on).")
@click.option("--block-size", type=int, metavar="BYTES",
              help="I/O block size of Raft log segments, 512 to 262144, a power of 2 "
                   "(libdqlite 1.15+).")
@click.option("--describe-last-entry", is_flag=True,
              help="Print the index and term of the last Raft entry in DIR and exit "
                   "(libdqlite 1.17+; the node must be stopped).")
@click.option("-v", "--verbose", is_flag=True, help="Log what the node does.")
@click.version_option(__version__, "--version", prog_name=PROG)
def command(address, data_dir, network_latency_ms, failure_domain, join_addresses, role, timeout,
            cert, key, ca, snapshot_threshold, snapshot_trailing, busy_timeout_ms,
            snapshot_compression, auto_recovery, block_size, describe_last_entry, verbose):
    """Run one dqlite node in the foreground.

    A new DIR bootstraps a single-node cluster, or with --join becomes a
    member of an existing one; a DIR used before restarts the same node (its
    id and address are kept in DIR/info.yaml) and never joins twice.
    """
    if verbose:
        import logging
        logging.basicConfig(level=logging.DEBUG, format=f"{PROG}: %(message)s")
    later = dict(busy_timeout_ms=busy_timeout_ms, snapshot_compression=snapshot_compression,
                 auto_recovery=auto_recovery, block_size=block_size)
    for name, value in later.items():  # errors name the flag, not Node's keyword
        if value is not None:
            require(OPTIONS[name][0], "--" + name.replace("_", "-"))
    if describe_last_entry:
        require("dqlite_node_describe_last_entry", "--describe-last-entry")
        _describe_last_entry(data_dir, auto_recovery)
        return
    if not address:
        raise click.UsageError("Missing option '-a' / '--address'.")
    if (snapshot_threshold is None) != (snapshot_trailing is None):
        raise click.UsageError("--snapshot-threshold and --snapshot-trailing go together.")
    snapshot_params = None if snapshot_threshold is None else (snapshot_threshold,
                                                               snapshot_trailing)
    tls = _tls(cert, key, ca)
    try:
        os.makedirs(data_dir, exist_ok=True)
    except OSError as e:
        raise UsageFailure(f"cannot use data dir {data_dir}: {e.strerror}") from None
    try:
        info = nodeinfo.read(data_dir)
    except ValueError as e:
        raise UsageFailure(str(e)) from None
    if info is not None and info.address != address:
        raise UsageFailure(f"data dir {data_dir} belongs to the node at {info.address}, "
                           f"not {address}")
    cluster = [a.strip() for arg in join_addresses for a in arg.split(",") if a.strip()]
    if info is not None:
        node_id = info.id
    elif cluster:
        node_id = generate_node_id(address)
    else:
        node_id = BOOTSTRAP_ID
    stop = StopSignals((signal.SIGTERM, signal.SIGINT))  # before the node's threads start
    node, front = start_node(address, data_dir, tls, node_id=node_id,
                             network_latency_ms=network_latency_ms,
                             failure_domain=failure_domain, snapshot_params=snapshot_params,
                             **later)
    try:
        if info is None:
            nodeinfo.write(data_dir, nodeinfo.NodeInfo(node.id, node.address))
        if cluster:
            join(node.id, node.address, cluster, role=role, timeout=timeout,
                 ssl_context=tls and tls.client_context())
        click.echo(f"{PROG}: node {node.id:#x} serving {node.address} (data in {data_dir})")
        sys.stdout.flush()
        stop.wait()
    finally:
        stop_node(node, front)


def _describe_last_entry(data_dir: str, auto_recovery) -> None:
    """Print ``DIR: last entry index N, term T``; never creates DIR."""
    if not os.path.isdir(data_dir):
        raise UsageFailure(f"data dir {data_dir} does not exist")
    try:
        info = nodeinfo.read(data_dir)
    except ValueError as e:
        raise UsageFailure(str(e)) from None
    # Nothing binds: the address and id only fill in dqlite_node_create.
    node = Node(info.address if info else "127.0.0.1:1", data_dir,
                node_id=info.id if info else BOOTSTRAP_ID, auto_recovery=auto_recovery)
    index, term = node.describe_last_entry()
    click.echo(f"{data_dir}: last entry index {index}, term {term}")


def _tls(cert, key, ca):
    """A TLSConfig for --cert/--key/--ca, None without them; bad files exit 2."""
    if not (cert or key or ca):
        return None
    if not (cert and key):
        raise UsageFailure("TLS needs both --cert and --key")
    from dqlite_shell.app.tls import TLSConfig, TLSConfigError
    try:
        return TLSConfig(cert, key, ca)
    except TLSConfigError as e:
        raise UsageFailure(str(e)) from None


class UsageFailure(Exception):
    """A one-line error for exit status 2."""


def main(argv=None) -> None:
    """Entry point of ``dqlite-node``."""
    entry.run(command, PROG, argv, (UsageFailure, NativeError, ClientError), 2)


if __name__ == "__main__":
    main()
