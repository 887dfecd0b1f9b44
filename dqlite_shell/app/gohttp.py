"""What Go's ``net/http`` and ``database/sql`` do to the Go demo's answers, so
``dqlite-demo`` answers byte for byte the same: the path cleaning redirect of
``http.ServeMux``, the ``Content-Type`` that ``http.DetectContentType`` sniffs,
and the text ``Scan`` into a Go string makes of a column value.

Written from the behaviour of Debian's ``dqlite-demo`` 1.11.5 (measured with
curl) and the WHATWG MIME sniffing standard that Go follows.
"""

from __future__ import annotations

import math
from decimal import Decimal
from urllib.parse import quote

#: ``database/sql``'s error for a query without rows.
NO_ROWS = "sql: no rows in result set"
#: ``database/sql``'s error for scanning NULL into a string.
NULL_TO_STRING = ('sql: Scan error on column index 0, name "value": '
                  "converting NULL to string is unsupported")


def clean_path(path: bytes) -> bytes:
    """``http.ServeMux``'s cleaned form of a decoded request path: rooted, no
    empty, ``.`` or ``..`` segments, the trailing slash kept."""
    if not path.startswith(b"/"):
        path = b"/" + path
    parts: list[bytes] = []
    for part in path.split(b"/"):
        if part == b"..":
            if parts:
                parts.pop()
        elif part and part != b".":
            parts.append(part)
    cleaned = b"/" + b"/".join(parts)
    if path.endswith(b"/") and cleaned != b"/":
        cleaned += b"/"
    return cleaned


def redirect(method: str, cleaned: bytes, raw_query: str | None) -> tuple[list, bytes]:
    """Headers and body of ServeMux's 301 to the cleaned path (Go's
    ``http.Redirect``: an HTML body for GET only, a Content-Type for GET and HEAD)."""
    # url.URL.String() escapes the path as encodePath does: these stay as they are.
    location = quote(cleaned, safe="/$&+,:;=@")
    if raw_query is not None:
        location += "?" + raw_query
    headers = [("Location", location)]
    body = b""
    if method in ("GET", "HEAD"):
        headers.append(("Content-Type", "text/html; charset=utf-8"))
    if method == "GET":
        escaped = (location.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   .replace('"', "&#34;").replace("'", "&#39;"))
        body = f'<a href="{escaped}">Moved Permanently</a>.\n\n'.encode()
    return headers, body


def as_string(value) -> bytes:
    """What ``row.Scan(&s)`` into a Go string makes of a column value.

    Raises ``ValueError`` with database/sql's message for NULL.
    """
    if value is None:
        raise ValueError(NULL_TO_STRING)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, float):
        return format_float(value).encode()
    return str(value).encode()


def format_float(x: float) -> str:
    """Go's ``strconv.FormatFloat(x, 'g', -1, 64)``: the shortest digits, with
    an exponent below 1e-4 and from 1e+06 up (``1e+06``, ``1.5``, ``-0``)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    sign, stored, exponent = Decimal(repr(x)).as_tuple()
    assert isinstance(exponent, int)  # finite: NaN and the infinities are answered above
    minus = "-" if sign else ""
    if x == 0:
        return minus + "0"
    digits = list(stored)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    text = "".join(map(str, digits))
    point = len(digits) + exponent  # digits before the decimal point
    exp = point - 1
    if exp < -4 or exp >= 6:  # the shortest 'g' decides with precision 6
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{minus}0.{'0' * -point}{text}"
    if point >= len(text):
        return minus + text + "0" * (point - len(text))
    return f"{minus}{text[:point]}.{text[point:]}"


# --- http.DetectContentType --------------------------------------------------

_WHITESPACE = b"\t\n\x0c\r "
_HTML_TAGS = [b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV",
              b"<FONT", b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR",
              b"<P", b"<!--"]
#: (prefix, type) matched exactly at the start, without skipping whitespace.
_EXACT = [
    (b"%PDF-", "application/pdf"),
    (b"%!PS-Adobe-", "application/postscript"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/x-icon"), (b"\x00\x00\x02\x00", "image/x-icon"),
    (b".snd", "audio/basic"),
    (b"OggS\x00", "application/ogg"),
    (b"MThd\x00\x00\x00\x06", "audio/midi"),
    (b"ID3", "audio/mpeg"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
    (b"\x00\x01\x00\x00", "font/ttf"), (b"OTTO", "font/otf"), (b"ttcf", "font/collection"),
    (b"wOFF", "font/woff"), (b"wOF2", "font/woff2"),
    (b"\x1f\x8b\x08", "application/x-gzip"),
    (b"PK\x03\x04", "application/zip"),
    (b"Rar!\x1a\x07\x00", "application/x-rar-compressed"),
    (b"Rar!\x1a\x07\x01\x00", "application/x-rar-compressed"),
    (b"\x00\x61\x73\x6d", "application/wasm"),
]
#: (bytes 0-3, bytes 8-..., type): RIFF/FORM containers.
_CONTAINERS = [(b"RIFF", b"WEBPVP", "image/webp"), (b"RIFF", b"WAVE", "audio/wave"),
               (b"RIFF", b"AVI ", "video/avi"), (b"FORM", b"AIFF", "audio/aiff")]
#: (4-byte prefix, type): byte order marks, which need 4 bytes of data.
_BOMS = [(b"\xfe\xff", "text/plain; charset=utf-16be"),
         (b"\xff\xfe", "text/plain; charset=utf-16le"),
         (b"\xef\xbb\xbf", "text/plain; charset=utf-8")]
_BINARY = frozenset(list(range(0x00, 0x09)) + [0x0b] + list(range(0x0e, 0x1b))
                    + list(range(0x1c, 0x20)))


def detect_content_type(data: bytes) -> str:
    """The Content-Type Go's ``http.ResponseWriter`` sends for a body it was
    not given one for (``http.DetectContentType``, its common signatures)."""
    data = data[:512]
    stripped = data.lstrip(_WHITESPACE)
    upper = stripped[:16].upper()
    for tag in _HTML_TAGS:
        if upper.startswith(tag) and len(stripped) > len(tag) \
                and stripped[len(tag)] in b" >":
            return "text/html; charset=utf-8"
    if stripped.startswith(b"<?xml"):
        return "text/xml; charset=utf-8"
    if len(data) >= 4:
        for prefix, kind in _BOMS:
            if data.startswith(prefix):
                return kind
    for prefix, kind in _EXACT:
        if data.startswith(prefix):
            return kind
    for head, tail, kind in _CONTAINERS:
        if data.startswith(head) and data[8:8 + len(tail)] == tail:
            return kind
    if len(data) >= 12 and data[4:8] == b"ftyp" and _is_mp4(data):
        return "video/mp4"
    if any(b in _BINARY for b in data):
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


def _is_mp4(data: bytes) -> bool:
    size = int.from_bytes(data[:4], "big")
    if size % 4 or len(data) < size:
        return False
    brands = [data[8:11]] + [data[i:i + 3] for i in range(16, size, 4)]
    return b"mp4" in brands
