"""Fixtures for App and ``dqlite-demo`` tests."""

import shutil

import pytest

from dqlite_shell.native import available
from dqlite_shell.native.ports import release_port, reserve_address
from tests.app.demo_support import Demos
from tests.conftest import TEST_LATENCY_MS, _go_tools_present, _require


@pytest.fixture
def app_factory(tmp_path):
    """``app_factory(name, cluster=[...], **options) -> App``; closed at teardown.

    Each App gets its own reserved loopback port (kept for restarts on the
    same ``name``) and dir ``tmp_path/name``.
    """
    _require(available(), "libdqlite")
    from dqlite_shell.app.app import App
    apps, addresses = [], {}

    def make(name: str, cluster=(), **options):
        options.setdefault("network_latency_ms", TEST_LATENCY_MS)
        options.setdefault("roles_adjustment_frequency", 0.5)
        if name not in addresses:
            addresses[name] = reserve_address()
        app = App(tmp_path / name, address=options.pop("address", addresses[name]),
                  cluster=cluster, **options)
        apps.append(app)
        return app

    yield make
    for app in reversed(apps):
        app.close(handover=False)
    for address in addresses.values():
        release_port(int(address.rsplit(":", 1)[1]))


@pytest.fixture
def demos(tmp_path):
    """Start demo nodes: ``demos.start(go=False, join=[db address])`` -> Demo."""
    _require(available(), "libdqlite")
    _require(shutil.which("curl") is not None, "curl")
    made = Demos(tmp_path)
    yield made
    made.close()


@pytest.fixture
def go_demos(demos):
    """:func:`demos`, and Debian's Go demo is installed."""
    _require(_go_tools_present(), "go-dqlite")
    return demos
