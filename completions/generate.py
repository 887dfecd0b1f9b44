"""Write the shell completion scripts of ``dqlite``, ``dqlite-node`` and ``dqlite-demo``.

They come from the click commands (click's completion protocol: the script
asks the program itself for candidates), so they cannot drift from the
options; ``tests/test_completions.py`` checks that the committed files are
what this script writes.

    python completions/generate.py
"""

import os
import sys

from click.shell_completion import get_completion_class

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from dqlite_shell.app.demo import command as demo_command  # noqa: E402
from dqlite_shell.app.node_cli import command as node_command  # noqa: E402
from dqlite_shell.shell.cli import command as shell_command  # noqa: E402

#: shell -> (folder, file name for a program)
LAYOUT = {
    "bash": ("bash", "{prog}"),
    "zsh": ("zsh", "_{prog}"),
    "fish": ("fish", "{prog}.fish"),
}
PROGRAMS = {"dqlite": shell_command, "dqlite-node": node_command, "dqlite-demo": demo_command}


def scripts() -> dict[str, str]:
    """Relative path -> script text, for every shell and program."""
    out = {}
    for shell, (folder, pattern) in LAYOUT.items():
        for prog, command in PROGRAMS.items():
            var = "_" + prog.replace("-", "_").upper() + "_COMPLETE"
            source = get_completion_class(shell)(command, {}, prog, var).source()
            out[os.path.join(folder, pattern.format(prog=prog))] = source
    return out


def main() -> None:
    for relative, text in scripts().items():
        path = os.path.join(HERE, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(path)


if __name__ == "__main__":
    main()
