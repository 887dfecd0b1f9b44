"""Turning the command line into a running shell: settings, servers, TLS,
the scratch node, and running a script (with ``-1``) for an exit status."""

from __future__ import annotations

import os
from typing import TextIO

from dqlite_shell.shell.errors import Failure, describe
from dqlite_shell.shell.state import Settings, ShellState


def settings(fmt: str | None, headers: bool | None, bail: bool, tty: bool,
             blob: str | None = None) -> Settings:
    """Output settings from the options (table on a terminal, list elsewhere;
    BLOBs as ``blob`` says, hex by default)."""
    from dqlite_shell.shell.output import DEFAULT_BLOB, apply_format, resolve_blob
    result = Settings(headers=bool(headers), bail=bail)
    result.headers_set = headers is not None
    try:
        apply_format(result, fmt or ("table" if tty else "list"))  # and its separators
        result.blob = resolve_blob(blob) if blob else DEFAULT_BLOB
    except ValueError as e:
        raise Failure(str(e)) from None
    return result


def go_cert_option(commands: tuple[str, ...], cert: str | None, key: str | None):
    """``(cert, commands)`` once go-dqlite's ``-c CERT -k KEY`` is told from ``-c SQL``.

    With -k/--key and no --cert, -c is the certificate (go's form); else it
    is SQL, but a lone -c naming a PEM certificate is a forgotten -k.
    """
    if key and not cert and commands:
        if len(commands) > 1:
            raise Failure("with -k KEY, -c is the TLS certificate (go-dqlite's -c CERT -k KEY): "
                          "give it once, and the SQL as the COMMAND argument")
        try:
            with open(commands[0], "rb"):
                pass
        except (OSError, ValueError) as e:
            from dqlite_shell.client.tls import why_unreadable
            why = why_unreadable(e) if isinstance(e, OSError) else str(e)
            raise Failure(f"with -k KEY, -c is the TLS certificate (go-dqlite's -c CERT -k KEY): "
                          f"cannot read {commands[0]!r}: {why}") from None
        return commands[0], ()
    if not key and len(commands) == 1 and os.path.isfile(commands[0]):
        from dqlite_shell.client.tls import is_pem_certificate  # ssl (~8 ms): only for a file
        if is_pem_certificate(commands[0]):
            raise Failure(f"-c {commands[0]} is a certificate but its key is missing: add "
                          "-k KEY (go-dqlite's -c CERT -k KEY)")
    return cert, commands


def tls(cert: str | None, key: str | None, ca: str | None):
    """An ``ssl`` context for --cert/--key/--ca, or None."""
    if not (cert or key or ca):
        return None
    if bool(cert) != bool(key):  # else OpenSSL's "[SSL] PEM lib"
        given, missing = ("--cert", "-k/--key") if cert else ("-k/--key", "-c/--cert")
        raise Failure(f"{given} needs {missing} too: the client certificate and its key "
                      "go together")
    from dqlite_shell.client.tls import TLSConfigError, client_context
    try:
        return client_context(cert, key, ca)
    except TLSConfigError as e:
        raise Failure(str(e)) from None


def tls_from_pem(cert_pem: str, key_pem: str, source: str, ca: str | None = None):
    """An ``ssl`` context for a certificate and key kept as PEM text in ``source``."""
    from dqlite_shell.client.tls import TLSConfigError, client_context_from_pem
    if ca:
        raise Failure(f"--ca cannot be used with the certificate of {source}")
    try:
        return client_context_from_pem(cert_pem, key_pem, source)
    except TLSConfigError as e:
        raise Failure(str(e)) from None


def servers(values: tuple[str, ...]) -> list[str]:
    """Addresses from -s values: comma lists, or one file://STORE."""
    addresses: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part.startswith("file://"):
                if len(values) > 1 or "," in value:
                    raise Failure("a file:// node store cannot be mixed with other servers")
                from dqlite_shell.client.nodestore import NodeStoreError, read_store
                try:
                    nodes = read_store(part[len("file://"):])
                except NodeStoreError as e:
                    raise Failure(str(e)) from None
                if not nodes:
                    raise Failure(f"{part}: the node store lists no servers")
                return [n.address for n in nodes]
            from dqlite_shell.address import AddressError, parse_address
            try:
                address = parse_address(part, default_port=0)
            except AddressError as e:
                raise Failure(str(e)) from None
            if not address.is_abstract and address.port == 0:
                # go-dqlite has no default either (its shell retries "missing port" forever)
                raise Failure(f"{part!r} has no port: write HOST:PORT (dqlite has no "
                              "standard port)")
            addresses.append(part)
    return addresses


def make_state(addresses, database, **kwargs) -> ShellState:
    """The shell's state; a database name that crashes libdqlite nodes is a
    usage error, found before anything is sent."""
    from dqlite_shell import refusals
    refused = refusals.refused_database(database)
    if refused:
        raise Failure(refused)
    return ShellState(addresses, database, **kwargs)


