"""``dqlite_shell.client`` names its public API, as docs/api.md uses it."""


import dqlite_shell.client as client
from dqlite_shell.client import errors
from tests.support.processes import run_python


def test_every_public_name_imports_and_is_the_real_class():
    for name in client.__all__:
        assert getattr(client, name).__name__ == name
    from dqlite_shell.client.session import Session
    assert client.Session is Session


def test_every_client_error_is_public():
    listed = {name for name in dir(errors)
              if isinstance(getattr(errors, name), type)
              and issubclass(getattr(errors, name), Exception)}
    assert listed <= set(client.__all__)
    assert issubclass(client.StatementLost, client.ClientError)


def test_an_unknown_name_is_an_attribute_error():
    try:
        _ = client.NoSuchThing
    except AttributeError as e:
        assert "NoSuchThing" in str(e)
    else:
        raise AssertionError("no AttributeError")


def test_the_package_loads_nothing_until_a_name_is_used():
    code = ("import sys, dqlite_shell.client; "
            "print(sorted(m for m in sys.modules if m.startswith('dqlite_shell.client.')))")
    out = run_python(code, check=True)
    assert out.stdout.strip() == "[]"


def test_the_api_guide_example_runs_against_a_node(node):
    session = client.Session([node.address], "api")
    try:
        session.execute("CREATE TABLE t (n INTEGER)")
        session.execute("INSERT INTO t VALUES (1), (2)")
        assert list(session.execute("SELECT n FROM t ORDER BY n")) == [(1,), (2,)]
    finally:
        session.close()
