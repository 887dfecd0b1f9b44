"""Our shell and Debian's Go shell on the same dqlite-demo node: same output."""

import subprocess

import pytest


def _go(go_shell, address, command):
    result = subprocess.run([go_shell, "-s", address, "demo", command], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def demo(go_demo_factory):
    _proc, _api, db = go_demo_factory()
    return db


STATEMENTS = [
    "SELECT key, value FROM model ORDER BY key",
    "SELECT 1, 'two', 3.5, -4",
    "SELECT count(*), max(length(value)) FROM model",
    "SELECT 'ünïcødé ✓', 'a|b'",
    ".cluster",
    ".leader",
]


def test_same_output_as_the_go_shell(dqlite, go_shell, demo):
    for i, value in enumerate(["alpha", "βeta", "gamma gamma"]):
        _go(go_shell, demo, f"INSERT INTO model (key, value) VALUES ('k{i}', '{value}')")
    for statement in STATEMENTS:
        ours = dqlite("-s", demo, "demo", statement)
        assert ours.status == 0, ours
        assert ours.out == _go(go_shell, demo, statement), statement


def test_describe_matches(dqlite, go_shell, demo):
    statement = f".describe {demo}"
    ours = dqlite("-s", demo, "demo", statement)
    assert ours.status == 0, ours
    assert ours.out == _go(go_shell, demo, statement)


def test_rows_written_by_one_shell_read_by_the_other(dqlite, go_shell, demo):
    inserted = dqlite("-s", demo, "demo", "INSERT INTO model VALUES ('ours', 'from python')")
    assert inserted.status == 0, inserted
    _go(go_shell, demo, "INSERT INTO model VALUES ('theirs', 'from go')")
    assert _go(go_shell, demo, "SELECT value FROM model WHERE key = 'ours'") == "from python\n"
    read = dqlite("-s", demo, "demo", "SELECT value FROM model WHERE key = 'theirs'")
    assert read.out == "from go\n", read


@pytest.mark.parametrize("fmt", ["tabular", "json"])
def test_dot_commands_in_go_formats_match(dqlite, go_shell, demo, fmt):
    # One node: a joining one changes role while the two shells look.
    for statement in [".cluster", ".leader", f".describe {demo}"]:
        ours = dqlite("-s", demo, "-f", fmt, "demo", statement)
        go = subprocess.run([go_shell, "-s", demo, "-f", fmt, "demo", statement],
                            capture_output=True, text=True, timeout=60)
        assert (ours.status, go.returncode) == (0, 0), (ours, go.stderr)
        assert ours.out == go.stdout, statement
