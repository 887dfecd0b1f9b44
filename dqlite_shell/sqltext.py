"""SQL text facts that the driver and the shell both need, without a server.

:func:`analyse` reads a statement once (one pass of the one tokenizer,
``_SCAN``) into a :class:`Statement`: its kind, first keyword, parameters,
transaction verb, and so on; callers hand that down instead of the text
being read again by each layer. The keyword sets (:data:`DML`,
:data:`TRANSACTION_CONTROL`, :data:`SCHEMA_CHANGES`) live here only.
:func:`tokens`, :func:`pragma` and :func:`target` read single tokens with the
same tokenizer. Statement ends are where SQLite says they are
(``sqlite3.complete_statement``).
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

import functools
import re
from typing import NamedTuple


def complete_statement(sql: str) -> bool:
    """True when ``sql`` ends with a complete statement: ``sqlite3.complete_statement``."""
    # The C module's function, loaded on first use: not the sqlite3 package
    # (it loads datetime and registers adapters, ~2 ms), and not even _sqlite3
    # (~1.5 ms) for a one-shot without a semicolon.
    from _sqlite3 import complete_statement as complete
    return complete(sql)


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


def _ident_char(c: str) -> bool:
    return c.isalnum() or c in "_$" or ord(c) > 127


def parameters(sql: str) -> list[str | None]:
    """The statement's parameters in bind order, as SQLite numbers them.

    Element ``i`` is the name of parameter ``i + 1`` (``":a"``, ``"@a"``,
    ``"$a"``, ``"?3"``) or None for a plain ``?``. ``len()`` of the result is
    what ``sqlite3_bind_parameter_count`` would say. (See :func:`analyse`.)
    """
    return list(analyse(sql).parameters)


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

#: The data-changing statements (what sqlite3's legacy transaction control
#: opens a transaction before, and what a cursor's rowcount counts).
DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
#: First keywords of the statements that only open, end or mark a transaction.
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
#: First keywords of the statements that change the schema.
SCHEMA_CHANGES = frozenset({"CREATE", "DROP", "ALTER"})
_NO_ROWS = TRANSACTION_CONTROL | SCHEMA_CHANGES | frozenset({"ATTACH", "DETACH", "ANALYZE",
                                                            "VACUUM", "REINDEX"})
#: What a ``*`` follows when it is a column expansion (not ``count(*)``, ``a * b``).
_BEFORE_STAR = frozenset({"SELECT", "DISTINCT", "ALL", "RETURNING", ",", "."})


class Statement(NamedTuple):
    """What the text of a statement says, read once by :func:`analyse` and
    passed down (shell, client session, transaction state, driver).

    The facts are about the whole text given (as SQLite reads a statement with
    a tail, parameters count over all of it); ``head`` is its first statement.
    """
    text: str
    head: str                 # the first complete statement (``text`` when it is the only one)
    single: bool              # nothing but blanks and comments after ``head``
    blank: bool               # no statement at all: white space and comments only
    keyword: str              # the first word, upper-cased ("" when it is no word)
    kind: str                 # READ, WRITE, WRITE_ROWS or UNKNOWN (see :func:`classify`)
    parameters: tuple[str | None, ...]  # see :func:`parameters`
    transaction: str | None   # see :func:`transaction_verb`
    savepoint: str | None     # the name a SAVEPOINT, RELEASE or ROLLBACK TO gives, upper-cased
    query_plan: bool          # EXPLAIN QUERY PLAN (see :func:`is_query_plan`)
    expands_star: bool        # see :func:`expands_star`
    dml: bool                 # INSERT, UPDATE, DELETE or REPLACE, also behind WITH

    @property
    def ends_transaction(self) -> bool:
        """COMMIT, END or RELEASE: one lost with its connection may have
        ended the transaction (it is not simply rolled back)."""
        return self.transaction in ("COMMIT", "RELEASE")

    @property
    def changes_schema(self) -> bool:
        """CREATE, DROP or ALTER."""
        return self.keyword in SCHEMA_CHANGES


# One pass over the text: blanks and comments are skipped (possessively: a
# comment is never read as tokens), then one token: a word, a quoted name or
# string, a parameter, a number, punctuation that shapes a statement, or any
# other character.
# A word starts with an ASCII letter, "_" or any non-ASCII character, and goes
# on with those, ASCII digits and "$" (what _ident_char accepts). Both classes
# are written as "none of the other ASCII characters": a class with a range up
# to \U0010ffff costs re's compiler ~15 ms, at every start of the shell.
_WORD_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"  # A-Z a-z _ or non-ASCII
_IDENT = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"  # those, 0-9 and $
_SCAN = re.compile(
    r"(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?(?:\*/|\Z))*+"
    r"(?:(?P<word>" + _WORD_START + _IDENT + r"*)"
    r"|(?P<quoted>'[^']*(?:''[^']*)*'?|\"[^\"]*(?:\"\"[^\"]*)*\"?|`[^`]*(?:``[^`]*)*`?"
    r"|\[[^\]]*\]?)"
    r"|(?P<param>\?\d*|(?<!" + _IDENT + r")[:@$]" + _IDENT + r"+)"
    r"|(?P<number>[+-]?\d(?:[^\W_]|\.)*)"
    r"|(?P<punct>[()*,.])"
    r"|(?P<other>\S))?", re.DOTALL)  # nothing: the end of the text


@functools.lru_cache(maxsize=512)  # each layer asks about the same text; scripts repeat it
def analyse(sql: str) -> Statement:
    """Everything the client and the shell read from a statement's text, in
    one pass over it: see :class:`Statement`."""
    shape: list[str] = []  # upper-cased words, ( ) * , . and "#" (a number), "?" (a parameter)
    head: list[str] = []  # the first tokens, words upper-cased (the transaction's words)
    slots: dict[int, str | None] = {}
    names: dict[str, int] = {}
    top = 0
    star = False
    first = ""
    for m in _SCAN.finditer(sql):
        group = m.lastgroup
        if group is None:
            break
        token = m[group]
        if group == "word":
            token = token.upper()
            shape.append(token)
        elif group == "punct":
            if token == "*" and not star and shape and shape[-1] in _BEFORE_STAR:
                star = True
            shape.append(token)
        elif group == "number":
            shape.append("#")
        elif group == "param":
            shape.append("?")
            if token[0] != "?":
                if token not in names:
                    top += 1
                    names[token] = top
                    slots[top] = token
            elif len(token) > 1:
                index = int(token[1:])
                slots.setdefault(index, token)
                top = max(top, index)
            else:
                top += 1
                slots[top] = None
        if len(head) < 5:
            if not head:
                first = token if group == "word" else ""
            head.append(token)
    if ";" in sql:
        text, rest = split_first(sql)
        single = is_blank(rest)
    else:
        text, single = sql, True
    kind = _kind(shape, first)
    verb, savepoint = _transaction(head)
    return Statement(
        sql, text, single, not head, first, kind,
        tuple([slots.get(k) for k in range(1, top + 1)]), verb, savepoint,
        shape[:3] == ["EXPLAIN", "QUERY", "PLAN"], star,
        first in DML or first == "WITH" and kind in (WRITE, WRITE_ROWS))


def _kind(shape: list[str], first: str) -> str:
    """READ, WRITE, WRITE_ROWS or UNKNOWN from a statement's shape."""
    if first in ("SELECT", "VALUES", "EXPLAIN"):
        return READ
    if first in _NO_ROWS:
        return WRITE
    start = 1
    if first == "WITH":
        depth = 0
        for i in range(1, len(shape)):
            token = shape[i]
            if token == "(":
                depth += 1
            elif token == ")":
                depth -= 1
            elif depth == 0 and token in ("SELECT", "VALUES"):
                return READ
            elif depth == 0 and token in DML:
                first, start = token, i + 1
                break
        else:
            return UNKNOWN
    if first in DML:
        depth = 0
        for i in range(start, len(shape)):
            token = shape[i]
            if token == "(":
                depth += 1
            elif token == ")":
                depth -= 1
            elif depth == 0 and token == "RETURNING":
                return WRITE_ROWS
        return WRITE
    return UNKNOWN


