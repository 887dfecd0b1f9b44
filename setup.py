"""Only what pyproject.toml cannot say: the optional compiled accelerator
(dqlite_shell/_speedups), built by cffi when a C compiler and Python's
headers are there, skipped otherwise (see its build.py)."""

from setuptools import setup

setup(cffi_modules=["dqlite_shell/_speedups/build.py:ffibuilder"])
