"""Compare the similarity backends on the hand-labelled pairs: accuracy at each backend's
threshold, the best threshold found on the pairs, and speed, all measured in this run.

    python benchmarks/similarity.py
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from summarize.evaluation.similarity import LexicalSimilarity, MiniLMSimilarity, Similarity

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "similarity_pairs.yaml"


def evaluate(backend: Similarity, pairs: list[dict[str, object]]) -> dict[str, float]:
    started = time.perf_counter()
    scores = [backend.matrix([str(p["a"])], [str(p["b"])])[0][0] for p in pairs]
    seconds = time.perf_counter() - started
    labels = [bool(p["match"]) for p in pairs]

    def accuracy(threshold: float) -> float:
        return sum((s >= threshold) == m for s, m in zip(scores, labels, strict=True)) / len(pairs)

    best = max((accuracy(t / 100), t / 100) for t in range(5, 96))
    positives = [s for s, m in zip(scores, labels, strict=True) if m]
    negatives = [s for s, m in zip(scores, labels, strict=True) if not m]
    return {
        "accuracy": accuracy(backend.threshold),
        "best_accuracy": best[0],
        "best_threshold": best[1],
        "mean_match": sum(positives) / len(positives),
        "mean_non_match": sum(negatives) / len(negatives),
        "ms_per_pair": 1000 * seconds / len(pairs),
    }


def main() -> None:
    pairs = yaml.safe_load(PAIRS.read_text())["pairs"]
    backends: list[Similarity] = [LexicalSimilarity()]
    try:
        backends.append(MiniLMSimilarity())
    except ImportError as exc:
        print(f"minilm: not installed ({exc})")
    results = {b.name: evaluate(b, pairs) for b in backends}
    print(f"{len(pairs)} labelled pairs")
    header = ["thresh", "acc", "best", "at", "match", "non", "ms/pair"]
    print(f"{'backend':10} " + " ".join(f"{h:>6}" for h in header))
    for backend in backends:
        r = results[backend.name]
        print(
            f"{backend.name:10} {backend.threshold:6.2f} {r['accuracy']:6.1%}"
            f" {r['best_accuracy']:6.1%}"
            f" {r['best_threshold']:5.2f} {r['mean_match']:6.2f} {r['mean_non_match']:6.2f}"
            f" {r['ms_per_pair']:8.1f}"
        )
    if len(results) == 2:
        lex, emb = results["lexical"], results["minilm"]
        print(
            f"minilm/lexical accuracy: {emb['accuracy'] / lex['accuracy']:.2f}x; "
            f"time per pair: {emb['ms_per_pair'] / lex['ms_per_pair']:.0f}x"
        )


if __name__ == "__main__":
    main()
