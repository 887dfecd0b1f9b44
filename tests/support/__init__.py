"""Helpers the tests share: real nodes in-process and as child processes."""
