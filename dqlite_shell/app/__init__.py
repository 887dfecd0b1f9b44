"""Applications on native nodes + the driver: joining clusters, local clusters,
``dqlite-node``; the ``App`` class and ``dqlite-demo`` come with the app issue."""
