"""`harness eval`: evaluate a model on tasks and store every score and sample."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import (
    BatchSize,
    ChatTemplate,
    CometKiwiModel,
    DataDir,
    Db,
    Dtype,
    JsonOutput,
    Limit,
    NumFewshot,
    Split,
    Verbose,
    XCometModel,
    fail,
    quiet_engine_logs,
)


def eval_command(
    model: Annotated[
        str,
        typer.Option(
            "--model", help="Checkpoint folder, PEFT adapter folder, alias (smollm2-135m) or hub id."
        ),
    ],
    tasks: Annotated[str, typer.Option("--tasks", help="Comma-separated tasks or groups, e.g. flores_lin.")],
    limit: Limit = None,
    num_fewshot: NumFewshot = None,
    batch_size: BatchSize = 8,
    device: Annotated[str | None, typer.Option(help="cpu or cuda (default: cuda when available).")] = None,
    dtype: Dtype = "auto",
    data_dir: DataDir = None,
    split: Split = None,
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
    db: Db = None,
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
    apply_chat_template: ChatTemplate = False,
    comet_model: Annotated[
        str | None,
        typer.Option(
            help="Also score each MT task (FLORES, IF-MT) with COMET: a local "
            "<model>/checkpoints/model.ckpt, its <model> folder, or a hub name (Unbabel/wmt22-comet-da, "
            "needs network). Needs unbabel-comet: run from .venv-comet (scripts/setup_comet.sh)."
        ),
    ] = None,
    cometkiwi_model: CometKiwiModel = None,
    xcomet_model: XCometModel = None,
    lid_model: Annotated[
        str | None,
        typer.Option(
            help="fastText language identifier (model.bin: GlotLID, OpenLID, or `harness lid build`'s) "
            "for off_target and source_copy of each MT task. Default: the model `harness lid build` "
            "made, if cached; else those metrics are skipped with a warning."
        ),
    ] = None,
    json_output: JsonOutput = False,
    verbose: Verbose = False,
) -> None:
    """Evaluate a model on tasks and store every score and sample in the database."""
    from harness.engine.specs import EvalConfig
    from harness.output import console, plain, print_results, to_json

    if device not in (None, "cpu", "cuda") and not str(device).startswith("cuda:"):
        fail(HarnessError(f"--device: {device!r} is not cpu or cuda"))
    if dtype not in ("auto", "float32", "bfloat16", "float16"):
        fail(HarnessError(f"--dtype: {dtype!r} is not auto, float32, bfloat16 or float16"))
    if bundled_sample and data_dir:
        fail(HarnessError("--bundled-sample and --data-dir exclude each other"))
    quiet_engine_logs(verbose)
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
        cometkiwi_model=cometkiwi_model,
        xcomet_model=xcomet_model,
        lid_model=lid_model,
    )
    err = console(stderr=True)

    def on_task(name: str, index: int, total: int) -> None:
        err.print(f"[bold]\\[{index + 1}/{total}][/] {plain(name)}")

    def on_warning(message: str) -> None:
        err.print(f"[yellow]warning:[/] {plain(message, multiline=True)}", highlight=False)

    from harness.engine.run import evaluate

    try:
        result = evaluate(config, on_task=on_task, on_warning=on_warning)
    except HarnessError as exc:
        fail(exc)
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
        print_results(result.results, title=f"{result.model} · run {result.run_id}")
        if result.groups:
            print_results(result.groups, title="groups (from the tasks above)")
    if result.refused:
        refused = "; ".join(f"{name} ({why})" for name, why in result.refused.items())
        fail(
            HarnessError(
                f"run {result.run_id} is stored as partial: refused {refused}. The other tasks ran and "
                "are stored."
            )
        )
