"""ROWS bodies: layout from src/query.c + src/tuple.c, the fast decoder vs the reference."""

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.wire import (
    Iso8601,
    ProtocolError,
    Rows,
    RowsDecoder,
    UnixTime,
    decode_rows,
    decode_rows_reference,
    encode_row,
    encode_rows,
    iter_row_batches,
)
from dqlite_shell.wire import rows as rows_module

from .strategies import canon, canon_rows, result_sets, uniform_result_sets

Q = struct.Struct("<Q").pack
q = struct.Struct("<q").pack
d = struct.Struct("<d").pack
DONE = b"\xff" * 8
PART = b"\xee" * 8
BOTH = [decode_rows, decode_rows_reference]


def text(s: bytes) -> bytes:
    return s + b"\0" * (8 - len(s) % 8)


def cols(*names: bytes) -> bytes:
    return Q(len(names)) + b"".join(text(n) for n in names)


def outcome(decode, body):
    try:
        return ("ok", canon_rows(decode(body)))
    except ProtocolError as exc:
        return ("error", str(exc))


# ------------------------------------------------------------------ exact layouts


@pytest.mark.parametrize("decode", BOTH)
def test_hand_built_body(decode):
    # Two columns: INTEGER (1) in the low nibble of byte 0, TEXT (3) in the high nibble.
    body = (cols(b"id", b"name")
            + bytes([0x31]) + bytes(7) + q(1) + text(b"one")
            + bytes([0x51]) + bytes(7) + q(-2) + bytes(8)  # NULL is a zero word
            + DONE)
    assert decode(body) == Rows(["id", "name"], [(1, "one"), (-2, None)], True)


def test_encode_rows_matches_the_c_layout():
    body = encode_rows(["a", "b", "c"], [(1.5, b"xy", True)], done=False)
    assert body == (cols(b"a", b"b", b"c") + bytes([0x42, 0x0B]) + bytes(6)
                    + d(1.5) + Q(2) + b"xy" + bytes(6) + Q(1) + PART)


@pytest.mark.parametrize("decode", BOTH)
def test_seventeen_columns_use_a_two_word_header(decode):
    names = [f"c{i}".encode() for i in range(17)]
    header = bytes([0x11] * 8) + bytes([0x03]) + bytes(7)  # 16 INTEGERs, then TEXT in column 16
    body = cols(*names) + header + b"".join(q(i) for i in range(16)) + text(b"last") + PART
    assert decode(body) == Rows([n.decode() for n in names], [tuple(range(16)) + ("last",)], False)
    assert encode_rows([n.decode() for n in names], [tuple(range(16)) + ("last",)], False) == body


@pytest.mark.parametrize("decode", BOTH)
def test_special_types(decode):
    body = (cols(b"t", b"u", b"b")
            + bytes([0x9A, 0x0B]) + bytes(6) + text(b"2024-01-02") + q(-1) + Q(2**64 - 1)
            + bytes([0x9A, 0x0B]) + bytes(6) + bytes(8) + q(0) + Q(0)  # NULL DATETIME: ISO8601 ""
            + DONE)
    rows = decode(body).rows
    assert rows == [("2024-01-02", -1, True), ("", 0, False)]
    assert [type(v) for v in rows[0]] == [Iso8601, UnixTime, bool]
    assert repr(rows[1]) == "(Iso8601(''), UnixTime(0), False)"


EDGE_VALUES = [
    0, -(2**63), 2**63 - 1, 0.0, -0.0, float("inf"), float("-inf"), 1e-308,
    "", "é✓𝄞", "a" * 7, "b" * 8, b"", b"\0" * 9, None, True, False,
    UnixTime(-(2**63)), Iso8601(""), Iso8601("2024-01-02 03:04:05+00:00"),
]


@pytest.mark.parametrize("decode", BOTH)
@pytest.mark.parametrize("value", EDGE_VALUES, ids=repr)
def test_every_value_type_round_trips(decode, value):
    body = encode_rows(["v", "w"], [(value, value), (1, value), (value, 2)] * 3)
    for _ in range(3):  # first sight, then compiled
        expected = Rows(["v", "w"], [(value, value), (1, value), (value, 2)] * 3, True)
        assert canon_rows(decode(body)) == canon_rows(expected)


@pytest.mark.parametrize("decode", BOTH)
def test_nan(decode):
    (value,), = decode(encode_rows(["f"], [(float("nan"),)])).rows
    assert math.isnan(value)


