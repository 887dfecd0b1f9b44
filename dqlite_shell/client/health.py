"""The health of a cluster: every member asked in parallel, one record each.

:func:`survey` asks each known node, all at once, and waits at most one
``timeout`` for all of them together: a dead or frozen member costs that one
timeout, not one per question. Each node is asked, on one connection:

* LEADER (its round trip is the ``rtt``): who it thinks leads;
* CLUSTER: the configuration it holds (the leader's is the membership);
* DESCRIBE: its failure domain and weight;
* what it can do (:mod:`.capabilities`): the leader is probed as a session
  probes it (a database open on it); a follower refuses statements ("not
  leader"), so it is asked only the DUMP probe, which a follower answers:
  that puts it at or above 1.18.3, or below;
* with TLS, the certificate it presented: subject and expiry.

Members are the leader's CLUSTER answer; nodes it names that were not among
the addresses given are asked in a second round, within the same deadline.
When no leader answers, the members are the addresses given. Nothing here
writes to a database or prints anything.
"""

from __future__ import annotations

import queue
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dqlite_shell.client import capabilities
from dqlite_shell.client.capabilities import AUTHORIZER, MIDDLE, MODERN, OLD, RANGES
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ClientError, ServerError
from dqlite_shell.wire.constants import Role
from dqlite_shell.wire.errors import ProtocolError

if TYPE_CHECKING:
    from dqlite_shell.wire.messages import NodeInfo

#: Nodes asked at once (a cluster rarely has more members than this).
MAX_PARALLEL = 16
#: A certificate that expires within this many days is worth a warning.
CERT_WARNING_DAYS = 30


@dataclass
class MemberHealth:
    """What one node answered (or why it did not).

    ``role`` is the role the leader's configuration gives it (None: not a
    member, or no leader answered); ``leader`` the address this node names
    as leader ("" when it knows none); ``levels`` the lowest and highest
    :data:`~.capabilities.RANGES` index the probes leave possible."""

    address: str
    id: int | None = None
    role: Role | int | None = None
    member: bool | None = None  # in the leader's configuration (None: no leader)
    reachable: bool = False
    error: str | None = None  # why it could not be asked (or a question failed)
    rtt: float | None = None  # seconds, the LEADER request's round trip
    leader: str | None = None
    cluster: list[NodeInfo] | None = field(default=None, repr=False)
    failure_domain: int | None = None
    weight: int | None = None
    levels: tuple[int, int] | None = None
    cert_subject: str | None = None
    cert_expires: datetime | None = None
    cause: BaseException | None = field(default=None, repr=False)  # the error behind ``error``

    @property
    def server_range(self) -> str | None:
        """The releases this node may run, e.g. ``1.18.4 or later``."""
        if self.levels is None:
            return None
        low, high = self.levels
        if low == high:
            return RANGES[low]
        # "1.11 to 1.15.0" + "1.15.1 to 1.18.2" -> "1.11 to 1.18.2"
        return f"{RANGES[low].split()[0]} {RANGES[high].split(' ', 1)[1]}"

    def cert_days_left(self, now: datetime | None = None) -> int | None:
        if self.cert_expires is None:
            return None
        return (self.cert_expires - (now or datetime.now(UTC))).days

    def cert_warning(self, now: datetime | None = None) -> str | None:
        """One line when the certificate expires within CERT_WARNING_DAYS."""
        expires, days = self.cert_expires, self.cert_days_left(now)
        if expires is None or days is None or days >= CERT_WARNING_DAYS:
            return None
        when = expires.strftime("%Y-%m-%d %H:%M UTC")
        if days < 0 or expires <= (now or datetime.now(UTC)):
            return f"the certificate of {self.address} expired on {when}"
        return f"the certificate of {self.address} expires in {days} days ({when})"


@dataclass
class Survey:
    """The answer of :func:`survey`: one record per member, members first
    (in the leader's order), then the given addresses that are not members."""

    members: list[MemberHealth]
    leader: str | None  # the address of the node that leads and says so
    elapsed: float

    @property
    def voters(self) -> list[MemberHealth]:
        return [m for m in self.members if m.member and m.role == Role.VOTER]

    @property
    def quorum(self) -> bool:
        """More than half the voters answered (False without a leader:
        the voters are then unknown)."""
        voters = self.voters
        return bool(voters) and sum(v.reachable for v in voters) > len(voters) // 2

    @property
    def ready(self) -> bool:
        """A leader answers and a quorum of voters is reachable."""
        return self.leader is not None and self.quorum

    def agrees(self, member: MemberHealth) -> bool | None:
        """Whether ``member`` names the leader as leader (None: unknown)."""
        if self.leader is None or not member.reachable or member.leader is None:
            return None
        return member.leader == self.leader


def survey(addresses: Iterable[str], timeout: float, ssl_context: ssl.SSLContext | None = None,
           database: str = "db") -> Survey:
    """Ask every node of ``addresses`` (and the members their leader names)
    in parallel; return within about ``timeout`` seconds whatever happens.

    ``database`` is opened on the leader only, for the capability probes
    (as a session opens it); nothing is written."""
    started = time.monotonic()
    deadline = started + timeout
    given = list(dict.fromkeys(a for a in addresses if a))
    found = _ask_all(given, deadline, ssl_context, database)
    leader = _leader_of(found)
    # Members the leader (or, without one, any node) names and that were not
    # given: one more round, within the same deadline.
    named = [n.address for r in found.values() if r.cluster for n in r.cluster]
    named += [r.leader for r in found.values() if r.leader]
    more = [a for a in dict.fromkeys(named) if a not in found]
    if more:
        found.update(_ask_all(more, deadline, ssl_context, database))
        leader = _leader_of(found)
    return Survey(_ordered(found, leader, given), leader, time.monotonic() - started)


