"""The configuration file, and where it sits between the environment and the options."""

import pytest


@pytest.fixture
def config(tmp_path):
    """Write ``config.toml``; returns the env that makes ``dqlite`` read it."""
    def write(text: str) -> dict:
        folder = tmp_path / "xdg" / "dqlite"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.toml").write_text(text)
        return {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    return write


def test_config_supplies_servers_database_format_and_headers(dqlite, node, config):
    env = config(f'servers = ["{node.address}"]\ndatabase = "cfgdb"\nformat = "csv"\n'
                 'headers = true\ntimeout = 5\n')
    run = dqlite("-c", "CREATE TABLE t (a); INSERT INTO t VALUES ('x,y'); SELECT a FROM t",
                 env=env)
    assert (run.status, run.err) == (0, ""), run
    assert run.out.splitlines() == ["a", '"x,y"']
    run = dqlite("-s", node.address, "cfgdb", "-f", "list", "--no-headers", "-c",
                 "SELECT count(*) FROM t")
    assert run.out == "1\n"  # the config's database was used


def test_environment_sits_between_config_and_options(dqlite, node, node_factory, config):
    other = node_factory()
    env = config(f'servers = "{other.address}"\ndatabase = "fromcfg"\n')
    env.update({"DQLITE_SERVERS": node.address, "DQLITE_DATABASE": "fromenv"})
    dqlite("-c", "CREATE TABLE marker (n)", env=env)
    assert dqlite("-s", node.address, "fromenv", "-c", ".tables").out == "marker\n"
    assert dqlite("-s", other.address, "fromcfg", "-c", ".tables").out == ""
    run = dqlite("-s", other.address, "-c", "CREATE TABLE opt (n)", env=env)  # -s wins
    assert run.status == 0
    assert dqlite("-s", other.address, "fromenv", "-c", ".tables").out == "opt\n"


@pytest.mark.parametrize("text,where,word", [
    ('servers = ["a:1"\nformat = "csv"\n', ":2", ""),
    ('database = "x"\ncolour = true\n', ":2", "colour"),
    ('database = "x"\n\ntimeout = "soon"\n', ":3", "timeout"),
    ('headers = "yes"\n', ":1", "headers"),
    ('servers = [1, 2]\n', ":1", "servers"),
])
def test_a_broken_file_is_one_line_and_exit_2(dqlite, config, text, where, word):
    env = config(text)
    run = dqlite("-c", "SELECT 1", env=env)
    assert run.status == 2, run
    (line,) = run.err.splitlines()
    assert line.startswith("dqlite: error: ") and f"config.toml{where}" in line and word in line


def test_no_config_file_is_fine(dqlite, node, tmp_path):
    run = dqlite("-s", node.address, "-c", "SELECT 2",
                 env={"XDG_CONFIG_HOME": str(tmp_path / "nothing")})
    assert (run.status, run.out) == (0, "2\n")
