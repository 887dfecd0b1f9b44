"""TLS for clients, with the ``ssl`` module, as go-dqlite's clients do it.

go-dqlite's ``SimpleDialTLSConfig`` (what its shell and every product built on
its ``app`` package dial with): the client's own certificate is also the only
trusted one (the CA pool), and the server name checked is the certificate's
first DNS name, never the address dialled. That is how one certificate shared
by a whole cluster (MicroK8s, k8s-dqlite, Juju) verifies although it names no
node's IP address. :func:`client_context` does the same.
"""

from __future__ import annotations

import errno
import os
import ssl
import tempfile


class TLSConfigError(ValueError):
    """Certificate files that cannot be used; the message names the file."""


def why_unreadable(e: OSError) -> str:
    """The reason a file could not be read, with the likely fix for a
    permission error (product files are root's)."""
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (run with sudo?)"
    return e.strerror or str(e)


def first_dns_name(cert: str) -> str | None:
    """The first DNS name of the first certificate in the PEM file ``cert``
    (go's ``x509cert.DNSNames[0]``), or None when it has none."""
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:  # not in this Python: the name is then not checked
        return None
    try:
        names = decode(cert).get("subjectAltName", ())
    except (OSError, ssl.SSLError, ValueError):
        return None
    return next((value for kind, value in names if kind == "DNS"), None)


def is_pem_certificate(path: str) -> bool:
    """Whether ``path`` is a readable file that holds a PEM certificate."""
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024)
    except (OSError, ValueError):
        return False
    return b"-----BEGIN CERTIFICATE-----" in head


class _NamedServerContext(ssl.SSLContext):
    """A client context whose server name is fixed (go's ``tls.Config.ServerName``),
    whatever address the caller dials; also for asyncio, which uses ``wrap_bio``."""

    server_name: str

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, server_hostname=None, session=None):
        return super().wrap_socket(sock, server_side=server_side,
                                   do_handshake_on_connect=do_handshake_on_connect,
                                   suppress_ragged_eofs=suppress_ragged_eofs,
                                   server_hostname=self.server_name, session=session)

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None,
                 session=None):
        return super().wrap_bio(incoming, outgoing, server_side=server_side,
                                server_hostname=self.server_name, session=session)


def client_context(cert: str | None = None, key: str | None = None,
                   ca: str | None = None) -> ssl.SSLContext:
    """A context for mutual TLS with dqlite nodes.

    Without ``ca`` this is go-dqlite's ``SimpleDialTLSConfig``: ``cert`` is
    the only trusted certificate (as such, even when a CA not given signed
    it, as Juju's controller certificate) and the nodes must present a
    certificate valid for its first DNS name. A certificate without DNS
    names (go refuses it) is checked by chain only. With ``ca`` given (the
    app's peers pass theirs), nodes may each have their own certificate: the
    chain to ``ca`` is checked, not the name.
    """
    if key and not cert:
        raise TLSConfigError("a TLS key needs its certificate")
    server_name = first_dns_name(cert) if cert and not ca else None
    if server_name:
        named = _NamedServerContext(ssl.PROTOCOL_TLS_CLIENT)
        named.server_name = server_name
        context: ssl.SSLContext = named
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # A trusted certificate is an anchor even if it is not self-signed, as
    # in go's x509 (OpenSSL would look for its issuer).
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    for what, path in (("CA", ca or cert),):
        if path:
            try:
                context.load_verify_locations(path)
            except (OSError, ssl.SSLError) as e:
                raise TLSConfigError(f"cannot load the {what} certificate {path}: "
                                     f"{_why(e)}") from None
    if cert:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as e:
            raise TLSConfigError(f"cannot load the certificate {cert} / key {key or cert}: "
                                 f"{_why(e)}") from None
    return context


def client_context_from_pem(cert_pem: str, key_pem: str, where: str) -> ssl.SSLContext:
    """:func:`client_context` for a certificate and key given as PEM text
    (Juju keeps them in its agent.conf); ``where`` names their source in errors.

    ``ssl`` loads only files: they are written to a private temporary folder
    and removed as soon as they are loaded.
    """
    folder = tempfile.mkdtemp(prefix="dqlite-tls-")  # mode 0700
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    try:
        for path, text in ((cert, cert_pem), (key, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        try:
            return client_context(cert, key)
        except TLSConfigError as e:
            raise TLSConfigError(f"{where}: {str(e).replace(folder + os.sep, '')}") from None
    finally:
        for path in (cert, key):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        os.rmdir(folder)


def _why(e: Exception) -> str:
    if isinstance(e, OSError) and not isinstance(e, ssl.SSLError):
        return why_unreadable(e)
    return getattr(e, "strerror", None) or str(e)
