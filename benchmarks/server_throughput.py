"""Articles per minute from the embedded model, in one run: in-process one article at a time
(``summarize batch --concurrency 1`` on the ``local`` profile) versus llama.cpp's own server
(``llama-server``, continuous batching) at ``--parallel 2`` and ``4``, same weights, same
threads, same strategy, on the dev set (issue 12, item 3: ship the server if it wins by 1.3x).

    make llama-server                                   # once: build/llama-server/bin/llama-server
    python benchmarks/server_throughput.py              # every dev article, N = 2 and 4
    python benchmarks/server_throughput.py --limit 3 --parallel 2
    python benchmarks/server_throughput.py --dry-run    # the logic, on fake models (seconds)

Each server configuration starts its own ``llama-server`` on 127.0.0.1 (``--ctx-size N x
--ctx-per-slot``, so every slot holds as much as the in-process model's context window, and
flash attention and batch sizes as llama-cpp-python's defaults), briefs every article with
``concurrency = N`` through an ``openai``-compatible profile (``json_object_schema``, as the
README's ``llamacpp`` profile), and stops the server; Ctrl-C or a kill stops it too. Model
load and one warm-up call are not timed, for either side. Results (JSONL, one briefing a line)
and the server logs go to ``--out``. Run it alone on the machine: another model job halves it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx2

from summarize.batch import BatchResult, BatchSummary, abrief_many
from summarize.config import LOCAL_MODEL_ID, LOCAL_PROFILE, ModelProfile, Settings
from summarize.evaluation.dataset import load_dataset
from summarize.models import ChatModel, CompletionRequest, aclose_model
from summarize.pipeline import resolve_model

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "evals" / "datasets" / "dev"
DEFAULT_BINARY = ROOT / "build" / "llama-server" / "bin" / "llama-server"
TARGET_RATIO = 1.3
STARTUP_SECONDS = 300.0
STOP_SECONDS = 15.0


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def llama_server_command(
    binary: Path,
    model_path: Path,
    *,
    port: int,
    parallel: int,
    ctx_per_slot: int,
    threads: int,
    extra: Sequence[str] = (),
) -> list[str]:
    """``llama-server`` on loopback with ``parallel`` slots of ``ctx_per_slot`` tokens each.

    Without ``--kv-unified`` each slot gets ``ctx-size / parallel`` tokens, hence the product.
    Flash attention off and batches of 512 are what llama-cpp-python runs in-process with, so
    the comparison measures batching, not a different kernel.
    """
    return [
        str(binary),
        "--model", str(model_path),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--parallel", str(parallel),
        "--ctx-size", str(parallel * ctx_per_slot),
        "--threads", str(threads),
        "--threads-batch", str(threads),
        "--batch-size", "512",
        "--ubatch-size", "512",
        "--flash-attn", "off",
        "--cont-batching",
        "--no-webui",
        *extra,
    ]  # fmt: skip


def _die_with_parent() -> None:
    """In the child: SIGTERM when this script dies, even by SIGKILL (Linux only)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class ServerProcess:
    """A model server as a child process, ready when ``GET {base_url}/models`` answers 200,
    stopped (SIGTERM, then SIGKILL) when the ``with`` block ends, however it ends."""

    command: list[str]
    port: int
    log_path: Path
    startup_seconds: float = STARTUP_SECONDS
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_in: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("wb") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        deadline = started + self.startup_seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.command[0]} exited with {self.process.returncode} while starting; "
                    f"{self.log_path}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"{self.base_url}/models", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.command[0]} not ready after {self.startup_seconds:g}s; "
                    f"{self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.25)
        self.started_in = time.monotonic() - started
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the ``with`` blocks, which stop the servers


# --- one configuration --------------------------------------------------------------------------


@dataclass
class Row:
    """What one configuration did: its briefings' count, wall time and cost."""

    name: str
    concurrency: int
    summary: BatchSummary
    calls: int = 0
    cached_tokens: int = 0
    startup: float = 0.0  # seconds to load the model (and start the server), not in ``wall``

    @property
    def wall(self) -> float:
        return self.summary.seconds

    @property
    def per_minute(self) -> float:
        return self.summary.done / (self.wall / 60) if self.wall > 0 else 0.0


