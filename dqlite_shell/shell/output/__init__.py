"""Output formats of the ``dqlite`` shell (``.mode``, ``--format``).

Formats follow the ``sqlite3`` CLI's ``.mode`` of the same name:

=========  ==================================================================
table      a psql-like grid drawn by tabulate, header always (like litecli)
list       ``a|b|c`` lines, header line with ``.headers on`` (the default)
csv        RFC 4180 (CRLF line ends, quotes when needed), header with headers on
json       one JSON array of objects, streamed
jsonl      one JSON object per line
markdown   a GitHub table, header always
line       ``column = value`` lines, a blank line between rows
=========  ==================================================================

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

__all__ = ["ALIASES", "FORMATS", "Renderer", "make_renderer", "resolve_format"]

FORMATS: tuple[str, ...] = ("table", "list", "csv", "json", "jsonl", "markdown", "line")

#: Other names accepted for a format (see the module docstring).
ALIASES: dict[str, str] = {"tabular": "list"}


def resolve_format(name: str) -> str:
    """The canonical format name for ``name`` (case-insensitive, aliases too).

    Raises ``ValueError`` with a one-line message listing the formats when
    ``name`` is not one of them.
    """
    key = str(name).strip().lower()
    if key in FORMATS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    choices = ", ".join(FORMATS)
    aliases = ", ".join(f"{a} = {c}" for a, c in ALIASES.items())
    raise ValueError(f"unknown output format {name!r}: choose one of {choices} ({aliases})")


def make_renderer(mode: str, out: TextIO, columns: Sequence[str], *, headers: bool,
                  nullvalue: str) -> Renderer:
    """A renderer printing rows with ``columns`` to ``out`` in format ``mode``.

    ``headers`` only matters to ``list`` and ``csv`` (``table`` and
    ``markdown`` always print a header; ``json``, ``jsonl`` and ``line`` name
    every value).  ``nullvalue`` is the text of NULL in the text formats
    (JSON has ``null``).  Raises ``ValueError`` for an unknown ``mode``.
    """
    mode = resolve_format(mode)
    if mode in ("json", "jsonl"):
        from . import structured
        cls = structured.JsonRenderer if mode == "json" else structured.JsonlRenderer
    elif mode == "table":
        from .table import TableRenderer as cls
    else:
        from . import text
        cls = {"list": text.ListRenderer, "csv": text.CsvRenderer,
               "markdown": text.MarkdownRenderer, "line": text.LineRenderer}[mode]
    return cls(out, columns, headers=headers, nullvalue=nullvalue)
