"""The interactive REPL: prompt_toolkit with SQL highlighting, completion while
typing, multi-line statements, history, and Ctrl-C that stops a running
statement. Only this path imports prompt_toolkit and pygments."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.styles import Style, merge_styles, style_from_pygments_cls
from pygments.lexer import bygroups, inherit
from pygments.lexers.sql import SqlLexer
from pygments.styles import get_style_by_name
from pygments.token import Keyword, Text

from dqlite_shell import __version__, sqltext
from dqlite_shell.shell import audit, rails, script
from dqlite_shell.shell.completion import SchemaCache, ShellCompleter
from dqlite_shell.shell.errors import describe
from dqlite_shell.shell.history import make_history
from dqlite_shell.shell.prompt import prompt_text
from dqlite_shell.shell.repl_keys import EDITING_MODES, key_bindings
from dqlite_shell.shell.script import Item, split_script
from dqlite_shell.shell.script_input import InputError, checked_lines

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

#: Dot-commands after which completion fetches the schema again: another
#: database, or tables made or dropped (a script read may do anything).
_SCHEMA_COMMANDS = frozenset({".open", ".import", ".restore", ".drop", ".read", ".edit",
                              ".fav"})


class DqliteLexer(SqlLexer):
    """SQL, plus dot-commands at the start of the input."""

    tokens = {"root": [(r"^(\s*)(\.[a-zA-Z]+)", bygroups(Text, Keyword.Pseudo)), inherit]}


def _color_enabled(state: ShellState) -> bool:
    return state.color and not os.environ.get("NO_COLOR")


def run(state: ShellState) -> int:
    """Read, run, print until Ctrl-D or .quit; returns the exit status (0)."""
    from dqlite_shell.shell.output import ALIASES, FORMATS
    color = _color_enabled(state)
    cache = SchemaCache(state)
    style = None
    if color:
        style = merge_styles([style_from_pygments_cls(get_style_by_name("monokai")),
                              Style.from_dict({"pygments.keyword.pseudo": "bold ansicyan"})])
    history = make_history(state.history)
    session: PromptSession[str] = PromptSession(
        lexer=PygmentsLexer(DqliteLexer) if color else None,
        style=style, include_default_pygments_style=False,
        completer=ShellCompleter(cache, list(FORMATS) + sorted(ALIASES)),
        complete_while_typing=True, history=history,
        auto_suggest=AutoSuggestFromHistory(), enable_history_search=False,
        multiline=True, key_bindings=key_bindings(),
        editing_mode=EDITING_MODES[state.settings.keys],
        color_depth=None if color else ColorDepth.MONOCHROME,
        prompt_continuation=lambda width, line, soft: "...> ".rjust(width),
    )
    state.repl = session  # for .keys and .history
    try:
        state.session.connect()  # so the prompt names the leader from the start
        where = f"connected to {state.connected_to}"
    except Exception as e:  # noqa: BLE001 - the next statement tries again
        where = f"not connected ({describe(e)})"
        state.lost = True  # the prompt says so
    if state.read_only:
        where += f", read-only ({state.read_only_source}; --write lifts it)"
    state.warn(f"dqlite-shell {__version__}, database {state.database}, {where}. "
               "Enter .help for the commands, Ctrl-D to leave.")
    cache.refresh()
    while not state.quit_requested:
        try:
            text = session.prompt(lambda: prompt_text(state))
        except KeyboardInterrupt:
            continue  # Ctrl-C on the prompt clears the input
        except EOFError:
            break
        failed = False
        try:
            for item in split_script(checked_lines(text.splitlines(keepends=True))):
                if not _run_one(state, item, cache):
                    failed = state.last_failed  # not when declined
                    break
                if state.quit_requested:
                    break
        except InputError as e:
            state.warn(f"error: line {e.line}: {e}")
            failed = state.last_failed = True
        finally:
            problem = history.settle(failed)  # the entry, marked if it failed
            if problem:
                state.warn(f"warning: {problem}; the history is kept in memory only")
    return 0


def _run_one(state: ShellState, item: Item, cache: SchemaCache) -> bool:
    """Run one item; False stops the rest of the input (after an error)."""
    started = time.perf_counter()
    state.last_failed = False  # the prompt's ! and the history's mark
    had = state.connected_to if state.offline is None else None
    try:
        _wait_for_busy_node(state)
        if not rails.confirmed(state, item):
            state.warn("Not run.")
            if state.audit is not None:
                script.audit_item(state, item, outcome=audit.DECLINED)
            return False
        script.run_item(state, item)
        state.lost = state.lost and state.connected_to is None
    except KeyboardInterrupt:
        state.last_failed = True
        _interrupted(state, started)
        return False
    except script.ScriptAborted:  # a .read stopped by .bail: its error was said
        state.last_failed = True
        return False
    except Exception as e:  # noqa: BLE001 - every error is one line and the REPL goes on
        state.last_failed = True
        state.lost = _lost(state, had, e)
        state.warn(f"error: {describe(e)}")
        return False
    finally:
        state.out.flush()
        # Also after a failure: an .import that stopped half-way made its table.
        if _may_change_schema(item):
            cache.refresh()
    return True


def _lost(state: ShellState, had: str | None, error: Exception) -> bool:
    """Whether a failed item leaves the connection to the leader lost (the
    prompt says so): no connection is left, and there was one before, or it
    was lost already, or the error is about reaching the cluster."""
    from dqlite_shell.client.errors import (
        ConnectError,
        ConnectionLost,
        LeadershipLost,
        TransactionLost,
    )
    if state.offline is not None or state.connected_to is not None:
        return False
    return had is not None or state.lost or isinstance(
        error, (ConnectError, ConnectionLost, LeadershipLost, TransactionLost))


def _may_change_schema(item: Item) -> bool:
    """Whether completion should fetch the schema again after ``item``."""
    if not item.is_command:
        return sqltext.analyse(item.text).changes_schema
    first = item.text.lstrip().split(None, 1)[0] if item.text.strip() else ""
    from dqlite_shell.shell.commands import registry
    try:
        command = registry.lookup(first)
    except Exception:  # noqa: BLE001 - an ambiguous prefix ran nothing
        return False
    return getattr(command, "name", None) in _SCHEMA_COMMANDS  # .op too


def _interrupted(state: ShellState, started: float) -> None:
    """Ctrl-C while a statement ran: stop it the way the server allows."""
    try:
        state.out.flush()
    except (OSError, ValueError):
        pass
    session = state.session
    outcome = session.cancel(grace=0.5) if state.connected_to else "stopped"
    if outcome == "stopped":
        state.warn("Interrupted")
    elif outcome == "result":
        state.warn("Interrupted; the rest of the result is discarded" if session.drains.active
                   else "Interrupted")
    elif session.busy_address is not None:
        state.warn("Interrupted; the server finishes the statement (dqlite cannot stop one "
                   "mid-way) and answers nothing else meanwhile: the next statement runs "
                   "when it is done")
    else:
        state.warn("Interrupted; the server finishes the statement (dqlite cannot stop one "
                   "mid-way)")
    sys.stdout.flush()


def _wait_for_busy_node(state: ShellState) -> None:
    """Keep the promise made on Ctrl-C: before the next statement, wait for
    the node that is still finishing the interrupted one (libdqlite 1.11
    answers nothing meanwhile, not even a leader search), saying so once.
    Ctrl-C stops the wait."""
    session = state.session  # made without connecting when there is none yet
    address = session.busy_address
    if address is None:
        return
    session.busy_address = None
    if session.node_answers(address, 0.5) is False:
        state.warn(f"waiting for {address} to finish the interrupted statement "
                   "(Ctrl-C stops waiting)")
        # Each probe waits up to 1 s; a node that went away ends the wait.
        while session.node_answers(address, 1.0) is False:
            pass