def load_articles(dataset: Path, limit: int | None) -> list[tuple[str, str]]:
    """The dataset's articles as ``(id, text)``, in id order, the first ``limit`` of them."""
    cases = load_dataset(dataset).cases
    return [(case.id, case.article_text) for case in cases[:limit]]


async def warm_up(model: ChatModel) -> None:
    """One tiny call: the model is loaded (and the server's threads awake) before the clock."""
    await model.acomplete(
        CompletionRequest(messages=[{"role": "user", "content": "Say OK."}], max_tokens=2)
    )


async def brief_all(
    name: str,
    articles: list[tuple[str, str]],
    model: str | ChatModel,
    settings: Settings,
    concurrency: int,
    out: Path,
) -> Row:
    """Every article through ``summarize batch``'s own path, ``concurrency`` at once."""
    chat_model = resolve_model(model, settings)
    try:
        started = time.monotonic()
        await warm_up(chat_model)
        startup = time.monotonic() - started
        row = Row(name, concurrency, BatchSummary(), startup=startup)

        def on_result(result: BatchResult, summary: BatchSummary) -> None:
            usage = (result.briefing or {}).get("usage") or {}
            row.calls += int(usage.get("calls", 0))
            row.cached_tokens += int(usage.get("cached_tokens", 0))
            state = "ok" if result.ok else f"FAILED {(result.error or {}).get('type')}"
            print(f"  {name}: {result.id} {state} in {result.seconds:.1f}s", flush=True)

        out.unlink(missing_ok=True)  # a results file is resumed: an old one would skip items
        row.summary = await abrief_many(
            articles,
            out=out,
            model=chat_model,
            config=settings,
            concurrency=concurrency,
            on_result=on_result,
        )
        return row
    finally:
        if chat_model is not model:
            await aclose_model(chat_model)


def server_profile(base_url: str, ctx_per_slot: int, local: ModelProfile) -> ModelProfile:
    """The client side of a server run: the README's ``llamacpp`` profile, with the embedded
    model's window (per slot) and output budget, and patience for queued requests."""
    return ModelProfile(
        name="llama-server",
        model=LOCAL_MODEL_ID,
        base_url=base_url,
        structured_output="json_object_schema",
        context_window=ctx_per_slot,
        max_output_tokens=local.max_output_tokens,
        temperature=local.temperature,
        seed=local.seed,
        timeout=local.timeout,  # a request may wait behind N others on 2 cores
        max_retries=0,  # a dead server should end the run at once, not be waited for
    )


# --- the run ------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    base = rows[0].per_minute if rows and rows[0].per_minute else 0.0
    lines = [
        f"{'configuration':<22} {'done':>4} {'failed':>6} {'wall s':>8} {'art/min':>8} "
        f"{'ratio':>6} {'calls':>6} {'prompt tok':>11} {'reused':>9} {'completion':>10} "
        f"{'start s':>7}"
    ]
    for row in rows:
        s = row.summary
        ratio = f"{row.per_minute / base:.2f}x" if base else "-"
        lines.append(
            f"{row.name:<22} {s.done:>4} {s.failed:>6} {row.wall:>8.1f} {row.per_minute:>8.3f} "
            f"{ratio:>6} {row.calls:>6} {s.prompt_tokens:>11,} {row.cached_tokens:>9,} "
            f"{s.completion_tokens:>10,} {row.startup:>7.1f}"
        )
    return "\n".join(lines)


def verdict(rows: list[Row]) -> str:
    base, servers = rows[0], rows[1:]
    if not servers or not base.per_minute:
        return "no ratio: nothing to compare"
    best = max(servers, key=lambda r: r.per_minute)
    ratio = best.per_minute / base.per_minute
    failed = sum(r.summary.failed for r in rows)
    decision = "ship it" if ratio >= TARGET_RATIO else "leave it out"
    note = f" ({failed} failed briefing(s): check --out before trusting this)" if failed else ""
    return (
        f"best server: {best.name} at {ratio:.2f}x in-process "
        f"(target >= {TARGET_RATIO}x: {decision}){note}"
    )