@pytest.mark.parametrize("decode", BOTH)
def test_one_megabyte_text_and_blob(decode):
    big_text, big_blob = "✓" * (2**20 // 3) + "x", bytes(range(256)) * 4096 + b"!"
    rows = decode(encode_rows(["t", "b"], [(big_text, big_blob)] * 2)).rows
    assert rows == [(big_text, big_blob)] * 2


@pytest.mark.parametrize("decode", BOTH)
def test_zero_columns(decode):
    assert decode(Q(0) + DONE) == Rows([], [], True)
    with pytest.raises(ProtocolError, match="zero columns has a row"):
        decode(Q(0) + bytes(8) + DONE)


# ------------------------------------------------------------------ malformed input

ONE_ROW = cols(b"a", b"b") + bytes([0x31]) + bytes(7) + q(1) + text(b"hi")


@pytest.mark.parametrize("decode", BOTH)
@pytest.mark.parametrize(
    "body, message",
    [
        (ONE_ROW, "truncated ROWS body: expected a row header or an end marker at offset 48, "
                  "got 0 bytes (after row 1)"),
        (ONE_ROW + DONE + bytes(8),
         "trailing garbage in ROWS body: 8 bytes after the end marker at offset 48"),
        (ONE_ROW + PART + ONE_ROW[24:] + DONE, "trailing garbage in ROWS body"),
        (cols(b"a", b"b") + bytes([0x61]) + bytes(7) + q(1) + bytes(8) + DONE,
         "unknown value type 6 in ROWS header for column 1 of row 0"),
        (cols(b"a", b"b") + bytes([0x01]) + bytes(7) + q(1) + bytes(8) + DONE,
         "unknown value type 0 in ROWS header for column 1 of row 0"),
        (cols(b"a", b"b") + bytes([0x31, 0x01]) + bytes(6) + q(1) + text(b"x") + DONE,
         "non-zero padding nibble 1 in ROWS header of row 0"),
        (cols(b"a") + bytes([0x0E]) + bytes(7) + DONE,
         "unknown value type 14 in ROWS header for column 0 of row 0"),
        (cols(b"a", b"b") + bytes([0x31]) + bytes(7) + q(1) + b"h\xffi\0" + bytes(4) + DONE,
         "invalid UTF-8 in text in ROWS body at offset 41: invalid start byte (column 1 of row 0)"),
        (cols(b"a", b"b") + bytes([0x31]) + bytes(7) + q(1) + b"hi!abcde",
         "unterminated text in ROWS body at offset 40 (column 1 of row 0)"),
        (cols(b"a") + bytes([0x04]) + bytes(7) + Q(2**64 - 8) + DONE,
         "blob at offset 24 announces 18446744073709551608 bytes, only 8 remain "
         "(column 0 of row 0)"),
        (cols(b"a") + bytes([0x01]) + bytes(7) + b"\x01\x02\x03",
         "truncated ROWS body: expected 8 bytes at offset 24, got 3 (column 0 of row 0)"),
        (Q(2**40) + DONE, "ROWS column count 1099511627776 does not fit in a body of 16 bytes"),
        (Q(1) + b"\xc3(\0" + bytes(5) + DONE, "invalid UTF-8 in text in ROWS body at offset 8"),
        (b"\x01\x02", "truncated ROWS body: expected 8 bytes at offset 0, got 2"),
    ],
)
def test_malformed_bodies(decode, body, message):
    with pytest.raises(ProtocolError) as info:
        decode(body)
    assert message in str(info.value)


@pytest.mark.parametrize("decode", BOTH)
def test_truncation_at_every_offset(decode):
    body = encode_rows(["i", "t", "f", "b", "n"],
                       [(1, "two", 3.0, b"four", None), (-1, "", 0.5, b"", None)] * 3)
    for cut in range(len(body)):
        with pytest.raises(ProtocolError):
            decode(body[:cut])
    assert len(decode(body).rows) == 6


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_agree_and_raise_only_protocol_error(body):
    assert outcome(decode_rows, body) == outcome(decode_rows_reference, body)


@settings(max_examples=200, deadline=None)
@given(uniform_result_sets(max_columns=6, max_rows=6), st.data())
def test_mutated_bodies_agree(result, data):
    columns, rows = result
    body = bytearray(encode_rows(columns, rows, data.draw(st.booleans())))
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "nibble"]))
        at = data.draw(st.integers(0, max(len(body) - 1, 0)))
        if action == "flip" and body:
            body[at] = data.draw(st.integers(0, 255))
        elif action == "nibble" and body:
            body[at] ^= data.draw(st.sampled_from([0x01, 0x10, 0x0E, 0xE0, 0x80, 0x08]))
        elif action == "cut":
            del body[at:]
        else:
            body[at:at] = data.draw(st.binary(min_size=1, max_size=9))
    frozen = bytes(body)
    expected = outcome(decode_rows_reference, frozen)
    assert outcome(decode_rows, frozen) == expected
    assert outcome(decode_rows, frozen) == expected  # again, with the pattern compiled


# ------------------------------------------------------------------ fast path == reference


