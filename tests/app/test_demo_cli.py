"""``dqlite-demo``'s command line: one-line errors with exit 1 (as Go's demo
exits 1), clean stops on every signal Go's demo stops on, and the Go
behaviours of :mod:`dqlite_shell.app.gohttp` on their own."""

import signal
import socket
import subprocess

import pytest

from dqlite_shell.app import gohttp
from tests.app.demo_support import OUR_DEMO, get, put
from tests.support.processes import blocked_signals


def _fails(args, *more) -> str:
    result = subprocess.run([OUR_DEMO, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dqlite-demo: error: "), result.stderr
    for text in more:
        assert text in lines[0]
    return lines[0]


def test_bad_flags(tmp_path, free_address):
    _fails(["--db", free_address], "--api")
    _fails(["--api", free_address], "--db")
    _fails(["-a", free_address, "-d", free_address, "--bogus"], "--bogus")
    _fails(["-a", free_address, "-d", free_address, "-D", str(tmp_path), "--key", "k.pem"],
           "--cert")


def test_unusable_dir(tmp_path, free_address):
    (tmp_path / "file").write_text("")
    _fails(["-a", free_address, "-d", "127.0.0.1:1", "-D", str(tmp_path / "file" / "sub")],
           "can't create")


def test_taken_ports(tmp_path, demos):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        free = demos.start(wait=False)  # reserves two addresses; its node is killed below
        free.proc.kill()
        free.proc.wait()
        _fails(["-a", address, "-d", free.db, "-D", str(tmp_path)], address)
        _fails(["-a", free.api, "-d", address, "-D", str(tmp_path / "b")])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT, signal.SIGPWR])
def test_signals_stop_cleanly(demos, sig):
    demo = demos.start(extra=["-v"])
    assert put(demo.api, "k", "v") == b"done\n"
    assert demo.signal(sig) == 0
    assert demo.db in demo.proc.stderr.read().decode()  # -v logs to stderr


def test_threads_leave_the_stop_signals_to_the_main_one(demos):
    """As dqlite-node's (tests/test_node_process.py): a signal taken by
    another thread must still stop the demo."""
    demo = demos.start()
    pid = demo.proc.pid
    others = [mask for tid, mask in blocked_signals(pid).items() if tid != pid]
    stop = sum(1 << (sig - 1) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT))
    assert len(others) >= 2 and all(mask & stop == stop for mask in others), others
    assert demo.signal() == 0


def test_restart_keeps_data(demos):
    demo = demos.start()
    assert put(demo.api, "k", "kept") == b"done\n"
    assert demo.signal() == 0
    again = subprocess.Popen(demo.proc.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    demo.proc = again  # the fixture stops it
    demo.wait()
    assert get(demo.api, "k") == b"kept\n"


@pytest.mark.parametrize("value,text", [
    (1.5, "1.5"), (100.0, "100"), (123456.0, "123456"), (1e6, "1e+06"),
    (1234567.0, "1.234567e+06"), (0.0001, "0.0001"), (0.00001, "1e-05"),
    (0.1 + 0.2, "0.30000000000000004"), (-0.0, "-0"), (1e21, "1e+21"), (5e-324, "5e-324"),
    (float("inf"), "+Inf"), (float("nan"), "NaN"), (-2.5e-7, "-2.5e-07")])
def test_go_float_format(value, text):
    assert gohttp.format_float(value) == text


@pytest.mark.parametrize("path,clean", [
    (b"/", b"/"), (b"/k", b"/k"), (b"//k", b"/k"), (b"/a/../k", b"/k"), (b"/./k/", b"/k/"),
    (b"/..", b"/"), (b"/a//b/", b"/a/b/"), (b"", b"/")])
def test_clean_path(path, clean):
    assert gohttp.clean_path(path) == clean


@pytest.mark.parametrize("body,kind", [
    (b"done\n", "text/plain; charset=utf-8"), (b"<html>\n", "text/html; charset=utf-8"),
    (b" <!-- c -->", "text/html; charset=utf-8"), (b"<htmlx>", "text/plain; charset=utf-8"),
    (b"<?xml version", "text/xml; charset=utf-8"), (b"\x89PNG\r\n\x1a\n..", "image/png"),
    (b"AB\x00C\n", "application/octet-stream"), (b"\xff\xfe\n", "text/plain; charset=utf-8"),
    (b"\xff\xfeab", "text/plain; charset=utf-16le"), (b"GIF89a", "image/gif")])
def test_detect_content_type(body, kind):
    assert gohttp.detect_content_type(body) == kind


def test_tls_cluster(demos, go_shell, tmp_path):
    cert, key = str(tmp_path / "cluster.crt"), str(tmp_path / "cluster.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-sha256", "-days", "30", "-nodes",
                    "-keyout", key, "-out", cert, "-subj", "/CN=dqlite", "-addext",
                    "subjectAltName=DNS:dqlite,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    tls = ["--cert", cert, "--key", key]
    first = demos.start(extra=tls)
    second = demos.start(join=[first.db], extra=tls + ["--ca", cert])
    assert put(first.api, "k", "over TLS") == b"done\n"  # the HTTP API stays plain
    assert get(second.api, "k") == b"over TLS\n"
    # Go's shell, with the cluster's certificate, reads what the demo wrote.
    shown = subprocess.run([go_shell, "-s", first.db, "-c", cert, "-k", key, "demo",
                            "SELECT * FROM model"], capture_output=True, text=True, timeout=30)
    assert shown.stdout == "k|over TLS\n", shown.stderr
    assert first.signal() == 0
