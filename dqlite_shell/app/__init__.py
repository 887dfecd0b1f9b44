"""Applications on native nodes + the driver (go-dqlite's ``app``): ``App``
(node, join, roles, TLS), ``LocalCluster``, ``dqlite-node`` and ``dqlite-demo``."""


def __getattr__(name):  # lazy: importing the package must not load libdqlite
    if name == "App":
        from dqlite_shell.app.app import App
        return App
    raise AttributeError(name)
