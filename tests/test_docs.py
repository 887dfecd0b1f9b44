"""The README and docs/ stay true: their links lead somewhere, the import table of
docs/internals.md is what the code imports, and the API guide's examples run."""

import ast
import os
import re

import pytest

from tests.conftest import _require
from tests.support.processes import run_python

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "dqlite_shell")
DOCS = ["README.md", *sorted(os.path.join("docs", name)
                             for name in os.listdir(os.path.join(ROOT, "docs"))
                             if name.endswith(".md"))]


def _read(relative: str) -> str:
    with open(os.path.join(ROOT, relative), encoding="utf-8") as f:
        return f.read()


def _anchor(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as -."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)  # no headings in code
    return {_anchor(m.group(1)) for m in re.finditer(r"^#+ (.*)$", text, re.MULTILINE)}


@pytest.mark.parametrize("doc", DOCS)
def test_every_relative_link_leads_to_a_file_and_a_heading(doc):
    text = _read(doc)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https: and the like
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
        if not os.path.exists(os.path.join(ROOT, resolved)):
            broken.append(f"{target}: no file {resolved}")
        elif anchor and anchor not in _anchors(_read(resolved)):
            broken.append(f"{target}: no heading #{anchor} in {resolved}")
    assert not broken, f"{doc}: " + "; ".join(broken)


def _part(path: str) -> str:
    """The part of dqlite_shell a file belongs to: its subpackage or module."""
    first = os.path.relpath(path, PACKAGE).split(os.sep)[0]
    return first.removesuffix(".py")


def _imports() -> dict[str, set[str]]:
    """What each part imports of the others, at module level or in functions."""
    parts: dict[str, set[str]] = {}
    for folder, _dirs, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            part = _part(path)
            if part == "__init__":
                continue
            found = parts.setdefault(part, set())
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if node.module == "dqlite_shell":
                        found.update(a.name for a in node.names)
                    elif node.module.startswith("dqlite_shell."):
                        found.add(node.module.split(".")[1])
                elif isinstance(node, ast.Import):
                    found.update(a.name.split(".")[1] for a in node.names
                                 if a.name.startswith("dqlite_shell."))
            found.discard(part)
            found.discard("__version__")
    return parts


def _documented() -> dict[str, set[str]]:
    text = _read("docs/internals.md")
    section = text.split("## What imports what", 1)[1].split("\n## ", 1)[0]
    table = {}
    for part, imports in re.findall(r"^\| `([\w]+)` \| (.*?) \|$", section, re.MULTILINE):
        table[part] = set(re.findall(r"`(\w+)`", imports))
    return table


def test_the_import_table_is_what_the_code_imports():
    documented, actual = _documented(), _imports()
    missing = sorted(set(actual) - set(documented))
    gone = sorted(set(documented) - set(actual))
    wrong = {part: {"documented": sorted(documented[part]), "actual": sorted(found)}
             for part, found in actual.items() if part in documented and documented[part] != found}
    assert not (missing or gone or wrong), (
        f"docs/internals.md, 'What imports what', is out of date: parts not in the table: "
        f"{missing}; parts that no longer exist: {gone}; imports that differ: {wrong}")


def test_the_shell_and_the_scratch_cluster_import_nothing_of_the_application_layer():
    actual = _imports()
    assert "app" not in actual["shell"]
    assert "app" not in actual["scratch"]


def _python_blocks(doc: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", _read(doc), re.MULTILINE | re.DOTALL)


def test_the_scratch_cluster_example_of_the_api_guide_runs(tmp_path):
    from dqlite_shell.native import library
    _require(library.available(), "libdqlite")
    [example] = [b for b in _python_blocks("docs/api.md") if "ScratchCluster(" in b]
    run = run_python(example, timeout=120, cwd=tmp_path, check=False)
    assert (run.returncode, run.stdout) == (0, "[(0,)]\n"), run.stderr
