"""Output dot-commands: where results go (``.output``, ``.once``), a line of
text (``.print``) and the settings (``.show``), as sqlite3 3.40 has them.

The destinations themselves (files, pipes to commands) are
:mod:`dqlite_shell.shell.destinations`'s; the state holds the current one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import usage_error
from dqlite_shell.shell.commands.registry import FILE, TEXT, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

#: sqlite3's options of .once and .output that open a program on a
#: temporary file: not here (a shell on a server has neither).
_NOT_SUPPORTED = {"-x": "a spreadsheet", "-e": "a text editor"}


def _target(name: str, args: list[str]) -> tuple[str | None, bool]:
    """``(target, bom)`` from the words of ``.output``/``.once``: options
    (``--bom``) anywhere before the target; a ``|COMMAND`` takes every word
    after it, as in sqlite3 (``.once |sort -r``)."""
    words: list[str] = []
    bom = False
    for word in args:
        if words and words[0].startswith("|"):
            words.append(word)
        elif word.startswith("-") and len(word) > 1:
            option = word[1:] if word.startswith("--") else word
            if option == "-bom":
                bom = True
            elif option in _NOT_SUPPORTED:
                raise CommandError(f"{name} {word} is not supported: the shell opens no "
                                   f"{_NOT_SUPPORTED[option]} (write to a file with "
                                   f"{name} FILE, or to a command with {name} '|COMMAND')")
            else:
                raise usage_error(name, f"unknown option {word}")
        else:
            words.append(word)
    if len(words) > 1 and not words[0].startswith("|") or words and not words[0]:
        raise usage_error(name)  # one FILE (quoted when it holds blanks), not empty
    return (" ".join(words) if words else None), bom


def _redirect(state: ShellState, name: str, args: list[str], once: bool) -> None:
    target, bom = _target(name, args)
    if once and target is None:
        raise usage_error(name)
    try:
        state.set_output(target, once=once, bom=bom)
    except OSError as e:
        state.end_output()  # never leave results going to a closed file
        assert target is not None  # only opening a new destination raises OSError
        what = f"cannot run {target[1:]!r}" if target.startswith("|") else f"cannot write {target}"
        raise CommandError(f"{what}: {e.strerror or e}") from None


@command(".output [--bom] [FILE|'|COMMAND']", "Send results to FILE (truncated) or into COMMAND's "
         "input, or back to stdout without one", args=(0, None), complete=(FILE,))
def output_(state: ShellState, args: list[str]) -> None:
    """|COMMAND runs COMMAND with /bin/sh, its input the results, its output
    the terminal; the words after |COMMAND are part of it (.output |sort -r),
    else quote it (.output '|grep x'). The next .output (or the end of the
    script) closes its input and waits for it: a COMMAND that failed is an
    error, with its exit status. A COMMAND that stops reading (| head)
    stops that result, and results go to stdout again.

    FILE stdout is standard output, stderr standard error. --bom writes a
    UTF-8 byte-order mark first. sqlite3's -x (a spreadsheet) and -e (an
    editor) are not supported."""
    _redirect(state, ".output", args, once=False)


@command(".once [--bom] FILE|'|COMMAND'", "Send the results of the next statement or dot-command "
         "only to FILE, or into COMMAND's input", args=(1, None), complete=(FILE,))
def once(state: ShellState, args: list[str]) -> None:
    """The next statement or dot-command (a .read: all of its script) writes
    to FILE or into COMMAND, then results go back where they went before
    .once: stdout. COMMAND is waited for before the shell goes on; one that
    fails or stops reading is that statement's error, with its exit status.

    As in sqlite3, except that several statements on one line are several
    (sqlite3 sends all of the line's); --bom as for .output; sqlite3's -x
    and -e are not supported."""
    _redirect(state, ".once", args, once=True)


@command(".print [TEXT...]", "Print TEXT (the words joined by spaces) where results go",
         args=(0, None), complete=(TEXT,))
def print_(state: ShellState, args: list[str]) -> None:
    """Quotes group words as for every dot-command ('two  spaces' keeps both);
    backslashes are printed as they are (sqlite3 reads \\t and \\n in words
    that are not in single quotes)."""
    state.print(" ".join(args))


# -- .show ----------------------------------------------------------------------

def c_string(text: str) -> str:
    """``text`` in double quotes as sqlite3's ``.show`` writes it: ``\\``,
    ``"``, tab, newline and carriage return escaped with a backslash, other
    bytes outside printable ASCII (UTF-8 ones too) as ``\\ooo`` octal."""
    escapes = {0x5c: "\\\\", 0x22: '\\"', 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r"}
    out = []
    for byte in text.encode("utf-8", "surrogateescape"):
        if byte in escapes:
            out.append(escapes[byte])
        elif 0x20 <= byte < 0x7f:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def settings_shown(state: ShellState) -> list[tuple[str, str]]:
    """``.show``'s lines as (name, value): sqlite3 3.40's that the shell has,
    in its order, then the shell's own."""
    from dqlite_shell.shell.commands.screen import effective
    s = state.settings
    on_off = {True: "on", False: "off"}
    shown = [
        ("headers", on_off[s.headers]),
        ("mode", s.mode),
        ("nullvalue", c_string(s.nullvalue)),
        ("output", state.output_name),
        ("colseparator", c_string(s.separator)),
        ("rowseparator", c_string(s.row_separator)),
        # sqlite3 writes each width followed by a blank
        ("width", "".join(f"{w} " for w in s.widths)),
        ("blob", s.blob),
        ("timer", on_off[s.timer]),
        ("changes", on_off[s.changes]),
        ("bail", on_off[s.bail]),
        ("pager", "auto" if s.pager == "auto" else on_off[bool(s.pager)]),
        ("expanded", effective(state, "expanded")),  # the REPL's (commands/screen.py)
        ("maxrows", effective(state, "maxrows")),
        ("keys", s.keys),
        ("timeout", str(round(state.busy_timeout * 1000))),
        ("database", state.database),
    ]
    if state.connected_to is not None:
        shown.append(("leader", state.connected_to))
    shown.append(("servers", ",".join(state.servers)))
    return shown


@command(".show", "Print the settings")
def show(state: ShellState, args: list[str]) -> None:
    """Laid out as sqlite3 3.40's .show (names right-aligned; NULL's text and
    the separators in double quotes, with C escapes), with what this shell
    has: headers, mode, nullvalue, output, colseparator, rowseparator and
    width as sqlite3's; then blob, timer, changes, bail, pager, expanded, maxrows,
    keys, timeout (.timeout's milliseconds), database, leader (once connected)
    and servers."""
    for name, value in settings_shown(state):
        state.print(f"{name:>12.12}: {value}")
