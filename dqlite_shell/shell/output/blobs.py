"""How the formats meant for people show a BLOB (``.blob``).

=======  ======================================================================
hex      ``X'7B7D'``: the SQL literal, exact (the default)
auto     ``b'{}'`` when the bytes are valid UTF-8 and printable, else ``X'..'``
text     the bytes decoded as UTF-8, invalid sequences as U+FFFD (lossy)
base64   standard base64 (RFC 4648, with padding), exact
=======  ======================================================================

``auto`` marks the text it shows with ``b'...'`` so that a BLOB is never
taken for a TEXT value in a table: the letter and the quotes say "bytes" to
anyone who knows Python, and they pair with the hex form ``X'..'`` (a letter,
then the value between quotes; both show an empty BLOB and leading or
trailing spaces plainly).  A TEXT value that is itself spelled ``b'..'``
looks the same, as one spelled ``X'..'`` always did in ``hex``.

"Printable" is Python's ``str.isprintable()`` after tabs and line breaks
(``\\t``, ``\\n``, ``\\r``) are set aside: no other control character, no
format character (a zero-width space, a bidirectional override) and no
separator but the space.  Such bytes are shown in hex, so ``auto`` never
shows a BLOB whose text could hide something.  The renderers still escape
control characters for a terminal (:func:`~.values.terminal_text`), which
covers ``text``: its output passes through the same path as TEXT values.

The machine formats do not use this: ``csv`` always writes the ``X'..'``
literal and ``json``/``jsonl`` a base64 string, whatever ``.blob`` says (see
:mod:`dqlite_shell.shell.output`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing's Callable[...] costs milliseconds at start-up
    from collections.abc import Callable
    Formatter = Callable[[bytes | bytearray | memoryview], str]

__all__ = ["BLOB_MODES", "DEFAULT", "blob_formatter", "hex_text", "resolve_blob"]

#: The ``.blob`` settings, in the order ``.help`` lists them.
BLOB_MODES: tuple[str, ...] = ("auto", "hex", "text", "base64")

#: The default: exact, and what earlier versions printed.
DEFAULT = "hex"

# Tabs and line breaks are fine in text shown from a BLOB; str.isprintable()
# says False for them, so they are removed before asking it.
_LAYOUT = str.maketrans("", "", "\t\n\r")


def hex_text(value: bytes | bytearray | memoryview) -> str:
    """A BLOB as an SQL literal: ``b"\\n\\x1b"`` -> ``"X'0A1B'"``."""
    return "X'" + bytes(value).hex().upper() + "'"


def _printable(text: str) -> bool:
    return text.isprintable() or text.translate(_LAYOUT).isprintable()


def auto_text(value: bytes | bytearray | memoryview) -> str:
    """``b'TEXT'`` for valid, printable UTF-8 (see the module docstring);
    the hex literal otherwise."""
    data = bytes(value)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return hex_text(data)
    return "b'" + text + "'" if _printable(text) else hex_text(data)


def lossy_text(value: bytes | bytearray | memoryview) -> str:
    """The bytes as UTF-8 text, each invalid sequence as U+FFFD."""
    return bytes(value).decode("utf-8", "replace")


def base64_text(value: bytes | bytearray | memoryview) -> str:
    """The bytes in standard base64 with padding."""
    import binascii  # here: an import at start-up costs time every run
    return binascii.b2a_base64(bytes(value), newline=False).decode("ascii")


_FORMATTERS: dict[str, Formatter] = {"auto": auto_text, "hex": hex_text, "text": lossy_text,
                                     "base64": base64_text}


def resolve_blob(name: str) -> str:
    """The ``.blob`` setting named ``name`` (any case); ``ValueError`` with
    one line listing the choices otherwise."""
    key = str(name).strip().lower()
    if key not in _FORMATTERS:
        raise ValueError(f"unknown BLOB display {name!r}: choose one of {', '.join(BLOB_MODES)}")
    return key


def blob_formatter(name: str) -> Formatter:
    """The function turning a BLOB into text for setting ``name``."""
    return _FORMATTERS[resolve_blob(name)]
