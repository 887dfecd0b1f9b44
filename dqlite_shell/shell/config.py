"""The configuration file: ``$XDG_CONFIG_HOME/dqlite/config.toml``.

(``~/.config/dqlite/config.toml`` when XDG_CONFIG_HOME is not set.) Command-line
options override it; the environment variables DQLITE_SERVERS and
DQLITE_DATABASE sit between the two. Example::

    servers = ["127.0.0.1:9001", "127.0.0.1:9002"]   # or "a:1,b:2"
    database = "app"
    format = "table"
    headers = true
    timeout = 5.0
    cert = "/etc/dqlite/cluster.crt"
    key = "/etc/dqlite/cluster.key"
    ca = "/etc/dqlite/ca.crt"
    history = true
    color = true

A broken file is one error naming the file, the line and the key.
"""

from __future__ import annotations

import os
import re

#: key -> (accepted types, what to say when the type is wrong)
KEYS = {
    "servers": ((list, str), "a list of addresses or one comma-separated string"),
    "database": ((str,), "a string"),
    "format": ((str,), "a string (table, list, csv, json, jsonl, markdown, line)"),
    "headers": ((bool,), "true or false"),
    "timeout": ((int, float), "a number of seconds"),
    "cert": ((str,), "a file name"),
    "key": ((str,), "a file name"),
    "ca": ((str,), "a file name"),
    "history": ((bool,), "true or false"),
    "color": ((bool,), "true or false"),
}


class ConfigError(ValueError):
    """A configuration file that cannot be used; one line naming file, line and key."""


def path() -> str:
    """Where the configuration file is looked for."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "dqlite", "config.toml")


def load(file: str | None = None) -> dict:
    """The settings of the configuration file ({} when there is none)."""
    file = file or path()
    try:
        with open(file, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConfigError(f"{file}: {e.strerror}") from None
    import tomllib  # only when there is a file: it is not free at start-up
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        at = re.search(r"\(at line (\d+), column \d+\)", message)
        where = f"{file}:{at.group(1)}" if at else file
        raise ConfigError(f"{where}: {message.split(' (at ')[0]}") from None
    for key, value in data.items():
        line = _line_of(text, key)
        if key not in KEYS:
            raise ConfigError(f"{file}:{line}: unknown key {key!r} (known: {', '.join(KEYS)})")
        types, expected = KEYS[key]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            raise ConfigError(f"{file}:{line}: {key} must be {expected}")
        if key == "servers" and isinstance(value, list) and not all(
                isinstance(v, str) for v in value):
            raise ConfigError(f"{file}:{line}: servers must be {expected}")
        problem = _check_value(key, value)
        if problem:
            raise ConfigError(f"{file}:{line}: {problem}")
    if isinstance(data.get("servers"), str):
        data["servers"] = [s.strip() for s in data["servers"].split(",") if s.strip()]
    return data


def _check_value(key: str, value) -> str | None:
    """What is wrong with a value of the right type, as the command line would say it."""
    if key == "format":
        from dqlite_shell.shell.output import resolve_format
        try:
            resolve_format(value)
        except ValueError as e:
            return str(e)
    if key == "timeout" and value < 0.1:
        return "timeout must be at least 0.1 (seconds)"
    return None


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1