@settings(max_examples=150, deadline=None)
@given(result_sets(), st.booleans())
def test_mixed_types_fast_equals_reference_equals_input(result, done):
    columns, rows = result
    body = encode_rows(columns, rows, done)
    expected = canon_rows(Rows(list(columns), list(rows), done))
    assert canon_rows(decode_rows_reference(body)) == expected
    assert canon_rows(decode_rows(body)) == expected
    assert canon_rows(decode_rows(body)) == expected


@settings(max_examples=150, deadline=None)
@given(uniform_result_sets(), st.booleans())
def test_uniform_rows_fast_equals_reference_equals_input(result, done):
    columns, rows = result
    body = encode_rows(columns, rows, done)
    expected = canon_rows(Rows(list(columns), list(rows), done))
    assert canon_rows(decode_rows_reference(body)) == expected
    for _ in range(3):
        assert canon_rows(decode_rows(body)) == expected


@pytest.fixture
def no_fallback(monkeypatch):
    """Fail the test if decode_rows hands a body to the reference decoder."""
    def fail(body):
        raise AssertionError("fast path fell back to the reference decoder")
    monkeypatch.setattr(rows_module, "decode_rows_reference", fail)


def test_valid_bodies_never_fall_back(no_fallback):
    columns = ["i", "t", "f", "b", "n", "u", "s", "o"]
    row = (1, "t", 1.5, b"b", None, UnixTime(2), Iso8601("s"), True)
    for variant in [row, row[::-1], (None,) * 8, ("é",) * 8]:
        body = encode_rows(columns, [variant] * 50 + [row] * 3 + [variant] * 5, False)
        for _ in range(3):
            assert decode_rows(body).rows == [variant] * 50 + [row] * 3 + [variant] * 5
    wide = [f"c{i}" for i in range(40)]
    body = encode_rows(wide, [tuple(range(40))] * 20 + [tuple(str(i) for i in range(40))] * 20)
    for _ in range(3):
        assert len(decode_rows(body).rows) == 40


def test_every_row_with_its_own_header():
    # 12 nullable columns: nearly every row has a header never seen before.
    columns = [f"c{i}" for i in range(12)]
    rows = [tuple(None if (r >> i) & 1 else i for i in range(12)) for r in range(4096)]
    body = encode_rows(columns, rows)
    assert decode_rows(body).rows == rows
    assert decode_rows(body).rows == rows


def _cached_runs(decoder):
    runs = [run for table in decoder.plans.values() for run in table.values()]
    # compiled runs carry their source
    return len(runs), sum(hasattr(run, "source") for run in runs)


def test_patterns_compile_after_a_few_rows():
    decoder = RowsDecoder()
    body = encode_rows(["a", "b"], [(1, "x")] * 3 + [(None, "y")] * 20)
    assert decoder.decode(body).rows == [(1, "x")] * 3 + [(None, "y")] * 20
    assert _cached_runs(decoder) == (2, 1)  # (1, "x") seen 3 times: still generic


def test_plan_cache_is_bounded():
    columns = [f"c{i}" for i in range(6)]
    rows = [tuple(None if (r >> i) & 1 else i for i in range(6)) for r in range(64)]
    body = encode_rows(columns, rows * 10)
    decoder = RowsDecoder(max_compiled=4, max_plans=50)
    for _ in range(3):
        assert decoder.decode(body).rows == rows * 10
        plans, compiled = _cached_runs(decoder)
        assert plans <= 50 and compiled <= 4


def test_hot_pattern_resets_a_full_cache():
    decoder = RowsDecoder(max_compiled=2, hot=30)
    for value in [1, "a", 1.5]:  # three patterns, room for two compiled
        decoder.decode(encode_rows(["v"], [(value,)] * 20))
    assert _cached_runs(decoder) == (3, 2)
    rows = [(b"blob",)] * 40  # a fourth pattern gets hot: caches start over and it is compiled
    assert decoder.decode(encode_rows(["v"], rows)).rows == rows
    assert _cached_runs(decoder) == (1, 1)


def test_decoders_share_no_cache():
    # Each decoder (one per connection) compiles its own patterns.
    first, second = RowsDecoder(), RowsDecoder()
    body = encode_rows(["a", "b"], [(1, "x")] * 20)
    assert first.decode(body).rows == [(1, "x")] * 20
    assert _cached_runs(first) == (1, 1) and _cached_runs(second) == (0, 0)
    assert second.decode(encode_rows(["z"], [(2.5,)])).columns == ["z"]
    assert _cached_runs(first) == (1, 1)
    assert first.decode(body).columns == ["a", "b"]


