"""``.kine``: reading the ``kine`` table of k8s-dqlite (and k3s's kine).

kine keeps etcd's key space as a log, one row per revision::

    kine(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created INTEGER,
         deleted INTEGER, create_revision INTEGER NOT NULL, prev_revision INTEGER,
         lease INTEGER, value BLOB, old_value BLOB)

What the helpers rely on (canonical/k8s-dqlite pkg/backend/sqlite/driver.go,
k3s-io/kine pkg/drivers/generic and pkg/logstructured/sqllog):

* ``id`` is the revision; a create, an update and a delete each insert a row.
  The current revision is ``MAX(id)``.
* A key's state is its row with the highest id (``MAX(id) ... GROUP BY
  name``); it is live when that row has ``deleted = 0``.  A delete inserts a
  tombstone with ``deleted = 1`` (k8s-dqlite: value NULL, old value kept).
* ``create_revision`` of a row with ``created = 1`` is its own id.
* ``compact_rev_key`` is kine's bookkeeping row: its ``prev_revision`` holds
  the revision compacted to (``MAX(prev_revision)``, as kine reads it).
  Compacting up to revision C deletes the rows that an update or delete at
  or below C replaced (its ``prev_revision``) and the tombstones at or below
  C.  Upstream kine also fills holes in the id sequence with ``gap-<id>``
  tombstones, which compaction removes like any other.
* ``PRAGMA user_version`` is k8s-dqlite's schema version (major << 16 | minor).

Every helper only reads (SELECTs), prints tables through the current
``.mode``, and says so in one line when the database has no ``kine`` table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, usage_error
from dqlite_shell.shell.commands.registry import KINE, TEXT, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

#: The subcommands, as completion offers them.
SUBCOMMANDS = ("keys", "get", "stats")

#: kine's bookkeeping row (its prev_revision is the compact revision).
COMPACT_KEY = "compact_rev_key"

#: apimachinery's runtime/serializer/protobuf: "k8s" and 0, the only
#: encoding style, then a runtime.Unknown message.
K8S_PROTOBUF_MAGIC = b"k8s\x00"
#: apiserver's encryption at rest (k8s:enc:PROVIDER:VERSION:KEYNAME:...).
K8S_ENCRYPTED = b"k8s:enc:"

_HAS_KINE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kine'"

# The latest row of each name in [?1, ?2) (no bounds when NULL), live only.
_KEYS = """
SELECT kv.name, kv.id AS revision,
       CASE WHEN kv.created THEN kv.id ELSE kv.create_revision END AS create_revision,
       kv.lease, length(kv.value) AS bytes
FROM (SELECT MAX(id) AS id FROM kine
      WHERE (?1 IS NULL OR name >= CAST(?1 AS TEXT)) AND (?2 IS NULL OR name < CAST(?2 AS TEXT))
      GROUP BY name) AS latest
JOIN kine AS kv ON kv.id = latest.id
WHERE kv.deleted = 0 AND (?3 OR kv.name <> 'compact_rev_key')
ORDER BY kv.name"""

_GET = """
SELECT id, created, deleted, create_revision, lease, value FROM kine
WHERE name = ? ORDER BY id DESC LIMIT 1"""

_SUMMARY = """
SELECT (SELECT COUNT(*) FROM kine) AS rows,
       (SELECT COUNT(*) FROM (SELECT MAX(id) AS id FROM kine GROUP BY name) AS latest
        JOIN kine AS kv ON kv.id = latest.id
        WHERE kv.deleted = 0 AND kv.name <> 'compact_rev_key') AS live_keys,
       (SELECT MAX(prev_revision) FROM kine WHERE name = 'compact_rev_key') AS compact_revision,
       (SELECT MAX(id) FROM kine) AS current_revision"""

# Per name: rows, whether the latest row is live (SQLite gives a bare column
# the values of the row that MAX() picked), tombstones, and the rows that a
# compaction up to ?1 (the recorded compact revision) deletes, as kine's own
# compaction query selects them. Then names are grouped by prefix: the first
# two path segments (/registry/pods), all gap-<id> rows as one.
_STATS = """
WITH replaced AS (
    SELECT prev_revision AS id FROM kine
    WHERE name <> 'compact_rev_key' AND created = 0 AND prev_revision <> 0 AND id <= ?1
), per_name AS (
    SELECT name, COUNT(*) AS rows, MAX(id) AS latest, deleted = 0 AS live,
           SUM(deleted <> 0) AS tombstones,
           SUM((deleted <> 0 AND id <= ?1) OR id IN replaced) AS overdue
    FROM kine GROUP BY name
), cut AS (
    SELECT *, instr(substr(name, 2), '/') AS first FROM per_name
), prefixed AS (
    SELECT *, CASE
        WHEN substr(name, 1, 4) = 'gap-' THEN 'gap-*'
        WHEN substr(name, 1, 1) <> '/' OR first = 0 THEN name
        WHEN instr(substr(name, first + 2), '/') = 0 THEN name
        ELSE substr(name, 1, first + instr(substr(name, first + 2), '/'))
    END AS prefix FROM cut
)
SELECT prefix, SUM(rows) AS rows,
       SUM(live AND name <> 'compact_rev_key') AS live_keys,
       SUM(tombstones) AS deleted_rows,
       SUM(rows - (live AND name <> 'compact_rev_key') - (name = 'compact_rev_key')) AS pending,
       SUM(overdue) AS overdue
