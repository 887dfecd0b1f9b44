""".blob auto|hex|text|base64: how the formats meant for people show BLOBs, and
the machine formats that keep their one exact encoding whatever it says."""

from __future__ import annotations

import base64
import io
import json

import pytest

from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.registry import UsageError
from dqlite_shell.shell.output import BLOB_MODES, make_renderer, resolve_blob
from dqlite_shell.shell.output.blobs import auto_text, blob_formatter
from dqlite_shell.shell.state import ShellState
from tests.shell.conftest import run_command

JSON = b'{"kind":"Pod"}'
PROTO = b"k8s\x00\n\x0b\n\x02v1\x12\x03Pod"


def render(fmt, rows, blob, *, terminal=False, columns=("v",)):
    out = io.StringIO()
    renderer = make_renderer(fmt, out, list(columns), headers=False, nullvalue="NULL",
                             terminal=terminal, blob=blob)
    renderer.rows(rows)
    renderer.close()
    return out.getvalue()


def test_modes_and_names():
    assert BLOB_MODES == ("auto", "hex", "text", "base64")
    assert resolve_blob(" AUTO ") == "auto"
    with pytest.raises(ValueError, match="choose one of auto, hex, text, base64"):
        resolve_blob("utf8")


@pytest.mark.parametrize("value, shown", [
    (JSON, "b'{\"kind\":\"Pod\"}'"),
    (b"", "b''"),
    (b" padded ", "b' padded '"),
    (b"two\nlines\tand tab\r\n", "b'two\nlines\tand tab\r\n'"),
    ("ünï ✓".encode(), "b'ünï ✓'"),
    (b"it's", "b'it's'"),
    (PROTO, "X'" + PROTO.hex().upper() + "'"),   # NUL: not printable
    (b"\xff\xfe", "X'FFFE'"),                     # not UTF-8
    (b"\x1b[31mred", "X'1B5B33316D726564'"),      # an escape sequence: hex
    ("a\u202eb".encode(), "X'" + "a\u202eb".encode().hex().upper() + "'"),  # bidi override
    ("a\u200bb".encode(), "X'" + "a\u200bb".encode().hex().upper() + "'"),  # zero width
    (b"\x7f", "X'7F'"),
])
def test_auto(value, shown):
    assert auto_text(value) == shown
    assert auto_text(bytearray(value)) == auto_text(memoryview(value)) == shown


def test_text_is_lossy_and_base64_exact():
    assert blob_formatter("text")(b"ok \xff end") == "ok \ufffd end"
    assert blob_formatter("base64")(PROTO) == base64.b64encode(PROTO).decode()
    assert blob_formatter("hex")(b"\n\x1b") == "X'0A1B'"


@pytest.mark.parametrize("fmt, expected", [
    ("list", "b'{\"kind\":\"Pod\"}'|{\"kind\":\"Pod\"}|NULL|X'FF'\n"),
    ("line", "    a = b'{\"kind\":\"Pod\"}'\n    b = {\"kind\":\"Pod\"}\n    c = NULL\n"
             "    d = X'FF'\n"),
    ("markdown", "| a | b | c | d |\n|---|---|---|---|\n"
                 "| b'{\"kind\":\"Pod\"}' | {\"kind\":\"Pod\"} | NULL | X'FF' |\n"),
    ("table", "+-------------------+----------------+------+-------+\n"
              "| a                 | b              | c    | d     |\n"
              "|-------------------+----------------+------+-------|\n"
              "| b'{\"kind\":\"Pod\"}' | {\"kind\":\"Pod\"} | NULL | X'FF' |\n"
              "+-------------------+----------------+------+-------+\n"),
])
def test_auto_in_the_formats_for_people(fmt, expected):
    # A BLOB of text is marked; the same TEXT value is not.
    row = (JSON, JSON.decode(), None, b"\xff")
    assert render(fmt, [row], "auto", columns="abcd") == expected


