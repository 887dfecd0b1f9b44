"""go-dqlite's node files through PyYAML: ``cluster.yaml`` and YAML node stores
(client.nodestore), ``info.yaml`` (native.nodeinfo) and the app's
``cluster.yaml`` (app.files), read back by Debian's Go tools."""

import os
import subprocess

import pytest

from dqlite_shell.app import files
from dqlite_shell.client.nodestore import (
    NodeStoreError,
    dump_yaml,
    format_yaml,
    load_yaml,
    parse_yaml,
    read_store,
)
from dqlite_shell.native import nodeinfo, release_port, reserve_address
from dqlite_shell.native.ports import wait_for_listener
from tests.conftest import GO_DEMO

NODES = [(3297041220608546238, "127.0.0.1:9001", 0), (2**64 - 1, "127.0.0.1:9002", 1),
         (3, "127.0.0.1:9003", 2)]


def triples(nodes):
    return [(n.id, n.address, n.role) for n in nodes]


@pytest.fixture(params=["libyaml", "python"])
def either_yaml(request, monkeypatch):
    """Each test twice: with libyaml's loader and dumper, and with PyYAML's own
    (what a PyYAML built without libyaml has)."""
    import yaml
    assert yaml.__with_libyaml__, "this PyYAML has no libyaml: only half tested"
    if request.param == "python":
        monkeypatch.delattr(yaml, "CSafeLoader")
        monkeypatch.delattr(yaml, "CSafeDumper")


@pytest.mark.parametrize("text", [
    # what YAML allows beside go's layout, with the same meaning
    "[{Address: 127.0.0.1:9001, ID: 3297041220608546238},"
    " {address: '127.0.0.1:9002', id: 0xffffffffffffffff, role: standby},"
    " {Address: 127.0.0.1:9003, ID: 3, Role: spare}]\n",
    "- &first\n  Address: 127.0.0.1:9001\n  ID: 3297041220608546238\n"
    "- {Address: \"127.0.0.1:9002\", ID: 18_446_744_073_709_551_615, Role: 1}\n"
    "- ADDRESS: 127.0.0.1:9003  # upper case, as go's decoder allows\n"
    "  Id: 3\n  Role: !!int 2\n  FailureDomain: [1, 2]\n  Weight: {a: 1}\n",
])
def test_yaml_forms_with_go_meaning(either_yaml, text):
    assert triples(parse_yaml(text, "c.yaml")) == NODES


def test_an_address_is_the_text_written():
    text = "- Address: 9001\n  ID: 1\n- Address: '@abstract'\n  ID: 2\n- Address: yes\n  ID: 3\n"
    assert [n.address for n in parse_yaml(text)] == ["9001", "@abstract", "yes"]


