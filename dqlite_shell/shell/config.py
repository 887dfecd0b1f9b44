"""The configuration file: ``$XDG_CONFIG_HOME/dqlite/config.toml``.

(``~/.config/dqlite/config.toml`` when XDG_CONFIG_HOME is not set.) Command-line
options override it; the environment variables DQLITE_SERVERS and
DQLITE_DATABASE sit between the two (:data:`LAYERS`: click takes it as its
``default_map`` and ``envvar``, the fast path through :func:`layer`). Example::

    servers = ["127.0.0.1:9001", "127.0.0.1:9002"]   # or "a:1,b:2"
    database = "app"
    format = "table"
    headers = true
    timeout = "5s"          # or 5 (seconds), 5000 or "5000ms" (milliseconds)
    cert = "/etc/dqlite/cluster.crt"
    key = "/etc/dqlite/cluster.key"
    ca = "/etc/dqlite/ca.crt"
    history = true
    color = true
    read_only = true        # refuse writes (--read-only); --write lifts it
    audit_log = "~/.local/state/dqlite/audit.jsonl"   # --audit-log
    blob = "auto"           # how BLOBs show: hex, auto, text, base64 (--blob)
    expanded = "auto"       # the REPL: one column per line when too wide (.expanded)
    maxrows = "auto"        # the REPL: rows shown before the middle is cut (.maxrows; 0: all)
    max_cell_width = 60     # the REPL: table cells cut with ... (0: never)
    pager = "auto"          # the REPL: page results (.pager: true, false, "auto")
    keys = "vi"             # the REPL's editing keys: emacs (default) or vi (.keys)
    prompt = '\\u@\\h:\\d> '     # the REPL's prompt (.prompt: \\d database, \\h leader ...)

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
    "timeout": ((int, float, str), "a duration (2s, 500ms, 1m) or a number"),
    "cert": ((str,), "a file name"),
    "key": ((str,), "a file name"),
    "ca": ((str,), "a file name"),
    "history": ((bool,), "true or false"),
    "color": ((bool,), "true or false"),
    "read_only": ((bool,), "true or false"),
    "audit_log": ((str,), "a file name"),
    "blob": ((str,), "a string (auto, hex, text, base64)"),
    # The REPL's (screen.py): scripts, -c and pipes ignore them.
    "expanded": ((str,), "a string (auto, on, off)"),
    "maxrows": ((int, str), "a number of rows (0: all) or \"auto\""),
    "max_cell_width": ((int,), "a number of characters (0: no limit)"),
    "pager": ((bool, str), "true, false or \"auto\""),
    "keys": ((str,), "a string (emacs, vi)"),
    "prompt": ((str,), "a string (a prompt format, as .prompt takes)"),
}


#: Config < environment < option: click's parameter -> (its config key, its
#: environment variable or None). One table for both parsers of the command
#: line: click (cli_options: ``envvar``; cli: ``default_map``) and quickargs
#: (:func:`layer`); tests/shell/test_config_layers.py checks they agree.
LAYERS = {
    "servers": ("servers", "DQLITE_SERVERS"),
    "database": ("database", "DQLITE_DATABASE"),
    "fmt": ("format", None),
    "headers": ("headers", None),
    "timeout": ("timeout", None),
    "cert": ("cert", None),
    "key": ("key", None),
    "ca": ("ca", None),
    "read_only": ("read_only", None),
    "audit_log": ("audit_log", None),
    "blob": ("blob", None),
    "no_color": ("color", None),
    "no_history": ("history", None),
}
#: Where a parameter's value came from.
OPTION, ENVIRONMENT, CONFIG = "option", "environment", "config"


def envvar(param: str) -> str | None:
    """The environment variable of click's parameter ``param`` (:data:`LAYERS`)."""
    return LAYERS[param][1]


def default_map(cfg: dict) -> dict:
    """The config file's values by click parameter, as the command line gives
    them (click's ``default_map``): seconds for ``timeout``, ``no_color`` for
    ``color = false``, a tuple of servers, ``~`` expanded in ``audit_log``."""
    values = {}
    for param, (key, _variable) in LAYERS.items():
        if key in cfg:
            value = cfg[key]
            if param == "servers":
                value = tuple(value)
            elif param == "timeout":
                value = parse_timeout(value)
            elif param == "audit_log":
                value = os.path.expanduser(value)
            elif param in ("no_color", "no_history"):
                value = not value
            values[param] = value
    return values


