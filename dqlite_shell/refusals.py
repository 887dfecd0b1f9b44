"""What crashes or breaks a dqlite node, refused before anything is sent.

Found by running each candidate against fresh 1.11.1, 1.17.3 and 1.18.6 nodes
(see tests/client/test_crashers.py and docs/server-bugs.md). A refusal holds
for the servers that crash or break on the statement; from the release that
refuses it cleanly on its own, the server's answer passes through (the
ranges are those of :mod:`dqlite_shell.client.capabilities`). Database
names that crash nodes crash every release. The statement analysis the
rules rest on (:func:`sqltext.pragma`, :func:`sqltext.statement_starts`,
:func:`sqltext.tokens`) lives in :mod:`dqlite_shell.sqltext`.
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

from collections.abc import Callable
from itertools import islice
from typing import NamedTuple

from dqlite_shell.client.capabilities import AUTHORIZER, MIDDLE, MODERN, OLD, RANGES
from dqlite_shell.sqltext import pragma, statement_starts, tokens

NEVER = len(RANGES)  # a level no server reaches: always refused


class Refusal(NamedTuple):
    """Why a statement is not sent; ``ask_server``: PREPARE it first (harmless
    on this server) and pass the server's own refusal on if it makes one."""
    reason: str
    ask_server: bool


def _is_temp(schema: str | None) -> bool:
    return schema is not None and schema.lower() == "temp"


def _on_main(schema: str | None) -> bool:
    return schema is None or schema.lower() == "main"


def _leading_int(value: str) -> int | None:
    """The integer SQLite's sqlite3Atoi reads from a pragma value (``"8192.0"``
    and ``"0x2000"`` -> 8192), None when it reads none."""
    digits = value[1:] if value[:1] == "+" else value
    if digits[:2] in ("0x", "0X"):
        end = 2
        while end < len(digits) and digits[end] in "0123456789abcdefABCDEF":
            end += 1
        return int(digits[2:end], 16) if end > 2 else 0
    end = 0
    while end < len(digits) and digits[end].isdigit():
        end += 1
    return int(digits[:end]) if end else None


def _new_page_size(value: str) -> bool:
    # SQLite ignores sizes that are not a power of two in 512..65536; dqlite's is 4096.
    n = _leading_int(value)
    return n is not None and n != 4096 and 512 <= n <= 65536 and n & (n - 1) == 0


def _means_off(value: str) -> bool:
    # SQLite's words for 0 (getSafetyLevel); unknown words mean NORMAL.
    return value.lower() in ("off", "no", "false") or _leading_int(value) == 0


class _Rule(NamedTuple):
    harms: Callable[[str | None, str | None], bool] | None  # (schema, value) -> harms?
    #                     (None for ATTACH: see _attaches_file)
    at_prepare: bool  # acts while SQLite compiles it (so EXPLAIN of it harms too)
    reason: str
    ask_from: int  # from this level a PREPARE is harmless and may be refused
    pass_from: int  # from this level the server refuses it itself


#: pragma name -> rule. Measured: 1.17.3 refuses journal_mode, page_size,
#: wal_checkpoint at PREPARE (its VFS); 1.18.6 refuses all but
#: hard_heap_limit (its authorizer, 1.18.4+). 1.15.1-1.16 are untested: the
#: client asks them by PREPARE only where that is harmless there too. For
#: journal_mode and page_size the VFS refuses the pragma before SQLite acts
#: on it from 1.12.0 (src/vfs.c; 1.11.1 crashes freeing the literal message
#: of that refusal); wal_checkpoint acts only when run.
_REFUSED_PRAGMAS = {
    "JOURNAL_MODE": _Rule(
        lambda schema, value: value is not None and value.lower() != "wal"
        and not _is_temp(schema), True,
        "PRAGMA journal_mode is refused for any mode but WAL: it crashes dqlite 1.11 nodes "
        "(free(): invalid pointer); dqlite needs WAL and sets it itself", MIDDLE, MODERN),
    "LOCKING_MODE": _Rule(
        lambda schema, value: value is not None and value.lower() == "exclusive"
        and _on_main(schema), True,
        "PRAGMA locking_mode=EXCLUSIVE is refused: on a new database the next statement "
        "crashes dqlite 1.11 and 1.17 nodes (vfsAmendWalIndexHeader assertion); dqlite "
        "serializes writes itself", NEVER, AUTHORIZER),
    "PAGE_SIZE": _Rule(
        lambda schema, value: value is not None and _new_page_size(value) and _on_main(schema),
        True,
        "PRAGMA page_size is refused: a new page size crashes dqlite 1.11 nodes "
        "(munmap_chunk(): invalid pointer); dqlite fixes it at 4096", MIDDLE, MODERN),
    "WAL_CHECKPOINT": _Rule(
        lambda schema, value: True, False,
        "PRAGMA wal_checkpoint is refused: it makes dqlite nodes before 1.17 crash on the "
        "next write (SIGSEGV); dqlite checkpoints by itself", MIDDLE, MODERN),
    "HARD_HEAP_LIMIT": _Rule(
        lambda schema, value: value is not None and _leading_int(value) != 0, True,
        "PRAGMA hard_heap_limit is refused: it limits the memory of the whole node; a low "
        "limit leaves it unable to open any connection (every release up to 1.18.6), and "
        "1.11 nodes abort once the data outgrows it; leave it unset", NEVER, NEVER),
    "SYNCHRONOUS": _Rule(
        lambda schema, value: value is not None and not _means_off(value)
        and not _is_temp(schema), True,
        "PRAGMA synchronous is refused but for OFF: FULL crashes dqlite 1.11 and 1.17 nodes "
        "at the next write (vfsWalWrite assertion), and on a new database any mode fails "
        "its writes (disk I/O error); Raft makes writes durable",
        NEVER, AUTHORIZER),
}