@pytest.mark.parametrize("text, error", [
    ("- ID: '1'\n  Address: a:1\n", "c.yaml:1: ID must be a number, not '1'"),
    ("- ID: 1.5\n  Address: a:1\n", "c.yaml:1: ID must be a number"),
    ("- ID: 1\n  Address: a:1\n  Role: true\n", "c.yaml:3: Role must be a number"),
    ("- ID: -1\n  Address: a:1\n", "c.yaml:1: ID must be from 1 to 2^64-1"),
    ("- ID: 1\n  Address: ''\n", "c.yaml:2: empty Address"),
    ("- ID: 1\n  Address: ~\n", "c.yaml:2: missing value for Address"),
    ("- ID: 1\n  Address: {host: a}\n", "c.yaml:2: expected a plain value for Address, "
                                         "got a mapping"),
    ("- 127.0.0.1:9001\n", "c.yaml:1: expected a node ('ID: ...', 'Address: ...'), "
                           "got '127.0.0.1:9001'"),
    ("5\n", "c.yaml:1: expected a list of nodes"),
    ("---\n...\n", "c.yaml: no nodes"),
    # the item's own line, past comments and blank lines
    ("# the cluster\n\n- ID: 1\n  Address: a:1\n\n- Address: b:1\n  ID: 1\n",
     "c.yaml:6: ID 1 is also on line 3"),
    ("- ID: 1\n  Address: a:1\n-\n  Role: 1\n  ID: 2\n", "c.yaml:4: this node has no Address"),
    ("- ID: 1\n  Address: a:1\n  address: b:1\n", "c.yaml:3: Address given twice"),
    # YAML itself: PyYAML's problem, where it found it, where what it read began
    ("- ID: 1\n  Address: \"a:1\n\n", "c.yaml:4: not valid YAML: "),
    ("- ID: 1\n  Address: @abstract\n", "c.yaml:2: not valid YAML: "),
    ("- ID: 1\n  Address: a:1\n  Role: *nowhere\n", "c.yaml:3: not valid YAML: "),
    ("# caf\u00e9 \u00e9\u00e9\n- ID: 1\n  Address: a\x07:1\n",
     "c.yaml:3: not valid YAML: "),  # libyaml counts bytes, PyYAML characters
])
def test_errors_name_the_file_and_line(either_yaml, text, error):
    with pytest.raises(NodeStoreError) as info:
        parse_yaml(text, "c.yaml")
    assert str(info.value).startswith(error), str(info.value)
    assert "\n" not in str(info.value)


def test_syntax_errors_say_where_the_broken_value_began(either_yaml):
    with pytest.raises(NodeStoreError) as info:
        parse_yaml("- ID: 1\n  Address: 'a:1\n- ID: 2\n  Address: b:1\n", "c.yaml")
    assert str(info.value).startswith("c.yaml:5: not valid YAML: ")
    assert str(info.value).endswith(" on line 2)")
    with pytest.raises(NodeStoreError) as info:
        parse_yaml("- ID: 1\n  Address: a\x00:1\n", "c.yaml")
    assert str(info.value).startswith("c.yaml:2: not valid YAML: ")
    assert str(info.value).endswith(" (character #x0000)")


def test_read_store_names_unreadable_files(tmp_path):
    with pytest.raises(NodeStoreError, match=r"nosuch.yaml: .*(No such file|no such file)"):
        read_store(str(tmp_path / "nosuch.yaml"))
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"- ID: 1\n  Address: caf\xe9:1\n")
    with pytest.raises(ValueError):
        read_store(str(bad))


def test_load_yaml_is_safe_and_names_the_line():
    assert load_yaml("a: [1, 0x10]\nb: !!binary aGk=\n", "f") == {"a": [1, 16], "b": b"hi"}
    with pytest.raises(NodeStoreError, match=r"^f:1: not valid YAML: .*python/object"):
        load_yaml("x: !!python/object/apply:os.system ['true']\n", "f")
    with pytest.raises(NodeStoreError, match=r"^f:2: not valid YAML: "):
        load_yaml("a: 1\n b: 2\n", "f")


# -- writing: go's layout, quoted where YAML needs it ----------------------------

def test_cluster_yaml_is_written_in_gos_layout_and_read_back(either_yaml, tmp_path):
    files.write_store(str(tmp_path), NODES)
    assert (tmp_path / "cluster.yaml").read_text() == (
        "- Address: 127.0.0.1:9001\n  ID: 3297041220608546238\n  Role: 0\n"
        "- Address: 127.0.0.1:9002\n  ID: 18446744073709551615\n  Role: 1\n"
        "- Address: 127.0.0.1:9003\n  ID: 3\n  Role: 2\n")
    assert files.read_store(str(tmp_path)) == [a for _, a, _ in NODES]
    files.write_store(str(tmp_path), [])
    assert (tmp_path / "cluster.yaml").read_text() == "[]\n"
    assert files.read_store(str(tmp_path)) == []


@pytest.mark.parametrize("address", ["@abstract", "[::1]:9001", "9001", "yes", "a: b",
                                     "#x:1", "héte:1"])
