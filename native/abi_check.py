"""Check our ABI-mode declarations against a dqlite.h.

``dqlite_shell.native`` loads libdqlite with ``dlopen`` and declarations
written by hand (``dqlite_shell/native/_cdef.py``). A wrong signature there
would not fail at load time but corrupt memory at call time, so this script
compiles the same declarations in cffi's API mode against the real header,
with warnings as errors: a mismatch fails the build (and the test that runs
this script). The optional declarations (node options of later releases) are
checked where the header declares them; the output names them. Needs a C
compiler, Python headers and the header with its library: the system's
libdqlite-dev, or ``--prefix`` of a server built by ``native/build-servers.sh``.

    python native/abi_check.py [BUILD_DIR] [--prefix PREFIX]
"""

import argparse
import os
import re
import sys
import tempfile

import cffi

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dqlite_shell.native._cdef import OPTIONAL, cdef  # noqa: E402


def declared(header: str) -> list[str]:
    """The optional symbols ``header`` declares."""
    with open(header, encoding="utf-8") as f:
        text = f.read()
    return [name for name in OPTIONAL if re.search(rf"\b{name}\s*\(", text)]


def _pointer_checks(ffi) -> str:
    """C that assigns each real function to a pointer of our declared type.

    cffi's API mode calls a function through the header's prototype, so a
    parameter declared ``double`` where the header says ``unsigned`` would
    convert silently; an assignment between function pointer types of
    different signatures is a warning (an error here).
    """
    lines = []
    for key, (tp, _) in ffi._parser._declarations.items():  # cffi's parsed cdef
        if key.startswith("function "):
            name = key.split(" ", 1)[1]
            pointer = tp.as_raw_function().get_c_name(f"(*_abi_{name})")
            lines.append(f"static {pointer} = {name};")
    return "\n".join(lines)


def check(build_dir: str, prefix: str | None = None) -> None:
    prefix = prefix and os.path.abspath(prefix)  # the compiler runs in build_dir
    include = os.path.join(prefix, "include") if prefix else "/usr/include"
    optional = declared(os.path.join(include, "dqlite.h"))
    ffi = cffi.FFI()
    ffi.cdef(cdef(optional))
    dirs = {}
    if prefix:  # that library, not the system's, at build and at import time
        lib_dir = os.path.join(prefix, "lib")
        dirs = dict(include_dirs=[include], library_dirs=[lib_dir], runtime_library_dirs=[lib_dir])
    ffi.set_source("_dqlite_abi_check", "#include <dqlite.h>\n" + _pointer_checks(ffi),
                   libraries=["dqlite"], **dirs,
                   extra_compile_args=["-Werror", "-Wno-unused-function",
                                       "-Wno-unused-variable"])
    library = ffi.compile(tmpdir=build_dir, verbose=False)
    sys.path.insert(0, build_dir)
    module = __import__("_dqlite_abi_check")  # struct layouts are checked on import
    ours = cffi.FFI()
    ours.cdef(cdef())
    assert module.ffi.sizeof("dqlite_node_info_ext") == ours.sizeof("dqlite_node_info_ext")
    print(f"ok: declarations match dqlite.h ({os.path.basename(library)}, "
          f"libdqlite {module.lib.dqlite_version_number()}, {include}/dqlite.h)")
    print("optional: " + (" ".join(optional) or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", nargs="?", help="where to compile (default: a new temp dir)")
    parser.add_argument("--prefix", help="a libdqlite install prefix (include/, lib/)")
    args = parser.parse_args()
    check(args.build_dir or tempfile.mkdtemp(prefix="dqlite-abi-"), args.prefix)


if __name__ == "__main__":
    main()
