"""Test certificates, made with the ``openssl`` command as go-dqlite's docs say.

``make_cert(dir, name)`` writes a self-signed EC P-256 certificate and key whose
first DNS name is ``dqlite`` (the Go shell checks the server name against the
certificate's first DNS name) and which is valid for 127.0.0.1 and ::1. Two
unrelated ones serve as "the cluster's" and "another CA's".
"""

from __future__ import annotations

import os
import subprocess
from typing import NamedTuple

import pytest


class Cert(NamedTuple):
    """File names of a self-signed certificate (also its own CA) and its key."""

    cert: str
    key: str

    @property
    def ca(self) -> str:
        return self.cert

    def tuple(self) -> tuple[str, str, str]:
        return (self.cert, self.key, self.cert)


def make_cert(directory: str, name: str, cn: str = "dqlite") -> Cert:
    """Write ``name.crt`` and ``name.key`` into ``directory`` with openssl."""
    cert = os.path.join(directory, f"{name}.crt")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-sha256", "-days", "30", "-nodes", "-keyout", key, "-out", cert, "-subj", f"/CN={cn}",
         "-addext", "subjectAltName=DNS:dqlite,IP:127.0.0.1,IP:::1"],
        check=True, capture_output=True, timeout=30)
    return Cert(cert, key)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """``certs.cluster`` and ``certs.other`` (unrelated CA), plus ``certs.dir``."""
    directory = str(tmp_path_factory.mktemp("certs"))

    class Certs:
        dir = directory
        cluster = make_cert(directory, "cluster")
        other = make_cert(directory, "other", cn="another-dqlite")

    return Certs
