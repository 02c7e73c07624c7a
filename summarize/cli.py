"""The ``summarize`` command: a thin typer front over the library.

Errors are one line on stderr and a non-zero exit (1 for a ``SummarizeError``, 2 for a usage
error, 130 when interrupted); ``--debug`` shows tracebacks and debug logs instead. Progress goes
to stderr so that stdout carries only the briefing.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from summarize.config import Settings, load_settings
from summarize.errors import InputError, SummarizeError

app = typer.Typer(
    name="summarize",
    help="Turn news articles into structured, grounded briefings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True)
_state: dict[str, Any] = {"debug": False}

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="A summarize.toml to read instead of the usual places."),
]
StrategyOption = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        help="passes (several small calls; the default) or single (one call per part).",
        case_sensitive=False,
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="A profile name from the config, or a raw model id."),
]
CacheOption = Annotated[
    bool,
    typer.Option(
        "--cache", help="Answer repeated calls from the response cache, keep new replies."
    ),
]


def _say_error(message: str, label: str = "error") -> None:
    # Text, not markup: messages quote article text and server replies, which may contain [...]
    stderr.print(Text.assemble((f"{label}: ", "bold red"), message), soft_wrap=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    _say_error(message)
    raise typer.Exit(code)


def _settings(config: Path | None, strategy: str | None = None, **overrides: Any) -> Settings:
    settings = load_settings(config, **overrides)
    if strategy is not None and strategy.lower() not in ("passes", "single"):
        _fail(f"--strategy must be passes or single, not {strategy!r}", code=2)
    if strategy is None:
        return settings
    return settings.with_strategy("single" if strategy.lower() == "single" else "passes")


def _say_cache(calls: int, hits: int, settings: Settings, model: str | None, quiet: bool) -> None:
    """With the response cache on, how many answers it gave and how many calls were made."""
    if not quiet and (hits or settings.cache or settings.profile(model).cache):
        stderr.print(f"{calls} model call{'s' * (calls != 1)}, {hits} answered from the cache")


def _read_input(source: str) -> tuple[str | bytes, str | None]:
    """The article's text or bytes, and the URL it was fetched from (None for a file)."""
    from summarize.fetch import fetch, is_url

    if is_url(source) or ("://" in source and not Path(source).exists()):
        page = fetch(source)  # refuses ftp:// and the like in its own words
        return page.text, page.url
    if source == "-":
        return sys.stdin.buffer.read(), None
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{path} is a folder, not an article (use 'summarize batch' for folders)")
    try:
        return path.read_bytes(), None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    _state["debug"] = debug
    root = logging.getLogger("summarize")
    for old in [h for h in root.handlers if getattr(h, "_summarize_cli", False)]:
        root.removeHandler(old)  # in-process reruns must not pile up handlers on dead streams
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler._summarize_cli = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logging.getLogger("summarize").addHandler(handler)
        logging.getLogger("summarize").setLevel(logging.DEBUG)


