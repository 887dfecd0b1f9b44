"""``dqlite --profile microk8s|k8s|juju|auto`` end to end on TLS clusters laid
out as each product lays them out, under DQLITE_PROFILE_ROOT."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from dqlite_shell.shell import profiles
from tests.shell.conftest import DQLITE
from tests.support.products import JUJU_AGENT, Product, products  # noqa: F401 - the fixture


def _in(product_or_root, *args, stdin=None):
    """``dqlite ARGS`` with DQLITE_PROFILE_ROOT at a product's root (or a folder)."""
    from tests.shell.conftest import run_dqlite
    root = product_or_root.root if isinstance(product_or_root, Product) else product_or_root
    return run_dqlite(*args, stdin=stdin, env={profiles.ROOT_VARIABLE: str(root)})


@pytest.mark.parametrize("name,database", [("microk8s", "k8s"), ("k8s", "k8s"),
                                           ("juju", "controller")])
def test_profile_fills_in_store_certificate_key_and_database(products, name,  # noqa: F811
                                                              database):
    product = products[name]
    table = f"written_by_{name}"
    run = _in(product, "--profile", name, "--write", "-c",  # profiles default to read-only
              f"CREATE TABLE IF NOT EXISTS {table} (x); INSERT INTO {table} VALUES (1)")
    assert (run.status, run.err) == (0, ""), run
    # It went to the product's default database, on the product's cluster.
    args = ["-s", f"file://{product.store}", "--cert", product.cert, "--key", product.key]
    if name == "juju":
        args += ["--ca", os.path.join(product.root, "juju-secrets", "ca.crt")]
    check = _in(product, *args, database, f"SELECT count(*) FROM {table}")
    assert (check.status, check.out) == (0, "1\n"), check
    leader = _in(product, "--profile", name, "-f", "json", "-c", ".leader")
    assert leader.out == f"{product.cluster.addresses[0]}\n", leader


def test_database_argument_and_options_override_the_profile(products):  # noqa: F811
    product = products["k8s"]
    run = _in(product, "--profile", "k8s", "other", "SELECT 'in other'")
    assert (run.status, run.out) == (0, "in other\n"), run
    # -s given: the profile's store is not read (nor needed).
    address = product.cluster.addresses[0]
    run = _in(product, "--profile", "k8s", "-s", address, "-c", ".leader")
    assert (run.status, run.out) == (0, f"{address}\n"), run
    # --cert/--key given: the profile's are not used (here: the wrong pair).
    other = products["microk8s"]
    run = _in(product, "--profile", "k8s", "--cert", other.cert, "--key", other.key,
              "-c", "SELECT 1")
    assert run.status == 2 and "certificate verify failed" in run.err, run


def test_auto_picks_the_one_product_installed(products):  # noqa: F811
    run = _in(products["juju"], "--profile", "auto", "-c", "SELECT 'auto'")
    assert (run.status, run.out) == (0, "auto\n"), run


