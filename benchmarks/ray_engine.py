"""The Ray engine against the local engine, in one run: the same 200 items on the echoing fake
model with 200 ms of latency per call, concurrency 8, and the ratio of their throughputs
(target: Ray >= 0.8x local). Ray runs locally (2 workers) unless RAY_ADDRESS is set.

    python benchmarks/ray_engine.py [--items 200] [--latency 0.2] [--concurrency 8]
    python benchmarks/ray_engine.py --embedded [--items 20]   # 2 Ray workers, embedded model

``--embedded`` briefs with the embedded local model instead (one per Ray worker) and prints
articles per minute; it takes the machine's CPU for minutes, so run it alone on the machine.
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from pathlib import Path

from summarize.batch import brief_many, read_inputs
from summarize.config import Settings, load_settings
from summarize.ray_engine import ray_brief_many
from summarize.testing import echo_model

SEED = Path(__file__).resolve().parent.parent / "seeds" / "macron-trump-ukraine-talks.txt"


def article(n: int) -> str:
    return (
        f"The council of Town {n} voted on Tuesday to approve harbour plan number {n}. "
        f"Mayor Ana Ruiz said the plan would create {100 + n} local jobs. "
        f"Residents of the old port district promised to appeal the decision."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--embedded", action="store_true", help="the embedded model, Ray only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            seed = SEED.read_text(encoding="utf-8") if args.embedded else ""
            for n in range(args.items):
                text = seed if args.embedded else article(n)
                handle.write(json.dumps({"id": f"item-{n:04d}", "text": text}) + "\n")
        if args.embedded:
            started = time.monotonic()
            summary = ray_brief_many(
                source, out=Path(tmp) / "ray.jsonl", model="local", config=load_settings(),
                concurrency=args.workers, workers=args.workers,
            )  # fmt: skip
            minutes = (time.monotonic() - started) / 60
            print(summary.line())
            print(f"ray, {args.workers} workers, embedded model: {summary.done / minutes:.2f} "
                  "articles per minute")  # fmt: skip
            return
        import ray

        started = time.monotonic()
        ray.init(num_cpus=args.workers + 1, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")  # fmt: skip
        print(f"ray started in {time.monotonic() - started:.1f}s (not counted below)")
        settings = Settings(strategy="single")
        factory = functools.partial(echo_model, latency=args.latency)
        rates, steady = {}, {}
        for engine in ("local", "ray"):
            out = Path(tmp) / f"{engine}.jsonl"
            firsts: list[float] = []

            def first(*_: object, firsts: list[float] = firsts) -> None:
                if not firsts:
                    firsts.append(time.monotonic())

            started = time.monotonic()
            if engine == "local":
                summary = brief_many(
                    read_inputs(source), out=out, model=factory(), config=settings,
                    concurrency=args.concurrency, on_result=first,
                )  # fmt: skip
            else:
                summary = ray_brief_many(
                    source, out=out, model=factory, config=settings,
                    concurrency=args.concurrency, workers=args.workers, on_result=first,
                )  # fmt: skip
            seconds = time.monotonic() - started
            assert summary.done == args.items, summary.line()
            rates[engine] = args.items / seconds
            after_first = time.monotonic() - firsts[0]
            steady[engine] = (args.items - 1) / after_first
            print(f"{engine:>5}: {args.items} items in {seconds:5.1f}s, {rates[engine]:5.2f} "
                  f"items/s; first result after {firsts[0] - started:4.1f}s, then "
                  f"{steady[engine]:5.2f} items/s")  # fmt: skip
        print(f"ray / local throughput: {rates['ray'] / rates['local']:.2f}x over the whole run "
              f"(starting the workers included), {steady['ray'] / steady['local']:.2f}x after "
              "the first result (target >= 0.8x)")  # fmt: skip


if __name__ == "__main__":
    main()
