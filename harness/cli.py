"""The `harness` command line."""

import logging
import os
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer

from core.errors import HarnessError
from harness import __version__

app = typer.Typer(
    help="Multilingual LLM evaluation harness: evaluate checkpoints, store every sample, compare.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Evaluation data: download official distributions.", no_args_is_help=True)
tasks_app = typer.Typer(help="The task registry.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(tasks_app, name="tasks")

EXIT_BAD_INPUT = 2


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _fail(exc: HarnessError) -> None:
    from harness.output import console

    console(stderr=True).print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _quiet_engine_logs(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.ERROR
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for name in ("lm_eval", "transformers", "datasets", "accelerate", "peft"):
        logging.getLogger(name).setLevel(level)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"harness {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Multilingual LLM evaluation harness."""


@app.command("eval")
def eval_command(
    model: Annotated[
        str,
        typer.Option(
            "--model", help="Checkpoint folder, PEFT adapter folder, alias (smollm2-135m) or hub id."
        ),
    ],
    tasks: Annotated[str, typer.Option("--tasks", help="Comma-separated tasks or groups, e.g. flores_lin.")],
    limit: Annotated[
        int | None, typer.Option(help="Score only the first N documents of each task.", min=1)
    ] = None,
    num_fewshot: Annotated[
        int | None, typer.Option(help="Few-shot examples (from the dev split).", min=0)
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Batch size.", min=1)] = 8,
    device: Annotated[str | None, typer.Option(help="cpu or cuda (default: cuda when available).")] = None,
    dtype: Annotated[str, typer.Option(help="auto, float32, bfloat16 or float16.")] = "auto",
    data_dir: Annotated[
        str | None,
        typer.Option(
            help="Folder with the data sets (flores200/ ...); default HARNESS_DATA_DIR, then the cache."
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Evaluation split where a family offers one (XNLI: validation|test).")
    ] = None,
    model_name: Annotated[
        str | None, typer.Option(help="Register the checkpoint under this model name (its lineage).")
    ] = None,
    step: Annotated[int | None, typer.Option(help="Training step of the checkpoint.", min=0)] = None,
    judge_model: Annotated[
        str | None,
        typer.Option(
            help="LLM judge for judged metrics (IF-MT rule adherence): checkpoint folder, alias or hub id; "
            "loaded once, only when a judged task runs, decoding greedily. Without it those metrics "
            "are reported as not computed."
        ),
    ] = None,
    bundled_sample: Annotated[
        bool,
        typer.Option(
            "--bundled-sample", help="Use the small FLORES-200 sample shipped with the package (demo only)."
        ),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL of the results database (default: HARNESS_DB, else local SQLite)."),
    ] = None,
    backend: Annotated[
        str,
        typer.Option(
            help="hf: transformers with shared-context multiple-choice scoring (harness-hf); "
            "hf-lm-eval: lm-eval's own hf class, for comparison; vllm: vLLM (from its own environment, "
            ".venv-vllm); api: a served model behind an OpenAI-compatible completions endpoint (--base-url)."
        ),
    ] = "hf",
    tensor_parallel_size: Annotated[
        int, typer.Option(help="GPUs to split the model over (--backend vllm).", min=1)
    ] = 1,
    data_parallel: Annotated[
        int,
        typer.Option(
            help="Model replicas answering requests side by side: one worker process per GPU "
            "(cuda:0 ... cuda:N-1) for --backend hf and hf-lm-eval, vLLM's data-parallel mode for "
            "--backend vllm (N x --tensor-parallel-size GPUs). On a CPU, N processes share its cores.",
            min=1,
        ),
    ] = 1,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="OpenAI-compatible server for --backend api, e.g. http://127.0.0.1:8000/v1; --model "
            "names the served weights (folder or alias: its tokenizer is used and results stored under it)."
        ),
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(help="Environment variable holding the server's API key (--backend api)."),
    ] = None,
    cache: Annotated[
        bool,
        typer.Option(
            help="Answer requests already computed for these weights from the response cache "
            "(HARNESS_RESPONSE_CACHE, default <cache>/responses.sqlite), and store new answers there."
        ),
    ] = True,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Continue this unfinished (killed or failed) run: same model and settings; its stored "
            "tasks are kept, the rest run, with finished requests answered from the cache."
        ),
    ] = None,
    apply_chat_template: Annotated[
        bool,
        typer.Option(
            "--apply-chat-template",
            help="Render prompts through the model's chat template: a task's instruction (GAOKAO-Bench's "
            "prefix prompt) as the system message, the question as the user turn, few-shot examples as "
            "turns. Fails for a model without a chat template. Recorded in the run fingerprint.",
        ),
    ] = False,
    comet_model: Annotated[
        str | None,
        typer.Option(
            help="Also score each MT task (FLORES, IF-MT) with COMET: a local "
            "<model>/checkpoints/model.ckpt, its <model> folder, or a hub name (Unbabel/wmt22-comet-da, "
            "needs network). Needs unbabel-comet: run from .venv-comet (scripts/setup_comet.sh)."
        ),
    ] = None,
    lid_model: Annotated[
        str | None,
        typer.Option(
            help="fastText language identifier (model.bin: GlotLID, OpenLID, or `harness lid build`'s) "
            "for off_target and source_copy of each MT task. Default: the model `harness lid build` "
            "made, if cached; else those metrics are skipped with a warning."
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    verbose: Annotated[bool, typer.Option(help="Show the engine's log.")] = False,
) -> None:
    """Evaluate a model on tasks and store every score and sample in the database."""
    from harness.output import console, results_table, to_json
    from harness.specs import EvalConfig

    if device not in (None, "cpu", "cuda") and not str(device).startswith("cuda:"):
        _fail(HarnessError(f"--device: {device!r} is not cpu or cuda"))
    if dtype not in ("auto", "float32", "bfloat16", "float16"):
        _fail(HarnessError(f"--dtype: {dtype!r} is not auto, float32, bfloat16 or float16"))
    if bundled_sample and data_dir:
        _fail(HarnessError("--bundled-sample and --data-dir exclude each other"))
    _quiet_engine_logs(verbose)
    config = EvalConfig(
        model=model,
        tasks=tasks.split(","),
        limit=limit,
        num_fewshot=num_fewshot,
        batch_size=batch_size,
        device=device,
        dtype=dtype,
        data_dir=data_dir,
        bundled_sample=bundled_sample,
        split=split,
        model_name=model_name,
        step=step,
        db_url=db,
        judge_model=judge_model,
        backend=backend,
        tensor_parallel_size=tensor_parallel_size,
        data_parallel=data_parallel,
        base_url=base_url,
        api_key_env=api_key_env,
        cache=cache,
        resume=resume,
        apply_chat_template=apply_chat_template,
        comet_model=comet_model,
        lid_model=lid_model,
    )
    err = console(stderr=True)

    def on_task(name: str, index: int, total: int) -> None:
        err.print(f"[bold]\\[{index + 1}/{total}][/] {name}")

    def on_warning(message: str) -> None:
        from rich.markup import escape

        err.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)

    from harness.run import evaluate

    try:
        result = evaluate(config, on_task=on_task, on_warning=on_warning)
    except HarnessError as exc:
        _fail(exc)
        return
    if result.resumed_tasks:
        err.print(f"resumed run {result.run_id}: kept {len(result.resumed_tasks)} stored task(s)")
    if result.cache is not None:
        err.print(
            f"response cache: {result.cache['hits']} request(s) answered, {result.cache['computed']} computed"
        )
    if json_output:
        typer.echo(to_json(result.to_json()))
    else:
        out = console()
        table, footnotes = results_table(result.results, title=f"{result.model} · run {result.run_id}")
        out.print(table)
        for line in footnotes:
            out.print(line, soft_wrap=True)
        if result.groups:
            table, footnotes = results_table(result.groups, title="groups (from the tasks above)")
            out.print(table)
            for line in footnotes:
                out.print(line, soft_wrap=True)


@app.command("rescore")
def rescore_command(
    run: Annotated[
        str,
        typer.Argument(help="Run id or its unique prefix, or MODEL / MODEL@STEP: its newest complete run."),
    ],
    metric: Annotated[
        str,
        typer.Option(help="Metric from the stored outputs: comet, or lid (off_target, source_copy)."),
    ],
    comet_model: Annotated[
        str | None,
        typer.Option(
            help="COMET model: a local <model>/checkpoints/model.ckpt, its <model> folder, or a hub name "
            "(Unbabel/wmt22-comet-da, needs network)."
        ),
    ] = None,
    tasks: Annotated[
        str | None, typer.Option(help="Comma-separated MT tasks of the run (default: all of them).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="COMET batch size (comet-score's default).", min=1)] = 16,
    lid_model: Annotated[
        str | None,
        typer.Option(help="With --metric lid: fastText model.bin (default: the `harness lid build` model)."),
    ] = None,
    data_dir: Annotated[
        str | None,
        typer.Option(
            help="FLORES-200 data for runs stored without their sources (default: the data the run read)."
        ),
    ] = None,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the results database.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verbose: Annotated[bool, typer.Option(help="Show the engine's log.")] = False,
) -> None:
    """Score a stored run's MT outputs with another metric (COMET), without loading the evaluated
    model or generating again: one metric row per task and a score per sample, replaced on rerun."""
    from harness.output import console, results_table, to_json
    from harness.rescore import rescore

    _quiet_engine_logs(verbose)
    err = console(stderr=True)

    def on_task(name: str, index: int, total: int, documents: int) -> None:
        err.print(f"[bold]\\[{index + 1}/{total}][/] {name}: {metric} of {documents} stored outputs")

    try:
        result = rescore(
            run,
            metric,
            comet_model,
            tasks=[t.strip() for t in tasks.split(",") if t.strip()] if tasks else None,
            batch_size=batch_size,
            db_url=db,
            data_dir=data_dir,
            on_task=on_task,
            lid_model=lid_model,
        )
    except HarnessError as exc:
        _fail(exc)
        return
    for task, count in result.recovered_sources.items():
        err.print(f"{task}: {count} source sentence(s) recovered from the data (doc_hash checked)")
    if json_output:
        typer.echo(to_json(result.to_json()))
    else:
        table, footnotes = results_table(result.results, title=f"rescore · run {result.run_id}")
        out = console()
        out.print(table)
        for line in footnotes:
            out.print(line, soft_wrap=True)


@app.command("results")
def results_command(
    model: Annotated[str | None, typer.Option(help="Only this model name.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    run: Annotated[str | None, typer.Option(help="Only this run id.")] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="Include running and failed runs.")] = False,
    primary: Annotated[
        bool, typer.Option("--primary", help="Only each task's primary metric (as its family declares it).")
    ] = False,
    output_format: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
    samples: Annotated[
        bool,
        typer.Option(
            "--samples", help="With --format json: add every per-document record (for harness gate)."
        ),
    ] = False,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the results database.")] = None,
) -> None:
    """List stored results. `contamination` says whether the checkpoint was trained on text holding
    evaluation documents (as `harness adapt` recorded in its manifest; docs/contamination.md)."""
    from db.contamination import flag_rows
    from db.queries import list_results, list_samples
    from db.session import make_engine
    from harness.output import console, rows_table, to_csv, to_json

    engine = make_engine(db)
    rows = list_results(engine, model=model, task=task, run_id=run, include_incomplete=all_runs)
    if primary:
        rows = [r for r in rows if r.metric == r.primary_metric]
    flagged = flag_rows(engine, rows)
    columns = [
        "run_id",
        "model",
        "step",
        "task",
        "family",
        "language",
        "metric",
        "primary_metric",
        "value",
        "stderr",
        "n",
        "status",
        "finished_at",
        "signature",
        "note",
    ]
    if samples and output_format is not Format.json:
        _fail(HarnessError("--samples needs --format json"))
    if output_format is Format.json:
        payload: dict[str, list[dict]] = {"results": flagged}
        if samples:
            runs = sorted({r.run_id for r in rows})
            payload["samples"] = [asdict(s) for run_id in runs for s in list_samples(engine, run_id, task)]
        typer.echo(to_json(payload))
    elif output_format is Format.csv:
        typer.echo(to_csv(flagged, columns), nl=False)
    else:
        console().print(
            rows_table(
                flagged,
                ["run_id", "model", "step", "task", "language", "metric", "value", "stderr", "n", "status"]
                + (["contamination"] if any(r["contaminated"] is not None for r in flagged) else []),
                "results (* primary metric)",
            )
        )


class GateFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command("gate")
def gate_command(
    baseline: Annotated[
        str, typer.Option(help="Run id, model[@step] in the database, or a results JSON file.")
    ],
    candidate: Annotated[
        str, typer.Option(help="Run id, model[@step] in the database, or a results JSON file.")
    ],
    tasks: Annotated[
        str | None, typer.Option(help="Comma-separated tasks to gate (default: all baseline tasks).")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="Metric to gate (default: each task's primary, chrf++ for FLORES).")
    ] = None,
    max_drop: Annotated[
        float, typer.Option(help="Largest drop tolerated, in the metric's units.", min=0)
    ] = 0.0,
    alpha: Annotated[
        float, typer.Option(help="Significance level after Holm's correction.", min=0, max=1)
    ] = 0.05,
    trials: Annotated[
        int,
        typer.Option(
            help="Monte Carlo sign flips or swaps when too many documents differ to enumerate all.", min=1000
        ),
    ] = 10000,
    seed: Annotated[
        int, typer.Option(help="Seed of the Monte Carlo draws and the bootstrap interval.")
    ] = 12345,
    strict: Annotated[
        bool, typer.Option("--strict", help="Also fail when any document's output changed.")
    ] = False,
    output_format: Annotated[
        GateFormat, typer.Option("--format", help="text, markdown or json.")
    ] = GateFormat.text,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the results database.")] = None,
) -> None:
    """Fail (exit 1) when the candidate scores worse than the baseline beyond noise; exit 2 when
    the two cannot be compared; exit 0 otherwise."""
    from harness.gate import compare, load_side
    from harness.gate_report import print_text, to_markdown
    from harness.gate_report import to_json as gate_json

    try:
        report = compare(
            load_side(baseline, db),
            load_side(candidate, db),
            tasks=[t.strip() for t in tasks.split(",") if t.strip()] if tasks else None,
            metric=metric,
            max_drop=max_drop,
            alpha=alpha,
            trials=trials,
            seed=seed,
            strict=strict,
        )
    except HarnessError as exc:
        if output_format is GateFormat.json:
            from harness.output import to_json

            typer.echo(to_json({"pass": False, "cannot_compare": str(exc)}))
        _fail(exc)
        return
    if output_format is GateFormat.json:
        from harness.output import to_json

        typer.echo(to_json(gate_json(report)))
    elif output_format is GateFormat.markdown:
        typer.echo(to_markdown(report))
    else:
        print_text(report)
    raise typer.Exit(1 if report.regressed else 0)


class ReportFormat(StrEnum):
    md = "md"
    html = "html"


@app.command("report")
def report_command(
    ref: Annotated[str, typer.Argument(help="Run id (or unique prefix), MODEL or MODEL@STEP.")],
    out: Annotated[str, typer.Option(help="File to write (md: charts go beside it as .svg files).")],
    output_format: Annotated[ReportFormat, typer.Option("--format", help="md or html.")] = ReportFormat.md,
    baseline: Annotated[
        str | None,
        typer.Option(help="Compare with it as `harness gate` does: run id, MODEL, MODEL@STEP or file."),
    ] = None,
    tasks: Annotated[str | None, typer.Option(help="Comma-separated tasks (default: all the run's).")] = None,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the results database.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the files written as JSON.")] = False,
) -> None:
    """Write a self-contained report of one run (tables, leaderboard row, per-language chart,
    comparison with a baseline, fingerprint) as Markdown or offline HTML."""
    from harness.report import run_report

    try:
        run_report(ref, out, output_format.value, baseline, tasks, db, json_output)
    except HarnessError as exc:
        _fail(exc)


@app.command("app")
def app_command(
    db: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL of the results database (default: HARNESS_DB, else local SQLite)."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
) -> None:
    """Serve the leaderboard app (Streamlit): leaderboard, languages, checkpoints, compare, run."""
    import sys
    from pathlib import Path

    try:
        import streamlit  # noqa: F401
    except ImportError:
        _fail(HarnessError("the app needs Streamlit: pip install 'polyglot-harness[app]'"))
    main_script = Path(__file__).resolve().parents[1] / "app" / "main.py"  # the `app` package, beside us
    env = os.environ.copy()
    if db:
        env["HARNESS_DB"] = db
    argv = [sys.executable, "-m", "streamlit", "run", str(main_script)]
    argv += ["--server.port", str(port), "--server.address", host, "--server.headless", "true"]
    argv += ["--browser.gatherUsageStats", "false"]
    argv += ["--client.toolbarMode", "viewer"]  # no developer toolbar ("Deploy") for viewers
    # Replace this process: stopping `harness app` stops the server.
    os.execve(sys.executable, argv, env)


@app.command("adapt")
def adapt_command(
    recipe: Annotated[str, typer.Argument(help="Recipe YAML file (see adapters/examples/).")],
    output: Annotated[
        str | None, typer.Option(help="Folder for the checkpoints (overrides the recipe's output_dir).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL of the results database (default: HARNESS_DB, else local SQLite)."),
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Show the engine's log.")] = False,
) -> None:
    """Train or merge a model by a recipe (cpt, lora, layra, vocab, sft, merge); every checkpoint
    gets a manifest and is registered (and evaluated, with eval_every) in the database. Runs under
    `accelerate launch -m harness.cli adapt ...` as well."""
    from pathlib import Path

    from adapters.cli import adapt

    _quiet_engine_logs(verbose)
    try:
        saved = adapt(Path(recipe), output, db)
    except HarnessError as exc:
        _fail(exc)
        return
    typer.echo(f"{len(saved)} checkpoint(s): {', '.join(str(p) for p in saved)}")


@app.command("tokenizer-report")
def tokenizer_report_command(
    model: Annotated[
        str, typer.Option(help="Model(s), comma-separated: folder, alias or hub id, as for eval.")
    ],
    langs: Annotated[
        str | None, typer.Option(help="FLORES-200 codes, comma-separated (default: all); eng_Latn always.")
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Folder holding flores200/ (else HARNESS_DATA_DIR).")
    ] = None,
    split: Annotated[str, typer.Option(help="FLORES-200 split: dev or devtest.")] = "devtest",
    base: Annotated[
        str | None, typer.Option(help="Also report this model and show each model's change.")
    ] = None,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the results database.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Tokens per word and character, bytes per token, parity with English, unknown and byte-fallback
    tokens per language on FLORES-200 (docs/tokenizers.md); stored under each model's checkpoint."""
    from harness import tokenizer_report as tr

    _quiet_engine_logs(False)
    try:
        report = tr.run_report(model.split(","), langs, data_dir, split, base, db)
    except HarnessError as exc:
        _fail(exc)
        return
    if json_output:
        from harness.output import to_json

        typer.echo(to_json(report.to_json()))
    else:
        tr.print_report(report)


@app.command("contamination")
def contamination_command(
    recipe: Annotated[
        str | None, typer.Option(help="Recipe YAML: check its training files against its eval_tasks.")
    ] = None,
    text: Annotated[str | None, typer.Option(help="Training text file(s), comma-separated.")] = None,
    tasks: Annotated[
        str | None, typer.Option(help="Tasks or groups, comma-separated (default with --recipe: eval_tasks).")
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Folder with the data sets (default: eval_data_dir, HARNESS_DATA_DIR).")
    ] = None,
    ngram: Annotated[int, typer.Option(help="n of the n-grams (lm-eval's decontamination: 13).", min=2)] = 13,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """N-gram overlap (lm-eval's decontamination, docs/contamination.md) between training text and
    each task's evaluation documents: the share contaminated and the documents hit. Exit 0 clean,
    1 contaminated, 2 bad input."""
    from pathlib import Path

    from harness import contamination as hc
    from harness.data import resolve

    _quiet_engine_logs(False)
    names = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    try:
        if (recipe is None) == (text is None):
            raise HarnessError("give exactly one of --recipe FILE and --text FILE[,FILE...]")
        if recipe is not None:
            from adapters.contamination import check_recipe
            from adapters.recipes import load_recipe

            path = Path(recipe).expanduser().resolve()
            report = check_recipe(load_recipe(path), path, names, data_dir, ngram)
        elif not names:
            raise HarnessError("--tasks: name the tasks to check the --text files against")
        else:
            report = hc.check(hc.text_files(str(text)), names, lambda name: resolve(name, data_dir), ngram)
    except HarnessError as exc:
        _fail(exc)
        return
    if json_output:
        from harness.output import to_json

        typer.echo(to_json(report.to_json()))
    else:
        hc.print_report(report)
    raise typer.Exit(1 if report.contaminated else 0)


lid_app = typer.Typer(help="Output language identification (off_target, source_copy).", no_args_is_help=True)
app.add_typer(lid_app, name="lid")


@lid_app.command("build")
def lid_build_command(
    data_dir: Annotated[
        str | None, typer.Option(help="Folder holding flores200/ (default: HARNESS_DATA_DIR or the cache).")
    ] = None,
    out: Annotated[str | None, typer.Option(help="Also copy the model here (report beside it).")] = None,
    langs: Annotated[
        str | None, typer.Option(help="Comma-separated FLORES-200 codes (default: every language).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train a fastText language identifier on FLORES-200 dev (cached), and report its accuracy,
    per-language F1, macro-F1, worst languages and confusion clusters on devtest."""
    from pathlib import Path

    from harness import data
    from harness.lid_build import build, print_report
    from harness.output import to_json

    try:
        root = data.resolve("flores200", data_dir)
        report = build(root, Path(out) if out else None, langs.split(",") if langs else None)
    except HarnessError as exc:
        _fail(exc)
        return
    if json_output:
        typer.echo(to_json(report.to_json()))
    else:
        print_report(report)


ingest_app = typer.Typer(help="Import results produced by other tools.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")


@ingest_app.command("lm-eval")
def ingest_lm_eval(
    folder: Annotated[str, typer.Argument(help="lm-eval's --output_path (searched for results_*.json).")],
    model_name: Annotated[str | None, typer.Option(help="Register the runs under this model name.")] = None,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the results database.")] = None,
) -> None:
    """Import lm-eval's results_*.json and samples_*.jsonl as complete runs (idempotent)."""
    from pathlib import Path

    from core.lineage import Lineage
    from db.session import make_engine, make_session_factory
    from db.store import store_imported_run
    from harness.ingest import find_results, read_results

    try:
        files = find_results(Path(folder))
        factory = make_session_factory(make_engine(db))
        for path in files:
            run = read_results(path, model_name)
            added = store_imported_run(
                factory,
                run.run_id,
                Lineage(model_name=run.model),
                run.source,
                run.fingerprint,
                list(zip(run.tasks, run.metas, strict=True)),
            )
            samples = sum(len(t.samples) for t in run.tasks)
            state = "imported" if added else "already stored"
            typer.echo(
                f"{state}: run {run.run_id} ({run.model}, {len(run.tasks)} tasks, {samples} samples)"
                f" from {path}"
            )
    except HarnessError as exc:
        _fail(exc)


@data_app.command("fetch")
def data_fetch(
    name: Annotated[str, typer.Argument(help="Data set name (see `harness data list`), e.g. flores200.")],
    url: Annotated[
        list[str] | None,
        typer.Option(
            help="Mirror instead of the official source, once per download in `harness data list` order "
            "(an archive URL; for a hub dataset the endpoint, default HF_ENDPOINT)."
        ),
    ] = None,
    sha256: Annotated[
        str | None, typer.Option(help="Expected SHA-256 of the first archive (default: the pinned one).")
    ] = None,
    dest: Annotated[
        str | None, typer.Option(help="Data root to unpack into (default: the harness cache).")
    ] = None,
) -> None:
    """Download a data set from its official source, verify its SHA-256 pins and unpack it."""
    from pathlib import Path

    from harness.data import fetch

    try:
        target = fetch(name, url=url or None, sha256=sha256, dest_root=Path(dest) if dest else None)
    except HarnessError as exc:
        _fail(exc)
        return
    typer.echo(f"{name}: unpacked into {target}")


@data_app.command("list")
def data_list(
    data_dir: Annotated[
        str | None, typer.Option(help="Data root to inspect (default HARNESS_DATA_DIR, then the cache).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every data set: present or missing, path, pinned version, licence, size, tasks."""
    from rich.table import Table

    from harness.data import listing
    from harness.output import console, to_json

    rows = listing(data_dir)
    if as_json:
        typer.echo(to_json([asdict(row) for row in rows]))
        return
    table = Table(title="data sets")
    for column in ("name", "status", "path", "version", "pinning", "licence", "size", "needed by"):
        table.add_column(column, overflow="fold")
    for row in rows:
        extra = [f"{p}: {'present' if ok else 'missing'}" for p, ok in row.parts.items() if p != row.name]
        status = "\n".join(["[green]present[/]" if row.status == "present" else "[red]missing[/]", *extra])
        table.add_row(
            row.name,
            status,
            row.path,
            row.version + (f"\n[dim]{row.note}[/]" if row.note else ""),
            row.pinning,
            row.licence,
            f"{row.size_bytes / 1e6:.1f} MB" if row.size_bytes else "-",
            ", ".join(row.families) + "\n" + ", ".join(row.tasks),
        )
    console().print(table)


@tasks_app.command("list")
def tasks_list(
    family: Annotated[str | None, typer.Option(help="Only this family (flores, xnli, afrixnli).")] = None,
    group: Annotated[
        str | None, typer.Option(help="List the members of this group, e.g. flores_lin.")
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Data folder, for families whose tasks come from the data.")
    ] = None,
) -> None:
    """List task families, their groups and task counts (or one group's tasks)."""
    from harness import data
    from tasks.registry import FAMILIES
    from tasks.registry import family as get_family

    if family and family not in FAMILIES:
        _fail(HarnessError(f"--family: unknown family {family!r}; known: {', '.join(FAMILIES)}"))
    for name in [family] if family else list(FAMILIES):
        fam = get_family(name)
        try:
            groups = fam.groups(data.resolve(fam.data_set, data_dir) if fam.discovered else None)
        except HarnessError as exc:
            typer.echo(f"{name}\t(tasks come from the data: {exc})")
            continue
        if group:
            if group in groups:
                for task in groups[group]:
                    typer.echo(task)
                return
            continue
        for group_name, members in groups.items():
            typer.echo(f"{group_name}\t{len(members)} tasks")
    if group:
        _fail(HarnessError(f"--group: unknown group {group!r}"))


@tasks_app.command("show")
def tasks_show(
    name: Annotated[str, typer.Argument(help="A task name, e.g. flores_eng_Latn-lin_Latn or xnli_en.")],
    data_dir: Annotated[
        str | None, typer.Option(help="Folder with the data sets (default HARNESS_DATA_DIR).")
    ] = None,
    split: Annotated[str | None, typer.Option(help="Evaluation split where the family offers one.")] = None,
    num_fewshot: Annotated[
        int | None, typer.Option(help="Few-shot examples in the rendered prompt.", min=0)
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show a task: version, content hash, data files with checksums, metrics, and its prompt
    rendered on the first scored document."""
    from harness.data import resolve
    from harness.output import console, to_json
    from harness.task_show import describe
    from tasks.base import TaskOptions

    _quiet_engine_logs(verbose=False)
    try:
        info = describe(
            name, lambda data_set: resolve(data_set, data_dir), TaskOptions(split=split), num_fewshot
        )
    except HarnessError as exc:
        _fail(exc)
        return
    if json_output:
        typer.echo(to_json(info))
        return
    out = console()
    for key in (
        "task",
        "family",
        "language",
        "primary_metric",
        "protocol",
        "version",
        "task_hash",
        "output_type",
        "metrics",
        "num_fewshot",
        "documents",
    ):
        out.print(f"[bold]{key}[/]: {info[key]}", soft_wrap=True)
    out.print(f"[bold]data[/]: {info['data_root']}", soft_wrap=True)
    for path, digest in info["data_files"].items():
        out.print(f"  {path}  sha256 {digest}", soft_wrap=True)
    out.rule("prompt (first document)")
    out.print(info["prompt"], markup=False, soft_wrap=True)
    if "choices" in info:
        out.rule("choices")
        for index, choice in enumerate(info["choices"]):
            out.print(f"{index}: {choice}", markup=False, soft_wrap=True)
    out.rule("target")
    out.print(str(info["target"]), markup=False, soft_wrap=True)


@app.command("sweep")
def sweep_command(
    models: Annotated[
        str,
        typer.Option(help="Comma-separated checkpoint folders, PEFT adapter folders, aliases or hub ids."),
    ],
    tasks: Annotated[
        str, typer.Option(help="Comma-separated tasks or groups; each model runs each concrete task.")
    ],
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run the units as Ray tasks on this running cluster (host:port, or auto); "
            "without it they run one after another in this process.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Score only the first N documents of each task.", min=1)
    ] = None,
    num_fewshot: Annotated[
        int | None, typer.Option(help="Few-shot examples (from the dev split).", min=0)
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Batch size.", min=1)] = 8,
    device: Annotated[
        str | None,
        typer.Option(
            help="cpu or cuda (default: cuda when available; with --ray, cuda when --gpus-per-unit > 0)."
        ),
    ] = None,
    dtype: Annotated[str, typer.Option(help="auto, float32, bfloat16 or float16.")] = "auto",
    data_dir: Annotated[
        str | None,
        typer.Option(
            help="Folder with the data sets (flores200/ ...); default HARNESS_DATA_DIR, then the cache."
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Evaluation split where a family offers one (XNLI: validation|test).")
    ] = None,
    backend: Annotated[str, typer.Option(help="hf (harness-hf) or hf-lm-eval.")] = "hf",
    db: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL of the results database, reachable from every Ray node "
            "(default: HARNESS_DB, else local SQLite)."
        ),
    ] = None,
    apply_chat_template: Annotated[
        bool,
        typer.Option("--apply-chat-template", help="Render prompts through each model's chat template."),
    ] = False,
    cpus_per_unit: Annotated[float, typer.Option(help="CPUs Ray reserves for each unit.", min=0)] = 1.0,
    gpus_per_unit: Annotated[float, typer.Option(help="GPUs Ray reserves for each unit.", min=0)] = 0.0,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    verbose: Annotated[bool, typer.Option(help="Show the engine's log.")] = False,
) -> None:
    """Evaluate every model on every task, one run per (checkpoint, task) unit in one database, here
    or spread over a Ray cluster; units the database already holds with the same settings are
    skipped. Exits 1 when a unit failed."""
    from harness.output import console, to_json
    from harness.sweep import SweepConfig, Unit, counts, run_sweep

    _quiet_engine_logs(verbose)
    config = SweepConfig(
        models=models.split(","),
        tasks=tasks.split(","),
        ray_address=ray_address,
        limit=limit,
        num_fewshot=num_fewshot,
        batch_size=batch_size,
        device=device,
        dtype=dtype,
        data_dir=data_dir,
        split=split,
        backend=backend,
        db_url=db,
        apply_chat_template=apply_chat_template,
        cpus_per_unit=cpus_per_unit,
        gpus_per_unit=gpus_per_unit,
    )
    err = console(stderr=True)
    every: list[Unit] = []

    def on_plan(units: list[Unit]) -> None:
        every.extend(units)
        skipped = sum(u.status == "skipped" for u in units)
        where = f"on Ray at {ray_address}" if ray_address else "in this process"
        err.print(
            f"{len(units)} unit(s): {skipped} already in the database, skipped; "
            f"{len(units) - skipped} to run {where}",
            markup=False,
        )

    def on_unit(unit: Unit) -> None:
        tally = counts(every)
        finished = tally["done"] + tally["failed"]
        to_run = sum(u.status != "skipped" for u in every)
        node = f", node {unit.node_id[:8]}" if unit.node_id else ""
        detail = unit.error if unit.status == "failed" else f"run {unit.run_id}"
        err.print(
            f"[{finished}/{to_run}] {unit.status} {unit.model} {unit.task}: {detail} "
            f"({unit.seconds or 0:.1f} s{node}, pid {unit.pid}) · done {tally['done']}, "
            f"failed {tally['failed']}, skipped {tally['skipped']}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

    try:
        result = run_sweep(config, on_unit=on_unit, on_plan=on_plan)
    except HarnessError as exc:
        _fail(exc)
        return
    if json_output:
        typer.echo(to_json(result.to_json()))
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=f"sweep · {len(result.units)} units · {result.seconds:.1f} s")
        for column in ("model", "task", "status", "run", "metric", "value", "seconds", "node", "pid"):
            table.add_column(column, justify="right" if column in ("value", "seconds", "pid") else "left")
        colours = {"done": "green", "skipped": "cyan", "failed": "red"}
        for u in result.units:
            table.add_row(
                escape(u.model),
                u.task,
                f"[{colours[u.status]}]{u.status}[/]",
                (u.run_id or "")[:8],
                u.metric,
                "—" if u.value is None else f"{u.value:.2f}",
                "" if u.seconds is None else f"{u.seconds:.1f}",
                (u.node_id or "")[:8],
                "" if u.pid is None else str(u.pid),
            )
        out = console()
        out.print(table)
        for u in result.units:
            if u.status == "failed":
                out.print(f"failed: {u.model} {u.task}: {u.error}", markup=False, soft_wrap=True)
    raise typer.Exit(1 if result.counts["failed"] else 0)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
