"""Which node should hold which Raft role: the policy of go-dqlite's app.

A cluster wants ``voters`` (odd, at least 3) online voters and ``standbys``
online stand-bys; every other node is a spare. Decisions are pure functions
of a snapshot of the cluster (:class:`Member` list, with ``online`` set when
the node answered DESCRIBE), so they are easy to test; :mod:`app.app` takes
the snapshot and carries the decisions out through the leader.

Candidates for a promotion are ordered as go-dqlite orders them: nodes in a
failure domain that the current holders of the role do not cover first,
then lower weight first.

A node handing over (``App.handover``) first sets its weight to
:data:`LEAVING`: a leader never promotes it (it is still online until it
stops) and demotes it before any other when the handover's promotion leaves
a surplus of voters or stand-bys for a moment.
"""

from __future__ import annotations

from dataclasses import dataclass

from dqlite_shell.wire.constants import Role

#: Below this many nodes the cluster keeps one voter (the leader).
MIN_VOTERS = 3
#: The weight of a node that is going away (the largest the wire carries).
LEAVING = 2**64 - 1


@dataclass(frozen=True)
class Member:
    """One node of the configuration as seen at one moment."""
    id: int
    address: str
    role: Role
    online: bool = True
    failure_domain: int = 0
    weight: int = 0

    @property
    def leaving(self) -> bool:
        return self.weight == LEAVING


@dataclass(frozen=True)
class RolesConfig:
    """Target numbers of online voters and stand-bys."""
    voters: int = 3
    standbys: int = 3

    def __post_init__(self):
        if self.voters < MIN_VOTERS or self.voters % 2 == 0:
            raise ValueError(f"voters must be an odd number of at least {MIN_VOTERS}, "
                             f"not {self.voters}")
        if self.standbys < 0:
            raise ValueError(f"standbys must be 0 or more, not {self.standbys}")


#: The default targets (a RolesConfig is frozen: one instance serves all).
DEFAULT_CONFIG = RolesConfig()

#: A decision: the role to give and the nodes to try, best first (or no change).
Change = tuple[Role | None, list[Member]]
NO_CHANGE: Change = (None, [])


class RolesPlan:
    """Role decisions for one snapshot of the cluster."""

    def __init__(self, members: list[Member], config: RolesConfig = DEFAULT_CONFIG):
        self.members = list(members)
        self.config = config

    def get(self, node_id: int) -> Member | None:
        return next((m for m in self.members if m.id == node_id), None)

    def holders(self, role: Role, online: bool = True) -> list[Member]:
        return [m for m in self.members if m.role == role and m.online == online]

    def _candidates(self, *roles: Role) -> list[Member]:
        """Online holders of ``roles`` that may be promoted (not leaving)."""
        return [m for role in roles for m in self.holders(role) if not m.leaving]

    def assume(self, node_id: int) -> Role | None:
        """The role a spare starting up should take itself, if the cluster is
        short of online voters or stand-bys (and has at least 3 nodes)."""
        me = self.get(node_id)
        if len(self.members) < MIN_VOTERS or me is None or me.role != Role.SPARE:
            return None
        voters = len(self.holders(Role.VOTER))
        if voters < self.config.voters:
            return Role.VOTER
        if len(self.holders(Role.STANDBY)) < self.config.standbys:
            return Role.STANDBY
        return None

    def handover(self, node_id: int) -> Change:
        """The role a node going away should pass on, and to whom."""
        me = self.get(node_id)
        if me is None or me.role not in (Role.VOTER, Role.STANDBY):
            return NO_CHANGE
        peers = [m for m in self.holders(me.role) if m.id != node_id]
        candidates = self._candidates(Role.SPARE)
        if me.role == Role.VOTER:
            candidates = self._candidates(Role.STANDBY) + candidates
        if not candidates:
            return NO_CHANGE
        return me.role, self._ranked(candidates, peers)

    def adjust(self, leader_id: int) -> Change:
        """One change the leader should make, or none: promote when online
        voters or stand-bys are short, demote surplus and offline ones."""
        if len(self.members) == 1:
            return NO_CHANGE
        if len(self.members) < MIN_VOTERS:
            # Too small for 3 voters: keep the leader as the only voter.
            extra = [m for m in self.members if m.role == Role.VOTER and m.id != leader_id]
            return (Role.SPARE, extra[:1]) if extra else NO_CHANGE
        for role, wanted, candidates in (
                (Role.VOTER, self.config.voters, self._candidates(Role.STANDBY, Role.SPARE)),
                (Role.STANDBY, self.config.standbys, self._candidates(Role.SPARE))):
            online, offline = self.holders(role), self.holders(role, online=False)
            if len(online) < wanted:
                return (role, self._ranked(candidates, online)) if candidates else NO_CHANGE
            if len(online) > wanted:
                surplus = [m for m in online if m.id != leader_id]
                return Role.SPARE, sorted(surplus, key=lambda m: not m.leaving)
            if offline:
                return Role.SPARE, offline
        return NO_CHANGE

    @staticmethod
    def _ranked(candidates: list[Member], holders: list[Member]) -> list[Member]:
        covered = {m.failure_domain for m in holders if m.online}
        return sorted(candidates, key=lambda m: (m.failure_domain in covered, m.weight))