def layer(options: dict, given: set[str], cfg: dict, environ) -> dict[str, str]:
    """Fill the parameters of ``options`` the command line did not give
    (``given``) from the environment, else the config file ``cfg``, as click
    does with ``envvar`` and ``default_map``; return each filled or given
    parameter's source (:data:`OPTION`, :data:`ENVIRONMENT`, :data:`CONFIG`)."""
    defaults = default_map(cfg)
    sources = {}
    for param, (_key, variable) in LAYERS.items():
        text = environ.get(variable) if variable else None
        if param in given:
            sources[param] = OPTION
        elif text:  # click: an empty variable is unset; a repeated option's splits on spaces
            options[param] = tuple(text.split()) if param == "servers" else text
            sources[param] = ENVIRONMENT
        elif param in defaults:
            options[param] = defaults[param]
            sources[param] = CONFIG
    return sources


class Layers:
    """What :func:`cli.run` needs of the layers below the options: the config
    file (``cfg``, or the ``problem`` that made it unusable, reported after
    the command line's own mistakes) and where each value came from."""

    __slots__ = ("cfg", "sources", "problem")

    def __init__(self, cfg: dict, sources: dict[str, str], problem: Exception | None = None):
        self.cfg, self.sources, self.problem = cfg, sources, problem

    def given(self, param: str) -> bool:
        """Whether the command line gave ``param``."""
        return self.sources.get(param) == OPTION


def load_layers() -> tuple[dict, Exception | None]:
    """The config file's settings, or {} and the ConfigError (reported when
    the command runs: ``--help`` works with a broken file)."""
    try:
        return load(), None
    except ConfigError as e:
        return {}, e


class ConfigError(ValueError):
    """A configuration file that cannot be used; one line naming file, line and key."""


def path() -> str:
    """Where the configuration file is looked for."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "dqlite", "config.toml")


def read_toml(file: str, error: type[ValueError]) -> tuple[dict, str] | None:
    """The data and text of the TOML file ``file``, or None when there is none.

    Raises ``error`` with one line naming the file (and the line, for a TOML
    mistake). The shell's files in the config dir (this one, favourites) are
    read through it.
    """
    try:
        with open(file, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise error(f"{file}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise error(f"{file}:{line}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    import tomllib  # only when there is a file: it is not free at start-up
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        at = re.search(r"\(at line (\d+), column \d+\)", message)
        where = f"{file}:{at.group(1)}" if at else file
        raise error(f"{where}: {message.split(' (at ')[0]}") from None


def load(file: str | None = None) -> dict:
    """The settings of the configuration file ({} when there is none)."""
    file = file or path()
    read = read_toml(file, ConfigError)
    if read is None:
        return {}
    data, text = read
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
    if key == "blob":
        from dqlite_shell.shell.output.blobs import resolve_blob
        try:
            resolve_blob(value)
        except ValueError as e:
            return str(e)
    if key == "keys":
        from dqlite_shell.shell.commands.repl_settings import KEY_MODES
        if value not in KEY_MODES:
            return f"keys: {value!r} is not one of {', '.join(KEY_MODES)}"
    if key == "prompt":
        from dqlite_shell.shell.prompt import check_format
        return check_format(value)
    if key in ("expanded", "maxrows", "max_cell_width", "pager"):
        from dqlite_shell.shell.screen import config_problem
        return config_problem(key, value)
    if key == "timeout":
        try:
            parse_timeout(value)
        except ValueError as e:
            return f"timeout: {e}"
    return None


#: A bare number from this up is milliseconds (go-dqlite's --timeout), below it seconds.
MILLISECONDS_FROM = 100
MIN_TIMEOUT = 0.1  # seconds
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# Patterns, compiled by re (and cached) when a timeout is given: not at every start.
_DURATION = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"


def parse_timeout(value) -> float:
    """Seconds from ``--timeout`` or the ``timeout`` key.

    A duration with units as Go writes them (``2s``, ``500ms``, ``1m``,
    ``1.5s``, ``1m30s``), or a bare number: below 100 it is seconds (this
    shell's unit), from 100 up milliseconds (go-dqlite's unit, whose default
    is 2000), so that a Go command line never waits 2000 s. At least 100 ms.
    Raises ValueError with a one-line reason.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        number, text = float(value), str(value)
        seconds = number / 1000 if number >= MILLISECONDS_FROM else number
    else:
        text = str(value).strip()
        if re.fullmatch(_NUMBER, text):
            number = float(text)
            seconds = number / 1000 if number >= MILLISECONDS_FROM else number
        else:
            parts = re.findall(_DURATION, text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ValueError(f"{text!r} is not a duration (write 2s, 500ms, 1m or 1.5s)")
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not seconds >= MIN_TIMEOUT:  # also NaN
        raise ValueError(f"{text} is too short: the timeout must be at least 100ms")
    if seconds == float("inf"):
        raise ValueError(f"{text} is not a finite duration")
    return seconds


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1
