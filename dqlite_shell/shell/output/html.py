"""The ``html`` format: table rows as ``sqlite3`` 3.40 writes them.

::

    <TR><TH>a</TH>
    <TH>b</TH>
    </TR>
    <TR><TD>1</TD>
    <TD>it&#39;s</TD>
    </TR>

The header row is written with ``.headers on`` only; no ``<TABLE>`` around
the rows, as in ``sqlite3`` (the rows go inside a page's table).  Values are
text as in the other formats (:mod:`.values`; NULL as ``nullvalue``, BLOBs
as ``.blob`` says), with ``<``, ``&``, ``>``, ``"`` and ``'`` escaped as
``sqlite3`` escapes them.  On a terminal, control characters are escaped
too (:func:`~.values.terminal_text`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Renderer
from .values import terminal_text, text_rows

#: sqlite3's output_html_string().
_ENTITIES = str.maketrans({"<": "&lt;", "&": "&amp;", ">": "&gt;", '"': "&quot;",
                           "'": "&#39;"})


def html_text(text: str) -> str:
    """``text`` with the characters HTML gives a meaning escaped, as sqlite3 does."""
    return text.translate(_ENTITIES)


def _row(tag: str, cells: Sequence[str]) -> str:
    open_, close = f"<{tag}>", f"</{tag}>\n"
    return "<TR>" + "".join([open_ + html_text(c) + close for c in cells]) + "</TR>\n"


class HtmlRenderer(Renderer):
    """``.mode html``: a ``<TR>`` per row, a ``<TD>`` line per value."""

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch of rows (after the header row, with ``.headers on``)."""
        if not batch:
            return
        parts = [_row("TH", self.columns)] if self.count == 0 and self.headers else []
        parts += [_row("TD", row) for row in text_rows(batch, self.nullvalue, self.blob)]
        self.count += len(batch)
        text = "".join(parts)
        self.out.write(terminal_text(text) if self.terminal else text)
