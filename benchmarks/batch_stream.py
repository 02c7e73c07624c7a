"""Peak memory of the local batch engine against the size of its input: 1,000 items, then
100,000, each size in a fresh process, through ``summarize batch``'s own path (``read_inputs``
then ``abrief_many`` with a results file) on the echoing fake model (no model is run).

    python benchmarks/batch_stream.py [--sizes 1000,100000] [--concurrency 8]

Prints each size's peak RSS and wall time, and the ratio of the largest to the smallest
(target: within 1.2x, i.e. memory flat in the input size).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARTICLE = (
    "The council of Town {n} voted on Tuesday to approve harbour plan number {n}. "
    "Mayor Ana Ruiz said the plan would create {jobs} local jobs."
)


def write_input(path: Path, size: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(size):
            text = ARTICLE.format(n=n, jobs=100 + n % 50)
            handle.write(json.dumps({"id": f"item-{n:06d}", "text": text}) + "\n")


def run_one(inputs: Path, out: Path, concurrency: int) -> None:
    """The child: one batch, then its own peak RSS and wall time as JSON on stdout."""
    from summarize.batch import brief_many, read_inputs
    from summarize.config import Settings
    from summarize.testing import echo_model

    started = time.monotonic()
    summary = brief_many(
        read_inputs(inputs),
        out=out,
        model=echo_model(),
        config=Settings(strategy="single"),
        concurrency=concurrency,
    )
    assert summary.failed == 0, summary.line()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "done": summary.done,
                "peak_mib": peak_kib / 1024,
                "seconds": time.monotonic() - started,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--child", nargs=2, metavar=("INPUT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(Path(args.child[0]), Path(args.child[1]), args.concurrency)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            inputs, out = Path(tmp) / f"in-{size}.jsonl", Path(tmp) / f"out-{size}.jsonl"
            write_input(inputs, size)
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(inputs),
                    str(out),
                    "--concurrency",
                    str(args.concurrency),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            assert result["done"] == size, result
            peaks[size] = result["peak_mib"]
            print(
                f"{size:>7} items: peak RSS {result['peak_mib']:6.1f} MiB, "
                f"{result['seconds']:6.1f}s ({size / result['seconds']:.0f} items/s)"
            )
    smallest, largest = min(sizes), max(sizes)
    ratio = peaks[largest] / peaks[smallest]
    print(f"peak RSS {largest:,} / {smallest:,} items: {ratio:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
