"""Config < environment < option, from one table (config.LAYERS) on both
parsers of the command line: click (default_map, envvar) and quickargs
(config.layer). A trailing ``--`` sends a command line to click."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.shell import config, quickargs
from dqlite_shell.shell.cli_options import command

PATHS = ["quickargs", "click"]


@pytest.fixture
def write_config(tmp_path):
    def write(text: str) -> dict:
        folder = tmp_path / "xdg" / "dqlite"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.toml").write_text(text)
        return {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    return write


def _by_click(args, cfg, environ, monkeypatch):
    for variable in {v for _, v in config.LAYERS.values() if v}:
        monkeypatch.delenv(variable, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    ctx = command.make_context("dqlite", list(args), default_map=config.default_map(cfg))
    names = {"COMMANDLINE": config.OPTION, "ENVIRONMENT": config.ENVIRONMENT,
             "DEFAULT_MAP": config.CONFIG}
    sources = {p: names[ctx.get_parameter_source(p).name] for p in config.LAYERS
               if ctx.get_parameter_source(p).name in names}
    return ctx.params, sources


def _by_quickargs(args, cfg, environ):
    options, given_ = quickargs.parse_given(list(args))
    return options, config.layer(options, given_, cfg, environ)


CFG = {"servers": ["10.0.0.1:1"], "database": "fromcfg", "format": "json", "timeout": "300ms",
       "headers": True, "color": False, "audit_log": "~/audit.jsonl", "read_only": True}
ENV = {"DQLITE_SERVERS": "10.0.0.2:2", "DQLITE_DATABASE": "fromenv"}


@pytest.mark.parametrize("args, environ, expected", [
    ([], {}, {"servers": (("10.0.0.1:1",), "config"), "database": ("fromcfg", "config"),
              "fmt": ("json", "config"), "timeout": (0.3, "config")}),
    ([], ENV, {"servers": (("10.0.0.2:2",), "environment"),
               "database": ("fromenv", "environment"), "fmt": ("json", "config"),
               "timeout": (0.3, "config")}),
    (["-s", "10.0.0.3:3", "-f", "csv", "--timeout", "2s", "fromopt"], ENV,
     {"servers": (("10.0.0.3:3",), "option"), "database": ("fromopt", "option"),
      "fmt": ("csv", "option"), "timeout": (2.0, "option")}),
])
def test_each_layer_over_the_one_below_on_both_parsers(args, environ, expected, monkeypatch):
    quick = _by_quickargs(args, CFG, environ)
    click = _by_click(args, CFG, environ, monkeypatch)
    assert quick == click
    options, sources = quick
    for param, (value, source) in expected.items():
        assert (options[param], sources[param]) == (value, source), param
    assert (options["no_color"], options["headers"], options["read_only"]) == (True, True, True)
    assert not options["audit_log"].startswith("~")


def test_without_config_or_environment_nothing_is_layered(monkeypatch):
    assert _by_quickargs([], {}, {}) == _by_click([], {}, {}, monkeypatch) == (
        quickargs.DEFAULTS, {})


_CONFIGS = st.fixed_dictionaries({}, optional={
    "servers": st.lists(st.sampled_from(["a:1", "b:2"]), min_size=1, max_size=2),
    "database": st.sampled_from(["x", "y"]), "format": st.sampled_from(["csv", "json"]),
    "timeout": st.sampled_from([5, "2s", 2000]), "headers": st.booleans(),
    "cert": st.just("c.pem"), "key": st.just("k.pem"), "blob": st.sampled_from(["hex", "auto"]),
    "history": st.booleans(), "read_only": st.booleans()})
_ENVIRONS = st.fixed_dictionaries({}, optional={
    "DQLITE_SERVERS": st.sampled_from(["e:1", "e:1,f:2", "e:1 f:2", ""]),
    "DQLITE_DATABASE": st.sampled_from(["envdb", ""])})
_ARGS = st.lists(st.sampled_from([["-s", "o:1"], ["-f", "list"], ["--timeout", "3"],
                                  ["--no-headers"], ["--read-only"], ["--cert", "o.pem"],
                                  ["optdb"]]), max_size=4, unique_by=lambda a: a[0])


@settings(max_examples=150, deadline=None)
@given(cfg=_CONFIGS, environ=_ENVIRONS, words=_ARGS)
def test_quickargs_layers_as_click_does(cfg, environ, words):
    args = [w for pair in words for w in pair]
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _by_quickargs(args, cfg, environ) == _by_click(args, cfg, environ, monkeypatch)


# -- end to end: what the shell then does -----------------------------------

def _run(dqlite, path, *args, env):
    return dqlite(*args, *(["--"] if path == "click" else []), env=env)


def _shown(run, name):
    return [line.split(":", 1)[1].strip() for line in run.out.splitlines()
            if line.strip().startswith(f"{name}:")]


@pytest.mark.parametrize("path", PATHS)
def test_servers_and_database_config_then_environment_then_option(dqlite, node, free_address,
                                                                   write_config, path):
    dead = free_address
    env = write_config(f'servers = ["{node.address}"]\ndatabase = "fromcfg"\n')
    run = _run(dqlite, path, "-c", ".show", env=env)
    assert run.status == 0, run
    assert (_shown(run, "servers"), _shown(run, "database")) == ([node.address], ["fromcfg"])

    env = write_config(f'servers = ["{dead}"]\ndatabase = "fromcfg"\n')
    env.update({"DQLITE_SERVERS": node.address, "DQLITE_DATABASE": "fromenv"})
    run = _run(dqlite, path, "-c", ".show", env=env)
    assert run.status == 0, run
    assert (_shown(run, "servers"), _shown(run, "database")) == ([node.address], ["fromenv"])

    env.update({"DQLITE_SERVERS": dead})
    run = _run(dqlite, path, "-s", node.address, "-c", ".show", "fromopt", env=env)
    assert run.status == 0, run
    assert (_shown(run, "servers"), _shown(run, "database")) == ([node.address], ["fromopt"])


@pytest.mark.parametrize("path", PATHS)
def test_format_and_timeout_config_then_option(dqlite, node, free_address, write_config, path):
    env = write_config(f'servers = ["{node.address}"]\nformat = "json"\ntimeout = "300ms"\n')
    run = _run(dqlite, path, "-c", "SELECT 1 AS a", env=env)
    assert (run.status, run.out) == (0, '[{"a":1}]\n'), run
    run = _run(dqlite, path, "-f", "csv", "-c", "SELECT 1 AS a", env=env)
    assert (run.status, run.out) == (0, "1\n"), run

    run = _run(dqlite, path, "-s", free_address, "-c", "SELECT 1", env=env)
    assert run.status == 2 and "no leader found within 0.3 s" in run.err, run
    run = _run(dqlite, path, "-s", free_address, "--timeout", "0.2", "-c", "SELECT 1", env=env)
    assert run.status == 2 and "no leader found within 0.2 s" in run.err, run


def test_a_broken_config_does_not_stop_help(dqlite, write_config):
    env = write_config("colour = true\n")
    assert dqlite("--help", env=env).status == 0
    run = dqlite("-c", "SELECT 1", env=env)
    assert run.status == 2 and "config.toml:1: unknown key 'colour'" in run.err
