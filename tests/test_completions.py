"""Shell completions: generated from the click commands, committed, and working
in the real shells (bash, zsh, fish) for `dqlite --fo<TAB>` and `--format <TAB>`."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from dqlite_shell.shell import output

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPLETIONS = os.path.join(ROOT, "completions")
FORMATS = [*output.FORMATS, *output.ALIASES]

sys.path.insert(0, COMPLETIONS)
import generate  # noqa: E402


def test_committed_scripts_are_what_the_generator_writes():
    for relative, text in generate.scripts().items():
        with open(os.path.join(COMPLETIONS, relative), encoding="utf-8") as f:
            assert f.read() == text, f"completions/{relative} is stale: run completions/generate.py"


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {name} (the Makefile installs it)")
        pytest.skip(f"{name} is not installed")
    return path


def _env(tmp_path, config: str | None = None) -> dict:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]  # our dqlite first
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    if config is not None:
        (tmp_path / "xdg" / "dqlite").mkdir(parents=True)
        (tmp_path / "xdg" / "dqlite" / "config.toml").write_text(config)
    return env


BASH = """
source {script}
COMP_WORDS=({words}); COMP_CWORD={cword}
_dqlite_completion dqlite 2>/dev/null
printf '%s\\n' "${{COMPREPLY[@]}}"
"""

ZSH = """
compdef() {{ :; }}
_describe() {{ local e; for e in ${{(P)3}}; do print -r -- "D $e"; done; }}
compadd() {{
  local e
  while (( $# )); do
    [[ $1 == -a ]] && {{ for e in ${{(P)2}}; do print -r -- "C $e"; done; shift; }}
    shift
  done
}}
source {script}
words=({words}); CURRENT={current}
_dqlite_completion
"""

FISH = """source {script}; complete -C "{line}" """


def _candidates(shell: str, line: str, tmp_path, config=None) -> list[str]:
    words = line.split() + ([""] if line.endswith(" ") else [])
    quoted = " ".join(f"'{w}'" for w in words)
    if shell == "bash":
        code = BASH.format(script=os.path.join(COMPLETIONS, "bash", "dqlite"), words=quoted,
                           cword=len(words) - 1)
        args = [_shell("bash"), "--norc", "-c", code]
    elif shell == "zsh":
        code = ZSH.format(script=os.path.join(COMPLETIONS, "zsh", "_dqlite"), words=quoted,
                          current=len(words))
        args = [_shell("zsh"), "-f", "-c", code]
    else:
        code = FISH.format(script=os.path.join(COMPLETIONS, "fish", "dqlite.fish"), line=line)
        args = [_shell("fish"), "--no-config", "-c", code]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60,
                            env=_env(tmp_path, config))
    assert result.returncode == 0, result.stderr
    # fish: "candidate<TAB>help"; zsh's _describe: "candidate:help" with ":" escaped.
    names = [line.split("\t")[0] for line in result.stdout.splitlines() if line.strip()]
    if shell == "zsh":  # _describe's "name:help" (":" escaped in names); compadd's names
        names = [re.split(r"(?<!\\):", n[2:])[0].replace("\\:", ":") if n[0] == "D" else n[2:]
                 for n in names]
    return sorted(names)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_option_names(shell, tmp_path):
    assert _candidates(shell, "dqlite --fo", tmp_path) == ["--format"]
    assert "--single-transaction" in _candidates(shell, "dqlite --s", tmp_path)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_format_values(shell, tmp_path):
    assert _candidates(shell, "dqlite --format ", tmp_path) == sorted(FORMATS)
    assert _candidates(shell, "dqlite -f js", tmp_path) == ["json", "jsonl"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_servers_from_the_config_file(shell, tmp_path):
    config = 'servers = ["10.0.0.1:9001", "10.0.0.2:9001"]\n'
    assert _candidates(shell, "dqlite -s ", tmp_path, config) == ["10.0.0.1:9001",
                                                                   "10.0.0.2:9001"]


def test_dqlite_node_options(tmp_path):
    env = _env(tmp_path)
    result = subprocess.run([_shell("fish"), "--no-config", "-c",
                             f"source {COMPLETIONS}/fish/dqlite-node.fish; "
                             "complete -C 'dqlite-node --ro'"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.stdout.split("\t")[0].strip() == "--role"


def test_dqlite_demo_options(tmp_path):
    env = _env(tmp_path)
    result = subprocess.run([_shell("fish"), "--no-config", "-c",
                             f"source {COMPLETIONS}/fish/dqlite-demo.fish; "
                             "complete -C 'dqlite-demo --netw'"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.stdout.split("\t")[0].strip() == "--network-latency-ms"
