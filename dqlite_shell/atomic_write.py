"""Writing a file so that readers see the old content or the new, never half.

The one helper for it: the node's ``info.yaml``, the app's ``cluster.yaml``,
the files ``.dump ADDRESS`` and the shell's own settings files write through
:func:`write_atomically` (or :func:`write_private` when an existing file must
not be replaced without asking).
"""

from __future__ import annotations

import os
import tempfile


def write_atomically(path: str, data: bytes | str, *, mode: int = 0o600,
                     durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one step.

    The data goes to a temporary file in the same directory, created with
    ``mode`` (0600 by default: these files hold addresses and queries), is
    flushed to disk when ``durable``, and is renamed over ``path``; a symlink
    at ``path`` is replaced, never written through. On failure the temporary
    file is removed and ``path`` is as it was.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_private(path: str, data: bytes, overwrite: bool) -> None:
    """Write ``data`` to ``path`` with mode 0600.

    Without ``overwrite`` an existing file (or symlink) is an error
    (FileExistsError); with it the file is replaced atomically
    (:func:`write_atomically`).
    """
    if overwrite:
        write_atomically(path, data, durable=False)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(data)
    except BaseException:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
