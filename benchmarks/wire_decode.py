"""Decode speed of ROWS bodies: the fast decoder against the reference one.

Builds a result set of (integer, text, real, integer) rows, split into
batches exactly as libdqlite 1.11.1 splits them (rows are added while the
frame so far is smaller than a 4096-byte page), then decodes every batch,
collecting all rows as a client's fetchall() would, and prints rows/s.

    python benchmarks/wire_decode.py [--rows 1000000] [--repeat 3] [--page-size 4096] [--sparse]

``--sparse`` decodes 12 columns with random NULLs instead (up to 4096 distinct
row headers: the worst case for the per-pattern compiled decoders).
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import random
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from dqlite_shell.wire.rows import (  # noqa: E402
    decode_rows,
    decode_rows_reference,
    iter_row_batches,
)

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu"]


def make_batches(n_rows: int, page_size: int) -> list[bytes]:
    """ROWS bodies for ``n_rows`` rows of (id, name, score, count)."""
    rng = random.Random(42)
    rows = (
        (i, f"{rng.choice(WORDS)}-{i}-{rng.choice(WORDS)}", rng.random() * 1000.0,
         rng.randrange(-(2**40), 2**40))
        for i in range(n_rows)
    )
    return list(iter_row_batches(["id", "name", "score", "count"], rows, page_size))


def make_sparse_batches(n_rows: int, page_size: int) -> list[bytes]:
    """ROWS bodies of 12 nullable columns (ints and texts), each NULL with probability 1/2."""
    rng = random.Random(42)
    rows = (
        tuple(None if rng.random() < 0.5 else (i if c % 3 else f"text-{i}") for c in range(12))
        for i in range(n_rows)
    )
    return list(iter_row_batches([f"c{c}" for c in range(12)], rows, page_size))


def measure(decode, batches: list[bytes], repeat: int) -> tuple[float, int]:
    """Best wall time over ``repeat`` runs of decoding all batches, and the row count."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        gc.collect()
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
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=4096)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--sparse", action="store_true",
                        help="12 nullable columns with random NULLs")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    batches = (make_sparse_batches if args.sparse else make_batches)(args.rows, args.page_size)
    sizes = [len(b) for b in batches]
    print(
        f"built {args.rows:,} rows in {len(batches):,} batches"
        f" (body size avg {sum(sizes) / len(sizes):,.0f} B, max {max(sizes):,} B,"
        f" ~{args.rows / len(batches):.0f} rows/batch) in {time.perf_counter() - t0:.1f}s"
    )
    assert decode_rows(batches[0]) == decode_rows_reference(batches[0])

    decoders = [("decode_rows", decode_rows)]
    if not args.skip_reference:
        decoders.append(("decode_rows_reference", decode_rows_reference))
    for name, decode in decoders:
        seconds, count = measure(decode, batches, 1 if "reference" in name else args.repeat)
        assert count == args.rows, (count, args.rows)
        print(f"{name:24s} {seconds:7.3f} s  {count / seconds:12,.0f} rows/s  "
              f"{seconds * 1e9 / count:6.0f} ns/row")
    return 0


if __name__ == "__main__":
    sys.exit(main())
