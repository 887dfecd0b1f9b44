"""The REPL's key bindings: Enter runs a complete statement or dot-command and
otherwise starts a new line; Alt-Enter runs whatever is there."""

from __future__ import annotations

import sqlite3

from prompt_toolkit.key_binding import KeyBindings

from dqlite_shell.shell.screen import vertical_statement


def is_complete(text: str) -> bool:
    """Enter runs the input when it is a dot-command, complete SQL, or SQL
    ending with ``\\G`` (shown expanded once: :mod:`.screen`)."""
    stripped = text.strip()
    # A NUL cannot reach SQLite's check: Enter then runs the input, which is
    # refused with one line.
    return (not stripped or stripped.startswith(".") and "\n" not in stripped
            or "\x00" in text or sqlite3.complete_statement(text)
            or stripped.endswith("\\G") and vertical_statement(text) is not None)


def key_bindings() -> KeyBindings:
    keys = KeyBindings()

    # c-j too: keys typed ahead while a statement runs reach the terminal in
    # cooked mode, where Enter arrives as a newline (c-j), not c-m.
    @keys.add("enter")
    @keys.add("c-j")
    def _(event):
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion:
            buffer.apply_completion(buffer.complete_state.current_completion)
            return
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @keys.add("escape", "enter")
    def _(event):  # Alt-Enter: run whatever is there
        event.current_buffer.validate_and_handle()

    return keys
