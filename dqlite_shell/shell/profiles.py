"""Profiles: where each Canonical product keeps its dqlite node store,
certificate, key and database, so that ``dqlite --profile NAME`` needs nothing else.

:data:`PROFILES` is the one table; ``--help``, shell completion (a click
Choice) and the man page's PROFILES section all come from it. Every path is
absolute and is put under ``$DQLITE_PROFILE_ROOT`` when that is set (tests,
chroots). Reading a profile checks its files first: a missing product and a
file only root may read are each one line naming the file.
"""

from __future__ import annotations

import errno
import glob
import os
from typing import NamedTuple

from dqlite_shell.shell.errors import Failure

ROOT_VARIABLE = "DQLITE_PROFILE_ROOT"
AUTO = "auto"


class Profile(NamedTuple):
    """One product's layout. ``cert``/``key`` are files, or for Juju empty:
    ``agent_conf`` (a glob) names the agent.conf that holds them as PEM text
    under ``agent_cert_key``/``agent_key_key``."""

    name: str
    product: str
    marker: str         # present when the product is installed here
    store: str          # go-dqlite's cluster.yaml
    cert: str = ""
    key: str = ""
    agent_conf: str = ""
    agent_cert_key: str = ""
    agent_key_key: str = ""
    database: str = "db"
    read_only: bool = True  # the default of --read-only/--write (live control planes)
    blob: str = "auto"      # the default of --blob: kine's values are mostly text (JSON)


_MICROK8S = "/var/snap/microk8s/current/var/kubernetes/backend"
_K8S = "/var/snap/k8s/common/var/lib/k8s-dqlite"

#: name -> profile, in the order ``auto`` tries them.
PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("microk8s", "MicroK8s", _MICROK8S, f"{_MICROK8S}/cluster.yaml",
            f"{_MICROK8S}/cluster.crt", f"{_MICROK8S}/cluster.key", database="k8s"),
    Profile("k8s", "Canonical Kubernetes (k8s-snap)", _K8S, f"{_K8S}/cluster.yaml",
            f"{_K8S}/cluster.crt", f"{_K8S}/cluster.key", database="k8s"),
    # Juju 3.x: the controller agent's agent.conf (machine-N on machines,
    # controller-N on Kubernetes) holds the controller certificate and key
    # (juju/juju agent/format-2.0.go: controllercert, controllerkey).
    Profile("juju", "Juju controller", "/var/lib/juju/dqlite", "/var/lib/juju/dqlite/cluster.yaml",
            agent_conf="/var/lib/juju/agents/*/agent.conf", agent_cert_key="controllercert",
            agent_key_key="controllerkey", database="controller"),
)}

#: The values --profile takes.
CHOICES = [*PROFILES, AUTO]


class Resolved(NamedTuple):
    """What a profile fills in; ``cert_pem``/``key_pem`` when the product keeps
    PEM text rather than files (Juju), ``source`` then names the file."""

    profile: Profile
    servers: str            # file://STORE
    database: str
    cert: str | None = None
    key: str | None = None
    cert_pem: str | None = None
    key_pem: str | None = None
    source: str | None = None


def under_root(path: str) -> str:
    """``path`` under ``$DQLITE_PROFILE_ROOT`` when it is set."""
    root = os.environ.get(ROOT_VARIABLE)
    return os.path.join(root, path.lstrip("/")) if root else path


def installed(profile: Profile) -> bool:
    """Whether the product's folder is here (even if only root may read it)."""
    try:
        os.stat(under_root(profile.marker))
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def pick(name: str) -> Profile:
    """The profile called ``name``; ``auto`` is the one product installed here."""
    if name != AUTO:
        return PROFILES[name]
    found = [p for p in PROFILES.values() if installed(p)]
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(p.name for p in found)
        raise Failure(f"--profile auto: several products are installed here ({names}): "
                      "choose one with --profile NAME")
    looked = ", ".join(f"{p.name} ({under_root(p.marker)})" for p in PROFILES.values())
    raise Failure(f"--profile auto: no dqlite product is installed here (looked for {looked})")


def resolve(name: str, need_store: bool = True, need_tls: bool = True) -> Resolved:
    """Check and read the profile's files; ``need_*`` False skips what the
    command line gives itself (-s, --cert/--key)."""
    profile = pick(name)
    store = under_root(profile.store)
    if need_store:
        _check_readable(profile, store)
    resolved = Resolved(profile, f"file://{store}", profile.database)
    if not need_tls:
        return resolved
    if profile.agent_conf:
        conf = _agent_conf(profile)
        cert_pem, key_pem = _read_agent_conf(profile, conf)
        return resolved._replace(cert_pem=cert_pem, key_pem=key_pem, source=conf)
    cert, key = under_root(profile.cert), under_root(profile.key)
    for path in (cert, key):
        _check_readable(profile, path)
    return resolved._replace(cert=cert, key=key)


def _check_readable(profile: Profile, path: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise Failure(_unreadable(profile, path, e)) from None


def _unreadable(profile: Profile, path: str, e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return (f"cannot read {path}: permission denied ({profile.product} keeps its files "
                "for root: run with sudo)")
    if e.errno == errno.ENOENT and not installed(profile):
        return (f"--profile {profile.name}: {profile.product} is not installed here "
                f"({under_root(profile.marker)} does not exist)")
    return f"--profile {profile.name}: cannot read {path}: {e.strerror}"


def _agent_conf(profile: Profile) -> str:
    pattern = under_root(profile.agent_conf)
    agents = os.path.dirname(os.path.dirname(pattern))
    try:
        os.listdir(agents)
    except OSError as e:
        raise Failure(_unreadable(profile, agents, e)) from None
    # machine-N (machines) or controller-N (Kubernetes): the one with the key.
    candidates = sorted(glob.glob(pattern))
    for conf in candidates:
        try:
            with open(conf, encoding="utf-8") as f:
                if f"{profile.agent_key_key}:" in f.read():
                    return conf
        except OSError as e:
            raise Failure(_unreadable(profile, conf, e)) from None
    raise Failure(f"--profile {profile.name}: no controller agent here: no {pattern} holds "
                  f"{profile.agent_key_key}")


def _read_agent_conf(profile: Profile, conf: str) -> tuple[str, str]:
    from dqlite_shell.client.nodestore import load_yaml
    try:
        with open(conf, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise Failure(_unreadable(profile, conf, e)) from None
    except UnicodeDecodeError:
        raise Failure(f"{conf}: not valid YAML: not UTF-8 text") from None
    try:
        data = load_yaml(text, conf)
    except ValueError as e:  # the message names the file and the line
        raise Failure(str(e)) from None
    values = []
    for key in (profile.agent_cert_key, profile.agent_key_key):
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, str) or "-----BEGIN" not in value:
            raise Failure(f"{conf}: no PEM {key} in it (not a controller's agent.conf?)")
        values.append(value)
    return values[0], values[1]


def describe() -> list[tuple[str, str]]:
    """(name, one line) per profile, for --help and the man page."""
    lines = []
    for p in PROFILES.values():
        tls = (f"{p.agent_cert_key}/{p.agent_key_key} of {p.agent_conf}" if p.agent_conf
               else "cluster.crt, cluster.key beside it")
        lines.append((p.name, f"{p.product}: {p.store}, {tls}; database {p.database}"))
    lines.append((AUTO, "the one of these installed here"))
    return lines
