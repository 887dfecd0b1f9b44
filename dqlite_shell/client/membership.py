"""Making a running node a member of an existing cluster (ADD, then ASSIGN,
through the leader): `dqlite-node --join`, `App` and the scratch cluster use it."""

from __future__ import annotations

import logging
import ssl as _ssl
import time
from collections.abc import Iterable

from dqlite_shell.client.errors import ClientError, JoinFailed, MemberConflict, TLSError
from dqlite_shell.client.leader import NodeStore, connect_leader
from dqlite_shell.wire.constants import Role

log = logging.getLogger(__name__)


def join(node_id: int, address: str, cluster: Iterable[str], role: str | int | None = None,
         timeout: float = 30.0, ssl_context: _ssl.SSLContext | None = None) -> None:
    """Make ``node_id`` at ``address`` a member with ``role``, through the leader.

    Idempotent: a node already in the configuration is not added again, only
    given ``role`` if one is asked for and it lacks it, so a restart on the
    same dir is safe. A new member becomes a voter unless ``role`` says else.
    Retries (leader changes, the node still catching up) until ``timeout``.
    """
    wanted = None if role is None else Role.from_name(role) if isinstance(role, str) else Role(role)
    store = NodeStore(cluster)
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        remaining = deadline - time.monotonic()
        try:
            with connect_leader(store, max(remaining, 0.1), ssl_context=ssl_context) as conn:
                members = {n.id: n for n in conn.cluster()}
                member = members.get(node_id)
                if member is None:
                    log.debug("adding %#x at %s", node_id, address)
                    conn.add(node_id, address)
                elif member.address != address:
                    raise MemberConflict(node_id, member.address, address)
                # CLUSTER format 1 names every member's role: None is "not a member".
                current = None if member is None else member.role
                target = wanted if wanted is not None else (
                    Role.VOTER if current is None else current)
                if current != target:
                    log.debug("assigning %#x the role %s", node_id, Role(target).name.lower())
                    conn.assign(node_id, int(target))
                return
        except ClientError as e:
            # A TLS mismatch, a refused certificate or a member elsewhere does
            # not heal by waiting.
            if time.monotonic() + delay >= deadline or isinstance(e, (MemberConflict, TLSError)):
                raise JoinFailed(address, e) from None
            log.debug("join attempt failed: %s", e)
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
