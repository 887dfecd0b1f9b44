"""Ctrl-C in the REPL, per server: how soon the prompt is back, how long the
node stays busy, whether an interrupted write was applied, and whether the
node then stops cleanly.

Each trial runs a fresh ``dqlite-node`` child process on one server's
library and the real REPL (``python -m dqlite_shell -s ADDR``) in a
pseudo-terminal, starts one long statement, presses Ctrl-C ``after``
seconds into it and measures, from the Ctrl-C:

- *alone* (once per server and case, for reference): the statement's
  own time, uninterrupted, sent by the bare client to a new node;
- *prompt back*: until the REPL's prompt is printed again;
- *node busy*: until a NEW connection (connect, LEADER, OPEN, ``SELECT 1``)
  is answered: one attempt that waits as long as the node stays silent;
- *quit*: Ctrl-D at that prompt until the REPL exits (it first lets a
  background drain read the cancelled statement to its end, saying nothing);
- *applied* (the write): rows of ``t`` once the REPL has exited and the node
  has finished the write (read until the count is the whole write, bounded);
- *clean stop*: SIGTERM to the node, exit status 0 (1.18.6 aborts when a
  statement was leaked by a socket closed mid-stream).

The cases: ``stream``, a read whose rows stream (the REPL in ``.mode list``
with ``.output /dev/null``, so it reads rows as fast as the node sends them:
a terminal would make the pty and its reader the bottleneck and hold the
server back); ``step``, a read that is one long step (``count(*)``);
``write``, a long INSERT (``CREATE TABLE t(x)`` is run first on its own, so
the Ctrl-C lands in the INSERT).

``.venv/bin/python benchmarks/cancel.py [--servers 1.11,1.17,1.18] [--repeat 3] [--quick]``;
``make bench`` prints :func:`section` (the ``--quick`` sizes).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Every wait of a trial ends after this many seconds (a result is then "-").
BOUND = 120.0


@dataclass(frozen=True)
class Sizes:
    """Rows of each case's statement, and when Ctrl-C is pressed in it."""
    stream: int
    step: int
    write: int
    read_after: float = 1.0  # s into a read
    write_after: float = 0.5  # s into the INSERT (3M rows take 1 to 2.2 s)


#: The statements as specified: 20M-row reads (a 14-21 s stream, a 4-5 s
#: count on a 2-CPU machine), a 3M-row INSERT (1-2 s); about 4 minutes.
FULL = Sizes(stream=20_000_000, step=20_000_000, write=3_000_000)
#: For ``make bench`` (about 100 s for 3 servers x 3 cases x 3 runs): a 2-3 s
#: stream and a 2-3 s count still outlast Ctrl-C at 1 s plus the 0.5 s grace.
QUICK = Sizes(stream=3_000_000, step=10_000_000, write=3_000_000)

CASES = ("stream", "step", "write")


def _series(n: int) -> str:
    return f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < {n})"


def statement(case: str, sizes: Sizes) -> tuple[list[str], str]:
    """(REPL lines that set the case up, the long statement)."""
    if case == "stream":
        return ([".mode list", ".output /dev/null"],
                f"SELECT x, 'row ' || x FROM ({_series(sizes.stream)} SELECT x FROM c);")
    if case == "step":
        return [], f"{_series(sizes.step)} SELECT count(*) FROM c;"
    return (["CREATE TABLE t(x);"],
            f"INSERT INTO t {_series(sizes.write)} SELECT x FROM c;")


@dataclass
class Trial:
    """One Ctrl-C; None where a bounded wait ran out."""
    prompt: float | None = None
    busy: float | None = None
    quit: float | None = None
    applied: int | None = None
    clean: bool | None = None
    message: str = ""  # what the REPL said on Ctrl-C
    notes: list[str] = field(default_factory=list)


def _first_answer(address: str, started: float, deadline: float) -> float | None:
    """Seconds from ``started`` until a new connection to ``address`` answers
    LEADER, OPEN and ``SELECT 1``; each attempt waits up to the deadline."""
    from dqlite_shell.client.connection import Connection
    while time.monotonic() < deadline:
        try:
            with Connection.connect(address, timeout=max(0.1, deadline - time.monotonic())) as c:
                c.leader()
                c.open("db")
                c.query_sql("SELECT 1").fetchall()
            return time.monotonic() - started
        except Exception:  # noqa: BLE001 - not answering yet: try again until the deadline
            time.sleep(0.05)
    return None


def _count_rows(address: str) -> int | None:
    from dqlite_shell.client.connection import Connection
    try:
        with Connection.connect(address, timeout=BOUND) as c:
            c.open("db")
            return c.query_sql("SELECT count(*) FROM t").fetchall()[0][0]
    except Exception:  # noqa: BLE001 - reported as "-"
        return None


