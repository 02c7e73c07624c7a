"""Run one eval twice through the response cache, in one run, and print what each run cost:
the target is a second identical run that makes 0 model calls.

    python benchmarks/cache.py                    # the dev set's recorded embedded-model answers
    python benchmarks/cache.py --live [--model P] # a live model (the embedded one: ~20 min cold)

By default the model is the dev set's committed recordings of the embedded model
(``evals/recordings/dev/local``): its real answers, served offline, so the benchmark runs
anywhere in seconds and counts exactly the calls that reach it. ``--live`` puts the profile's
real model behind the cache instead. Either way the cache is a fresh file in a temporary folder
(or ``--cache-dir``), so the first run is cold and the second finds every reply there.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from summarize import ChatModel, Completion, CompletionRequest, ModelProfile, load_settings
from summarize.cache import CachedModel, ResponseCache
from summarize.evaluation.dataset import load_dataset
from summarize.evaluation.runner import EvalResults, default_recordings_dir, run_eval
from summarize.evaluation.similarity import get_similarity
from summarize.pipeline import resolve_model
from summarize.recording import ReplayModel

DEV = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "dev"


class Counted:
    """A ``ChatModel`` that counts the calls reaching ``inner``: what a run really spent."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.calls = 0

    @property
    def profile(self) -> ModelProfile:
        return self.inner.profile

    def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        return self.inner.complete(request)

    async def acomplete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        return await self.inner.acomplete(request)

    async def release_async(self) -> None:
        release = getattr(self.inner, "release_async", None)
        if callable(release):
            await release()


def describe(name: str, results: EvalResults, reached: int, wall: float) -> str:
    usages = [c.usage for c in results.cases if c.usage is not None]
    return (
        f"{name}: wall {wall:7.2f}s | model calls {reached:4d} | from the cache "
        f"{sum(u.cache_hits for u in usages):4d} | completion tokens spent "
        f"{sum(u.completion_tokens for u in usages):6,d} | cases ok "
        f"{sum(c.ok for c in results.cases)}/{len(results.cases)} | overall "
        f"{results.aggregate.get('overall', 0.0):.4f}"
    )


def briefings(results: EvalResults) -> list[object]:
    """What each case's briefing says, without what it cost."""
    return [c.briefing.model_dump(exclude={"usage"}) if c.briefing else None for c in results.cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEV)
    parser.add_argument("--live", action="store_true", help="call the model, not the recordings")
    parser.add_argument("--model", default="local", help="profile (default: local)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: a temporary one")
    parser.add_argument("--similarity", default="lexical", help="auto, minilm or lexical")
    args = parser.parse_args()
    settings = load_settings()
    dataset = load_dataset(args.dataset)
    profile = settings.profile(args.model)
    inner: ChatModel
    if args.live:
        inner = resolve_model(args.model, settings)
    else:
        inner = ReplayModel(profile, default_recordings_dir(dataset, profile.name))
    counted = Counted(inner)
    similarity = get_similarity(args.similarity)
    with tempfile.TemporaryDirectory(prefix="summarize-cache-bench-") as scratch:
        folder = args.cache_dir or Path(scratch)
        cache = ResponseCache(folder / "responses.sqlite3")
        model = CachedModel(counted, cache)
        source = "live" if args.live else "recorded answers"
        print(
            f"dataset: {dataset.name} ({len(dataset.cases)} cases) | profile: {profile.name} "
            f"({source}) | strategy: {settings.strategy} | cache: {cache.path}"
        )
        runs: list[tuple[EvalResults, int]] = []
        for name in ("run 1 (cold)", "run 2 (warm)"):
            before = counted.calls
            started = time.monotonic()
            results = run_eval(dataset, model=model, settings=settings, similarity=similarity)
            wall = time.monotonic() - started
            runs.append((results, counted.calls - before))
            print(describe(name, results, counted.calls - before, wall), flush=True)
        stats = cache.stats()
        print(f"cache: {stats.rows} replies, {stats.bytes / 1e6:.2f} MB, {stats.hits} hits")
    (first, _), (second, warm) = runs
    same = first.aggregate == second.aggregate and briefings(first) == briefings(second)
    print(f"second run model calls: {warm} (target 0) | same scores and briefings: {same}")
    if warm:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
