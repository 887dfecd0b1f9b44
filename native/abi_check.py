"""Check our ABI-mode declarations against the installed dqlite.h.

``dqlite_shell.native`` loads libdqlite with ``dlopen`` and declarations
written by hand (``dqlite_shell/native/_cdef.py``). A wrong signature there
would not fail at load time but corrupt memory at call time, so this script
compiles the same declarations in cffi's API mode against the real header,
with warnings as errors: a mismatch fails the build (and the test that runs
this script). Needs a C compiler, Python headers and libdqlite-dev.

    python native/abi_check.py [BUILD_DIR]
"""

import os
import sys
import tempfile

import cffi

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dqlite_shell.native._cdef import CDEF  # noqa: E402


def check(build_dir: str) -> None:
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source("_dqlite_abi_check", "#include <dqlite.h>", libraries=["dqlite"],
                   extra_compile_args=["-Werror", "-Wno-unused-function"])
    library = ffi.compile(tmpdir=build_dir, verbose=False)
    sys.path.insert(0, build_dir)
    module = __import__("_dqlite_abi_check")  # struct layouts are checked on import
    ours = cffi.FFI()
    ours.cdef(CDEF)
    assert module.ffi.sizeof("dqlite_node_info_ext") == ours.sizeof("dqlite_node_info_ext")
    print(f"ok: declarations match dqlite.h ({os.path.basename(library)}, "
          f"libdqlite {module.lib.dqlite_version_number()})")


if __name__ == "__main__":
    check(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="dqlite-abi-"))
