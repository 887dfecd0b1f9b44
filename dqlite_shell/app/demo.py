"""``dqlite-demo``: the Python twin of go-dqlite's demo, a replicated key/value
store behind a small HTTP API (see :mod:`dqlite_shell.app.demo_http`).

    dqlite-demo --api 127.0.0.1:8001 --db 127.0.0.1:9001 &
    dqlite-demo --api 127.0.0.1:8002 --db 127.0.0.1:9002 --join 127.0.0.1:9001 &
    curl -X PUT -d my-value http://127.0.0.1:8001/my-key

The node keeps its data in DIR/<db address>. On SIGTERM, SIGINT, SIGQUIT or
SIGPWR it stops the API, hands leadership over and exits 0. Bad flags, an
unusable dir or a taken port print one ``dqlite-demo: error: ...`` line and
exit 1, as the Go demo does.
"""

from __future__ import annotations

import os
import signal

import click

from dqlite_shell import __version__
from dqlite_shell.app import entry
from dqlite_shell.app.stop_signals import StopSignals
from dqlite_shell.tls_options import tls_options

PROG = "dqlite-demo"
DEFAULT_DIR = "/tmp/dqlite-demo"
_STOP_SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT] + (
    [signal.SIGPWR] if hasattr(signal, "SIGPWR") else [])


class DemoError(Exception):
    """A one-line error for exit status 1."""


@click.command(name=PROG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-a", "--api", required=True, metavar="HOST:PORT",
              help="Address used to expose the demo API.")
@click.option("-d", "--db", required=True, metavar="HOST:PORT",
              help="Address used for internal database replication.")
@click.option("-j", "--join", "join", multiple=True, metavar="ADDRS",
              help="Database addresses of existing nodes (comma-separated, repeatable).")
@click.option("-D", "--dir", "data_dir", default=DEFAULT_DIR, show_default=True, metavar="DIR",
              type=click.Path(file_okay=False), help="Data directory.")
@click.option("-v", "--verbose", is_flag=True, help="Verbose logging.")
@tls_options("TLS certificate (PEM) of the node; needs --key.",
             "TLS private key (PEM) of the node.",
             "CA certificate (PEM) that peers' certificates must chain to.")
@click.option("--network-latency-ms", type=click.IntRange(min=1), metavar="MS",
              help="Typical round trip to peers, tunes Raft timeouts.")
@click.version_option(__version__, "--version", prog_name=PROG)
def command(api, db, join, data_dir, verbose, cert, key, ca, network_latency_ms):
    """Demo application using dqlite: a replicated key/value store over HTTP.

    PUT /KEY with the value as body stores it, GET /KEY reads it.
    """
    if verbose:
        import logging
        logging.basicConfig(level=logging.DEBUG, datefmt="%Y/%m/%d %H:%M:%S",
                            format=f"%(asctime)s {api}: %(levelname)s: %(message)s")
    cluster = [a.strip() for arg in join for a in arg.split(",") if a.strip()]
    tls = _tls(cert, key, ca)
    node_dir = os.path.join(data_dir, db)
    try:
        os.makedirs(node_dir, mode=0o755, exist_ok=True)
    except OSError as e:
        raise DemoError(f"can't create {node_dir}: {e.strerror}") from None
    stop = StopSignals(_STOP_SIGNALS)  # before any thread starts
    run(api, db, node_dir, cluster, tls, network_latency_ms, stop)


def _tls(cert, key, ca):
    if not cert and not key and not ca:
        return None
    if not (cert and key):
        raise DemoError("--cert and --key go together (and --ca needs them)")
    from dqlite_shell.app.tls import TLSConfig
    try:
        return TLSConfig(cert, key, ca)
    except Exception as e:  # unreadable or unusable files: one line, no traceback
        raise DemoError(f"TLS: {e}") from None


def run(api: str, db: str, node_dir: str, cluster: list[str], tls, network_latency_ms,
        stop: StopSignals) -> None:
    """Serve until ``stop`` is set, then stop the API, hand over and close."""
    from dqlite_shell.app.app import App
    from dqlite_shell.app.demo_http import DATABASE, SCHEMA, ConnectionPool, DemoServer, Store

    try:
        server = DemoServer(api, Store())  # bound now: a taken port fails before the node
    except (OSError, ValueError) as e:
        raise DemoError(f"can't listen on {api}: {getattr(e, 'strerror', None) or e}") from None
    try:
        app = App(node_dir, address=db, cluster=cluster, tls=tls,
                  network_latency_ms=network_latency_ms)
    except Exception as e:
        server.server_close()
        raise DemoError(_one_line(e)) from None
    pool = None
    try:
        while True:  # Go waits as long as it takes; a signal may end the wait
            try:
                app.ready(timeout=0.5)
                break
            except TimeoutError:
                if stop.is_set():
                    return
        pool = ConnectionPool(lambda: app.open(DATABASE, autocommit=True,
                                                check_same_thread=False))
        pool.run(lambda conn: conn.execute(SCHEMA))
        server.store.pool = pool
        server.activate()
        server.serve_in_thread()
        stop.wait()
        server.shutdown()  # the listener goes first, as in Go
        server.server_close()
        pool.close()
        try:
            app.handover()
        except Exception as e:  # a lone node has nobody to hand over to
            _debug("handover: %s", e)
    except DemoError:
        raise
    except Exception as e:
        raise DemoError(_one_line(e)) from None
    finally:
        server.server_close()
        if pool is not None:
            pool.close()
        app.close(handover=False)


def _debug(message: str, *args) -> None:
    from dqlite_shell import _log
    _log.debug("dqlite_shell.demo", message, *args)


def _one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def main(argv=None) -> None:
    """Entry point of ``dqlite-demo`` (exit 1 on errors, as Go's)."""
    entry.run(command, PROG, argv, (DemoError,), 1)


if __name__ == "__main__":
    main()
