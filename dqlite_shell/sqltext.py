"""SQL text facts that the driver and the shell both need, without a server.

Statement ends are where SQLite says they are (``sqlite3.complete_statement``);
this module only adds skipping comments and reading the leading keyword.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# sqlite3.complete_statement is this function of the C module, re-exported:
# the sqlite3 package would also load datetime and register its adapters
# (~2 ms of every start of the shell) for nothing used here.
from _sqlite3 import complete_statement


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
        if complete_statement(sql[:pos + 1]):
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


#: SQLite's keywords, as ``sqlite3_keyword_name()`` lists them (3.40): a name
#: equal to one of them is quoted (completion, :func:`quote_name`), as the sqlite3 shell does.
SQL_KEYWORDS = frozenset("""ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH
AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT
CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT
DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE
EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP
GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO
IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL
NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE
RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT
ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER
UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH
WITHOUT""".split())


def double_quoted(name: str) -> str:
    """``name`` in double quotes, inner ones doubled, always (sqlite3's ``%w``
    in ``"%w"``, as its ``.import`` writes names)."""
    return '"' + name.replace('"', '""') + '"'


def quote_name(name: str) -> str:
    """``name`` as the sqlite3 shell writes it in SQL it generates (its
    ``quoteChar``: ``.dump``, ``.mode insert``): as it is when it is ASCII
    letters, digits and ``_``, not starting with a digit, and no keyword;
    else in double quotes, inner ones doubled."""
    if _SHELL_PLAIN_NAME.match(name) and name.upper() not in SQL_KEYWORDS:
        return name
    return double_quoted(name)


_SHELL_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


#: What a statement does, as far as the text tells.
READ = "read"  # returns rows, writes nothing: send QUERY
WRITE = "write"  # returns no rows: send EXEC
WRITE_ROWS = "write-rows"  # writes and returns rows (RETURNING)
UNKNOWN = "unknown"  # ask the server (EXPLAIN)

_DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
#: First keywords of the statements that only open, end or mark a transaction.
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
_NO_ROWS = TRANSACTION_CONTROL | frozenset({"CREATE", "DROP", "ALTER", "ATTACH", "DETACH",
                                            "ANALYZE", "VACUUM", "REINDEX"})


def transaction_verb(sql: str) -> str | None:
    """What a transaction control statement does: ``BEGIN``, ``COMMIT`` (also
    for ``END``), ``ROLLBACK``, ``ROLLBACK TO`` (a savepoint's), ``SAVEPOINT``
    or ``RELEASE``; None for any other statement."""
    word, pos = _token(sql, 0)
    verb = word.upper()
    if verb not in TRANSACTION_CONTROL:
        return None
    if verb == "END":
        return "COMMIT"
    if verb == "ROLLBACK":
        word, pos = _token(sql, pos)
        if word.upper() == "TRANSACTION":
            word, pos = _token(sql, pos)
        if word.upper() == "TO":
            return "ROLLBACK TO"
    return verb


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


def is_query_plan(sql: str) -> bool:
    """True for an ``EXPLAIN QUERY PLAN`` statement (what
    ``sqlite3_stmt_isexplain()`` calls 2), whose rows the shell draws as a tree."""
    tokens = _tokens(sql)
    return (next(tokens, ""), next(tokens, ""), next(tokens, "")) == ("EXPLAIN", "QUERY", "PLAN")


class Target(NamedTuple):
    """What a DROP, DELETE or UPDATE statement names (see :func:`target`)."""
    verb: str             # DROP, DELETE or UPDATE
    kind: str             # TABLE, INDEX, VIEW or TRIGGER (TABLE for DELETE and UPDATE)
    schema: str | None    # when given
    name: str             # unquoted
    where: bool           # DELETE and UPDATE: a WHERE clause at the top level


def target(sql: str) -> Target | None:
    """The object a ``DROP``, ``DELETE`` or ``UPDATE`` statement (also after a
    ``WITH`` clause) acts on, and whether it has a ``WHERE``; None for other
    statements or when the text does not say."""
    word, pos = _token(sql, 0)
    verb = word.upper()
    if verb == "WITH":
        depth, verb = 0, ""
        while not verb:  # ends: every token moves pos on, and "" ends the text
            word, pos = _token(sql, pos)
            upper = word.upper()
            if not word or depth == 0 and upper in ("SELECT", "VALUES", "INSERT", "REPLACE"):
                return None
            depth += (word == "(") - (word == ")")
            if depth == 0 and upper in ("DELETE", "UPDATE"):
                verb = upper
    if verb not in ("DROP", "DELETE", "UPDATE"):
        return None
    word, after = _token(sql, pos)
    kind = "TABLE"
    if verb == "DROP":
        kind, pos = word.upper(), after
        if kind not in ("TABLE", "INDEX", "VIEW", "TRIGGER"):
            return None
        word, after = _token(sql, pos)
        if word.upper() == "IF":  # IF EXISTS
            pos = _token(sql, after)[1]
    elif verb == "DELETE":
        if word.upper() != "FROM":
            return None
        pos = after
    elif word.upper() == "OR":  # UPDATE OR ROLLBACK|ABORT|REPLACE|FAIL|IGNORE
        pos = _token(sql, after)[1]
    schema, (name, pos) = None, _token(sql, pos)
    mark, after = _token(sql, pos)
    if mark == ".":
        schema = _unquote(name)
        name, pos = _token(sql, after)
    if not name or not (_ident_char(name[0]) or name[0] in "\"`['"):
        return None
    depth, where = 0, False
    if verb != "DROP":
        for token in _tokens(sql[pos:]):
            depth += (token == "(") - (token == ")")
            if depth == 0 and token == "WHERE":
                where = True
                break
    return Target(verb, kind, schema, _unquote(name), where)


def _unquote(token: str) -> str:
    if token[:1] in ("'", '"', "`") and len(token) >= 2 and token[-1] == token[0]:
        return token[1:-1].replace(token[0] * 2, token[0])
    if token[:1] == "[" and token.endswith("]"):
        return token[1:-1]
    return token


def _token(sql: str, pos: int) -> tuple[str, int]:
    """The token at ``pos`` after blanks (a word, quoted name or string, a
    signed number, or one other character) and the index after it."""
    pos = skip_blank(sql, pos)
    n = len(sql)
    if pos >= n:
        return "", n
    c = sql[pos]
    after = _skip_literal(sql, pos)
    if after:
        return sql[pos:after], after
    end = pos + 1
    if c.isdigit() or c in "+-" and pos + 1 < n and sql[pos + 1].isdigit():
        while end < n and (sql[end].isalnum() or sql[end] == "."):
            end += 1
    elif _ident_char(c):
        while end < n and _ident_char(sql[end]):
            end += 1
    return sql[pos:end], end


def tokens(sql: str, pos: int = 0):
    """``(start, token)`` for each token of ``sql`` from ``pos``, as
    :func:`_token` reads them (words, quoted names and strings as written,
    numbers, one other character each), comments and blanks skipped."""
    while True:
        token, pos = _token(sql, pos)
        if not token:
            return
        yield pos - len(token), token


#: A quoted name or string token (``"a""b"``, ``[a]``, ```a```) -> the name it
#: stands for; other tokens as they are.
unquote = _unquote


class Pragma(NamedTuple):
    """A PRAGMA statement's parts (see :func:`pragma`)."""
    explained: bool       # under EXPLAIN [QUERY PLAN]
    schema: str | None    # main, temp, ... when given
    name: str             # upper-cased
    form: str | None      # how a value is given: "=", "(", or None (a plain read)
    value: str | None     # the value (or argument), unquoted


def pragma(sql: str, pos: int = 0) -> Pragma | None:
    """The parts of the PRAGMA statement starting at ``pos`` (also under
    EXPLAIN), or None when it is not a PRAGMA."""
    word, pos = _token(sql, pos)
    explained = word.upper() == "EXPLAIN"
    if explained:
        word, pos = _token(sql, pos)
        if word.upper() == "QUERY":
            word, pos = _token(sql, _token(sql, pos)[1])  # QUERY PLAN
    if word.upper() != "PRAGMA":
        return None
    schema = None
    name, pos = _token(sql, pos)
    mark, after = _token(sql, pos)
    if mark == ".":
        schema = _unquote(name)
        name, pos = _token(sql, after)
        mark, after = _token(sql, pos)
    form = value = None
    if mark in ("=", "("):
        form, value = mark, _unquote(_token(sql, after)[0])
    return Pragma(explained, schema, _unquote(name).upper(), form, value)


_STATEMENT_END_OR_LITERAL = re.compile(r"[;'\"`\[]|--|/\*")


def statement_starts(sql: str):
    """Where each statement of ``sql`` starts: 0 and after each ``;`` that is
    not in a string, quoted name or comment (linear in the text)."""
    yield 0
    pos = 0
    while True:
        found = _STATEMENT_END_OR_LITERAL.search(sql, pos)
        if found is None:
            return
        pos = found.start()
        if sql[pos] == ";":
            pos += 1
            yield pos
        else:
            pos = _skip_literal(sql, pos)


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