def start_scratch(state: ShellState, size: int, data_dir: str | None) -> None:
    """Start local nodes for a shell given no servers, and say so on stderr."""
    import shutil
    import tempfile

    from dqlite_shell.native import NativeError
    from dqlite_shell.scratch import ScratchCluster
    own = data_dir is None
    folder = data_dir if data_dir is not None else tempfile.mkdtemp(prefix="dqlite-scratch-")
    try:
        cluster = ScratchCluster(size, folder)
    except NativeError as e:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
        raise Failure(describe(e)) from None
    except Exception as e:  # a bad --data-dir, a taken port, a failed join
        if own:
            shutil.rmtree(folder, ignore_errors=True)
        raise Failure(f"cannot start a scratch node: {describe(e)}") from None
    state.scratch = _Scratch(cluster, folder, own)
    state.servers = list(cluster.addresses)
    what = "node" if size == 1 else f"cluster of {size} nodes"
    where = ",".join(cluster.addresses)
    if own:
        state.warn(f"dqlite: scratch {what} at {where} in {folder} "
                   "(deleted on exit; --data-dir keeps it)")
    else:
        state.warn(f"dqlite: local {what} at {where}, data in {folder}")


def offline_conflicts(servers, scratch, data_dir, profile, ready) -> None:
    """--offline reads a data dir: options that name a cluster go without it."""
    given = [name for name, value in (("-s/--servers", servers), ("--scratch", scratch),
                                      ("--data-dir", data_dir), ("--profile", profile),
                                      ("--ready", ready)) if value]
    if given:
        raise Failure(f"--offline reads a stopped node's data dir: it cannot be used with "
                      f"{', '.join(given)}")


def offline_dirs_argv(argv: list[str]) -> list[str]:
    """``--offline DIR1 DIR2 ...`` as click takes it (``--offline`` repeated):
    the words right after ``--offline DIR`` that are data dirs (a directory
    holding metadata1, metadata2 or info.yaml) are more dirs, not DATABASE."""
    out, i = [], 0
    while i < len(argv):
        word = argv[i]
        out.append(word)
        i += 1
        if word == "--":
            out.extend(argv[i:])
            break
        if word == "--offline" and i < len(argv):
            out.append(argv[i])
            i += 1
        elif not word.startswith("--offline="):
            continue
        while i < len(argv) and _looks_like_data_dir(argv[i]):
            out += ["--offline", argv[i]]
            i += 1
    return out


def _looks_like_data_dir(word: str) -> bool:
    return not word.startswith("-") and os.path.isdir(word) and any(
        os.path.exists(os.path.join(word, n)) for n in ("metadata1", "metadata2", "info.yaml"))


def start_offline(state: ShellState, data_dirs: list[str]) -> None:
    """Offline mode (``--offline DIR ...``): ``state.offline`` reads the first
    DIR (every one is in ``state.offline.dirs``); nothing connects."""
    from dqlite_shell.offline.datadir import DataDir, NotADataDir
    from dqlite_shell.offline.session import Offline
    found = []
    for data_dir in data_dirs:
        try:
            found.append(DataDir(data_dir))
        except NotADataDir as e:
            raise Failure(str(e)) from None
    state.offline = Offline(found[0], state.database)
    state.offline.dirs = found
    for d in found:
        holder = d.lock_holder()
        if holder is not None:
            state.warn(f"dqlite: warning: the node of {d.path} is running (process {holder} "
                       "holds dqlite-lock): what is read may change meanwhile")


class _Scratch:
    """The scratch cluster and, unless --data-dir was given, its folder."""

    def __init__(self, cluster, folder: str, own: bool):
        self.cluster, self.folder, self.own = cluster, folder, own

    def close(self) -> None:
        import shutil
        self.cluster.close()
        if self.own:
            shutil.rmtree(self.folder, ignore_errors=True)


def run_script(state: ShellState, sources: list[tuple[TextIO, str]],
               single_transaction: bool) -> int:
    """Run scripts (stdin, or each ``-c``) for an exit status; with
    ``single_transaction`` all or nothing."""
    from dqlite_shell.shell import script
    if not single_transaction:
        return script.run_sources(state, sources)
    refused = script.refused_in_transaction(sources)
    if refused:  # -c text is known in full: refuse before anything runs
        state.warn(f"{refused}; nothing was run")
        return 1
    state.settings.bail = True  # nothing applied unless everything is
    try:
        state.session.execute("BEGIN")
    except Exception as e:  # noqa: BLE001 - reported as the connection failure it is
        state.warn(f"{sources[0][1]}: error: {describe(e)}")
        return 2
    token = script.one_transaction.set(True)  # the scripts' own BEGIN/COMMIT are absorbed
    try:
        status = script.run_sources(state, sources)
    finally:
        script.one_transaction.reset(token)
    name = sources[-1][1]
    session = state.session
    if status == 0 and session.transaction.active:
        try:
            session.execute("COMMIT")
            return 0
        except Exception as e:  # noqa: BLE001
            state.warn(f"{name}: error: COMMIT failed: {describe(e)}")
            status = 1
    if session.transaction.active:
        try:
            session.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - the connection is gone: so is the transaction
            pass
        state.warn(f"{name}: rolled back: nothing was applied")
    return status
