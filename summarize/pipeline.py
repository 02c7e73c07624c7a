"""Article in, briefing out: plan -> strategy -> finish.

* **plan** (no model): clean the article, split it into parts that fit the profile's context
  window beside the strategy's prompts, analyse it (sentences, names, who holds which view:
  ``summarize.attribution``) and build each part's shared prefix;
* **strategy** (``summarize.strategies``): the model calls, ``passes`` or ``single``;
* **finish** (``summarize.finish``): quotes checked against the article, prompt echoes and
  duplicate views dropped, usage and time recorded.

One async core, ``arun``; ``run`` drives it in an event loop of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from summarize.chunking import get_encoding, split_into_chunks, usable_window
from summarize.config import ModelProfile, Settings, load_settings
from summarize.errors import ConfigError, SummarizeError
from summarize.finish import finish
from summarize.models import ChatModel, OpenAIChatModel, aclose_model, close_model
from summarize.names import mentioned_names
from summarize.passes.base import Caller, PartContext, Plan
from summarize.prompts import Prompts
from summarize.schema import Briefing, Usage
from summarize.strategies import Budget, Strategy, get_strategy
from summarize.text import read_article

__all__ = ["Pipeline", "Plan", "Progress", "ProgressCallback", "resolve_model"]

T = TypeVar("T")

_MIN_CHUNK_TOKENS = 256
# Names listed beside each part as a checklist for the actors (small models skip people who
# appear late in an article).
_MAX_NAMES = 30


@dataclass(frozen=True)
class Progress:
    """A step of the work, for progress bars: ``done`` of ``total`` calls finished (``total``
    grows as a strategy learns how many calls it needs). ``stage`` names the last call."""

    stage: str  # "actors" | "positions" | "questions" | "summary" | "briefing"
    done: int
    total: int


ProgressCallback = Callable[[Progress], None]


def resolve_model(model: str | ChatModel | None, settings: Settings) -> ChatModel:
    """A ``ChatModel`` from a profile name, a raw model id, an instance, or the default.

    A model made here from a profile that asks for the response cache (``cache = true``, or
    ``settings.cache``) answers from it when it can; an instance is used as given.
    """
    if model is None or isinstance(model, str):
        profile = settings.profile(model)
        chat_model = OpenAIChatModel(profile)
        if profile.cache or settings.cache:
            from summarize.cache import CachedModel, ResponseCache, default_cache_path

            return CachedModel(chat_model, ResponseCache(default_cache_path(settings)))
        return chat_model
    if isinstance(model, ChatModel):
        return model
    raise ConfigError(
        f"model must be a profile name, a model id or a ChatModel, not {type(model).__name__}"
    )


class Pipeline:
    """The steps of a briefing for one model, one configuration and one strategy."""

    def __init__(
        self,
        model: str | ChatModel | None = None,
        *,
        settings: Settings | None = None,
        prompts: Prompts | None = None,
        strategy: str | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.model = resolve_model(model, self.settings)
        # A model the pipeline made itself is closed by it; a model passed in is the caller's.
        self.owns_model = self.model is not model
        self.profile: ModelProfile = self.model.profile
        self.prompts = prompts if prompts is not None else Prompts(self.settings.prompts_dir)
        self.strategy: Strategy = get_strategy(
            strategy or self.profile.strategy or self.settings.strategy, self.settings
        )
        self.encoding = get_encoding(self.profile.model)

    def close(self) -> None:
        if self.owns_model:
            close_model(self.model)

    async def aclose(self) -> None:
        if self.owns_model:
            await aclose_model(self.model)

    # --- plan -------------------------------------------------------------------------------

    def chunk_budget(self, title: str | None) -> int:
        """Tokens of article that fit one call beside the strategy's prompts and output."""
        budget = Budget(
            title=title,
            schema_in_prompt=self.profile.structured_output in ("json_object", "none"),
            max_output_tokens=self.profile.max_output_tokens,
            encoding=self.encoding,
        )
        overhead = self.strategy.overhead(self.prompts, budget)
        window = self.profile.context_window
        room = usable_window(window) - overhead
        if room < _MIN_CHUNK_TOKENS:
            raise ConfigError(
                f"profile {self.profile.name!r}: a context window of {window} tokens leaves no "
                f"room for the article beside the {self.strategy.name} strategy's prompts and "
                f"output reserve ({overhead} tokens)"
            )
        return room

    def plan(self, text: str | bytes, title: str | None = None, *, url: str | None = None) -> Plan:
        article = read_article(text, max_chars=self.settings.max_article_chars, url=url)
        # A title given wins over the one the page declares; either is shown to the model.
        title = title or (article.source.title if article.source else None)
        chunks = split_into_chunks(article.text, self.chunk_budget(title), encoding=self.encoding)
        return Plan(article=article.text, title=title, chunks=chunks, source=article.source)

    def contexts(self, plan: Plan) -> list[PartContext]:
        return [
            PartContext(
                plan=plan,
                chunk=chunk,
                names=mentioned_names(chunk.text, limit=_MAX_NAMES),
                prompts=self.prompts,
            )
            for chunk in plan.chunks
        ]

    # --- run --------------------------------------------------------------------------------

    async def arun(
        self,
        text: str | bytes,
        title: str | None = None,
        on_progress: ProgressCallback | None = None,
        *,
        url: str | None = None,
    ) -> Briefing:
        """``url``: where the article came from, recorded in ``Briefing.source`` (the text is
        not fetched here: ``summarize.fetch`` does that)."""
        started = time.monotonic()
        plan = self.plan(text, title, url=url)

        def report(stage: str, done: int, total: int) -> None:
            if on_progress is not None:
                on_progress(Progress(stage, done, total))

        caller = Caller(
            self.model,
            self.prompts,
            limit=asyncio.Semaphore(self.settings.concurrency),
            on_progress=report,
        )
        try:
            draft = await self.strategy.brief(caller, self.contexts(plan))
        except BaseExceptionGroup as group:  # from the strategy's task groups
            raise first_error(group) from None
        briefing = finish(draft, plan.article)
        usage = Usage(model=self.profile.model)
        for one in caller.usage:
            usage = usage.add(one)
        usage = usage.model_copy(update={"seconds": round(time.monotonic() - started, 3)})
        return briefing.model_copy(
            update={"title": plan.title, "source": plan.source, "usage": usage}
        )

    def run(
        self,
        text: str | bytes,
        title: str | None = None,
        on_progress: ProgressCallback | None = None,
        *,
        url: str | None = None,
    ) -> Briefing:
        """``arun`` for synchronous callers."""
        return run_sync(self._arun_and_release(text, title, on_progress, url))

    async def _arun_and_release(
        self,
        text: str | bytes,
        title: str | None,
        on_progress: ProgressCallback | None,
        url: str | None = None,
    ) -> Briefing:
        try:
            return await self.arun(text, title, on_progress, url=url)
        finally:
            # The async client belongs to this event loop, which ends with this call.
            release = getattr(self.model, "release_async", None)
            if callable(release):
                await release()


def first_error(group: BaseExceptionGroup[Any]) -> BaseException:
    """The error that failed a task group: the first library error, else the first error."""
    errors: list[BaseException] = []

    def flatten(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                flatten(inner)
        else:
            errors.append(exc)

    flatten(group)
    return next((e for e in errors if isinstance(e, SummarizeError)), errors[0])


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end in an event loop of its own; from inside a running loop
    (a notebook), in a worker thread. Ctrl-C cancels it, so model calls stop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        with asyncio.Runner() as runner:
            return runner.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
