"""The HTTP key/value API of ``dqlite-demo``, answering as go-dqlite's demo does.

``PUT /KEY`` stores the body under KEY and answers ``done``; ``GET /KEY``
answers the value. KEY is the percent-decoded path with every leading ``/``
removed. Every answer is status 200 with the body ``<result>\\n``; failures
are ``Error: <message>`` (``Error: sql: no rows in result set`` for a missing
key, ``Error: unsupported method "POST"`` for other methods). As in Go, a path
that is not clean (``//k``, ``/a/../k``) gets a 301 to the cleaned one, and
the Content-Type is sniffed from the body.

Each request thread borrows a connection of its own from a small pool, so
requests do not wait for each other's Raft rounds.
"""

from __future__ import annotations

import logging
import queue
import re
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_to_bytes, urlsplit

from dqlite_shell.app import gohttp
from dqlite_shell.dbapi.exceptions import InterfaceError
from dqlite_shell.wire.errors import InvalidUTF8

DATABASE = "demo"
SCHEMA = "CREATE TABLE IF NOT EXISTS model (key TEXT, value TEXT, UNIQUE(key))"
QUERY = "SELECT value FROM model WHERE key = ?"
UPDATE = "INSERT OR REPLACE INTO model(key, value) VALUES(?, ?)"
# Go sends the bytes it got as TEXT, UTF-8 or not; our driver sends only valid
# UTF-8 text, so other bytes go as a blob that SQLite casts to the same TEXT.
_QUERY_RAW_KEY = "SELECT value FROM model WHERE key = CAST(? AS TEXT)"
_QUERY_RAW_VALUE = "SELECT CAST(value AS BLOB) FROM model WHERE key = CAST(? AS TEXT)"
_UPDATE_RAW = "INSERT OR REPLACE INTO model(key, value) VALUES(CAST(? AS TEXT), CAST(? AS TEXT))"

log = logging.getLogger("dqlite_shell.demo")
_VALID_ESCAPES = re.compile(r"(?:[^%]|%[0-9A-Fa-f]{2})*", re.S)


class ConnectionPool:
    """Driver connections for request threads: one per request in flight,
    reused afterwards (at most ``max_idle`` are kept)."""

    def __init__(self, connect: Callable[[], object], max_idle: int = 16):
        self._connect = connect
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._max_idle = max_idle
        self._closed = False

    def run(self, work: Callable):
        """``work(connection)`` on a pooled connection; a connection whose
        work raised something other than a SQL error is closed, not reused."""
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            result = work(conn)
        except Exception as e:
            if _is_sql_error(e):
                self._give_back(conn)
            else:
                _close_quietly(conn)
            raise
        self._give_back(conn)
        return result

    def _give_back(self, conn) -> None:
        if self._closed or self._idle.qsize() >= self._max_idle:
            _close_quietly(conn)
        else:
            self._idle.put(conn)

    def close(self) -> None:
        """Close every idle connection; those in use are closed when given back."""
        self._closed = True
        while True:
            try:
                _close_quietly(self._idle.get_nowait())
            except queue.Empty:
                return


def _is_sql_error(e: Exception) -> bool:
    # The server answered (constraint, SQL error): the connection is still good.
    return getattr(e, "sqlite_errorcode", None) is not None


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # already broken; nothing to tell anyone
        pass


def _text(data: bytes) -> str | None:
    """``data`` as a text parameter (Go's server cuts text at NUL), or None
    when it is not UTF-8."""
    data = data.split(b"\0", 1)[0]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Store:
    """The demo's two statements over a :class:`ConnectionPool`."""

    def __init__(self, pool: ConnectionPool | None = None):
        # None until the node is ready: the server binds its port before.
        self.pool = pool

    def _run(self, work):
        if self.pool is None:
            raise RuntimeError("the node is not ready: no connection yet")
        return self.pool.run(work)

    def _fetchall(self, sql: str, param) -> list:
        return self._run(lambda conn: conn.execute(sql, (param,)).fetchall())

    def get(self, key: bytes) -> bytes:
        """The value of ``key`` as Go's ``Scan`` into a string gives it;
        ``LookupError`` when there is none."""
        text = _text(key)
        raw = key.split(b"\0", 1)[0]
        attempts = [(QUERY, text) if text is not None else (_QUERY_RAW_KEY, raw),
                    (_QUERY_RAW_VALUE, raw)]
        for sql, param in attempts:
            try:
                rows = self._fetchall(sql, param)
                break
            except InterfaceError as e:
                if not isinstance(e.__cause__, InvalidUTF8) or sql is _QUERY_RAW_VALUE:
                    raise  # else: a value that is not UTF-8 text; read its bytes
        if not rows:
            raise LookupError(gohttp.NO_ROWS)
        return gohttp.as_string(rows[0][0])

    def put(self, key: bytes, value: bytes) -> None:
        """Store ``value`` under ``key`` (one autocommit statement).

        libdqlite 1.11 answers a write that arrives while another one is
        being replicated with SQLITE_BUSY at once ("database is locked": the
        Go demo passes that on to its client); the pool's connections try
        again for up to their ``busy_timeout``, as SQLite's own would.
        """
        tkey, tvalue = _text(key), _text(value)
        params: tuple[str, str] | tuple[bytes, bytes]
        if tkey is not None and tvalue is not None:
            sql, params = UPDATE, (tkey, tvalue)
        else:
            sql, params = _UPDATE_RAW, (key.split(b"\0", 1)[0], value.split(b"\0", 1)[0])
        self._run(lambda conn: conn.execute(sql, params))


