"""Brief the seed article with both strategies, in one run, on one model profile (the embedded
local model by default), and print what each cost and the ratio passes/single.

    python benchmarks/seed.py [--model PROFILE] [--strategies passes,single]

The model is loaded (one four-token call) before the clock starts. Per strategy: wall time,
model calls, prompt tokens prefilled (evaluated) and reused from the shared prefix, completion
tokens, and what the briefing holds. On the embedded model, where that time goes too: the
shared prefixes evaluated (the article, once per part), each request's own prompt evaluated
(up to its first token), and decoding (after it). Figures are measured in this run, on this
machine: compare the ratios, not the seconds, across machines. Run it alone on the machine
(another model job halves its speed).
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class Clock:
    """Seconds the embedded model spent, by kind of work (``summarize.local`` timed from here)."""

    prefix: float = 0.0  # shared prefixes evaluated
    prefix_tokens: int = 0  # their tokens (not in the usage's prompt tokens prefilled)
    prompt: float = 0.0  # requests' own prompts evaluated, up to the first streamed token
    decode: float = 0.0  # the rest of the generation

    def line(self, completion_tokens: int) -> str:
        per_token = 1000 * self.decode / max(1, completion_tokens)
        return (
            f"         where: shared prefixes {self.prefix:5.1f}s ({self.prefix_tokens} tokens) | "
            f"own prompts {self.prompt:5.1f}s | decoding {self.decode:5.1f}s "
            f"({per_token:.0f} ms a token)"
        )


def timed_local_model(clock: Clock) -> None:
    """Time the embedded model's work by kind (a no-op when llama-cpp-python is missing)."""
    try:
        from summarize import local
    except ImportError:
        return
    complete: Callable[..., dict[str, Any]] = local._complete
    prefix_state = local._SharedModel.prefix_state

    def timed_prefix_state(self: Any, messages: Any) -> Any:
        started = time.monotonic()
        result = prefix_state(self, messages)
        if result[2]:  # evaluated just now
            clock.prefix += time.monotonic() - started
            clock.prefix_tokens += int(result[1].n_tokens)
        return result

    def timed_complete(llama: Any, kwargs: dict[str, Any], cancel: Any) -> dict[str, Any]:
        create = llama.create_chat_completion
        started = time.monotonic()
        first: list[float] = []

        def stream(**options: Any) -> Iterator[Any]:
            for chunk in create(**options):
                if not first:
                    first.append(time.monotonic())
                yield chunk

        llama.create_chat_completion = stream
        try:
            return complete(llama, kwargs, cancel)
        finally:
            del llama.create_chat_completion
            ended = time.monotonic()
            clock.prompt += (first[0] if first else ended) - started
            clock.decode += ended - (first[0] if first else ended)

    local._complete = timed_complete
    local._SharedModel.prefix_state = timed_prefix_state  # type: ignore[method-assign]


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
    clocks: dict[str, Clock] = {}
    clock = Clock()
    timed_local_model(clock)
    for strategy in args.strategies.split(","):
        clock.prefix = clock.prompt = clock.decode = 0.0
        clock.prefix_tokens = 0
        started = time.monotonic()
        briefing = brief(text, model=pipeline.model, config=settings, strategy=strategy)  # type: ignore[arg-type]
        walls[strategy] = time.monotonic() - started
        clocks[strategy] = Clock(clock.prefix, clock.prefix_tokens, clock.prompt, clock.decode)
        print(describe(strategy, briefing, walls[strategy]), flush=True)
        if clock.prompt or clock.decode:
            print(clocks[strategy].line(briefing.usage.completion_tokens), flush=True)
    if {"passes", "single"} <= set(walls):
        print(f"wall time passes/single: {walls['passes'] / walls['single']:.2f}x")
        if clocks["passes"].decode:
            # What no cheaper prompt can remove: writing the passes' answers.
            floor = clocks["passes"].decode / walls["single"]
            print(f"decoding of passes alone / single's wall: {floor:.2f}x")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
