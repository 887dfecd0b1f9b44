"""go-dqlite's README walk-through, word for word, with our ``dqlite-demo``
and the real curl; then the shell, a clean stop and a crash."""

import signal
import subprocess

from tests.app.demo_support import OUR_SHELL, curl, eventually_get, get, put


def test_readme_walkthrough(demos):
    # dqlite-demo --api 127.0.0.1:8001 --db 127.0.0.1:9001 &  (and 8002, 8003 with --join)
    first = demos.start()
    second = demos.start(join=[first.db])
    third = demos.start(join=[first.db])

    # curl -X PUT -d my-value http://127.0.0.1:8001/my-key
    assert curl("-X", "PUT", "-d", "my-value", f"http://{first.api}/my-key") == "done\n"
    # curl http://127.0.0.1:8001/my-key
    assert curl(f"http://{first.api}/my-key") == "my-value\n"

    # dqlite -s 127.0.0.1:9001 demo; SELECT * FROM model;  ->  my-key|my-value
    shown = subprocess.run([OUR_SHELL, "-s", first.db, "demo", "-f", "list", "-c",
                            "SELECT * FROM model"], capture_output=True, text=True, timeout=30)
    assert (shown.returncode, shown.stdout) == (0, "my-key|my-value\n"), shown.stderr

    # kill -TERM %1; curl http://127.0.0.1:8002/my-key
    assert first.signal(signal.SIGTERM) == 0
    eventually_get(second.api, "my-key", b"my-value\n")

    # The handover left a working cluster: writes go through, through any node.
    assert put(third.api, "after", "stop") == b"done\n"
    assert get(second.api, "after") == b"stop\n"


def test_leader_killed(demos):
    first = demos.start()
    second = demos.start(join=[first.db])
    third = demos.start(join=[first.db])
    # Node 3 is ready once it is a voter, but node 2 may still be promoting;
    # a write through every node shows each one knows the cluster.
    for i, demo in enumerate((first, second, third)):
        assert put(demo.api, f"k{i}", f"v{i}") == b"done\n"
    assert first.signal(signal.SIGKILL) == -signal.SIGKILL
    took = eventually_get(second.api, "k0", b"v0\n")
    assert put(third.api, "k3", "v3") == b"done\n"
    assert get(second.api, "k3") == b"v3\n"
    assert took < 30
