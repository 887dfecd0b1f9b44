"""Canonical products' dqlite layouts under a temporary root, with TLS clusters.

Each layout is made as the product makes it (read from their sources):

* MicroK8s (microk8s-resources/certs/csr-dqlite.conf.template, init_cluster in
  microk8s-resources/actions/common/utils.sh): ``openssl req -x509 -newkey
  rsa:4096 -subj /CN=k8s -config csr-dqlite.conf -extensions v3_ext``, CA:FALSE,
  DNS = the first node's hostname, IP = its address; here a 2048-bit key (speed)
  and the address of a node elsewhere (10.0.0.1): none of our loopback nodes
  matches an IP of the certificate, as for every node of a MicroK8s cluster but
  the first.
* Canonical Kubernetes (k8s-snap, pkg/k8sd/pki/k8s_dqlite.go): self-signed,
  CN=k8s, DNS = the hostname; its IP SANs (127.0.0.1, ::1) are left out so that
  the name check, not the address, is what verifies on loopback.
* Juju (agent/format-2.0.go): a CA and a controller certificate it signed,
  DNS localhost, juju-apiserver, juju-mongodb, anything; the agent.conf of
  the controller's machine agent holds them as ``cacert``, ``controllercert``
  and ``controllerkey``; runbooks extract the latter two to ./dqlite.cert and
  ./dqlite.key for the Go shell.

``cluster.yaml`` is go-dqlite's YAML node store, as the nodes write it.
"""

from __future__ import annotations

import os
import subprocess
from typing import NamedTuple

import pytest

from dqlite_shell.app.local import LocalCluster
from dqlite_shell.client.session import Session
from dqlite_shell.client.tls import client_context
from tests.conftest import TEST_LATENCY_MS, _require

MICROK8S_DIR = "var/snap/microk8s/current/var/kubernetes/backend"
K8S_DIR = "var/snap/k8s/common/var/lib/k8s-dqlite"
JUJU_DIR = "var/lib/juju/dqlite"
JUJU_AGENT = "var/lib/juju/agents/machine-0/agent.conf"

_MICROK8S_CONF = """[ req ]
default_bits = 2048
prompt = no
default_md = sha256
req_extensions = req_ext
distinguished_name = dn

[ dn ]
C = "US"
ST = "Isles of Blessed"
L = "Arkadia"
O = acme
OU = dev
CN = k8s

[ req_ext ]
subjectAltName = @alt_names

[ alt_names ]
DNS = HOSTNAME
IP = HOSTIP

[ v3_ext ]
authorityKeyIdentifier=keyid,issuer:always
basicConstraints=CA:FALSE
keyUsage=keyEncipherment,dataEncipherment,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=@alt_names
"""


def _openssl(*args: str, cwd: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, cwd=cwd)


def microk8s_cert(folder: str, hostname: str = "microk8s-node-1") -> tuple[str, str]:
    conf = os.path.join(folder, "csr-dqlite.conf")
    with open(conf, "w") as f:
        f.write(_MICROK8S_CONF.replace("HOSTNAME", hostname).replace("HOSTIP", "10.0.0.1"))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "3650", "-nodes",
             "-keyout", "cluster.key", "-out", "cluster.crt", "-subj", "/CN=k8s",
             "-config", conf, "-extensions", "v3_ext", cwd=folder)
    os.unlink(conf)
    return os.path.join(folder, "cluster.crt"), os.path.join(folder, "cluster.key")


def k8s_cert(folder: str, hostname: str = "k8s-node-1") -> tuple[str, str]:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-sha256", "-days", "3650", "-nodes", "-keyout", "cluster.key", "-out",
             "cluster.crt", "-subj", "/CN=k8s",
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
             "-addext", "extendedKeyUsage=serverAuth,clientAuth",
             "-addext", f"subjectAltName=DNS:{hostname}", cwd=folder)
    return os.path.join(folder, "cluster.crt"), os.path.join(folder, "cluster.key")


