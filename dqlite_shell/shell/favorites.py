"""Favourite queries (``.fav``): named SQL kept in
``$XDG_CONFIG_HOME/dqlite/favorites.toml``, beside the configuration file.

The file is TOML, one table of name = SQL::

    [favorites]
    "pods" = '''
    SELECT name FROM kine WHERE name LIKE '/registry/pods/$1/%';'''

Python reads TOML (tomllib) but does not write it: :func:`dumps` writes this
one shape, every name a quoted key and every SQL text a multi-line literal
string when it can be one (readable, nothing escaped), else a basic string with
escapes. The file is replaced atomically with mode 0600 (the file is the user's;
a hand-edited one is read as TOML).

Placeholders (:func:`substitute`) are litecli's and pgcli's: ``$1``, ``$2`` ...
are the arguments, ``$*`` the remaining ones joined by ", ", ``$@`` the same
each quoted as an SQL string. Arguments are pasted in as text, not bound: the
quoting is the user's.
"""

from __future__ import annotations

import os
import re

FILE_NAME = "favorites.toml"
SECTION = "favorites"

#: Characters a TOML multi-line literal string cannot hold (tab and newline can).
_NOT_LITERAL = re.compile("[\x00-\x08\x0b-\x1f\x7f]|'''")
#: What a basic string escapes: quote, backslash and every control character.
_BASIC_ESCAPES = re.compile('["\\\\\x00-\x1f\x7f]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
          "\r": "\\r"}
_PLACEHOLDER = re.compile(r"\$(\d+|\*|@)")


class FavoritesError(ValueError):
    """A favourites file that cannot be used, or arguments that do not fit; one line."""


def path() -> str:
    """Where the favourites are kept: beside the configuration file."""
    from dqlite_shell.shell import config
    return os.path.join(os.path.dirname(config.path()), FILE_NAME)


def load(file: str | None = None) -> dict[str, str]:
    """Name -> SQL, in the file's order ({} when there is no file)."""
    from dqlite_shell.shell.config import read_toml
    file = file or path()
    read = read_toml(file, FavoritesError)
    if read is None:
        return {}
    data = read[0]
    favorites = data.get(SECTION, {})
    if not isinstance(favorites, dict):
        raise FavoritesError(f"{file}: {SECTION} must be a table of name = \"SQL\"")
    for name, sql in favorites.items():
        if not isinstance(sql, str):
            raise FavoritesError(f"{file}: favourite {name!r} must be a string of SQL")
    return favorites


def save(name: str, sql: str, file: str | None = None) -> str | None:
    """Keep ``sql`` as ``name``; returns the SQL it replaces, or None."""
    file = file or path()
    favorites = load(file)
    old = favorites.get(name)
    favorites[name] = sql
    _write(file, favorites)
    return old


def delete(name: str, file: str | None = None) -> bool:
    """Forget ``name``; False when there is no such favourite."""
    file = file or path()
    favorites = load(file)
    if name not in favorites:
        return False
    del favorites[name]
    _write(file, favorites)
    return True


def _write(file: str, favorites: dict[str, str]) -> None:
    from dqlite_shell.atomic_write import write_atomically
    os.makedirs(os.path.dirname(file) or ".", mode=0o700, exist_ok=True)
    write_atomically(file, dumps(favorites), durable=False)


def dumps(favorites: dict[str, str]) -> str:
    """The TOML text of ``favorites`` (what :func:`load` reads back unchanged)."""
    lines = ["# Favourite queries of dqlite-shell (.fav save NAME SQL, .fav NAME ARGS...).",
             f"[{SECTION}]"]
    for name, sql in favorites.items():
        lines.append(f"{_basic(name)} = {_string(sql)}")
    return "\n".join(lines) + "\n"


def _string(text: str) -> str:
    """A TOML string holding ``text`` exactly: a literal string when it can
    be one (multi-line for several lines or a quote; TOML drops the newline
    after the opening quotes, and a carriage return or a quote at the end
    would not read back), else a basic string with escapes."""
    if "\r" in text or text.endswith("'") or _NOT_LITERAL.search(text):
        return _basic(text)
    if "\n" not in text and "'" not in text:
        return f"'{text}'"
    return f"'''\n{text}'''"


def _basic(text: str) -> str:
    def escape(match: re.Match) -> str:
        char = match.group()
        return _SHORT.get(char) or f"\\u{ord(char):04X}"
    return '"' + _BASIC_ESCAPES.sub(escape, text) + '"'


def substitute(sql: str, args: list[str]) -> str:
    """``sql`` with its placeholders replaced by ``args`` (as text), in one
    pass: an argument that holds ``$2`` stays as it is. FavoritesError names
    the first placeholder without an argument, or says how many arguments no
    placeholder takes."""
    numbers = [int(m.group(1)) for m in _PLACEHOLDER.finditer(sql) if m.group(1).isdigit()]
    rest = any(m.group(1) in "*@" for m in _PLACEHOLDER.finditer(sql))
    highest = max(numbers, default=0)
    if highest > len(args):
        missing = next(n for n in range(1, highest + 1) if n > len(args) and n in numbers)
        given = "no arguments" if not args else f"only {_count(len(args))}"
        raise FavoritesError(f"${missing} has no value: {given} given")
    unused = [n for n in range(1, highest + 1) if n not in numbers]
    if unused:
        raise FavoritesError(f"the query has no ${unused[0]}, so argument {unused[0]} would be "
                             "lost")
    remaining = args[highest:]
    if rest and not remaining:
        raise FavoritesError(f"$* or $@ needs an argument after ${highest}" if highest
                             else "$* or $@ needs at least one argument")
    if remaining and not rest:
        takes = f"its last placeholder is ${highest}" if highest else "it has no placeholder"
        raise FavoritesError(f"{_count(len(args))} given, but {takes}")

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key == "*":
            return ", ".join(remaining)
        if key == "@":
            return ", ".join("'" + a.replace("'", "''") + "'" for a in remaining)
        number = int(key)
        return args[number - 1] if number >= 1 else match.group()
    return _PLACEHOLDER.sub(value, sql)


def _count(n: int) -> str:
    return f"{n} argument" if n == 1 else f"{n} arguments"
