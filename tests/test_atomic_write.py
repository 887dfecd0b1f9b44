"""The one atomic-write helper: old or new content, never half, right modes."""

import os
import stat

import pytest

from dqlite_shell.atomic_write import write_atomically, write_private


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_replaces_the_file_in_one_step_with_a_private_mode(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    write_atomically(str(path), "new ✓\n")
    assert path.read_text(encoding="utf-8") == "new ✓\n"
    assert _mode(path) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["f.yaml"]  # no temporary file left


def test_a_symlink_is_replaced_not_written_through(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(target)
    write_atomically(str(link), b"data", mode=0o644)
    assert target.read_text() == "keep"
    assert not link.is_symlink() and link.read_bytes() == b"data" and _mode(link) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    with pytest.raises(TypeError):
        write_atomically(str(path), 12)  # not bytes or text: fails inside the write
    assert path.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["f"]


def test_write_private_refuses_an_existing_file_unless_told(tmp_path):
    path = tmp_path / "dump.db"
    write_private(str(path), b"one", overwrite=False)
    assert path.read_bytes() == b"one" and _mode(path) == 0o600
    with pytest.raises(FileExistsError):
        write_private(str(path), b"two", overwrite=False)
    assert path.read_bytes() == b"one"
    write_private(str(path), b"two", overwrite=True)
    assert path.read_bytes() == b"two" and _mode(path) == 0o600
