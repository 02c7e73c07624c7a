"""Brief the seed article with both strategies, in one run, on one model profile (the embedded
local model by default), and print what each cost and the ratio passes/single.

    python benchmarks/seed.py [--model PROFILE] [--strategies passes,single]

The model is loaded (one four-token call) before the clock starts. Per strategy: wall time,
model calls, prompt tokens prefilled (evaluated) and reused from the shared prefix, completion
tokens, and what the briefing holds. Figures are measured in this run, on this machine: compare
the ratios, not the seconds, across machines. Run it alone on the machine (another model job
halves its speed).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from summarize import Briefing, brief, load_settings
from summarize.models import CompletionRequest
from summarize.pipeline import Pipeline

SEED = Path(__file__).resolve().parent.parent / "seeds" / "macron-trump-ukraine-talks.txt"


def describe(name: str, briefing: Briefing, wall: float) -> str:
    usage = briefing.usage
    prefilled = usage.prompt_tokens - usage.cached_tokens
    quotes = [q for p in briefing.positions for q in p.evidence]
    holders = {p.actor for p in briefing.positions}
    return (
        f"{name:>7}: wall {wall:6.1f}s | calls {usage.calls:2d} | prefilled {prefilled:5d} "
        f"+ reused {usage.cached_tokens:5d} prompt tokens | completion {usage.completion_tokens:4d}"
        f" | actors {len(briefing.actors)}, positions {len(briefing.positions)} by "
        f"{len(holders)}, questions {len(briefing.open_questions)} | quotes verified "
        f"{sum(q.verified for q in quotes)}/{len(quotes)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default=None, help="profile name (default: the config's)")
    parser.add_argument("--strategies", default="passes,single")
    args = parser.parse_args()
    settings = load_settings()
    text = SEED.read_text(encoding="utf-8")
    pipeline = Pipeline(args.model, settings=settings)
    print(
        f"profile: {pipeline.profile.name} ({pipeline.profile.model}, {pipeline.profile.endpoint})"
    )
    print(f"article: {len(text):,} chars, {len(pipeline.plan(text).chunks)} part(s)")
    # Load the model before the clock starts: whichever strategy ran first paid for it.
    pipeline.model.complete(
        CompletionRequest(
            messages=[{"role": "user", "content": "Say yes."}],
            schema={"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            max_tokens=4,
        )
    )
    walls: dict[str, float] = {}
    for strategy in args.strategies.split(","):
        started = time.monotonic()
        briefing = brief(text, model=pipeline.model, config=settings, strategy=strategy)  # type: ignore[arg-type]
        walls[strategy] = time.monotonic() - started
        print(describe(strategy, briefing, walls[strategy]), flush=True)
    if {"passes", "single"} <= set(walls):
        print(f"wall time passes/single: {walls['passes'] / walls['single']:.2f}x")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