@app.command()
def brief(
    source: Annotated[
        str,
        typer.Argument(help="The article: a .txt/.html/.md file, an http(s) URL, or - for stdin."),
    ],
    model: ModelOption = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="markdown, json, or html (a page: the article beside, quotes highlighted).",
            case_sensitive=False,
        ),
    ] = "markdown",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="The article's title, if not in the text.")
    ] = None,
    config: ConfigOption = None,
    strategy: StrategyOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    cache: CacheOption = False,
) -> None:
    """Brief one article."""
    from summarize.pipeline import Pipeline
    from summarize.pipeline import Progress as Step

    output_format = output_format.lower()
    if output_format not in ("markdown", "json", "html"):
        _fail(f"--format must be markdown, json or html, not {output_format!r}", code=2)
    settings = _settings(config, strategy, cache=cache or None)
    data, url = _read_input(source)
    pipeline = Pipeline(model, settings=settings)
    where = pipeline.profile.endpoint
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} calls"),
        TimeElapsedColumn(),
        console=stderr,
        disable=quiet,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Briefing with {pipeline.profile.name} ({where})", total=None)

        def on_progress(step: Step) -> None:
            progress.update(task, completed=step.done, total=step.total)

        try:
            briefing = pipeline.run(data, title, on_progress, url=url)
        finally:
            pipeline.close()
    _say_cache(briefing.usage.calls, briefing.usage.cache_hits, settings, model, quiet)
    if output_format == "html":
        from summarize.text import clean_article

        # The offsets refer to the cleaned article, exactly as the pipeline cleaned it (HTML
        # turned into text, whitespace tidied), never to the raw bytes of the file.
        article = clean_article(data, max_chars=settings.max_article_chars)
        text = briefing.to_html(article)
    elif output_format == "json":
        text = briefing.model_dump_json(indent=2)
    else:
        text = briefing.to_markdown()
    if out is not None:
        try:
            out.write_text(text + ("\n" if output_format == "json" else ""), encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {out}: {exc.strerror or exc}")
        if not quiet:
            stderr.print(f"wrote {out}")
    else:
        sys.stdout.write(text + ("\n" if output_format == "json" else ""))


@app.command()
def batch(
    source: Annotated[
        str,
        typer.Argument(
            help="A folder of .txt/.md/.html files, a JSONL of {id, text} or {id, url}, "
            "or a .urls/.txt file of URLs, one a line."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="JSONL results; appended to, so reruns resume.")
    ],
    model: ModelOption = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-j", min=1, help="Articles at once.")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run again the items that failed before.")
    ] = False,
    config: ConfigOption = None,
    strategy: StrategyOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    cache: CacheOption = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="local (one process) or ray (Ray Data: JSONL, folder or Parquet)."
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="With --engine ray: a cluster (default $RAY_ADDRESS)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="With --engine ray: actors (models) to run.")
    ] = 2,
) -> None:
    """Brief many articles; every result is appended to --out as soon as it is done."""
    import asyncio

    from rich.progress import MofNCompleteColumn, TimeRemainingColumn

    from summarize.batch import BatchResult, BatchSummary, abrief_many, read_inputs

    settings = _settings(config, strategy, cache=cache or None)
    if engine not in ("local", "ray"):
        _fail(f"--engine must be local or ray, not {engine!r}", code=2)
    items = read_inputs(source) if engine == "local" else None
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=stderr,
        disable=quiet,
    )
    task = progress.add_task("Briefing", total=None, rate="", failed="")
    started = time.monotonic()
    spent = {"calls": 0, "cache_hits": 0}

    def on_start(pending: int, skipped: int) -> None:
        if skipped and not quiet:
            stderr.print(f"resuming: {skipped} already in {out}, {pending} to do")
        progress.update(task, total=pending)

    def on_result(result: BatchResult, summary: BatchSummary) -> None:
        for name in spent:
            spent[name] += (result.briefing or {}).get("usage", {}).get(name, 0)
        finished = summary.done + summary.failed
        elapsed = max(time.monotonic() - started, 1e-9)
        progress.update(
            task,
            completed=finished,
            rate=f"{finished / elapsed * 60:.1f}/min",
            failed=f"{summary.failed} failed" if summary.failed else "",
        )
        if not result.ok and not quiet:
            error = result.error or {}
            progress.console.print(
                Text.assemble(
                    ("failed ", "yellow"),
                    f"{result.id}: {error.get('type')}: {error.get('message')}",
                )
            )

    summary = BatchSummary()
    try:
        with progress:
            if items is None:
                from summarize.ray_engine import ray_brief_many

                summary = ray_brief_many(
                    source,
                    out=out,
                    model=model,
                    config=settings,
                    concurrency=concurrency,
                    workers=workers,
                    retry_failed=retry_failed,
                    ray_address=ray_address,
                    on_result=on_result,
                    on_start=on_start,
                )
            else:
                summary = asyncio.run(
                    abrief_many(
                        items,
                        out=out,
                        model=model,
                        config=settings,
                        concurrency=concurrency,
                        retry_failed=retry_failed,
                        on_result=on_result,
                        on_start=on_start,
                    )
                )
    except KeyboardInterrupt:
        stderr.print(f"interrupted: finished results are kept in {out}; rerun to resume")
        raise typer.Exit(130) from None
    stderr.print(summary.line() + f"; results in {out}")
    _say_cache(spent["calls"], spent["cache_hits"], settings, model, quiet)
    if summary.failed:
        raise typer.Exit(1)


def _eval_similarity(name: str, baseline: Any, force: bool) -> Any:
    """The similarity backend: ``auto`` against a baseline means the baseline's own backend,
    never a silent fallback to another (whose scores are on another scale)."""
    from summarize.evaluation.similarity import get_similarity

    wanted = name
    if name == "auto" and baseline is not None and baseline.similarity in ("minilm", "lexical"):
        wanted = baseline.similarity
    try:
        return get_similarity(wanted)
    except ValueError as exc:
        _fail(f"--similarity {name}: {exc}", code=2)
    except ImportError as exc:
        if wanted == name:
            _fail(f"--similarity {name}: {exc}", code=2)
        if not force:
            _fail(
                f"the baseline was scored with the {wanted} similarity, which is not installed "
                f"here ({exc}); install it, or --force to compare scores on another scale"
            )
        _say_error(f"{wanted} is not installed ({exc}): scoring with {name}", "warning")
        return get_similarity(name)