class DemoHandler(BaseHTTPRequestHandler):
    """One keep-alive HTTP/1.1 connection to the demo API."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # answers leave at once, not after an ACK
    server: DemoServer

    def __getattr__(self, name: str):
        # http.server dispatches to do_<METHOD>; every method gets the Go
        # demo's answer (unsupported ones an "Error: ..." with status 200).
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        # self.path has leading slashes collapsed (http.server's guard against
        # open redirects); Go redirects those paths, so take the raw target.
        words = self.requestline.split()
        target = words[1] if len(words) >= 2 else self.path
        if target.startswith("/"):
            raw_path, _, raw_query = target.partition("?")
            has_query = "?" in target
        else:  # absolute form: http://host/path
            parts = urlsplit(target)
            raw_path, raw_query, has_query = parts.path, parts.query, "?" in target
        if not _VALID_ESCAPES.fullmatch(raw_path):
            self._bad_request()  # Go's URL parser refuses a bad %-escape
            return
        path = unquote_to_bytes(raw_path)
        cleaned = gohttp.clean_path(path)
        if cleaned != path:
            headers, content = gohttp.redirect(self.command, cleaned,
                                               raw_query if has_query else None)
            self._send(301, headers, content)
            return
        self._send(200, [], self._answer(path.lstrip(b"/"), body))

    def _answer(self, key: bytes, body: bytes) -> bytes:
        method = self.command
        store = self.server.store
        try:
            if method == "GET":
                result = store.get(key)
            elif method == "PUT":
                store.put(key, body)
                result = b"done"
            else:
                result = f'Error: unsupported method "{method}"'.encode()
        except LookupError as e:
            result = f"Error: {e.args[0]}".encode()
        except Exception as e:
            log.debug("%s %r failed: %r", method, key, e)
            result = f"Error: {_message(e)}".encode()
        return result + b"\n"

    def _send(self, status: int, headers: list, content: bytes) -> None:
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        names = {name for name, _ in headers}
        for name, value in headers:
            self.send_header(name, value)
        if status == 200 and "Content-Type" not in names:
            self.send_header("Content-Type", gohttp.detect_content_type(content))
        self.send_header("Content-Length", str(len(content)))
        self._end_headers_with(content if self.command != "HEAD" else b"")

    def _end_headers_with(self, content: bytes) -> None:
        """End the headers and send them with the body in one write (two
        small writes meet the client's delayed ACK: 40 ms per answer)."""
        self._headers_buffer.append(b"\r\n" + content)
        self.flush_headers()

    def _bad_request(self) -> None:
        # What Go's server writes for a request it cannot parse, then closes.
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8"
                         b"\r\nConnection: close\r\n\r\n400 Bad Request")

    def _read_body(self) -> bytes | None:
        """The request body (Content-Length or chunked); None after answering
        a malformed one with 400."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            self._bad_request()
            return None
        return self.rfile.read(n)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._bad_request()
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def log_message(self, format: str, *args) -> None:
        # http.server writes every request to stderr; the Go demo logs none.
        log.debug("%s " + format, self.address_string(), *args)


def _message(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


class DemoServer(ThreadingHTTPServer):
    """The demo API on ``address`` (``host:port``), bound at once (so a taken
    port fails early) and listening only after :meth:`activate`."""

    daemon_threads = True
    # socketserver's default backlog is 5: a burst of new clients beyond it
    # has its SYNs dropped and waits a second to retry (Go listens with 4096).
    request_queue_size = socket.SOMAXCONN
    # Connections live as long as their clients keep them alive.
    block_on_close = False

    def __init__(self, address: str, store: Store):
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.store = store
        super().__init__((host, int(port)), DemoHandler, bind_and_activate=False)
        try:
            self.server_bind()
        except BaseException:
            self.server_close()
            raise

    def activate(self) -> None:
        """Start listening (the Go demo listens once the node is ready)."""
        self.server_activate()

    def serve_in_thread(self) -> threading.Thread:
        """Serve requests on a daemon thread until :meth:`shutdown`."""
        thread = threading.Thread(target=self.serve_forever, name="demo-http", daemon=True)
        thread.start()
        return thread