def _leader_of(found: dict[str, MemberHealth]) -> str | None:
    """The node that names itself leader and gave its configuration; when
    several do (a stale leader), the one most others name."""
    claims = [r for r in found.values() if r.reachable and r.leader == r.address and r.cluster]
    if not claims:
        return None
    votes = [r.leader for r in found.values() if r.reachable]
    return max(claims, key=lambda r: votes.count(r.address)).address


def _ordered(found: dict[str, MemberHealth], leader: str | None,
             given: list[str]) -> list[MemberHealth]:
    if leader is None:
        for record in found.values():
            record.member = None
        return [found[a] for a in given]
    rows = []
    for node in found[leader].cluster or ():  # _leader_of picks one with a cluster
        record = found.get(node.address) or MemberHealth(
            node.address, error="not asked: no time was left")
        record.id, record.role, record.member = node.id, node.role, True
        rows.append(record)
    members = {r.address for r in rows}
    for address in given:  # given, but not (or no longer) a member
        if address not in members:
            found[address].member = False
            rows.append(found[address])
    return rows


def _ask_all(addresses: list[str], deadline: float, ssl_context,
             database: str) -> dict[str, MemberHealth]:
    """Ask each address in its own daemon thread; a thread still waiting at
    the deadline is left to end on its own (its socket times out too)."""
    results: queue.Queue = queue.Queue()
    pending = list(addresses)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not pending:
                    return
                address = pending.pop(0)
            results.put(ask(address, deadline, ssl_context, database))

    for _ in range(min(MAX_PARALLEL, len(addresses))):
        threading.Thread(target=work, daemon=True, name="dqlite-health").start()
    found: dict[str, MemberHealth] = {}
    while len(found) < len(addresses):
        remaining = deadline - time.monotonic()
        try:
            record = results.get(timeout=max(remaining, 0) + 0.2)  # the probe's own bound first
        except queue.Empty:
            break
        found[record.address] = record
    waited = "no answer within the timeout"
    for address in addresses:
        found.setdefault(address, MemberHealth(address, error=waited))
    return found


def ask(address: str, deadline: float, ssl_context: ssl.SSLContext | None = None,
        database: str = "db") -> MemberHealth:
    """Ask one node everything :func:`survey` wants, before ``deadline``
    (a ``time.monotonic()`` value). Never raises for a node's failures: they
    go in the record's ``error``."""
    record = MemberHealth(address)
    conn = None
    try:
        conn = Connection.connect(address, _left(deadline), ssl_context)
        record.cert_subject, record.cert_expires = _certificate(conn)
        conn.timeout = _left(deadline)
        sent = time.perf_counter()
        leader = conn.leader()
        record.rtt = time.perf_counter() - sent
        record.reachable = True  # it answered (a frozen node accepts, then says nothing)
        record.leader = leader.address if leader is not None else ""
        conn.timeout = _left(deadline)
        record.cluster = conn.cluster()
        meta = conn.describe()
        record.failure_domain, record.weight = meta.failure_domain, meta.weight
        conn.timeout = _left(deadline)
        record.levels = _levels(conn, record.leader == address, database)
    except (ClientError, ProtocolError, OSError) as e:
        message = e.message if isinstance(e, ServerError) else str(e)
        record.error = message if record.reachable else _unreached(address, message)
        record.cause = e
    finally:
        if conn is not None:
            conn.close()
    return record


def _left(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())


def _unreached(address: str, message: str) -> str:
    # The connect errors often begin with the address, which the row shows.
    for prefix in (f"cannot connect to {address}: ", f"{address}: ", f"{address} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _levels(conn: Connection, leads: bool, database: str) -> tuple[int, int]:
    """The capability ranges the node may be in (see the module's docstring)."""
    if leads:
        conn.open(database)
        level = capabilities.probe(conn).level
        return level, level
    try:
        conn.dump(capabilities.PROBE_DATABASE)
    except ServerError as e:
        if e.message != capabilities.NO_SUCH_DATABASE:
            raise
        return MODERN, AUTHORIZER
    return OLD, MIDDLE


def _certificate(conn: Connection) -> tuple[str | None, datetime | None]:
    """The subject and expiry of the certificate the node presented (TLS only)."""
    cert = conn.peer_certificate()
    if cert is None:
        return None, None
    subject = ", ".join(f"{_SHORT.get(k, k)}={v}" for rdn in cert.get("subject", ())
                        for k, v in rdn) or None
    expires = None
    if cert.get("notAfter"):
        expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]),
                                         UTC)
    return subject, expires


#: How OpenSSL abbreviates the usual subject attributes.
_SHORT = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
          "countryName": "C", "stateOrProvinceName": "ST", "localityName": "L"}

__all__ = ["CERT_WARNING_DAYS", "MemberHealth", "Survey", "ask", "survey"]
