"""Our ABI-mode declarations compile against each server's dqlite.h without a
warning, the optional ones (node options of later releases) where the header
declares them."""

import os
import subprocess
import sys

import pytest

from dqlite_shell.native._cdef import OPTIONAL
from tests.native.servers import SERVERS, require
from tests.support.processes import run_python

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The optional symbols each server's header must declare (and we check).
EXPECTED = {
    "1.11": set(),
    "1.17": set(OPTIONAL) - {"dqlite_node_set_busy_timeout"},
    "1.18": set(OPTIONAL),
}


@pytest.mark.parametrize("name", list(SERVERS))
def test_declarations_match_the_header(tmp_path, name):
    server = require(SERVERS[name])
    prefix = ["--prefix", server.prefix] if server.prefix else []
    result = subprocess.run([sys.executable, os.path.join(ROOT, "native", "abi_check.py"),
                             str(tmp_path), *prefix], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok: declarations match dqlite.h")
    assert f"{server.include_dir}/dqlite.h" in lines[0]
    checked = set(lines[1].removeprefix("optional: ").split()) - {"none"}
    assert checked == EXPECTED[name]


def test_a_wrong_declaration_fails_the_check(tmp_path):
    """The check is real: a signature unlike the header's does not compile."""
    server = require(SERVERS["1.18"])
    script = (f"import sys; sys.argv[1:] = [{str(tmp_path)!r}, '--prefix', {server.prefix!r}]\n"
              "from dqlite_shell.native import _cdef\n"
              "_cdef.OPTIONAL['dqlite_node_set_busy_timeout'] = ('1.18.2', "
              "'int dqlite_node_set_busy_timeout(dqlite_node *n, double msecs);')\n"
              f"sys.path.insert(0, {os.path.join(ROOT, 'native')!r})\n"
              "import abi_check; abi_check.main()\n")
    result = run_python(script, timeout=120, cwd=ROOT)
    assert result.returncode != 0
    assert "dqlite_node_set_busy_timeout" in result.stdout + result.stderr
