"""An App cluster over mutual TLS: joins, roles, the driver, the Go shell, handover."""

import subprocess

from dqlite_shell.wire.constants import Role
from tests.app.test_app import leader_address, roles_of
from tests.support.certs import certs  # noqa: F401 - the fixture


def test_tls_app_cluster_serves_driver_and_go_shell(app_factory, certs, go_shell):  # noqa: F811
    tls = certs.cluster.tuple()
    apps = [app_factory("n0", tls=tls)]
    apps[0].ready(10)
    for i in (1, 2, 3):
        apps.append(app_factory(f"n{i}", cluster=[apps[0].address], tls=tls, standbys=1))
        apps[-1].ready(20)
    roles = roles_of(apps[0])
    assert sorted(roles.values()) == [Role.VOTER] * 3 + [Role.STANDBY]
    db = apps[3].open("secure")
    db.execute("CREATE TABLE t (k TEXT, v INTEGER)")
    db.execute("INSERT INTO t VALUES ('a', 1), ('b', 2)")
    db.commit()
    out = subprocess.run([go_shell, "--cert", certs.cluster.cert, "--key", certs.cluster.key,
                          "-s", apps[1].address, "secure", "SELECT k, v FROM t ORDER BY k"],
                         capture_output=True, text=True, timeout=30)
    assert (out.returncode, out.stdout, out.stderr) == (0, "a|1\nb|2\n", "")
    # Handover over TLS: the leader leaves, the stand-by votes, writes go on.
    leader = next(a for a in apps if a.address == leader_address(apps[0]))
    leader.close()
    rest = [a for a in apps if a is not leader]
    roles = roles_of(rest[0])
    assert roles[leader.address] == Role.SPARE
    assert [roles[a.address] for a in rest].count(Role.VOTER) == 3
    db.execute("INSERT INTO t VALUES ('c', 3)")
    db.commit()
    check = rest[-1].open("secure")
    assert check.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
