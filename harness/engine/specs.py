"""Typed records passed between stages: what a run produced, ready to store or print."""

from dataclasses import asdict, dataclass, field
from typing import Any

from core.records import MetricResult


@dataclass(frozen=True)
class EvalConfig:
    """Everything `harness eval` was asked to do."""

    model: str
    """`--model` as given: a folder, a PEFT adapter folder, an alias or a hub id."""
    tasks: list[str]
    """Task and group names as given; expanded by the task registry."""
    limit: int | None = None
    """Score only the first N documents of each task."""
    num_fewshot: int | None = None
    """Few-shot examples from the task's few-shot split; None keeps the task's default."""
    batch_size: int = 8
    device: str | None = None
    """`cpu` or `cuda`; None picks cuda when available."""
    dtype: str = "auto"
    """`auto` (float32 on CPU, bfloat16 on CUDA), `float32`, `bfloat16` or `float16`."""
    data_dir: str | None = None
    """Folder holding the data sets (`flores200/` ...); None: HARNESS_DATA_DIR, then the cache."""
    bundled_sample: bool = False
    """Use the small FLORES-200 sample shipped with the package instead of `data_dir`."""
    db_url: str | None = None
    fewshot_seed: int = 1234
    model_name: str | None = None
    """Register the checkpoint under this model (default: from the folder or its manifest)."""
    step: int | None = None
    """Training step of the checkpoint (default: from `checkpoint-N` or the manifest)."""
    split: str | None = None
    """Evaluation split for families that offer one (XNLI: validation or test); None: the default."""
    judge_model: str | None = None
    """LLM judge for judged metrics (IF-MT rule adherence): folder, alias or hub id; None: not computed."""
    backend: str = "hf"
    """`hf`: our shared-context scorer (`harness-hf`); `hf-lm-eval`: lm-eval's own `hf` class;
    `vllm`: lm-eval's vllm model; `api`: an OpenAI-compatible completions server (`base_url`)."""
    tensor_parallel_size: int = 1
    """GPUs one model is split over (`vllm`)."""
    data_parallel: int = 1
    """Model replicas answering requests side by side, one per device (`hf`, `hf-lm-eval`: worker
    processes, `harness.engine.backends.parallel`; `vllm`: its data-parallel mode). Answers do not depend
    on it; it is recorded in the run's fingerprint (`engine`), not in the response cache's key."""
    base_url: str | None = None
    """The server's URL (`api`): `http://host:port/v1` or its `/v1/completions`."""
    api_key_env: str | None = None
    """Environment variable holding the server's API key (`api`); None: no key sent."""
    cache: bool = True
    """Answer requests from the response cache and store new answers there (`hf` backend)."""
    resume: str | None = None
    """Continue this unfinished run (id or prefix): its stored tasks are kept, the rest are run."""
    apply_chat_template: bool = False
    """Render every prompt through the model's chat template (lm-eval's `apply_chat_template`): a
    task's `description` becomes the system message and its document text the user turn, few-shot
    examples user/assistant turns (`fewshot_as_multiturn`, lm-eval's default); no system instruction
    of our own. A model without a chat template is an error."""
    comet_model: str | None = None
    """COMET checkpoint (`.../checkpoints/model.ckpt`, its model folder, or a hub name) scoring each MT
    task in-process; needs unbabel-comet (`.venv-comet`). None: no COMET."""
    cometkiwi_model: str | None = None
    """CometKiwi checkpoint (reference-free QE) scoring each MT task in-process, as `comet_model`."""
    xcomet_model: str | None = None
    """xCOMET checkpoint (scores and error spans) scoring each MT task in-process, as `comet_model`."""
    lid_model: str | None = None
    """fastText language identifier (`model.bin`) for each MT output (`off_target`, `source_copy`);
    None: the model `harness lid build` made, when cached, else none (`harness.scorers.lid.model_for_run`)."""


@dataclass
class RunResult:
    """What `harness eval` prints with `--json`."""

    run_id: str
    model: str
    results: list[MetricResult]
    cache: dict[str, int] | None = None
    """Requests answered from the response cache (`hits`) and computed (`computed`); None: no cache."""
    resumed_tasks: list[str] = field(default_factory=list)
    """Tasks a resumed run already held, not run again."""
    groups: list[MetricResult] = field(default_factory=list)
    """Scores of the groups asked for, derived from `results` (see `harness.engine.groups`); not stored."""
    refused: dict[str, str] = field(default_factory=dict)
    """Tasks left out because they cannot run on this model (`harness.engine.fit`), each with why;
    the run is then stored `partial`. In the JSON only when there are any."""

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "results": [asdict(r) for r in self.results],
            "cache": self.cache,
            "resumed_tasks": self.resumed_tasks,
            "groups": [asdict(r) for r in self.groups],
        } | ({"refused": self.refused} if self.refused else {})
