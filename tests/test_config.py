from __future__ import annotations

from pathlib import Path

import pytest

from summarize.config import LOCAL_PROFILE, load_settings
from summarize.errors import ConfigError

TOML = """
model = "gpt"
merge = "model"

[models.gpt]
model = "gpt-4o-mini"
api_key_env = "MY_GPT_KEY"
context_window = 128000

[models.ollama]
base_url = "http://localhost:11434/v1"
model = "qwen2.5:7b"
structured_output = "json_object"

[models.azure]
base_url = "https://example.openai.azure.com"
api_version = "2024-10-21"
model = "my-deployment"
"""


def write(tmp: Path, text: str) -> Path:
    path = tmp / "summarize.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_brief_on_the_embedded_model(in_tmp_cwd: Path) -> None:
    settings = load_settings()
    profile = settings.profile()
    assert settings.model == LOCAL_PROFILE
    assert profile.is_local
    assert profile.structured_output == "json_object_schema"
    assert profile.resolved_api_key() == "not-needed"


def test_toml_in_the_current_directory_defines_profiles(in_tmp_cwd: Path) -> None:
    write(in_tmp_cwd, TOML)
    settings = load_settings()
    assert settings.model == "gpt"
    assert settings.merge == "model"
    assert settings.profile("ollama").structured_output == "json_object"
    assert settings.profile("ollama").base_url == "http://localhost:11434/v1"
    assert settings.profile("azure").provider == "azure"
    assert settings.profile("gpt").provider == "openai"
    assert settings.source == in_tmp_cwd / "summarize.toml"


def test_user_config_dir_is_read_when_the_cwd_has_none(
    in_tmp_cwd: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg = tmp_path_factory.mktemp("xdg")
    (xdg / "summarize").mkdir()
    write(xdg / "summarize", 'model = "from-user-dir"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert load_settings().model == "from-user-dir"


def test_precedence_toml_then_env_then_arguments(
    in_tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(in_tmp_cwd, TOML)
    assert load_settings().model == "gpt"
    monkeypatch.setenv("SUMMARIZE_MODEL", "ollama")
    assert load_settings().model == "ollama"
    assert load_settings(model="azure").model == "azure"


def test_raw_model_id_uses_the_environment_endpoint(
    in_tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMARIZE_BASE_URL", "http://127.0.0.1:9999/v1")
    monkeypatch.setenv("SUMMARIZE_API_KEY", "sk-env")
    profile = load_settings().profile("gpt-4o-mini")
    assert profile.model == "gpt-4o-mini"
    assert profile.base_url == "http://127.0.0.1:9999/v1"
    assert profile.structured_output == "json_schema"
    assert profile.context_window == 128_000
    assert profile.resolved_api_key() == "sk-env"
    # The embedded model is never redirected by the environment.
    assert load_settings().profile("local").base_url is None


def test_profiles_with_their_own_endpoint_keep_it(
    in_tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(in_tmp_cwd, TOML)
    monkeypatch.setenv("SUMMARIZE_BASE_URL", "http://127.0.0.1:9999/v1")
    settings = load_settings()
    assert settings.profile("ollama").base_url == "http://localhost:11434/v1"
    assert settings.profile("gpt").base_url == "http://127.0.0.1:9999/v1"


def test_api_key_lookup_order(in_tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(in_tmp_cwd, TOML)
    profile = load_settings().profile("gpt")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert profile.resolved_api_key() == "sk-openai"
    monkeypatch.setenv("SUMMARIZE_API_KEY", "sk-summarize")
    assert profile.resolved_api_key() == "sk-summarize"
    monkeypatch.setenv("MY_GPT_KEY", "sk-profile")
    assert profile.resolved_api_key() == "sk-profile"


def test_hosted_openai_without_a_key_is_a_clear_error(in_tmp_cwd: Path) -> None:
    profile = load_settings().profile("gpt-4o-mini")
    with pytest.raises(ConfigError, match="needs an API key"):
        profile.resolved_api_key()


def test_keys_never_appear_in_dumps_or_reprs(in_tmp_cwd: Path) -> None:
    write(in_tmp_cwd, TOML + '\n[models.keyed]\nmodel = "m"\napi_key = "sk-VERY-SECRET-123"\n')
    settings = load_settings()
    profile = settings.profile("keyed")
    assert profile.resolved_api_key() == "sk-VERY-SECRET-123"
    for text in (
        repr(profile),
        str(profile),
        profile.model_dump_json(),
        settings.model_dump_json(),
    ):
        assert "sk-VERY-SECRET-123" not in text


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("model = [", "cannot read"),
        ("[models.x]\nmodel = 'm'\ncontext_window = 10\n", "context_window"),
        ("[models.x]\nmodel = 'm'\nbogus = 1\n", "bogus"),
        ("[models]\nx = 3\n", "must be a table"),
        ("merge = 'sometimes'\n", "merge"),
    ],
)
def test_bad_config_is_one_clear_error(in_tmp_cwd: Path, toml: str, message: str) -> None:
    write(in_tmp_cwd, toml)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings()
    assert "summarize.toml" in str(info.value)


def test_summarize_config_env_must_exist(in_tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZE_CONFIG", str(in_tmp_cwd / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()
