"""The shell's session state: one object handed to every dot-command.

It holds the connection to the cluster (a client :class:`Session`), the
output settings and the output stream, so that commands keep no state of
their own in module globals.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from dqlite_shell.client.session import Session
from dqlite_shell.shell.destinations import STDOUT, Destination, open_destination

if TYPE_CHECKING:
    import ssl as _ssl

    from prompt_toolkit import PromptSession

    from dqlite_shell.offline.session import Offline
    from dqlite_shell.shell.audit import AuditLog
    from dqlite_shell.shell.last_result import LastResult
    from dqlite_shell.shell.startup import _Scratch

DEFAULT_DATABASE = "db"

#: How long a statement refused as busy ("database is locked": another
#: connection writes) is tried again, by default (``.timeout`` changes it).
BUSY_TIMEOUT = 5.0

#: How long the shell waits for one answer: practically as long as it takes.
STATEMENT_TIMEOUT = 24 * 3600.0

#: ShellState._once_depth while the ``.once`` command itself runs.
_ONCE_ARMED = -1


class Settings:
    """What ``.mode``, ``.headers``, ``.nullvalue``, ``.timer``, ``.changes``,
    ``.bail``, ``.pager``, ``.blob``, ``.keys`` and ``.prompt`` change.

    ``blob`` is how the formats meant for people show a BLOB: ``hex``
    (``X'..'``, the default), ``auto``, ``text`` or ``base64``
    (:mod:`dqlite_shell.shell.output.blobs`).

    ``separator`` and ``row_separator`` are ``.separator``'s (sqlite3's
    colseparator and rowseparator, used by ``list``); ``widths`` is
    ``.width``'s, one entry per column (0: automatic; negative: right-aligned),
    for the column, table and box formats.

    What fits the screen (:mod:`dqlite_shell.shell.screen`): ``expanded``
    (``.expanded``: ``auto``, ``on``, ``off``), ``maxrows`` (``.maxrows``:
    a number, 0 for all, or ``auto``) and ``max_cell_width`` (the
    ``max_cell_width`` key: 0 never cuts); None is the default: ``auto``,
    ``auto`` and 60 in the REPL on its terminal, off elsewhere. ``pager`` is
    True, False or ``"auto"``.
    """

    def __init__(self, mode: str = "list", headers: bool = False, nullvalue: str = "",
                 timer: bool = False, changes: bool = False, bail: bool = True,
                 pager: bool | str = False, blob: str = "hex"):
        self.mode, self.headers, self.nullvalue = mode, headers, nullvalue
        self.timer, self.changes, self.bail = timer, changes, bail
        self.pager = pager
        self.blob = blob
        self.separator = "|"
        self.row_separator = "\n"
        self.widths: list[int] = []
        self.expanded: str | None = None
        self.maxrows: int | str | None = None
        self.max_cell_width: int | None = None
        self.keys = "emacs"  # the REPL's editing keys (.keys): emacs or vi
        self.prompt: str | None = None  # the REPL's prompt format (.prompt); None: the default
        # .headers or --headers/--no-headers was given: .mode column then
        # leaves headers as they are (sqlite3's SHFLG_HeaderSet).
        self.headers_set = False

    def __repr__(self) -> str:
        return f"Settings({vars(self)})"


class ShellState:
    """Everything a running shell knows; passed to each command as ``state``."""

    def __init__(self, servers: list[str], database: str = DEFAULT_DATABASE, *,
                 timeout: float = 10.0, ssl_context: _ssl.SSLContext | None = None,
                 settings: Settings | None = None, out: TextIO | None = None,
                 err: TextIO | None = None, interactive: bool = False):
        self.servers = list(servers)
        self.database = database
        self.timeout = timeout
        self._busy_timeout = BUSY_TIMEOUT
        self.ssl_context = ssl_context
        self.settings = settings or Settings()
        self.stdout = out or sys.stdout
        self.out: TextIO = self.stdout  # where results go (.output changes it)
        self._destination: Destination | None = None  # None: stdout
        # .once: the .read depth of the item its output is for (_ONCE_ARMED
        # while the .once command itself runs); None: no .once.
        self._once_depth: int | None = None
        self.err = err or sys.stderr
        self.interactive = interactive
        self.color = True  # the REPL's highlighting (--no-color, NO_COLOR turn it off)
        self.history = True  # the REPL's history file (--no-history)
        self.scratch: _Scratch | None = None  # the scratch cluster the shell started, if any
        # The rails (shell/rails.py): refuse writes, and what set that mode;
        # ask before destructive statements (the REPL without --yes).
        self.read_only = False
        self.read_only_source = "--read-only"
        self.confirm = False
        self.profile_name: str | None = None  # names the cluster in the prompt
        # A stopped node's data dir the shell reads (dqlite --offline), or None
        # for a live cluster: commands that have both meanings look here.
        self.offline: Offline | None = None
        self.audit: AuditLog | None = None  # --audit-log
        self._session: Session | None = None
        self.quit_requested = False
        self.errors = 0  # statements and commands that failed (for the exit code)
        self.last_sql: str | None = None  # the last SQL statement run (.edit, .watch)
        # The REPL's spool of the last result (.last).
        self.last_result: LastResult | None = None
        self.repl: PromptSession[str] | None = None  # the REPL's (repl.run); None in scripts
        self.last_failed = False  # the REPL's last statement failed (the prompt's !)
        self.lost = False  # a statement lost the connection to the leader (connection_lost)
        # The script comes from stdin (so `.import -` must not read it).
        self.stdin_is_script = False

    @property
    def session(self) -> Session:
        """The client session (connects to the leader on first use); offline,
        the database rebuilt from the data dir (or CommandError saying why none)."""
        if self.offline is not None:
            # Duck-typed: offline/session.py's stand-in answers what the shell asks of a Session.
            return self.offline.session()  # type: ignore[return-value]  # a stand-in
        if self._session is None:
            # --timeout bounds finding the leader; a statement may run as long
            # as it takes, as in sqlite3 and psql (Ctrl-C stops it).
            self._session = Session(self.servers, self.database, timeout=self.timeout,
                                    request_timeout=STATEMENT_TIMEOUT,
                                    ssl_context=self.ssl_context,
                                    busy_timeout=self.busy_timeout)
        return self._session

    @property
    def busy_timeout(self) -> float:
        """Seconds a statement refused as busy is tried again (``.timeout``)."""
        return self._busy_timeout

    @busy_timeout.setter
    def busy_timeout(self, seconds: float) -> None:
        self._busy_timeout = seconds
        if self._session is not None:
            self._session.busy_timeout = seconds

    @property
    def connected_to(self) -> str | None:
        """The leader's address, when connected."""
        return None if self._session is None else self._session.leader_address

    @property
    def connection_lost(self) -> bool:
        """The connection to the leader is gone: the other end closed it, or
        the last statement lost it (``lost``, set by the REPL) and none was
        made since. The next statement connects again. Asks no server: the
        prompt checks it at every key press. (No connection because none was
        needed yet, after ``.open`` or Ctrl-C, is not a lost one.)"""
        session = self._session
        if session is None:
            return False
        if session.leader_address is None:
            return self.lost
        return not session.connected

    @property
    def in_transaction(self) -> bool:
        """A transaction is open on the session (connects nothing)."""
        return self._session is not None and self._session.transaction.active

    def open(self, database: str) -> None:
        """Switch to another database (``.open``); a name that crashes
        libdqlite nodes raises ClientError and changes nothing."""
        from dqlite_shell import refusals
        from dqlite_shell.client.errors import ClientError
        refused = refusals.refused_database(database)
        if refused:
            raise ClientError(refused)
        if self._session is not None:
            self._session.use(database)
        self.database = database

    def set_output(self, target: str | None, *, once: bool = False, bom: bool = False) -> None:
        """Send results to ``target``: a file (truncated), ``|COMMAND`` (its
        standard input), ``stdout``/``stderr``, or back to stdout with None;
        ``once``: for the next statement or dot-command only (``.once``:
        :meth:`item_done` comes back). ``bom``: a UTF-8 byte-order mark first.

        The previous destination is closed first (a pipe's command waited
        for); when that fails (its command failed, its file's close failed),
        CommandError says so once the new one is open. OSError: the new file
        cannot be written."""
        from dqlite_shell.shell.errors import CommandError
        problem = self.end_output()
        if target is not None:
            self._destination = open_destination(target, self.stdout, self.err, bom)
            self.out = self._destination.stream
            self._once_depth = _ONCE_ARMED if once else None
        if problem:
            raise CommandError(problem)

    def end_output(self) -> str | None:
        """Results back to stdout: close the destination, waiting for a
        pipe's command. Returns what went wrong with it (one line), or None."""
        self.out = self.stdout  # also when opening the next one fails
        self._once_depth = None
        if self._destination is None:
            return None
        # Forgotten first: a close that fails (a full disk) still leaves it.
        destination, self._destination = self._destination, None
        try:
            return destination.close()
        except OSError as e:
            return f"cannot write {destination.name}: {e.strerror or e}"

    @property
    def output_name(self) -> str:
        """Where results go, as ``.show`` says it: ``stdout``, a file, ``|COMMAND``."""
        return STDOUT if self._destination is None else self._destination.name

    def item_done(self, depth: int) -> str | None:
        """After each statement or dot-command, run at ``.read`` nesting
        ``depth``: end a ``.once`` destination after the item that follows
        the ``.once`` (with the items of a ``.read`` it runs), and a pipe
        whose command stopped reading. Returns what went wrong with the
        destination (one line), or None."""
        destination, once = self._destination, self._once_depth
        if destination is None:
            return None
        if not destination.broken:
            if once is None:
                return None  # .output: until the next .output
            if once == _ONCE_ARMED:
                self._once_depth = depth  # the .once itself: the next item's turn
                return None
            if depth > once:
                return None  # inside the .read that the .once is for
        problem = self.end_output()
        if problem is not None and destination.broken and once is None:
            problem += "; results go to stdout again"
        return problem

    def paging(self) -> bool:
        """Results go through a pager: ``.pager on``, interactive, to the terminal
        (``.pager auto``: :mod:`dqlite_shell.shell.pager`)."""
        return (self.settings.pager is True and self.interactive and self.out is self.stdout
                and self.stdout.isatty())

    def print(self, text: str = "") -> None:
        """A line of output (results go where ``.output`` says)."""
        self.out.write(text + "\n")

    def warn(self, text: str) -> None:
        """A line on stderr."""
        self.err.write(text + "\n")
        self.err.flush()

    def close(self) -> None:
        """Close the session, the output file (or pipe) and any scratch nodes."""
        problem = self.end_output()
        if problem:
            self.warn(f"dqlite: error: {problem}")
        if self.audit is not None:
            self.audit.close()
        if self.offline is not None:
            self.offline.close()  # deletes the rebuilt database
        if self._session is not None:
            # A result still draining goes on in a child process: the exit is
            # immediate and closes no socket mid-stream (drain.py). Scratch
            # nodes live in this process: their stop must wait for it.
            session, self._session = self._session, None
            if self.scratch is not None and session.drains.active:
                self.warn("waiting for the server to finish the interrupted statement")
            session.close(hand_off=self.scratch is None)
        if self.scratch is not None:
            scratch, self.scratch = self.scratch, None
            scratch.close()
