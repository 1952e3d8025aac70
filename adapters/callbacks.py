"""The Trainer callback that turns each saved checkpoint into a registered, evaluated one."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from adapters.manifest import Manifest, log_line, register, write_manifest
from harness.output import plain


@dataclass
class CheckpointContext:
    """What every checkpoint of one run shares."""

    model_name: str
    base_source: str
    """The base model as `harness eval` registers it: an absolute folder, alias or hub id."""
    recipe: dict[str, Any]
    db_url: str | None
    eval_every: int | None = None
    eval_tasks: list[str] = field(default_factory=list)
    eval_limit: int | None = None
    eval_split: str | None = None
    """Split of the evaluated tasks (`dev` for the default bits-per-byte check); None: each task's own."""
    eval_data_dir: str | None = None
    eval_batch_size: int = 8
    tokens_before: int = 0
    """Tokens seen in an earlier phase of the same run (vocab: training the new rows first)."""


class CheckpointCallback(TrainerCallback):
    """On each save (main process only): write the manifest, register the checkpoint, log one
    line, and evaluate it through `harness.engine.run.evaluate` when its step is a multiple of eval_every."""

    def __init__(self, context: CheckpointContext) -> None:
        self.context = context
        self.previous: str | None = None
        self.saved: list[Path] = []

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        ctx = self.context
        name = f"checkpoint-{state.global_step}"
        folder = Path(args.output_dir) / name
        tokens = ctx.tokens_before + int(state.num_input_tokens_seen)
        parent = f"../{self.previous}" if self.previous else ctx.base_source
        write_manifest(folder, Manifest(ctx.model_name, state.global_step, tokens, parent, ctx.recipe))
        lineage = register(folder, ctx.db_url)
        self.previous = name
        self.saved.append(folder)
        loss = next((e["loss"] for e in reversed(state.log_history) if "loss" in e), None)
        loss_text = f", train loss {loss:.4f}" if loss is not None else ""
        log_line(
            f"[bold green]saved[/] {plain(folder)} — {plain(lineage.model_name)} step {state.global_step}, "
            f"{tokens:,} tokens seen{loss_text}; registered in the database"
        )
        if ctx.eval_every and state.global_step % ctx.eval_every == 0:
            self._evaluate(folder)

    def _evaluate(self, folder: Path) -> None:
        from harness.engine.run import evaluate
        from harness.engine.specs import EvalConfig

        ctx = self.context
        config = EvalConfig(
            model=str(folder),
            tasks=ctx.eval_tasks,
            limit=ctx.eval_limit,
            split=ctx.eval_split,
            batch_size=ctx.eval_batch_size,
            data_dir=ctx.eval_data_dir,
            db_url=ctx.db_url,
        )
        result = evaluate(config)
        scores = ", ".join(
            f"{r.task} {r.metric} {r.value:.2f}" for r in result.results if r.value is not None
        )
        log_line(
            f"[bold]evaluated[/] {plain(folder.name)}: run {result.run_id}: {plain(scores or 'no scores')}"
        )
        self._compare(result.run_id)

    def _compare(self, run_id: str) -> None:
        """One summary of the run against the base of the lineage (`harness compare MODEL`), when the
        base was evaluated on the same tasks; else a line saying how to get one."""
        from core.errors import HarnessError
        from db.session import make_engine
        from harness.analysis.adaptation import compare, summary_lines

        try:
            comparison = compare(make_engine(self.context.db_url, read_only=True), run_id, trials=1000)
        except HarnessError as exc:
            log_line(f"[bold]compared[/]: not against the base ({plain(exc)})")
            return
        if not comparison.changes:
            log_line(
                f"[bold]compared[/]: the base {plain(comparison.base)} holds none of these tasks; evaluate "
                "it on them (same --split and --limit) for gain and forgetting at every check"
            )
            return
        log_line(f"[bold]compared[/] against {plain(comparison.base)}:")
        for line in summary_lines(comparison, skipped=False):
            log_line(f"  {plain(line)}")
