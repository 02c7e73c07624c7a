"""Loads and renders the prompt templates in ``prompts/``.

The folder ships inside the wheel as the package ``summarize.prompt_templates``.

Templates are data: they are rendered by Jinja's ``SandboxedEnvironment`` with
``StrictUndefined``, so a missing variable is an error (never an empty string) and a user's own
template folder cannot reach Python internals (``{{ ''.__class__ }}`` is refused). A user folder
(``prompts_dir`` in the config) overrides built-in templates of the same name.

The article always travels as data: it is delimited in the user message and any delimiter it
contains is neutralised, so text in the article cannot close the block and pose as instructions.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from summarize.errors import TemplateError
from summarize.schema import (
    MAX_ACTORS,
    MAX_POSITIONS,
    MAX_QUESTIONS,
    MAX_STANCES,
    MAX_SUMMARY_SENTENCES,
    MIN_QUESTIONS,
    MIN_SUMMARY_SENTENCES,
)

__all__ = ["BUILTIN_TEMPLATES", "EXAMPLES", "LIMITS", "Prompts", "neutralise_delimiters"]

BUILTIN_TEMPLATES = (
    "passes_system.j2",
    "article.j2",
    "actors_task.j2",
    "positions_task.j2",
    "questions_task.j2",
    "summary_task.j2",
    "brief_system.j2",
    "brief_user.j2",
    "merge_system.j2",
    "merge_user.j2",
    "judge_system.j2",
    "judge_user.j2",
)

# The worked examples the templates show, as variables: the same strings let the pipeline drop
# a stance or role that a small model copied from its instructions (``finish.py``). Neutral on
# purpose: no news story is about Eastport's bridge.
EXAMPLES: dict[str, str] = {
    "name": "Maria Lopez",
    "surname": "Lopez",
    "titled_name": "Mayor Lopez",
    "role": "Mayor of Eastport; pushes for the new bridge",
    "stance": "Wants the bridge paid for by a fuel levy rather than by property taxes.",
    "generic_question": "What is the current status of the talks?",
}

# The bounds the templates state, from the constants the schemas enforce.
LIMITS: dict[str, int] = {
    "actors": MAX_ACTORS,
    "positions": MAX_POSITIONS,
    "stances": MAX_STANCES,
    "min_questions": MIN_QUESTIONS,
    "questions": MAX_QUESTIONS,
    "min_summary_sentences": MIN_SUMMARY_SENTENCES,
    "summary_sentences": MAX_SUMMARY_SENTENCES,
}

_DELIMITER = re.compile(r"<\s*/?\s*(article|partial_briefings|briefing)\s*>", re.IGNORECASE)


def neutralise_delimiters(text: str) -> str:
    """``text`` with anything that looks like our delimiters defused (same length kept)."""
    return _DELIMITER.sub(lambda m: "[" + m.group(0)[1:-1] + "]", text)


def _defused(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_delimiters(value)
    if isinstance(value, list | tuple):
        return [_defused(v) for v in value]
    if isinstance(value, dict):
        return {k: _defused(v) for k, v in value.items()}
    return value


def _builtin_dir() -> Path:
    return Path(str(resources.files("summarize.prompt_templates")))


class Prompts:
    """The template set: built-ins, optionally overridden by a user folder."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory is not None else None
        if self.directory is not None and not self.directory.is_dir():
            raise TemplateError(f"prompts folder {self.directory} does not exist")
        searchpath = [str(self.directory)] if self.directory is not None else []
        searchpath.append(str(_builtin_dir()))
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(searchpath),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)

    def render(self, name: str, **variables: Any) -> str:
        try:
            return self.env.get_template(name).render(**variables).strip()
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"prompt template {name!r} not found") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"prompt template {exc.filename or name}:{exc.lineno}: {exc.message}"
            ) from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"prompt template {name!r}: {exc.message}") from exc
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(f"prompt template {name!r} tried something unsafe: {exc}") from exc

    def source_path(self, name: str) -> Path:
        for folder in (self.directory, _builtin_dir()):
            if folder is not None and (folder / name).is_file():
                return folder / name
        raise TemplateError(f"prompt template {name!r} not found")

    @cached_property
    def hashes(self) -> dict[str, str]:
        """sha256 (first 16 hex digits) of each template in use, for eval logs."""
        return {
            name: hashlib.sha256(self.source_path(name).read_bytes()).hexdigest()[:16]
            for name in BUILTIN_TEMPLATES
        }

    def brief_messages(
        self,
        article: str,
        *,
        title: str | None = None,
        part: int = 1,
        parts: int = 1,
        schema: dict[str, Any] | None = None,
        schema_in_prompt: bool = False,
        names: list[str] | None = None,
    ) -> list[dict[str, str]]:
        """The messages of one brief call. ``names``: a checklist of names mentioned in
        the article (``summarize.names.mentioned_names``), rendered beside it."""
        variables = {
            "title": title,
            "names": [neutralise_delimiters(n) for n in names or []],
            "part": part,
            "parts": parts,
            "schema": schema,
            "schema_in_prompt": schema_in_prompt,
            "examples": EXAMPLES,
            "limits": LIMITS,
        }
        return [
            {"role": "system", "content": self.render("brief_system.j2", **variables)},
            {
                "role": "user",
                "content": self.render(
                    "brief_user.j2", article=neutralise_delimiters(article), **variables
                ),
            },
        ]

    def prefix_messages(
        self, article: str, *, title: str | None = None, part: int = 1, parts: int = 1
    ) -> list[dict[str, str]]:
        """The two messages every pass about one article (or one part of it) starts with:
        the same system text and the same article block, so the prefix can be cached."""
        return [
            {"role": "system", "content": self.render("passes_system.j2")},
            {
                "role": "user",
                "content": self.render(
                    "article.j2",
                    article=neutralise_delimiters(article),
                    title=neutralise_delimiters(title) if title else None,
                    part=part,
                    parts=parts,
                ),
            },
        ]

    def task_message(
        self,
        template: str,
        *,
        schema: dict[str, Any] | None = None,
        schema_in_prompt: bool = False,
        **variables: Any,
    ) -> dict[str, str]:
        """The message of one pass's task, which follows the shared prefix. Strings from the
        article (names, sentences) are defused like the article itself."""
        content = self.render(
            template,
            schema=schema,
            schema_in_prompt=schema_in_prompt,
            examples=EXAMPLES,
            limits=LIMITS,
            **_defused(variables),
        )
        return {"role": "user", "content": content}

    def merge_messages(
        self,
        partials: list[dict[str, Any]],
        *,
        title: str | None = None,
        schema: dict[str, Any] | None = None,
        schema_in_prompt: bool = False,
    ) -> list[dict[str, str]]:
        variables = {"title": title, "schema": schema, "schema_in_prompt": schema_in_prompt}
        return [
            {"role": "system", "content": self.render("merge_system.j2", **variables)},
            {
                "role": "user",
                "content": self.render(
                    "merge_user.j2",
                    partials=[
                        neutralise_delimiters(json.dumps(p, ensure_ascii=False)) for p in partials
                    ],
                    **variables,
                ),
            },
        ]

    def judge_messages(
        self,
        article: str,
        briefing: str,
        *,
        schema: dict[str, Any] | None = None,
        schema_in_prompt: bool = False,
    ) -> list[dict[str, str]]:
        """The messages of one judge call (eval judge mode): the article and a briefing."""
        variables = {"schema": schema, "schema_in_prompt": schema_in_prompt}
        return [
            {"role": "system", "content": self.render("judge_system.j2", **variables)},
            {
                "role": "user",
                "content": self.render(
                    "judge_user.j2",
                    article=neutralise_delimiters(article),
                    briefing=neutralise_delimiters(briefing),
                    **variables,
                ),
            },
        ]
