"""The resumable-batch guarantee with real processes: ``kill -9`` a batch midway, rerun it.

A slow echoing server (``python -m summarize.testing_server --latency 0.2``) and the
``summarize batch`` command both run as subprocesses. The batch is killed with SIGKILL once
at least 10 results are on disk; the same command is then rerun to completion, and the results
file must hold every id exactly once, as valid JSON lines, with the finished ones skipped.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarize.prompts import Prompts

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and select on pipes")

IDS = [f"a{i:02d}" for i in range(50)]
CITIES = ["Arlon", "Bergen", "Calder", "Dunmore", "Esbjerg", "Faro", "Galway", "Hamar", "Ilam"]
KEY = "sk-test-batch-kill-0123456789"


def article(number: int) -> str:
    city = f"{CITIES[number % len(CITIES)]} {number}"
    return (
        f"The council of {city} voted on Tuesday to approve harbour plan number {number}. "
        f"Mayor Ana Ruiz of {city} said the plan would create {100 + number} local jobs. "
        f"Residents of the old port district of {city} promised to appeal the decision."
    )


# --- processes ------------------------------------------------------------------------------


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate (then kill) a process we started, and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            stream.close()


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "summarize.testing_server", "--latency", "0.2"],
            stdout=subprocess.PIPE,
            stderr=err,
        )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready, f"the test server printed no URL in 15 s: {log.read_text()}"
        url = proc.stdout.readline().decode().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url), (url, log.read_text())
        yield url
    finally:
        _stop(proc)


@pytest.fixture
def batch_env(server_url: str) -> dict[str, str]:
    env = dict(os.environ)  # conftest removed any real credentials and config
    env.update(
        SUMMARIZE_BASE_URL=server_url,
        SUMMARIZE_API_KEY=KEY,
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
    )
    return env


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    path = tmp_path / "input.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number, item_id in enumerate(IDS):
            handle.write(json.dumps({"id": item_id, "text": article(number)}) + "\n")
    return path


def command(inputs: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "summarize.cli",
        "batch",
        str(inputs),
        "--out",
        str(out),
        "--concurrency",
        "4",
        "--model",
        "gpt-4o-mini",
        "--quiet",
    ]


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def run_and_kill(inputs: Path, out: Path, env: dict[str, str], at_least: int = 10) -> int:
    """Start the batch, SIGKILL it once ``at_least`` results are on disk; the lines left."""
    log = out.with_name("killed-run.log")
    with log.open("wb") as output:
        proc = subprocess.Popen(
            command(inputs, out), env=env, cwd=out.parent, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 60
        while count_lines(out) < at_least:
            assert proc.poll() is None, f"the batch ended early: {log.read_text()}"
            assert time.monotonic() < deadline, f"no {at_least} results in 60 s"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        _stop(proc)
    lines = count_lines(out)
    assert at_least <= lines < len(IDS), f"killed after {lines} results: not midway"
    return lines


def rerun(inputs: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(inputs, out),
        env=env,
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- reading the results --------------------------------------------------------------------


def valid_ids(out: Path) -> list[str]:
    """The ids of the complete lines of a results file (what a rerun must skip)."""
    ids = []
    for line in out.read_text(encoding="utf-8").splitlines(keepends=True):
        try:
            ids.append(str(json.loads(line)["id"]))
        except (ValueError, KeyError, TypeError):
            continue
    return ids


def summary_counts(stderr: str) -> tuple[int, int, int]:
    match = re.search(r"(\d+) done, (\d+) failed, (\d+) skipped", stderr)
    assert match, stderr
    done, failed, skipped = (int(g) for g in match.groups())
    return done, failed, skipped


def assert_complete(out: Path) -> list[dict[str, object]]:
    data = out.read_bytes()
    assert data.endswith(b"\n"), "the last line is not terminated"
    records = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"line {number} of {out.name} is not JSON: {line[:120]!r}")
    ids = [r["id"] for r in records]
    assert sorted(ids) == IDS, "every id exactly once"  # type: ignore[type-var]
    assert all(r["ok"] is True for r in records), [r for r in records if not r["ok"]]
    assert all(isinstance(r.get("briefing"), dict) for r in records)
    return records


# --- the tests ------------------------------------------------------------------------------


def test_a_killed_batch_resumes_where_it_stopped(
    inputs: Path, tmp_path: Path, batch_env: dict[str, str]
) -> None:
    out = tmp_path / "results.jsonl"
    run_and_kill(inputs, out, batch_env)
    finished = valid_ids(out)
    assert len(finished) == len(set(finished)) >= 10
    assert set(finished) <= set(IDS)

    second = rerun(inputs, out, batch_env)

    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert_complete(out)
    # The rerun briefed only what the killed run had not finished.
    assert summary_counts(second.stderr) == (len(IDS) - len(finished), 0, len(finished))
    # The lines written before the kill are kept as they were, in front.
    assert valid_ids(out)[: len(finished)] == finished
    assert KEY not in second.stdout + second.stderr and KEY.encode() not in out.read_bytes()


TORN = [
    pytest.param('{"id": "%s", "ok": true, "seconds": 0.2, "brief', id="partial-record"),
    pytest.param(
        '{"id": "%s", "ok": true, "seconds": 0.1, "briefing": {}}',
        id="complete-record-without-newline",
    ),
]


@pytest.mark.parametrize("torn", TORN)
def test_a_torn_last_line_does_not_break_the_rerun(
    inputs: Path, tmp_path: Path, batch_env: dict[str, str], torn: str
) -> None:
    out = tmp_path / "results.jsonl"
    run_and_kill(inputs, out, batch_env)
    finished = valid_ids(out)
    pending = next(i for i in IDS if i not in finished)
    with out.open("a", encoding="utf-8") as handle:  # a write cut short by the kill
        handle.write(torn.replace("%s", pending))

    second = rerun(inputs, out, batch_env)

    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    done, failed, skipped = summary_counts(second.stderr)
    assert failed == 0 and done + skipped == len(IDS)
    assert len(finished) <= skipped <= len(finished) + 1  # the torn line may count, or not
    assert_complete(out)


def test_echo_briefing_quotes_the_article_of_the_request() -> None:
    from summarize.testing_server import Reply, echo_briefing

    messages = Prompts().brief_messages(article(7))
    reply = echo_briefing({"messages": messages})
    assert isinstance(reply, Reply) and isinstance(reply.content, dict)
    first_sentence = article(7).split(". ")[0] + "."
    assert reply.content["positions"][0]["evidence"] == [first_sentence]
