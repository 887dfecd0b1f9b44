"""The start-up path of a one-shot ``dqlite -s ADDR -c SQL``: what it sends
and what it loads, and the click-free parser of the common command lines
(shell/quickargs.py) against click's own definition of them."""

import json
import os
import subprocess
import time

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.client.capabilities import AUTHORIZER_PROBE, PROBE_DATABASE, TWO_STATEMENTS
from dqlite_shell.shell import quickargs
from dqlite_shell.shell.cli_options import command
from dqlite_shell.wire.constants import RequestType
from tests.support.processes import run_python

#: Run in the child: ``dqlite ARGS`` with each request frame recorded (its
#: type and body) and the modules loaded by the end, written as JSON to the
#: file named first. Nothing is imported here that the shell would not load.
_RECORDER = r"""
import atexit, builtins, sys

compiled = []  # what builtins.compile was given (the first call costs ~1 ms)
original_compile = builtins.compile

def recording_compile(source, filename="", *args, **kwargs):
    # A module's own source (a stale or missing .pyc) is the bytecode
    # cache's business (make install compiles everything), not start-up's.
    if not str(filename).endswith(".py"):
        compiled.append(str(source)[:80])
    return original_compile(source, filename, *args, **kwargs)

builtins.compile = recording_compile
from dqlite_shell.client import transport

sent = []
original = transport.Transport.send

def recording_send(self, data):
    frames = bytes(data)
    if not getattr(self, "recorder_saw_handshake", False):  # 8 bytes: the version
        self.recorder_saw_handshake = True
        frames = frames[8:]
        sent.append((-1, self.address.encode().hex()))  # a new connection
    while len(frames) >= 8:
        size = int.from_bytes(frames[:4], "little") * 8
        sent.append((frames[4], frames[8:8 + size].hex()))
        frames = frames[8 + size:]
    return original(self, data)

transport.Transport.send = recording_send

def dump():
    modules = sorted(sys.modules)
    import gc, json
    with open(OUT, "w") as f:
        json.dump({"requests": sent, "modules": modules,
                   "gc": [gc.isenabled(), gc.get_freeze_count()], "compiled": compiled}, f)

OUT = sys.argv[1]
atexit.register(dump)
from dqlite_shell.shell.cli import main
main(sys.argv[2:])
"""

#: Never loaded by a one-shot: the REPL's libraries, click (the common
#: command lines do without it), TLS without certificates, what only rarer
#: paths need (.output '|CMD', a busy retry, a [v6] address), dataclasses
#: (it loads inspect: ~5 ms) and the sqlite3 package (datetime and its
#: adapters: sqltext takes complete_statement from _sqlite3, and only for a
#: text with a semicolon), datetime (parameters of its types register it),
#: the idna codec (an ASCII host name goes to getaddrinfo as bytes) and, with
#: a single node, queue (no other nodes to ask in parallel).
_NOT_ON_THE_PATH = ("click", "prompt_toolkit", "pygments", "ssl", "tempfile", "subprocess",
                    "random", "asyncio", "ipaddress", "dataclasses", "inspect", "sqlite3",
                    "_sqlite3", "datetime", "_datetime", "encodings.idna", "stringprep",
                    "unicodedata", "queue",
                    "dqlite_shell.shell.repl", "dqlite_shell.shell.completion",
                    "dqlite_shell.shell.cli_options")


def _record(tmp_path, *args):
    out = tmp_path / "recorded.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")
    proc = run_python(_RECORDER, str(out), *args, env=env, stdin=subprocess.DEVNULL)
    recorded = json.loads(out.read_text())
    requests = [("DIAL" if kind < 0 else RequestType(kind).name, bytes.fromhex(body))
                for kind, body in recorded["requests"]]
    _record.gc = recorded["gc"]  # type: ignore[attr-defined]
    _record.compiled = recorded["compiled"]  # type: ignore[attr-defined]
    return proc, requests, set(recorded["modules"])


def _is_probe(name: str, body: bytes) -> bool:
    """A request of the capability probes (client/capabilities.py), once per node."""
    probes = (TWO_STATEMENTS, AUTHORIZER_PROBE, PROBE_DATABASE)
    return name in ("QUERY_SQL", "PREPARE", "DUMP", "FINALIZE") and (
        name == "FINALIZE" or any(p.encode() in body for p in probes))


def test_one_shot_sends_leader_client_open_and_its_query(node, tmp_path):
    proc, requests, _ = _record(tmp_path, "-s", node.address, "-c", "SELECT 1")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "1\n", "")
    names = [name for name, body in requests if not _is_probe(name, body)]
    # As go-dqlite's shell: no CLUSTER (the members are learnt from a
    # session's second statement on) and no EXEC_SQL before the query.
    assert names == ["DIAL", "LEADER", "CLIENT", "OPEN", "QUERY_SQL"]
    assert b"SELECT 1\0" in requests[-1][1]
    probes = [name for name, body in requests if _is_probe(name, body)]
    assert probes[:1] == ["QUERY_SQL"] and len(probes) <= 4  # 1 on 1.11, 3-4 on 1.18