def test_decode_rows_keeps_one_decoder_per_thread():
    import threading

    body = encode_rows(["a"], [(1,)] * 20)
    assert decode_rows(body).rows == [(1,)] * 20
    mine = rows_module._per_thread.rows_decoder
    seen = []

    def other():
        assert decode_rows(body).rows == [(1,)] * 20
        seen.append(rows_module._per_thread.rows_decoder)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    assert len(seen) == 1 and seen[0] is not mine
    assert rows_module._per_thread.rows_decoder is mine


def test_threads_decoding_at_once_get_their_own_rows():
    # 4 threads, each its own columns and patterns, through decode_rows and
    # through decoders of their own: no thread sees another's columns.
    import threading

    errors = []

    def work(k):
        decoder = RowsDecoder()
        columns = [f"t{k}c{i}" for i in range(k + 1)]
        rows = [tuple(range(k + 1)), tuple(str(i) for i in range(k + 1))] * 30
        body = encode_rows(columns, rows)
        for _ in range(50):
            for decode in (decode_rows, decoder.decode):
                got = decode(body)
                if got.columns != columns or got.rows != rows:
                    errors.append((k, got.columns))
                    return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors


def test_column_cache_does_not_leak_between_bodies():
    a = decode_rows(encode_rows(["x"], [(1,)]))
    b = decode_rows(encode_rows(["x"], [(2,)]))
    a.columns.append("mutated")
    assert b.columns == ["x"]
    assert decode_rows(encode_rows(["x", "y"], [(1, 2)])).columns == ["x", "y"]


def test_accepts_bytearray_and_memoryview():
    body = encode_rows(["a"], [("x",)])
    expected = Rows(["a"], [("x",)], True)
    assert decode_rows(bytearray(body)) == decode_rows(memoryview(body)) == expected


# ------------------------------------------------------------------ encoder and batching


def test_encode_row_errors():
    with pytest.raises(TypeError, match="cannot encode a set as a row value"):
        encode_row(({1},))
    with pytest.raises(ValueError, match="row has 1 values, expected 2"):
        encode_rows(["a", "b"], [(1,)])
    with pytest.raises(ValueError, match="does not fit in int64"):
        encode_row((2**63,))


def _row_size(n_text: int) -> int:
    return 8 + 8 + (n_text + 8) // 8 * 8 + 16


def test_batches_follow_the_server_page_rule():
    columns = ["id", "name", "score", "n"]
    rows = [(i, "x" * (i % 20), i / 3, -i) for i in range(3000)]
    batches = list(iter_row_batches(columns, rows))
    head = len(encode_rows(columns, [])) - 8
    decoded = []
    for k, body in enumerate(batches):
        batch = decode_rows(body)
        assert batch.columns == columns
        assert batch.done is (k == len(batches) - 1)
        if not batch.done:
            # query__batch stops once header (8) + body reaches the page (4096),
            # so the batch ends with the row that crossed the page boundary.
            last = _row_size(len(batch.rows[-1][1]))
            assert 8 + len(body) - 8 >= 4096
            assert 8 + len(body) - 8 - last < 4096
        decoded += batch.rows
    assert decoded == rows
    assert head == 40


def test_full_last_batch_is_followed_by_an_empty_done_batch():
    row_size = len(encode_row((1,)))  # 16 bytes
    section = len(encode_rows(["abcdefgh"], [])) - 8  # 24 bytes
    n = (4096 - 8 - section) // row_size  # 254 rows fill the page exactly
    assert 8 + section + n * row_size == 4096
    batches = list(iter_row_batches(["abcdefgh"], [(i,) for i in range(n)]))
    assert [len(decode_rows(b).rows) for b in batches] == [n, 0]
    assert [decode_rows(b).done for b in batches] == [False, True]


def test_a_row_bigger_than_a_page_gets_its_own_batch():
    big = "z" * 10000
    batches = list(iter_row_batches(["t"], [(big,), ("small",)]))
    assert [decode_rows(b).rows for b in batches] == [[(big,)], [("small",)]]


def test_batches_with_other_page_sizes():
    rows = [(i,) for i in range(10000)]
    batches = list(iter_row_batches(["a"], rows, page_size=65536))
    assert len(batches) == 3
    assert sum((decode_rows(b).rows for b in batches), []) == rows


def test_canon_keeps_types_apart():
    assert canon((1, True, UnixTime(1))) != canon((1, 1, 1))


@pytest.mark.parametrize("shape", ["4col", "1col", "20col", "nulls", "sparse"])
def test_benchmarked_decoders_agree_on_each_shape(shape):
    # benchmarks/wire_decode.py times these decoders on these shapes (issue 18).
    from benchmarks.wire_decode import decoders, make_batches
    batches = make_batches(300, shape=shape)
    expected = [decode_rows_reference(body) for body in batches]
    assert sum(len(rows.rows) for rows in expected) == 300 and expected[-1].done
    for name, make in decoders().items():
        decode = make()
        assert [decode(body) for body in batches] == expected, name
