"""The REPL's history: a private file under ``$XDG_STATE_HOME/dqlite``.

One entry per input accepted at the prompt: a multi-line statement is one
entry. The file is prompt_toolkit's FileHistory format (a ``# TIMESTAMP``
line, then the entry's lines each after a ``+``), so older files still
read; an entry that failed has `` failed`` after its timestamp. An entry
is written once it has run, when its outcome is known (:meth:`settle`).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass

from prompt_toolkit.history import History

#: What follows the timestamp of an entry that failed.
FAILED_MARK = " failed"
#: The entries the file keeps: the oldest go when the REPL starts with a tenth
#: more than this (not at every start: the file is rewritten then).
KEPT_ENTRIES = 10_000


@dataclass
class Entry:
    """One history entry: what was typed, and whether running it failed."""
    text: str
    failed: bool = False


def history_path() -> str:
    """``$XDG_STATE_HOME/dqlite/history`` (default ``~/.local/state/dqlite/history``)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".local", "state")
    return os.path.join(base, "dqlite", "history")


class StatementHistory(History):
    """The entries of the history file (``path``), or of this session only
    (``path`` None), each with its outcome.

    prompt_toolkit appends an entry when the input is accepted, before it
    runs; it is written to the file by :meth:`settle`, after it ran, with
    its outcome, in one write (two shells appending at once do not mix)."""

    def __init__(self, path: str | None = None):
        super().__init__()
        self.path = path
        self._entries: list[Entry] = []  # oldest first
        self._pending: Entry | None = None  # accepted, not yet settled

    def load_history_strings(self) -> Iterable[str]:
        # Entries accepted before the file was read (none in practice) stay last.
        self._entries = (read_entries(self.path) if self.path else []) + self._entries
        return [entry.text for entry in reversed(self._entries)]

    def store_string(self, string: str) -> None:
        self.settle(False)  # an entry never settled (none in practice) is kept as it is
        self._pending = Entry(string)
        self._entries.append(self._pending)

    def settle(self, failed: bool) -> str | None:
        """The entry accepted last has run: mark whether it ``failed`` and
        write it. Returns why the file cannot be written (one line; the
        history then stays in memory), or None."""
        entry, self._pending = self._pending, None
        if entry is None:
            return None  # prompt_toolkit keeps no repeat of the entry before
        entry.failed = failed
        if self.path is None:
            return None
        mark = FAILED_MARK if failed else ""
        text = f"\n# {datetime.datetime.now()}{mark}\n" + "".join(
            f"+{line}\n" for line in entry.text.split("\n"))
        try:
            with open(self.path, "ab") as f:
                f.write(text.encode("utf-8", errors="replace"))
        except OSError as e:
            path, self.path = self.path, None
            return f"cannot write the history file {path}: {e.strerror or e}"
        return None

    def entries(self) -> list[Entry]:
        """Every entry, oldest first (the file's, then this session's)."""
        if not self._loaded:
            self._loaded_strings = list(self.load_history_strings())
            self._loaded = True
        return list(self._entries)


def read_entries(path: str) -> list[Entry]:
    """The entries of history file ``path``, oldest first ([] when there is none)."""
    entries: list[Entry] = []
    lines: list[str] = []
    failed = False

    def add() -> None:
        if lines:
            entries.append(Entry("".join(lines)[:-1], failed))

    try:
        with open(path, "rb") as f:
            for raw in f:
                line = raw.decode("utf-8", errors="replace")
                if line.startswith("+"):
                    lines.append(line[1:])
                    continue
                add()
                lines = []
                # The timestamp line before an entry says whether it failed.
                failed = line.startswith("#") and line.rstrip("\n").endswith(FAILED_MARK)
        add()
    except OSError:
        return []
    return entries


def make_history(enabled: bool) -> StatementHistory:
    """The history file (made private, 0600), or one in memory when ``enabled``
    is false (--no-history) or the file cannot be written."""
    if not enabled:
        return StatementHistory()
    path = history_path()
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
    except OSError:
        return StatementHistory()  # an unwritable home must not stop the shell
    trim(path, KEPT_ENTRIES)
    return StatementHistory(path)


def trim(path: str, kept: int) -> None:
    """Keep the last ``kept`` entries of history file ``path`` when it holds
    a tenth more, each as written (its timestamp line, its lines); replaced
    in one step. A shell appending at that moment may lose that entry; one
    that cannot rewrite the file goes on with it as it is."""
    from dqlite_shell.atomic_write import write_atomically
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return
    if data.count(b"\n#") + data.startswith(b"#") <= kept + kept // 10:
        return  # the common case, counted without splitting the file
    lines = data.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith(b"#")]
    try:
        write_atomically(path, b"".join(lines[starts[-kept]:]), durable=False)
    except OSError:
        pass