def test_one_shot_on_a_healthy_cluster_dials_the_first_node_and_the_leader(shared_cluster,
                                                                             tmp_path):
    """Any live member names the leader: the others are asked only when the
    first node fails, names no leader or is silent (client/leader.py)."""
    addresses = shared_cluster.addresses
    proc, requests, _ = _record(tmp_path, "-s", ",".join(addresses), "-f", "list",
                                "-c", ".leader")
    assert proc.returncode == 0, proc.stderr
    leader = proc.stdout.strip().split("|")[-1]
    followers = [a for a in addresses if a != leader]
    for order, dials in (([leader] + followers, [leader]),
                         (followers + [leader], [followers[0], leader])):
        proc, requests, _ = _record(tmp_path, "-s", ",".join(order), "-c", "SELECT 1")
        assert (proc.returncode, proc.stdout) == (0, "1\n"), proc.stderr
        assert [body.decode() for name, body in requests if name == "DIAL"] == dials


def test_a_silent_first_node_holds_the_search_up_only_a_moment(node, listener):
    """A first node that takes the connection and never answers (a frozen
    host): the others are asked after FIRST_ALONE, not after its timeout."""
    from dqlite_shell.client.leader import FIRST_ALONE, NodeStore, connect_leader
    assert FIRST_ALONE <= 0.25
    silent = f"127.0.0.1:{listener.getsockname()[1]}"
    started = time.monotonic()
    with connect_leader(NodeStore([silent, node.address]), timeout=10) as conn:
        assert conn.address == node.address
    assert time.monotonic() - started < 2  # not the 5 s a probe may wait


def test_one_shot_loads_neither_click_nor_the_repl(node, tmp_path):
    proc, _, modules = _record(tmp_path, "-s", node.address, "-f", "list", "--headers",
                               "-c", "SELECT 1 AS one")
    assert (proc.returncode, proc.stdout) == (0, "one\n1\n"), proc.stderr
    loaded = sorted(m for m in modules if m.split(".")[0] in _NOT_ON_THE_PATH
                    or m in _NOT_ON_THE_PATH)
    assert loaded == []


def test_one_shot_compiles_no_python_text(node, tmp_path):
    """No compile() while a one-shot starts: typing.NamedTuple compiles the
    string annotations of ``from __future__ import annotations`` (the modules
    that define the one-shot's NamedTuples go without it), and the first
    compile() of a process costs ~1 ms."""
    proc, _, _ = _record(tmp_path, "-s", node.address, "-c", "SELECT 1")
    assert (proc.returncode, proc.stdout) == (0, "1\n"), proc.stderr
    assert _record.compiled == []  # type: ignore[attr-defined]


def test_one_shot_collects_garbage_once_started(node, tmp_path):
    """cli.main stops the collector while start-up makes what lives as long
    as the process, then freezes that and starts it again."""
    proc, _, _ = _record(tmp_path, "-s", node.address, "-c", "SELECT 1")
    assert (proc.returncode, proc.stdout) == (0, "1\n"), proc.stderr
    enabled, frozen = _record.gc  # type: ignore[attr-defined]
    assert enabled and frozen > 1000  # ~15,000: the modules, classes and session


def test_a_semicolon_loads_sqlites_statement_splitter(node, tmp_path):
    proc, _, modules = _record(tmp_path, "-s", node.address, "-c", "SELECT 1; SELECT 2;")
    assert (proc.returncode, proc.stdout) == (0, "1\n2\n"), proc.stderr
    assert "_sqlite3" in modules and "sqlite3" not in modules


def test_file_options_need_no_click(node, tmp_path):
    proc, _, modules = _record(tmp_path, "-s", node.address, "--no-headers", "--audit-log",
                               str(tmp_path / "audit.jsonl"), "-c", "SELECT 2")
    assert (proc.returncode, proc.stdout) == (0, "2\n"), proc.stderr
    assert "click" not in modules
    assert json.loads((tmp_path / "audit.jsonl").read_text())["text"] == "SELECT 2"


def test_an_option_quickargs_does_not_know_goes_to_click(node, tmp_path):
    proc, _, modules = _record(tmp_path, "-s", node.address, "--ready")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert {"click", "dqlite_shell.shell.cli_options"} <= modules


def test_a_directory_for_a_file_option_is_clicks_error(tmp_path):
    proc, requests, modules = _record(tmp_path, "-s", "127.0.0.1:1", "--audit-log",
                                      str(tmp_path), "-c", "SELECT 1")
    assert (proc.returncode, requests) == (2, [])
    assert "is a directory" in proc.stderr and "click" in modules


def test_usage_errors_are_clicks(tmp_path):
    proc, requests, _ = _record(tmp_path, "-s", "127.0.0.1:1", "-c")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "dqlite: error: Option '-c' requires an argument.\n"
    assert requests == []


