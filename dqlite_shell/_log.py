"""Logging without importing :mod:`logging` at start-up.

If the program never imported logging, nobody can have configured a handler,
so there is nothing to emit; once it has, messages go to the usual loggers.
"""

import sys


def debug(name: str, message: str, *args) -> None:
    """``logging.getLogger(name).debug(message, *args)`` when logging is in use."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger(name).debug(message, *args)
