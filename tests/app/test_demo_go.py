"""Our ``dqlite-demo`` against Debian's Go one: the same answers, byte for
byte, to the same requests; and mixed clusters of both."""

import subprocess

from tests.app.demo_support import OUR_SHELL, eventually_get, get, put, request

#: (method, path, body, headers), sent in this order to each demo.
REQUESTS = [
    ("PUT", "/my-key", b"my-value", {}),
    ("GET", "/my-key", None, {}),
    ("GET", "/missing", None, {}),
    ("POST", "/my-key", b"x", {}),
    ("DELETE", "/my-key", None, {}),
    ("OPTIONS", "/my-key", None, {}),
    ("HEAD", "/my-key", None, {}),
    ("PUT", "/", b"under the empty key", {}),
    ("GET", "/", None, {}),
    ("GET", "///my-key", None, {}),  # not clean: 301, with a body for GET only
    ("PUT", "//my-key", b"x", {}),
    ("GET", "/a/../my-key?x=1", None, {}),
    ("GET", "/my-key?x=1", None, {}),
    ("PUT", "/%C3%BCnic%C3%B6de%20k%E2%82%AC%20y", "välue ✓ 日本".encode(), {}),
    ("GET", "/%C3%BCnic%C3%B6de%20k%E2%82%AC%20y", None, {}),
    ("PUT", "/a%2Fb", b"slash", {}),
    ("GET", "/a/b", None, {}),
    ("GET", "/a%2F%2Fb", None, {}),
    ("PUT", "/bin", b"\xff\xfe\x00abc", {}),  # not UTF-8, and a NUL
    ("GET", "/bin", None, {}),
    ("PUT", "/%FFkey", b"\xfe", {}),
    ("GET", "/%FFkey", None, {}),
    ("PUT", "/html", b"  <HTML><body>hi</body></html>", {}),
    ("GET", "/html", None, {}),
    ("PUT", "/pdf", b"%PDF-1.4 x", {}),
    ("GET", "/pdf", None, {}),
    ("PUT", "/empty", b"", {}),
    ("GET", "/empty", None, {}),
    ("PUT", "/chunked", lambda: iter([b"chu", b"nked"]), {"Transfer-Encoding": "chunked"}),
    ("GET", "/chunked", None, {}),
    ("GET", "/null", None, {}),
    ("GET", "/int", None, {}),
    ("GET", "/real", None, {}),
    ("GET", "/big-real", None, {}),
    ("GET", "/blob", None, {}),
    ("GET", "/%zz", None, {}),  # a bad escape: 400 and the connection closes
]

#: Values only the shell can store.
TYPED = ("INSERT INTO model VALUES ('null', NULL), ('int', 42), ('real', 0.1 + 0.2), "
         "('big-real', 1e21), ('blob', x'41420043')")


def _answers(demo) -> list:
    result = subprocess.run([OUR_SHELL, "-s", demo.db, "demo", "-c", TYPED],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    answers = []
    for method, path, body, headers in REQUESTS:
        if callable(body):  # an iterator, sent chunked: a new one for each run
            body = body()
        answers.append((method, path, request(demo.api, method, path, body, headers)))
    return answers


def test_answers_match_go(go_demos):
    theirs = go_demos.start(go=True, wait=False)
    ours = go_demos.start()
    theirs.wait()
    expected = _answers(theirs)
    got = _answers(ours)
    assert got == expected
    assert expected[1][2] == (200, {"Content-Length": "9",
                                    "Content-Type": "text/plain; charset=utf-8"}, b"my-value\n")


def test_ours_joins_a_go_cluster(go_demos):
    go1 = go_demos.start(go=True)
    ours2 = go_demos.start(join=[go1.db])  # ours joins a Go cluster, as a spare
    # Not through ours2: a spare gets no heartbeats, so it knows no leader
    # (a Go spare answers "no known leader" just the same).
    go3 = go_demos.start(go=True, join=[go1.db])
    assert put(go1.api, "from-go", "written by Go") == b"done\n"
    assert put(ours2.api, "from-python", "written by Python") == b"done\n"
    assert put(go3.api, "from-go3", "ünïcode") == b"done\n"
    for demo in (go1, ours2, go3):
        assert get(demo.api, "from-go") == b"written by Go\n"
        assert get(demo.api, "from-python") == b"written by Python\n"
        assert get(demo.api, "from-go3") == "ünïcode\n".encode()
    cluster = subprocess.run([OUR_SHELL, "-s", ours2.db, "-c", ".cluster"],
                             capture_output=True, text=True, timeout=30)
    assert cluster.stdout.count("voter") == 3, cluster.stdout


def test_go_joins_ours_and_survives_our_stop(go_demos):
    ours1 = go_demos.start()
    go2 = go_demos.start(go=True, join=[ours1.db])  # Go joins our cluster
    ours3 = go_demos.start(join=[f"{ours1.db},{go2.db}"])  # cobra's StringSlice: a,b
    assert put(ours1.api, "k", "v") == b"done\n"
    assert get(go2.api, "k") == b"v\n"
    cluster = subprocess.run([OUR_SHELL, "-s", ours1.db, "-c", ".cluster"],
                             capture_output=True, text=True, timeout=30)
    assert cluster.stdout.count("voter") == 3, cluster.stdout  # ours3 promoted go2 too
    assert ours1.signal() == 0  # hands leadership over to a Go or our node
    eventually_get(go2.api, "k", b"v\n")
    assert put(go2.api, "k2", "v2") == b"done\n"
    assert get(ours3.api, "k2") == b"v2\n"
