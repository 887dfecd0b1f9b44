"""Output formats of the ``dqlite`` shell (``.mode``, ``--format``).

Formats follow the ``sqlite3`` CLI's ``.mode`` of the same name:

=========  ==================================================================
table      a psql-like grid (tabulate's psql), header always (like litecli)
list       ``a|b|c`` lines (``.separator``), header line with ``.headers on``
csv        what ``sqlite3 -csv`` prints (LF line ends; ``csv --crlf``: CRLF)
json       one JSON array of objects, streamed
jsonl      one JSON object per line
markdown   a GitHub table, header always
line       ``column = value`` lines, a blank line between rows
column     sqlite3's aligned columns, ``.width`` honoured (:mod:`.columns`)
box        the same in a box drawn with Unicode lines
insert     ``INSERT INTO TABLE VALUES(...);`` per row (:mod:`.sqlformats`)
quote      SQL literals separated by ``,`` (``.separator``)
html       ``<TR><TD>..</TD>`` rows, as sqlite3 writes them (:mod:`.html`)
ascii      list with the ASCII unit (0x1F) and record (0x1E) separators
grid ...   tabulate's formats (:data:`TABULATE_FORMATS`): grid, fancy_grid,
           pipe, orgtbl, rst, mediawiki, latex, ... as litecli offers them
=========  ==================================================================

:data:`FORMAT_NOTES` holds every format with a line saying what it prints:
``.help .mode``, completion, ``--format`` and the error for an unknown
format list them from it.

A format may take options after its name, as ``sqlite3``'s ``.mode``:
``csv --crlf`` ends CSV lines with CRLF; ``column`` and ``box`` take
``--wrap N`` (60), ``--wordwrap on|off`` (``-ww``: on) and
``--quote``/``--noquote``; ``insert TABLE`` names the table (``"table"``
by default).  See :data:`OPTIONS`.

``.separator`` (the ``separator`` and ``row_separator`` settings) applies,
as in ``sqlite3``, to ``list``, ``csv``, ``quote``, ``ascii`` and (its row
separator) ``line``; choosing a format sets them to that format's own
(:data:`SEPARATORS`, :func:`apply_format`), as ``sqlite3``'s ``.mode`` does.
``tabs`` is ``list`` with a tab separator, as in ``sqlite3``.

BLOBs: the formats meant for people (``table``, ``list``, ``line``,
``markdown``, ``column``, ``box``, ``html``, ``ascii``, tabulate's) show them as the
``.blob`` setting says (:mod:`.blobs`: ``hex`` ``X'..'`` by default,
``auto``, ``text``, ``base64``).  The machine formats keep one exact
encoding whatever ``.blob`` says, and say which by its form: ``csv`` the
``X'..'`` literal (hex, as SQL writes a BLOB), ``json`` and ``jsonl`` a
base64 string (as Go's ``encoding/json`` and the Go shell's ``-f json``; a
program tells it from TEXT by the column it reads), ``insert`` and
``quote`` the SQL literal ``X'0aff'``, as ``sqlite3``.

Formats meant for people escape control characters (``\\x1B``, ``\\r``)
so that data cannot drive the terminal: ``table`` and tabulate's always, the others
(``column`` and ``box`` break lines at them, as ``sqlite3`` does) when they
write to a terminal.  ``csv``, ``json`` and ``jsonl`` keep every character.

EXPLAIN QUERY PLAN results are drawn as ``sqlite3`` draws them (a tree
under ``QUERY PLAN``) in every format but ``json`` and ``jsonl``, which
stay JSON (:mod:`.plan`; ``make_renderer(..., query_plan=True)``).

Aliases: ``psql`` -> ``table`` (tabulate's psql format, which it is), and
``tabular`` -> ``list``.  Debian's Go shell (``dqlite -f tabular``)
calls its default format "tabular", but it prints ``a|b`` lines with no
header, which is our ``list``, not a grid; so ``tabular`` maps to ``list``
and scripts written for the Go shell get the output they expect.

:func:`make_renderer` returns a :class:`Renderer`; call ``rows(batch)`` per
batch and ``close()`` once.  Modules: :mod:`.values` (value -> text),
:mod:`.text` (list, csv, line, markdown), :mod:`.structured` (json, jsonl),
:mod:`.table` (table, drawn by :mod:`.grid`, and tabulate's formats:
tabulate is imported only when one of them draws), :mod:`.columns`
(column, box), :mod:`.sqlformats` (insert, quote), :mod:`.html`,
:mod:`.plan` (EXPLAIN QUERY PLAN).  Nothing here imports prompt_toolkit or
pygments.
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

from collections.abc import Sequence
from typing import Any, NamedTuple, TextIO

from .base import Renderer
from .blobs import BLOB_MODES, resolve_blob
from .blobs import DEFAULT as DEFAULT_BLOB

__all__ = ["ALIASES", "BLOB_MODES", "FORMATS", "FORMAT_NOTES", "OPTIONS", "SEPARATORS",
           "TABULATE_FORMATS", "Renderer", "apply_format", "describe_format", "make_renderer",
           "resolve_blob", "resolve_format"]

#: Every output format and what it prints, in the order ``.help .mode``,
#: completion, ``--format`` and error messages list them: the one table of
#: formats.  The first ones are sqlite3's (and ``table``), the rest
#: tabulate's (:data:`TABULATE_FORMATS`).
FORMAT_NOTES: dict[str, str] = {
    "table": "a psql-like grid, header always (as litecli)",
    "list": "a|b lines (.separator), names with .headers on",
    "csv": "what sqlite3 -csv prints (csv --crlf: CRLF line ends)",
    "json": "one JSON array of objects",
    "jsonl": "one JSON object per line",
    "markdown": "a GitHub Markdown table, header always",
    "line": "column = value lines, a blank line between rows",
    "column": "sqlite3's aligned columns (.width)",
    "box": "the same in a box of Unicode lines",
    "insert": "INSERT INTO TABLE VALUES(...); per row",
    "quote": "SQL literals separated by , (.separator)",
    "html": "<TR><TD>..</TD> rows, as sqlite3 writes them",
    "ascii": "list with the ASCII unit (0x1F) and record (0x1E) separators",
    # tabulate's, as litecli offers them (table.py draws them by this name)
    "grid": "a grid with +---+ lines between all rows",
    "simple_grid": "the grid in thin box-drawing lines",
    "rounded_grid": "the grid with rounded corners",
    "heavy_grid": "the grid in heavy lines",
    "double_grid": "the grid in double lines",
    "fancy_grid": "the grid, double lines around the header",
    "simple": "columns under a dashed rule, no frame",
    "plain": "aligned columns, no lines",
    "pretty": "PrettyTable's grid, headers centred",
    "presto": "the Presto CLI's table",
    "pipe": "a pipe table (Markdown Extra), alignment colons",
    "github": "a GitHub Markdown table, no alignment colons",
    "orgtbl": "an Emacs org-mode table",
    "rst": "a reStructuredText simple table",
    "mediawiki": "a MediaWiki table",
    "jira": "a Jira table",
    "textile": "a Textile table",
    "latex": "a LaTeX tabular, special characters escaped",
    "latex_booktabs": "a LaTeX tabular with booktabs rules",
}

FORMATS: tuple[str, ...] = tuple(FORMAT_NOTES)

#: The formats tabulate draws, its names for them (:mod:`.table`); litecli
#: users know them.  tabulate's html, tsv and psql are sqlite3's ``html``,
#: ``tabs`` and our ``table`` here.
TABULATE_FORMATS: frozenset[str] = frozenset(FORMATS[FORMATS.index("grid"):])

#: Other names accepted for a format (see the module docstring).
ALIASES: dict[str, str] = {"tabular": "list", "tabs": "list", "psql": "table"}
_ALIAS_NOTES = {"tabs": "list with tab separators"}

#: The column and row separators (``.separator``) that choosing a format, by
#: the name given, sets (None: left as they are), as sqlite3 3.40's ``.mode``;
#: ``csv --crlf`` ends rows with CRLF.  Formats not named leave both.
SEPARATORS: dict[str, tuple[str | None, str | None]] = {
    "list": ("|", "\n"), "tabular": ("|", "\n"), "tabs": ("\t", None), "csv": (",", "\n"),
    "quote": (",", "\n"), "ascii": ("\x1f", "\x1e"), "line": (None, "\n"),
    "column": (None, "\n"), "box": (None, "\n"), "table": (None, "\n"), "markdown": (None, "\n")}

_COLUMNAR = {"--wrap": ("wrap", int), "--wordwrap": ("wordwrap", bool), "--ww": ("wordwrap", True),
             "--quote": ("quote", True), "--noquote": ("quote", False)}

#: The options each format takes: option -> (the renderer's keyword, its
#: value); a value of ``int`` or ``bool`` is read from the next word (a
#: number, ``on``/``off``).  ``-x`` is ``--x``, as in sqlite3.
OPTIONS: dict[str, dict[str, tuple[str, object]]] = {
    "csv": {"--crlf": ("crlf", True)}, "column": _COLUMNAR, "box": _COLUMNAR}

#: Option values when not given (left out of a format's canonical text).
DEFAULTS: dict[str, object] = {"crlf": False, "wrap": 60, "wordwrap": False, "quote": False}

#: The table ``insert`` writes to when none is named (sqlite3's).
INSERT_TABLE = "table"

_MAX_WRAP = 10_000


class Format(NamedTuple):
    """A format as parsed by :func:`parse_format`."""
    name: str                   # canonical: one of FORMATS
    given: str                  # the name as given, lower-cased (an alias stays)
    options: dict               # renderer keyword -> value, non-default ones
    table: str | None           # insert: the table, as written in SQL


def _words(spec) -> list[str]:
    """``spec`` as words: a string is split on blanks, except that for
    ``insert`` the rest is the table (a double-quoted name is unquoted)."""
    if not isinstance(spec, str):
        return [str(w) for w in spec]
    words = spec.split(None, 1)
    if len(words) == 2 and ALIASES.get(words[0].lower(), words[0].lower()) == "insert":
        rest = words[1].strip()
        if len(rest) >= 2 and rest[0] == rest[-1] == '"':
            rest = rest[1:-1].replace('""', '"')
        return [words[0], rest]
    return spec.split()


def parse_format(spec) -> Format:
    """Parse a format, its options and (``insert``) its table from ``spec``,
    a string (``"box --wrap 30"``, ``'insert "my table"'``) or a list of
    words (a dot-command's arguments, already unquoted).

    Raises ``ValueError`` with a one-line message listing the formats when
    the name is not one of them, or the options when one is not the format's.
    """
    from dqlite_shell.sqltext import quote_name
    words = _words(spec)
    given = words[0].lower() if words else ""
    key = ALIASES.get(given, given)
    if key not in FORMATS:
        choices = ", ".join(FORMATS)
        aliases = "; ".join(f"{a} = {_ALIAS_NOTES.get(a, c)}" for a, c in ALIASES.items())
        raise ValueError(f"unknown output format {' '.join(words[:1])!r}: choose one of "
                         f"{choices} ({aliases})")
    known = OPTIONS.get(key, {})
    options: dict = {}
    table = None
    rest = iter(words[1:])
    for word in rest:
        option = "-" + word.lower() if word[:1] == "-" and word[:2] != "--" else word.lower()
        if option in known:
            keyword, value = known[option]
            if value in (int, bool):
                value = _option_value(key, option, value, next(rest, None))
            options[keyword] = value
        elif key == "insert" and table is None and word:
            table = quote_name(word)
        else:
            if key == "insert":
                raise ValueError(f"output format insert takes one TABLE; {word!r} is one too many")
            takes = f"it takes {', '.join(known)}" if known else "it takes none"
            raise ValueError(f"unknown option {word!r} for output format {key}: {takes}")
    options = {k: v for k, v in options.items() if DEFAULTS.get(k) != v}
    return Format(key, given, options, table)


def _option_value(key: str, option: str, kind, word: str | None):
    if kind is int:
        if word is None or not (word.isascii() and word.isdigit()) or int(word) > _MAX_WRAP:
            raise ValueError(f"output format {key}: {option} takes a number of characters "
                             f"from 0 (no limit) to {_MAX_WRAP}")
        return int(word)
    if word is None or word.lower() not in ("on", "off"):
        raise ValueError(f"output format {key}: {option} takes on or off")
    return word.lower() == "on"


#: How each option is written in a format's canonical text, in this order.
_SPELLING = {"crlf": lambda v: "--crlf", "wrap": lambda v: f"--wrap {v}",
             "wordwrap": lambda v: "--wordwrap " + ("on" if v else "off"),
             "quote": lambda v: "--quote" if v else "--noquote"}


def _canonical(fmt: Format) -> str:
    words = [fmt.name]
    words += [spell(fmt.options[k]) for k, spell in _SPELLING.items() if k in fmt.options]
    if fmt.table is not None and fmt.table != _default_table():
        words.append(fmt.table)
    return " ".join(words)


def _default_table() -> str:
    from dqlite_shell.sqltext import quote_name
    return quote_name(INSERT_TABLE)


def resolve_format(name) -> str:
    """The canonical spelling of format ``name`` (a string or a dot-command's
    words): the format (case-insensitive, aliases too), then the options not
    at their default, then ``insert``'s table as written in SQL, e.g.
    ``"CSV  --crlf"`` -> ``"csv --crlf"``, ``["insert", "my t"]`` ->
    ``'insert "my t"'``.  Raises ``ValueError`` (see :func:`parse_format`)."""
    return _canonical(parse_format(name))


def apply_format(settings, name) -> None:
    """Make format ``name`` (as :func:`resolve_format` takes it) the current
    one in ``settings`` (a shell ``Settings``), and set its column and row
    separators as sqlite3's ``.mode`` does (:data:`SEPARATORS`).  Raises
    ``ValueError`` and changes nothing for an unknown format or option."""
    fmt = parse_format(name)
    column, row = SEPARATORS.get(fmt.given, (None, None))
    if fmt.options.get("crlf"):
        row = "\r\n"
    settings.mode = _canonical(fmt)
    if column is not None:
        settings.separator = column
    if row is not None:
        settings.row_separator = row


def describe_format(mode: str) -> str:
    """What ``.mode`` with no argument prints for ``mode``, as sqlite3 3.40
    does: ``current output mode: list`` (also after ``.mode tabs``: it is
    list with a tab separator), and for ``column`` and ``box`` their options
    in full (``box --wrap 60 --wordwrap off --noquote``); ``insert`` without
    its table.  ``csv --crlf`` (sqlite3 has no LF csv mode) is shown so.
    Unlike sqlite3's, this changes nothing (sqlite3 3.40's ``.mode`` also
    chooses the current mode again: list's separators and insert's table
    go back to their defaults)."""
    fmt = parse_format(mode)
    text = fmt.name
    if fmt.name in ("column", "box"):
        options = {**DEFAULTS, **fmt.options}
        wordwrap = "on" if options["wordwrap"] else "off"
        quote = "" if options["quote"] else "no"
        text += f" --wrap {options['wrap']} --wordwrap {wordwrap} --{quote}quote"
    elif fmt.name != "insert":
        text = _canonical(fmt)
    return "current output mode: " + text


def make_renderer(mode: str, out: TextIO, columns: Sequence[str], *, headers: bool,
                  nullvalue: str, terminal: bool | None = None,
                  blob: str = DEFAULT_BLOB, separator: str | None = None,
                  row_separator: str | None = None, widths: Sequence[int] = (),
                  query_plan: bool = False) -> Renderer:
    """A renderer printing rows with ``columns`` to ``out`` in format ``mode``
    (a format name and its options, as :func:`resolve_format` takes).

    ``headers`` matters to ``list``, ``csv``, ``column``, ``quote``,
    ``insert``, ``html`` and ``ascii`` (``table``, ``box`` and ``markdown``
    always print a header; ``json``, ``jsonl`` and ``line`` name every
    value).  ``nullvalue`` is the text of NULL in the text formats (JSON has
    ``null``, SQL ``NULL``).  ``terminal`` says whether a person reads
    ``out`` on a terminal (a pager counts); ``None`` asks ``out.isatty()``.
    ``blob`` is the ``.blob`` setting (:mod:`.blobs`), used by the formats
    meant for people.  ``separator`` and ``row_separator`` are
    ``.separator``'s (None: the format's own, :data:`SEPARATORS`);
    ``widths`` is ``.width``'s (``column``, ``box``, ``table`` and
    tabulate's formats).
    ``query_plan``: the rows are an EXPLAIN QUERY PLAN's, drawn as a tree
    (:mod:`.plan`) when the columns say so too and the format is not JSON.
    Raises ``ValueError`` for an unknown ``mode`` or ``blob``.
    """
    fmt = parse_format(mode)
    name = fmt.name
    # Keyword arguments of the renderer's constructor (each a different type).
    common: dict[str, Any] = dict(headers=headers, nullvalue=nullvalue, terminal=terminal,
                                  blob=blob)
    if query_plan and name not in ("json", "jsonl"):
        from . import plan
        if plan.is_plan(columns):
            return plan.QueryPlanRenderer(out, columns, **common)
    options: dict[str, Any] = dict(fmt.options)
    default_column, default_row = SEPARATORS.get(fmt.given, (None, None))
    if fmt.options.get("crlf"):
        default_row = "\r\n"
    # None: the renderer's own (a format that leaves a separator as it is).
    if name in ("list", "csv", "quote", "ascii", "line"):
        row = default_row if row_separator is None else row_separator
        if row is not None:
            options["row_separator"] = row
    if name in ("list", "csv", "quote", "ascii"):
        column = default_column if separator is None else separator
        if column is not None:
            options["separator"] = column
    tabulated = name in TABULATE_FORMATS
    if (name in ("column", "box", "table") or tabulated) and widths:
        options["widths"] = list(widths)
    if tabulated:
        options["tablefmt"] = name
    if name == "insert":
        options["table"] = fmt.table or _default_table()
    cls: type[Renderer]
    if name in ("json", "jsonl"):
        from . import structured
        cls = structured.JsonRenderer if name == "json" else structured.JsonlRenderer
    elif name == "table" or tabulated:
        from .table import TableRenderer as cls
    elif name in ("column", "box"):
        from . import columns as columnar
        cls = columnar.ColumnRenderer if name == "column" else columnar.BoxRenderer
    elif name in ("insert", "quote"):
        from . import sqlformats
        cls = sqlformats.InsertRenderer if name == "insert" else sqlformats.QuoteRenderer
    elif name == "html":
        from .html import HtmlRenderer as cls
    else:
        from . import text
        cls = {"list": text.ListRenderer, "ascii": text.ListRenderer, "csv": text.CsvRenderer,
               "markdown": text.MarkdownRenderer, "line": text.LineRenderer}[name]
    return cls(out, columns, **common, **options)
