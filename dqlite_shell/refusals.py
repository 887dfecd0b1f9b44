"""What crashes or breaks a libdqlite node, refused before anything is sent.

Found by running each candidate against a fresh libdqlite 1.11.1 node (see
tests/client/test_crashers.py and docs/server-bugs.md). The refusals hold for
every server version: newer ones have not been checked statement by
statement, and none of these statements is useful on dqlite, which fixes
journal, page size, locking and syncing itself. The statement analysis they
rest on (:func:`sqltext.pragma`, :func:`sqltext.statement_starts`) lives in
:mod:`dqlite_shell.sqltext`.
"""

from __future__ import annotations

from dqlite_shell.sqltext import pragma, statement_starts


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


#: pragma name -> (does ``(schema, value)`` harm?, runs at prepare?, why refused).
#: "Runs at prepare" pragmas act while SQLite compiles them, so EXPLAIN of them
#: (which the session sends to classify a pragma) does the same harm.
_REFUSED_PRAGMAS = {
    "JOURNAL_MODE": (
        lambda schema, value: value is not None and value.lower() != "wal"
        and not _is_temp(schema), True,
        "PRAGMA journal_mode is refused for any mode but WAL: it crashes libdqlite 1.11 "
        "nodes (free(): invalid pointer); dqlite needs WAL and sets it itself"),
    "LOCKING_MODE": (
        lambda schema, value: value is not None and value.lower() == "exclusive"
        and _on_main(schema), True,
        "PRAGMA locking_mode=EXCLUSIVE is refused: the next statement crashes libdqlite 1.11 "
        "nodes (vfsAmendWalIndexHeader assertion); dqlite serializes writes itself"),
    "PAGE_SIZE": (
        lambda schema, value: value is not None and _new_page_size(value) and _on_main(schema),
        True,
        "PRAGMA page_size is refused: a new page size crashes libdqlite 1.11 nodes "
        "(munmap_chunk(): invalid pointer); dqlite fixes it at 4096"),
    "WAL_CHECKPOINT": (
        lambda schema, value: True, False,
        "PRAGMA wal_checkpoint is refused: it makes libdqlite 1.11 nodes crash on the next "
        "write (SIGSEGV); dqlite checkpoints by itself"),
    "HARD_HEAP_LIMIT": (
        lambda schema, value: value is not None and _leading_int(value) != 0, True,
        "PRAGMA hard_heap_limit is refused: it limits the memory of the whole node, and a low "
        "limit leaves a libdqlite 1.11 node unable to open any connection; leave it unset"),
    "SYNCHRONOUS": (
        lambda schema, value: value is not None and not _means_off(value)
        and not _is_temp(schema), True,
        "PRAGMA synchronous is refused but for OFF: on libdqlite 1.11 every later write on "
        "the connection fails with a disk I/O error; Raft makes writes durable"),
}


def is_refused(sql: str) -> str | None:
    """Why ``sql`` must not be sent to a dqlite node, or None.

    Checks every statement of the text (EXEC_SQL runs them all), including
    ``EXPLAIN`` of a pragma that acts while it is compiled. The reason is one
    line: what the statement does to a libdqlite 1.11 node and what to do.
    """
    if "pragma" not in sql.lower():
        return None  # the only crashers found are pragmas
    for start in statement_starts(sql):
        parts = pragma(sql, start)
        if parts is None:
            continue
        explained, schema, name, _, value = parts
        rule = _REFUSED_PRAGMAS.get(name)
        if rule is not None:
            harms, at_prepare, reason = rule
            if (at_prepare or not explained) and harms(schema, value):
                return reason
    return None


#: Longest database name (UTF-8 bytes) a libdqlite 1.11 node opens; it closes
#: the connection on longer ones.
MAX_DATABASE_NAME = 504

#: (does ``(name, utf8_size)`` harm?, why refused), checked in order; the reason
#: is formatted with ``name`` and ``size``. ``utf8_size`` is None when the name
#: cannot be encoded.
_REFUSED_DATABASES = (
    (lambda name, size: name == ":memory:",
     "database :memory: is refused: opening it crashes libdqlite 1.11 nodes (SIGSEGV); "
     "dqlite databases are replicated files, open a named one"),
    (lambda name, size: name == "",
     "an empty database name is refused: opening it crashes libdqlite 1.11 nodes (SIGSEGV); "
     "give the database a name"),
    (lambda name, size: name.startswith("file:"),  # SQLite's URI test is case-sensitive
     "database {name!r} is refused: libdqlite 1.11 nodes crash on URI names (file:...), "
     "when they open them or on the first write; use a plain name"),
    (lambda name, size: "\0" in name,
     "database {name!r} is refused: a database name cannot contain a NUL character"),
    (lambda name, size: size is None,
     "database {name!r} is refused: the name is not valid UTF-8"),
    (lambda name, size: size > MAX_DATABASE_NAME,
     "a database name of {size} bytes is refused: libdqlite 1.11 nodes close the connection "
     "on names longer than %d bytes" % MAX_DATABASE_NAME),
)


def refused_database(name: str) -> str | None:
    """Why the database ``name`` must not be opened on a dqlite node, or None.

    ``:memory:``, the empty name and URI names (``file:...``) crash
    libdqlite 1.11 nodes; names the protocol cannot carry, or longer than
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
