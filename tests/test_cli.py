"""The CLI: output formats, files and stdin, and one-line errors (never a traceback)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import summarize.pipeline
from summarize.cli import main
from summarize.config import Settings
from summarize.errors import PermanentModelError
from summarize.schema import Briefing, DraftActor, DraftBriefing, DraftOpenQuestion, DraftPosition
from summarize.testing import FakeModel

QUOTE = "Putin, in turn, demands a complete cessation of military aid to Kyiv"
SEED = Path(__file__).resolve().parent.parent / "seeds" / "macron-trump-ukraine-talks.txt"


def draft() -> DraftBriefing:
    return DraftBriefing(
        summary="Putin sets conditions.",
        actors=[
            DraftActor(
                name="Vladimir Putin", aliases=["Putin"], kind="person", role="President of Russia"
            )
        ],
        positions=[
            DraftPosition(
                actor="Putin", evidence=[QUOTE], stance="Demands an end to military aid to Kyiv."
            )
        ],
        open_questions=[DraftOpenQuestion(question="Will Europe comply?", why_open="Undecided.")],
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    # These tests are about the command line; the fake answers the single strategy's one call.
    monkeypatch.setenv("SUMMARIZE_STRATEGY", "single")
    model = FakeModel(default=draft())
    original = summarize.pipeline.resolve_model

    def resolve(name: Any, settings: Settings) -> Any:
        return model if name in (None, "fake") else original(name, settings)

    monkeypatch.setattr(summarize.pipeline, "resolve_model", resolve)
    return model


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def test_brief_prints_markdown(fake: FakeModel, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["brief", str(SEED), "--quiet"], capsys)
    assert code == 0, err
    assert out.startswith("# Briefing")
    assert f"“{QUOTE}”" in out
    assert len(fake.history) == 1


def test_brief_prints_json_that_validates(
    fake: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["brief", str(SEED), "--format", "json", "-q"], capsys)
    assert code == 0
    briefing = Briefing.model_validate_json(out)
    assert briefing.positions[0].evidence[0].verified
    assert json.loads(out)["verified_share"] == 1.0


def test_brief_reads_stdin_and_writes_a_file(
    fake: FakeModel,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SEED.read_bytes())))
    out_path = tmp_path / "b.json"
    code, out, err = run(["brief", "-", "-f", "json", "--out", str(out_path)], capsys)
    assert code == 0
    assert out == ""
    assert "wrote" in err
    assert Briefing.model_validate_json(out_path.read_text()).summary == "Putin sets conditions."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["brief", "no/such/file.txt"], "no such file"),
        (["brief", "."], "is a folder"),
        (["brief", str(SEED), "--format", "pdf"], "--format must be"),
        (["brief", str(SEED), "--model", "gpt-4o-mini"], "needs an API key"),
    ],
)
def test_errors_are_one_line_without_traceback(
    fake: FakeModel, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(args, capsys)
    assert code != 0
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert out == ""


def test_empty_input_is_a_clear_error(
    fake: FakeModel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    code, _, err = run(["brief", str(empty)], capsys)
    assert code == 1
    assert "empty" in err


def test_model_errors_are_one_line_and_debug_shows_the_traceback(
    fake: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.default = PermanentModelError("HTTP 401, the API key was rejected", profile="fake")
    code, _, err = run(["brief", str(SEED), "-q"], capsys)
    assert code == 1
    assert "the API key was rejected" in err and "Traceback" not in err
    with pytest.raises(PermanentModelError):
        main(["--debug", "brief", str(SEED), "-q"])


def test_schema_command_prints_the_briefing_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema"], capsys)
    assert code == 0
    schema = json.loads(out)
    assert set(schema["properties"]) >= {
        "summary",
        "actors",
        "positions",
        "open_questions",
        "usage",
    }


def test_models_command_lists_profiles(
    capsys: pytest.CaptureFixture[str], in_tmp_cwd: Path
) -> None:
    (in_tmp_cwd / "summarize.toml").write_text(
        '[models.ollama]\nmodel = "qwen2.5:7b"\nbase_url = "http://localhost:11434/v1"\n'
    )
    code, out, _ = run(["models"], capsys)
    assert code == 0
    assert "local (default)" in out and "ollama" in out and "localhost:11434" in out


def test_brief_against_an_openai_style_endpoint_set_by_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's acceptance check: SUMMARIZE_BASE_URL + SUMMARIZE_API_KEY + --model gpt-4o-mini
    send an OpenAI-style strict json_schema request to that endpoint and parse its answer."""
    from summarize.testing_server import FaultServer

    with FaultServer() as server:
        monkeypatch.setenv("SUMMARIZE_BASE_URL", server.base_url)
        monkeypatch.setenv("SUMMARIZE_STRATEGY", "single")
        monkeypatch.setenv("SUMMARIZE_API_KEY", "sk-test-endpoint-check")
        code, out, err = run(
            ["brief", str(SEED), "--model", "gpt-4o-mini", "--format", "json", "--quiet"], capsys
        )
        assert code == 0, err
        briefing = Briefing.model_validate_json(out)
        assert briefing.positions[0].evidence[0].verified
        (request,) = server.completions
    body = request.body or {}
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "***"  # sent (the server redacts its record)
    assert body["model"] == "gpt-4o-mini"
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"summary", "actors", "positions", "open_questions"}
