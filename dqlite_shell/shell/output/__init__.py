"""Output formats of the ``dqlite`` shell (``.mode``, ``--format``).

Formats follow the ``sqlite3`` CLI's ``.mode`` of the same name:

=========  ==================================================================
table      a psql-like grid drawn by tabulate, header always (like litecli)
list       ``a|b|c`` lines, header line with ``.headers on`` (the default)
csv        what ``sqlite3 -csv`` prints (LF line ends; ``csv --crlf``: CRLF)
json       one JSON array of objects, streamed
jsonl      one JSON object per line
markdown   a GitHub table, header always
line       ``column = value`` lines, a blank line between rows
=========  ==================================================================

A format may take options after its name, as ``sqlite3``'s ``.mode``:
``csv --crlf`` ends CSV lines with CRLF (see :data:`OPTIONS`).

BLOBs: the formats meant for people (``table``, ``list``, ``line``,
``markdown``) show them as the ``.blob`` setting says (:mod:`.blobs`:
``hex`` ``X'..'`` by default, ``auto``, ``text``, ``base64``).  The machine
formats keep one exact encoding whatever ``.blob`` says, and say which by
its form: ``csv`` the ``X'..'`` literal (hex, as SQL writes a BLOB), ``json``
and ``jsonl`` a base64 string (as Go's ``encoding/json`` and the Go shell's
``-f json``; a program tells it from TEXT by the column it reads).

Formats meant for people escape control characters (``\\x1B``, ``\\r``)
so that data cannot drive the terminal: ``table`` always, ``list``,
``line`` and ``markdown`` when they write to a terminal.  ``csv``, ``json``
and ``jsonl`` keep every character.

Alias: ``tabular`` -> ``list``.  Debian's Go shell (``dqlite -f tabular``)
calls its default format "tabular", but it prints ``a|b`` lines with no
header, which is our ``list``, not a grid; so ``tabular`` maps to ``list``
and scripts written for the Go shell get the output they expect.

:func:`make_renderer` returns a :class:`Renderer`; call ``rows(batch)`` per
batch and ``close()`` once.  Modules: :mod:`.values` (value -> text),
:mod:`.text` (list, csv, line, markdown), :mod:`.structured` (json, jsonl),
:mod:`.table` (table; imports tabulate only when it draws).  Nothing here
imports prompt_toolkit or pygments.
"""

from __future__ import annotations

from typing import Sequence, TextIO

from .base import Renderer
from .blobs import BLOB_MODES, DEFAULT as DEFAULT_BLOB, resolve_blob

__all__ = ["ALIASES", "BLOB_MODES", "FORMATS", "OPTIONS", "Renderer", "make_renderer",
           "resolve_blob", "resolve_format"]

FORMATS: tuple[str, ...] = ("table", "list", "csv", "json", "jsonl", "markdown", "line")

#: Other names accepted for a format (see the module docstring).
ALIASES: dict[str, str] = {"tabular": "list"}

#: The options each format takes: option -> the renderer's keyword argument.
OPTIONS: dict[str, dict[str, str]] = {"csv": {"--crlf": "crlf"}}


def resolve_format(name: str) -> str:
    """The canonical spelling of ``name``: a format (case-insensitive, aliases
    too), then its options, e.g. ``"CSV  --crlf"`` -> ``"csv --crlf"``.

    Raises ``ValueError`` with a one-line message listing the formats when
    ``name`` is not one of them, or the options when one is not the format's.
    """
    words = str(name).split()
    key = words[0].lower() if words else ""
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        choices = ", ".join(FORMATS)
        aliases = ", ".join(f"{a} = {c}" for a, c in ALIASES.items())
        raise ValueError(f"unknown output format {name!r}: choose one of {choices} ({aliases})")
    known = OPTIONS.get(key, {})
    options = []
    for word in words[1:]:
        option = word.lower()
        if option not in known:
            takes = f"it takes {', '.join(known)}" if known else "it takes none"
            raise ValueError(f"unknown option {word!r} for output format {key}: {takes}")
        if option not in options:
            options.append(option)
    return " ".join([key, *options])


def make_renderer(mode: str, out: TextIO, columns: Sequence[str], *, headers: bool,
                  nullvalue: str, terminal: bool | None = None,
                  blob: str = DEFAULT_BLOB) -> Renderer:
    """A renderer printing rows with ``columns`` to ``out`` in format ``mode``
    (a format name and its options, as :func:`resolve_format` takes).

    ``headers`` only matters to ``list`` and ``csv`` (``table`` and
    ``markdown`` always print a header; ``json``, ``jsonl`` and ``line`` name
    every value).  ``nullvalue`` is the text of NULL in the text formats
    (JSON has ``null``).  ``terminal`` says whether a person reads ``out`` on
    a terminal (a pager counts); ``None`` asks ``out.isatty()``.  ``blob``
    is the ``.blob`` setting (:mod:`.blobs`), used by the formats meant for
    people.  Raises ``ValueError`` for an unknown ``mode`` or ``blob``.
    """
    mode, *words = resolve_format(mode).split()
    options = {OPTIONS[mode][word]: True for word in words}
    if mode in ("json", "jsonl"):
        from . import structured
        cls = structured.JsonRenderer if mode == "json" else structured.JsonlRenderer
    elif mode == "table":
        from .table import TableRenderer as cls
    else:
        from . import text
        cls = {"list": text.ListRenderer, "csv": text.CsvRenderer,
               "markdown": text.MarkdownRenderer, "line": text.LineRenderer}[mode]
    return cls(out, columns, headers=headers, nullvalue=nullvalue, terminal=terminal,
               blob=blob, **options)