def test_auto_with_two_products_or_none_says_so(products, tmp_path):  # noqa: F811
    both = tmp_path / "both"
    (both / "var" / "snap").mkdir(parents=True)
    for name in ("microk8s", "k8s"):
        os.symlink(os.path.join(products[name].root, "var", "snap", name),
                   both / "var" / "snap" / name)
    run = _in(both, "--profile", "auto", "-c", "SELECT 1")
    assert run.status == 2 and run.err == (
        "dqlite: error: --profile auto: several products are installed here "
        "(microk8s, k8s): choose one with --profile NAME\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    run = _in(empty, "--profile", "auto", "-c", "SELECT 1")
    assert run.status == 2 and run.err.count("\n") == 1
    assert run.err.startswith("dqlite: error: --profile auto: no dqlite product is installed "
                              f"here (looked for microk8s ({empty}/var/snap/microk8s/"), run


def test_a_product_not_installed_is_named(products):  # noqa: F811
    run = _in(products["microk8s"], "--profile", "k8s", "-c", "SELECT 1")
    assert run.status == 2
    assert run.err == ("dqlite: error: --profile k8s: Canonical Kubernetes (k8s-snap) is not "
                       f"installed here ({products['microk8s'].root}/var/snap/k8s/common/var/"
                       "lib/k8s-dqlite does not exist)\n")


def test_juju_agent_of_a_kubernetes_controller_among_other_agents(products,  # noqa: F811
                                                                  tmp_path):
    juju = products["juju"]
    root = tmp_path / "root"
    shutil.copytree(os.path.join(juju.root, "var", "lib", "juju", "dqlite"),
                    root / "var" / "lib" / "juju" / "dqlite")
    agents = root / "var" / "lib" / "juju" / "agents"
    (agents / "controller-0").mkdir(parents=True)
    shutil.copy(os.path.join(juju.root, JUJU_AGENT), agents / "controller-0" / "agent.conf")
    (agents / "application-a").mkdir()  # sorts first; not a controller
    (agents / "application-a" / "agent.conf").write_text("tag: application-a\n")
    run = _in(root, "--profile", "juju", "-c", ".leader")
    assert (run.status, run.out) == (0, f"{juju.cluster.addresses[0]}\n"), run
    # No controller agent at all: said in one line.
    os.unlink(agents / "controller-0" / "agent.conf")
    run = _in(root, "--profile", "juju", "-c", ".leader")
    assert run.status == 2 and run.err == (
        f"dqlite: error: --profile juju: no controller agent here: no {agents}/*/agent.conf "
        "holds controllerkey\n")


def test_unreadable_files_say_sudo(products, tmp_path):  # noqa: F811
    """As MicroK8s leaves them (chmod -R o-rwX backend), read by a user who is not root."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (to make a file that only root reads) and setpriv")
    product = products["microk8s"]
    root = tmp_path / "root"
    shutil.copytree(product.root, root, symlinks=True,
                    ignore=shutil.ignore_patterns("nodes"))
    backend = root / "var/snap/microk8s/current/var/kubernetes/backend"
    for path in [root, *root.parents]:
        if str(path).startswith("/tmp/"):
            os.chmod(path, 0o755)  # the way down is open; the backend is not
    os.chmod(backend, 0o750)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env.update({profiles.ROOT_VARIABLE: str(root), "XDG_CONFIG_HOME": str(tmp_path / "none"),
                "HOME": str(tmp_path)})
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    result = subprocess.run(nobody + DQLITE + ["--profile", "microk8s", "-c", "SELECT 1"],
                            capture_output=True, text=True, timeout=60, env=env, input="")
    assert result.returncode == 2
    assert result.stderr == (f"dqlite: error: cannot read {backend}/cluster.yaml: permission "
                             "denied (MicroK8s keeps its files for root: run with sudo)\n")
    # A readable store, but a key for root only.
    os.chmod(backend, 0o755)
    os.chmod(backend / "cluster.key", 0o600)
    result = subprocess.run(nobody + DQLITE + ["--profile", "microk8s", "-c", "SELECT 1"],
                            capture_output=True, text=True, timeout=60, env=env, input="")
    assert result.returncode == 2
    assert result.stderr == (f"dqlite: error: cannot read {backend}/cluster.key: permission "
                             "denied (MicroK8s keeps its files for root: run with sudo)\n")


def test_profile_table_feeds_help_and_completion():
    from click.testing import CliRunner

    from dqlite_shell.shell.cli import command
    help_text = CliRunner().invoke(command, ["--help"], terminal_width=200).output
    for profile in profiles.PROFILES.values():
        assert profile.store in help_text and f"database {profile.database}" in help_text
    env = {"_DQLITE_COMPLETE": "bash_complete", "COMP_WORDS": "dqlite --profile ",
           "COMP_CWORD": "2"}
    completed = subprocess.run(DQLITE, capture_output=True, text=True, timeout=60,
                               env={**os.environ, **env})
    values = [line.split(",", 1)[1] for line in completed.stdout.splitlines()]
    assert values == profiles.CHOICES


def test_man_page_lists_the_profile_table():
    import re
    page = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "man", "dqlite.1")
    with open(page, encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^\.SH PROFILES\n(.*?)^\.SH ", text, re.M | re.S).group(1)
    section = section.replace("\\-", "-")
    assert re.findall(r"^\.TP\n\.B (\S+)$", section, re.M) == profiles.CHOICES
    for profile in profiles.PROFILES.values():
        assert profile.store in section and profile.product in section
        assert f"database\n.BR {profile.database} ." in section
        for key in (profile.agent_cert_key, profile.agent_key_key):
            assert not key or f".B {key}" in section
