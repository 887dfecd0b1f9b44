"""What the SQL around the REPL's cursor says, for completion: the statement
under the cursor, the tables and aliases it names (in any of its clauses, also
after the cursor: ``SELECT na| FROM users``), and what kind of name belongs
where the cursor is (a table after FROM, a join after JOIN, that table's
columns after ``alias.``, else columns).

Built on :func:`dqlite_shell.sqltext.tokens`; no server, no schema: the
completer joins this with the schema it has fetched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from dqlite_shell.sqltext import SQL_KEYWORDS, statement_starts, tokens, unquote

#: Where the cursor is, as :func:`context` tells it.
TABLE = "table"    # a table or view name belongs here (after FROM, INTO, ...)
JOIN = "join"      # after JOIN: a table, or a whole foreign-key join
ON = "on"          # after JOIN t ON: a join condition, or a column
COLUMN = "column"  # an expression: columns of the statement's tables first
QUALIFIED = "qualified"  # after ``name.``: that table's columns

#: Statement kinds whose ``TABLE``/``VIEW`` keyword is followed by an existing one.
_NAMES_EXISTING = frozenset({"DROP", "ALTER"})
#: Keywords that end a FROM list's table reference (never an alias).
_CLAUSE_WORDS = frozenset({"SELECT", "FROM", "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT",
                           "WINDOW", "SET", "VALUES", "RETURNING", "ON", "USING"})


@dataclass(frozen=True)
class TableRef:
    """A table the statement names: ``FROM main.users AS u`` ->
    ``TableRef("users", "u", "main", start)``; ``name`` is None for a
    subquery or a table-valued function (its columns are unknown)."""
    name: str | None
    alias: str | None
    schema: str | None
    start: int  # where the reference starts in the statement

    @property
    def ref(self) -> str | None:
        """The name the statement uses for it (its alias, else its name)."""
        return self.alias or self.name


@dataclass(frozen=True)
class Scope:
    """The tables of one statement, in the order it names them, and its
    common table expressions (name -> declared columns, maybe none)."""
    tables: tuple[TableRef, ...] = ()
    ctes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def lookup(self, qualifier: str) -> TableRef | None:
        """The table that ``qualifier.`` stands for: an alias first, then a
        table named without one (case-insensitively, as SQLite does)."""
        key = qualifier.lower()
        for ref in self.tables:
            if ref.alias is not None and ref.alias.lower() == key:
                return ref
        for ref in self.tables:
            if ref.alias is None and ref.name is not None and ref.name.lower() == key:
                return ref
        return None


@dataclass(frozen=True)
class Context:
    """What belongs at the cursor: ``kind`` (TABLE, JOIN, ON, COLUMN,
    QUALIFIED) and, for QUALIFIED, the name before the dot (unquoted) and the
    schema name before that, if any."""
    kind: str
    qualifier: str | None = None
    schema: str | None = None


def statement_at(text: str, cursor: int) -> tuple[int, int]:
    """``(start, end)`` of the statement holding ``cursor`` in ``text``
    (which may hold several, ``;``-separated)."""
    start, end = 0, len(text)
    for pos in statement_starts(text):
        if pos <= cursor:
            start = pos
        else:
            end = pos
            break
    return start, end


def _is_name(token: str) -> bool:
    """A table name or alias as written: a quoted name, or a word that is
    no keyword."""
    if token[:1] in ('"', "`", "["):
        return True
    return (token[:1].isalpha() or token[:1] == "_" or ord(token[:1] or "a") > 127) \
        and token.upper() not in SQL_KEYWORDS


def _matches(toks: Sequence[tuple[int, str]]) -> dict[int, int]:
    """Index of each ``(`` token -> index of its ``)`` (or the end)."""
    pairs, open_ = {}, []
    for i, (_, token) in enumerate(toks):
        if token == "(":
            open_.append(i)
        elif token == ")" and open_:
            pairs[open_.pop()] = i
    for i in open_:
        pairs[i] = len(toks)
    return pairs


def scope(statement: str) -> Scope:
    """The tables and aliases ``statement`` names in FROM, JOIN, UPDATE and
    INSERT INTO clauses (at any depth), and its WITH names."""
    toks = list(tokens(statement))
    words = [t.upper() for _, t in toks]
    pairs = _matches(toks)
    refs: list[TableRef] = []
    ctes = _ctes(toks, words, pairs)
    n = len(toks)
    for i, word in enumerate(words):
        if word in ("FROM", "JOIN") and not (i and words[i - 1] == "DISTINCT"):
            j = i + 1
            while j < n:
                ref, j = _table_ref(toks, words, pairs, j, functions=True)
                if ref is not None:
                    refs.append(ref)
                if word == "JOIN" or j >= n or toks[j][1] != ",":
                    break
                j += 1  # FROM a, b
        elif word in ("UPDATE", "INTO"):
            j = i + 1
            if word == "UPDATE" and j < n and words[j] == "OR":
                j += 2  # UPDATE OR REPLACE t
            ref, _ = _table_ref(toks, words, pairs, j, functions=False)
            if ref is not None:
                refs.append(ref)
    return Scope(tuple(refs), ctes)


def _table_ref(toks, words, pairs, j: int, functions: bool) -> tuple[TableRef | None, int]:
    """The table reference at token ``j`` and the index after it."""
    n = len(toks)
    if j >= n:
        return None, j
    start, token = toks[j]
    name = schema = None
    if token == "(":  # a subquery (its own FROM is read on its own)
        j = pairs[j] + 1
    elif _is_name(token):
        name = unquote(token)
        j += 1
        if j < n and toks[j][1] == ".":  # schema.table (the table maybe not typed yet)
            named = j + 1 < n and _is_name(toks[j + 1][1])
            schema, name = name, unquote(toks[j + 1][1]) if named else None
            j += 2 if named else 1
        if functions and j < n and toks[j][1] == "(":  # json_each(...)
            name, j = None, pairs[j] + 1
    else:
        return None, j
    alias = None
    if j < n and words[j] == "AS":
        j += 1
    if j < n and _is_name(toks[j][1]):
        alias, j = unquote(toks[j][1]), j + 1
    return TableRef(name, alias, schema, start), j


def _ctes(toks, words, pairs) -> dict[str, tuple[str, ...]]:
    """``WITH [RECURSIVE] a(x, y) AS (...), b AS (...)``: name -> columns."""
    found: dict[str, tuple[str, ...]] = {}
    n = len(toks)
    if not words or words[0] != "WITH":
        return found
    j = 2 if n > 1 and words[1] == "RECURSIVE" else 1
    while j < n and _is_name(toks[j][1]):
        name = unquote(toks[j][1])
        columns: tuple[str, ...] = ()
        j += 1
        if j < n and toks[j][1] == "(":
            end = pairs[j]
            columns = tuple(unquote(t) for _, t in toks[j + 1:end] if t != ",")
            j = end + 1
        found[name] = columns
        while j < n and words[j] in ("AS", "NOT", "MATERIALIZED"):
            j += 1
        if j < n and toks[j][1] == "(":
            j = pairs[j] + 1
        if j < n and toks[j][1] == ",":
            j += 1
        else:
            break
    return found


def context(before: str) -> Context:
    """What belongs after ``before`` (the statement's text up to the word
    being typed)."""
    toks = list(tokens(before))
    if not toks:
        return Context(COLUMN)
    words = [t.upper() for _, t in toks]
    last = words[-1]
    if last == "." and len(toks) >= 2 and (_is_name(toks[-2][1]) or toks[-2][1][:1].isalpha()):
        schema = None
        if len(toks) >= 4 and toks[-3][1] == "." and _is_name(toks[-4][1]):
            schema = unquote(toks[-4][1])
        return Context(QUALIFIED, unquote(toks[-2][1]), schema)
    if last == "JOIN":
        return Context(JOIN)
    if last in ("FROM", "INTO", "UPDATE", "REFERENCES") \
            and not (last == "FROM" and len(words) > 1 and words[-2] == "DISTINCT"):
        return Context(TABLE)
    first = words[0]
    if last in ("TABLE", "VIEW") and first in _NAMES_EXISTING \
            or last == "EXISTS" and first == "DROP":
        return Context(TABLE)
    if last == "ON" and first == "CREATE" and "INDEX" in words[:4]:
        return Context(TABLE)
    clause = _clause(words[:-1])
    if last == "," and clause == "FROM":
        return Context(TABLE)
    if last == "ON" and clause == "JOIN":
        return Context(ON)
    return Context(COLUMN)


def _clause(words: list[str]) -> str:
    """The clause keyword in force at the end of ``words`` at the end's own
    parenthesis depth (FROM, WHERE, JOIN, ...)."""
    depth = 0
    for word in reversed(words):
        if word == ")":
            depth += 1
        elif word == "(":
            if depth == 0:
                return "("
            depth -= 1
        elif depth == 0 and (word in _CLAUSE_WORDS or word == "JOIN"):
            return word
    return ""


_SEPARATOR = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")  # ASCII, not a letter or digit


def alias_for(table: str, taken: Iterable[str]) -> str:
    """A short alias for ``table`` as pgcli makes them (the first letter of
    each word: ``user_orders`` -> ``uo``, ``UserOrders`` -> ``uo``) that is
    no keyword and not one of ``taken`` (else a number is added)."""
    letters: list[str] = []
    for part in _SEPARATOR.split(table):
        humps = re.findall(r"[A-Z]?[^A-Z]*", part) if part[:1].isalpha() else [part]
        letters.extend(h[0] for h in humps if h and h[0].isalpha())
    base = "".join(letters).lower() or "t"
    used = {name.lower() for name in taken}
    alias, number = base, 2
    while alias in used or alias.upper() in SQL_KEYWORDS:
        alias, number = f"{base}{number}", number + 1
    return alias


@dataclass(frozen=True)
class ForeignKey:
    """``child(child_columns) REFERENCES parent(parent_columns)``."""
    child: str
    child_columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


def joins(refs: Sequence[TableRef], keys: Iterable[ForeignKey],
          quote: Callable[[str], str]) -> list[tuple[str, str]]:
    """Foreign-key joins to the tables ``refs`` (those already in the FROM
    clause), both ways: ``(new table, "orders o ON o.user_id = u.id")``.
    The new table gets an alias when the statement uses aliases, or when it
    is already in the statement (a self-join)."""
    aliased = any(ref.alias for ref in refs)
    taken = [ref.ref for ref in refs if ref.ref]
    in_use = {name.lower() for name in taken}
    found: list[tuple[str, str]] = []
    texts: set[str] = set()
    for ref in refs:
        if ref.name is None:
            continue
        mine, here = ref.name.lower(), quote(ref.alias or ref.name)
        for key in keys:
            ways = []  # (the other table, its columns, this one's)
            if key.child.lower() == mine:
                ways.append((key.parent, key.parent_columns, key.child_columns))
            if key.parent.lower() == mine:  # also: a key to its own table
                ways.append((key.child, key.child_columns, key.parent_columns))
            for other, theirs, ours in ways:
                alias = None
                if aliased or other.lower() in in_use:
                    alias = alias_for(other, taken)
                new = quote(alias or other)
                on = " AND ".join(f"{new}.{quote(a)} = {here}.{quote(b)}"
                                  for a, b in zip(theirs, ours, strict=True))
                named = f"{quote(other)} {quote(alias)}" if alias else quote(other)
                text = f"{named} ON {on}"
                if text not in texts:
                    texts.add(text)
                    found.append((other, text))
    return found


def conditions(refs: Sequence[TableRef], keys: Iterable[ForeignKey],
               quote: Callable[[str], str]) -> list[str]:
    """After ``JOIN t ON``: the foreign-key conditions between the last of
    ``refs`` (the table just joined) and the others (``o.user_id = u.id``)."""
    named = [(ref.name.lower(), quote(ref.alias or ref.name)) for ref in refs
             if ref.name is not None]
    if len(named) < 2 or refs[-1].name is None:
        return []
    new, found = named[-1], []
    for ref in named[:-1]:
        for key in keys:
            for (child, c_ref), (parent, p_ref) in ((new, ref), (ref, new)):
                if key.child.lower() == child and key.parent.lower() == parent:
                    text = " AND ".join(f"{c_ref}.{quote(c)} = {p_ref}.{quote(p)}"
                                        for c, p in zip(key.child_columns, key.parent_columns,
                                                            strict=True))
                    if text not in found:
                        found.append(text)
    return found
