"""SQL text facts that the driver and the shell both need, without a server.

Statement ends are where SQLite says they are (``sqlite3.complete_statement``);
this module only adds skipping comments and reading the leading keyword.
"""

from __future__ import annotations

import sqlite3


def skip_blank(sql: str, pos: int = 0) -> int:
    """Index of the first character at or after ``pos`` that is not white space
    or part of a ``--`` or ``/* */`` comment (``len(sql)`` if none)."""
    n = len(sql)
    while pos < n:
        c = sql[pos]
        if c.isspace():
            pos += 1
        elif sql.startswith("--", pos):
            end = sql.find("\n", pos)
            pos = n if end < 0 else end + 1
        elif sql.startswith("/*", pos):
            end = sql.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            return pos
    return n


def is_blank(sql: str) -> bool:
    """True when ``sql`` holds only white space and comments."""
    return skip_blank(sql) == len(sql)


def first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased (``""`` for blank text)."""
    pos = skip_blank(sql)
    end = pos
    while end < len(sql) and (sql[end].isalnum() or sql[end] == "_"):
        end += 1
    return sql[pos:end].upper()


def split_first(sql: str) -> tuple[str, str]:
    """Split off the first complete statement: ``(statement, rest)``.

    A text without a terminating semicolon is one statement. ``rest`` is what
    follows the first statement's semicolon.
    """
    pos = sql.find(";")
    while pos >= 0:
        if sqlite3.complete_statement(sql[:pos + 1]):
            return sql[:pos + 1], sql[pos + 1:]
        pos = sql.find(";", pos + 1)
    return sql, ""


def _skip_quoted(sql: str, pos: int, close: str) -> int:
    """Index after the quoted token starting at ``pos`` (doubled quotes escape)."""
    n = len(sql)
    pos += 1
    while pos < n:
        end = sql.find(close, pos)
        if end < 0:
            return n
        if close != "]" and sql.startswith(close * 2, end):
            pos = end + 2
            continue
        return end + 1
    return n


def _skip_literal(sql: str, i: int) -> int:
    """The index after the string, quoted name or comment starting at ``i``,
    or 0 when none starts there."""
    c = sql[i]
    if c in "'\"`":
        return _skip_quoted(sql, i, c)
    if c == "[":
        return _skip_quoted(sql, i, "]")
    if c == "-" and sql.startswith("--", i) or c == "/" and sql.startswith("/*", i):
        return skip_blank(sql, i)
    return 0


def _ident_char(c: str) -> bool:
    return c.isalnum() or c in "_$" or ord(c) > 127


def parameters(sql: str) -> list[str | None]:
    """The statement's parameters in bind order, as SQLite numbers them.

    Element ``i`` is the name of parameter ``i + 1`` (``":a"``, ``"@a"``,
    ``"$a"``, ``"?3"``) or None for a plain ``?``. ``len()`` of the result is
    what ``sqlite3_bind_parameter_count`` would say.
    """
    slots: dict[int, str | None] = {}
    names: dict[str, int] = {}
    top = 0
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        after = _skip_literal(sql, i)
        if after:
            i = after
        elif c == "?":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            if j > i + 1:
                index = int(sql[i + 1:j])
                slots.setdefault(index, sql[i:j])
            else:
                index = top + 1
                slots[index] = None
            top = max(top, index)
            i = j
        elif c in ":@$" and i + 1 < n and _ident_char(sql[i + 1]) \
                and not (i and _ident_char(sql[i - 1])):
            j = i + 1
            while j < n and _ident_char(sql[j]):
                j += 1
            name = sql[i:j]
            if name not in names:
                top += 1
                names[name] = top
                slots[top] = name
            i = j
        else:
            i += 1
    return [slots.get(k) for k in range(1, top + 1)]


def _tokens(sql: str, punctuation: bool = False):
    """Upper-cased bare words and parentheses (and with ``punctuation``
    ``* , .``), skipping strings, quoted identifiers and comments: enough to
    find a statement's shape."""
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        after = _skip_literal(sql, i)
        if after:
            i = after
        elif c in "()" or punctuation and c in "*,.":
            yield c
            i += 1
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and _ident_char(sql[j]):
                j += 1
            yield sql[i:j].upper()
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "."):
                j += 1
            yield "#"  # a number
            i = j
        else:
            i += 1


#: What a statement does, as far as the text tells.
READ = "read"  # returns rows, writes nothing: send QUERY
WRITE = "write"  # returns no rows: send EXEC
WRITE_ROWS = "write-rows"  # writes and returns rows (RETURNING)
UNKNOWN = "unknown"  # ask the server (EXPLAIN)

_DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
_NO_ROWS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "CREATE",
                      "DROP", "ALTER", "ATTACH", "DETACH", "ANALYZE", "VACUUM", "REINDEX"})


def classify(sql: str) -> str:
    """READ, WRITE, WRITE_ROWS or UNKNOWN for one statement.

    libdqlite 1.11 must never get a writing statement as QUERY (it writes
    outside Raft and the node aborts), so only text that cannot write is READ.
    """
    tokens = _tokens(sql)
    first = next(tokens, "")
    if first in ("SELECT", "VALUES", "EXPLAIN"):
        return READ
    if first in _NO_ROWS:
        return WRITE
    if first == "WITH":
        depth = 0
        for token in tokens:
            if token == "(":
                depth += 1
            elif token == ")":
                depth -= 1
            elif depth == 0 and token in ("SELECT", "VALUES"):
                return READ
            elif depth == 0 and token in _DML:
                first = token
                break
        else:
            return UNKNOWN
    if first in _DML:
        depth = 0
        for token in tokens:
            if token == "(":
                depth += 1
            elif token == ")":
                depth -= 1
            elif depth == 0 and token == "RETURNING":
                return WRITE_ROWS
        return WRITE
    return UNKNOWN


#: Statements that make a libdqlite 1.11 node crash, refused before sending.
_REFUSED = {
    "WAL_CHECKPOINT": "PRAGMA wal_checkpoint is refused: it makes libdqlite 1.11 nodes crash "
                      "on the next write (dqlite checkpoints by itself)",
}


def is_refused(sql: str) -> str | None:
    """Why ``sql`` must not be sent to a libdqlite 1.11 node, or None."""
    tokens = _tokens(sql)
    if next(tokens, "") != "PRAGMA":
        return None
    for _, token in zip(range(2), tokens):
        if token in _REFUSED:
            return _REFUSED[token]
    return None


_BEFORE_STAR = frozenset({"SELECT", "DISTINCT", "ALL", "RETURNING", ",", "."})


def expands_star(sql: str) -> bool:
    """True when the result columns come from a ``*`` or ``t.*`` expansion
    (so they follow the schema), as opposed to ``count(*)`` or ``a * b``."""
    previous = ""
    for token in _tokens(sql, punctuation=True):
        if token == "*" and previous in _BEFORE_STAR:
            return True
        previous = token
    return False
