"""The data a briefing is made of.

Two families of models live here:

* ``Draft*``: what a model is asked to produce. Small, flat and strict (every field required, no
  extra keys), because small local models follow simple schemas best and OpenAI's strict
  ``json_schema`` mode demands it. Evidence is a list of plain strings.
* ``Briefing`` and its parts: what users get. Evidence quotes are checked against the article
  (``grounding.py``) and carry offsets and a ``verified`` flag; ``usage`` says what it cost.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

__all__ = [
    "Actor",
    "ActorKind",
    "Briefing",
    "DraftActor",
    "DraftBriefing",
    "DraftOpenQuestion",
    "DraftPosition",
    "OpenQuestion",
    "Position",
    "Quote",
    "Source",
    "Strict",
    "Usage",
    "briefing_json_schema",
    "strict_json_schema",
]

ActorKind = Literal["person", "organization", "country", "group", "other"]


# --- what the model produces -------------------------------------------------------------


# Bounds on every list the model writes. Under a grammar (llama.cpp) they stop a small model
# from looping ("European military leader" forty times); elsewhere they bound the output.
MAX_ACTORS = 10
MAX_ALIASES = 4
MAX_POSITIONS = 12
MAX_EVIDENCE = 2
MAX_QUESTIONS = 6
MIN_QUESTIONS = 3
MAX_STANCES = 3  # per actor, in the positions pass
MIN_SUMMARY_SENTENCES = 3
MAX_SUMMARY_SENTENCES = 5


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftActor(Strict):
    name: str = Field(description="Full name as the article gives it, e.g. 'Emmanuel Macron'.")
    aliases: list[str] = Field(
        max_length=MAX_ALIASES,
        description="Other ways the article names this actor: surname, title, abbreviation.",
    )
    kind: ActorKind
    role: str = Field(description="Who the actor is in this story, in a few words.")


class DraftPosition(Strict):
    actor: str = Field(description="Name of an actor from the actors list.")
    evidence: list[str] = Field(
        max_length=MAX_EVIDENCE,
        json_schema_extra={"minItems": 1},  # asked of the model; merges may still hold none
        description="Sentences copied exactly, word for word, from the article that show "
        "this position.",
    )
    stance: str = Field(
        description="What this actor wants, holds or proposes, as one specific sentence."
    )


class DraftOpenQuestion(Strict):
    question: str = Field(description="A question the article leaves unresolved.")
    why_open: str = Field(description="Why it is still open, in one sentence.")


class DraftBriefing(Strict):
    summary: str = Field(description="3 to 5 sentences: what happened and why it matters.")
    # minItems is asked of the model (a grammar enforces it), not validated: an article with
    # no open question is possible, and it keeps "list no actors" injections from working.
    actors: list[DraftActor] = Field(max_length=MAX_ACTORS, json_schema_extra={"minItems": 1})
    positions: list[DraftPosition] = Field(
        max_length=MAX_POSITIONS, json_schema_extra={"minItems": 1}
    )
    open_questions: list[DraftOpenQuestion] = Field(
        max_length=MAX_QUESTIONS, json_schema_extra={"minItems": 1}
    )


# --- what users get ----------------------------------------------------------------------


class Quote(BaseModel):
    """A piece of evidence, checked against the article.

    ``verified`` quotes occur in the article (after normalising whitespace and typographic
    quotes) and ``article[start:end]`` is the matching span. ``replaced`` means the model wrote a
    near-paraphrase and ``text`` was replaced by the article sentence it paraphrased (the model's
    words are kept in ``original``). Unverified quotes are never shown as quotes.
    """

    text: str
    start: int | None = None
    end: int | None = None
    verified: bool = False
    replaced: bool = False
    original: str | None = None


class Actor(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    kind: ActorKind = "other"
    role: str = ""


class Position(BaseModel):
    actor: str
    stance: str
    evidence: list[Quote] = Field(default_factory=list)
    chunk: int | None = None  # the part of a long article it came from (0-based), if split


class OpenQuestion(BaseModel):
    question: str
    why_open: str | None = None


class Usage(BaseModel):
    model: str = ""
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Prompt tokens reused from a cached prefix (the article block the passes share): the
    # embedded model's saved state, or a hosted endpoint's prompt cache. Part of prompt_tokens.
    cached_tokens: int = 0
    seconds: float = 0.0
    # Answers from the response cache (summarize.cache): no model reached, nothing spent, so
    # they are not in ``calls`` nor in the token counts.
    cache_hits: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            model=self.model or other.model,
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            seconds=self.seconds + other.seconds,
            cache_hits=self.cache_hits + other.cache_hits,
        )


class Source(BaseModel):
    """Where the article came from, as its page says: the URL it was fetched from, the title,
    publication date and author an HTML page declares. Each is None when unknown."""

    url: str | None = None
    title: str | None = None
    date: dt.date | None = None
    author: str | None = None

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.url, self.title, self.date, self.author))


class Briefing(BaseModel):
    """A structured briefing of one article."""

    title: str | None = None  # the title given, else the one the page declares
    source: Source | None = None
    summary: str
    actors: list[Actor] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)
    open_questions: list[OpenQuestion] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verified_share(self) -> float | None:
        """Share of evidence quotes found in the article; None when there are no quotes."""
        quotes = [q for p in self.positions for q in p.evidence]
        if not quotes:
            return None
        return sum(q.verified for q in quotes) / len(quotes)

    def to_markdown(self) -> str:
        from summarize.render import briefing_to_markdown

        return briefing_to_markdown(self)

    def to_html(self, article: str) -> str:
        """A self-contained page: this briefing beside ``article``, every verified quote
        highlighted. ``article`` is the cleaned text the offsets refer to
        (``summarize.text.clean_article`` of the input)."""
        from summarize.html import briefing_to_html

        return briefing_to_html(self, article)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of a serialised Briefing, for users who consume our JSON."""
        return cls.model_json_schema(mode="serialization")


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON Schema for ``model`` in the form OpenAI's strict mode accepts.

    Every object lists all its properties as required and forbids extra keys; ``$defs`` are
    inlined because several OpenAI-compatible servers (llama.cpp among them) handle ``$ref``
    poorly in grammars. Titles and defaults are dropped: they only cost prompt tokens.
    """
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                return resolve(copy.deepcopy(defs[name]))
            out = {k: resolve(v) for k, v in node.items() if k not in ("title", "default")}
            if out.get("type") == "object" and "properties" in out:
                out["required"] = list(out["properties"])
                out["additionalProperties"] = False
            return out
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def briefing_json_schema() -> str:
    """The exported JSON Schema of ``Briefing`` as pretty JSON."""
    return json.dumps(Briefing.json_schema(), indent=2)