def _spawn_repl(address: str, home: str):
    import pexpect
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
               XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_STATE_HOME=os.path.join(home, "state"))
    env.pop("DQLITE_SHELL_LIBDQLITE", None)  # the client loads no library
    return pexpect.spawn(sys.executable, ["-m", "dqlite_shell", "-s", address, "--no-history"],
                         env=env, cwd=str(ROOT), encoding="utf-8", timeout=30,
                         dimensions=(40, 400), maxread=65536)


#: prompt_toolkit turns bracketed paste off when a line is accepted and on
#: when the next prompt starts: markers that the echo of a line cannot fake.
LEFT_PROMPT = "\x1b[?2004l"
NEXT_PROMPT = "\x1b[?2004h"


def _enter(child, line: str) -> None:
    """Type ``line`` and Enter; return once the REPL has taken it."""
    child.send(line + "\r")
    child.expect_exact(LEFT_PROMPT)


def trial(server: str, case: str, sizes: Sizes) -> Trial:
    """Run one statement in the REPL against a new node of ``server`` and Ctrl-C it."""
    import pexpect

    from dqlite_shell.native.ports import release_port, reserve_address
    from tests.native.servers import SERVERS, environment
    from tests.support.processes import NodeProcess

    result = Trial()
    home = tempfile.mkdtemp(prefix="dqlite-bench-cancel-")
    address = reserve_address()
    node = NodeProcess(address, os.path.join(home, "data"), env=environment(SERVERS[server]))
    child = None
    try:
        node.start()
        prompt = re.escape(f"db@{address}>")
        child = _spawn_repl(address, home)
        child.expect(prompt)
        setup, sql = statement(case, sizes)
        for line in setup:
            _enter(child, line)
            child.expect_exact(NEXT_PROMPT)
            child.expect(prompt)
        sent = time.monotonic()
        _enter(child, sql)
        # Ctrl-C at a set point of the statement: the experiment's parameter.
        after = sizes.write_after if case == "write" else sizes.read_after
        time.sleep(max(0.0, sent + after - time.monotonic()))
        started = time.monotonic()
        child.sendcontrol("c")
        busy: list[float | None] = [None]
        prober = threading.Thread(
            target=lambda: busy.__setitem__(0, _first_answer(address, started, started + BOUND)),
            daemon=True)
        prober.start()
        which = child.expect([r"Interrupted[^\r\n]*", re.escape(NEXT_PROMPT)], timeout=BOUND)
        if which == 0:
            result.message = child.match.group(0).strip()
            child.expect(prompt, timeout=BOUND)
        else:
            result.notes.append("statement ended before Ctrl-C")
        result.prompt = time.monotonic() - started
        prober.join(BOUND + 5)
        result.busy = busy[0]

        quit_started = time.monotonic()
        child.sendcontrol("d")
        child.expect(pexpect.EOF, timeout=BOUND)
        result.quit = time.monotonic() - quit_started
        child.close()
        if child.exitstatus != 0:
            result.notes.append(f"REPL exit status {child.exitstatus}")
        if case == "write":
            # The node may still be finishing it (a 1.18 node answers meanwhile):
            # read the count until it is the whole write, or stops changing.
            deadline = time.monotonic() + BOUND
            result.applied = _count_rows(address)
            while result.applied != sizes.write and time.monotonic() < deadline:
                time.sleep(0.2)
                result.applied = _count_rows(address)

        node.proc.send_signal(signal.SIGTERM)
        rc = node.proc.wait(30)
        result.clean = rc == 0
        if rc != 0:
            assertions = [line for line in node.stderr.splitlines() if "Assertion" in line]
            why = assertions[0].split(": ", 1)[-1] if assertions else ""
            result.notes.append(f"node exit {rc} {why[:120]}".rstrip())
    except (pexpect.TIMEOUT, pexpect.EOF, subprocess.TimeoutExpired, RuntimeError) as e:
        result.notes.append(f"{type(e).__name__}: {str(e).splitlines()[0][:160]}")
    finally:
        if child is not None and child.isalive():
            child.terminate(force=True)
        node.terminate()  # reaps it (SIGKILL only if it still runs)
        release_port(int(address.rsplit(":", 1)[1]))
        shutil.rmtree(home, ignore_errors=True)
    return result


def alone(server: str, case: str, sizes: Sizes) -> float | None:
    """Seconds the statement takes when nobody interrupts it, on a new node,
    sent by the bare client (which reads rows faster than the REPL): what
    *node busy* and *quit* compare with."""
    from dqlite_shell.client.connection import Connection
    from dqlite_shell.native.ports import release_port, reserve_address
    from tests.native.servers import SERVERS, environment
    from tests.support.processes import NodeProcess

    home = tempfile.mkdtemp(prefix="dqlite-bench-cancel-")
    address = reserve_address()
    node = NodeProcess(address, os.path.join(home, "data"), env=environment(SERVERS[server]))
    try:
        node.start()
        setup, sql = statement(case, sizes)
        with Connection.connect(address, timeout=BOUND) as conn:
            conn.open("db")
            for line in setup:
                if not line.startswith("."):
                    conn.exec_sql(line)
            started = time.monotonic()
            if case == "write":
                conn.exec_sql(sql)
            else:
                for _batch in conn.query_sql(sql).batches():
                    pass
            return time.monotonic() - started
    except Exception:  # noqa: BLE001 - reported as "-"
        return None
    finally:
        node.terminate()
        release_port(int(address.rsplit(":", 1)[1]))
        shutil.rmtree(home, ignore_errors=True)


