"""benchmarks/server_throughput.py without a model: its dry run (the echoing fake in-process,
the fake server as a subprocess), the llama-server command it builds, and that a server it
started never outlives it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    path = ROOT / "benchmarks" / "server_throughput.py"
    spec = importlib.util.spec_from_file_location("server_throughput", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = _load()


def _fake_server(tmp_path: Path) -> Any:
    port = bench.free_port()
    command = [sys.executable, "-m", "summarize.testing_server", "--port", str(port)]
    return bench.ServerProcess(command, port, tmp_path / "fake.log")


def test_a_dry_run_briefs_every_article_in_each_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = bench.main(
        ["--dry-run", "--limit", "2", "--parallel", "2,3", "--latency", "0", "--out", str(tmp_path)]
    )

    assert [r.name for r in rows] == ["in-process", "llama-server N=2", "llama-server N=3"]
    assert [r.concurrency for r in rows] == [1, 2, 3]
    for row in rows:
        assert (row.summary.done, row.summary.failed) == (2, 0)
        assert row.calls > 0 and row.summary.prompt_tokens > 0
        assert row.wall > 0 and row.per_minute > 0
    for name in ("inprocess", "server-2", "server-3"):
        lines = (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        # The first two articles of the dev set, in its order (file names).
        first_two = sorted(p.stem for p in (ROOT / "evals" / "datasets" / "dev").glob("*.yaml"))[:2]
        assert sorted(json.loads(line)["id"] for line in lines) == first_two
        assert all(json.loads(line)["ok"] for line in lines)
    printed = capsys.readouterr().out
    assert "art/min" in printed and "ratio" in printed
    assert "best server: llama-server N=" in printed and "target >= 1.3x" in printed


def test_a_second_run_starts_afresh_instead_of_resuming(tmp_path: Path) -> None:
    args = ["--dry-run", "--limit", "1", "--parallel", "2", "--latency", "0"]
    bench.main([*args, "--out", str(tmp_path)])
    rows = bench.main([*args, "--out", str(tmp_path)])
    assert all(r.summary.done == 1 and r.summary.skipped == 0 for r in rows)


def test_each_slot_gets_the_whole_per_slot_context_on_loopback() -> None:
    command = bench.llama_server_command(
        Path("/bin/llama-server"), Path("m.gguf"), port=8081, parallel=4, ctx_per_slot=8192,
        threads=2,
    )  # fmt: skip
    flags = dict(zip(command[1::2], command[2::2], strict=False))
    assert flags["--host"] == "127.0.0.1"
    assert flags["--parallel"] == "4"
    assert flags["--ctx-size"] == str(4 * 8192)
    assert flags["--threads"] == flags["--threads-batch"] == "2"
    assert "--kv-unified" not in command  # else one slot could take the whole context


def test_the_server_is_stopped_when_the_run_is_interrupted(tmp_path: Path) -> None:
    server = _fake_server(tmp_path)
    with pytest.raises(KeyboardInterrupt), server:
        assert server.alive()
        raise KeyboardInterrupt
    assert server.process is not None and server.process.poll() is not None


def test_a_server_that_dies_while_starting_is_reported_with_its_log(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; print('no such model'); sys.exit(3)"]
    server = bench.ServerProcess(command, bench.free_port(), tmp_path / "dead.log")
    with pytest.raises(RuntimeError, match=r"exited with 3(.|\n)*no such model"), server:
        pass


def test_a_missing_binary_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make llama-server"):
        bench.main(["--llama-server", str(tmp_path / "nope"), "--limit", "1"])