FROM prefixed GROUP BY prefix ORDER BY prefix"""


@command(".kine keys [PREFIX]|get KEY|stats",
         "Read k8s-dqlite's kine table: live keys, a value decoded, rows and "
         "compaction per prefix",
         args=(1, 2), complete=(KINE, TEXT))
def kine(state: ShellState, args: list[str]) -> None:
    """For the database of k8s-dqlite (MicroK8s, Canonical Kubernetes: "k8s")
    or any kine store. They only read.

      .kine keys [PREFIX]  the latest revision of each live (not deleted) key,
                           under PREFIX when given (etcd's prefix, e.g.
                           /registry/pods/); columns name, revision,
                           create_revision, lease, bytes (of the value)
      .kine get KEY        the key's latest revision and its value: JSON
                           indented, a Kubernetes protobuf object ("k8s\\0")
                           as its apiVersion and kind, an encrypted one as its
                           provider, text as it is, other bytes as .blob says.
                           With .mode json/jsonl: one JSON object
      .kine stats          a summary (rows, live keys, the compact and current
                           revisions), then per prefix (/registry/pods: the
                           first two path segments): rows, live_keys,
                           deleted_rows (tombstones), pending (rows a
                           compaction to the current revision would delete)
                           and overdue (rows the recorded compaction should
                           already have deleted: non-zero means compaction
                           did not do its work)"""
    sub, rest = args[0].lower(), args[1:]
    if sub == "keys":
        _keys(state, rest[0] if rest else "")
    elif sub == "get" and len(rest) == 1:
        _get(state, rest[0])
    elif sub == "stats" and not rest:
        _stats(state)
    else:
        raise usage_error(".kine")


def _query(state: ShellState, sql: str, params=()) -> tuple[list[str], list[tuple]]:
    from dqlite_shell.shell import engine
    with failures():
        return engine.query(state, sql, params)


def _check_table(state: ShellState) -> None:
    if not _query(state, _HAS_KINE)[1]:
        raise CommandError(f"database {json.dumps(state.database)} has no kine table (.kine "
                           "reads k8s-dqlite's, kept in database \"k8s\")")


def _show(state: ShellState, columns: list[str], rows: list[tuple]) -> None:
    from dqlite_shell.shell import engine
    engine.show(state, columns, [rows])


def prefix_end(prefix: str) -> bytes | None:
    """The smallest byte string above every name starting with ``prefix``
    (etcd's range end for a prefix), or None when there is none."""
    end = bytearray(prefix.encode("utf-8"))
    while end and end[-1] == 0xFF:
        end.pop()
    if not end:
        return None
    end[-1] += 1
    return bytes(end)


def _keys(state: ShellState, prefix: str) -> None:
    _check_table(state)
    low, high = (prefix, prefix_end(prefix)) if prefix else (None, None)
    columns, rows = _query(state, _KEYS, (low, high, bool(prefix)))
    _show(state, columns, rows)


def _stats(state: ShellState) -> None:
    _check_table(state)
    columns, summary = _query(state, _SUMMARY)
    version = _query(state, "PRAGMA user_version")[1]
    number = int(version[0][0]) if version else 0
    columns.append("schema_version")
    summary = [(*summary[0], f"{number >> 16}.{number & 0xFFFF}")]
    _show(state, columns, summary)
    compact = summary[0][2] or 0
    _show(state, *_query(state, _STATS, (compact,)))


# -- one value ------------------------------------------------------------------

def _get(state: ShellState, key: str) -> None:
    _check_table(state)
    rows = _query(state, _GET, (key,))[1]
    if not rows:
        raise CommandError(f"no key {json.dumps(key)} in the kine table")
    revision, created, deleted, create_revision, lease, value = rows[0]
    if deleted:
        raise CommandError(f"key {json.dumps(key)} was deleted at revision {revision}")
    value = _as_bytes(value)
    fields = {"key": key, "revision": revision,
              "create_revision": revision if created else create_revision,
              "lease": lease, "bytes": len(value)}
    fields.update(describe_value(value))
    mode = state.settings.mode.split()[0]
    if mode in ("json", "jsonl"):
        state.print(_as_json(fields, indent=2 if mode == "json" else None))
    else:
        _print_fields(state, fields)


def _as_bytes(value) -> bytes:
    """The value column as bytes: kine writes BLOBs, but SQLite lets a hand-made
    row hold TEXT or a number there."""
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    from dqlite_shell.shell.output.values import to_text
    return to_text(value).encode("utf-8")


def describe_value(value: bytes) -> dict:
    """What a kine value holds: ``encoding`` (json, protobuf, encrypted, text
    or binary) and the fields that go with it: ``value`` (decoded for json
    and text, bytes for binary), ``apiVersion``, ``kind`` and ``object_bytes``
    (the size of the object inside) for protobuf, ``provider`` when
    encrypted."""
    if value.startswith(K8S_PROTOBUF_MAGIC):
        try:
            unknown = parse_unknown(value[len(K8S_PROTOBUF_MAGIC):])
        except ValueError:
            return {"encoding": "binary", "value": value}
        raw = unknown.pop("raw", b"")
        return {"encoding": "protobuf", **unknown, "object_bytes": len(raw)}
    if value.startswith(K8S_ENCRYPTED):
        provider = value[len(K8S_ENCRYPTED):].split(b":")[:3]
        return {"encoding": "encrypted",
                "provider": b":".join(provider).decode("utf-8", "replace")}
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return {"encoding": "binary", "value": value}
    if text.lstrip()[:1] in ("{", "["):
        try:
            return {"encoding": "json", "value": json.loads(text)}
        except ValueError:
            pass
    return {"encoding": "text", "value": text}


def _print_fields(state: ShellState, fields: dict) -> None:
    from dqlite_shell.shell.output.base import is_terminal
    from dqlite_shell.shell.output.blobs import blob_formatter
    from dqlite_shell.shell.output.values import terminal_text
    shown = terminal_text if is_terminal(state.out) else str
    body = None
    lines = []
    for name, value in fields.items():
        if name == "value":
            if fields["encoding"] == "json":
                body = json.dumps(value, indent=2, ensure_ascii=False)
            elif isinstance(value, bytes):
                body = blob_formatter(state.settings.blob)(value)
            else:
                body = value
        else:
            lines.append(f"{name}: {'' if value is None else value}")
    text = "\n".join(lines) + ("\n\n" + body if body else "")
    state.print(shown(text))


def _as_json(fields: dict, indent: int | None) -> str:
    from dqlite_shell.shell.output.blobs import base64_text
    shown = {name: base64_text(value) if isinstance(value, bytes) else value
             for name, value in fields.items()}
    return json.dumps(shown, indent=indent, ensure_ascii=False)


# -- the protobuf envelope, read by hand ----------------------------------------
#
# k8s.io/apimachinery/pkg/runtime/generated.proto (proto2):
#   message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2;
#                     optional string contentEncoding = 3; optional string contentType = 4; }
#   message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }

def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    raise ValueError("truncated or overlong varint")


def protobuf_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """``(field number, wire type, value)`` of each field of a protobuf
    message: an int for varint and fixed fields, bytes for length-delimited
    ones. Raises ValueError for malformed data (and for groups, which the
    Kubernetes messages never use)."""
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ValueError("field number 0")
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > len(data):
                raise ValueError("truncated fixed-size field")
            value, pos = int.from_bytes(data[pos:pos + size], "little"), pos + size
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated length-delimited field")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def parse_unknown(data: bytes) -> dict:
    """apiVersion, kind, contentType, contentEncoding (those present) and
    ``raw`` of a serialized runtime.Unknown; ValueError when it is not one."""
    found: dict = {}
    names = {3: "contentEncoding", 4: "contentType"}
    for number, _, value in protobuf_fields(data):
        if not isinstance(value, bytes):        # length-delimited (wire type 2) only
            continue
        if number == 1:
            for inner, _, text in protobuf_fields(value):
                if inner in (1, 2) and isinstance(text, bytes):
                    found["apiVersion" if inner == 1 else "kind"] = text.decode("utf-8")
        elif number == 2:
            found["raw"] = value
        elif number in names and value:
            found[names[number]] = value.decode("utf-8")
    if "kind" not in found:
        raise ValueError("no TypeMeta kind")
    return {"apiVersion": found.pop("apiVersion", ""), "kind": found.pop("kind"), **found}
