"""Cluster dot-commands against real nodes, with Debian's Go shell as the oracle."""

import subprocess

import pytest

from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.registry import CommandError, UsageError
from tests.shell.conftest import run_command as run
from tests.support.waiting import wait_for


def go(go_shell, servers, command, json=False) -> str:
    args = [go_shell, "-s", ",".join(servers), "db", command]
    if json:
        args[1:1] = ["-f", "json"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- read-only: the shared cluster -------------------------------------------------

def test_cluster_and_leader_match_the_go_shell(shell, shared_cluster, go_shell):
    servers = shared_cluster.addresses
    state = shell(servers)
    ours = run(state, ".cluster")
    assert ours == go(go_shell, servers, ".cluster")
    lines = ours.splitlines()
    assert sorted(line.split("|")[1] for line in lines) == sorted(servers)
    assert all(line.split("|")[2] == "voter" for line in lines)
    assert run(state, ".leader") == go(go_shell, servers, ".leader")
    assert run(state, ".leader").strip() in servers

    state.settings.mode = "json"
    assert run(state, ".cluster") == go(go_shell, servers, ".cluster", json=True)


def test_cluster_in_other_modes_goes_through_the_renderer(shell, shared_cluster):
    from dqlite_shell.shell import engine
    state = shell(shared_cluster.addresses)
    rows = [tuple(line.split("|")) for line in run(state, ".cluster").splitlines()]
    run(state, ".mode csv")
    run(state, ".headers on")
    assert run(state, ".cluster") == "id,address,role\n" + "".join(",".join(r) + "\n"
                                                                    for r in rows)
    reference = shell(shared_cluster.addresses)
    for mode in ("table", "line", "markdown"):
        run(state, f".mode {mode}")
        reference.settings = state.settings
        engine.show(reference, ["id", "address", "role"], [rows])
        assert run(state, ".cluster") == reference.out.getvalue()
        reference.out.seek(0)
        reference.out.truncate()


def test_describe_matches_the_go_shell(shell, shared_cluster, go_shell):
    servers = shared_cluster.addresses
    state = shell(servers)
    for address in servers:
        ours = run(state, f".describe {address}")
        assert ours == f"{address}|0|0\n"
        assert ours == go(go_shell, servers, f".describe {address}")
    state.settings.mode = "json"
    assert (run(state, f".describe {servers[1]}")
            == go(go_shell, servers, f".describe {servers[1]}", json=True)
            == '{\n\t"FailureDomain": 0,\n\t"Weight": 0\n}\n')


def test_members_are_found_by_address(shell, shared_cluster):
    state = shell(shared_cluster.addresses)
    before = run(state, ".cluster")
    for line in (".remove 127.0.0.1:1", ".assign 127.0.0.1:1 spare", ".transfer 127.0.0.1:1"):
        with pytest.raises(CommandError) as info:
            run(state, line)
        assert str(info.value) == 'no node has address "127.0.0.1:1"'
        assert not isinstance(info.value, UsageError)
    assert run(state, ".cluster") == before


def test_describe_of_a_dead_address_is_a_one_line_error(shell, shared_cluster, free_address):
    state = shell(shared_cluster.addresses)
    with pytest.raises(CommandError) as info:
        run(state, f".describe {free_address}")
    assert free_address in str(info.value) and "\n" not in str(info.value)


# -- nodes of our own ---------------------------------------------------------------

def test_weight_is_set_on_the_node_itself(shell, node_factory, go_shell):
    node = node_factory(failure_domain=5)
    state = shell([node.address])
    assert run(state, f".describe {node.address}") == f"{node.address}|5|0\n"
    assert run(state, f".weight {node.address} 7") == ""
    assert run(state, f".describe {node.address}") == f"{node.address}|5|7\n"
    assert go(go_shell, [node.address], f".describe {node.address}") == f"{node.address}|5|7\n"
    state.settings.mode = "json"
    assert (run(state, f".describe {node.address}")
            == go(go_shell, [node.address], f".describe {node.address}", json=True))


def test_add_assign_remove(shell, node, node_factory, free_address, go_shell):
    state = shell([node.address])
    printed = run(state, f".add {free_address}")
    new_id = int(printed, 16)
    assert printed == f"{new_id:x}\n" and new_id > 0
    assert f"{new_id:x}|{free_address}|spare\n" in run(state, ".cluster")

    node_factory(address=free_address, node_id=new_id)  # the node we added
    run(state, f".assign {free_address} voter")
    assert f"{new_id:x}|{free_address}|voter\n" in run(state, ".cluster")

    run(state, f".assign {free_address} standby")
    ours = run(state, ".cluster")
    assert ours == go(go_shell, [node.address], ".cluster")
    assert ours == f"{node.id:x}|{node.address}|voter\n{new_id:x}|{free_address}|stand-by\n"

    run(state, f".assign {free_address} stand-by")  # as .cluster spells it
    run(state, f".remove {free_address}")
    assert run(state, ".cluster") == f"{node.id:x}|{node.address}|voter\n"

    # An explicit id, in hex as .cluster prints it; the node need not run.
    assert run(state, ".add 127.0.0.1:1 0xABC") == "abc\n"
    assert "abc|127.0.0.1:1|spare\n" in run(state, ".cluster")
    with pytest.raises(CommandError) as info:
        run(state, ".add 127.0.0.1:2 abc")  # the id is taken
    assert str(info.value).startswith('add node "127.0.0.1:2": ')
    run(state, ".remove 127.0.0.1:1")
    assert run(state, ".cluster") == f"{node.id:x}|{node.address}|voter\n"


def test_transfer_moves_leadership(shell, cluster_factory, go_shell):
    cluster = cluster_factory(3)
    state = shell(cluster.addresses)
    leader = run(state, ".leader").strip()
    target = next(a for a in cluster.addresses if a != leader)
    assert run(state, f".transfer {target}") == ""

    def leader_is_target():
        fresh = shell(cluster.addresses)
        return run(fresh, ".leader") == f"{target}\n"

    assert wait_for(leader_is_target)
    assert go(go_shell, cluster.addresses, ".leader") == f"{target}\n"
    assert run(shell(cluster.addresses), ".cluster") == go(go_shell, cluster.addresses, ".cluster")


# -- wrong arguments: the usage line, and nothing sent ------------------------------

BAD = [
    ".cluster x", ".leader x",
    ".add", ".add A 1 2", ".add A zz", ".add A 0", ".add A -1", ".add A 1ffffffffffffffff",
    ".assign A", ".assign A boss", ".assign A voter x", ".assign A 3",
    ".remove", ".remove A B", ".transfer", ".transfer A B",
    ".describe", ".describe A B",
    ".weight A", ".weight A -1", ".weight A x", ".weight A 1.5", ".weight A 18446744073709551616",
]


@pytest.mark.parametrize("line", BAD)
def test_wrong_arguments_give_the_usage_line_and_send_nothing(shell, listener, line):
    address = "{}:{}".format(*listener.getsockname())
    state = shell([address])
    cmd = registry.lookup(line.split()[0])
    with pytest.raises(UsageError) as info:
        registry.run(state, line.replace(" A", " " + address))
    message = str(info.value)
    assert message == f"usage: {cmd.usage}" or message.startswith(f"usage: {cmd.usage} (")
    assert state.out.getvalue() == ""
    assert state._session is None
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_no_leader_passes_through_for_the_caller_to_report(shell, free_address):
    from dqlite_shell.client.errors import NoLeaderError
    state = shell([free_address])
    state.timeout = 0.5
    for line in (".cluster", ".leader", ".remove 127.0.0.1:1"):
        with pytest.raises(NoLeaderError):
            run(state, line)
