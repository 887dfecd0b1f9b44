"""TLS for clients, with the ``ssl`` module, as go-dqlite's clients do it."""

from __future__ import annotations

import ssl


class TLSConfigError(ValueError):
    """Certificate files that cannot be used; the message names the file."""


def client_context(cert: str | None = None, key: str | None = None,
                   ca: str | None = None) -> ssl.SSLContext:
    """A context for mutual TLS with dqlite nodes.

    ``ca`` verifies the nodes; without it the client's own ``cert`` is the CA,
    as in go-dqlite's ``SimpleDialTLSConfig`` where one self-signed
    certificate serves the whole cluster. Nodes are dialed by address, so the
    host name is not checked (the chain still is).
    """
    if key and not cert:
        raise TLSConfigError("a TLS key needs its certificate (--cert)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    for what, path in (("CA", ca or cert),):
        if path:
            try:
                context.load_verify_locations(path)
            except (OSError, ssl.SSLError) as e:
                raise TLSConfigError(f"cannot load the {what} certificate {path}: "
                                     f"{getattr(e, 'strerror', None) or e}") from None
    if cert:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as e:
            raise TLSConfigError(f"cannot load the certificate {cert} / key {key or cert}: "
                                 f"{getattr(e, 'strerror', None) or e}") from None
    return context
