"""Brief the seed article on a model profile (the embedded local model by default) and print
what it cost: wall time, model calls, tokens, throughput and the share of verified quotes.

    python benchmarks/seed.py [--model PROFILE] [--runs N]

Figures are measured in this run, on this machine; ratios (tokens per second, seconds per
call, time to first briefing vs later ones) are what compare across machines.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from summarize import brief, load_settings
from summarize.pipeline import Pipeline

SEED = Path(__file__).resolve().parent.parent / "seeds" / "macron-trump-ukraine-talks.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="profile name (default: the config's)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    settings = load_settings()
    text = SEED.read_text(encoding="utf-8")
    pipeline = Pipeline(args.model, settings=settings)
    print(
        f"profile: {pipeline.profile.name} ({pipeline.profile.model}, {pipeline.profile.endpoint})"
    )
    print(f"article: {len(text):,} chars, {len(pipeline.plan(text).chunks)} chunk(s)")
    walls = []
    for run in range(1, args.runs + 1):
        started = time.monotonic()
        briefing = brief(text, model=pipeline.model, config=settings)
        wall = time.monotonic() - started
        walls.append(wall)
        usage = briefing.usage
        quotes = [q for p in briefing.positions for q in p.evidence]
        verified = sum(q.verified for q in quotes)
        replaced = sum(q.replaced for q in quotes)
        print(
            f"run {run}: wall {wall:.1f}s | calls {usage.calls} | prompt {usage.prompt_tokens} "
            f"+ completion {usage.completion_tokens} tokens | "
            f"{usage.completion_tokens / wall:.1f} completion tokens/s | "
            f"actors {len(briefing.actors)}, positions {len(briefing.positions)}, "
            f"questions {len(briefing.open_questions)} | quotes verified {verified}/{len(quotes)}"
            f" ({briefing.verified_share or 0:.0%}; {replaced} replaced by their sentence)"
        )
    if len(walls) > 1:
        print(f"later runs / first run wall time: {sum(walls[1:]) / len(walls[1:]) / walls[0]:.2f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS: {peak_mb:,.0f} MB ({peak_mb * 1024 * 1024 / len(text.encode()):,.0f}x article)"
    )


if __name__ == "__main__":
    main()
