"""``dqlite-demo`` processes (ours and Debian's Go one) for the demo tests, and
small HTTP helpers that see the raw answer (status, headers, body)."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time

from dqlite_shell.native.ports import release_port, reserve_address, wait_for_listener
from tests.conftest import GO_DEMO, TEST_LATENCY_MS

BIN = os.path.dirname(sys.executable)
OUR_DEMO = os.path.join(BIN, "dqlite-demo")
OUR_SHELL = os.path.join(BIN, "dqlite")


class Demo:
    """One demo node as a user starts it; ``go=True`` for the Go binary."""

    def __init__(self, data_dir, go: bool = False, join=(), extra=()):
        self.go = go
        self.api, self.db = reserve_address(), reserve_address()
        self.dir = str(data_dir)
        args = [GO_DEMO if go else OUR_DEMO, "--api", self.api, "--db", self.db,
                "--dir", self.dir]
        for address in join:
            args += ["--join", address]
        if not go:
            args += ["--network-latency-ms", str(TEST_LATENCY_MS)]
        self.proc = subprocess.Popen(args + list(extra), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)

    def wait(self, timeout: float = 30.0) -> Demo:
        """Until the API listens (both demos listen once the node is ready)."""
        try:
            wait_for_listener(self.api, timeout)
        except TimeoutError:
            self.proc.kill()
            raise AssertionError(
                f"demo {self.api} not up: {self.proc.stderr.read().decode()}") from None
        return self

    def signal(self, sig=signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stderr.close()
        for address in (self.api, self.db):
            release_port(int(address.rsplit(":", 1)[1]))


class Demos:
    """Demo nodes started by one test, all stopped at its end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.started: list[Demo] = []

    def start(self, go: bool = False, join=(), extra=(), wait: bool = True) -> Demo:
        demo = Demo(self.tmp_path / f"demo{len(self.started)}", go, join, extra)
        self.started.append(demo)
        return demo.wait() if wait else demo

    def close(self) -> None:
        for demo in self.started:
            demo.close()


def request(api: str, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, conn: http.client.HTTPConnection | None = None):
    """(status, headers without Date, body) of one request."""
    own = conn is None
    if own:
        host, port = api.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        headers = headers or {}
        conn.request(method, path, body=body, headers=headers,
                     encode_chunked=headers.get("Transfer-Encoding") == "chunked")
        response = conn.getresponse()
        data = response.read()
        found = {k: v for k, v in response.getheaders() if k != "Date"}
        return response.status, found, data
    finally:
        if own:
            conn.close()


def put(api: str, key: str, value: str) -> bytes:
    return request(api, "PUT", "/" + key, value.encode())[2]


def get(api: str, key: str) -> bytes:
    return request(api, "GET", "/" + key)[2]


def eventually_get(api: str, key: str, expected: bytes, timeout: float = 30.0) -> float:
    """Poll GET until it answers ``expected``; returns the seconds it took."""
    started = time.monotonic()
    last = None
    while time.monotonic() - started < timeout:
        try:
            last = get(api, key)
            if last == expected:
                return time.monotonic() - started
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"GET {key} on {api}: {last!r}, not {expected!r} after {timeout} s")


def curl(*args: str) -> str:
    result = subprocess.run(["curl", "-sS", "--max-time", "30", *args], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout
