"""Node addresses as users write them: ``host:port``, ``[v6]:port`` and ``@name``.

Shared by the client (which dials them) and the native nodes (which bind them),
so that both sides agree on what an address means.
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

import socket
from typing import NamedTuple

DEFAULT_PORT = 9001


class AddressError(ValueError):
    """An address that cannot be parsed; the message names it."""


class Address(NamedTuple):
    """A parsed node address.

    ``family`` is ``AF_INET``, ``AF_INET6`` or ``AF_UNIX`` (abstract socket,
    ``host`` then holds the name without the leading ``@``).
    """

    family: int
    host: str
    port: int = 0

    @property
    def is_abstract(self) -> bool:
        return self.family == socket.AF_UNIX

    def sockaddr(self):
        """The address as ``socket.connect``/``bind`` take it."""
        if self.is_abstract:
            return "\0" + self.host
        return (self.host, self.port)

    def __str__(self) -> str:
        if self.is_abstract:
            return "@" + self.host
        if self.family == socket.AF_INET6:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> Address:
    """Parse ``host:port``, ``[v6]:port``, ``host`` or ``@name``.

    Host names other than ``localhost`` are kept as given and resolved when
    dialed (as IPv4, the family libdqlite 1.11 binds).
    """
    text = text.strip()
    if not text:
        raise AddressError("empty address")
    if text.startswith("@"):
        return Address(socket.AF_UNIX, text[1:])
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise AddressError(f"invalid address {text!r}: missing ']'")
        host, rest = text[1:end], text[end + 1:]
        import ipaddress  # here: ~1 ms of every start otherwise
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise AddressError(
                f"invalid address {text!r}: {host!r} is not an IPv6 address") from None
        if rest and not rest.startswith(":"):
            raise AddressError(f"invalid address {text!r}: expected ':PORT' after ']'")
        return Address(socket.AF_INET6, host, _port(text, rest[1:] if rest else "", default_port))
    if text.count(":") > 1:
        raise AddressError(f"invalid address {text!r}: write IPv6 addresses as [ADDR]:PORT")
    host, _, port = text.partition(":")
    if not host:
        raise AddressError(f"invalid address {text!r}: missing host")
    try:
        _check_host_name(host)  # as getaddrinfo will: "a..b" fails here, not when dialled
    except UnicodeError as e:
        raise AddressError(f"invalid address {text!r}: {host!r} is not a host name "
                           f"({e.__cause__ or e})") from None
    return Address(socket.AF_INET, host, _port(text, port, default_port))


def _check_host_name(host: str) -> None:
    """Raise UnicodeError where ``host.encode("idna")`` would. An ASCII name
    is checked as the codec's own ASCII path does (encodings/idna.py), without
    loading the codec (with stringprep and unicodedata: ~2 ms of a start)."""
    if not host.isascii():
        host.encode("idna")
        return
    labels = host.split(".")
    if any(not 0 < len(label) < 64 for label in labels[:-1]):
        raise UnicodeError("label empty or too long")
    if len(labels[-1]) >= 64:
        raise UnicodeError("label too long")


def _port(text: str, port: str, default_port: int) -> int:
    if port == "":
        return default_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise AddressError(f"invalid address {text!r}: port must be a number from 1 to 65535")
    return int(port)
