"""TLS settings of an app's nodes: one certificate for the whole cluster.

As go-dqlite's ``SimpleTLSConfig``: every node presents ``cert``/``key``, and
peers and clients must present a certificate that ``ca`` signed (mutual TLS).
Without ``ca`` the certificate itself is the CA, which is the usual set-up of
one self-signed certificate shared by the cluster.
"""

from __future__ import annotations

import os
import ssl
from typing import NamedTuple

from dqlite_shell.client.tls import TLSConfigError, client_context

__all__ = ["TLSConfig", "TLSConfigError"]


class TLSConfig:
    """Certificate, key and CA files for a node, checked when constructed.

    A file that is missing, unreadable or not what it should be raises
    :class:`TLSConfigError` with a one-line message naming it, so that a
    node fails before it binds anything rather than on its first peer.
    """

    def __init__(self, cert: str | os.PathLike, key: str | os.PathLike,
                 ca: str | os.PathLike | None = None):
        if not cert or not key:
            raise TLSConfigError("TLS needs both a certificate (--cert) and a key (--key)")
        self.cert = os.fspath(cert)
        self.key = os.fspath(key)
        self.ca = os.fspath(ca) if ca else self.cert
        for what, path in (("certificate", self.cert), ("key", self.key), ("CA", self.ca)):
            _check_readable(what, path)
        # Build both contexts now: their errors name the file, and the node
        # would otherwise only fail on its first connection.
        self._server = self._make_server_context()
        self._client = client_context(self.cert, self.key, self.ca)

    def __repr__(self) -> str:
        return f"TLSConfig(cert={self.cert!r}, key={self.key!r}, ca={self.ca!r})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, TLSConfig)
                and (self.cert, self.key, self.ca) == (other.cert, other.key, other.ca))

    # Mutable contexts inside; equality is by file names. (typeshed types
    # object.__hash__ as a method; None is how the data model says unhashable.)
    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def coerce(cls, value) -> TLSConfig | None:
        """``None``, a :class:`TLSConfig`, or a ``(cert, key[, ca])`` tuple."""
        if value is None or isinstance(value, TLSConfig):
            return value
        if isinstance(value, (tuple, list)) and len(value) in (2, 3):
            return cls(*value)
        raise TypeError(f"tls must be a TLSConfig or a (cert, key[, ca]) tuple, "
                        f"not {type(value).__name__}")

    def server_context(self) -> ssl.SSLContext:
        """Server side: TLS 1.2 or later, client certificates required and
        verified against ``ca`` (go's ``RequireAndVerifyClientCert``)."""
        return self._server

    def client_context(self) -> ssl.SSLContext:
        """Client side (peers, joins): presents ``cert``, verifies against ``ca``."""
        return self._client

    def files(self) -> TLSFiles:
        """The three file names (e.g. for a ``dqlite-node`` command line)."""
        return TLSFiles(self.cert, self.key, self.ca)

    def _make_server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as e:
            raise TLSConfigError(f"cannot load the certificate {self.cert} with the key "
                                 f"{self.key}: {_why(e)}") from None
        try:
            context.load_verify_locations(self.ca)
        except (OSError, ssl.SSLError) as e:
            raise TLSConfigError(f"cannot load the CA certificate {self.ca}: {_why(e)}") from None
        context.verify_mode = ssl.CERT_REQUIRED
        return context


class TLSFiles(NamedTuple):
    cert: str
    key: str
    ca: str


def _check_readable(what: str, path: str) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise TLSConfigError(f"cannot read the {what} {path}: {e.strerror}") from None
    if b"-----BEGIN" not in head:
        raise TLSConfigError(f"the {what} {path} is not a PEM file")


def _why(e: Exception) -> str:
    if isinstance(e, ssl.SSLError):
        return e.reason.lower().replace("_", " ") if e.reason else str(e)
    return getattr(e, "strerror", None) or str(e)
