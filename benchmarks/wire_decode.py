"""Decode speed of ROWS bodies: the decoders of wire/rows.py side by side.

Builds a result set, split into batches exactly as libdqlite 1.11.1 splits
them (rows are added while the frame so far is smaller than a 4096-byte
page), then decodes every batch, collecting all rows as a client's
fetchall() would, and prints rows/s for each decoder:

* ``compiled``: :class:`RowsDecoder` as it runs (row-header patterns turn
  into generated code, wire/_rowplan.py);
* ``generic``: the same decoder never compiling (every row through the
  generic per-row loop, no ``exec``);
* ``reference``: :func:`decode_rows_reference`, value by value.

Shapes: ``4col`` (int, text, real, int), ``1col`` (int), ``20col`` (ints,
texts and reals), ``nulls`` (4col with a NULL in each column one row in 5),
``sparse`` (12 nullable columns, each NULL with probability 1/2: up to 4096
distinct row headers, the worst case for per-pattern code).

    python benchmarks/wire_decode.py [--rows 200000] [--repeat 3] [--shape 4col ...]
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import random
import sys
import time
from collections.abc import Callable, Iterable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from dqlite_shell.wire.rows import (  # noqa: E402
    RowsDecoder,
    decode_rows_reference,
    iter_row_batches,
)

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu"]
NEVER = 2**62  # a row count no pattern reaches: the generic loop only


def _four(i: int, rng: random.Random) -> tuple:
    return (i, f"{rng.choice(WORDS)}-{i}-{rng.choice(WORDS)}", rng.random() * 1000.0,
            rng.randrange(-(2**40), 2**40))


def _shape_rows(shape: str, n_rows: int) -> tuple[list[str], Iterable[tuple]]:
    rng = random.Random(42)
    if shape == "4col":
        return ["id", "name", "score", "count"], (_four(i, rng) for i in range(n_rows))
    if shape == "1col":
        return ["id"], ((i,) for i in range(n_rows))
    if shape == "20col":
        kinds = [i % 3 for i in range(20)]
        return [f"c{c}" for c in range(20)], (
            tuple(i + c if k == 0 else f"w{i}-{c}" if k == 1 else i * 0.5 + c
                  for c, k in enumerate(kinds)) for i in range(n_rows))
    if shape == "nulls":
        return ["id", "name", "score", "count"], (
            tuple(None if rng.random() < 0.2 else v for v in _four(i, rng))
            for i in range(n_rows))
    if shape == "sparse":
        return [f"c{c}" for c in range(12)], (
            tuple(None if rng.random() < 0.5 else (i if c % 3 else f"text-{i}")
                  for c in range(12)) for i in range(n_rows))
    raise ValueError(f"unknown shape {shape!r}")


SHAPES = ["4col", "1col", "20col", "nulls", "sparse"]


def make_batches(n_rows: int, page_size: int = 4096, shape: str = "4col") -> list[bytes]:
    """ROWS bodies for ``n_rows`` rows of ``shape`` (see the module docstring)."""
    columns, rows = _shape_rows(shape, n_rows)
    return list(iter_row_batches(columns, rows, page_size))


def decoders() -> dict[str, Callable[[], Callable]]:
    """Each decoder by name, as a factory (a fresh decoder and caches per run)."""
    return {
        "compiled": lambda: RowsDecoder().decode,
        "generic": lambda: RowsDecoder(compile_after=NEVER, hot=NEVER).decode,
        "reference": lambda: decode_rows_reference,
    }


def measure(make_decode: Callable[[], Callable], batches: list[bytes],
            repeat: int) -> tuple[float, int]:
    """Best wall time over ``repeat`` runs of decoding all batches (a fresh
    decoder each run, so compiling is counted), and the row count."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        gc.collect()
        decode = make_decode()
        collected: list[tuple] = []
        start = time.perf_counter()
        for body in batches:
            collected += decode(body).rows
        best = min(best, time.perf_counter() - start)
        count = len(collected)
        del collected
    return best, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=4096)
    parser.add_argument("--shape", action="append", choices=SHAPES,
                        help="repeat for several; default: all")
    parser.add_argument("--decoder", action="append", choices=list(decoders()),
                        help="repeat for several; default: all")
    args = parser.parse_args(argv)
    chosen = {k: v for k, v in decoders().items() if not args.decoder or k in args.decoder}
    for shape in args.shape or SHAPES:
        batches = make_batches(args.rows, args.page_size, shape)
        expected = decode_rows_reference(batches[0])
        print(f"{shape}: {args.rows:,} rows in {len(batches):,} batches"
              f" (~{args.rows / len(batches):.0f} rows/batch), best of {args.repeat}")
        base = None
        for name, make_decode in chosen.items():
            assert make_decode()(batches[0]) == expected, name
            seconds, count = measure(make_decode, batches, args.repeat)
            assert count == args.rows, (count, args.rows)
            base = base or seconds
            print(f"  {name:10s} {seconds:7.3f} s  {count / seconds:11,.0f} rows/s  "
                  f"{seconds * 1e9 / count:6.0f} ns/row  {seconds / base:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
