"""Settings and model profiles: where they come from and how they combine.

Lowest to highest precedence:

1. built-in defaults (the ``local`` profile: the embedded model, no key, no network);
2. ``summarize.toml``: ``$SUMMARIZE_CONFIG`` if set, else the first of ``./summarize.toml`` and
   ``<user config dir>/summarize/summarize.toml``;
3. environment: ``SUMMARIZE_MODEL``, ``SUMMARIZE_STRATEGY``, ``SUMMARIZE_BASE_URL``,
   ``SUMMARIZE_API_KEY`` (falling back to ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``);
4. arguments (``brief(model=...)``, ``--model``).

A *profile* names everything needed to talk to one model. ``--model`` takes a profile name or a
raw model id (``gpt-4o-mini``), which becomes an ad-hoc OpenAI-style profile using the endpoint
and key from the environment. API keys live in ``SecretStr`` and are never printed, logged or
serialised.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from summarize.errors import ConfigError

__all__ = [
    "LOCAL_PROFILE",
    "ModelProfile",
    "Settings",
    "Strategy",
    "StructuredOutput",
    "load_settings",
]

StructuredOutput = Literal["json_schema", "json_object_schema", "json_object", "none"]
"""How an endpoint is asked for JSON.

* ``json_schema``: OpenAI's ``response_format={"type": "json_schema", "strict": true}``
  (OpenAI, Azure OpenAI, vLLM, recent Ollama).
* ``json_object_schema``: llama.cpp's ``{"type": "json_object", "schema": ...}`` (a grammar);
  llama-cpp-python answers 500 to the ``json_schema`` form.
* ``json_object``: JSON mode without a schema; the schema goes into the prompt.
* ``none``: no JSON support at all; the schema goes into the prompt, the reply is parsed and
  re-asked when it does not validate.
"""

Provider = Literal["openai", "azure", "local"]

Strategy = Literal["passes", "single"]
"""How a briefing is asked for: ``passes`` (the default) makes several small calls (actors;
positions per actor over the sentences attribution found; open questions; summary);
``single`` asks for the whole briefing in one call per part of the article."""

LOCAL_PROFILE = "local"
LOCAL_MODEL_ID = "qwen2.5-coder-1.5b-instruct-q4_k_m"

# Context windows of well-known hosted models, so a raw ``--model gpt-4o-mini`` chunks sensibly.
_KNOWN_CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4o": 128_000,
    "gpt-4.1": 1_000_000,
    "gpt-5": 272_000,
    "o3": 200_000,
    "o4": 200_000,
}
_DEFAULT_CONTEXT_WINDOW = 32_000

# What a ``provider = "local"`` profile gets unless it says otherwise: the built-in profile's
# settings, which suit any GGUF run on a CPU.
_LOCAL_DEFAULTS: dict[str, Any] = {
    "context_window": 8192,
    "max_output_tokens": 2048,
    "structured_output": "json_object_schema",
    "timeout": 1800.0,  # a CPU model is slow; a chunk can take minutes on 2 cores
    "max_retries": 0,  # in-process: nothing transient to wait out
}


class ModelProfile(BaseModel):
    """Everything needed to reach one model."""

    model_config = ConfigDict(extra="forbid")

    name: str
    model: str
    provider: Provider = "openai"
    base_url: str | None = None
    api_key_env: str | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True, repr=False)
    api_version: str | None = None  # Azure OpenAI only
    context_window: int = Field(default=_DEFAULT_CONTEXT_WINDOW, gt=512)
    max_output_tokens: int = Field(default=2048, gt=0)
    structured_output: StructuredOutput = "json_schema"
    temperature: float = 0.0
    seed: int | None = 0
    timeout: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)  # re-asks on invalid output
    max_retries: int = Field(default=4, ge=0)  # retries on transient endpoint faults
    retry_budget_seconds: float = Field(default=180.0, gt=0)
    n_threads: int | None = None  # local model only
    # Local model only: a GGUF file run in-process instead of the built-in model, and the
    # llama-cpp-python chat format for a file whose metadata has no chat template.
    model_path: Path | None = None
    chat_format: str | None = None
    strategy: Strategy | None = None  # overrides the settings' strategy for this model
    cache: bool = False  # keep replies in the response cache (summarize.cache)

    @model_validator(mode="before")
    @classmethod
    def _local_defaults(cls, data: Any) -> Any:
        """A local profile takes the built-in one's settings and needs no model id (its file
        names it); ``n_ctx``, llama.cpp's name for the context size, is ``context_window``."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "n_ctx" in data:
            data["context_window"] = data.pop("n_ctx")
        if data.get("provider") == "local":
            data = {**_LOCAL_DEFAULTS, **data}
            if not data.get("model"):
                path = data.get("model_path")
                data["model"] = Path(str(path)).stem if path else LOCAL_MODEL_ID
        return data

    @model_validator(mode="after")
    def _model_path_is_local(self) -> ModelProfile:
        if self.model_path is not None:
            if not self.is_local:
                raise ValueError('model_path needs provider = "local"')
            self.model_path = self.model_path.expanduser()
        return self

    @property
    def is_local(self) -> bool:
        return self.provider == "local"

    @property
    def endpoint(self) -> str:
        """Where requests go, for messages (never includes credentials)."""
        if self.is_local:
            return f"embedded {self.model_path}" if self.model_path else "embedded local model"
        return self.base_url or "https://api.openai.com/v1"

    def resolved_api_key(self, env: Mapping[str, str] | None = None) -> str:
        """The key to send: explicit, the profile's env var, SUMMARIZE_API_KEY, OPENAI_API_KEY.

        Endpoints that need no key (the local model, most vLLM/Ollama/llama.cpp servers) get a
        placeholder, since the openai client insists on one.
        """
        env = os.environ if env is None else env
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        for var in (self.api_key_env, "SUMMARIZE_API_KEY", "OPENAI_API_KEY"):
            if var and env.get(var):
                return env[var]
        if self.is_local or self.base_url:
            return "not-needed"
        hint = f"${self.api_key_env}, " if self.api_key_env else ""
        raise ConfigError(
            f"profile {self.name!r} needs an API key for {self.endpoint}: "
            f"set {hint}$SUMMARIZE_API_KEY or $OPENAI_API_KEY"
        )


