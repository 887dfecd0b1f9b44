"""The optional compiled accelerator for printing rows.

``_format`` (built from ``format.c`` and ``table.c`` by ``build.py`` at
install, when a C compiler and Python's headers exist) turns a ROWS body
straight into the bytes the ``list``, ``csv``, ``json``, ``jsonl`` and
``table`` renderers would write, with no Python object per value
(:mod:`.printer` and :mod:`.table_printer` wire it to the shell).
Without it, or with ``DQLITE_SHELL_NO_SPEEDUPS=1`` in the environment,
everything goes through the pure-Python renderers, which stay the reference:
both give the same bytes (tests/test_speedups.py).

Loaded on first use only: a result of one batch never needs it.
"""

from __future__ import annotations

import os

#: Set (to anything but empty or 0) to force the pure-Python path.
DISABLE_VARIABLE = "DQLITE_SHELL_NO_SPEEDUPS"

_UNSET = object()
_module = _UNSET


def disabled() -> bool:
    """True when the environment forces the pure-Python path."""
    return os.environ.get(DISABLE_VARIABLE, "") not in ("", "0")


def load():
    """The compiled module (``ffi``, ``lib``), or None when it was not built
    or is disabled (see :func:`disabled`)."""
    global _module
    if disabled():
        return None
    if _module is _UNSET:
        try:
            import dqlite_shell._speedups._format as compiled
        except ImportError:
            compiled = None
        _module = compiled
    return _module


def status() -> str:
    """What ``dqlite --version`` says of the accelerator, in a few words."""
    if disabled():
        return f"accelerator off ({DISABLE_VARIABLE})"
    module = load()
    if module is None:
        return "accelerator not built (pure-Python output)"
    exact = "" if module.lib.dq_exact_real() else ", REALs in Python"
    return f"accelerator loaded{exact}"
