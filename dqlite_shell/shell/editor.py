"""The user's text editor, for ``.edit`` and the REPL's Ctrl-X Ctrl-E.

The editor is ``$VISUAL``, else ``$EDITOR`` (either may hold arguments, as a
shell would split them), else the first of ``editor`` (Debian's alternative),
``vi`` and ``nano`` found on ``PATH``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Tried in turn when neither $VISUAL nor $EDITOR is set.
FALLBACKS = ("editor", "vi", "nano")


class EditorError(Exception):
    """The editor could not be run, or it exited with a non-zero status; one line."""


def command() -> list[str]:
    """The editor's command line (without the file); EditorError when there is none."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as e:
                raise EditorError(f"cannot read ${variable} ({value!r}): {e}") from None
            if words:
                return words
    for name in FALLBACKS:
        found = shutil.which(name)
        if found:
            return [found]
    raise EditorError(f"no editor: set $VISUAL or $EDITOR (none of {', '.join(FALLBACKS)} "
                      "is installed)")


def edit_file(path: str) -> None:
    """Open ``path`` in the editor and wait for it. EditorError when the
    editor cannot be started or exits with a non-zero status."""
    argv = command()
    try:
        editor = subprocess.Popen([*argv, path])
    except OSError as e:
        raise EditorError(f"cannot run the editor {argv[0]}: {e.strerror or e}") from None
    with _sigint_ignored():
        status = editor.wait()
    if status != 0:
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        raise EditorError(f"the editor {os.path.basename(argv[0])} {how}")


def edit_text(text: str) -> str:
    """``text`` as the user left it in the editor (in a private temporary
    ``.sql`` file, removed afterwards; one trailing newline dropped). Bytes
    that are not UTF-8 come back as surrogates (``checked_lines`` names their
    line). EditorError: the editor could not run, or exited non-zero."""
    fd, path = tempfile.mkstemp(prefix="dqlite-edit-", suffix=".sql")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text if not text or text.endswith("\n") else text + "\n")
        edit_file(path)
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            edited = f.read()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return edited[:-1] if edited.endswith("\n") else edited


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """While the editor runs, Ctrl-C is the editor's (as git does): an editor
    that leaves the terminal in cooked mode must not lose its text because the
    shell stopped waiting. Only the main thread can set signal handlers; the
    REPL's binding runs the editor in a worker thread, and prompt_toolkit
    handles SIGINT there."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
