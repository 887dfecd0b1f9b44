"""sqltext's tokenizer (``_SCAN``) matches exactly as its first spelling did.

Its word classes were ranges up to ``\\U0010ffff``, which cost re's compiler
~15 ms at every start of the shell; they are now negated ASCII classes. The
first spelling is kept here, and both must read any text alike: the same
tokens, spans and groups, from any position (the lookbehind of a parameter
looks before it).
"""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dqlite_shell import sqltext

_OLD_IDENT = "0-9A-Za-z_$\\x80-\\U0010ffff"
_OLD_SCAN = re.compile(
    r"(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?(?:\*/|\Z))*+"
    r"(?:(?P<word>[A-Za-z_\x80-\U0010ffff][" + _OLD_IDENT + r"]*)"
    r"|(?P<quoted>'[^']*(?:''[^']*)*'?|\"[^\"]*(?:\"\"[^\"]*)*\"?|`[^`]*(?:``[^`]*)*`?"
    r"|\[[^\]]*\]?)"
    r"|(?P<param>\?\d*|(?<![" + _OLD_IDENT + r"])[:@$][" + _OLD_IDENT + r"]+)"
    r"|(?P<number>[+-]?\d(?:[^\W_]|\.)*)"
    r"|(?P<punct>[()*,.])"
    r"|(?P<other>\S))?", re.DOTALL)

#: Every code point, surrogates included (str holds them).
_ALL = "".join(map(chr, range(0x110000)))


def test_the_word_classes_hold_the_same_characters_as_the_ranges():
    for new, old in ((sqltext._WORD_START, "[A-Za-z_\\x80-\\U0010ffff]"),
                     (sqltext._IDENT, "[" + _OLD_IDENT + "]")):
        found = re.findall(new, _ALL)
        assert found == re.findall(old, _ALL)
        assert len(found) == 0x110000 - 128 + (53 if new == sqltext._WORD_START else 64)


def test_the_scanner_names_no_character_beyond_ascii():
    """What made it slow to compile: a class reaching past ASCII (timing it
    would be flaky under load)."""
    pattern = sqltext._SCAN.pattern
    assert pattern.isascii()
    assert re.search(r"\\[Uu]|\\x[89a-fA-F]", pattern) is None, pattern


def _matches(pattern: re.Pattern, text: str, pos: int):
    return [(m.span(), m.lastgroup, m.groupdict()) for m in pattern.finditer(text, pos)]


# SQL's shaping characters, digits, letters, and non-ASCII ones (letters,
# digits of other scripts, spaces, surrogates, the last code point).
_SQLISH = st.sampled_from(list("'\"`[]-/*\n\t ;:@$?#.,()+=_0129aZz") + [
    "é", "ß", "٣", "\u00a0", "\u2028", "\u3000", "中", "\ud800", "\U0001f600", "\U0010ffff",
    "\x7f", "\x80", "--", "/*", "*/", "''", '""', "``"])
_TEXT = st.lists(st.one_of(_SQLISH, st.characters()), max_size=40).map("".join)


@settings(max_examples=600, deadline=None)
@given(_TEXT, st.integers(min_value=0, max_value=45))
@example("SELECT :a, $b1, @é, ?3, x:y FROM t -- c\n WHERE \u00e9$ = 'x''y'", 0)
@example("a$:b é:c 1:d", 3)
def test_the_scanner_reads_any_text_as_before(text, pos):
    pos = min(pos, len(text))
    assert _matches(sqltext._SCAN, text, pos) == _matches(_OLD_SCAN, text, pos)
