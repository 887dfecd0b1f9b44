"""The audit log (``--audit-log FILE``, the ``audit_log`` key): one JSON line
per statement and dot-command, appended as it ends.

Each line holds ``time`` (ISO 8601, UTC), ``user`` (and ``sudo_user`` when
run through sudo), ``servers``, ``database``, ``kind`` (``sql`` or
``command``), ``text`` (as typed: a multi-line statement stays one line
through JSON's escaping), ``outcome`` (``ok``, ``error``, ``refused`` by
read-only mode, ``declined`` at the REPL's question, ``interrupted``) and
``error`` (one line) when it failed.

Only the text is logged. The shell binds no parameters today; values bound
apart from the text (a future ``.param``) go to :meth:`AuditLog.record` as
``params`` and are logged by name only, their values ``"<redacted>"``.

The file is created with mode 0600 (``os.open``: never readable by others,
even for a moment) and opened for appending, so that several shells can
share it (each line is one ``write``); an existing file that its group or
others may read is refused: what was typed (a password in an INSERT) must
not leak through it.
"""

from __future__ import annotations

import datetime
import json
import os
import stat
from typing import TYPE_CHECKING

from dqlite_shell.shell.errors import Failure

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

OK, ERROR, REFUSED, DECLINED, INTERRUPTED = "ok", "error", "refused", "declined", "interrupted"
REDACTED = "<redacted>"


def _user() -> tuple[str, str | None]:
    """Who runs the shell, and who ran sudo (SUDO_USER) when it did."""
    import getpass
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = str(os.getuid())
    return user, os.environ.get("SUDO_USER") or None


class AuditLog:
    """An open audit log file; :meth:`record` appends one event."""

    def __init__(self, path: str):
        self.path = path
        # O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging.
        flags = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK
                 | getattr(os, "O_CLOEXEC", 0))
        try:
            self._fd = os.open(path, flags, 0o600)
        except OSError as e:
            raise Failure(f"--audit-log {path}: {e.strerror}") from None
        mode = os.fstat(self._fd).st_mode
        problem = None
        if not stat.S_ISREG(mode):
            problem = "not a regular file"
        elif mode & 0o077:
            problem = (f"group or others may read or write it (mode {stat.S_IMODE(mode):04o}); "
                       f"chmod 600 {path}")
        if problem:
            os.close(self._fd)
            raise Failure(f"--audit-log {path}: {problem}")
        self.user, self.sudo_user = _user()
        self.failed = False

    def record(self, state: ShellState, kind: str, text: str, outcome: str,
               error: str | None = None, params: dict | None = None) -> None:
        """Append one event. A log that cannot be written is said once on stderr."""
        event: dict[str, object] = {"time": datetime.datetime.now(datetime.UTC)
                 .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "user": self.user}
        if self.sudo_user:
            event["sudo_user"] = self.sudo_user
        event.update(servers=list(state.servers), database=state.database, kind=kind,
                     text=text, outcome=outcome)
        if error is not None:
            event["error"] = error
        if params:
            event["params"] = {str(name): REDACTED for name in params}
        line = json.dumps(event, ensure_ascii=False) + "\n"
        try:
            os.write(self._fd, line.encode("utf-8", "replace"))
        except OSError as e:
            if not self.failed:
                self.failed = True
                state.warn(f"dqlite: warning: cannot write the audit log {self.path}: "
                           f"{e.strerror}")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