def test_addresses_yaml_would_misread_are_quoted(tmp_path, address):
    text = format_yaml([(7, address, 0)])
    assert triples(parse_yaml(text)) == [(7, address, 0)]
    nodeinfo.write(str(tmp_path), nodeinfo.NodeInfo(7, address, 1))
    assert nodeinfo.read(str(tmp_path)) == nodeinfo.NodeInfo(7, address, 1)


def test_info_yaml_reads_what_earlier_versions_wrote(tmp_path):
    (tmp_path / "info.yaml").write_text("Address: 127.0.0.1:9001\nID: 0x10\nRole: 0\n")
    assert nodeinfo.read(str(tmp_path)) == nodeinfo.NodeInfo(16, "127.0.0.1:9001", 0)
    assert nodeinfo.read(str(tmp_path / "none")) is None


@pytest.mark.parametrize("text, error", [
    ("Address: a:1\n", "info.yaml: no ID in it"),
    ("ID: 1\nRole: 0\n", "info.yaml: no Address in it"),
    ("", "info.yaml: empty"),
    ("- ID: 1\n", "info.yaml:1: expected a node"),
    ("ID: 1\nAddress: a:1\nRole: x\n", "info.yaml:3: Role must be a number"),
    ("ID: 1\nAddress: [a:1\n", "info.yaml:3: not valid YAML"),
])
def test_info_yaml_errors_name_the_file_and_line(tmp_path, text, error):
    (tmp_path / "info.yaml").write_text(text)
    with pytest.raises(ValueError) as info:
        nodeinfo.read(str(tmp_path))
    assert str(info.value).startswith(f"{tmp_path}/{error}"), str(info.value)


def test_dump_yaml_keeps_the_order_given():
    assert dump_yaml({"Address": "h:1", "ID": 1, "Role": 0}) == "Address: h:1\nID: 1\nRole: 0\n"


# -- Debian's Go tools read what we write ------------------------------------------

def test_go_demo_writes_the_bytes_we_write_and_restarts_on_ours(go_demo_factory, tmp_path):
    _proc, _api, db = go_demo_factory()
    node_dir = tmp_path / "demo0" / db
    go_info, go_store = ((node_dir / name).read_bytes() for name in ("info.yaml", "cluster.yaml"))
    info = nodeinfo.read(str(node_dir))
    assert info.address == db
    assert go_info == dump_yaml({"Address": db, "ID": info.id, "Role": 0}).encode()
    assert go_store == format_yaml([(info.id, db, 0)]).encode()

    # The same node restarted by Go on files we wrote (a stale member added).
    _proc.kill()
    _proc.wait()
    nodeinfo.write(str(node_dir), info)
    stale = reserve_address()
    files.write_store(str(node_dir), [(info.id, db, 0), (99, stale, 2)])
    api = reserve_address()
    proc = subprocess.Popen([GO_DEMO, "--api", api, "--db", db, "--dir", str(tmp_path / "demo0")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_listener(api)
        assert proc.poll() is None
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        for address in (stale, api):
            release_port(int(address.rsplit(":", 1)[1]))
    assert "yaml" not in err.lower(), err


def test_go_shell_reads_the_store_we_write(go_shell, node, tmp_path):
    # Go cannot read an unquoted @name (hand-written files once had them).
    files.write_store(str(tmp_path), [(2, "@no-such-node", 0), (node.id, node.address, 0)])
    run = subprocess.run([go_shell, "-s", f"file://{tmp_path / 'cluster.yaml'}", "db",
                          "SELECT 40 + 2"], capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout.strip()) == (0, "42"), run.stderr
    assert read_store(str(tmp_path / "cluster.yaml"))[0].address == "@no-such-node"


def test_one_yaml_parser():
    import dqlite_shell
    root = os.path.dirname(dqlite_shell.__file__)
    loaders = []
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    if "import yaml" in f.read():
                        loaders.append(os.path.relpath(path, root))
    assert loaders == ["client/nodestore.py"]
