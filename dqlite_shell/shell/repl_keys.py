"""The REPL's key bindings: Enter runs a complete statement or dot-command and
otherwise starts a new line; Alt-Enter runs whatever is there; Up and Down
walk the history a statement at a time; vi or Emacs editing (``.keys``)."""

from __future__ import annotations

import sqlite3
import sys

from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import is_searching
from prompt_toolkit.key_binding import KeyBindings

from dqlite_shell.shell.screen import vertical_statement

#: ``.keys`` (and the ``keys`` key) -> prompt_toolkit's editing mode.
EDITING_MODES = {"emacs": EditingMode.EMACS, "vi": EditingMode.VI}


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

    _add_statement_walk(keys)
    _add_editor(keys)
    return keys


def _add_statement_walk(keys: KeyBindings) -> None:
    """Up and Down: on a statement recalled from the history, as it came
    back, they go to the statement before or after (not into its lines); in
    a statement being typed, or a recalled one once edited, they move between
    its lines and leave it from its first or last line, as prompt_toolkit's
    do. (Emacs' Ctrl-P and Ctrl-N still move between a recalled one's lines.)"""

    def walk(event, backward: bool) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is None and buffer.selection_state is None \
                and _recalled(buffer):
            step = buffer.history_backward if backward else buffer.history_forward
        else:
            step = buffer.auto_up if backward else buffer.auto_down
        step(count=event.arg)

    @keys.add("up", filter=~is_searching)
    def _(event):
        walk(event, True)

    @keys.add("down", filter=~is_searching)
    def _(event):
        walk(event, False)


def _recalled(buffer) -> bool:
    """The buffer shows a history entry as it is stored: the buffer's
    working lines are the history's entries, oldest first, then the input."""
    entries = buffer.history.get_strings()
    index = buffer.working_index
    return index < len(entries) and entries[index] == buffer.text


def _add_editor(keys: KeyBindings) -> None:
    """Ctrl-X Ctrl-E: the input in $VISUAL/$EDITOR (:mod:`.editor`); what the
    editor leaves runs when it exits with 0, as Enter would run it. Otherwise
    the input stays as it was, and one line says why."""

    @keys.add("c-x", "c-e")
    def _(event):
        from prompt_toolkit.application import run_in_terminal
        from prompt_toolkit.document import Document

        from dqlite_shell.shell import editor
        buffer = event.current_buffer

        def edit() -> str | None:  # in the terminal, the prompt put aside
            try:
                return editor.edit_text(buffer.text)
            except editor.EditorError as e:
                print(f"{e}: the input is unchanged", file=sys.stderr, flush=True)
                return None

        async def edit_then_run() -> None:
            text = await run_in_terminal(edit, in_executor=True)
            if text is not None:
                buffer.document = Document(text, len(text))
                buffer.validate_and_handle()

        event.app.create_background_task(edit_then_run())