def measure(servers: list[str], repeat: int, sizes: Sizes,
            progress=None) -> dict[tuple[str, str], tuple[float | None, list[Trial]]]:
    """Every (server, case): (its time alone, ``repeat`` trials); servers that
    are not built are left out."""
    from tests.native.servers import SERVERS
    results: dict[tuple[str, str], tuple[float | None, list[Trial]]] = {}
    for server in servers:
        if not SERVERS[server].present:
            if progress:
                progress(f"cancel: {server} is not there (make servers), left out")
            continue
        for case in CASES:
            if progress:
                progress(f"cancel: {server} {case} x{repeat} ...")
            reference = alone(server, case, sizes)
            results[server, case] = reference, [trial(server, case, sizes)
                                                for _ in range(repeat)]
    return results


def _spread(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "-"
    text = f"{statistics.median(got):.2f} [{min(got):.2f}-{max(got):.2f}]"
    return text + (f" ({len(values) - len(got)} timed out)" if len(got) < len(values) else "")


#: The REPL's answers to Ctrl-C (repl.py _interrupted), by a short name.
MESSAGES = {
    "stopped": "Interrupted",
    "discarded": "Interrupted; the rest of the result is discarded",
    "finishes": "Interrupted; the server finishes the statement (...)",
    "busy": "Interrupted; the server finishes the statement (...) and answers nothing else "
            "meanwhile: the next statement runs when it is done",
}


def _message(text: str) -> str:
    if not text:
        return "-"
    if text == "Interrupted":
        return "stopped"
    if "discarded" in text:
        return "discarded"
    return "busy" if "answers nothing else" in text else "finishes"


def table(results: dict[tuple[str, str], tuple[float | None, list[Trial]]],
          sizes: Sizes) -> str:
    """The results as one table: median [min-max] over the runs."""
    from tabulate import tabulate
    rows = []
    for (server, case), (reference, trials) in results.items():
        applied = "-"
        if case == "write":
            counts = ["?" if t.applied is None else f"{t.applied:,}" for t in trials]
            applied = (f"{counts[0]} x{len(counts)}" if len(set(counts)) == 1
                       else ", ".join(counts))
        clean = f"{sum(bool(t.clean) for t in trials)}/{len(trials)}"
        messages = sorted({_message(t.message) for t in trials})
        notes = sorted({n for t in trials for n in t.notes})
        rows.append((server, case, "-" if reference is None else f"{reference:.2f}",
                     _spread([t.prompt for t in trials]),
                     _spread([t.busy for t in trials]), _spread([t.quit for t in trials]),
                     applied, clean, "; ".join(messages + notes)))
    head = (f"Ctrl-C in the REPL (stream {sizes.stream:,} rows to /dev/null, step count(*) "
            f"of {sizes.step:,}, write INSERT of {sizes.write:,} rows; Ctrl-C at "
            f"{sizes.read_after:g} s into a read, {sizes.write_after:g} s into the write); "
            "seconds from Ctrl-C, median [min-max]")
    headers = ["server", "case", "alone s", "prompt back s", "node busy s", "quit s",
               "rows applied", "clean stop", "REPL said / notes"]
    legend = "\n".join(f"  {name}: {text}" for name, text in MESSAGES.items())
    return f"{head}\n{tabulate(rows, headers=headers, disable_numparse=True)}\n{legend}"


def section(servers=("1.11", "1.17", "1.18"), repeat: int = 3, sizes: Sizes = QUICK) -> str:
    """The ``make bench`` section: the table at the quick sizes."""
    def progress(msg):
        print(msg, file=sys.stderr, flush=True)
    return table(measure(list(servers), repeat, sizes, progress), sizes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="1.11,1.17,1.18",
                        help="comma-separated, of 1.11, 1.17, 1.18")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="the make-bench sizes instead of the 20M-row statements")
    args = parser.parse_args(argv)
    from tests.native.servers import SERVERS
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in servers if s not in SERVERS]
    if unknown or args.repeat < 1:
        parser.error(f"unknown server {unknown[0]}" if unknown else "--repeat must be >= 1")
    os.chdir(ROOT)
    started = time.monotonic()
    print(section(servers, args.repeat, QUICK if args.quick else FULL), flush=True)
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
