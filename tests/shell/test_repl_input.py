"""Input the REPL cannot send: one line, and the REPL goes on."""

from tests.support.repl import leave, prompt


def test_a_nul_byte_pasted_at_the_prompt_is_one_error_line(repl, node):  # noqa: F811
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    child.send("\x1b[200~SELECT 1\x00;\x1b[201~")  # pasted (typing Ctrl-@ sets a mark)
    child.send("\r")
    child.expect("error: line 1: NUL byte at column 9", timeout=10)
    child.expect(prompt(node.address))
    assert "Traceback" not in child.before
    leave(child)