def _transaction(head: list[str]) -> tuple[str | None, str | None]:
    """The transaction verb and savepoint name from a statement's first
    tokens (words upper-cased, names as written)."""
    verb = head[0] if head else ""
    if verb not in TRANSACTION_CONTROL:
        return None, None
    rest = head[1:]
    if verb == "END":
        return "COMMIT", None
    if verb == "ROLLBACK":
        if rest[:1] == ["TRANSACTION"]:
            rest = rest[1:]
        if rest[:1] != ["TO"]:
            return "ROLLBACK", None
        verb, rest = "ROLLBACK TO", rest[1:]
    if verb != "SAVEPOINT" and rest[:1] == ["SAVEPOINT"]:
        rest = rest[1:]
    if not rest or rest[0][0].isdigit() or not (_ident_char(rest[0][0]) or rest[0][0] in "\"`['"):
        return verb, None
    return verb, _unquote(rest[0]).upper()


def first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased (``""`` for blank text)."""
    return analyse(sql).keyword


def transaction_verb(sql: str) -> str | None:
    """What a transaction control statement does: ``BEGIN``, ``COMMIT`` (also
    for ``END``), ``ROLLBACK``, ``ROLLBACK TO`` (a savepoint's), ``SAVEPOINT``
    or ``RELEASE``; None for any other statement."""
    return analyse(sql).transaction


def classify(sql: str) -> str:
    """READ, WRITE, WRITE_ROWS or UNKNOWN for one statement.

    libdqlite 1.11 must never get a writing statement as QUERY (it writes
    outside Raft and the node aborts), so only text that cannot write is READ.
    """
    return analyse(sql).kind


def is_query_plan(sql: str) -> bool:
    """True for an ``EXPLAIN QUERY PLAN`` statement (what
    ``sqlite3_stmt_isexplain()`` calls 2), whose rows the shell draws as a tree."""
    return analyse(sql).query_plan


def expands_star(sql: str) -> bool:
    """True when the result columns come from a ``*`` or ``t.*`` expansion
    (so they follow the schema), as opposed to ``count(*)`` or ``a * b``."""
    return analyse(sql).expands_star


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
        for m in _SCAN.finditer(sql, pos):
            token = m[m.lastgroup or 0]
            depth += (token == "(") - (token == ")")
            if depth == 0 and m.lastgroup == "word" and token.upper() == "WHERE":
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
    parameter, a signed number, or one other character) and the index after
    it; ``("", len(sql))`` at the end."""
    m = _SCAN.match(sql, pos)
    if m is None or m.lastgroup is None:
        return "", len(sql)
    return m[m.lastgroup], m.end()


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


def statement_starts(sql: str):
    """Where each statement of ``sql`` starts: 0 and after each ``;`` that is
    not in a string, quoted name or comment."""
    yield 0
    for m in _SCAN.finditer(sql):
        if m.lastgroup == "other" and m["other"] == ";":
            yield m.end()