@pytest.mark.parametrize("blob", BLOB_MODES)
def test_machine_formats_keep_one_exact_encoding(blob):
    row = (PROTO, JSON, "text", None)
    assert render("csv", [row], blob, columns="abcd") == (
        f"\"X'{PROTO.hex().upper()}'\",\"X'{JSON.hex().upper()}'\",text,NULL\n")
    for fmt in ("json", "jsonl"):
        got = json.loads(render(fmt, [row], blob, columns="abcd").strip().strip("[]"))
        assert got == {"a": base64.b64encode(PROTO).decode(),
                       "b": base64.b64encode(JSON).decode(), "c": "text", "d": None}


def test_control_characters_from_blobs_escaped_on_terminals():
    value = b"red \x1b[31m\x07 end\r"
    for fmt in ("list", "line", "markdown", "table"):
        shown = render(fmt, [(value,)], "text", terminal=True)
        assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown, fmt
        assert "red \\x1B[31m\\x07 end" in shown, (fmt, shown)  # markdown: \r is <br>
    # To a pipe, list keeps every character, as for TEXT.
    assert render("list", [(value,)], "text") == value.decode() + "\n"
    # auto with a line break shows the text; a terminal still sees \r escaped.
    assert render("list", [(b"a\r\nb",)], "auto", terminal=True) == "b'a\\r\nb'\n"


def test_hex_is_the_default():
    out = io.StringIO()
    renderer = make_renderer("list", out, ["v"], headers=False, nullvalue="")
    renderer.rows([(b"\x01",)])
    assert out.getvalue() == "X'01'\n"
    with pytest.raises(ValueError):
        make_renderer("list", out, ["v"], headers=False, nullvalue="", blob="nope")


def test_blob_command_sets_and_shows_the_setting():
    state = ShellState(["127.0.0.1:1"], out=io.StringIO(), err=io.StringIO())
    assert state.settings.blob == "hex"
    assert run_command(state, ".blob") == "hex\n"
    run_command(state, ".blob AUTO")
    assert state.settings.blob == "auto"
    assert run_command(state, ".blob") == "auto\n"
    with pytest.raises(UsageError, match=r"usage: \.blob .*choose one of auto, hex"):
        registry.run(state, ".blob utf8")
    assert state.settings.blob == "auto"  # unchanged
    with pytest.raises(UsageError):
        registry.run(state, ".blob auto hex")
    assert state.connected_to is None  # nothing was sent anywhere


def test_blob_through_the_dqlite_command(dqlite, node):
    select = "SELECT CAST('{\"a\":1}' AS BLOB), '{\"a\":1}', x'00ff'"
    script = f".blob auto\n{select};\n.blob base64\n{select};\n.blob text\n{select};\n" \
             f".mode json\n{select};\n"
    run = dqlite("-s", node.address, stdin=script)
    assert (run.status, run.err) == (0, ""), run
    assert run.out.splitlines() == [
        "b'{\"a\":1}'|{\"a\":1}|X'00FF'",
        "eyJhIjoxfQ==|{\"a\":1}|AP8=",
        "{\"a\":1}|{\"a\":1}|\x00\ufffd",
        '[{"CAST(\'{\\"a\\":1}\' AS BLOB)":"eyJhIjoxfQ==","\'{\\"a\\":1}\'":"{\\"a\\":1}",'
        '"x\'00ff\'":"AP8="}]']


def test_repl_completes_the_blob_settings():
    from dqlite_shell.shell.completion import ShellCompleter
    from tests.shell.test_completion import offers

    class NoSchema:
        tables = columns = addresses = ()

    comp = ShellCompleter(NoSchema(), ["table"])
    assert set(offers(comp, ".blob ")) == {f".blob {mode}" for mode in BLOB_MODES}
    assert set(offers(comp, ".blob a")) == {".blob auto"}
    assert ".blob" in offers(comp, ".bl")
