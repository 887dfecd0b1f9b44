"""The roles policy on cluster snapshots (pure decisions, no nodes)."""

import pytest

from dqlite_shell.app.roles import LEAVING, Member, RolesConfig, RolesPlan
from dqlite_shell.wire.constants import Role

V, S, P = Role.VOTER, Role.STANDBY, Role.SPARE


def members(*specs):
    """specs: (role, online[, failure_domain[, weight]]) -> Members with ids 1..n."""
    return [Member(i, f"10.0.0.{i}:9001", role, online, *rest)
            for i, (role, online, *rest) in enumerate(specs, 1)]


def test_config_rejects_even_or_small_voter_counts():
    for bad in (1, 2, 4):
        with pytest.raises(ValueError, match="odd number of at least 3"):
            RolesConfig(voters=bad)
    with pytest.raises(ValueError, match="standbys"):
        RolesConfig(standbys=-1)


def test_assume_waits_for_three_nodes():
    plan = RolesPlan(members((V, True), (P, True)))
    assert plan.assume(2) is None


def test_assume_voter_then_standby_then_nothing():
    assert RolesPlan(members((V, True), (P, True), (P, True))).assume(3) == V
    assert RolesPlan(members((V, True), (V, True), (V, True), (P, True))).assume(4) == S
    full = members((V, True), (V, True), (V, True), (S, True), (P, True))
    assert RolesPlan(full, RolesConfig(standbys=1)).assume(5) is None


def test_assume_counts_only_online_voters():
    plan = RolesPlan(members((V, True), (V, False), (V, True), (P, True)))
    assert plan.assume(4) == V


def test_assume_leaves_voters_standbys_and_strangers_alone():
    plan = RolesPlan(members((V, True), (S, True), (P, True)))
    assert plan.assume(1) is None and plan.assume(2) is None and plan.assume(99) is None


def test_handover_of_a_voter_prefers_standbys_then_other_failure_domains():
    plan = RolesPlan(members((V, True, 1), (V, True, 1), (V, True, 2),
                             (P, True, 1, 5), (S, True, 1), (P, True, 3, 9), (P, False, 4)))
    role, candidates = plan.handover(1)
    assert role == V
    # the peers (2, 3) cover domains 1 and 2: node 6 (domain 3) ranks before 5, then 4
    assert [m.id for m in candidates] == [6, 5, 4]


def test_handover_of_a_standby_takes_spares_only():
    plan = RolesPlan(members((V, True), (S, True), (S, True), (P, True)))
    assert plan.handover(2) == (S, [plan.get(4)])


def test_handover_without_candidates_or_role():
    assert RolesPlan(members((V, True), (V, True), (V, True))).handover(1) == (None, [])
    assert RolesPlan(members((V, True), (P, True))).handover(2) == (None, [])


def test_adjust_small_cluster_keeps_only_the_leader_voting():
    plan = RolesPlan(members((V, True), (V, True)))
    assert plan.adjust(1) == (P, [plan.get(2)])
    assert RolesPlan(members((V, True))).adjust(1) == (None, [])


def test_adjust_promotes_when_voters_are_short():
    plan = RolesPlan(members((V, True), (V, True), (V, False), (P, True), (S, True)))
    role, candidates = plan.adjust(1)
    assert role == V and [m.id for m in candidates] == [5, 4]


def test_adjust_demotes_offline_voters_once_enough_are_online():
    plan = RolesPlan(members((V, True), (V, True), (V, True), (V, False)))
    assert plan.adjust(1) == (P, [plan.get(4)])


def test_adjust_demotes_surplus_voters_but_never_the_leader():
    plan = RolesPlan(members((V, True), (V, True), (V, True), (V, True), (V, True)),
                     RolesConfig(voters=3))
    role, candidates = plan.adjust(1)
    assert role == P and 1 not in [m.id for m in candidates] and len(candidates) == 4


def test_adjust_fills_and_trims_standbys():
    short = RolesPlan(members((V, True), (V, True), (V, True), (P, True)), RolesConfig(standbys=1))
    assert short.adjust(1) == (S, [short.get(4)])
    many = RolesPlan(members((V, True), (V, True), (V, True), (S, True), (S, True)),
                     RolesConfig(standbys=1))
    assert many.adjust(1)[0] == P and len(many.adjust(1)[1]) == 2
    offline = RolesPlan(members((V, True), (V, True), (V, True), (S, True), (S, False)),
                        RolesConfig(standbys=1))
    assert offline.adjust(1) == (P, [offline.get(5)])


def test_adjust_balanced_cluster_needs_nothing():
    plan = RolesPlan(members((V, True), (V, True), (V, True), (S, True), (P, True)),
                     RolesConfig(standbys=1))
    assert plan.adjust(1) == (None, [])


def test_a_leaving_node_is_never_promoted_and_is_demoted_first():
    # Node 5 handed its vote to node 4 and is about to demote itself.
    surplus = RolesPlan(members((V, True), (V, True), (V, True), (V, True), (V, True, 0, LEAVING)),
                        RolesConfig(standbys=1))
    role, candidates = surplus.adjust(1)
    assert role == P and candidates[0].id == 5 and candidates[0].leaving
    # Demoted, still online: short of stand-bys, the leader still leaves it be.
    spare = RolesPlan(members((V, True), (V, True), (V, True), (P, True, 0, LEAVING)),
                      RolesConfig(standbys=1))
    assert spare.adjust(1) == (None, [])
    short = RolesPlan(members((V, True), (V, True), (P, True, 0, LEAVING), (S, True)))
    assert short.adjust(1) == (V, [short.get(4)])
    # Nor does another node's handover pick it.
    handing = RolesPlan(members((V, True), (V, True), (V, True), (P, True, 0, LEAVING), (P, True)))
    assert handing.handover(1) == (V, [handing.get(5)])