# -- quickargs agrees with click -------------------------------------------

def test_quickargs_names_and_defaults_are_clicks():
    assert quickargs.DEFAULTS == command.make_context("dqlite", []).params
    assert list(quickargs.POSITIONALS) == [p.name for p in command.params
                                           if isinstance(p, click.Argument)]
    samples = {"timeout": ("1s", 1.0), "profile": ("microk8s", "microk8s")}
    for name, param in quickargs.VALUE_OPTIONS.items():
        value, expected = samples.get(param, ("x", "x"))
        if param in quickargs.MULTIPLE:
            expected = (expected,)
        assert command.make_context("dqlite", [name, value]).params[param] == expected, name
        assert quickargs.parse([name, value])[param] == expected, name
    for name, (param, value) in quickargs.FLAGS.items():
        assert command.make_context("dqlite", [name]).params[param] is value, name
    # The checks quickargs makes are those of click's types.
    params = {p.name: p for p in command.params}
    for param in set(quickargs.VALUE_OPTIONS.values()):
        kind = params[param].type
        assert kind.name == {"timeout": "duration", "profile": "choice"}.get(
            param, "file" if param in quickargs.FILES else "text"), param
        if param in quickargs.FILES:
            assert (kind.file_okay, kind.dir_okay, kind.exists, kind.allow_dash) == (
                True, False, False, False), param


_WORDS = sorted(quickargs.VALUE_OPTIONS) + sorted(quickargs.FLAGS) + [
    # values and positionals
    "db", "SELECT 1", "2s", "1500", "bogus", "", "-", "--", "-x", "a=b", "microk8s", "auto",
    "/", ".", "/etc/hostname", "no/such/file",
    # forms and options left to click
    "--servers=127.0.0.1:9001", "--timeout=1s", "--headers=1", "-s127.0.0.1:9001", "-1y",
    "-c=x", "--profile", "-k", "--data-dir", "--scratch", "--ready", "-v", "--offline",
    "--no-such-option", "--serv",
]


def _by_click(args):
    try:
        return command.make_context("dqlite", list(args)).params
    except click.exceptions.ClickException:
        return "error"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=7))
def test_quickargs_parses_as_click_does_or_leaves_it_to_click(args):
    quick = quickargs.parse(args)
    if quick is not None:
        assert quick == _by_click(args)


@pytest.mark.parametrize("args", [
    ["-s", "127.0.0.1:9001", "-c", "SELECT 1"],
    ["-s", "a:1", "-s", "b:2,c:3", "db", "SELECT 1"],
    ["--servers=a:1", "-c", "-- a comment", "-c", "SELECT 2", "-1", "--keep-going"],
    ["-f", "csv", "--headers", "--timeout", "2000", "--read-only", "-y", "--no-color"],
])
def test_quickargs_takes_the_common_lines(args):
    assert quickargs.parse(args) == _by_click(args)


def test_shell_completion_is_left_to_click(monkeypatch):
    monkeypatch.setenv(quickargs.COMPLETE_VARIABLE, "bash_complete")
    assert quickargs.parse(["-s", "a:1"]) is None


def test_a_host_name_that_cannot_be_dialled_is_one_line(dqlite):
    # getaddrinfo's idna encoding refused it as a traceback when dialled.
    run = dqlite("-s", "a..b:9001", "-c", "SELECT 1")
    assert (run.status, run.out) == (2, ""), run
    assert run.err == ("dqlite: error: invalid address 'a..b:9001': 'a..b' is not a host name "
                       "(label empty or too long)\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b-c", "", "x" * 62, "x" * 63, "x" * 64, "é", "Bü"]),
                min_size=1, max_size=4).map(".".join))
def test_host_names_are_checked_as_the_idna_codec_checks_them(host):
    """address.py checks an ASCII name without the codec: alike, message too."""
    from dqlite_shell.address import _check_host_name

    def outcome(check):
        try:
            check()
        except UnicodeError as e:
            return str(e.__cause__ or e)
        return None
    assert outcome(lambda: _check_host_name(host)) == outcome(lambda: host.encode("idna"))


def test_date_and_time_parameters_need_datetime_loaded_only_by_their_user():
    code = ("import sys; from dqlite_shell.wire.converters import CONVERTERS, adapt, convert\n"
            "assert 'datetime' not in sys.modules, 'loaded by converters'\n"
            "import datetime as dt\n"
            "class Stamp(dt.datetime): pass\n"
            "print(convert(Stamp(2024, 1, 2, 3, 4, 5)), convert(dt.date(2024, 1, 2)),\n"
            "      adapt([dt.datetime(2024, 1, 2)]), dt.date in CONVERTERS)\n")
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("(<ValueType.ISO8601: 10>, Iso8601('2024-01-02 03:04:05')) "
                           "(<ValueType.ISO8601: 10>, Iso8601('2024-01-02')) "
                           "(Iso8601('2024-01-02 00:00:00'),) True\n")
