"""``dqlite-node``: run one dqlite node in the foreground until SIGTERM/SIGINT.

Exit status: 0 after a clean stop, 2 for bad flags, an unusable dir, a taken
address, a failed join or a missing libdqlite (one line on stderr each).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import click

from dqlite_shell import __version__
from dqlite_shell.app.join import join
from dqlite_shell.client.errors import ClientError
from dqlite_shell.native import nodeinfo
from dqlite_shell.native.errors import NativeError
from dqlite_shell.native.library import generate_node_id
from dqlite_shell.native.node import BOOTSTRAP_ID, Node

PROG = "dqlite-node"


@click.command(name=PROG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-a", "--address", required=True, metavar="HOST:PORT",
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
@click.option("--role", type=click.Choice(["voter", "standby", "spare"]),
              help="Role to take when joining (default: voter; on a restart, the role kept).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              metavar="SECONDS", help="How long joining may take.")
@click.option("-v", "--verbose", is_flag=True, help="Log what the node does.")
@click.version_option(__version__, "--version", prog_name=PROG)
def command(address, data_dir, network_latency_ms, failure_domain, join_addresses, role, timeout,
            verbose):
    """Run one dqlite node in the foreground.

    A new DIR bootstraps a single-node cluster, or with --join becomes a
    member of an existing one; a DIR used before restarts the same node (its
    id and address are kept in DIR/info.yaml) and never joins twice.
    """
    if verbose:
        import logging
        logging.basicConfig(level=logging.DEBUG, format=f"{PROG}: %(message)s")
    try:
        os.makedirs(data_dir, exist_ok=True)
    except OSError as e:
        raise UsageFailure(f"cannot use data dir {data_dir}: {e.strerror}")
    try:
        info = nodeinfo.read(data_dir)
    except ValueError as e:
        raise UsageFailure(str(e))
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
    node = Node(address, data_dir, node_id=node_id,
                network_latency_ms=network_latency_ms, failure_domain=failure_domain)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    node.start()
    try:
        if info is None:
            nodeinfo.write(data_dir, nodeinfo.NodeInfo(node.id, node.address))
        if cluster:
            join(node.id, node.address, cluster, role=role, timeout=timeout)
        click.echo(f"{PROG}: node {node.id:#x} serving {node.address} (data in {data_dir})")
        sys.stdout.flush()
        while not stop.wait(3600):
            pass
    finally:
        node.stop()


class UsageFailure(Exception):
    """A one-line error for exit status 2."""


def main(argv=None) -> None:
    """Entry point of ``dqlite-node``."""
    try:
        command.main(args=argv, prog_name=PROG, standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(0)
    except click.ClickException as e:
        click.echo(f"{PROG}: error: {e.format_message()}", err=True)
        sys.exit(2)
    except (UsageFailure, NativeError, ClientError) as e:
        click.echo(f"{PROG}: error: {e}", err=True)
        sys.exit(2)
    sys.exit(0)


if __name__ == "__main__":
    main()
