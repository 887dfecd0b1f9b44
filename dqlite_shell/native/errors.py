"""Exceptions of the native layer."""


class NativeError(Exception):
    """Base class of every error raised by ``dqlite_shell.native``."""


class LibraryNotFound(NativeError):
    """libdqlite could not be loaded; the message says how to get it."""


class NodeError(NativeError):
    """A libdqlite call failed.

    ``code`` is the dqlite return code (DQLITE_ERROR 1, DQLITE_MISUSE 2,
    DQLITE_NOMEM 3, or another library code) and ``errmsg`` what
    ``dqlite_node_errmsg`` said, which may be empty.
    """

    def __init__(self, message: str, code: int = 0, errmsg: str = ""):
        self.code = code
        self.errmsg = errmsg
        if errmsg:
            message = f"{message}: {errmsg}"
        super().__init__(message)