def _local_profile() -> ModelProfile:
    return ModelProfile(name=LOCAL_PROFILE, model=LOCAL_MODEL_ID, provider="local")


class Settings(BaseModel):
    """Resolved settings: the profiles and the options of the pipeline."""

    model_config = ConfigDict(extra="forbid")

    model: str = LOCAL_PROFILE
    base_url: str | None = None  # endpoint for raw model ids and profiles that name none
    models: dict[str, ModelProfile] = Field(default_factory=lambda: {"local": _local_profile()})
    prompts_dir: Path | None = None
    cache_dir: Path | None = None  # the response cache's folder ($SUMMARIZE_CACHE_DIR beats it)
    cache: bool = False  # the response cache for every profile (--cache)
    merge: Literal["deterministic", "model"] = "deterministic"
    strategy: Strategy = "passes"
    # "sentences": where the endpoint enforces a schema, evidence must be one of the chunk's
    # sentences (a JSON Schema enum), so every quote is verbatim by construction.
    # "free": the model writes quotes, and grounding checks them afterwards.
    evidence: Literal["sentences", "free"] = "sentences"
    max_article_chars: int = Field(default=2_000_000, gt=0)
    concurrency: int = Field(default=4, ge=1)
    source: Path | None = Field(default=None, exclude=True)  # the TOML file read, if any

    def with_strategy(self, strategy: Strategy | None) -> Settings:
        """These settings with ``strategy`` for every model (an argument beats the file)."""
        if strategy is None:
            return self
        models = {k: p.model_copy(update={"strategy": None}) for k, p in self.models.items()}
        return self.model_copy(update={"strategy": strategy, "models": models})

    def profile(self, name_or_model: str | None = None) -> ModelProfile:
        """The profile for a name, or an ad-hoc OpenAI-style profile for a raw model id."""
        key = name_or_model or self.model
        profile = self.models.get(key)
        if profile is None:
            window = next(
                (w for prefix, w in _KNOWN_CONTEXT_WINDOWS.items() if key.startswith(prefix)),
                _DEFAULT_CONTEXT_WINDOW,
            )
            profile = ModelProfile(name=key, model=key, context_window=window)
        if not profile.is_local and profile.base_url is None and self.base_url:
            profile = profile.model_copy(update={"base_url": self.base_url})
        return profile


def _config_path(env: Mapping[str, str], cwd: Path) -> Path | None:
    if env.get("SUMMARIZE_CONFIG"):
        path = Path(env["SUMMARIZE_CONFIG"]).expanduser()
        if not path.is_file():
            raise ConfigError(f"$SUMMARIZE_CONFIG names {path}, which does not exist")
        return path
    for candidate in (
        cwd / "summarize.toml",
        Path(platformdirs.user_config_dir("summarize")) / "summarize.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" + (
        f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    )


def load_settings(
    path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build ``Settings`` from defaults, a TOML file, the environment and ``overrides``."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    config_path = Path(path) if path is not None else _config_path(env, cwd)
    raw: dict[str, Any] = _read_toml(config_path) if config_path is not None else {}

    profiles: dict[str, ModelProfile] = {LOCAL_PROFILE: _local_profile()}
    for name, table in (raw.pop("models", None) or {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"{config_path}: [models.{name}] must be a table")
        base = profiles[name].model_dump() if name in profiles else {}
        if name != LOCAL_PROFILE and "provider" not in table:
            base["provider"] = (
                "local"
                if "model_path" in table
                else "azure"
                if "api_version" in table
                else "openai"
            )
        if "model_path" in table:
            if "model" not in table:
                base.pop("model", None)  # named after the file, not the built-in model
            if config_path is not None and isinstance(table["model_path"], str):
                # Relative to the file that names it; "~" and absolute paths as written.
                path = Path(table["model_path"]).expanduser()
                table = {**table, "model_path": config_path.parent / path}
        try:
            profiles[name] = ModelProfile.model_validate({**base, **table, "name": name})
        except ValidationError as exc:
            raise ConfigError(f"{config_path}: [models.{name}] {_describe(exc)}") from exc

    data: dict[str, Any] = {**raw, "models": profiles, "source": config_path}
    # The environment points hosted profiles that name no endpoint of their own (and raw model
    # ids) at an endpoint; the embedded model stays embedded.
    if env.get("SUMMARIZE_BASE_URL") or env.get("OPENAI_BASE_URL"):
        data["base_url"] = env.get("SUMMARIZE_BASE_URL") or env.get("OPENAI_BASE_URL")
    if env.get("SUMMARIZE_MODEL"):
        data["model"] = env["SUMMARIZE_MODEL"]
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = Settings.model_validate(data)
        # The environment and arguments beat the file, a profile's strategy included.
        strategy = overrides.get("strategy") or env.get("SUMMARIZE_STRATEGY")
        return (
            settings.with_strategy(Settings.model_validate({"strategy": strategy}).strategy)
            if strategy
            else settings
        )
    except ValidationError as exc:
        where = f"{config_path}: " if config_path else ""
        raise ConfigError(f"{where}{_describe(exc)}") from exc
