"""summarize: news articles in, structured and grounded briefings out.

    from summarize import brief
    briefing = brief(open("seeds/macron-trump-ukraine-talks.txt").read())
    print(briefing.to_markdown())

Every evidence quote in a ``Briefing`` has been checked against the article: ``verified`` quotes
carry offsets into it, and unverified ones are never shown as quotes.
"""

from __future__ import annotations

from pathlib import Path

from summarize.batch import BatchItem, BatchSummary, abrief_many, brief_many
from summarize.config import ModelProfile, Settings, Strategy, load_settings
from summarize.errors import (
    ConfigError,
    FetchError,
    InputError,
    InvalidOutputError,
    LocalModelError,
    ModelError,
    ModelUnavailableError,
    PermanentModelError,
    SummarizeError,
    TemplateError,
    TransientModelError,
)
from summarize.models import ChatModel, Completion, CompletionRequest, OpenAIChatModel
from summarize.pipeline import Pipeline, Progress, ProgressCallback
from summarize.schema import Actor, Briefing, OpenQuestion, Position, Quote, Source, Usage

__all__ = [
    "Actor",
    "BatchItem",
    "BatchSummary",
    "Briefing",
    "ChatModel",
    "Completion",
    "CompletionRequest",
    "ConfigError",
    "FetchError",
    "InputError",
    "InvalidOutputError",
    "LocalModelError",
    "ModelError",
    "ModelProfile",
    "ModelUnavailableError",
    "OpenAIChatModel",
    "OpenQuestion",
    "PermanentModelError",
    "Pipeline",
    "Position",
    "Progress",
    "Quote",
    "Settings",
    "Source",
    "SummarizeError",
    "TemplateError",
    "TransientModelError",
    "Usage",
    "abrief",
    "abrief_many",
    "brief",
    "brief_many",
    "load_settings",
]

__version__ = "0.1.0"


def _settings(config: Settings | str | Path | None) -> Settings:
    if isinstance(config, Settings):
        return config
    return load_settings(config)


def brief(
    text: str | bytes,
    *,
    model: str | ChatModel | None = None,
    config: Settings | str | Path | None = None,
    title: str | None = None,
    on_progress: ProgressCallback | None = None,
    strategy: Strategy | None = None,
    url: str | None = None,
) -> Briefing:
    """Brief one article.

    ``model`` is a profile name (``"local"``, the default), a raw model id (``"gpt-4o-mini"``) or
    a ``ChatModel`` instance. ``config`` is a ``Settings`` object or the path of a
    ``summarize.toml``; by default the usual files and environment are read. Raises only
    ``SummarizeError`` subclasses. ``strategy``: ``"passes"`` (several small calls, the
    default) or ``"single"`` (one call per part), overriding the configuration. ``url``: where
    the article came from, kept in ``Briefing.source`` (``summarize.fetch.fetch`` fetches one).
    """
    pipeline = Pipeline(model, settings=_settings(config), strategy=strategy)
    try:
        return pipeline.run(text, title, on_progress, url=url)
    finally:
        pipeline.close()


async def abrief(
    text: str | bytes,
    *,
    model: str | ChatModel | None = None,
    config: Settings | str | Path | None = None,
    title: str | None = None,
    on_progress: ProgressCallback | None = None,
    strategy: Strategy | None = None,
    url: str | None = None,
) -> Briefing:
    """The async twin of ``brief``: its calls (passes, parts) run concurrently."""
    pipeline = Pipeline(model, settings=_settings(config), strategy=strategy)
    try:
        return await pipeline.arun(text, title, on_progress, url=url)
    finally:
        await pipeline.aclose()
