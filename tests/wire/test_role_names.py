"""Role names live in wire.constants.Role; every command reads them there."""

import pytest

from dqlite_shell.wire.constants import ROLE_NAMES, Role


def test_names_in_role_order_and_as_go_prints_them():
    assert ROLE_NAMES == ("voter", "standby", "spare")
    assert [r.go_name for r in Role] == ["voter", "stand-by", "spare"]


@pytest.mark.parametrize("word, role", [
    ("voter", Role.VOTER), ("VOTER", Role.VOTER), (" spare ", Role.SPARE),
    ("standby", Role.STANDBY), ("stand-by", Role.STANDBY), ("Stand-By", Role.STANDBY),
    ("0", Role.VOTER), ("1", Role.STANDBY), ("2", Role.SPARE), (2, Role.SPARE),
    (Role.STANDBY, Role.STANDBY),
])
def test_parse_takes_every_spelling(word, role):
    assert Role.parse(word) is role


@pytest.mark.parametrize("word", ["3", "-1", "leader", "", 7, "stand by"])
def test_parse_names_the_choices(word):
    with pytest.raises(ValueError, match="expected"):
        Role.parse(word)


def test_the_shell_and_the_node_tool_take_the_same_names():
    from dqlite_shell.app import node_cli
    from dqlite_shell.shell.commands.cluster import parse_role, role_name
    choice = next(p for p in node_cli.command.params if p.name == "role").type
    assert tuple(choice.choices) == ROLE_NAMES
    assert [role_name(parse_role(r.go_name)) for r in Role] == [r.go_name for r in Role]
    assert role_name(None) == "voter" and role_name(9) == "unknown role"
