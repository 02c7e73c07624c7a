"""Shared fixtures: no test can reach a real endpoint, waits take no time, config is isolated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import summarize.models
import summarize.retry

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "macron-trump-ukraine-talks.txt"


@pytest.fixture(autouse=True)
def _no_real_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summarize.models, "ALLOW_MODEL_REQUESTS", False)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry waits are recorded instead of slept."""
    waits: list[float] = []

    async def asleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(summarize.retry, "sleep", waits.append)
    monkeypatch.setattr(summarize.retry, "asleep", asleep)
    return waits


@pytest.fixture(autouse=True)
def _isolated_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No user config file and no credentials from the developer's environment."""
    for var in (
        "SUMMARIZE_CONFIG",
        "SUMMARIZE_MODEL",
        "SUMMARIZE_STRATEGY",
        "SUMMARIZE_BASE_URL",
        "SUMMARIZE_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture
def waits(_no_waiting: list[float]) -> list[float]:
    return _no_waiting


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path
