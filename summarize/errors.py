"""Every error the library raises, in one tree.

A user of ``brief()`` only ever sees a ``SummarizeError``; each carries the data needed to act
on it, and ``str(error)`` is one line fit for a terminal. No error message ever contains an API
key: errors name the profile and the endpoint, never the credentials.

    SummarizeError
    ├── InputError                  the article cannot be briefed (empty, binary, too large)
    │   └── FetchError              its URL could not be fetched (carries url, status_code)
    ├── ConfigError                 bad configuration: unknown profile, missing key, bad TOML
    ├── TemplateError               a prompt template is missing or fails to render
    ├── LocalModelError             the embedded model's runtime or weights are unavailable
    └── ModelError                  a model endpoint failed (carries profile and base_url)
        ├── TransientModelError     429, 5xx, timeouts, dropped connections: worth retrying
        │   └── ModelUnavailableError   retries ran out (carries attempts)
        ├── PermanentModelError     401, 400, 404, unknown model: retrying cannot help
        └── InvalidOutputError      the model's output never validated (attempts, last output,
                                    usage)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summarize.schema import Usage

__all__ = [
    "ConfigError",
    "FetchError",
    "InputError",
    "InvalidOutputError",
    "LocalModelError",
    "ModelError",
    "ModelUnavailableError",
    "PermanentModelError",
    "SummarizeError",
    "TemplateError",
    "TransientModelError",
]


class SummarizeError(Exception):
    """Root of every error raised by summarize."""


class InputError(SummarizeError):
    """The article cannot be briefed as given."""


class FetchError(InputError):
    """An article's URL could not be fetched: no connection, no answer in time, an HTTP error
    status, too large, or not a page. ``str()`` names the URL and the reason."""

    def __init__(self, url: str, reason: str, *, status_code: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"{url}: {reason}")


class ConfigError(SummarizeError):
    """The configuration is invalid or incomplete."""


class TemplateError(SummarizeError):
    """A prompt template is missing, unsafe, or fails to render."""


class LocalModelError(SummarizeError):
    """The embedded local model cannot be loaded (runtime or weights missing or corrupt)."""


class ModelError(SummarizeError):
    """A model endpoint failed. Names the profile and endpoint, never the key."""

    def __init__(
        self,
        message: str,
        *,
        profile: str = "",
        base_url: str = "",
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message  # without the profile and endpoint that str() adds
        self.profile = profile
        self.base_url = base_url
        self.status_code = status_code
        self.retry_after = retry_after
        where = f" (profile {profile!r}" + (f" at {base_url}" if base_url else "") + ")"
        super().__init__(message + (where if profile else ""))


class TransientModelError(ModelError):
    """A fault that may go away: rate limits, server errors, timeouts, dropped connections."""


class ModelUnavailableError(TransientModelError):
    """Transient faults persisted past the retry budget."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        profile: str = "",
        base_url: str = "",
        status_code: int | None = None,
    ) -> None:
        self.attempts = attempts
        super().__init__(message, profile=profile, base_url=base_url, status_code=status_code)


class PermanentModelError(ModelError):
    """A fault that retrying cannot fix: bad credentials, bad request, unknown model."""


class InvalidOutputError(ModelError):
    """The model never produced output that validates against the briefing schema."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        last_output: str,
        usage: Usage | None = None,
        profile: str = "",
        base_url: str = "",
    ) -> None:
        self.attempts = attempts
        self.last_output = last_output
        self.usage = usage
        super().__init__(message, profile=profile, base_url=base_url)
