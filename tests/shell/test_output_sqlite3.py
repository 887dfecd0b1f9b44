"""CSV (and list) output checked byte for byte against Debian's ``sqlite3``
CLI (3.40), the oracle: first the renderers on values read from an SQLite
file, then the ``dqlite`` command on a real node against ``sqlite3`` running
the same SQL."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.shell.output import make_renderer
from tests.support.sqlite3_cli import needs_sqlite3, sqlite3_cli

pytestmark = needs_sqlite3

SETTINGS = settings(max_examples=40, deadline=None)


def ours(fmt, columns, rows, *, headers, nullvalue) -> bytes:
    out = io.StringIO()
    renderer = make_renderer(fmt, out, columns, headers=headers, nullvalue=nullvalue)
    renderer.rows(rows)
    renderer.close()
    return out.getvalue().encode()


# Text without NUL (sqlite3 stops a value at NUL) or lone surrogates (not UTF-8).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=8)
tricky = st.sampled_from(["", " ", "a b", ' lead', 'trail ', '"', "'", ",", "\n", "\r", "\r\n",
                          "\t", "\x1b[31m", "é", "\x7f", "|", "-1", "1e5", "NULL"])
value = st.one_of(st.none(), text, tricky, st.integers(-2 ** 63, 2 ** 63 - 1),
                  st.floats(allow_nan=False))
name = st.one_of(text.filter(bool), tricky.filter(bool))


@SETTINGS
@given(st.lists(st.tuples(value, value), min_size=1, max_size=8),
       st.tuples(name, name).filter(lambda names: names[0].lower() != names[1].lower()),
       st.booleans(), st.sampled_from(["", "NULL", "a,b", '"']), st.sampled_from(["csv", "list"]))
def test_like_sqlite3(tmp_path_factory, rows, columns, headers, nullvalue, fmt):
    path = str(tmp_path_factory.mktemp("oracle") / "t.db")
    with sqlite3.connect(path) as db:
        quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        db.execute(f"CREATE TABLE t ({quoted})")
        db.executemany("INSERT INTO t VALUES (?, ?)", rows)
        read = db.execute("SELECT * FROM t ORDER BY rowid").fetchall()
    db.close()
    expected = sqlite3_cli(f"-{fmt}", "-header" if headers else "-noheader",
                           "-nullvalue", nullvalue, path, "SELECT * FROM t ORDER BY rowid")
    assert ours(fmt, columns, read, headers=headers, nullvalue=nullvalue) == expected


# -- the dqlite command on a real node ---------------------------------------------

def dqlite_bytes(*args: str, stdin: str = "") -> tuple[int, bytes, bytes]:
    """``dqlite ARGS`` -> (exit status, stdout, stderr) as bytes: line ends
    are what is checked (conftest's runner reads text, which turns CRLF into
    LF)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = os.path.join(os.path.dirname(__file__), "no-such-config")
    done = subprocess.run([sys.executable, "-m", "dqlite_shell", *args], input=stdin.encode(),
                          capture_output=True, timeout=60, env=env)
    return done.returncode, done.stdout, done.stderr

TABLE = ("CREATE TABLE t (a, \"b c\", \"d\"\"e\");"
         "INSERT INTO t VALUES (NULL, '', 'x'), ('a\"b', 'x,y', 'it''s'),"
         " (char(10), char(13), char(13, 10)), (' sp ', 'a b', 'é'),"
         " (1, 2.5, -0.0), (1e100, -9223372036854775808, 0.1),"
         " (char(9) || 't', char(27) || '[31m', char(127)), ('|', '-1', 'NULL');")
SELECT = "SELECT * FROM t ORDER BY rowid;"


@pytest.mark.parametrize("headers", [False, True])
def test_dqlite_csv_is_sqlite3_csv(node, headers):
    flag = ["--headers"] if headers else []
    status, out, err = dqlite_bytes("-s", node.address, "-f", "csv", *flag, "-c", TABLE + SELECT)
    assert (status, err) == (0, b""), (out, err)
    expected = sqlite3_cli("-csv", "-header" if headers else "-noheader", ":memory:",
                           TABLE + SELECT)
    assert out == expected
    assert b',"",' in out and b"\r\n" not in out.replace(b'"\r\n"', b"")


def test_dqlite_csv_nullvalue_and_crlf_are_sqlite3s(node):
    # sqlite3's own `.mode csv` ends lines with CRLF (its -csv option with LF):
    # ours does with `csv --crlf`.
    script = ".nullvalue NUL\n.headers on\n" + TABLE + "\n" + SELECT + "\n"
    status, out, err = dqlite_bytes("-s", node.address, "-f", "csv --crlf", stdin=script)
    assert (status, err) == (0, b""), (out, err)
    expected = sqlite3_cli(":memory:", stdin=".mode csv\n" + script)
    assert expected.count(b"\r\n") >= 9
    assert out == expected
    assert out.startswith(b'a,"b c","d""e"\r\nNUL,"",x\r\n')


def test_dqlite_csv_blob_is_its_quoted_literal(dqlite, node):
    # sqlite3 writes a BLOB's raw bytes, cut at its first NUL; ours writes
    # the X'..' literal (documented), quoted as any text holding a quote.
    run = dqlite("-s", node.address, "-f", "csv", "-c",
                 "SELECT x'00ff41', x'', NULL, ''")
    assert (run.status, run.err, run.out) == (0, "", '"X\'00FF41\'","X\'\'",,""\n'), run
