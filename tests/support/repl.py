"""The shell's REPL in a real pseudo-terminal (pexpect), for the pty tests."""

from __future__ import annotations

import os
import re
import sys

import pexpect


def spawn_repl(home, *args, env=None, dimensions=(40, 150), cwd=None) -> pexpect.spawn:
    """``python -m dqlite_shell ARGS`` in a terminal of ``dimensions`` (rows,
    columns), with its config and state (history) under ``home``, no colour,
    no cursor-position requests and no $PAGER of the user's. ``DEBUG_PTY=FILE``
    appends what the terminal showed to FILE."""
    environment = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1",
                       XDG_CONFIG_HOME=str(home / "config"),
                       XDG_STATE_HOME=str(home / "state"), NO_COLOR="1")
    environment.pop("PAGER", None)
    environment.update(env or {})
    child = pexpect.spawn(sys.executable, ["-m", "dqlite_shell", *args], env=environment,
                          encoding="utf-8", timeout=30, dimensions=dimensions,
                          maxread=65536, cwd=None if cwd is None else str(cwd))
    if os.environ.get("DEBUG_PTY"):
        child.logfile_read = open(os.environ["DEBUG_PTY"], "a")  # noqa: SIM115
    return child


def prompt(address: str) -> str:
    """A regex for the default prompt on ``address`` (up to its ``>``)."""
    return re.escape(f"db@{address}>")


def leave(child, *, check_exit: bool = True) -> None:
    """Ctrl-D at a fresh prompt. A Ctrl-D typed while a statement runs (the
    terminal in cooked mode) is eaten by the tty, so wait for an answer and
    the prompt after it first; then the shell must exit 0."""
    child.send("SELECT 'bye' || 'bye';\r")
    child.expect("byebye")
    child.expect(r"db@[^>]+>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    if check_exit:
        child.close()
        assert child.exitstatus == 0, child.exitstatus