#: ATTACH of a file: dqlite replicates the main database only. On 1.11 a
#: write through a database attached so fails ('disk I/O error', then
#: 'database disk image is malformed' for the connection), and through the
#: main database attached again aborts the node. From 1.13.0 dqlite allows
#: no attached database (SQLITE_LIMIT_ATTACHED 0), checked when it runs.
_ATTACH = _Rule(
    None, False,
    "ATTACH is refused but for ':memory:' and '': a write through an attached file "
    "crashes dqlite 1.11 nodes (vfsWalWrite assertion) or breaks the connection "
    "(database disk image is malformed); dqlite replicates only the main database",
    NEVER, MIDDLE)
#: The names that attach no file: an in-memory or a temporary database.
_NO_FILE = ("':memory:'", "''")


def _attaches_file(sql: str, start: int) -> bool:
    """Whether the statement at ``start`` may ATTACH a file (any form but the
    two plain literals that cannot: expressions and parameters may)."""
    words = [token for _, token in islice(tokens(sql, start), 4)]
    if not words or words[0].upper() != "ATTACH":
        return False
    if words[1:2] and words[1].upper() == "DATABASE":
        del words[1]
    return not (words[1:2] and words[1] in _NO_FILE and words[2:3] and words[2].upper() == "AS")


def _rule_of(sql: str, start: int) -> _Rule | None:
    """The rule the statement at ``start`` falls under, if it harms some server."""
    parts = pragma(sql, start)
    if parts is None:
        return _ATTACH if _attaches_file(sql, start) else None
    explained, schema, name, _, value = parts
    rule = _REFUSED_PRAGMAS.get(name)
    if (rule is not None and rule.harms is not None and (rule.at_prepare or not explained)
            and rule.harms(schema, value)):
        return rule
    return None


def refusal(sql: str, level: int = OLD) -> Refusal | None:
    """Why ``sql`` must not be sent to a node of capability ``level``, or None.

    Checks every statement of the text (EXEC_SQL runs them all), including
    ``EXPLAIN`` of a pragma that acts while it is compiled. The reason is one
    line: what the statement does to which releases, and what to do.
    """
    lowered = sql.lower()
    if "pragma" not in lowered and "attach" not in lowered:
        return None  # the only crashers found are pragmas and ATTACH
    for start in statement_starts(sql):
        rule = _rule_of(sql, start)
        if rule is not None and level < rule.pass_from:
            return Refusal(f"{rule.reason} (this server: dqlite {RANGES[level]})",
                           level >= rule.ask_from)
    return None


def is_refused(sql: str, level: int = OLD) -> str | None:
    """The reason of :func:`refusal`, or None."""
    found = refusal(sql, level)
    return None if found is None else found.reason


#: Longest database name (UTF-8 bytes) a node opens: longer ones are hung up
#: on (1.11, 1.18) or crash the node (1.17.3 from 513 bytes).
MAX_DATABASE_NAME = 504

#: (does ``(name, utf8_size)`` harm?, why refused), checked in order; the reason
#: is formatted with ``name`` and ``size``. ``utf8_size`` is None when the name
#: cannot be encoded.
_REFUSED_DATABASES = (
    (lambda name, size: name == ":memory:",
     "database :memory: is refused: it crashes dqlite nodes (1.11 to 1.18.6) at the first "
     "statement (SIGSEGV); "
     "dqlite databases are replicated files, open a named one"),
    (lambda name, size: name == "",
     "an empty database name is refused: it crashes dqlite nodes (1.11 to 1.18.6) at the "
     "first statement (SIGSEGV); "
     "give the database a name"),
    (lambda name, size: name.startswith("file:"),  # SQLite's URI test is case-sensitive
     "database {name!r} is refused: dqlite nodes crash on URI names (file:...), at the "
     "first statement or write (1.11, 1.17; 1.18.6 on some); use a plain name"),
    (lambda name, size: "\0" in name,
     "database {name!r} is refused: a database name cannot contain a NUL character"),
    (lambda name, size: size is None,
     "database {name!r} is refused: the name is not valid UTF-8"),
    (lambda name, size: size > MAX_DATABASE_NAME,
     # a template for str.format: {size} stays a field, the limit is filled in now
     "a database name of {size} bytes is refused: dqlite nodes hang up on names longer "
     f"than {MAX_DATABASE_NAME} bytes, and 1.17 nodes crash on those over 512"),
)


def refused_database(name: str) -> str | None:
    """Why the database ``name`` must not be opened on a dqlite node, or None.

    ``:memory:``, the empty name and URI names (``file:...``) crash
    dqlite nodes of every release measured; names the protocol cannot carry, or longer than
    :data:`MAX_DATABASE_NAME` bytes, only fail, but with a misleading error.
    The reason is one line.
    """
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        size = None
    for harms, reason in _REFUSED_DATABASES:
        if harms(name, size):
            return reason.format(name=name, size=size)
    return None