def juju_certs(folder: str) -> tuple[str, str, str]:
    """(ca.crt, controller.crt, controller.key)."""
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-sha256", "-days", "3650", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-subj", '/CN=juju-generated CA for model "juju-ca"/O=Juju',
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,digitalSignature", cwd=folder)
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", "controller.key", "-out", "controller.csr",
             "-subj", "/CN=*/O=Juju", cwd=folder)
    with open(os.path.join(folder, "controller.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,"
                "DNS:juju-apiserver,DNS:juju-mongodb,DNS:anything\n")
    _openssl("x509", "-req", "-in", "controller.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", "controller.ext",
             "-out", "controller.crt", cwd=folder)
    return tuple(os.path.join(folder, n) for n in ("ca.crt", "controller.crt", "controller.key"))


def _block(text: str) -> str:
    return "|\n" + "".join(f"  {line}\n" for line in text.strip().splitlines())


def write_agent_conf(path: str, ca: str, cert: str, key: str) -> None:
    """An agent.conf as Juju 3's format 2.0 writes it (the keys that matter, and
    some around them)."""
    read = {n: open(p).read() for n, p in (("ca", ca), ("cert", cert), ("key", key))}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("# format 2.0\ntag: machine-0\ndatadir: /var/lib/juju\n"
                "logdir: /var/log/juju\nnonce: user-admin:bootstrap\njobs:\n- JobManageModel\n"
                "upgradedToVersion: 3.6.0\n"
                f"cacert: {_block(read['ca'])}"
                "controller: controller-2e1a1c8e-1b3c-4d77-8c0a-6f0e2f1d9a10\n"
                f"controllercert: {_block(read['cert'])}"
                f"controllerkey: {_block(read['key'])}"
                "apiport: 17070\nstateport: 37017\nvalues:\n  PROVIDER_TYPE: lxd\n")


class Product(NamedTuple):
    """A product's layout under ``root`` and the TLS cluster it points at."""

    name: str
    root: str
    folder: str        # where cluster.yaml is (absolute, under root)
    cert: str          # the client certificate and key a runbook passes
    key: str
    cluster: LocalCluster

    @property
    def store(self) -> str:
        return os.path.join(self.folder, "cluster.yaml")


def write_cluster_yaml(path: str, cluster: LocalCluster, context) -> None:
    session = Session(list(cluster.addresses), "db", ssl_context=context, timeout=30)
    try:
        nodes = session.cluster()
    finally:
        session.close()
    with open(path, "w") as f:
        for node in nodes:
            f.write(f"- ID: {node.id}\n  Address: {node.address}\n  Role: {node.role}\n")


def make_product(name: str, root: str, size: int = 1, latency_ms: int | None = None) -> Product:
    """Lay ``name`` (microk8s, k8s, juju) out under ``root`` and start its
    cluster of ``size`` TLS nodes (close ``product.cluster`` when done)."""
    if name == "juju":
        folder = os.path.join(root, JUJU_DIR)
        os.makedirs(folder)
        secrets = os.path.join(root, "juju-secrets")
        os.makedirs(secrets)
        ca, cert, key = juju_certs(secrets)
        write_agent_conf(os.path.join(root, JUJU_AGENT), ca, cert, key)
        tls = (cert, key, ca)  # the controllers trust Juju's CA
    else:
        folder = os.path.join(root, MICROK8S_DIR if name == "microk8s" else K8S_DIR)
        os.makedirs(folder)
        cert, key = (microk8s_cert if name == "microk8s" else k8s_cert)(folder)
        tls = (cert, key)
    cluster = LocalCluster(size, os.path.join(root, "nodes"), tls=tls,
                           network_latency_ms=latency_ms)
    try:
        write_cluster_yaml(os.path.join(folder, "cluster.yaml"), cluster,
                           client_context(cert, key, tls[2] if len(tls) > 2 else None))
    except BaseException:
        cluster.close()
        raise
    return Product(name, root, folder, cert, key, cluster)


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """microk8s, k8s and juju laid out under a root each, with one TLS node each."""
    from dqlite_shell.native import available
    _require(available(), "libdqlite")
    made = {}
    try:
        for name in ("microk8s", "k8s", "juju"):
            made[name] = make_product(name, str(tmp_path_factory.mktemp(name)),
                                      latency_ms=TEST_LATENCY_MS)
        yield made
    finally:
        for product in made.values():
            product.cluster.close()