def run(args: argparse.Namespace) -> list[Row]:
    articles = load_articles(args.dataset, args.limit)
    if not articles:
        raise SystemExit(f"{args.dataset}: no articles")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    # The built-in profiles (no config file, no response cache); ``concurrency`` is the calls
    # of one article in flight at once (the passes), so N articles make up to N x that requests.
    settings = Settings(strategy=args.strategy, concurrency=args.calls_per_article)
    local = settings.profile(LOCAL_PROFILE)
    threads = args.threads or local.n_threads or os.cpu_count() or 2
    ctx_per_slot = args.ctx_per_slot or local.context_window
    inprocess_model: str | ChatModel = LOCAL_PROFILE
    if args.dry_run:
        from summarize.testing import echo_model

        inprocess_model = echo_model(latency=args.latency)
        model_path = Path("(fake)")
    else:
        import summarize.local

        binary = Path(args.llama_server)
        if not binary.is_file():
            raise SystemExit(f"{binary}: no llama-server binary here; run `make llama-server`")
        model_path = args.model_path or summarize.local.ensure_weights()
    chars = sum(len(text) for _, text in articles)
    print(
        f"{len(articles)} article(s) from {args.dataset} ({chars:,} chars), strategy "
        f"{args.strategy}, {threads} thread(s), {ctx_per_slot} tokens of context per slot, "
        f"up to {settings.concurrency} call(s) per article at once; "
        f"weights {model_path}" + (" [dry run: fake models]" if args.dry_run else ""),
        flush=True,
    )
    rows = [
        asyncio.run(
            brief_all("in-process", articles, inprocess_model, settings, 1, out / "inprocess.jsonl")
        )
    ]
    print(table(rows), flush=True)
    for parallel in args.parallel:
        port = free_port()
        if args.dry_run:
            command = [sys.executable, "-m", "summarize.testing_server", "--port", str(port)]
            command += ["--latency", str(args.latency)]
        else:
            command = llama_server_command(
                binary, model_path, port=port, parallel=parallel, ctx_per_slot=ctx_per_slot,
                threads=threads, extra=shlex.split(args.server_args),
            )  # fmt: skip
        name = f"llama-server N={parallel}"
        log_path = out / f"llama-server-{parallel}.log"
        print(f"{name}: {shlex.join(command)} (log: {log_path})", flush=True)
        with ServerProcess(command, port, log_path) as server:
            profile = server_profile(server.base_url, ctx_per_slot, local)
            models = {**settings.models, profile.name: profile}
            server_settings = settings.model_copy(update={"models": models})
            row = asyncio.run(
                brief_all(
                    name, articles, profile.name, server_settings, parallel,
                    out / f"server-{parallel}.jsonl",
                )
            )  # fmt: skip
            row.startup += server.started_in
        rows.append(row)
        print(table(rows), flush=True)
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEV, help="an eval dataset folder")
    parser.add_argument("--limit", type=int, default=None, help="the first K articles only")
    parser.add_argument(
        "--parallel",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[2, 4],
        help="server slots (= the batch's concurrency) to try, comma-separated (default 2,4)",
    )
    parser.add_argument("--strategy", choices=["passes", "single"], default="passes")
    parser.add_argument(
        "--calls-per-article",
        type=int,
        default=Settings().concurrency,
        help="calls of one article in flight at once (default: the settings' concurrency)",
    )
    parser.add_argument(
        "--ctx-per-slot", type=int, default=None, help="default: the local profile's window"
    )
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument(
        "--llama-server",
        default=os.environ.get("LLAMA_SERVER", str(DEFAULT_BINARY)),
        help="the binary (default: $LLAMA_SERVER, else make llama-server's)",
    )
    parser.add_argument(
        "--model-path", type=Path, default=None, help="a GGUF (default: the embedded model's)"
    )
    parser.add_argument(
        "--server-args", default="", help='more llama-server flags, e.g. "--flash-attn on"'
    )
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "server-throughput")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="fake models: the echoing fake in-process, the fake server as the server",
    )
    parser.add_argument("--latency", type=float, default=0.05, help="per call, --dry-run only")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[Row]:
    args = parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        rows = run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(verdict(rows))
    return rows


if __name__ == "__main__":
    main()