def _check_comparable(
    baseline: Any,
    dataset: Any,
    settings: Settings,
    model: str | None,
    similarity: str,
    mode: str,
    force: bool,
) -> None:
    """Refuse, before any model call, a run whose scores could not be set against the
    baseline's; with ``--force``, say so loudly. Warn about what an older baseline lacks."""
    from summarize.evaluation.runner import comparability, dataset_hash
    from summarize.prompts import Prompts

    strategy = settings.profile(model).strategy or settings.strategy
    mismatches, unknown = comparability(
        baseline,
        similarity=similarity,
        prompt_hashes=Prompts(settings.prompts_dir).hashes,
        dataset=dataset_hash(dataset),
        mode=mode,
        strategy=strategy,
    )
    if unknown:
        _say_error(
            "the baseline does not record its " + ", ".join(unknown) + " (written by an older "
            "version): those cannot be checked",
            "warning",
        )
    if mismatches and not force:
        for why in mismatches:
            _say_error(f"not comparable with the baseline: {why}")
        _fail("refusing to compare: the runs differ (--force to compare anyway)")
    for why in mismatches:
        _say_error(f"NOT COMPARABLE, compared anyway (--force): {why}", "warning")


@app.command("eval")
def eval_command(
    dataset_path: Annotated[Path, typer.Argument(help="A folder of reference YAML files.")],
    model: ModelOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write results.json, report.md, report.html.")
    ] = None,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Fail (exit 1) below this overall score.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="An earlier results.json to compare with.")
    ] = None,
    max_drop: Annotated[
        float | None,
        typer.Option(
            "--max-drop",
            help="With --baseline: also fail if a field's mean drops by more than this.",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the bootstrap intervals (reproducible).")
    ] = 0,
    record: Annotated[bool, typer.Option("--record", help="Save every model call.")] = False,
    replay: Annotated[
        bool, typer.Option("--replay", help="Answer every call from recordings (offline).")
    ] = False,
    recordings: Annotated[
        Path | None,
        typer.Option("--recordings", help="Recordings folder (default: evals/recordings/...)."),
    ] = None,
    similarity: Annotated[
        str, typer.Option("--similarity", help="auto, minilm or lexical.")
    ] = "auto",
    check: Annotated[
        bool, typer.Option("--check", help="Only validate the dataset; call no model.")
    ] = False,
    judge: Annotated[
        str | None,
        typer.Option("--judge", help="Also grade each briefing with this profile (an LLM rubric)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="With --baseline: compare even when the runs differ in similarity backend, "
            "templates, dataset, mode or strategy (loud warnings instead of a refusal).",
        ),
    ] = False,
    epochs: Annotated[
        int,
        typer.Option(
            "--epochs", min=1, help="Run every case N times (live only): means and spread."
        ),
    ] = 1,
    temperature: Annotated[
        float | None,
        typer.Option("--temperature", min=0.0, help="Sample the model at this temperature."),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=1,
            help="Cases briefed at once on a remote endpoint (the embedded model: one).",
        ),
    ] = 1,
    config: ConfigOption = None,
    strategy: StrategyOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    cache: CacheOption = False,
) -> None:
    """Score a model profile against hand-labelled reference briefings."""
    from summarize.evaluation.dataset import load_dataset
    from summarize.evaluation.report import print_summary, write_reports
    from summarize.evaluation.runner import CaseResult, compare, load_results, run_eval
    from summarize.evaluation.stats import Bootstrap

    if record and replay:
        _fail("--record and --replay exclude each other", code=2)
    if epochs > 1 and (record or replay):
        _fail(
            f"--epochs {epochs} needs a live run: recordings answer every epoch as the first",
            code=2,
        )
    dataset = load_dataset(dataset_path)
    if check:
        stderr.print(f"{dataset.name}: {len(dataset.cases)} cases, no problems")
        return
    base = None
    if baseline is not None:
        try:
            base = load_results(baseline)
        except (OSError, ValueError) as exc:
            _fail(f"cannot read the baseline {baseline}: {str(exc).splitlines()[0]}")
    settings = _settings(config, strategy, cache=cache or None)
    mode = "replay" if replay else "record" if record else "live"
    backend = _eval_similarity(similarity, base, force)
    if base is not None:
        _check_comparable(base, dataset, settings, model, backend.name, mode, force)
    if concurrency > 1 and settings.profile(model).is_local and not quiet:
        stderr.print("the embedded model briefs one case at a time: --concurrency ignored")
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} cases"),
        TimeElapsedColumn(),
        console=stderr,
        disable=quiet,
        transient=True,
    )
    task = progress.add_task(f"eval {dataset.name} ({mode})", total=len(dataset.cases) * epochs)

    def on_case(result: CaseResult, number: int, total: int) -> None:
        progress.update(task, completed=number, description=f"eval {dataset.name}: {result.id}")

    with progress:
        results = run_eval(
            dataset,
            model=model,
            settings=settings,
            mode=mode,  # type: ignore[arg-type]
            recordings=recordings,
            similarity=backend,
            on_case=on_case,
            judge=judge,
            bootstrap=Bootstrap(seed=seed),
            epochs=epochs,
            temperature=temperature,
            concurrency=concurrency,
        )
    usages = [c.usage for c in results.cases if c.usage is not None]
    if mode != "replay":
        calls, hits = sum(u.calls for u in usages), sum(u.cache_hits for u in usages)
        _say_cache(calls, hits, settings, model, quiet)
    comparison = compare(results, base) if base is not None else None
    print_summary(results, Console(width=None if sys.stdout.isatty() else 160), comparison)
    if out is not None:
        for path in write_reports(results, out, dataset, comparison):
            stderr.print(f"wrote {path}")
    failures = []
    overall = results.aggregate.get("overall", 0.0)
    if min_score is not None and overall < min_score:
        failures.append(f"overall {overall:.3f} is below --min-score {min_score:g}")
    if comparison is not None:  # a significant drop, one over --max-drop, a missing case
        failures += comparison.gate(max_drop, per_case=mode == "replay", force=force)
    errors = [c.id for c in results.cases if not c.ok]
    if errors:  # a case that could not be briefed is a failure, not a low score
        failures.append(f"{len(errors)} case(s) could not be briefed: {', '.join(errors)}")
    if failures:
        for failure in failures:
            _say_error(failure, "fail")
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a briefing (the --format json output)."""
    from summarize.schema import briefing_json_schema

    sys.stdout.write(briefing_json_schema() + "\n")


@app.command()
def models(config: ConfigOption = None) -> None:
    """List the model profiles the configuration defines."""
    settings = _settings(config)
    table = Table("profile", "model", "endpoint", "structured output", "context", title=None)
    for name, profile in settings.models.items():
        marker = " (default)" if name == settings.model else ""
        table.add_row(
            name + marker,
            profile.model,
            settings.profile(name).endpoint,
            profile.structured_output,
            str(profile.context_window),
        )
    # Piped output is not cut to a terminal's width.
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    if settings.source:
        stderr.print(f"config: {settings.source}")


cache_app = typer.Typer(
    help="The response cache: what it holds, filling it from recordings, emptying it."
)
app.add_typer(cache_app, name="cache")


@cache_app.command("stats")
def cache_stats(config: ConfigOption = None) -> None:
    """Where the response cache is, how many replies it holds, its size and hits."""
    from datetime import UTC, datetime

    from summarize.cache import ResponseCache, default_cache_path

    stats = ResponseCache(default_cache_path(_settings(config))).stats()

    def when(stamp: float | None) -> str:
        return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds") if stamp else "-"

    lines = [
        f"path: {stats.path}",
        f"replies: {stats.rows:,}",
        f"size: {stats.bytes / 1_000_000:.2f} MB",
        f"hits: {stats.hits:,}",
        f"oldest: {when(stats.oldest)}",
        f"newest: {when(stats.newest)}",
        *(f"profile {name}: {rows:,} replies" for name, rows in stats.profiles.items()),
    ]
    sys.stdout.write("\n".join(lines) + "\n")


@cache_app.command("import")
def cache_import(
    recordings: Annotated[
        Path, typer.Argument(metavar="<folder>", help="Eval recordings (evals/recordings/...).")
    ],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="The profile the replies are for.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Fill the cache with the replies of eval recordings, so that `eval --record --cache`
    after a change calls the model only for the requests the change touched."""
    from summarize.cache import ResponseCache, default_cache_path

    settings = _settings(config)
    cache = ResponseCache(default_cache_path(settings))
    added = cache.import_recordings(settings.profile(model), recordings)
    stderr.print(f"added {added:,} repl{'ies' if added != 1 else 'y'} to {cache.path}")


@cache_app.command("clear")
def cache_clear(
    older_than: Annotated[
        float | None,
        typer.Option("--older-than", min=0, help="Only replies not used for this many days."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Remove the cached replies (all, or those unused for --older-than DAYS)."""
    from summarize.cache import ResponseCache, default_cache_path

    cache = ResponseCache(default_cache_path(_settings(config)))
    removed = cache.clear(older_than)
    stderr.print(
        f"removed {removed:,} cached repl{'ies' if removed != 1 else 'y'} from {cache.path}"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning every error into one line on stderr."""
    try:
        # Without standalone mode click returns the code of an Exit instead of raising it.
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SummarizeError as exc:
        if _state["debug"]:
            raise
        _say_error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: never a traceback without --debug
        # typer vendors click; its usage errors derive from the public TyperException.
        if isinstance(exc, typer.exceptions.TyperException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(getattr(exc, "exit_code", 2))
        if isinstance(exc, typer.exceptions.Abort):
            stderr.print("aborted")
            sys.exit(130)
        if _state["debug"]:
            raise
        _say_error(f"{type(exc).__name__}: {exc} (run with --debug for details)", "internal error")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
